"""Real zone layers from the shared data (see ../shared/data/SOURCES.md section 4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from zones import ZoneIndex, check_zones, load_zones
from zones.catalogue import Zone

OPEN_SEA_EAST_OF_BELIZE = (17.0, -87.0)  # beyond the reef and the atolls' MPAs
GREAT_BLUE_HOLE = (17.3157, -87.5347)  # the sinkhole in Lighthouse Reef


@pytest.fixture(scope="module")
def belize(shared: Path) -> tuple[list[Zone], list[str]]:
    return load_zones(shared / "zones" / "belize_marine_protected_areas_2005.geojson", kind="mpa")


def test_belize_mpas_answer_point_queries(belize: tuple[list[Zone], list[str]]) -> None:
    zones, warnings = belize
    assert len(zones) == 16 and warnings == []
    assert {z.kind for z in zones} == {"mpa"}
    index = ZoneIndex(zones)
    for z in zones:  # a point of each feature is inside it
        p = z.geometry.representative_point()
        assert z in index.containing(p.y, p.x), z.name
    assert index.containing(*OPEN_SEA_EAST_OF_BELIZE) == []
    assert [z.name for z in index.containing(*GREAT_BLUE_HOLE)] == ["Blue Hole"]
    # Zones of one reserve keep their sub-zone in the name.
    no_take = {z.name for z in zones if z.properties.get("no_take") is True}
    assert no_take == {"Glovers Reef (Conservation)", "Glovers Reef (Wilderness)",
                       "Bacalar Chico (Conservation Zone, No take)"}


def test_belize_shapefile_matches_geojson(shared: Path,
                                          belize: tuple[list[Zone], list[str]]) -> None:
    shp, warnings = load_zones(
        shared / "zones" / "belize_marine_protected_areas_2005_shapefile.zip", kind="mpa")
    assert len(shp) == 16
    assert any("Little Guana Caye" in w and "no geometry" in w for w in warnings)
    geo_index, shp_index = ZoneIndex(belize[0]), ZoneIndex(shp)
    rng = np.random.default_rng(3)
    lats = rng.uniform(16.0, 18.3, 5000)
    lons = rng.uniform(-88.4, -87.4, 5000)
    a = [sorted(geo_index.zones[i].name for i in hits)
         for hits in geo_index.containing_many(lats, lons)]
    b = [sorted(shp_index.zones[i].name for i in hits)
         for hits in shp_index.containing_many(lats, lons)]
    assert a == b
    assert sum(map(len, a)) > 100


def test_us_caribbean_regulated_areas(shared: Path) -> None:
    zones, warnings = load_zones(shared / "zones" / "us_caribbean_regulated_areas_ecfr.geojson")
    assert warnings == []
    kinds = {z.name: z.kind for z in zones}
    assert kinds["Grammanik Bank"] == "closure"
    assert kinds["Hind Bank Marine Conservation District"] == "mpa"  # no_take_year_round
    assert kinds["St. Croix restricted area A"] == "restricted"
    index = ZoneIndex(zones)
    assert [z.name for z in index.containing(18.20, -65.05)] == [
        "Hind Bank Marine Conservation District"]
    assert [z.name for z in index.containing(18.19, -64.95)] == ["Grammanik Bank"]
    assert index.containing(18.30, -65.05) == []
    hind = next(z for z in zones if z.name.startswith("Hind Bank"))
    assert hind.rule.matches(30, "USA", 2.0, hind.sovereign)  # no fishing by anyone
    assert not hind.rule.matches(70, "USA", 12.0, hind.sovereign)
    assert "50 CFR 622" in hind.properties["cfr"]


def test_osm_territorial_waters_use_a3_as_sovereign(shared: Path) -> None:
    zones, _ = load_zones(shared / "zones" / "caribbean_countries_maritime_osm_geomaps_10m.geojson",
                          kind="territorial_sea")
    assert len(zones) == 45
    assert all(z.sovereign and len(z.sovereign) == 3 for z in zones)
    index = ZoneIndex(zones)
    off_san_juan = {z.sovereign for z in index.containing(18.5, -66.1)}
    assert "PRI" in off_san_juan
    assert index.containing(15.0, -70.0) == []  # open Caribbean Sea
    pri = next(z for z in index.containing(18.5, -66.1) if z.sovereign == "PRI")
    assert pri.rule.matches(30, "VEN", 3.0, pri.sovereign)  # foreign fishing vessel
    assert not pri.rule.matches(30, "USA", 3.0, pri.sovereign)  # US vessel in Puerto Rico
    assert pri.rule.describe(pri.kind, pri.sovereign) == "foreign-flagged fishing vessel"
    report = check_zones(shared / "zones" / "caribbean_countries_maritime_osm_geomaps_10m.geojson",
                         kind="territorial_sea")
    assert report["ok"] and report["zones"] == 45 and "PRI" in report["sovereigns"]


def test_fao_area_31(shared: Path) -> None:
    zones, _ = load_zones(shared / "zones" / "fao_major_fishing_area_31_simplified.geojson",
                          kind="fishing_zone")
    assert [(z.id, z.name) for z in zones] == [("31", "Atlantic, Western Central")]
    index = ZoneIndex(zones)
    assert index.containing(15.0, -70.0) == zones
    assert index.containing(15.0, -20.0) == []  # eastern Atlantic, FAO area 34


def test_noaa_limit_lines_give_no_zones(shared: Path) -> None:
    path = shared / "zones" / "us_maritime_limits_boundaries_noaa_2020.geojson.gz"
    zones, warnings = load_zones(path, kind="eez")
    assert zones == []
    assert len(warnings) == 1 and "260 feature(s)" in warnings[0]
    assert "LineString" in warnings[0] and "polygonise" in warnings[0]
    zones, _ = load_zones(path)  # no kind needed to skip lines
    assert zones == []
    report = check_zones(path)
    # a file with nothing that can contain a position is not usable as a zone layer
    assert not report["ok"] and report["features"] == 260 and report["zones"] == 0
    assert "no polygon features" in report["errors"][0]
