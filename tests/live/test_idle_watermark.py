"""Time moves when the feed is quiet (issue 10): in live mode the watermark follows the
(injected) wall clock, so a vessel that stops transmitting opens its gap at the threshold even
when the feed has gone quiet; the other vessels keep the feed going first."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pyais import decode

from detectors.gap import GapSettings
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
    # one receiver's fringe: off
    gap = replace(s.detector("gap", GapSettings), fringe_min_vessels=10**6)
    return replace(s, detectors={**s.detectors, "gap": gap},
                   ingest=replace(s.ingest, allowed_lateness_s=LATENESS_S))


def _is_position(sentence: bytes) -> bool:
    try:
        return int(decode(sentence).msg_type) in (1, 2, 3, 18, 19, 27)
    except Exception:
        return False


def _mmsi(sentence: bytes) -> int | None:
    try:
        return int(decode(sentence).mmsi)
    except Exception:
        return None


def test_a_vessel_that_goes_dark_opens_its_gap_on_the_wall_clock(shared: Path) -> None:
    lines = capture(shared)
    settings = _settings()
    threshold_s = settings.detector("gap", GapSettings).threshold_h * 3600.0
    dark_times = [t for t, s in lines if _mmsi(s) == DARK]
    cut = dark_times[len(dark_times) // 2]
    alerts: list[Alert] = []
    feed = LiveFeed(EmbeddedRunner(settings, on_alert=alerts.append), [Quiet()],
                    clock=lambda: 0.0)
    # A quiet feed (one receiver on a quiet coast): the dark vessel's reports up to its last
    # one, and another vessel's position every two minutes throughout. Each bare sentence
    # arrives at its capture time (the fake clock). (A busy feed that falls to such a trickle
    # is a feed outage, a rate collapse: test_a_silent_feed_is_a_feed_outage... below.)
    quiet: list[tuple[float, bytes]] = []
    last_other = float("-inf")
    for t, s in lines:
        mmsi = _mmsi(s)
        if mmsi == DARK:
            if t <= cut:
                quiet.append((t, s))
        elif t - last_other >= 120.0 and _is_position(s):
            quiet.append((t, s))
            last_other = t
    due = cut + threshold_s + LATENESS_S  # the watermark passes last report + threshold
    now = quiet[0][0]
    opened_at = None
    heard_while_dark = 0
    while now < due + 600:
        now += 15.0
        while quiet and quiet[0][0] <= now:
            t, s = quiet.pop(0)
            feed.receive(0, t, s)
            heard_while_dark += t > cut
        feed.idle(now)
        gaps = [a for a in alerts if a.kind == "gap" and a.mmsi == DARK]
        if gaps and opened_at is None:
            opened_at = now
            assert gaps[0].status == "open"
            assert gaps[0].start.timestamp() == cut
    assert opened_at is not None, "the gap never opened"
    assert due < opened_at <= due + 15.0
    # Other vessels were heard while the dark one was silent, and the feed was not down.
    assert heard_while_dark > 50
    assert not [a for a in alerts if a.kind == "feed_outage"]


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


def stop_the_feed(shared: Path, settings: Settings) -> list[Alert]:
    alerts: list[Alert] = []
    feed = LiveFeed(EmbeddedRunner(settings, on_alert=alerts.append), [Quiet()],
                    clock=lambda: 0.0)
    feed_then_silence(feed, shared)
    return alerts


def feed_then_silence(feed: LiveFeed, shared: Path) -> None:
    """Feed 40 minutes of the capture around midday as received, then nothing at all; the
    (fake) wall clock runs on for 3 hours. (tests/streaming/test_live_ingest.py steps the
    Kafka ingest's feed the same way.)"""
    lines = capture(shared)
    start = lines[0][0] + 11 * 3600.0
    last = None
    for t, s in lines:
        if t < start:
            continue
        if t > start + 2400:
            break
        feed.receive(0, t, s)
        feed.idle(t)
        last = t
    assert last is not None
    now = last
    while now < last + 3 * 3600.0:
        now += 30.0
        feed.idle(now)


def test_a_silent_feed_is_a_feed_outage_not_a_fleet_of_dark_vessels(shared: Path) -> None:
    alerts = stop_the_feed(shared, _settings())
    outages = [a for a in alerts if a.kind == "feed_outage"]
    assert [a.status for a in outages] == ["open"]
    assert outages[0].evidence["source"] == Quiet.name
    assert [a for a in alerts if a.kind == "gap"] == []
    # Without the feed rule, the vessels under way when it stopped would all go dark.
    s = _settings()
    blind = replace(s, detectors={**s.detectors, "gap": replace(
        s.detector("gap", GapSettings), feed_aware=False, check_coverage=False)})
    assert len({a.mmsi for a in stop_the_feed(shared, blind) if a.kind == "gap"}) >= 2
