"""The offline base layer: Natural Earth land polygons from the ``world-atlas`` npm package
(TopoJSON, fetched into the asset cache by ``mda assets fetch``), decoded to shapely polygons,
clipped to the map's extent and simplified for its scale, as GeoJSON.

TopoJSON (https://github.com/topojson/topojson-specification): arcs are quantized and
delta-encoded when the topology has a ``transform``; a ring lists arc indices, ``~i`` (that is
``-i - 1``) meaning arc ``i`` reversed; consecutive arcs share their joining point.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from maps.assets import AssetCache

Bbox = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat

# Resolution by the larger side of the extent, in degrees.
_RESOLUTIONS = ((40.0, "110m"), (8.0, "50m"), (0.0, "10m"))


def decode_topojson(topology: dict[str, Any]) -> list[Any]:
    """Every Polygon of every object of a TopoJSON topology, as shapely Polygons (lon, lat)."""
    transform = topology.get("transform")
    raw = topology["arcs"]
    lengths = np.fromiter((len(a) for a in raw), dtype=np.int64, count=len(raw))
    flat = np.fromiter((v for arc in raw for p in arc for v in p[:2]), dtype=float,
                       count=int(lengths.sum()) * 2).reshape(-1, 2)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    if transform is not None:
        # Delta-decoding per arc: a cumulative sum over everything, less the sum before each
        # arc's first point.
        total = np.cumsum(flat, axis=0)
        before = np.vstack([[0.0, 0.0], total[starts[1:] - 1]]) if len(starts) else total[:0]
        flat = total - np.repeat(before, lengths, axis=0)
        flat = flat * np.asarray(transform["scale"], float) + np.asarray(
            transform["translate"], float)
    arcs = [flat[s:s + n] for s, n in zip(starts, lengths, strict=True)]

    def ring(indices: list[int]) -> np.ndarray:
        parts: list[np.ndarray] = []
        for k, i in enumerate(indices):
            a = arcs[i] if i >= 0 else arcs[~i][::-1]
            parts.append(a if k == 0 else a[1:])
        return np.concatenate(parts) if parts else np.empty((0, 2))

    polygons: list[Any] = []

    def polygon(rings: list[list[int]]) -> None:
        coords = [ring(r) for r in rings]
        coords = [c for c in coords if len(c) >= 4]
        if coords:
            polygons.append(shapely.Polygon(coords[0], coords[1:]))

    def walk(geom: dict[str, Any]) -> None:
        t = geom.get("type")
        if t == "GeometryCollection":
            for g in geom.get("geometries", []):
                walk(g)
        elif t == "Polygon":
            polygon(geom["arcs"])
        elif t == "MultiPolygon":
            for p in geom["arcs"]:
                polygon(p)

    for obj in topology["objects"].values():
        walk(obj)
    return polygons


@lru_cache(maxsize=6)
def _land(path: Path) -> tuple[np.ndarray, Any]:
    topology = json.loads(path.read_text(encoding="utf-8"))
    polys = np.array(decode_topojson(topology), dtype=object)
    # Drawn, never used for containment: no validity repair (it would cost seconds for 10m).
    return polys, shapely.STRtree(polys)


def resolution_for(bbox: Bbox) -> str:
    span = max(bbox[2] - bbox[0], bbox[3] - bbox[1])
    if bbox[0] > bbox[2]:  # crosses the antimeridian
        span = max(360.0 + bbox[2] - bbox[0], bbox[3] - bbox[1])
    for limit, res in _RESOLUTIONS:
        if span > limit:
            return res
    return "10m"


def land_polygons(cache: AssetCache, resolution: str = "50m") -> Any:
    """All land polygons at a resolution (``110m``, ``50m``, ``10m``), or None without the
    cache. Decoded once per process."""
    path = cache.path(f"land-{resolution}")
    if path is None:
        return None
    return _land(path)[0]


def land_geojson(cache: AssetCache, bbox: Bbox | None = None, resolution: str | None = None,
                 margin_deg: float = 2.0, precision: int = 4) -> dict[str, Any] | None:
    """Land inside ``bbox`` (grown by ``margin_deg``; the whole world without it) as a GeoJSON
    FeatureCollection of one MultiPolygon, simplified for the extent. None without the
    cache."""
    if bbox is None:
        bbox = (-180.0, -90.0, 180.0, 90.0)
    res = resolution or resolution_for(bbox)
    path = cache.path(f"land-{res}")
    if path is None:
        return None
    polys, tree = _land(path)
    boxes = _boxes(bbox, margin_deg)
    parts: list[Any] = []
    for b in boxes:
        idx = tree.query(shapely.box(*b))
        if len(idx):
            clipped = shapely.clip_by_rect(polys[idx], *b)
            parts.extend(g for g in clipped if not g.is_empty)
    span = max(b[2] - b[0] for b in boxes)
    tolerance = span / 4000.0
    polygons: list[Any] = []
    for g in parts:
        g = shapely.simplify(g, tolerance, preserve_topology=True)
        polygons.extend(_polygon_parts(g))
    coords = [_rounded_rings(p, precision) for p in shapely.orient_polygons(polygons)]
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "land", "source": f"Natural Earth {res}"},
        "geometry": {"type": "MultiPolygon", "coordinates": coords}}]}


def _rounded_rings(polygon: Any, precision: int) -> list[list[list[float]]]:
    """A polygon's rings as GeoJSON positions, rounded (rings stay closed: the first and last
    positions round alike)."""
    rings = [polygon.exterior, *polygon.interiors]
    return [np.round(np.asarray(r.coords)[:, :2], precision).tolist() for r in rings]


def _boxes(bbox: Bbox, margin: float) -> list[Bbox]:
    w, s, e, n = bbox
    s, n = max(-90.0, s - margin), min(90.0, n + margin)
    if w > e:  # crosses the antimeridian: two boxes
        return [(max(-180.0, w - margin), s, 180.0, n), (-180.0, s, min(180.0, e + margin), n)]
    return [(max(-180.0, w - margin), s, min(180.0, e + margin), n)]


def _polygon_parts(g: Any) -> list[Any]:
    if g.is_empty:
        return []
    if g.geom_type == "Polygon":
        return [g]
    if g.geom_type in ("MultiPolygon", "GeometryCollection"):
        out: list[Any] = []
        for part in g.geoms:
            out.extend(_polygon_parts(part))
        return out
    return []
