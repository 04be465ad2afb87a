"""Loitering detector edges on built tracks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from detectors.base import DetectorContext
from detectors.loitering import PRESETS, LoiteringDetector, LoiteringSettings
from mda.records import NAV_AT_ANCHOR, PositionReport
from mda.synthetic import drop_between, epoch, track, with_status
from tests.helpers import drive, info_from

T0 = epoch("2024-04-01T00:00:00Z")
H = 3600.0
FAR = DetectorContext(shore_distance_nm=lambda lat, lon: 80.0,
                      port_distance_km=lambda lat, lon: 150.0)


def slow(hours: float, sog: float = 0.8, mmsi: int = 636000001,
         every_s: float = 180) -> list[PositionReport]:
    return track(mmsi, T0, 15.0, -70.0, sog, 100.0, every_s, hours * H)


def test_just_over_the_duration_opens_and_speeding_up_closes() -> None:
    fast = track(636000001, T0 + timedelta(hours=3.2), 15.01, -69.99, 12.0, 100.0, 60, 1800)
    alerts = drive(LoiteringDetector(LoiteringSettings(), FAR), slow(3.1) + fast)
    assert [a.status for a in alerts] == ["open", "closed"]
    assert alerts[0].evidence["duration_h"] == pytest.approx(3.0, abs=0.06)
    assert alerts[1].evidence["median_sog_kn"] == pytest.approx(0.8)
    assert alerts[1].evidence["distance_from_shore_nm"] == 80.0
    assert "loitering" in alerts[1].summary


def test_just_under_the_duration_or_speed_is_nothing() -> None:
    assert drive(LoiteringDetector(LoiteringSettings(), FAR), slow(2.9)) == []
    assert drive(LoiteringDetector(LoiteringSettings(), FAR), slow(5, sog=2.1)) == []


def test_near_shore_is_nothing_and_unknown_shore_still_counts() -> None:
    near = DetectorContext(shore_distance_nm=lambda lat, lon: 5.0)
    assert drive(LoiteringDetector(LoiteringSettings(), near), slow(5)) == []
    assert len(drive(LoiteringDetector(LoiteringSettings()), slow(5))) == 1


def test_at_anchor_near_a_port_is_nothing_but_at_anchor_far_out_counts() -> None:
    anchored = with_status(slow(6, sog=0.1), NAV_AT_ANCHOR)
    near_port = DetectorContext(shore_distance_nm=lambda lat, lon: 30.0,
                                port_distance_km=lambda lat, lon: 3.0)
    assert drive(LoiteringDetector(LoiteringSettings(), near_port), anchored) == []
    assert len(drive(LoiteringDetector(LoiteringSettings(), FAR), anchored)) == 1


def test_fishing_vessels_are_excluded_and_tankers_rank_high() -> None:
    fishing = DetectorContext(vessel_info=info_from({636000001: {"ship_type": 30}}))
    assert drive(LoiteringDetector(LoiteringSettings(), fishing), slow(5)) == []
    tanker = DetectorContext(vessel_info=info_from({636000001: {"ship_type": 84}}))
    assert drive(LoiteringDetector(LoiteringSettings(), tanker), slow(5))[0].severity == "high"


def test_a_long_silence_ends_the_episode() -> None:
    broken = drop_between(slow(6), T0.replace(hour=2), T0.replace(hour=4, minute=30))
    # 2 h, then 2.5 h of silence (> max_gap_h 2), then 1.5 h: no 3 h episode
    assert drive(LoiteringDetector(LoiteringSettings(), FAR), broken) == []


def test_presets() -> None:
    assert PRESETS["gfw"].min_duration_h == 4 and PRESETS["gfw"].min_shore_distance_nm == 20
    assert drive(LoiteringDetector(PRESETS["gfw"], FAR), slow(3.5)) == []
    assert len(drive(LoiteringDetector(PRESETS["gfw"], FAR), slow(4.2))) == 1
