"""What is known of a vessel is a typed record; its JSON form (an alert's ``vessel``) keeps
only what is known, plus the flag."""

from __future__ import annotations

from datetime import UTC, datetime

from mda.records import VesselStatic
from mda.vessels import VesselRegistry, vessel_info


def test_registry_merges_static_reports_into_one_record() -> None:
    reg = VesselRegistry()
    t = datetime(2024, 3, 12, tzinfo=UTC)
    reg.update(VesselStatic(t, 311000123, name="SEA STAR", ship_type=70))
    reg.update(VesselStatic(t, 311000123, callsign="C6AB1", length_m=180.0))
    info = reg.info(311000123)
    assert (info.name, info.callsign, info.ship_type, info.length_m) == (
        "SEA STAR", "C6AB1", 70, 180.0)
    assert (info.flag, info.flag_country) == ("BHS", "Bahamas")
    assert info.to_dict() == {"name": "SEA STAR", "callsign": "C6AB1", "ship_type": 70,
                              "length_m": 180.0, "flag": "BHS", "flag_country": "Bahamas"}


def test_ship_type_zero_is_not_available_and_unknown_fields_are_ignored() -> None:
    info = vessel_info(311000123, {"ship_type": 0, "colour": "red"})
    assert info.ship_type is None
    assert "ship_type" not in info.to_dict() and "colour" not in info.to_dict()


def test_an_unallocated_mid_has_no_flag() -> None:
    info = vessel_info(100000001)
    assert info.flag is None and info.to_dict() == {"flag": None, "flag_country": None}
