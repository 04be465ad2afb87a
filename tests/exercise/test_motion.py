"""Tracks and the ITU-R M.1371 reporting schedule."""

from __future__ import annotations

import numpy as np
import pytest

from mda.exercise.motion import TrackBuilder, report_interval_s, report_times
from mda.geo import haversine_m
from mda.records import NAV_AT_ANCHOR, NAV_MOORED


@pytest.mark.parametrize(("class_b", "sog", "status", "want"), [
    (False, 0.0, NAV_MOORED, 180), (False, 2.9, NAV_AT_ANCHOR, 180),
    (False, 4.0, NAV_AT_ANCHOR, 10), (False, 0.0, 0, 10), (False, 13.9, 0, 10),
    (False, 14.1, 0, 6), (False, 22.9, 0, 6), (False, 23.1, 0, 2),
    (True, 1.9, 0, 180), (True, 2.1, 0, 30), (True, 25.0, 0, 30),
])
def test_report_interval_table(class_b: bool, sog: float, status: int, want: int) -> None:
    assert report_interval_s(class_b, sog, status) == want


def test_report_times_follow_speed_and_status() -> None:
    b = TrackBuilder(0.0, 15.0, -70.0)
    b.wait(3600.0, NAV_MOORED)           # moored an hour: 3 min
    b.drift(1.0, 12.0, 90.0)             # 12 kn: 10 s
    b.drift(1.0, 18.0, 90.0)             # 18 kn: 6 s
    b.drift(0.5, 25.0, 90.0)             # 25 kn: 2 s
    times = report_times(b.track, False, 0.0, 3.5 * 3600, 0.5)
    dt = np.diff(times)
    seg = np.searchsorted(b.track.t, times[:-1], side="right") - 1
    for k, want in enumerate((180, 10, 6, 2)):
        steps = dt[seg == k]
        # the last step of a segment may be the next segment's (shorter) interval
        assert (steps[:-1] == want).all() and steps[-1] <= want
    # class B: 3 min slow, 30 s faster than 2 kn
    dt_b = np.diff(report_times(b.track, True, 0.0, 3.5 * 3600, 0.5))
    assert (dt_b[:19] == 180).all()  # the moored hour
    assert (dt_b[20:] == 30).all()  # under way; one step between (the switch) is shorter
    assert dt_b[19] <= 180


def test_track_builder_keeps_speed() -> None:
    b = TrackBuilder(0.0, 15.0, -70.0)
    b.go([(15.0, -69.0), (15.5, -69.0)], 10.0)
    tr = b.track
    for k in range(2):
        d = haversine_m(tr.lat[k], tr.lon[k], tr.lat[k + 1], tr.lon[k + 1])
        assert d / (tr.t[k + 1] - tr.t[k]) * 3600 / 1852 == pytest.approx(10.0)
