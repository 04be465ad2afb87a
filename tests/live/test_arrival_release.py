"""Alerts within a second on a live feed (issue 10): records timed on arrival are released to
the detectors at once (their own lateness, ``arrival_lateness_s``, is 0 by default), records
that carry their own time keep the allowed lateness, and the watermark is the lower of the two.
Arrival stamps are kept non-decreasing, so none is ever too late."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pyais.encode import encode_dict

from mda.live import LiveFeed
from mda.records import TIME_ARRIVAL, Alert, PositionReport
from mda.runner import EmbeddedRunner
from mda.settings import Settings, preset_settings
from tests.live.feed import capture, tag_blocked

LATENESS_S = 10.0
T0 = 1_800_000_000.0


class Quiet:
    """A source that is never read (the test steps the feed itself)."""

    state = "connected"
    connects = 1

    def __init__(self, name: str) -> None:
        self.name = name

    def timed_lines(self) -> list[tuple[float, bytes]]:
        return []


def _feed(settings: Settings | None = None, sources: int = 1) -> tuple[
        LiveFeed, list[Alert], list[PositionReport]]:
    s = settings or preset_settings()
    s = replace(s, ingest=replace(s.ingest, allowed_lateness_s=LATENESS_S))
    alerts: list[Alert] = []
    released: list[PositionReport] = []
    runner = EmbeddedRunner(s, on_alert=alerts.append, on_position=released.append)
    feed = LiveFeed(runner, [Quiet(f"tcp://127.0.0.1:{10110 + i}") for i in range(sources)],
                    clock=lambda: T0)
    return feed, alerts, released


def _invalid_mmsi_report(mmsi: int = 200_000_123) -> bytes:
    (sentence,) = encode_dict({"type": 1, "mmsi": mmsi, "lat": 18.6, "lon": -66.4,
                               "speed": 8.0, "course": 90.0}, talker_id="AI")
    return sentence.encode()


def test_an_arrival_timed_record_reaches_the_detectors_at_once(shared: Path) -> None:
    feed, alerts, released = _feed()
    lines = [s for _, s in capture(shared, 2000)]
    for i, s in enumerate(lines):
        feed.receive(0, T0 + i * 0.01, s)
    runner = feed.runner
    # Nothing held back: every position decoded so far went to the detectors, and the
    # watermark is the newest arrival time (not 10 s behind it).
    assert runner.stats.positions > 1000
    assert len(released) == runner.stats.positions
    assert runner.watermark is not None and runner.watermark == runner.max_event_ts
    assert abs(runner.watermark - (T0 + (len(lines) - 1) * 0.01)) < 0.02
    # A sentence that proves an event raises its alert inside receive(), before any tick.
    before = len(alerts)
    feed.receive(0, T0 + 30.0, _invalid_mmsi_report())
    new = alerts[before:]
    assert [(a.kind, a.mmsi, a.evidence["reason"]) for a in new] == [
        ("spoofing", 200_000_123, "invalid_mmsi")]
    assert new[0].start.timestamp() == T0 + 30.0
    assert released[-1].mmsi == 200_000_123 and released[-1].time_source == TIME_ARRIVAL


def test_with_arrival_lateness_set_the_record_waits(shared: Path) -> None:
    s = preset_settings()
    s = replace(s, ingest=replace(s.ingest, arrival_lateness_s=5.0))
    feed, alerts, _ = _feed(s)
    feed.receive(0, T0, _invalid_mmsi_report())
    assert alerts == [] and feed.runner.watermark == T0 - 5.0
    for s_ in [x for _, x in capture(shared, 200)]:
        feed.receive(0, T0 + 5.0, s_)
    assert [a.mmsi for a in alerts if a.mmsi == 200_000_123] == [200_000_123]


def test_tag_timed_records_keep_the_allowed_lateness_and_the_lower_frontier_wins(
        shared: Path) -> None:
    feed, _, released = _feed(sources=2)
    lines = [s for _, s in capture(shared, 400)]
    # Source 0 sends tag-blocked lines (the sender's time), source 1 plain ones.
    for i, s in enumerate(lines[:200]):
        feed.receive(0, T0 + i * 0.01, tag_blocked(T0 + i * 0.01, s))
    runner = feed.runner
    assert runner.max_event_ts is not None
    assert runner.watermark == runner.max_event_ts - LATENESS_S  # tag-timed only: held back
    held = runner.stats.positions - len(released)
    assert held > 50
    for i, s in enumerate(lines[200:]):
        feed.receive(1, T0 + 2.0 + i * 0.01, s)
    # Both kinds: the watermark is the tag frontier (the lower), so nothing jumps ahead of
    # the tag-timed records still within their lateness.
    newest_tag = int(T0 + 199 * 0.01)  # the tag block's c: is whole seconds
    assert runner.watermark == newest_tag - LATENESS_S
    assert runner.stats.rejected.get("too_late", 0) == 0


def test_arrival_stamps_are_kept_non_decreasing_so_none_is_too_late(shared: Path) -> None:
    feed, _, released = _feed(sources=2)
    lines = [s for _, s in capture(shared, 600)]
    # Two reader threads raced: source 1's lines were stamped earlier than source 0's last
    # but reached the loop after them (and then the wall clock stepped back a second).
    for s in lines[:300]:
        feed.receive(0, T0 + 10.0, s)
    for s in lines[300:450]:
        feed.receive(1, T0 + 9.7, s)
    for s in lines[450:]:
        feed.receive(1, T0 + 9.0, s)
    runner = feed.runner
    assert runner.stats.rejected.get("too_late", 0) == 0
    assert len(released) == runner.stats.positions > 300
    assert all(r.ts is not None and r.ts.timestamp() == T0 + 10.0 for r in released)
    # Health still says when each line really arrived.
    assert feed.health_of[1].last_message == T0 + 9.0
