"""Live runs do not grow without bound (issue 10): vessels not heard for ``evict_after_s``
(event time) are dropped from every detector's state, from the runner's ticks. A long
synthetic live run with churning vessels (new ones every hour, each heard for two hours, then
never again) keeps a flat state with eviction and a growing one without; a vessel whose gap
is open is kept until it is heard again and the gap closes."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import UTC, datetime

from detectors.gap import GapDetector, GapSettings
from detectors.rendezvous import RendezvousDetector
from detectors.spoofing import SpoofingDetector
from mda.live import LiveFeed
from mda.records import Alert
from mda.runner import EmbeddedRunner
from mda.settings import Settings, preset_settings
from mda.synthetic import position_nmea, track, with_status
from tests.helpers import drive
from tests.live.test_arrival_release import Quiet

T0 = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = 3600.0
EVERY_S = 300.0  # each vessel reports every 5 minutes


def _settings(evict_after_s: float) -> Settings:
    s = preset_settings()
    return replace(s, ingest=replace(s.ingest, allowed_lateness_s=10.0,
                                     evict_after_s=evict_after_s))


def _cohort(hour: int, n: int = 12) -> list[tuple[float, bytes]]:
    """``n`` vessels first heard at ``hour``, under way for two hours, then silent: (arrival
    time, sentence) of their reports. Fresh MMSIs every hour (a churning live picture)."""
    out: list[tuple[float, bytes]] = []
    start = T0.timestamp() + hour * HOUR
    for k in range(n):
        mmsi = 366_000_000 + hour * 100 + k
        # each hour's cohort further east: new reception cells, never visited again
        lat, lon = 15.0 + (k % 4) * 0.5, -70.0 + hour * 0.3 + (k // 4) * 0.1
        sog = 1.0 if k % 3 == 0 else 10.0  # a third slow: rendezvous and loitering hold them
        for r in track(mmsi, datetime.fromtimestamp(start + k * 7, UTC), lat, lon, sog,
                       45.0 + k * 20, EVERY_S, 2 * HOUR):
            assert r.ts is not None
            out += [(r.ts.timestamp(), s.encode()) for s in position_nmea(r)]
    return out


def _run(hours: int, evict_after_s: float) -> tuple[LiveFeed, dict[int, int], list[Alert]]:
    """The live loop stepped on a fake clock: lines as they arrive, a tick every 5 minutes.
    Returns the feed and the size of the detectors' pickled state at every 12th hour."""
    alerts: list[Alert] = []
    runner = EmbeddedRunner(_settings(evict_after_s), on_alert=alerts.append)
    feed = LiveFeed(runner, [Quiet("tcp://127.0.0.1:10110")], clock=lambda: 0.0)
    pending = sorted(x for h in range(hours) for x in _cohort(h))
    sizes: dict[int, int] = {}
    now = T0.timestamp()
    i = 0
    step = 0
    while now <= T0.timestamp() + hours * HOUR:
        while i < len(pending) and pending[i][0] <= now:
            feed.receive(0, pending[i][0], pending[i][1])
            i += 1
        feed.idle(now)
        step += 1
        if step % int(12 * HOUR / EVERY_S) == 0:
            sizes[round((now - T0.timestamp()) / HOUR)] = len(pickle.dumps(runner.detectors))
        now += EVERY_S
    return feed, sizes, alerts


def test_state_stays_flat_over_a_long_run_with_churning_vessels() -> None:
    hours = 72
    feed, sizes, _ = _run(hours, evict_after_s=6 * HOUR)
    _, grown, _ = _run(hours, evict_after_s=0.0)
    runner = feed.runner
    assert runner.stats.positions > hours * 12 * 20
    assert runner.evicted > hours * 12  # each vessel dropped by several detectors
    # With eviction: after the first day, the state is what the last hours hold.
    late = [sizes[h] for h in (24, 36, 48, 60, 72)]
    assert max(late) <= 1.1 * min(late), sizes
    # Without: it grows with every vessel ever heard.
    assert grown[72] > 2.5 * grown[24], grown
    assert sizes[72] < grown[72] / 3
    # What each detector holds is the recent vessels: none last heard more than 6 h (and
    # one eviction period) ago, unless an alert of theirs is open.
    wm = runner.watermark
    assert wm is not None
    horizon = wm - 6.6 * HOUR
    det = {d.name: d for d in runner.detectors}
    gap = det["gap"]
    assert isinstance(gap, GapDetector)
    assert gap._vessels and all(v.last_t >= horizon or v.open_alert
                                for v in gap._vessels.values())
    spoof = det["spoofing"]
    assert isinstance(spoof, SpoofingDetector)
    assert spoof._ids and all(max(tr.t for tr in i.tracks) >= horizon or i.open
                              for i in spoof._ids.values())
    rdv = det["rendezvous"]
    assert isinstance(rdv, RendezvousDetector)
    assert rdv._vessels and all(v.t >= horizon for v in rdv._vessels.values())
    # The gap detector's reception map is the recent picture too: the cells heard lately.
    assert gap._coverage.keys() == gap._coverage_t.keys()
    assert all(t >= horizon for t in gap._coverage_t.values())
    assert sum(len(m) for m in rdv._grid.values()) == len(rdv._vessels)


def test_zone_state_of_silent_vessels_is_dropped_unless_an_alert_is_open() -> None:
    import shapely

    from detectors.base import DetectorContext
    from detectors.zone import ZoneDetector, ZoneSettings
    from zones.catalogue import Zone, ZoneRule

    zone = Zone("pr-restricted", "Test restricted area", "restricted", "USA",
                shapely.box(-66.6, 17.6, -65.9, 17.95),
                ZoneRule(ship_types=None, foreign_only=False, severity="high"))

    def zones_at(lat: float, lon: float) -> list[Zone]:
        return [zone] if zone.geometry.contains(shapely.Point(lon, lat)) else []

    s = preset_settings()
    det = ZoneDetector(s.detector("zone", ZoneSettings), DetectorContext(zones_at=zones_at))
    inside = track(367_000_001, T0, 17.8, -66.3, 3.0, 90.0, 60.0, 1800.0)
    outside = track(367_000_002, T0, 16.0, -66.3, 3.0, 90.0, 60.0, 1800.0)
    alerts = drive(det, inside + outside)
    assert [a.kind for a in alerts if a.mmsi == 367_000_001] == ["zone_entry"]
    assert det.evict(T0.timestamp() + 30 * HOUR) == 1  # the one outside; the entry stays
    assert set(det._seen) == {367_000_001} and set(det._visits) == {367_000_001}


def test_a_vessel_whose_gap_is_open_is_kept_until_it_is_heard_again() -> None:
    s = preset_settings()
    gap_settings = replace(s.detector("gap", GapSettings), fringe_min_vessels=10**6)
    det = GapDetector(gap_settings)
    dark = track(338_123_456, T0, 18.0, -66.0, 12.0, 90.0, 60.0, 2 * HOUR)
    other = track(338_654_321, T0, 16.0, -64.0, 12.0, 270.0, 60.0, 2 * HOUR)
    t_end = T0.timestamp() + 2 * HOUR
    threshold_s = gap_settings.threshold_h * HOUR
    alerts = drive(det, dark + other, until=t_end + threshold_s + 60)
    opened = [a for a in alerts if a.kind == "gap" and a.status == "open"]
    assert {a.mmsi for a in opened} == {338_123_456, 338_654_321}
    # A day later both are still dark: eviction keeps them (their gaps are open) ...
    assert det.evict(t_end + 30 * HOUR) == 0
    assert set(det._vessels) == {338_123_456, 338_654_321}
    # ... and when one is heard again its gap closes as it would without eviction.
    back = with_status(track(338_123_456, datetime.fromtimestamp(t_end + 31 * HOUR, UTC),
                             18.5, -64.0, 0.0, 90.0, 60.0, 600.0), 5)  # moored now
    later = drive(det, back, until=t_end + 60 * HOUR)
    closed = [a for a in later if a.kind == "gap" and a.mmsi == 338_123_456]
    assert closed and closed[0].status == "closed" and closed[0].alert_id == next(
        a.alert_id for a in opened if a.mmsi == 338_123_456)
    assert not [a for a in later if a.status == "open"]  # moored: its silence is no gap
    # A vessel whose silence was settled (heard again, gap closed) is dropped once old.
    assert det.evict(t_end + 60 * HOUR) == 1
    assert set(det._vessels) == {338_654_321}
