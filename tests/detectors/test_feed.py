"""Feed outages (detectors/feed.py) and the gap detector's use of them: a receiving station
that goes down raises ``feed_outage``, and the vessels last heard only through it are not
called dark; a vessel that falls silent while its station keeps hearing others still is."""

from __future__ import annotations

import csv
import gzip
import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from detectors.feed import COLLAPSE, SILENT, FeedDetector, FeedSettings, SourceWatch
from detectors.gap import GapDetector, GapSettings
from mda.records import Alert, PositionReport
from mda.runner import EmbeddedRunner
from mda.settings import Settings, preset_settings
from mda.synthetic import drop_between, epoch, track
from tests.helpers import drive, ts_of

T0 = epoch("2024-05-01T00:00:00Z")
H = 3600.0


def at(source: str, reports: list[PositionReport]) -> list[PositionReport]:
    return [replace(r, source=source) for r in reports]


def fleet(source: str, first_mmsi: int, n: int, hours: float, lat: float = 15.0,
          every_s: float = 60.0) -> list[PositionReport]:
    """``n`` vessels under way in open water, heard through ``source`` every ``every_s``."""
    out: list[PositionReport] = []
    for i in range(n):
        out += at(source, track(first_mmsi + i, T0, lat + 0.02 * i, -70.0, 10.0, 90.0,
                                every_s, hours * H))
    return out


def ticking(detector: FeedDetector, reports: list[PositionReport],
            every_s: float = 60.0) -> list[Alert]:
    """Like ``drive``, and the watermark also moves every ``every_s`` between reports (a live
    feed's idle clock), so an outage is seen while the source is silent."""
    ticks = []
    t, end = T0.timestamp(), max(ts_of(r) for r in reports).timestamp()
    while t < end:
        t += every_s
        ticks.append(t)
    alerts: list[Alert] = []
    items = sorted([(ts_of(r).timestamp(), 0, r) for r in reports]
                   + [(x, 1, None) for x in ticks], key=lambda i: (i[0], i[1]))
    for ts, _, r in items:
        alerts += detector.advance(ts)
        if r is not None:
            alerts += detector.step(r, ts)
    return alerts


def runner_alerts(reports: list[PositionReport], settings: Settings | None = None,
                  until_s: float | None = None) -> tuple[list[Alert], EmbeddedRunner]:
    alerts: list[Alert] = []
    runner = EmbeddedRunner(settings or preset_settings("watch"), alerts.append)
    runner.feed((r, ts_of(r).timestamp(), [])
                for r in sorted(reports, key=lambda r: (r.ts, r.mmsi)))
    runner.finish(None if until_s is None else datetime.fromtimestamp(until_s, UTC))
    return alerts, runner


def test_a_silent_source_opens_an_outage_and_closes_when_heard_again() -> None:
    reports = fleet("rx1", 311000001, 3, 6.0)
    down_from, down_to = T0 + timedelta(hours=2), T0 + timedelta(hours=3)
    reports = drop_between(reports, down_from, down_to)
    alerts = ticking(FeedDetector(FeedSettings()), reports)
    assert [a.status for a in alerts] == ["open", "closed"]
    opened, closed = alerts
    assert opened.alert_id == closed.alert_id and opened.kind == "feed_outage"
    last_before = max(ts_of(r) for r in reports if ts_of(r) < down_from)
    assert opened.start == last_before
    assert opened.evidence["source"] == "rx1" and opened.evidence["reason"] == SILENT
    # Opened once the silence passed what is allowed (30 times its usual 60 s), not before.
    allowed = opened.evidence["silence_allowed_s"]
    assert allowed == 30 * 60
    detected = datetime.fromisoformat(opened.evidence["detected_at"].replace("Z", "+00:00"))
    assert allowed < (detected - last_before).total_seconds() <= allowed + 60
    # A replay without idle ticks sees it when the source returns, with the same alert.
    replayed = drive(FeedDetector(FeedSettings()), reports)
    assert [(a.alert_id, a.status, a.end) for a in replayed] == [
        (a.alert_id, a.status, a.end) for a in alerts]
    assert closed.end == min(ts_of(r) for r in reports if ts_of(r) >= down_to)


def test_a_quiet_source_is_judged_by_its_own_usual_interval() -> None:
    # One report every 5 minutes: a 20-minute hole is not an outage (30 x 5 min allowed) ...
    reports = fleet("rx1", 311000001, 3, 12.0, every_s=300.0)
    holed = drop_between(reports, T0 + timedelta(hours=3), T0 + timedelta(hours=3, minutes=20))
    assert drive(FeedDetector(FeedSettings()), holed) == []
    # ... a 3-hour hole is.
    holed = drop_between(reports, T0 + timedelta(hours=3), T0 + timedelta(hours=6))
    assert [a.status for a in drive(FeedDetector(FeedSettings()), holed)] == ["open", "closed"]


def test_a_few_tracks_are_not_a_feed() -> None:
    # Two vessels' tracks (a file of hand-picked tracks): their common silence is theirs.
    reports = drop_between(fleet("rx1", 311000001, 2, 6.0), T0 + timedelta(hours=2),
                           T0 + timedelta(hours=5))
    assert ticking(FeedDetector(FeedSettings()), reports) == []
    alerts, _ = runner_alerts(reports)
    assert {a.mmsi for a in alerts if a.kind == "gap"} == {311000001, 311000002}


def test_a_collapsed_rate_is_an_outage_on_a_busy_feed() -> None:
    # 80 vessels every 60 s: 800 positions per 10-minute window. From 3 h to 4 h, only one of
    # them is still heard (the receiver's antenna failing): under a tenth of the usual rate.
    reports = fleet("rx1", 311000001, 80, 6.0, lat=10.0)
    keep = 311000001
    reports = [r for r in reports if r.mmsi == keep or not (
        T0 + timedelta(hours=3) <= ts_of(r) < T0 + timedelta(hours=4))]
    alerts = drive(FeedDetector(FeedSettings()), reports)
    assert [a.status for a in alerts] == ["open", "closed"]
    assert alerts[0].evidence["reason"] == COLLAPSE
    assert alerts[0].start == T0 + timedelta(hours=3)
    assert alerts[1].end is not None and alerts[1].end <= T0 + timedelta(hours=4, minutes=20)
    # A feed that was never busy is not judged by its rate (traffic at night falls as far).
    few = [r for r in fleet("rx1", 311000001, 4, 6.0)
           if r.mmsi == keep
           or not (T0 + timedelta(hours=3) <= ts_of(r) < T0 + timedelta(hours=4))]
    assert drive(FeedDetector(FeedSettings()), few) == []


def _two_stations() -> tuple[list[PositionReport], set[int], set[int]]:
    """Station rx1 hears three vessels, rx2 three others; rx2 goes down for good at 3 h."""
    a = fleet("rx1", 311000001, 3, 8.0, lat=14.0)
    b = fleet("rx2", 311000101, 3, 8.0, lat=16.0)
    b = [r for r in b if ts_of(r) < T0 + timedelta(hours=3)]
    return a + b, {r.mmsi for r in a}, {r.mmsi for r in b}


def test_vessels_heard_only_through_a_down_station_do_not_go_dark() -> None:
    reports, _, on_rx2 = _two_stations()
    alerts, runner = runner_alerts(reports, until_s=T0.timestamp() + 8 * H)
    assert not [a for a in alerts if a.kind == "gap"]
    outages = [a for a in alerts if a.kind == "feed_outage"]
    assert {a.evidence["source"] for a in outages} == {"rx2"}
    assert [a.status for a in outages] == ["open"]
    gap = next(d for d in runner.detectors if d.name == "gap")
    assert gap.counters["feed_outage"] == len(on_rx2)
    # The rule is what keeps them quiet: without it, rx2's three vessels go dark.
    s = preset_settings("watch")
    blind = replace(s, detectors={**s.detectors, "gap": replace(
        s.detector("gap", GapSettings), feed_aware=False, check_coverage=False)})
    alerts, _ = runner_alerts(reports, blind, until_s=T0.timestamp() + 8 * H)
    assert {a.mmsi for a in alerts if a.kind == "gap"} == on_rx2


def test_a_vessel_silent_while_its_station_hears_others_goes_dark() -> None:
    reports, on_rx1, _ = _two_stations()
    dark = min(on_rx1)
    reports = [r for r in reports
               if not (r.mmsi == dark and ts_of(r) >= T0 + timedelta(hours=2))]
    alerts, _ = runner_alerts(reports, until_s=T0.timestamp() + 8 * H)
    assert {a.mmsi for a in alerts if a.kind == "gap"} == {dark}


def test_a_station_that_fails_long_after_the_vessel_fell_silent_does_not_hide_it() -> None:
    # The vessel was silent for 3 h (over the 2 h threshold) while rx1 still heard the others;
    # rx1 failing afterwards does not excuse that silence.
    a = fleet("rx1", 311000001, 3, 8.0, lat=14.0)
    dark = 311000001
    a = [r for r in a if not (r.mmsi == dark and ts_of(r) >= T0 + timedelta(hours=1))]
    a = [r for r in a if ts_of(r) < T0 + timedelta(hours=4)]
    settings = preset_settings("watch")
    late = replace(settings, detectors={**settings.detectors, "gap": GapSettings(
        threshold_h=2.0, check_coverage=False)})
    alerts, _ = runner_alerts(a, late, until_s=T0.timestamp() + 8 * H)
    assert dark in {x.mmsi for x in alerts if x.kind == "gap"}


# -- real data -----------------------------------------------------------------------------

GIBRALTAR = "regional/marinetraffic_gibraltar_strait_2016-06-01_sample.csv.gz"


def test_holes_in_a_real_feed_are_reported_as_outages(shared: Path) -> None:
    """The MarineTraffic Gibraltar sample has hours without a single row: each hole longer than
    the allowed silence is one feed_outage, from the last row before it to the first after."""
    path = shared / GIBRALTAR
    with gzip.open(path, "rt", encoding="utf-8") as f:
        times = sorted(datetime.strptime(row["TIMESTAMP_UTC"], "%Y-%m-%d %H:%M:%S")
                       .replace(tzinfo=UTC) for row in csv.DictReader(f, delimiter=";"))
    holes = [(a, b) for a, b in itertools.pairwise(times)
             if (b - a).total_seconds() > 1800]  # well past any allowed silence here
    assert len(holes) >= 3
    from ingest.sources import Source

    alerts: list[Alert] = []
    runner = EmbeddedRunner(preset_settings("watch"), alerts.append)
    runner.run([Source.open(str(path))])
    closed = {(a.start, a.end) for a in alerts if a.kind == "feed_outage"
              and a.status == "closed"}
    for start, end in holes:
        assert any(s <= start + timedelta(seconds=1) and e is not None
                   and abs((e - end).total_seconds()) <= 1 for s, e in closed), (start, end)


@pytest.mark.parametrize("reason", [SILENT])
def test_outage_alerts_say_what_was_measured(reason: str) -> None:
    reports = drop_between(fleet("rx1", 311000001, 3, 6.0), T0 + timedelta(hours=2),
                           T0 + timedelta(hours=3))
    opened = drive(FeedDetector(FeedSettings()), reports)[0]
    assert opened.evidence["reason"] == reason
    assert "rx1" in opened.summary and "position" in opened.summary
    assert opened.mmsi == 0 and opened.evidence["vessels_heard"] == 3


def test_the_gap_detector_reads_the_feed_detectors_watch_heard_once_per_report() -> None:
    reports, _, _ = _two_stations()
    _, runner = runner_alerts(reports, until_s=T0.timestamp() + 8 * H)
    gap = next(d for d in runner.detectors if d.name == "gap")
    feed = next(d for d in runner.detectors if d.name == "feed")
    assert isinstance(gap, GapDetector) and isinstance(feed, FeedDetector)
    assert gap._feed is feed.watch  # one SourceWatch, not a copy per detector
    assert sum(s.messages for s in feed.watch.sources.values()) == len(reports)
    # Without the feed detector, the gap detector keeps (and feeds) its own.
    s = preset_settings("watch")
    off = replace(s, detectors={**s.detectors, "feed": replace(s.detectors["feed"],
                                                                 enabled=False)})
    alerts, runner = runner_alerts(reports, off, until_s=T0.timestamp() + 8 * H)
    gap = next(d for d in runner.detectors if d.name == "gap")
    assert isinstance(gap, GapDetector) and isinstance(gap._feed, SourceWatch)
    assert sum(s.messages for s in gap._feed.sources.values()) == len(reports)
    assert not [a for a in alerts if a.kind in ("gap", "feed_outage")]
