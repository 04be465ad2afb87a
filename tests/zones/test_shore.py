"""Distance to shore: the landmetrics grid and land polygons."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box, mapping

from zones import ShoreDistance
from zones.shore import haversine_km

SAN_JUAN_HARBOUR = (18.46, -66.10)
OPEN_CARIBBEAN = (15.0, -70.0)
PUERTO_RICO_INLAND = (18.2, -66.5)  # the Cordillera Central


@pytest.fixture(scope="module")
def grid() -> ShoreDistance:
    return ShoreDistance.default()


@pytest.fixture(scope="module")
def polygons(shared: Path) -> ShoreDistance:
    z = shared / "zones"
    return ShoreDistance.from_land_file([z / "caribbean_ne_10m_land.geojson",
                                         z / "caribbean_ne_10m_minor_islands.geojson"])


def test_landmetrics_open_sea_harbour_and_inland(grid: ShoreDistance) -> None:
    far = grid.distance_nm(*OPEN_CARIBBEAN)
    assert far is not None and far > 100.0
    harbour = grid.distance_nm(*SAN_JUAN_HARBOUR)
    assert harbour is not None and harbour < 5.0
    inland = grid.distance_nm(*PUERTO_RICO_INLAND)
    assert inland is not None and inland < 0.0  # negative inland
    assert grid.on_land(*PUERTO_RICO_INLAND)
    assert not grid.on_land(*PUERTO_RICO_INLAND, min_inland_km=100.0)
    assert not grid.on_land(*OPEN_CARIBBEAN)


def test_polygon_cache_answers_from_the_cell_centre(polygons: ShoreDistance) -> None:
    a = polygons.distance_nm(18.6012, -66.5021)
    b = polygons.distance_nm(18.5996, -66.4969)  # same 0.01 degree cell, asked second
    assert a == b
    exact = polygons.many_nm([18.6012], [-66.5021])[0]
    assert a is not None and abs(a - exact) < 0.5  # within the cell's half-diagonal


def test_grid_answers_at_the_point_itself(grid: ShoreDistance) -> None:
    a = grid.distance_nm(15.0012, -70.0021)
    assert a == grid.many_nm([15.0012], [-70.0021])[0]
    assert a != grid.distance_nm(14.9996, -69.9969)


def test_bad_inputs(grid: ShoreDistance, polygons: ShoreDistance) -> None:
    for sd in (grid, polygons):
        assert sd.distance_nm(math.nan, 0.0) is None
        assert sd.distance_nm(95.0, 0.0) is None
        assert not sd.on_land(math.nan, 0.0)
        out = sd.many_nm([math.nan, 15.0, 91.0], [0.0, -70.0, 0.0])
        assert math.isnan(out[0]) and math.isnan(out[2]) and out[1] > 100.0


def test_polygons_agree_with_landmetrics_at_sea(grid: ShoreDistance,
                                                polygons: ShoreDistance) -> None:
    fixed = [(15.0, -70.0), (13.0, -75.0), (25.0, -90.0), (14.0, -80.0), (20.0, -85.0),
             (12.0, -65.0), (22.0, -60.0)]
    for lat, lon in fixed:
        a, b = polygons.distance_nm(lat, lon), grid.distance_nm(lat, lon)
        assert a is not None and b is not None
        assert a == pytest.approx(b, rel=0.15), (lat, lon)
    # Random open-sea points, away from the clip window's edges (land beyond them is not in
    # the clipped files) and more than 20 nm from shore. Natural Earth 10m lacks some cays
    # that GSHHG has, so a few points differ more; the bulk agrees.
    rng = np.random.default_rng(11)
    lats, lons = rng.uniform(5, 32, 4000), rng.uniform(-100, -55, 4000)
    poly_nm, grid_nm = polygons.many_nm(lats, lons), grid.many_nm(lats, lons)
    coslat = np.cos(np.radians(lats))
    edge_nm = np.minimum.reduce([(lats - 5) * 60, (32 - lats) * 60,
                                 (lons + 100) * 60 * coslat, (-55 - lons) * 60 * coslat])
    sea = (grid_nm > 20.0) & (edge_nm > 1.2 * grid_nm)
    ratio = poly_nm[sea] / grid_nm[sea]
    assert sea.sum() > 1000
    assert np.median(ratio) == pytest.approx(1.0, abs=0.02)
    assert np.mean(np.abs(ratio - 1.0) < 0.15) > 0.9


def test_polygons_on_land_and_harbour(polygons: ShoreDistance) -> None:
    assert polygons.distance_nm(*PUERTO_RICO_INLAND) == 0.0
    assert polygons.on_land(*PUERTO_RICO_INLAND)
    assert polygons.on_land(*PUERTO_RICO_INLAND, min_inland_km=10.0)
    assert not polygons.on_land(*PUERTO_RICO_INLAND, min_inland_km=60.0)  # PR is ~60 km wide
    assert not polygons.on_land(*OPEN_CARIBBEAN)
    harbour = polygons.distance_nm(18.48, -66.13)  # just outside San Juan's entrance
    assert harbour is not None and harbour < 3.0


def write_land(path: Path, *geoms: object) -> Path:
    features = [{"type": "Feature", "properties": {}, "geometry": mapping(g)} for g in geoms]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_polygon_distances_are_great_circle(tmp_path: Path) -> None:
    """A square island at 1..2 N, 10..11 E: distances due east, north and to a corner are the
    great-circle distances to the nearest edge point."""
    sd = ShoreDistance.from_land_file(write_land(tmp_path / "land.geojson", box(10, 1, 11, 2)))
    east = sd.many_nm([1.5], [12.0])[0]
    assert east * 1.852 == pytest.approx(float(haversine_km(1.5, 12.0, 1.5, 11.0)), rel=1e-4)
    north = sd.many_nm([4.0], [10.5])[0]
    assert north * 1.852 == pytest.approx(float(haversine_km(4.0, 10.5, 2.0, 10.5)), rel=1e-6)
    corner = sd.many_nm([3.0], [12.0])[0]
    assert corner * 1.852 == pytest.approx(float(haversine_km(3.0, 12.0, 2.0, 11.0)), rel=1e-3)
    assert sd.many_nm([1.5], [10.5])[0] == 0.0
    assert sd.on_land(1.5, 10.5) and sd.on_land(1.0, 10.5)  # the coastline counts as land
    assert not sd.on_land(1.5, 10.5, min_inland_km=60.0)  # 0.5 deg from the coast is ~55 km
    assert sd.on_land(1.5, 10.5, min_inland_km=50.0)


def test_polygon_distance_across_the_antimeridian(tmp_path: Path) -> None:
    sd = ShoreDistance.from_land_file(write_land(tmp_path / "fiji.geojson",
                                                 box(179.0, -17.0, 180.0, -16.0)))
    across = sd.many_nm([-16.5], [-179.5])[0]  # 0.5 degree east of the island, across 180
    expected = float(haversine_km(-16.5, -179.5, -16.5, 180.0)) / 1.852
    assert across == pytest.approx(expected, rel=1e-4)
    assert across < 30.0


def test_no_land_polygons_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(ValueError, match="no land polygons"):
        ShoreDistance.from_land_file(path)


def test_in_memory_grid_matches_landmetrics_everywhere() -> None:
    import landmetrics
    import numpy as np

    from zones.shore import ShoreDistance

    rng = np.random.default_rng(5)
    lat = rng.uniform(-89.9, 89.9, 5000)
    lon = np.concatenate([rng.uniform(-180, 180, 4000), rng.uniform(179.8, 180, 500),
                          rng.uniform(-180, -179.8, 500)])
    ref = landmetrics.distance_to_land(lat, lon) / 1.852
    sd = ShoreDistance.default()
    assert np.nanmax(np.abs(sd.many_nm(lat, lon) - ref)) < 0.01
    singles = np.array([sd.distance_nm(a, b) for a, b in zip(lat[:1000], lon[:1000],
                                                              strict=True)], dtype=float)
    assert np.nanmax(np.abs(singles - ref[:1000])) < 0.01
