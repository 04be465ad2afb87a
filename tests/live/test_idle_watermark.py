"""Time moves when the feed is quiet (issue 10): in live mode the watermark follows the
(injected) wall clock, so a vessel that stops transmitting opens its gap at the threshold even
when the feed has gone quiet; the other vessels keep the feed going first."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pyais import decode

from mda.live import LiveFeed
from mda.records import Alert
from mda.runner import EmbeddedRunner
from mda.settings import Settings, preset_settings
from tests.live.feed import capture

DARK = 227012430  # a vessel of the Vernon capture, under way around midday
LATENESS_S = 10.0


class Quiet:
    """A source that is never read (the test steps the feed itself)."""

    name = "tcp://127.0.0.1:10110"
    state = "connected"
    connects = 1

    def timed_lines(self) -> list[tuple[float, bytes]]:
        return []


def _settings() -> Settings:
    s = preset_settings("watch")
    gap = replace(s.detectors["gap"], fringe_min_vessels=10**6)  # one receiver's fringe: off
    return replace(s, detectors={**s.detectors, "gap": gap},
                   ingest=replace(s.ingest, allowed_lateness_s=LATENESS_S))


def _mmsi(sentence: bytes) -> int | None:
    try:
        return int(decode(sentence).mmsi)
    except Exception:
        return None


def test_a_vessel_that_goes_dark_opens_its_gap_on_the_wall_clock(shared: Path) -> None:
    lines = capture(shared)
    settings = _settings()
    threshold_s = settings.detectors["gap"].threshold_h * 3600.0  # type: ignore[attr-defined]
    dark_times = [t for t, s in lines if _mmsi(s) == DARK]
    cut = dark_times[len(dark_times) // 2]
    alerts: list[Alert] = []
    feed = LiveFeed(EmbeddedRunner(settings, on_alert=alerts.append), [Quiet()],
                    clock=lambda: 0.0)
    # The feed as received: each bare sentence arrives at its capture time (the fake clock).
    rest = iter((t, s) for t, s in lines if not (t > cut and _mmsi(s) == DARK))
    last_dark = None
    for t, s in rest:
        if t > cut + 1800:
            break
        if _mmsi(s) == DARK:
            last_dark = t
        feed.receive(0, t, s)
        feed.idle(t)
    assert last_dark == cut
    due = cut + threshold_s + LATENESS_S  # the watermark passes last report + threshold
    # Then the feed goes quiet: one other vessel's line every 20 minutes; the clock ticks on.
    trickle = [item for i, item in enumerate(rest) if i % 400 == 0]
    now = cut + 1800.0
    opened_at = None
    while now < due + 600:
        now += 15.0
        while trickle and trickle[0][0] <= now:
            t, s = trickle.pop(0)
            feed.receive(0, t, s)
        feed.idle(now)
        gaps = [a for a in alerts if a.kind == "gap" and a.mmsi == DARK]
        if gaps and opened_at is None:
            opened_at = now
            assert gaps[0].status == "open"
            assert gaps[0].start.timestamp() == cut
    assert opened_at is not None, "the gap never opened"
    assert due < opened_at <= due + 15.0
    # Other vessels were heard while the dark one was silent.
    assert feed.health_of[0].messages > 1000


def test_live_lateness_default_yields_to_the_settings_file_and_the_option(
        tmp_path: Path) -> None:
    import argparse

    from mda.commands.common import add_detection_args
    from mda.commands.live import live_settings
    from mda.live import LIVE_LATENESS_S

    p = argparse.ArgumentParser()
    add_detection_args(p)
    cfg = tmp_path / "mda.toml"
    cfg.write_text("[ingest]\nallowed_lateness_s = 60.0\n", encoding="utf-8")
    plain = tmp_path / "plain.toml"
    plain.write_text("[gap]\nthreshold_h = 3.0\n", encoding="utf-8")

    def lateness(*argv: str) -> float:
        settings, _ = live_settings(p.parse_args(["--no-shore", *argv]))
        return float(settings.ingest.allowed_lateness_s)

    assert lateness() == LIVE_LATENESS_S
    assert lateness("--config", str(plain)) == LIVE_LATENESS_S
    assert lateness("--config", str(cfg)) == 60.0
    assert lateness("--config", str(cfg), "--lateness", "5") == 5.0
