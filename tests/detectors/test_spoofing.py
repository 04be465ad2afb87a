"""Spoofing and identity detector edges, on synthetic tracks: one test per rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from detectors.base import DetectorContext
from detectors.spoofing import PRESETS, SpoofingDetector, SpoofingSettings, valid_ship_mmsi
from mda.records import Alert, PositionReport
from mda.synthetic import epoch, track
from mda.vessels import transmitter_class, valid_form
from tests.helpers import drive, info_from, ts_of

T0 = epoch("2024-04-01T00:00:00Z")
KM_LAT = 1 / 111.195  # degrees of latitude per km


def at(mmsi: int, minutes: float, lat: float, lon: float) -> PositionReport:
    return PositionReport(T0 + timedelta(minutes=minutes), mmsi, lat, lon, 10.0, 90.0, 90, 0, 1)


def reasons(alerts: list[Alert]) -> list[tuple[str, str]]:
    return [(a.evidence["reason"], a.status) for a in alerts]


def test_implied_speed_just_under_and_over_the_limit() -> None:
    # 10 minutes apart: 50 kn is 15.4 km. Every jump alerts here (no bad-fix allowance).
    eager = SpoofingSettings(outlier_max_km=0.0)
    ok = [at(311000001, 0, 15.0, -70.0), at(311000001, 10, 15.0 + 15 * KM_LAT, -70.0),
          at(311000001, 11, 15.0 + 15 * KM_LAT, -70.0)]
    bad = [at(311000001, 0, 15.0, -70.0), at(311000001, 10, 15.0 + 16 * KM_LAT, -70.0),
           at(311000001, 10.1, 15.0 + 16 * KM_LAT, -70.0),
           at(311000001, 10.2, 15.0 + 16 * KM_LAT, -70.0)]
    assert drive(SpoofingDetector(eager), ok) == []
    alerts = drive(SpoofingDetector(eager), bad)
    assert reasons(alerts) == [("speed", "open")]
    assert 50 < alerts[0].evidence["implied_speed_kn"] < 53
    assert alerts[0].start == bad[1].ts  # the alert starts at the jump


def test_gps_jitter_under_the_distance_floor_is_not_a_jump() -> None:
    jitter = [at(311000001, 0, 15.0, -70.0),
              PositionReport(T0 + timedelta(seconds=2), 311000001, 15.0 + 1.5 * KM_LAT, -70.0,
                             10.0, 90.0, 90, 0, 1)]
    assert drive(SpoofingDetector(SpoofingSettings()), jitter) == []


def test_a_jump_that_persists_still_alerts() -> None:
    # 20 km in a minute, and the vessel goes on reporting from the new place: a real jump.
    a = track(311000001, T0, 15.0, -70.0, 10.0, 90.0, 60, 1800)
    b = track(311000001, T0 + timedelta(seconds=1860), 15.0 + 20 * KM_LAT, -69.9, 10.0, 90.0,
              60, 1800)
    det = SpoofingDetector(SpoofingSettings())
    alerts = drive(det, a + b, until=(T0 + timedelta(hours=3)).timestamp())
    assert reasons(alerts) == [("speed", "open"), ("speed", "closed")]
    ev = alerts[0].evidence
    assert ev["confirmed_by"] == "reports from the new place" and ev["reports_at_new_place"] == 3
    assert alerts[0].start == b[0].ts
    assert "shared_mmsi" not in [r for r, _ in reasons(alerts)]  # the old place fell silent


def test_a_single_bad_fix_that_comes_back_is_counted_not_alerted() -> None:
    reports = track(311000001, T0, 15.0, -70.0, 10.0, 90.0, 60, 3600)
    bad = replace(reports[20], lat=reports[20].lat + 12 * KM_LAT)  # 12 km off, once
    det = SpoofingDetector(SpoofingSettings())
    assert drive(det, [*reports[:20], bad, *reports[21:]]) == []
    assert det.counters["single_fix"] == 1


def test_a_far_single_fix_still_alerts() -> None:
    # The exercise's scripted jump: one report 150 km away, beyond any bad fix seen.
    reports = track(311000001, T0, 15.0, -70.0, 10.0, 90.0, 60, 3600)
    bad = replace(reports[20], lat=reports[20].lat + 150 * KM_LAT)
    alerts = drive(SpoofingDetector(SpoofingSettings()), [*reports[:20], bad, *reports[21:]])
    assert reasons(alerts) == [("speed", "open")]
    assert alerts[0].start == bad.ts and alerts[0].lat == bad.lat
    assert "shared_mmsi" not in [r for r, _ in reasons(alerts)]


def test_a_receiver_glitch_is_counted_not_alerted() -> None:
    # Six vessels "jump" 15 km within the same 10 s and stay there for three reports (the
    # Mobile glitch had bad fixes of up to 8 reports): a receiver fault, not six spoofers.
    det = SpoofingDetector(SpoofingSettings())
    reports: list[PositionReport] = []
    for k in range(6):
        mmsi = 367000001 + k
        base = track(mmsi, T0, 30.0 + 0.1 * k, -88.0, 0.0, 0.0, 60, 3600)
        for i in (30, 31, 32):
            base[i] = replace(base[i], lat=base[i].lat + 15 * KM_LAT,
                              ts=ts_of(base[i]) + timedelta(seconds=k))
        reports += base
    assert drive(det, reports) == []
    assert det.counters["receiver_glitch"] == 6


def test_an_old_position_delivered_again_is_stale_not_a_jump() -> None:
    reports = track(311000001, T0, 15.0, -70.0, 12.0, 90.0, 60, 3600)
    stale = replace(reports[40], lat=reports[5].lat, lon=reports[5].lon)  # its place 35 min ago
    det = SpoofingDetector(SpoofingSettings())
    assert drive(det, [*reports[:40], stale, *reports[41:]]) == []
    assert det.counters["stale_position"] == 1


def test_one_mmsi_in_two_places_at_once() -> None:
    a = track(240000000, T0, 11.0, -75.0, 8.0, 90.0, 120, 3 * 3600)  # off Colombia
    b = track(240000000, T0 + timedelta(seconds=60), 15.0, 90.0, 8.0, 0.0, 120, 3 * 3600)
    alerts = drive(SpoofingDetector(SpoofingSettings()), a + b)
    kinds = [r for r, s in reasons(alerts) if s == "open"]
    assert "shared_mmsi" in kinds
    shared = next(x for x in alerts if x.evidence["reason"] == "shared_mmsi")
    assert shared.severity == "high" and shared.evidence["distance_km"] > 15_000
    assert f"{shared.evidence['distance_km']:.0f} km apart" in shared.summary


def test_two_tracks_close_together_are_not_a_shared_mmsi() -> None:
    # Two tracks 5 km apart reporting alternately: under shared_min_km, and the summary could
    # only say "two vessels share this MMSI 5 km apart". Tracks that meet merge.
    a = track(311000001, T0, 15.0, -70.0, 0.0, 0.0, 120, 3600)
    b = track(311000001, T0 + timedelta(seconds=60), 15.0 + 5 * KM_LAT, -70.0, 0.0, 0.0, 120,
              3600)
    alerts = drive(SpoofingDetector(SpoofingSettings()), a + b)
    assert "shared_mmsi" not in [r for r, _ in reasons(alerts)]


def test_one_identity_in_many_places_is_one_shared_alert() -> None:
    # AIDASOL-like: one MMSI reports from five places 150+ km apart within an hour, once or
    # twice each: one shared_mmsi alert listing the places, no speed alert.
    places = [(57.73, 10.94), (54.72, 10.86), (56.15, 10.22), (57.78, 6.40), (53.53, 9.96)]
    reports = [at(247302900, 10 * i + j, la, lo) for i, (la, lo) in enumerate(places)
               for j in (0, 0.5)]
    alerts = drive(SpoofingDetector(SpoofingSettings()), reports,
                   until=(T0 + timedelta(hours=3)).timestamp())
    assert {a.alert_id for a in alerts} == {alerts[0].alert_id}  # one alert, updated
    assert {r for r, _ in reasons(alerts)} == {"shared_mmsi"}
    assert alerts[-1].status == "closed" and len(alerts[-1].evidence["places"]) == 5
    assert "from 5 places" in alerts[-1].summary


LAND = DetectorContext(on_land=lambda lat, lon, inland_km: lat > 30.0)


def test_a_vessel_alone_deep_inland_alerts() -> None:
    # 31.0N 99.0W (Texas): standing alone where no vessel navigates, for three hours.
    reports = track(366000001, T0, 31.0, -99.0, 0.0, 0.0, 300, 3 * 3600)
    alerts = drive(SpoofingDetector(SpoofingSettings(), LAND), reports)
    assert reasons(alerts) == [("on_land", "open")]
    assert alerts[0].start == reports[0].ts
    assert "on land at 31.000N 99.000W" in alerts[0].summary


def test_a_jump_onto_land_alerts_at_once() -> None:
    sea = track(366000001, T0, 29.0, -95.0, 10.0, 0.0, 60, 1800)
    inland = track(366000001, T0 + timedelta(seconds=1860), 31.0, -99.0, 0.0, 0.0, 60, 600)
    alerts = drive(SpoofingDetector(SpoofingSettings(), LAND), sea + inland)
    got = reasons(alerts)
    assert ("on_land", "open") in got and ("speed", "open") in got
    land = next(a for a in alerts if a.evidence["reason"] == "on_land")
    assert land.evidence["arrived_by_jump"] and land.start == inland[0].ts


def test_a_vessel_navigating_water_the_mask_lacks_is_not_on_land() -> None:
    # First seen inland (the Straits of Mackinac on the 0.1 degree grid), moving at 10 kn.
    det = SpoofingDetector(SpoofingSettings(), LAND)
    lake = track(338367068, T0, 45.78, -84.72, 10.0, 270.0, 60, 4 * 3600)
    assert drive(det, lake) == []
    assert det.counters["land_navigating"] == 1
    # ... and one that comes in from the sea, up a river, slowly.
    det = SpoofingDetector(SpoofingSettings(), LAND)
    river = track(366000002, T0, 29.99, -90.0, 1.0, 0.0, 60, 4 * 3600)
    assert drive(det, river) == []
    assert det.counters["land_entered_from_sea"] == 1


def test_moored_vessels_teach_the_detector_where_water_is() -> None:
    # Two barges moored side by side on a river port the mask calls land: water.
    det = SpoofingDetector(SpoofingSettings(), LAND)
    a = track(366000001, T0, 38.60, -90.18, 0.0, 0.0, 300, 4 * 3600)
    b = track(366000002, T0 + timedelta(seconds=30), 38.601, -90.18, 0.0, 0.0, 300, 4 * 3600)
    assert drive(det, a + b) == []
    assert det.counters["land_learned_water"] >= 1


def test_on_land_alert_of_a_vessel_that_then_navigates_is_retracted() -> None:
    det = SpoofingDetector(SpoofingSettings(), LAND)
    moored = track(366000001, T0, 41.51, -88.09, 0.0, 0.0, 300, 3 * 3600)
    leaves = track(366000001, T0 + timedelta(seconds=3 * 3600 + 300), 41.51, -88.09, 8.0, 0.0,
                   120, 3600)
    alerts = drive(det, moored + leaves)
    assert reasons(alerts) == [("on_land", "open"), ("on_land", "retracted")]
    assert alerts[1].evidence["retracted_because"].startswith("navigating water")


def test_non_vessels_are_kept_out_of_the_vessel_rules() -> None:
    info = info_from({219018486: {"name": "SAR BIL HANSTHOLM"},
                      311000009: {"name": "NET1 85%"}})
    ctx = DetectorContext(vessel_info=info, on_land=lambda lat, lon, km: True)
    det = SpoofingDetector(SpoofingSettings(), ctx)
    reports: list[PositionReport] = []
    for mmsi in (992111827, 219018486, 2190047, 111219500, 311000009):
        reports += track(mmsi, T0, 55.8, 8.5, 0.0, 0.0, 60, 3 * 3600)
        reports.append(at(mmsi, 200, 57.0, 8.5))  # a "jump" too
    assert drive(det, reports) == []
    assert det.counters["not_a_vessel:aid_to_navigation"] == 1
    assert det.counters["not_a_vessel:land_unit"] == 1
    assert det.counters["not_a_vessel:base_station"] == 1
    assert det.counters["not_a_vessel:sar_aircraft"] == 1
    assert det.counters["not_a_vessel:buoy_or_net_marker"] == 1


def test_transmitter_class() -> None:
    assert transmitter_class(992111827, {"name": "FINO3 PLATFORM"}) == "aid_to_navigation"
    assert transmitter_class(2190047) == "base_station"
    assert transmitter_class(111219500) == "sar_aircraft"
    assert transmitter_class(985380950, {}) == "craft_associated"
    assert transmitter_class(970123456) == "distress_beacon"
    assert transmitter_class(219018486, {"name": "SAR BIL HANSTHOLM"}) == "land_unit"
    assert transmitter_class(311000001, {"name": "NET1 85%"}) == "buoy_or_net_marker"
    assert transmitter_class(992000001, {"name": "GILLNET BUOY 3"}) == "buoy_or_net_marker"
    assert transmitter_class(219000001, {"mobile_type": "Base Station"}) == "base_station"
    assert transmitter_class(219000001, {"mobile_type": "Class A"}) == "vessel"
    assert transmitter_class(311000001, {"name": "SEA STAR"}) == "vessel"
    assert transmitter_class(941203527) == "buoy_or_net_marker"  # no MID starts with 9
    assert transmitter_class(123456789) == "vessel"  # malformed: judged as a vessel

    class Static:  # a record with a mobile_type attribute (DMA), read with getattr
        name = None
        mobile_type = "AtoN"

    assert transmitter_class(219000001, Static()) == "aid_to_navigation"
    assert valid_form(992111827, "aid_to_navigation") and not valid_form(990011827,
                                                                          "aid_to_navigation")


def test_invalid_mmsi_flagged_once() -> None:
    assert valid_ship_mmsi(311000001) and valid_ship_mmsi(970123456)
    assert not valid_ship_mmsi(123456789)  # MID 123 is not allocated
    assert not valid_ship_mmsi(993101234)  # an aid to navigation, not a ship
    reports = track(123456789, T0, 15.0, -70.0, 10.0, 90.0, 60, 600)
    assert reasons(drive(SpoofingDetector(SpoofingSettings()), reports)) == [
        ("invalid_mmsi", "closed")]
    # A well-formed aid to navigation is valid for what it is; one with no allocated MID is not.
    aton = track(992111827, T0, 15.0, -70.0, 0.0, 0.0, 60, 600)
    assert drive(SpoofingDetector(SpoofingSettings()), aton) == []
    bad = track(990011827, T0, 15.0, -70.0, 0.0, 0.0, 60, 600)
    alerts = drive(SpoofingDetector(SpoofingSettings()), bad)
    assert reasons(alerts) == [("invalid_mmsi", "closed")]
    assert "no aid to navigation may use" in alerts[0].summary


def test_presets() -> None:
    assert PRESETS["gfw"].max_speed_kn == 30
    # 12 km in 10 minutes (39 kn), then the vessel stays: a jump for GFW's 30 kn only.
    reports = [at(311000001, 0, 15.0, -70.0), at(311000001, 10, 15.0 + 12 * KM_LAT, -70.0),
               at(311000001, 10.1, 15.0 + 12 * KM_LAT, -70.0),
               at(311000001, 10.2, 15.0 + 12 * KM_LAT, -70.0)]
    assert drive(SpoofingDetector(PRESETS["watch"]), reports) == []
    assert len(drive(SpoofingDetector(PRESETS["gfw"]), reports)) == 1
