"""Spoofing and identity detector edges."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from detectors.base import DetectorContext
from detectors.spoofing import PRESETS, SpoofingDetector, SpoofingSettings, valid_ship_mmsi
from mda.records import PositionReport
from mda.synthetic import epoch, track
from tests.helpers import drive

T0 = epoch("2024-04-01T00:00:00Z")


def at(mmsi: int, minutes: float, lat: float, lon: float) -> PositionReport:
    return PositionReport(T0 + timedelta(minutes=minutes), mmsi, lat, lon, 10.0, 90.0, 90, 0, 1)


def reasons(alerts):
    return [(a.evidence["reason"], a.status) for a in alerts]


def test_implied_speed_just_under_and_over_the_limit() -> None:
    # 10 minutes apart: 50 kn is 15.4 km
    ok = [at(311000001, 0, 15.0, -70.0), at(311000001, 10, 15.0 + 15_000 / 111_195, -70.0)]
    bad = [at(311000001, 0, 15.0, -70.0), at(311000001, 10, 15.0 + 16_000 / 111_195, -70.0)]
    assert drive(SpoofingDetector(SpoofingSettings()), ok) == []
    alerts = drive(SpoofingDetector(SpoofingSettings()), bad)
    assert reasons(alerts) == [("speed", "open")]
    assert 50 < alerts[0].evidence["implied_speed_kn"] < 53


def test_gps_jitter_under_the_distance_floor_is_not_a_jump() -> None:
    jitter = [at(311000001, 0, 15.0, -70.0),
              PositionReport(T0 + timedelta(seconds=2), 311000001, 15.0 + 1500 / 111_195, -70.0,
                             10.0, 90.0, 90, 0, 1)]
    assert drive(SpoofingDetector(SpoofingSettings()), jitter) == []


def test_speed_episode_closes_after_an_hour_without_jumps() -> None:
    reports = [at(311000001, 0, 15.0, -70.0), at(311000001, 1, 16.0, -70.0),
               at(311000001, 2, 16.0, -70.0)]
    alerts = drive(SpoofingDetector(SpoofingSettings()), reports,
                   until=(T0 + timedelta(hours=2)).timestamp())
    assert reasons(alerts) == [("speed", "open"), ("speed", "closed")]
    assert alerts[1].evidence["jumps"] == 1


def test_one_mmsi_in_two_places_at_once() -> None:
    a = track(240000000, T0, 11.0, -75.0, 8.0, 90.0, 120, 3 * 3600)  # off Colombia
    b = track(240000000, T0 + timedelta(seconds=60), 15.0, 90.0, 8.0, 0.0, 120, 3 * 3600)
    alerts = drive(SpoofingDetector(SpoofingSettings()), a + b)
    kinds = [r for r, s in reasons(alerts) if s == "open"]
    assert "shared_mmsi" in kinds
    shared = next(x for x in alerts if x.evidence["reason"] == "shared_mmsi")
    assert shared.severity == "high" and shared.evidence["distance_km"] > 15_000


def test_a_single_bad_fix_is_a_jump_not_a_shared_mmsi() -> None:
    reports = track(311000001, T0, 15.0, -70.0, 10.0, 90.0, 60, 3600)
    bad = replace(reports[20], lat=20.0)
    alerts = drive(SpoofingDetector(SpoofingSettings()), [*reports[:20], bad, *reports[21:]])
    assert "shared_mmsi" not in [r for r, _ in reasons(alerts)]
    assert ("speed", "open") in reasons(alerts)


def test_position_on_land() -> None:
    ctx = DetectorContext(on_land=lambda lat, lon, inland_km: lat > 18.0)
    reports = [at(311000001, 0, 17.9, -66.5), at(311000001, 5, 18.1, -66.5),
               at(311000001, 10, 18.2, -66.5), at(311000001, 15, 17.95, -66.5)]
    alerts = drive(SpoofingDetector(SpoofingSettings(min_jump_m=50_000), ctx), reports)
    assert reasons(alerts) == [("on_land", "open"), ("on_land", "closed")]


def test_invalid_mmsi_flagged_once() -> None:
    assert valid_ship_mmsi(311000001) and valid_ship_mmsi(970123456)
    assert not valid_ship_mmsi(123456789)  # MID 123 is not allocated
    assert not valid_ship_mmsi(993101234)  # an aid to navigation, not a ship
    reports = track(123456789, T0, 15.0, -70.0, 10.0, 90.0, 60, 600)
    assert reasons(drive(SpoofingDetector(SpoofingSettings()), reports)) == [
        ("invalid_mmsi", "closed")]


def test_presets() -> None:
    assert PRESETS["gfw"].max_speed_kn == 30
    reports = [at(311000001, 0, 15.0, -70.0), at(311000001, 10, 15.0 + 12_000 / 111_195, -70.0)]
    assert drive(SpoofingDetector(PRESETS["watch"]), reports) == []
    assert len(drive(SpoofingDetector(PRESETS["gfw"]), reports)) == 1
