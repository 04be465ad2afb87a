"""ZoneIndex: single and vectorised look-ups agree with a plain shapely point-in-polygon test."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from zones import DEFAULT_RULES, Zone, ZoneIndex


def zone(zid: str, geom: shapely.Geometry, kind: str = "mpa") -> Zone:
    return Zone(zid, zid, kind, None, geom, DEFAULT_RULES[kind])


def random_zones(rng: np.random.Generator, n: int) -> list[Zone]:
    """Stars, boxes with holes and buffered blobs over a 20x20 degree window."""
    zones = []
    for i in range(n):
        cx, cy = rng.uniform(-70, -50), rng.uniform(10, 30)
        r = rng.uniform(0.05, 3.0)
        k = i % 3
        if k == 0:
            angles = np.linspace(0, 2 * math.pi, 11)[:-1]
            radii = np.where(np.arange(10) % 2 == 0, r, r / 3)
            geom = Polygon(np.column_stack([cx + radii * np.cos(angles),
                                            cy + radii * np.sin(angles)]))
        elif k == 1:
            geom = box(cx - r, cy - r, cx + r, cy + r).difference(
                box(cx - r / 2, cy - r / 2, cx + r / 2, cy + r / 2))
        else:
            geom = shapely.Point(cx, cy).buffer(r, quad_segs=4)
        zones.append(zone(f"z{i}", geom))
    return zones


def brute_force(zones: list[Zone], lats: np.ndarray, lons: np.ndarray) -> list[list[int]]:
    geoms = np.array([z.geometry for z in zones], dtype=object)
    out = []
    for lat, lon in zip(lats.tolist(), lons.tolist(), strict=True):
        hits = shapely.intersects(geoms, shapely.Point(lon, lat))
        out.append([int(i) for i in np.nonzero(hits)[0]])
    return out


@pytest.mark.parametrize("cell_deg", [0.5, 0.3, 2.0])
def test_single_and_many_agree_with_brute_force(cell_deg: float) -> None:
    rng = np.random.default_rng(7)
    zones = random_zones(rng, 60)
    index = ZoneIndex(zones, cell_deg=cell_deg)
    lats = rng.uniform(5, 35, 4000)
    lons = rng.uniform(-75, -45, 4000)
    # Add points exactly on vertices and edges of boxes (boundary counts as inside).
    corners = shapely.get_coordinates(zones[1].geometry)
    lats = np.concatenate([lats, corners[:, 1], [zones[1].geometry.bounds[1]]])
    lons = np.concatenate([lons, corners[:, 0], [zones[1].geometry.centroid.x]])
    expected = brute_force(zones, lats, lons)
    assert index.containing_many(lats, lons) == expected
    single = [[zones.index(z) for z in index.containing(a, b)]
              for a, b in zip(lats.tolist(), lons.tolist(), strict=True)]
    assert single == expected
    assert sum(map(len, expected)) > 500  # the test does exercise hits


def test_empty_index() -> None:
    index = ZoneIndex([])
    assert index.zones == [] and len(index) == 0
    assert index.containing(10.0, 10.0) == []
    assert index.containing_many(np.array([1.0, 2.0]), np.array([3.0, 4.0])) == [[], []]


def test_bad_and_far_points() -> None:
    index = ZoneIndex([zone("a", box(-1, -1, 1, 1))])
    assert index.containing(math.nan, 0.0) == []
    assert index.containing(0.0, math.nan) == []
    assert index.containing(50.0, 50.0) == []
    assert index.containing_many([math.nan, 0.0, 0.5], [0.0, math.inf, 0.5]) == [[], [], [0]]
    assert index.containing_many([], []) == []
    with pytest.raises(ValueError, match="differ"):
        index.containing_many([1.0], [1.0, 2.0])


def test_order_is_index_order_and_overlaps_are_all_returned() -> None:
    zones = [zone("outer", box(0, 0, 10, 10), "eez"), zone("inner", box(4, 4, 6, 6)),
             zone("other", box(20, 20, 21, 21))]
    index = ZoneIndex(zones)
    assert [z.id for z in index.containing(5.0, 5.0)] == ["outer", "inner"]
    assert index.containing_many([5.0, 1.0, 20.5], [5.0, 1.0, 20.5]) == [[0, 1], [0], [2]]


def test_shared_boundary_is_in_both_zones() -> None:
    index = ZoneIndex([zone("west", box(0, 0, 1, 1)), zone("east", box(1, 0, 2, 1))])
    assert [z.id for z in index.containing(0.5, 1.0)] == ["west", "east"]
    assert index.containing_many([0.5], [1.0]) == [[0, 1]]


def test_far_point_is_cheap() -> None:
    """Far from every zone the look-up stops at the bounding-box check: no grid cell is
    classified and the tree is never queried (structure, not wall-clock time, is asserted)."""
    index = ZoneIndex(random_zones(np.random.default_rng(1), 50))
    calls = 0
    tree = index._tree

    class Spy:
        def query(self, *args: object, **kwargs: object) -> object:
            nonlocal calls
            calls += 1
            return tree.query(*args, **kwargs)

    index._tree = Spy()
    for _ in range(1000):
        assert index.containing(-40.0, 100.0) == []
    assert calls == 0 and index._cells == {}
    inside = index.zones[0].geometry.representative_point()
    assert index.containing(inside.y, inside.x)
    assert calls == 1  # a near point classifies its cell once
    index.containing(inside.y, inside.x)
    assert calls == 1  # and reuses it
