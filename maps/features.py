"""GeoJSON (RFC 7946) building blocks shared by the report map, the picture server and the
exports: alerts, the lines that relate an alert's positions, vessels, tracks and zones.

RFC 7946 rules kept everywhere: positions are ``[lon, lat]`` in WGS84 degrees; polygon rings
are closed, exterior rings counter-clockwise and holes clockwise (the right-hand rule); a line
that crosses the antimeridian is cut in two (a MultiLineString) instead of running the long way
round; no ``crs`` member.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mda.records import PositionReport, iso_utc, parse_utc
from mda.shiptypes import ship_category
from mda.vessels import NOTHING_KNOWN, VesselInfo, VesselLookup

if TYPE_CHECKING:
    from maps.tracks import Segment, TrackCollector
    from zones.catalogue import Zone

Feature = dict[str, Any]
Bbox = tuple[float, float, float, float]


def feature_collection(features: Iterable[Feature]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


# -- alerts ----------------------------------------------------------------------------------

def read_alerts(path: str | Path) -> list[dict[str, Any]]:
    """Alert JSON lines (``-`` is not accepted here; the CLI reads standard input). Blank lines
    are skipped; a line that is not an alert object raises ValueError naming the line."""
    out: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                out.append(parse_alert_line(line, n, str(path)))
    return out


def parse_alert_line(line: str, n: int = 0, name: str = "") -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except ValueError as exc:
        raise ValueError(f"{name}:{n}: not JSON ({exc})") from None
    if not isinstance(obj, dict) or not {"alert_id", "kind", "lat", "lon"} <= obj.keys():
        raise ValueError(f"{name}:{n}: not an alert (needs alert_id, kind, lat, lon)")
    if not (_is_num(obj["lat"]) and _is_num(obj["lon"])
            and -90 <= obj["lat"] <= 90 and -180 <= obj["lon"] <= 180):
        raise ValueError(f"{name}:{n}: alert {obj['alert_id']} has no valid lat/lon")
    return obj


def _is_num(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def latest_states(alerts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last state of every alert (the JSON lines hold every lifecycle state; sinks upsert
    by ``alert_id``), ordered by start time then id."""
    last: dict[str, dict[str, Any]] = {}
    for a in alerts:
        last[a["alert_id"]] = a
    return sorted(last.values(), key=lambda a: (a.get("start") or "", a["alert_id"]))


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return parse_utc(text)


def alert_feature(alert: dict[str, Any]) -> Feature:
    """An alert as a Point feature; the properties are the alert JSON (BRIEF section 4)."""
    return {"type": "Feature", "id": alert["alert_id"],
            "geometry": point(alert["lon"], alert["lat"]),
            "properties": dict(alert)}


def alert_links(alert: dict[str, Any], tracks: TrackCollector | None = None) -> list[Feature]:
    """The lines that relate an alert's positions, as LineString features with properties
    ``alert_id``, ``kind`` and ``link``:

    * ``gap``: the last position before the silence to the first one after it (closed gaps);
    * ``rendezvous``: the two vessels at the middle of the meeting, from their tracks;
    * ``jump`` (spoofing, impossible speed): from where the track was to where it jumped;
    * ``shared`` (spoofing, one MMSI in two places): between the two tracks.
    """
    ev = alert.get("evidence") or {}
    pairs: list[tuple[str, tuple[float, float], tuple[float, float]]] = []
    kind = alert.get("kind")
    if kind == "gap" and _has(ev, "last_lat", "last_lon", "first_lat", "first_lon"):
        pairs.append(("gap", (ev["last_lat"], ev["last_lon"]), (ev["first_lat"], ev["first_lon"])))
    elif kind == "spoofing" and _has(ev, "from_lat", "from_lon", "to_lat", "to_lon"):
        pairs.append(("jump", (ev["from_lat"], ev["from_lon"]), (ev["to_lat"], ev["to_lon"])))
    elif kind == "spoofing" and _has(ev, "track_a_lat", "track_a_lon", "track_b_lat",
                                     "track_b_lon"):
        pairs.append(("shared", (ev["track_a_lat"], ev["track_a_lon"]),
                      (ev["track_b_lat"], ev["track_b_lon"])))
    elif kind == "rendezvous" and tracks is not None and alert.get("other_mmsi"):
        start, end = parse_time(alert.get("start")), parse_time(alert.get("end"))
        if start is not None:
            t1 = end.timestamp() if end else start.timestamp() + 3600.0 * float(
                ev.get("duration_h") or 0.0)
            mid = (start.timestamp() + t1) / 2.0
            a = tracks.position_at(int(alert["mmsi"]), mid)
            b = tracks.position_at(int(alert["other_mmsi"]), mid)
            if a is not None and b is not None:
                pairs.append(("rendezvous", a, b))
    out: list[Feature] = []
    for link, (lat1, lon1), (lat2, lon2) in pairs:
        out.append({"type": "Feature", "geometry": line([(lon1, lat1), (lon2, lat2)]),
                    "properties": {"alert_id": alert["alert_id"], "kind": kind, "link": link,
                                   "severity": alert.get("severity")}})
    return out


def _has(ev: dict[str, Any], *keys: str) -> bool:
    return all(_is_num(ev.get(k)) for k in keys)


# -- geometry helpers ------------------------------------------------------------------------

def point(lon: float, lat: float, precision: int = 6) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(float(lon), precision),
                                             round(float(lat), precision)]}


def line(coords: Sequence[tuple[float, float]], precision: int = 6) -> dict[str, Any]:
    """A LineString of (lon, lat) positions, or a MultiLineString cut at the antimeridian
    where consecutive positions are more than 180 degrees of longitude apart."""
    parts: list[list[list[float]]] = [[]]
    prev: tuple[float, float] | None = None
    for lon, lat in coords:
        if prev is not None and abs(lon - prev[0]) > 180.0:
            # Cross at +-180: interpolate the latitude where the short way meets it.
            lon_a, lat_a = prev
            side = 180.0 if lon_a > 0 else -180.0
            lon_b = lon + (360.0 if lon_a > 0 else -360.0)
            f = (side - lon_a) / (lon_b - lon_a) if lon_b != lon_a else 0.0
            lat_x = round(lat_a + f * (lat - lat_a), precision)
            parts[-1].append([side, lat_x])
            parts.append([[-side, lat_x]])
        parts[-1].append([round(float(lon), precision), round(float(lat), precision)])
        prev = (lon, lat)
    if len(parts) == 1:
        return {"type": "LineString", "coordinates": parts[0]}
    return {"type": "MultiLineString", "coordinates": parts}


def in_bbox(lon: float, lat: float, bbox: Bbox | None) -> bool:
    """Inside a (west, south, east, north) box; west > east crosses the antimeridian
    (RFC 7946 section 5.2)."""
    if bbox is None:
        return True
    w, s, e, n = bbox
    if not s <= lat <= n:
        return False
    return w <= lon <= e if w <= e else (lon >= w or lon <= e)


# -- vessels ---------------------------------------------------------------------------------

def vessel_properties(report: PositionReport, info: VesselInfo | None) -> dict[str, Any]:
    info = info or NOTHING_KNOWN
    props: dict[str, Any] = {
        "mmsi": report.mmsi,
        "name": info.name,
        "callsign": info.callsign,
        "imo": info.imo,
        "flag": info.flag,
        "flag_country": info.flag_country,
        "ship_type": info.ship_type,
        "category": ship_category(info.ship_type),
        "length_m": info.length_m,
        "sog_kn": report.sog_kn,
        "cog_deg": report.cog_deg,
        "heading_deg": report.heading_deg,
        "nav_status": report.nav_status,
        "ts": iso_utc(report.ts),
    }
    if report.derived:
        props["sog_derived"] = True  # speed and course derived from positions, not reported
    if info.transmitter:
        props["transmitter"] = info.transmitter
    return props


def vessel_feature(report: PositionReport, info: VesselInfo | None) -> Feature:
    return {"type": "Feature", "id": str(report.mmsi),
            "geometry": point(report.lon, report.lat),
            "properties": vessel_properties(report, info)}


def track_features(segments: Sequence[Segment], latest: Callable[[int], PositionReport | None],
                   vessel_info: VesselLookup | None, t0: float,
                   precision: int = 4) -> list[Feature]:
    """One feature per vessel: its track (LineString, or MultiLineString when split; a Point
    when seen once) with the latest report's properties, and ``t``: seconds since ``t0`` of
    every position, one list per line (for the time slider)."""
    by_vessel: dict[int, list[Segment]] = {}
    for s in segments:
        by_vessel.setdefault(s.mmsi, []).append(s)
    out: list[Feature] = []
    for mmsi, segs in by_vessel.items():
        report = latest(mmsi)
        if report is None:
            continue
        props = _compact(vessel_properties(report, vessel_info(mmsi) if vessel_info else None))
        lines = [s for s in segs if len(s) >= 2]
        times = [[round(float(x) - t0) for x in s.t] for s in lines]
        coords = [[[round(float(lo), precision), round(float(la), precision)]
                   for lo, la in zip(s.lon, s.lat, strict=True)] for s in lines]
        if not lines:
            geometry = point(report.lon, report.lat, precision)
            props["t"] = [[round(float(segs[-1].t[-1]) - t0)]]
        elif len(lines) == 1:
            geometry = {"type": "LineString", "coordinates": coords[0]}
            props["t"] = times
        else:
            geometry = {"type": "MultiLineString", "coordinates": coords}
            props["t"] = times
        out.append({"type": "Feature", "id": str(mmsi), "geometry": geometry,
                    "properties": props})
    return out


def _compact(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if v is not None}


# -- zones -----------------------------------------------------------------------------------

def zone_features(zones: Sequence[Zone], bbox: Bbox | None = None,
                  tolerance_deg: float = 0.0, precision: int = 5) -> list[Feature]:
    """Zones as Polygon/MultiPolygon features (right-hand rule, closed rings), optionally only
    those intersecting ``bbox`` and simplified by ``tolerance_deg``."""
    import shapely

    boxes = None
    if bbox is not None:
        w, s, e, n = bbox
        boxes = ([shapely.box(w, s, 180.0, n), shapely.box(-180.0, s, e, n)] if w > e
                 else [shapely.box(w, s, e, n)])
    out: list[Feature] = []
    for z in zones:
        geom = z.geometry
        if boxes is not None and not any(geom.intersects(b) for b in boxes):
            continue
        if tolerance_deg > 0:
            geom = shapely.simplify(geom, tolerance_deg, preserve_topology=True)
        geom = shapely.orient_polygons(geom)
        polys = [geom] if geom.geom_type == "Polygon" else [
            g for g in getattr(geom, "geoms", []) if g.geom_type == "Polygon"]
        rings = [[_ring(r, precision) for r in (p.exterior, *p.interiors)]
                 for p in polys if not p.is_empty]
        if not rings:
            continue
        geometry = ({"type": "Polygon", "coordinates": rings[0]} if len(rings) == 1
                    else {"type": "MultiPolygon", "coordinates": rings})
        rule = z.rule
        out.append({"type": "Feature", "id": z.id, "geometry": geometry, "properties": {
            "zone_id": z.id, "name": z.name, "kind": z.kind, "sovereign": z.sovereign,
            "severity": getattr(rule, "severity", None),
            "ship_types": list(rule.ship_types or ()) or None,
            "foreign_only": getattr(rule, "foreign_only", None),
            "source": Path(z.source).name if z.source else None}})
    return out


def _ring(ring: Any, precision: int) -> list[list[float]]:
    coords = [[round(x, precision), round(y, precision)] for x, y, *_ in ring.coords]
    # Rounding may merge neighbours; drop repeats but keep the ring closed.
    out = [coords[0]]
    for c in coords[1:]:
        if c != out[-1]:
            out.append(c)
    if out[-1] != out[0]:
        out.append(out[0])
    while len(out) < 4:
        out.append(out[0])
    return out
