"""Zone incursion detector: hysteresis, rules, holes, antimeridian, a vessel inside at start."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from shapely.geometry import Polygon, box

from detectors.base import DetectorContext
from detectors.zone import ZoneDetector, ZoneSettings
from mda.records import Alert, PositionReport
from mda.synthetic import epoch, track
from tests.helpers import drive, info_from
from zones.catalogue import DEFAULT_RULES, Zone
from zones.index import ZoneIndex

T0 = epoch("2024-04-01T00:00:00Z")
FISHER_VEN = 775000001  # Venezuela
FISHER_BLZ = 312000001  # Belize
CARGO_PAN = 351000001  # Panama
INFO = info_from({FISHER_VEN: {"ship_type": 30, "name": "LA GAVIOTA"},
                  FISHER_BLZ: {"ship_type": 30}, CARGO_PAN: {"ship_type": 70}})


def zone(kind: str, geom: Polygon, sovereign: str | None = "BLZ", zid: str = "z1") -> Zone:
    return Zone(zid, f"Test {kind}", kind, sovereign, geom, DEFAULT_RULES[kind])


def ctx(*zones: Zone) -> DetectorContext:
    index = ZoneIndex(list(zones))
    return DetectorContext(vessel_info=INFO, zones_at=index.containing)


def crossing(mmsi: int, lon0: float = -88.5, sog: float = 6.0, hours: float = 4.0,
             lat: float = 17.0) -> list[PositionReport]:
    """Eastbound at ``sog`` from ``lon0``: about 0.1 degree of longitude per hour at 6 kn."""
    return track(mmsi, T0, lat, lon0, sog, 90.0, 120, hours * 3600)


EEZ = box(-88.2, 16.5, -87.9, 17.5)


def kinds(alerts: list[Alert]) -> list[tuple[str, str]]:
    return [(a.kind, a.status) for a in alerts]


def test_foreign_fishing_vessel_enters_and_leaves_an_eez() -> None:
    alerts = drive(ZoneDetector(ZoneSettings(), ctx(zone("eez", EEZ))),
                   crossing(FISHER_VEN, hours=8))
    assert kinds(alerts) == [("zone_entry", "open"), ("zone_entry", "closed"),
                             ("zone_exit", "closed")]
    entry = alerts[0]
    assert entry.zone_id == "z1" and entry.zone_name == "Test eez"
    assert "foreign-flagged fishing vessel" in entry.summary and "BLZ" in entry.summary
    assert entry.evidence["rule"] == "foreign-flagged fishing vessel"
    dwell = alerts[1].evidence["dwell_h"]
    assert 2.5 < dwell < 3.5  # 0.3 degree at 6 kn, 17 N


def test_own_flag_and_cargo_do_not_trigger_an_eez_but_any_fishing_triggers_an_mpa() -> None:
    d = ctx(zone("eez", EEZ))
    assert drive(ZoneDetector(ZoneSettings(), d), crossing(FISHER_BLZ)) == []
    assert drive(ZoneDetector(ZoneSettings(), d), crossing(CARGO_PAN)) == []
    mpa = ctx(zone("mpa", EEZ))
    assert kinds(drive(ZoneDetector(ZoneSettings(), mpa), crossing(FISHER_BLZ)))[0] == (
        "zone_entry", "open")
    assert drive(ZoneDetector(ZoneSettings(), mpa), crossing(CARGO_PAN)) == []
    restricted = ctx(zone("restricted", EEZ))
    assert drive(ZoneDetector(ZoneSettings(), restricted), crossing(CARGO_PAN)) != []


def test_one_point_across_the_line_does_not_flap() -> None:
    reps = track(FISHER_VEN, T0, 17.0, -88.25, 0.0, 90.0, 120, 3 * 3600)
    # one report jitters inside the zone, the rest stay outside
    reps[10] = PositionReport(reps[10].ts, FISHER_VEN, 17.0, -88.19, 0.0, 90.0, 90, 0, 1)
    assert drive(ZoneDetector(ZoneSettings(), ctx(zone("eez", EEZ))), reps[1:]) == []


def test_a_short_excursion_out_and_back_is_one_visit() -> None:
    inside = track(FISHER_VEN, T0, 17.0, -88.0, 0.0, 0.0, 120, 2 * 3600)
    out = [PositionReport(r.ts, r.mmsi, r.lat, -87.85, 0.0, 0.0, 0, 0, 1) for r in inside[20:30]]
    reps = inside[:20] + out + inside[30:]
    alerts = drive(ZoneDetector(ZoneSettings(), ctx(zone("eez", EEZ))), reps)
    assert kinds(alerts) == [("zone_entry", "open")]  # 20 min out < 30 min: still the visit


def test_a_vessel_inside_at_start_enters_at_its_first_position() -> None:
    reps = track(FISHER_VEN, T0, 17.0, -88.0, 0.0, 0.0, 600, 3600)
    alerts = drive(ZoneDetector(ZoneSettings(), ctx(zone("eez", EEZ))), reps)
    assert kinds(alerts) == [("zone_entry", "open")]
    assert alerts[0].start == T0


def test_a_zone_with_a_hole() -> None:
    holed = Polygon(EEZ.exterior.coords, [box(-88.15, 16.9, -87.95, 17.1).exterior.coords])
    in_hole = track(FISHER_VEN, T0, 17.0, -88.05, 0.0, 0.0, 600, 3600)
    assert drive(ZoneDetector(ZoneSettings(), ctx(zone("mpa", holed))), in_hole) == []
    in_ring = track(FISHER_VEN, T0, 16.7, -88.05, 0.0, 0.0, 600, 3600)
    assert drive(ZoneDetector(ZoneSettings(), ctx(zone("mpa", holed))), in_ring) != []


def test_a_zone_across_the_antimeridian(tmp_path: Path) -> None:
    import json

    from zones.catalogue import load_zones

    ring = [[178.0, -18.0], [-178.0, -18.0], [-178.0, -15.0], [178.0, -15.0], [178.0, -18.0]]
    path = tmp_path / "fiji.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "Test box", "kind": "restricted"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    zones, _ = load_zones(path)
    east = track(CARGO_PAN, T0, -16.5, 179.0, 10.0, 90.0, 120, 6 * 3600)  # crosses 180
    alerts = drive(ZoneDetector(ZoneSettings(), ctx(*zones)), east)
    assert kinds(alerts)[0] == ("zone_entry", "open")
    assert alerts[0].start == T0  # inside from its first position, at 179 E
    assert all(a.kind != "zone_exit" for a in alerts)  # still inside after crossing to -179.x


def test_exit_confirmed_by_the_watermark_when_the_vessel_falls_silent() -> None:
    inside = track(FISHER_VEN, T0, 17.0, -88.0, 0.0, 0.0, 600, 3600)
    last = PositionReport(T0 + timedelta(hours=1, minutes=5), FISHER_VEN, 17.0, -87.8, 0.0,
                          0.0, 0, 0, 1)
    alerts = drive(ZoneDetector(ZoneSettings(), ctx(zone("eez", EEZ))), [*inside, last],
                   until=(T0 + timedelta(hours=3)).timestamp())
    assert kinds(alerts) == [("zone_entry", "open"), ("zone_entry", "closed"),
                             ("zone_exit", "closed")]
    assert alerts[2].start == last.ts


def test_exercise_zones_alert_everyone_at_info_severity() -> None:
    alerts = drive(ZoneDetector(ZoneSettings(), ctx(zone("exercise", EEZ, None))),
                   crossing(CARGO_PAN))
    assert alerts and alerts[0].severity == "info"
