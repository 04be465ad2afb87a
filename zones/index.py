"""Point-in-zone lookups: which zones contain a position.

Two levels, both exact (the answer is always a point-in-polygon test or a proof by cover):

* a shapely ``STRtree`` over the zone geometries, which are *prepared* (``shapely.prepare``) so
  repeated point tests against one polygon use GEOS's indexed prepared geometry;
* a lazily filled grid of cells (0.5 degree by default). For each cell touched by a query the
  index records, once, which zones *cover* the whole cell (every point of the cell is inside:
  no test needed) and which merely *intersect* it (a point test is needed). Open-sea cells far
  from every zone hold nothing, so the single-point path is a bounding-box check, a dict look-up
  and at most a few ``shapely.intersects_xy`` calls. The grid only ever holds cells that queries
  touched.

Points exactly on a zone's boundary count as inside (``intersects`` semantics, not ``within``):
an alert on a vessel sitting on a closure's line is better than a silent miss, and a point on a
boundary shared by two zones is in both. Longitudes outside [-180, 180] (e.g. 0..360) are
wrapped before the lookup, so they meet the antimeridian-split zones of the catalogue.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from zones.catalogue import Zone

_Entry = tuple[int, Zone, Any]  # (zone index, zone, geometry to test or None when it covers)
_KEY_OFFSET = 1 << 20  # packs (row, col) cell keys into one int64 for numpy


def _wrap_lon(lon: float) -> float:
    return ((lon + 180.0) % 360.0) - 180.0


class ZoneIndex:
    """A spatial index over zones; ``zones`` is the list the returned indices refer to."""

    def __init__(self, zones: Sequence[Zone], *, cell_deg: float = 0.5) -> None:
        import shapely

        if cell_deg <= 0:
            raise ValueError("cell_deg must be positive")
        self.zones: list[Zone] = list(zones)
        self._cell = float(cell_deg)
        self._inv = 1.0 / self._cell
        self._geoms = np.array([z.geometry for z in self.zones], dtype=object)
        self._cells: dict[tuple[int, int], tuple[_Entry, ...]] = {}
        self._tree: Any = None
        self._bbox = (math.inf, math.inf, -math.inf, -math.inf)
        if self.zones:
            shapely.prepare(self._geoms)
            self._tree = shapely.STRtree(self._geoms)
            minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(self._geoms))
            self._bbox = (minx, miny, maxx, maxy)

    def __len__(self) -> int:
        return len(self.zones)

    def _fill(self, key: tuple[int, int]) -> tuple[_Entry, ...]:
        """Classify the zones near one grid cell (computed once per cell)."""
        import shapely

        pad = 1e-9  # the cell box is closed and padded: a point on its edge is in it
        row, col = key
        box = shapely.box(col * self._cell - pad, row * self._cell - pad,
                          (col + 1) * self._cell + pad, (row + 1) * self._cell + pad)
        candidates = np.sort(self._tree.query(box))
        entries: tuple[_Entry, ...] = ()
        if len(candidates):
            geoms = self._geoms[candidates]
            covers = shapely.covers(geoms, box)
            touches = covers | shapely.intersects(geoms, box)
            entries = tuple((int(i), self.zones[int(i)], None if c else g)
                            for i, g, c, t in zip(candidates, geoms, covers, touches, strict=True)
                            if t)
        self._cells[key] = entries
        return entries

    def containing(self, lat: float, lon: float) -> list[Zone]:
        """The zones containing one position (boundary counts as inside), in index order."""
        minx, miny, maxx, maxy = self._bbox
        if not (miny <= lat <= maxy and minx <= lon <= maxx):
            if not (lon < -180.0 or lon > 180.0):  # also false for NaN
                return []
            lon = _wrap_lon(lon)
            if not (miny <= lat <= maxy and minx <= lon <= maxx):
                return []
        key = (math.floor(lat * self._inv), math.floor(lon * self._inv))
        entries = self._cells.get(key)
        if entries is None:
            entries = self._fill(key)
        if not entries:
            return []
        import shapely

        return [z for _, z, g in entries if g is None or shapely.intersects_xy(g, lon, lat)]

    def containing_many(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> list[list[int]]:
        """For each position, the indices into :attr:`zones` of the zones containing it (in
        index order). Vectorised: the grid cells give candidate pairs and decide the cells a
        zone covers; the rest are tested with ``shapely.intersects_xy`` on the prepared
        geometries in one call."""
        import shapely

        lat = np.asarray(lats, dtype=np.float64).ravel()
        lon = np.asarray(lons, dtype=np.float64).ravel()
        if lat.shape != lon.shape:
            raise ValueError(f"lats and lons differ in length ({lat.size} != {lon.size})")
        n = lat.size
        out: list[list[int]] = [[] for _ in range(n)]
        if not self.zones or n == 0:
            return out
        outside = np.isfinite(lon) & ((lon < -180.0) | (lon > 180.0))
        if outside.any():
            lon = lon.copy()
            lon[outside] = (lon[outside] + 180.0) % 360.0 - 180.0
        minx, miny, maxx, maxy = self._bbox
        with np.errstate(invalid="ignore"):
            ok = (lat >= miny) & (lat <= maxy) & (lon >= minx) & (lon <= maxx)
        points = np.nonzero(ok)[0]
        if points.size == 0:
            return out
        rows = np.floor(lat[points] * self._inv).astype(np.int64)
        cols = np.floor(lon[points] * self._inv).astype(np.int64)
        keys = (rows + _KEY_OFFSET) * (2 * _KEY_OFFSET) + (cols + _KEY_OFFSET)
        unique, inverse = np.unique(keys, return_inverse=True)
        # CSR table of the entries of each distinct cell.
        starts = np.zeros(unique.size, dtype=np.int64)
        counts = np.zeros(unique.size, dtype=np.int64)
        zone_of: list[int] = []
        needs: list[bool] = []
        for u, key in enumerate(unique.tolist()):
            cell = (key // (2 * _KEY_OFFSET) - _KEY_OFFSET, key % (2 * _KEY_OFFSET) - _KEY_OFFSET)
            entries = self._cells.get(cell)
            if entries is None:
                entries = self._fill(cell)
            starts[u] = len(zone_of)
            counts[u] = len(entries)
            for i, _, g in entries:
                zone_of.append(i)
                needs.append(g is not None)
        per_point = counts[inverse]
        total = int(per_point.sum())
        if total == 0:
            return out
        pair_point = np.repeat(points, per_point)
        first = np.cumsum(per_point) - per_point
        entry = np.repeat(starts[inverse], per_point) + (
            np.arange(total, dtype=np.int64) - np.repeat(first, per_point))
        pair_zone = np.asarray(zone_of, dtype=np.int64)[entry]
        test = np.asarray(needs, dtype=bool)[entry]
        keep = ~test
        if test.any():
            p = pair_point[test]
            keep[test] = shapely.intersects_xy(self._geoms[pair_zone[test]], lon[p], lat[p])
        for i, z in zip(pair_point[keep].tolist(), pair_zone[keep].tolist(), strict=True):
            out[i].append(z)
        return out
