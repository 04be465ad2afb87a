"""The zone catalogue: rules, and an edge-case geometry catalogue written to real files
(GeoJSON, gzipped GeoJSON, zipped Shapefile, GeoPackage) and loaded back."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import LineString, Polygon, box, mapping

from zones import (
    DEFAULT_RULES,
    ZONE_KINDS,
    Zone,
    ZoneError,
    ZoneIndex,
    ZoneRule,
    check_zones,
    load_zones,
)

# --- rules ---------------------------------------------------------------------------------


def test_default_rules_per_kind() -> None:
    assert set(DEFAULT_RULES) == set(ZONE_KINDS)
    for kind in ("eez", "territorial_sea", "contiguous_zone"):
        assert DEFAULT_RULES[kind].ship_types == (30,)
        assert DEFAULT_RULES[kind].foreign_only
    assert DEFAULT_RULES["territorial_sea"].severity == "high"
    assert DEFAULT_RULES["eez"].severity == "medium"
    for kind in ("fishing_zone", "mpa", "closure"):
        assert DEFAULT_RULES[kind].ship_types == (30,)
        assert not DEFAULT_RULES[kind].foreign_only
    assert DEFAULT_RULES["mpa"].severity == DEFAULT_RULES["closure"].severity == "high"
    assert DEFAULT_RULES["fishing_zone"].severity == "medium"
    assert DEFAULT_RULES["restricted"] == ZoneRule(None, False, severity="high")
    assert DEFAULT_RULES["exercise"] == ZoneRule(None, False, severity="info")


def test_rule_matches_type_flag_and_speed() -> None:
    eez = DEFAULT_RULES["eez"]
    assert eez.matches(30, "VEN", 3.0, "USA")
    assert not eez.matches(30, "USA", 3.0, "USA")  # domestic
    assert not eez.matches(70, "VEN", 3.0, "USA")  # cargo
    assert not eez.matches(None, "VEN", 3.0, "USA")  # unknown type never matches a type rule
    assert not eez.matches(30, None, 3.0, "USA")  # unknown flag never matches foreign_only
    assert eez.matches(30, None, 3.0, None)  # no sovereign: foreign_only ignored
    # Territories count as their sovereign: a Puerto Rico MMSI is not foreign in US waters.
    assert not eez.matches(30, "PRI", 3.0, "USA")
    assert not eez.matches(30, "USA", 3.0, "VIR")
    assert eez.matches(30, "GLP", 3.0, "VIR")  # French vessel in USVI waters
    slow = ZoneRule((30,), False, min_sog_kn=0.5, max_sog_kn=5.0)
    assert slow.matches(30, None, 3.0, None)
    assert not slow.matches(30, None, 0.2, None)
    assert not slow.matches(30, None, 9.0, None)
    assert not slow.matches(30, None, None, None)
    anyone = DEFAULT_RULES["restricted"]
    assert anyone.matches(None, None, None, "USA")


def test_rule_describe() -> None:
    assert DEFAULT_RULES["eez"].describe("eez", "USA") == "foreign-flagged fishing vessel"
    assert DEFAULT_RULES["eez"].describe("eez", None) == "fishing vessel"
    assert DEFAULT_RULES["mpa"].describe("mpa", "BLZ") == "fishing vessel"
    assert DEFAULT_RULES["restricted"].describe("restricted", None) == "any vessel"
    assert ZoneRule(None, True).describe("eez", "USA") == "foreign-flagged vessel"
    assert (ZoneRule((30,), False, 0.5, 5.0).describe("fishing_zone", None)
            == "fishing vessel at 0.5-5 kn")
    assert ZoneRule((30, 70), False).describe("x", None) == "fishing or cargo vessel"


def test_rule_validates() -> None:
    with pytest.raises(ValueError, match="severity"):
        ZoneRule(None, False, severity="urgent")  # type: ignore[arg-type]  # the point
    with pytest.raises(ValueError, match="min_sog_kn"):
        ZoneRule(None, False, min_sog_kn=5.0, max_sog_kn=1.0)
    assert ZoneRule([30, 31], False).ship_types == (30, 31)  # type: ignore[arg-type]


def test_zone_is_hashable() -> None:
    z = Zone("a", "A", "mpa", None, box(0, 0, 1, 1), DEFAULT_RULES["mpa"], "f", {"x": [1]})
    assert len({z, z}) == 1


# --- the edge-case geometry catalogue ------------------------------------------------------

HOLE = Polygon([(-10, -10), (10, -10), (10, 10), (-10, 10)], [[(-2, -2), (2, -2), (2, 2), (-2, 2)]])
BOWTIE = Polygon([(20, 0), (21, 1), (21, 0), (20, 1), (20, 0)])  # self-intersecting
# Crosses the antimeridian by jumping sign (170 E to 170 W the short way).
DATELINE_JUMP = {"type": "Polygon", "coordinates": [[[170, -10], [-170, -10], [-170, 10],
                                                     [170, 10], [170, -10]]]}
# The same area written in 0..360 longitudes.
DATELINE_360 = {"type": "Polygon", "coordinates": [[[170, 20], [190, 20], [190, 30], [170, 30],
                                                    [170, 20]]]}
# A wide polygon that goes the long way round through 0 (no jump): not an antimeridian case.
WIDE = {"type": "Polygon", "coordinates": [[[-170, 40], [0, 40], [170, 40], [170, 50], [0, 50],
                                            [-170, 50], [-170, 40]]]}


def feature(geometry: Any, **props: Any) -> dict[str, Any]:
    if geometry is not None and not isinstance(geometry, dict):
        geometry = mapping(geometry)
    return {"type": "Feature", "properties": props, "geometry": geometry}


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    text = json.dumps({"type": "FeatureCollection", "features": features})
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    return write_geojson(tmp_path / "edge_cases.geojson", [
        feature(HOLE, name="Hole Reserve", kind="mpa", id="hole"),
        feature(BOWTIE, name="Bow Tie", kind="closure", id="bowtie"),
        feature(DATELINE_JUMP, name="Dateline Jump", kind="eez", sovereign="FJI", id="jump"),
        feature(DATELINE_360, name="Dateline 360", kind="eez", id="d360"),
        feature(WIDE, name="Wide Band", kind="exercise", id="wide"),
        feature(None, name="Null Island Reserve", kind="mpa", id="null"),
        feature(LineString([(0, 0), (1, 1)]), name="Limit Line", kind="eez", id="line"),
        feature(box(30, 30, 31, 31)),  # no name, no kind: the kind comes from the argument
    ])


def zone_by_id(zones: list[Zone]) -> dict[str, Zone]:
    return {z.id: z for z in zones}


def names_at(index: ZoneIndex, lat: float, lon: float) -> set[str]:
    return {z.id for z in index.containing(lat, lon)}


def test_edge_catalogue_loads_with_warnings(catalogue: Path) -> None:
    zones, warnings = load_zones(catalogue, kind="restricted")
    by_id = zone_by_id(zones)
    assert set(by_id) == {"hole", "bowtie", "jump", "d360", "wide", "edge_cases:7"}
    assert by_id["edge_cases:7"].kind == "restricted"  # the argument fills a missing kind
    assert by_id["edge_cases:7"].name == "edge_cases:7"  # the name falls back to the id
    assert by_id["hole"].kind == "mpa"  # a feature's own kind wins over the argument
    assert all(z.geometry.is_valid for z in zones)
    text = "\n".join(warnings)
    assert "feature 1 (Bow Tie): invalid geometry" in text and "make_valid" in text
    assert "feature 5 (Null Island Reserve): no geometry; skipped" in text
    assert "LineString" in text and "6 (Limit Line)" in text
    assert "feature 2 (Dateline Jump): crosses the antimeridian" in text
    assert "Wide Band" not in text


def test_hole_point_in_hole_is_outside(catalogue: Path) -> None:
    index = ZoneIndex(load_zones(catalogue, kind="restricted")[0])
    assert "hole" in names_at(index, 5.0, 5.0)
    assert "hole" not in names_at(index, 0.0, 0.0)  # in the hole
    assert "hole" not in names_at(index, 0.0, 11.0)


def test_boundary_points_count_as_inside(catalogue: Path) -> None:
    index = ZoneIndex(load_zones(catalogue, kind="restricted")[0])
    assert "hole" in names_at(index, 0.0, 10.0)  # outer edge
    assert "hole" in names_at(index, -10.0, -10.0)  # corner
    assert "hole" in names_at(index, 0.0, 2.0)  # edge of the hole
    assert index.containing_many([0.0, 0.0], [10.0, 2.0]) == [[0], [0]]


def test_bowtie_repaired_into_two_triangles(catalogue: Path) -> None:
    zones, _ = load_zones(catalogue, kind="restricted")
    bowtie = zone_by_id(zones)["bowtie"].geometry
    assert bowtie.geom_type == "MultiPolygon" and len(bowtie.geoms) == 2
    index = ZoneIndex(zones)
    assert "bowtie" in names_at(index, 0.5, 20.2)  # left triangle
    assert "bowtie" in names_at(index, 0.5, 20.8)  # right triangle
    assert "bowtie" not in names_at(index, 0.2, 20.5)  # between the lobes


def test_antimeridian_polygons_split(catalogue: Path) -> None:
    zones, _ = load_zones(catalogue, kind="restricted")
    by_id = zone_by_id(zones)
    for zid in ("jump", "d360"):
        minx, _, maxx, _ = by_id[zid].geometry.bounds
        assert minx >= -180.0 and maxx <= 180.0
        assert by_id[zid].geometry.geom_type == "MultiPolygon"
    index = ZoneIndex(zones)
    for lon in (179.9, -179.9, 175.0, -175.0, 180.0, -180.0):
        assert "jump" in names_at(index, 0.0, lon), lon
        assert "d360" in names_at(index, 25.0, lon), lon
    for lon in (0.0, 160.0, -160.0):
        assert "jump" not in names_at(index, 0.0, lon)
        assert "d360" not in names_at(index, 25.0, lon)
    assert "jump" in names_at(index, 0.0, 185.0)  # 0..360 query longitudes wrap
    area = shapely.area(by_id["jump"].geometry)
    assert area == pytest.approx(20.0 * 20.0)  # 20 degrees wide, not 340
    # The wide band is left as drawn: through 0, not across the antimeridian.
    assert "wide" in names_at(index, 45.0, 0.0)
    assert "wide" not in names_at(index, 45.0, 179.9)


def test_missing_kind_is_an_error_naming_file_and_feature(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "kindless.geojson",
                         [feature(box(0, 0, 1, 1), name="Somewhere")])
    with pytest.raises(ZoneError) as err:
        load_zones(path)
    message = str(err.value)
    assert "kindless.geojson" in message and "feature 0 (Somewhere)" in message
    assert "KIND=FILE" in message
    zones, _ = load_zones(path, kind="exercise")
    assert [z.kind for z in zones] == ["exercise"]


def test_unknown_kind_is_an_error_listing_kinds(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "odd.geojson",
                         [feature(box(0, 0, 1, 1), kind="eez"),
                          feature(box(0, 0, 1, 1), kind="submarine_cable", id="c7")])
    with pytest.raises(ZoneError) as err:
        load_zones(path)
    message = str(err.value)
    assert "odd.geojson" in message and "feature 1 (c7)" in message
    assert "submarine_cable" in message and "territorial_sea" in message
    with pytest.raises(ZoneError, match="valid kinds"):
        load_zones(path, kind="moat")


def test_kind_spellings_and_properties(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "spell.json", [
        feature(box(0, 0, 1, 1), KIND="Territorial Waters", NAME="Upper", SOVEREIGN="bhs"),
        feature(box(0, 0, 1, 1), kind="seasonal_closure+gear_restriction", Id=12.0),
        feature(box(0, 0, 1, 1), kind="mpa", severity="low", ship_types="30,37",
                foreign_only="yes", sovereign="not a code"),
    ])
    zones, warnings = load_zones(path)
    assert [z.kind for z in zones] == ["territorial_sea", "closure", "mpa"]
    assert zones[0].name == "Upper" and zones[0].sovereign == "BHS"
    assert zones[1].id == "12"
    assert zones[2].rule == ZoneRule((30, 37), True, severity="low")
    assert zones[2].sovereign is None and any("not a code" in w for w in warnings)
    assert zones[0].properties["KIND"] == "Territorial Waters"  # the feature's own, as read


def test_duplicate_ids_are_made_unique(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "dup.geojson", [
        feature(box(0, 0, 1, 1), kind="mpa", id="x"), feature(box(2, 2, 3, 3), kind="mpa", id="x")])
    zones, warnings = load_zones(path)
    assert [z.id for z in zones] == ["x", "x:1"]
    assert any("already used" in w for w in warnings)


def test_custom_rules_replace_defaults(catalogue: Path) -> None:
    strict = ZoneRule(None, False, severity="high")
    zones, _ = load_zones(catalogue, kind="restricted", rules={"mpa": strict})
    assert zone_by_id(zones)["hole"].rule == strict
    assert zone_by_id(zones)["jump"].rule == DEFAULT_RULES["eez"]


def test_gzipped_geojson(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "zones.geojson.gz", [feature(HOLE, kind="mpa")])
    zones, _ = load_zones(path)
    assert [z.id for z in zones] == ["zones:0"]  # stem without .geojson.gz
    assert ZoneIndex(zones).containing(5.0, 5.0)


def _frame(crs: str = "EPSG:4326") -> Any:
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {"name": ["Hole Reserve", "Bow Tie", "Empty"], "kind": ["mpa", "closure", "mpa"],
         "sovereign": ["BLZ", None, None]},
        geometry=[HOLE, BOWTIE, None], crs="EPSG:4326")
    return frame.to_crs(crs) if crs != "EPSG:4326" else frame


def test_zipped_shapefile(tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    _frame().to_file(folder / "zones.shp", engine="pyogrio")
    archive = tmp_path / "zones.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    zones, warnings = load_zones(archive)
    assert [z.name for z in zones] == ["Hole Reserve", "Bow Tie"]
    assert zones[0].sovereign == "BLZ"
    assert any("Empty" in w and "no geometry" in w for w in warnings)
    index = ZoneIndex(zones)
    assert [z.name for z in index.containing(5.0, 5.0)] == ["Hole Reserve"]
    assert index.containing(0.0, 0.0) == []


def test_geopackage_in_a_projected_crs_is_reprojected(tmp_path: Path) -> None:
    path = tmp_path / "zones.gpkg"
    _frame("EPSG:3857").to_file(path, driver="GPKG", engine="pyogrio")
    zones, warnings = load_zones(path)
    assert any("reprojected from EPSG:3857" in w for w in warnings)
    hole = zones[0].geometry
    assert hole.bounds == pytest.approx((-10, -10, 10, 10), abs=1e-6)
    index = ZoneIndex(zones)
    assert [z.name for z in index.containing(5.0, 5.0)] == ["Hole Reserve"]
    assert index.containing(0.0, 0.0) == []


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ZoneError, match="no such file"):
        load_zones(tmp_path / "nope.geojson", kind="mpa")
    bad = tmp_path / "broken.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(ZoneError, match=r"broken\.geojson"):
        load_zones(bad, kind="mpa")


# --- check_zones ---------------------------------------------------------------------------


def test_check_good_file(catalogue: Path) -> None:
    report = check_zones(catalogue, kind="restricted")
    assert report["ok"] and report["errors"] == []
    assert report["features"] == 8 and report["zones"] == 6
    assert report["by_kind"] == {"closure": 1, "eez": 2, "exercise": 1, "mpa": 1,
                                 "restricted": 1}
    assert report["sovereigns"] == ["FJI"]
    assert report["crs"] == "EPSG:4326"
    assert report["bbox"][0] == -180.0 and report["bbox"][2] == 180.0
    assert any("Bow Tie" in w for w in report["warnings"])
    json.dumps(report)  # the CLI prints it as JSON


def test_check_broken_files_do_not_raise(tmp_path: Path, catalogue: Path) -> None:
    bad = tmp_path / "broken.geojson"
    bad.write_text("this is not json")
    report = check_zones(bad)
    assert not report["ok"] and "broken.geojson" in report["errors"][0]
    assert report["zones"] == 0
    missing = check_zones(tmp_path / "missing.gpkg")
    assert not missing["ok"] and "no such file" in missing["errors"][0]
    kindless = check_zones(catalogue)  # one feature lacks a kind and none is given
    assert not kindless["ok"] and len(kindless["errors"]) == 1
    assert "KIND=FILE" in kindless["errors"][0]
    assert kindless["zones"] == 5  # the others are still reported
    unknown = check_zones(catalogue, kind="moat")
    assert not unknown["ok"] and "valid kinds" in unknown["errors"][0]


# --- official schemas ----------------------------------------------------------------------


def test_marine_regions_schema(tmp_path: Path) -> None:
    """Marine Regions maritime boundaries attribute names (GEONAME, MRGID, ISO_SOV1,
    ISO_TER1, POL_TYPE); the kind follows POL_TYPE, eez by default."""
    path = write_geojson(tmp_path / "eez_v12.geojson", [
        feature(box(-68, 17, -64, 20), GEONAME="United States Exclusive Economic Zone (Puerto "
                "Rico)", MRGID=8432.0, ISO_SOV1="USA", ISO_TER1="PRI", POL_TYPE="200NM"),
        feature(box(-66, 18, -65, 18.5), GEONAME="Puerto Rico 12 NM", MRGID=49001,
                ISO_SOV1="USA", POL_TYPE="12NM"),
        feature(box(-66, 17.5, -65, 18), GEONAME="Joint regime area", MRGID=48970,
                ISO_SOV1="USA", POL_TYPE="Joint regime"),
        feature(box(-66, 17, -65, 17.5), GEONAME="Contiguous", MRGID=49002, ISO_SOV1="USA",
                POL_TYPE="24NM"),
    ])
    zones, warnings = load_zones(path, kind="fishing_zone")  # POL_TYPE wins over the argument
    assert warnings == []
    assert [(z.id, z.kind, z.sovereign) for z in zones] == [
        ("8432", "eez", "USA"), ("49001", "territorial_sea", "USA"), ("48970", "eez", "USA"),
        ("49002", "contiguous_zone", "USA")]
    assert zones[0].name.startswith("United States Exclusive Economic Zone")
    assert zones[0].properties["ISO_TER1"] == "PRI"
    assert zones[1].rule == DEFAULT_RULES["territorial_sea"]


def test_wdpa_schema(tmp_path: Path) -> None:
    """WDPA attribute names (NAME, WDPAID, WDPA_PID, NO_TAKE, ISO3, PARENT_ISO3): kind mpa,
    the sovereign from PARENT_ISO3, the id from WDPA_PID (unique per parcel)."""
    path = write_geojson(tmp_path / "WDPA_Oct2024_Public_marine.geojson", [
        feature(box(-61.9, 15.8, -61.5, 16.1), WDPAID=555547996, WDPA_PID="555547996",
                NAME="Grand Cul-de-Sac Marin", NO_TAKE="Part", ISO3="GLP", PARENT_ISO3="FRA",
                MARINE="2"),
        feature(box(-64.9, 18.3, -64.6, 18.4), WDPAID=1018, WDPA_PID="1018_A",
                NAME="Virgin Islands", NO_TAKE="None", ISO3="VIR", PARENT_ISO3="USA"),
    ])
    zones, warnings = load_zones(path)
    assert warnings == []
    assert [(z.id, z.kind, z.sovereign, z.name) for z in zones] == [
        ("555547996", "mpa", "FRA", "Grand Cul-de-Sac Marin"),
        ("1018_A", "mpa", "USA", "Virgin Islands")]
    assert zones[0].properties["NO_TAKE"] == "Part"
