"""An RFC 7946 (GeoJSON) checker for tests: structure, positions as [lon, lat] within range,
closed linear rings of four or more positions, the right-hand rule (exterior rings
counter-clockwise, holes clockwise), no ``crs`` member, no line crossing the antimeridian the
long way."""

from __future__ import annotations

import itertools
import math
from typing import Any

GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon", "GeometryCollection"}


def _position(p: Any, where: str) -> list[str]:
    if not isinstance(p, list) or len(p) not in (2, 3):
        return [f"{where}: a position is [lon, lat] (or with altitude), got {p!r}"]
    if not all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
               for x in p):
        return [f"{where}: position values must be finite numbers: {p!r}"]
    lon, lat = p[0], p[1]
    errs = []
    if not -180 <= lon <= 180:
        errs.append(f"{where}: longitude {lon} out of range (lon/lat swapped?)")
    if not -90 <= lat <= 90:
        errs.append(f"{where}: latitude {lat} out of range (lon/lat swapped?)")
    return errs


def _signed_area(ring: list[list[float]]) -> float:
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(ring)) / 2.0


def _line(coords: Any, where: str, min_len: int = 2) -> list[str]:
    if not isinstance(coords, list) or len(coords) < min_len:
        return [f"{where}: needs at least {min_len} positions"]
    errs = [e for i, p in enumerate(coords) for e in _position(p, f"{where}[{i}]")]
    if not errs:
        for i, (a, b) in enumerate(itertools.pairwise(coords)):
            if abs(a[0] - b[0]) > 180:
                errs.append(f"{where}[{i}]: segment crosses the antimeridian the long way; "
                            "cut it (RFC 7946 section 3.1.9)")
    return errs


def _polygon(rings: Any, where: str) -> list[str]:
    if not isinstance(rings, list) or not rings:
        return [f"{where}: a polygon needs at least one ring"]
    errs: list[str] = []
    for k, ring in enumerate(rings):
        w = f"{where} ring {k}"
        e = _line(ring, w, min_len=4)
        if e:
            errs += [x for x in e if "antimeridian" not in x]
            continue
        if ring[0] != ring[-1]:
            errs.append(f"{w}: not closed (first {ring[0]} != last {ring[-1]})")
            continue
        area = _signed_area(ring)
        if k == 0 and area < 0:
            errs.append(f"{w}: exterior ring is clockwise (right-hand rule: counter-clockwise)")
        if k > 0 and area > 0:
            errs.append(f"{w}: hole is counter-clockwise (right-hand rule: clockwise)")
    return errs


def geometry_errors(g: Any, where: str = "geometry") -> list[str]:
    if g is None:
        return []
    if not isinstance(g, dict) or g.get("type") not in GEOMETRY_TYPES:
        return [f"{where}: not a geometry: {str(g)[:80]}"]
    t, c = g["type"], g.get("coordinates")
    if t == "GeometryCollection":
        return [e for i, x in enumerate(g.get("geometries", []))
                for e in geometry_errors(x, f"{where}.geometries[{i}]")]
    if t == "Point":
        return _position(c, where)
    if t == "MultiPoint":
        return [e for i, p in enumerate(c or []) for e in _position(p, f"{where}[{i}]")]
    if t == "LineString":
        return _line(c, where)
    if t == "MultiLineString":
        return [e for i, x in enumerate(c or []) for e in _line(x, f"{where}[{i}]")]
    if t == "Polygon":
        return _polygon(c, where)
    return [e for i, x in enumerate(c or []) for e in _polygon(x, f"{where}[{i}]")]


def errors(doc: Any) -> list[str]:
    """Everything in ``doc`` that RFC 7946 forbids (or that its right-hand rule asks for)."""
    if not isinstance(doc, dict):
        return ["not a JSON object"]
    errs: list[str] = []
    if "crs" in doc:
        errs.append("crs member is not allowed (RFC 7946 section 4)")
    if doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        return [*errs, "not a FeatureCollection with a features array"]
    for i, f in enumerate(doc["features"]):
        if not isinstance(f, dict) or f.get("type") != "Feature":
            errs.append(f"features[{i}]: not a Feature")
            continue
        if "geometry" not in f or "properties" not in f:
            errs.append(f"features[{i}]: a Feature needs geometry and properties members")
        if "id" in f and not isinstance(f["id"], str | int | float):
            errs.append(f"features[{i}]: id must be a string or number")
        errs += geometry_errors(f.get("geometry"), f"features[{i}].geometry")
    return errs
