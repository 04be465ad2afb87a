"""TrackCollector: thinning as reports come, bounded memory, drawable segments, budget."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from maps.tracks import TrackCollector
from mda.records import PositionReport
from mda.synthetic import epoch, legs, track

T0 = epoch("2024-03-12T00:00:00Z")


def test_thins_by_time_and_keeps_the_latest_report() -> None:
    c = TrackCollector(min_interval_s=120)
    reports = track(311000001, T0, 15.0, -70.0, 12.0, 90.0, 10, 2 * 3600)
    for r in reports:
        c.add(r)
    t, lat, lon = c.track(311000001)
    assert c.reports == len(reports) == 721
    assert 60 <= len(t) <= 62  # one point per 2 min, plus the latest
    assert t[0] == reports[0].epoch_s and t[-1] == reports[-1].epoch_s
    assert (lat[-1], lon[-1]) == pytest.approx((reports[-1].lat, reports[-1].lon), abs=1e-5)
    assert c.latest(311000001) == reports[-1]
    assert np.all(np.diff(t) > 0)


def test_a_turn_is_kept_even_between_intervals() -> None:
    c = TrackCollector(min_interval_s=600, turn_deg=25)
    reports = legs(311000002, T0, 15.0, -70.0, [(10.0, 90.0, 0.45), (10.0, 180.0, 0.5)],
                   every_s=60)
    for r in reports:
        c.add(r)
    t, _, _ = c.track(311000002)
    turn = T0.timestamp() + 0.45 * 3600  # between two 10-minute points
    assert any(abs(x - turn) <= 60 for x in t)  # the corner survives


def test_memory_is_bounded_per_vessel() -> None:
    c = TrackCollector(min_interval_s=60, max_points_per_vessel=64)
    reports = track(311000003, T0, 15.0, -70.0, 8.0, 45.0, 60, 24 * 3600)
    for r in reports:
        c.add(r)
    t, _, _ = c.track(311000003)
    assert len(t) <= 65
    assert t[0] == reports[0].epoch_s and t[-1] == reports[-1].epoch_s
    gaps = np.diff(t)
    assert gaps.max() <= 2 * gaps.min() + 60  # still evenly spread after halving


def test_untimed_and_older_reports_are_not_drawn() -> None:
    c = TrackCollector()
    a = track(311000004, T0, 15.0, -70.0, 8.0, 45.0, 300, 3600)
    for r in a:
        c.add(r)
    c.add(replace(a[0], ts=None))
    c.add(replace(a[3], lat=0.0))  # older than the latest: ignored
    t, lat, _ = c.track(311000004)
    assert len(t) == len(a) and 0.0 not in lat
    assert c.reports == len(a) + 1  # the untimed one is not counted


def test_segments_split_at_long_silences_and_the_antimeridian() -> None:
    c = TrackCollector(min_interval_s=60, max_gap_s=3 * 3600)
    dark = track(311000005, T0, 15.0, -70.0, 10.0, 90.0, 120, 2 * 3600)
    back = track(311000005, T0 + timedelta(hours=6), 15.2, -69.0, 10.0, 90.0, 120, 3600)
    east = track(311000006, T0, -17.0, 179.8, 12.0, 90.0, 120, 2 * 3600)  # crosses 180
    for r in sorted(dark + back + east, key=lambda r: (r.ts, r.mmsi)):
        c.add(r)
    segs = [s for s in c.segments() if s.mmsi == 311000005]
    assert len(segs) == 2
    assert segs[0].t[-1] < T0.timestamp() + 3 * 3600 < segs[1].t[0]
    east_segs = [s for s in c.segments() if s.mmsi == 311000006]
    assert len(east_segs) == 2
    assert east_segs[0].lon.min() > 0 and east_segs[1].lon.max() < 0
    for s in east_segs:
        assert np.abs(np.diff(s.lon)).max() < 180


def test_a_point_budget_simplifies_every_track_together() -> None:
    c = TrackCollector(min_interval_s=60)
    rng = np.random.default_rng(3)
    for v in range(200):
        plan = [(10.0, float(rng.uniform(0, 360)), 0.5) for _ in range(6)]
        for r in legs(200000000 + v, T0, 15 + v * 0.01, -70.0, plan, every_s=60):
            c.add(r)
    total = sum(len(s) for s in c.segments())
    assert total > 30_000
    segs = c.segments(5_000)
    assert sum(len(s) for s in segs) <= 5_000
    for s in segs:
        assert len(s.t) == len(s.lat) == len(s.lon) >= 2
        assert np.all(np.diff(s.t) > 0)
        full_t, full_lat, full_lon = c.track(s.mmsi)
        assert s.t[0] == full_t[0] and s.t[-1] == full_t[-1]  # ends kept
        # Every kept point is one of the vessel's own points, with its own time.
        idx = np.searchsorted(full_t, s.t)
        assert np.allclose(full_lat[idx], s.lat) and np.allclose(full_lon[idx], s.lon)


def test_position_at_interpolates_and_refuses_far_times() -> None:
    c = TrackCollector(min_interval_s=60)
    for r in track(311000007, T0, 15.0, -70.0, 10.0, 0.0, 600, 3600):
        c.add(r)
    lat, lon = c.position_at(311000007, T0.timestamp() + 300) or (0.0, 0.0)
    assert lat == pytest.approx(15.0 + 10.0 * (300 / 3600) / 60.0, abs=1e-4)
    assert lon == pytest.approx(-70.0)
    assert c.position_at(311000007, T0.timestamp() + 6 * 3600) is None
    assert c.position_at(999, T0.timestamp()) is None


def test_report_order_across_vessels_does_not_matter() -> None:
    reports = [PositionReport(T0 + timedelta(minutes=i), m, 15.0 + i / 100, -70.0, 5.0, 0.0,
                              0, 0, 1) for i in range(30) for m in (1, 2)]
    a, b = TrackCollector(), TrackCollector()
    for r in reports:
        a.add(r)
    for r in sorted(reports, key=lambda r: (r.mmsi, r.ts)):
        b.add(r)
    for m in (1, 2):
        assert all(np.array_equal(x, y) for x, y in zip(a.track(m), b.track(m), strict=True))
