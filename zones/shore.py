"""Distance from a position to the shore, in nautical miles, from one of two backends:

* :meth:`ShoreDistance.default`: the ``landmetrics`` package's distance-to-land grid (GSHHG
  coastlines, Wessel & Smith 1996, 0.1 degree, bilinear; shipped in its wheel, opened on the
  first query, never at import). Values are landmetrics' signed great-circle distance in km
  converted to nm: positive at sea, **negative inland**. Coarse near the coast (0.1 degree is
  about 6 nm): it cannot resolve harbours and small cays.
* :meth:`ShoreDistance.from_land_file`: land polygons (GeoJSON, GeoPackage, zipped Shapefile;
  e.g. Natural Earth 10m land plus minor islands). Returns 0.0 on land. Method: the polygons
  are cut into pieces of at most a few hundred vertices and projected to Mercator (conformal,
  so the nearest point in Mercator is the nearest point on the sphere to first order). An
  ``STRtree`` nearest query gives a first candidate; its foot point's great-circle (haversine)
  distance ``h`` bounds the answer, and every piece that could be closer lies within
  ``h / cos(lat_max)`` Mercator units (``lat_max`` the highest latitude within ``h`` of the
  point), which a second ``dwithin`` query collects. The answer is the smallest haversine
  distance to those pieces' nearest points: exact up to the foot-point choice (well under
  0.1 % at Caribbean latitudes). Land is clipped to +-85 degrees latitude (Mercator); pieces
  within 30 degrees of the antimeridian are also indexed shifted by 360 degrees, so a point at
  179.9 E sees land at 179.9 W. (The depth inland used by ``on_land`` counts a land polygon's
  own edges as coast, including a cut at the antimeridian if the file has one.)

Single-point calls (:meth:`ShoreDistance.distance_nm`) are cached on a 0.01 degree grid in a
bounded dict: the value of a call is the distance computed at the centre of its 0.01 degree
cell (at most ~0.43 nm from the point, and the distance changes by at most that much), so the
answer does not depend on which nearby point was asked first. :meth:`ShoreDistance.many_nm`
is exact per point and uncached. :meth:`ShoreDistance.on_land` is exact for polygons and uses
the cached value for landmetrics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from mda.geo import EARTH_RADIUS_M, M_PER_NM

FloatArray = npt.NDArray[np.float64]
_R_KM = EARTH_RADIUS_M / 1000.0
_KM_PER_NM = M_PER_NM / 1000.0
_MERCATOR_MAX_LAT = 85.0
_PIECE_MAX_VERTICES = 128
_WRAP_MARGIN_DEG = 30.0


def haversine_km(lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike,
                 lon2: npt.ArrayLike) -> FloatArray:
    """Great-circle distance in km (spherical Earth, IUGG mean radius), vectorised."""
    p1 = np.radians(lat1)
    p2 = np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * _R_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=np.float64)


def _clean_inputs(lats: npt.ArrayLike, lons: npt.ArrayLike) -> tuple[FloatArray, FloatArray,
                                                                     npt.NDArray[np.bool_]]:
    lat = np.asarray(lats, dtype=np.float64).ravel()
    lon = np.asarray(lons, dtype=np.float64).ravel()
    if lat.shape != lon.shape:
        raise ValueError(f"lats and lons differ in length ({lat.size} != {lon.size})")
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90.0)
        lon = np.where(valid, (lon + 180.0) % 360.0 - 180.0, np.nan)
    return lat, lon, valid


class _Backend(Protocol):
    name: str
    coarse: bool  # on_land may use the cached cell-centre distance

    def many_km(self, lat: FloatArray, lon: FloatArray) -> FloatArray: ...

    def on_land(self, lat: float, lon: float, min_inland_km: float) -> bool: ...


class _Landmetrics:
    """landmetrics' GSHHG distance-to-land grid (0.1 degree, km, negative over land), read
    whole into memory on first use (13 MB of int16, about 0.1 s) and interpolated bilinearly
    here, like landmetrics does: a single-point look-up is a few array reads (about 1 us)
    instead of a netCDF read per new cell. The file is the one the landmetrics wheel ships."""

    name = "landmetrics GSHHG 0.1 deg grid"
    coarse = False

    def __init__(self) -> None:
        self._loaded = False
        self._flat: Any = None
        self._grid: Any = None
        self._lat0 = self._dlat = self._lon0 = self._dlon = 0.0
        self._scale = 1.0
        self._offset = 0.0
        self._n_lat = self._n_lon = 0

    def _load(self) -> None:
        if self._loaded:
            return
        import landmetrics
        import netCDF4

        path = landmetrics.grid_path("distance_to_land", landmetrics.DEFAULT_RESOLUTION_DEG,
                                     landmetrics.DEFAULT_MIN_ISLAND_AREA_KM2, download=False)
        with netCDF4.Dataset(str(path), "r") as ds:
            var = ds.variables["distance_to_land"]
            var.set_auto_maskandscale(False)
            raw = np.ascontiguousarray(np.asarray(var[:], dtype=np.int16))
            self._scale = float(getattr(var, "scale_factor", 1.0))
            self._offset = float(getattr(var, "add_offset", 0.0))
            lat = np.asarray(ds.variables["lat"][:], dtype=np.float64)
            lon = np.asarray(ds.variables["lon"][:], dtype=np.float64)
        self._n_lat, self._n_lon = raw.shape
        # The axes are stored as float32: take the regular spacing from the ends, in float64,
        # so the error does not grow across 3,600 columns.
        self._lat0 = round(float(lat[0]), 6)
        self._dlat = round((float(lat[-1]) - float(lat[0])) / (lat.size - 1), 9)
        self._lon0 = round(float(lon[0]), 6)
        self._dlon = round((float(lon[-1]) - float(lon[0])) / (lon.size - 1), 9)
        self._grid = raw
        self._flat = memoryview(raw.tobytes()).cast("h")
        self._loaded = True

    def km(self, lat: float, lon: float) -> float:
        """Bilinear distance (km) at one point; NaN outside the grid's latitudes."""
        self._load()
        fi = (lat - self._lat0) / self._dlat
        if not 0.0 <= fi <= self._n_lat - 1:
            return math.nan
        i = min(int(fi), self._n_lat - 2)
        wl = fi - i
        fj = ((lon - self._lon0) / self._dlon) % self._n_lon
        j0 = int(fj)
        wo = fj - j0
        j0 %= self._n_lon
        j1 = (j0 + 1) % self._n_lon
        n, f = self._n_lon, self._flat
        r0, r1 = i * n, (i + 1) * n
        top = f[r0 + j0] * (1.0 - wo) + f[r0 + j1] * wo
        bot = f[r1 + j0] * (1.0 - wo) + f[r1 + j1] * wo
        return float((top * (1.0 - wl) + bot * wl) * self._scale + self._offset)

    def many_km(self, lat: FloatArray, lon: FloatArray) -> FloatArray:
        self._load()
        out = np.full(lat.shape, np.nan)
        fi = (lat - self._lat0) / self._dlat
        ok = np.isfinite(fi) & np.isfinite(lon) & (fi >= 0) & (fi <= self._n_lat - 1)
        if not ok.any():
            return out
        fi = fi[ok]
        i = np.minimum(fi.astype(np.int64), self._n_lat - 2)
        wl = fi - i
        fj = ((lon[ok] - self._lon0) / self._dlon) % self._n_lon
        j0 = fj.astype(np.int64)
        wo = fj - j0
        j0 %= self._n_lon
        j1 = (j0 + 1) % self._n_lon
        g = self._grid
        top = g[i, j0] * (1.0 - wo) + g[i, j1] * wo
        bot = g[i + 1, j0] * (1.0 - wo) + g[i + 1, j1] * wo
        out[ok] = (top * (1.0 - wl) + bot * wl) * self._scale + self._offset
        return out

    def on_land(self, lat: float, lon: float, min_inland_km: float) -> bool:
        d = self.km(lat, lon)
        return not math.isnan(d) and d < 0.0 and -d >= min_inland_km


def _mercator(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    phi = np.radians(np.clip(lat, -_MERCATOR_MAX_LAT, _MERCATOR_MAX_LAT))
    return np.radians(lon), np.log(np.tan(np.pi / 4 + phi / 2))


def _inverse_mercator(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    return np.degrees(x), np.degrees(2 * np.arctan(np.exp(y)) - np.pi / 2)


def _subdivide(poly: Any, out: list[Any], depth: int = 0) -> None:
    """Cut a polygon into quadrants until each piece has few vertices (faster nearest-point
    queries; the distance to a union is the least distance to its pieces)."""
    import shapely

    if shapely.get_num_coordinates(poly) <= _PIECE_MAX_VERTICES or depth >= 12:
        out.append(poly)
        return
    minx, miny, maxx, maxy = poly.bounds
    mx, my = (minx + maxx) / 2, (miny + maxy) / 2
    for box in (shapely.box(minx, miny, mx, my), shapely.box(mx, miny, maxx, my),
                shapely.box(minx, my, mx, maxy), shapely.box(mx, my, maxx, maxy)):
        part = shapely.intersection(poly, box)
        for piece in shapely.get_parts(part):
            if piece.geom_type == "Polygon" and not piece.is_empty:
                _subdivide(piece, out, depth + 1)


class _Polygons:
    """Land polygons: exact point-in-land and nearest-shore distances (see the module)."""

    def __init__(self, polygons: Sequence[Any], name: str) -> None:
        import shapely
        from shapely import affinity

        self.name = name
        self.coarse = False
        land = np.array(list(polygons), dtype=object)
        shapely.prepare(land)
        self._land = land
        self._land_tree = shapely.STRtree(land)
        window = shapely.box(-180.0, -_MERCATOR_MAX_LAT, 180.0, _MERCATOR_MAX_LAT)
        pieces: list[Any] = []
        for poly in land:
            clipped = shapely.intersection(poly, window)
            for part in shapely.get_parts(clipped):
                if part.geom_type == "Polygon" and not part.is_empty:
                    _subdivide(part, pieces)
        shifted = []
        for piece in pieces:
            minx, _, maxx, _ = piece.bounds
            if maxx > 180.0 - _WRAP_MARGIN_DEG:
                shifted.append(affinity.translate(piece, xoff=-360.0))
            if minx < -180.0 + _WRAP_MARGIN_DEG:
                shifted.append(affinity.translate(piece, xoff=360.0))
        lonlat = np.array(pieces + shifted, dtype=object)

        def project(coords: FloatArray) -> FloatArray:
            x, y = _mercator(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        self._pieces = shapely.transform(lonlat, project) if len(lonlat) else lonlat
        self._tree = shapely.STRtree(self._pieces)
        # The coastline (rings of the land polygons) in chunks of a few vertices, lon/lat,
        # for the depth of a point inland.
        chunks: list[Any] = []
        for ring in shapely.get_rings(land):
            coords = shapely.get_coordinates(ring)
            for start in range(0, len(coords) - 1, _PIECE_MAX_VERTICES):
                chunks.append(shapely.linestrings(
                    coords[start:start + _PIECE_MAX_VERTICES + 1]))
        self._coast = np.array(chunks, dtype=object)
        self._coast_tree = shapely.STRtree(self._coast)
        vertices = np.unique(shapely.get_coordinates(self._pieces), axis=0)
        self._vertex_tree = shapely.STRtree(shapely.points(vertices))
        self._vertex_lon, self._vertex_lat = _inverse_mercator(vertices[:, 0], vertices[:, 1])

    def _feet_km(self, pi: npt.NDArray[np.intp], pj: npt.NDArray[np.intp], pts: Any,
                 lat: FloatArray, lon: FloatArray) -> FloatArray:
        """Haversine km from points ``pi`` to their nearest points on pieces ``pj``."""
        import shapely

        if pi.size == 0:
            return np.empty(0)
        lines = shapely.shortest_line(self._pieces[pj], pts[pi])
        feet = shapely.get_coordinates(lines)[::2]  # each line runs from the piece to the point
        flon, flat = _inverse_mercator(feet[:, 0], feet[:, 1])
        return haversine_km(lat[pi], lon[pi], flat, flon)

    def many_km(self, lat: FloatArray, lon: FloatArray) -> FloatArray:
        import shapely

        out = np.full(lat.shape, np.nan)
        ok = np.nonzero(np.isfinite(lat) & np.isfinite(lon))[0]
        if ok.size == 0 or len(self._pieces) == 0:
            return out
        la, lo = lat[ok], lon[ok]
        x, y = _mercator(lo, la)
        pts = shapely.points(x, y)
        best = np.full(ok.size, np.inf)
        land_i, _ = self._tree.query(pts, predicate="intersects")
        best[land_i] = 0.0
        sea = np.nonzero(best > 0.0)[0]
        if sea.size:
            # 1. An upper bound: the great-circle distance to the nearest land vertex.
            (vi, vj), _ = self._vertex_tree.query_nearest(pts[sea], return_distance=True,
                                                          all_matches=False)
            bound = np.full(sea.size, np.inf)
            np.minimum.at(bound, vi, haversine_km(la[sea[vi]], lo[sea[vi]],
                                                  self._vertex_lat[vj], self._vertex_lon[vj]))
            # 2. Every piece nearer than that lies within bound / cos(lat_max) in Mercator.
            angle = bound / _R_KM
            reach = np.degrees(angle)
            lat_max = np.minimum(np.abs(la[sea]) + reach, _MERCATOR_MAX_LAT)
            lat_min = np.maximum(np.abs(la[sea]) - reach, 0.0)
            radius = angle / np.cos(np.radians(lat_max)) * (1 + 1e-9) + 1e-12
            qi, qj = self._tree.query(pts[sea], predicate="dwithin", distance=radius)
            # 3. Of those, only pieces whose Mercator distance is within the scale change over
            #    the reach of the nearest one can be nearer on the sphere.
            merc = shapely.distance(self._pieces[qj], pts[sea[qi]])
            nearest = np.full(sea.size, np.inf)
            np.minimum.at(nearest, qi, merc)
            slack = np.cos(np.radians(lat_min)) / np.cos(np.radians(lat_max))
            keep = merc <= nearest[qi] * slack[qi] * (1 + 1e-9) + 1e-15
            idx = sea[qi[keep]]
            np.minimum.at(best, idx, self._feet_km(idx, qj[keep], pts, la, lo))
        out[ok] = best
        return out

    def on_land(self, lat: float, lon: float, min_inland_km: float) -> bool:
        import shapely

        point = shapely.Point(lon, lat)
        near = self._land_tree.query(point)
        if near.size == 0 or not shapely.intersects_xy(self._land[near], lon, lat).any():
            return False
        return min_inland_km <= 0.0 or self._coast_km(point, lat, lon) >= min_inland_km

    def _coast_km(self, point: Any, lat: float, lon: float) -> float:
        """Great-circle km from a point to the nearest coastline (the same bound-then-collect
        search as for ports, on coastline chunks in lon/lat degrees)."""
        import shapely

        def feet_km(idx: Any) -> float:
            lines = shapely.shortest_line(self._coast[idx], point)
            feet = shapely.get_coordinates(lines)[::2]
            return float(haversine_km(lat, lon, feet[:, 1], feet[:, 0]).min())

        best = feet_km(self._coast_tree.query_nearest(point))
        angle = best / _R_KM
        lat_max = min(abs(lat) + math.degrees(angle), 89.999)
        radius = math.degrees(angle) / math.cos(math.radians(lat_max)) * (1 + 1e-9) + 1e-12
        near = self._coast_tree.query(point, predicate="dwithin", distance=radius)
        return min(best, feet_km(near)) if near.size else best


class ShoreDistance:
    """Distance to shore in nautical miles (see the module docstring for the backends)."""

    def __init__(self, backend: _Backend, *, cache_size: int = 200_000,
                 cache_deg: float = 0.01) -> None:
        self._backend = backend
        self._cache: dict[tuple[int, int], float | None] = {}
        self._cache_size = int(cache_size)
        self._cache_inv = 1.0 / cache_deg
        self._cache_deg = cache_deg

    @property
    def name(self) -> str:
        return self._backend.name

    @classmethod
    def default(cls) -> ShoreDistance:
        """landmetrics' bundled GSHHG grid (opened lazily, never downloaded)."""
        return cls(_Landmetrics())

    @classmethod
    def from_land_file(cls, path: str | Path | Sequence[str | Path]) -> ShoreDistance:
        """Land polygons from one file or several (merged), e.g. Natural Earth 10m land plus
        its minor islands. Non-polygonal features are ignored; invalid ones are repaired."""
        import shapely

        from zones._io import read_frame

        paths = [path] if isinstance(path, (str, Path)) else list(path)
        polys: list[Any] = []
        for p in paths:
            frame = read_frame(p)
            for geom in frame.data.geometry:
                if geom is None or geom.is_empty:
                    continue
                if not geom.is_valid:
                    geom = shapely.make_valid(geom)
                for part in shapely.get_parts(geom):
                    if part.geom_type == "Polygon" and not part.is_empty:
                        polys.append(shapely.force_2d(part))
                    elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
                        polys.extend(q for q in shapely.get_parts(part)
                                     if q.geom_type == "Polygon" and not q.is_empty)
        if not polys:
            raise ValueError(f"no land polygons in {', '.join(str(p) for p in paths)}")
        name = "land polygons: " + ", ".join(Path(p).name for p in paths)
        return cls(_Polygons(polys, name))

    def distance_nm(self, lat: float, lon: float) -> float | None:
        """Distance to shore (nm); ``None`` when unknown (bad coordinates, or outside the
        grid). landmetrics grid: interpolated at the point itself, negative inland. Land
        polygons: the value at the centre of the point's 0.01 degree cell (cached, since a
        nearest-shore search costs about 0.1 ms), 0.0 on land."""
        if not (-90.0 <= lat <= 90.0) or not math.isfinite(lon):
            return None
        direct = getattr(self._backend, "km", None)
        if direct is not None:
            km = direct(lat, lon)
            return None if math.isnan(km) else km / _KM_PER_NM
        key = (math.floor(lat * self._cache_inv + 0.5),
               math.floor(_wrap(lon) * self._cache_inv + 0.5))
        try:
            return self._cache[key]
        except KeyError:
            pass
        clat = max(-90.0, min(90.0, key[0] * self._cache_deg))
        clon = key[1] * self._cache_deg
        km = float(self._backend.many_km(np.array([clat]), np.array([_wrap(clon)]))[0])
        value = None if math.isnan(km) else km / _KM_PER_NM
        if len(self._cache) >= self._cache_size:
            del self._cache[next(iter(self._cache))]  # evict the oldest entry
        self._cache[key] = value
        return value

    def __call__(self, lat: float, lon: float) -> float | None:
        return self.distance_nm(lat, lon)

    def many_nm(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> FloatArray:
        """Distance to shore (nm) for arrays of positions, exact per point, NaN when
        unknown."""
        lat, lon, valid = _clean_inputs(lats, lons)
        out = np.full(lat.shape, np.nan)
        if valid.any():
            out[valid] = self._backend.many_km(lat[valid], lon[valid]) / _KM_PER_NM
        return out

    def on_land(self, lat: float, lon: float, min_inland_km: float = 0.0) -> bool:
        """Whether a position is on land (and at least ``min_inland_km`` from the coast).
        Exact for polygons (a point on the coastline is on land; the depth inland is the
        great-circle distance to the nearest coastline). landmetrics: the cached signed
        distance (see :meth:`distance_nm`) is negative; the 0.1 degree grid limits this near
        the coast."""
        if not (-90.0 <= lat <= 90.0) or not math.isfinite(lon):
            return False
        if self._backend.coarse:
            nm = self.distance_nm(lat, lon)
            return nm is not None and nm < 0.0 and -nm * _KM_PER_NM >= min_inland_km
        return self._backend.on_land(lat, _wrap(lon), min_inland_km)


def _wrap(lon: float) -> float:
    return lon if -180.0 <= lon <= 180.0 else ((lon + 180.0) % 360.0) - 180.0
