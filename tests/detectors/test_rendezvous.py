"""Rendezvous detector edges on built tracks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from detectors.base import DetectorContext
from detectors.rendezvous import PRESETS, RendezvousDetector, RendezvousSettings
from mda.records import NAV_MOORED, PositionReport
from mda.synthetic import epoch, track, with_status
from tests.helpers import drive, info_from, ts_of

T0 = epoch("2024-04-01T00:00:00Z")
H = 3600.0
M_PER_DEG_LAT = 111_195.0


def pair(offset_m: float, hours: float, sog: float = 0.5, lat: float = 15.0,
         lon: float = -70.0, every_s: float = 60, a: int = 311000001, b: int = 636000002,
         bearing: str = "north") -> list[PositionReport]:
    """Two vessels drifting side by side, ``offset_m`` apart (north or east of each other)."""
    import math
    dlat = offset_m / M_PER_DEG_LAT if bearing == "north" else 0.0
    dlon = 0.0 if bearing == "north" else offset_m / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    ta = track(a, T0, lat, lon, sog, 45.0, every_s, hours * H)
    tb = track(b, T0 + timedelta(seconds=every_s / 2), lat + dlat, lon + dlon, sog, 45.0,
               every_s, hours * H)
    return ta + tb


def test_close_for_long_enough_opens_then_closes_after_the_merge_gap() -> None:
    det = RendezvousDetector(RendezvousSettings())
    alerts = drive(det, pair(200, 1.5), until=T0.timestamp() + 3 * H)
    assert [a.status for a in alerts] == ["open", "closed"]
    opened, closed = alerts
    assert opened.mmsi == 311000001 and opened.other_mmsi == 636000002
    assert opened.alert_id == closed.alert_id
    assert 0.99 <= opened.evidence["duration_h"] <= 1.02  # opens as soon as 1 h is reached
    assert 150 < closed.evidence["median_distance_m"] < 250
    assert closed.evidence["median_sog_kn"] == pytest.approx(0.5)
    assert closed.evidence["duration_h"] == pytest.approx(1.5, abs=0.02)
    assert "within" in closed.summary


def test_just_under_and_over_the_distance() -> None:
    s = RendezvousSettings()
    assert drive(RendezvousDetector(s), pair(480, 2)) != []
    assert drive(RendezvousDetector(s), pair(530, 2)) == []


def test_just_under_the_duration_is_nothing() -> None:
    assert drive(RendezvousDetector(RendezvousSettings()), pair(200, 0.95)) == []


def test_fast_pair_is_a_crossing_not_a_rendezvous() -> None:
    assert drive(RendezvousDetector(RendezvousSettings()), pair(200, 2, sog=8.0)) == []


def test_pair_on_a_grid_cell_edge_is_found() -> None:
    det = RendezvousDetector(RendezvousSettings())
    c = det._cell_deg
    # one vessel just below a cell boundary in latitude, the other just above; and in longitude
    lat_edge = 40 * c
    assert len(drive(RendezvousDetector(RendezvousSettings()),
                     pair(100, 2, lat=lat_edge - 0.0004, lon=-70.0))) == 1
    lon_edge = -180.0 + 1000 * c
    assert len(drive(RendezvousDetector(RendezvousSettings()),
                     pair(100, 2, lat=15.0, lon=lon_edge - 0.0004, bearing="east"))) == 1


def test_pair_across_the_antimeridian() -> None:
    alerts = drive(RendezvousDetector(RendezvousSettings()),
                   pair(150, 2, lat=-16.0, lon=179.9992, bearing="east"))
    assert len(alerts) == 1
    assert alerts[0].evidence["median_distance_m"] < 200


def test_moored_together_in_port_is_nothing() -> None:
    reports = with_status(pair(50, 6, sog=0.0), NAV_MOORED)
    assert drive(RendezvousDetector(RendezvousSettings()), reports) == []


def test_near_a_known_port_is_nothing() -> None:
    ctx = DetectorContext(port_distance_km=lambda lat, lon: 2.0)
    assert drive(RendezvousDetector(RendezvousSettings(), ctx), pair(100, 3)) == []
    far = DetectorContext(port_distance_km=lambda lat, lon: 60.0)
    alerts = drive(RendezvousDetector(RendezvousSettings(), far), pair(100, 3))
    assert alerts and alerts[0].evidence["distance_from_port_km"] == 60.0


def test_tugs_are_excluded_and_transshipment_ranks_high() -> None:
    tug = DetectorContext(vessel_info=info_from({311000001: {"ship_type": 52}}))
    assert drive(RendezvousDetector(RendezvousSettings(), tug), pair(100, 3)) == []
    carrier = DetectorContext(vessel_info=info_from({311000001: {"ship_type": 30},
                                                     636000002: {"ship_type": 70}}))
    alerts = drive(RendezvousDetector(RendezvousSettings(), carrier), pair(100, 3))
    assert alerts[0].severity == "high" and alerts[0].evidence["possible_transshipment"]


def test_presets() -> None:
    assert PRESETS["gfw"].max_distance_m == 500 and PRESETS["gfw"].min_duration_h == 2
    assert PRESETS["gfw"].min_port_distance_km == 10 and PRESETS["gfw"].max_gap_h == 4
    assert PRESETS["skylight"].max_distance_m == 250
    assert drive(RendezvousDetector(PRESETS["skylight"]), pair(300, 2)) == []
    assert drive(RendezvousDetector(PRESETS["skylight"]), pair(200, 0.6)) != []
    assert drive(RendezvousDetector(PRESETS["gfw"]), pair(200, 1.5)) == []


def test_gfw_merges_meetings_of_one_pair_less_than_4h_apart() -> None:
    first = pair(100, 1.5)
    second = [PositionReport(ts_of(r) + timedelta(hours=4.5), r.mmsi, r.lat, r.lon, r.sog_kn,
                             r.cog_deg, r.heading_deg, r.nav_status, r.msg_type, r.source)
              for r in pair(100, 1.0)]
    alerts = drive(RendezvousDetector(PRESETS["gfw"]), first + second,
                   until=T0.timestamp() + 12 * H)
    # 1.5 h + 1 h, 3 h apart: one event of 5.5 h in GFW terms
    assert [a.status for a in alerts] == ["open", "closed"]
    assert alerts[-1].evidence["duration_h"] == pytest.approx(5.5, abs=0.05)


def test_pairing_is_not_a_cross_join() -> None:
    # 400 vessels spread 5 km apart on a grid: no pair is close, and few distances are computed
    reports = []
    for i in range(400):
        lat = 10 + (i // 20) * 0.045
        lon = -70 + (i % 20) * 0.045
        reports += track(300_000_000 + i, T0, lat, lon, 0.5, 0.0, 300, 1800)
    det = RendezvousDetector(RendezvousSettings())
    assert drive(det, reports) == []
    assert det.pair_checks < 400 * 2


def _three_moored_boats(lat: float, lon: float) -> list[PositionReport]:
    return [r for k, b in enumerate((219000001, 219000002, 219000003))
            for r in track(b, T0 + timedelta(seconds=10 * k), lat + k * 100 / M_PER_DEG_LAT,
                           lon, 0.0, 0.0, 60, 2 * H)]


def test_a_cluster_near_the_coast_is_a_harbour_but_far_out_at_sea_it_pairs() -> None:
    near = DetectorContext(shore_distance_nm=lambda lat, lon: 2.0)
    far = DetectorContext(shore_distance_nm=lambda lat, lon: 80.0)
    det = RendezvousDetector(RendezvousSettings(), near)
    assert drive(det, _three_moored_boats(55.99, 8.13)) == []
    assert det.counters["harbour_cluster"] > 100
    alerts = drive(RendezvousDetector(RendezvousSettings(), far),
                   _three_moored_boats(55.99, 8.13))
    assert {(a.mmsi, a.other_mmsi) for a in alerts} == {
        (219000001, 219000002), (219000001, 219000003), (219000002, 219000003)}


def test_a_pair_on_inland_water_is_not_a_meeting_at_sea() -> None:
    # Two towboats side by side on the Ohio at Paducah (37.15N 88.49W): the land mask counts
    # the river as land, and a meeting there is not an at-sea transfer.
    inland = DetectorContext(on_land=lambda lat, lon, km: True)
    det = RendezvousDetector(RendezvousSettings(), inland)
    assert drive(det, pair(100, 3, lat=37.15, lon=-88.49)) == []
    assert det.counters["inland"] > 0
    at_sea = DetectorContext(on_land=lambda lat, lon, km: False)
    assert drive(RendezvousDetector(RendezvousSettings(), at_sea),
                 pair(100, 3, lat=37.15, lon=-88.49))
    # Turned off, the river pair pairs.
    assert drive(RendezvousDetector(RendezvousSettings(inland_km=0), inland),
                 pair(100, 3, lat=37.15, lon=-88.49))


def test_aids_to_navigation_side_by_side_are_not_a_meeting() -> None:
    # FINO3 PLATFORM 992111827 and FINO3 INSTRUMENTS 992111828: one offshore platform.
    det = RendezvousDetector(RendezvousSettings())
    assert drive(det, pair(300, 3, a=992111827, b=992111828)) == []
    assert drive(RendezvousDetector(RendezvousSettings()), pair(300, 3))
