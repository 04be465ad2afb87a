"""Exports for partner agencies: GeoJSON (RFC 7946), KML (OGC KML 2.2, Google Earth), CSV and
Cursor-on-Target XML events for TAK. Pure functions: alerts (and optionally vessels) in, text
out. Every export holds the last state of each alert (the JSON lines hold every lifecycle
state; the last one wins, as an upserting sink would keep it).

Cursor-on-Target (CoT 2.0 event schema, as TAK servers and clients read it):

* an alert is an event with ``uid="mda-alert-<alert_id>"`` and type ``b-m-p-s-m`` (a spot map
  marker: a point of interest that carries remarks, which ATAK/WinTAK show as a marker, not as
  a track), ``how="m-g"``; ``time`` is the alert's latest event time (end, else detection,
  else start), ``start`` its start, ``stale`` ``time`` + ``stale_s``;
* a vessel is an event with ``uid="MMSI-<mmsi>"`` and type ``a-u-S`` (atom, unknown
  affiliation, sea surface), ``how="m-g"``, at its latest reported position and time;
* ``point`` carries ``lat``, ``lon``, and ``hae``/``ce``/``le`` of ``9999999.0`` (the CoT
  value for "unknown");
* ``detail`` holds ``contact callsign``, ``track course`` (degrees true) and ``speed`` (m/s,
  converted from knots; present only when both are known), ``remarks`` (the alert summary),
  and ``__mda`` with the alert's kind, severity, status and MMSIs.

``now`` restamps ``time``/``start``/``stale`` from a given clock instead (for feeding a replay
into a live TAK server, where events stale in the past are dropped). Events are written one per
line, the stream form TAK servers accept (``nc tak-server 8087 < alerts.cot``).
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from maps.features import (
    alert_feature,
    alert_links,
    latest_states,
    parse_time,
    vessel_feature,
)
from maps.style import ALERT_STYLES, SEVERITY_STYLES, alert_colour
from mda.records import PositionReport, iso_utc
from mda.shiptypes import ship_category
from mda.vessels import NOTHING_KNOWN, VesselInfo, VesselLookup

FORMATS = ("geojson", "kml", "csv", "cot")
KML_NS = "http://www.opengis.net/kml/2.2"
KN_TO_MS = 1852.0 / 3600.0
COT_ALERT_TYPE = "b-m-p-s-m"
COT_VESSEL_TYPE = "a-u-S"  # unknown affiliation, sea surface track (type not known)
# CoT types by ship category (MIL-STD-2525 surface, non-combatant "S-X" branch; affiliation
# stays unknown "u": AIS identities are claimed, not verified).
COT_SHIP_TYPES = {
    "cargo": "a-u-S-X-M-C",
    "tanker": "a-u-S-X-M-O",
    "passenger": "a-u-S-X-M-P",
    "fishing": "a-u-S-X-F",
    "high_speed": "a-u-S-X-M",
    "tug_service": "a-u-S-X-M-T",
    "pleasure": "a-u-S-X-R",
    "military_law": "a-u-S-X-L",
    "other": "a-u-S-X",
}


def cot_vessel_type(ship_type: int | None) -> str:
    """The CoT type of a vessel of this AIS ship type (``a-u-S`` when unknown)."""
    return COT_SHIP_TYPES.get(ship_category(ship_type), COT_VESSEL_TYPE)
COT_UNKNOWN = "9999999.0"


# -- GeoJSON -------------------------------------------------------------------------------

def to_geojson(alerts: Iterable[dict[str, Any]], vessels: Iterable[PositionReport] = (),
               vessel_info: VesselLookup | None = None, links: bool = False) -> str:
    """A FeatureCollection: one Point per alert (properties: the alert JSON), optionally the
    lines relating alert positions (``links``) and one Point per vessel (its latest report).
    One feature per line, so the file diffs and greps well."""
    features: list[dict[str, Any]] = []
    for a in latest_states(alerts):
        features.append(alert_feature(a))
        if links:
            features.extend(alert_links(a))
    for r in vessels:
        f = vessel_feature(r, vessel_info(r.mmsi) if vessel_info else None)
        f["properties"]["feature"] = "vessel"
        features.append(f)
    body = ",\n".join(json.dumps(f, separators=(",", ":"), allow_nan=False) for f in features)
    return '{"type":"FeatureCollection","features":[\n' + body + ("\n" if body else "") + "]}\n"


# -- CSV -----------------------------------------------------------------------------------

CSV_COLUMNS = ("alert_id", "kind", "status", "severity", "start", "end", "lat", "lon", "mmsi",
               "vessel_name", "flag", "ship_type", "other_mmsi", "other_vessel_name", "zone_id",
               "zone_name", "summary", "evidence")


def to_csv(alerts: Iterable[dict[str, Any]]) -> str:
    """One row per alert (RFC 4180: comma-separated, CRLF, quoted where needed); the evidence
    is a JSON object in the last column."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)
    for a in latest_states(alerts):
        v = a.get("vessel") or {}
        ev = a.get("evidence") or {}
        other = ev.get("other_vessel") or {}
        w.writerow([a.get("alert_id"), a.get("kind"), a.get("status"), a.get("severity"),
                    a.get("start"), a.get("end") or "", a.get("lat"), a.get("lon"),
                    a.get("mmsi"), v.get("name") or "", v.get("flag") or "",
                    v.get("ship_type") if v.get("ship_type") is not None else "",
                    a.get("other_mmsi") or "", other.get("name") or "",
                    a.get("zone_id") or "", a.get("zone_name") or "", a.get("summary") or "",
                    json.dumps(ev, separators=(",", ":"), sort_keys=True)])
    return out.getvalue()


# -- KML -----------------------------------------------------------------------------------

def _kml_colour(hex_rgb: str, alpha: int = 255) -> str:
    """``#rrggbb`` -> KML ``aabbggrr``."""
    h = hex_rgb.lstrip("#")
    return f"{alpha:02x}{h[4:6]}{h[2:4]}{h[0:2]}"


def _sub(parent: ET.Element, tag: str, text: str | None = None,
         **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{KML_NS}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _description(a: dict[str, Any]) -> str:
    v = a.get("vessel") or {}
    rows = [("kind", a.get("kind")), ("severity", a.get("severity")),
            ("status", a.get("status")), ("start", a.get("start")),
            ("end", a.get("end") or "still open"),
            ("vessel", f"{v.get('name') or 'unnamed'} (MMSI {a.get('mmsi')}, "
                       f"{v.get('flag_country') or v.get('flag') or 'flag unknown'})")]
    if a.get("other_mmsi"):
        rows.append(("other vessel", f"MMSI {a.get('other_mmsi')}"))
    if a.get("zone_name"):
        rows.append(("zone", a.get("zone_name")))
    for k, val in (a.get("evidence") or {}).items():
        if k != "other_vessel":
            rows.append((k, val))
    table = "".join(f"<tr><th align='left'>{html.escape(str(k))}</th>"
                    f"<td>{html.escape('' if val is None else str(val))}</td></tr>"
                    for k, val in rows)
    return f"<p>{html.escape(a.get('summary') or '')}</p><table>{table}</table>"


def to_kml(alerts: Iterable[dict[str, Any]], vessels: Iterable[PositionReport] = (),
           vessel_info: VesselLookup | None = None, name: str = "MDA alerts") -> str:
    """A KML 2.2 document that Google Earth opens: one folder per alert kind (Placemarks with
    a TimeSpan, a description table and ExtendedData with every field; the lines relating an
    alert's positions), styles by kind (colour) and severity (size), and a folder of vessels
    when given."""
    ET.register_namespace("", KML_NS)
    root = ET.Element(f"{{{KML_NS}}}kml")
    doc = _sub(root, "Document")
    _sub(doc, "name", name)
    states = latest_states(alerts)
    kinds = sorted({a["kind"] for a in states})
    scale = {k: 0.8 + 0.2 * i for i, (k, *_) in enumerate(SEVERITY_STYLES)}
    for kind in kinds:
        for sev, *_ in SEVERITY_STYLES:
            st = _sub(doc, "Style", id=f"{kind}-{sev}")
            icon = _sub(st, "IconStyle")
            _sub(icon, "color", _kml_colour(alert_colour(kind)))
            _sub(icon, "scale", f"{scale[sev]:.1f}")
            _sub(_sub(icon, "Icon"), "href",
                 "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png")
            ls = _sub(st, "LineStyle")
            _sub(ls, "color", _kml_colour(alert_colour(kind)))
            _sub(ls, "width", "3")
    labels: dict[str, str] = {k: lbl for k, lbl, _ in ALERT_STYLES}
    for kind in kinds:
        folder = _sub(doc, "Folder")
        _sub(folder, "name", labels.get(kind, kind))
        for a in (x for x in states if x["kind"] == kind):
            pm = _sub(folder, "Placemark", id=f"alert-{a['alert_id']}")
            v = a.get("vessel") or {}
            _sub(pm, "name", f"{kind} {v.get('name') or a.get('mmsi')}")
            _sub(pm, "description", _description(a))
            span = _sub(pm, "TimeSpan")
            _sub(span, "begin", a.get("start") or "")
            if a.get("end"):
                _sub(span, "end", a["end"])
            _sub(pm, "styleUrl", f"#{kind}-{a.get('severity') or 'medium'}")
            ext = _sub(pm, "ExtendedData")
            for k, val in a.items():
                if k in ("vessel", "evidence"):
                    val = json.dumps(val, separators=(",", ":"), sort_keys=True)
                d = _sub(ext, "Data", name=k)
                _sub(d, "value", "" if val is None else str(val))
            _sub(_sub(pm, "Point"), "coordinates", f"{a['lon']},{a['lat']},0")
            for link in alert_links(a):
                lp = _sub(folder, "Placemark")
                _sub(lp, "name", f"{kind} {link['properties']['link']} line")
                _sub(lp, "styleUrl", f"#{kind}-{a.get('severity') or 'medium'}")
                geom = link["geometry"]
                parts = ([geom["coordinates"]] if geom["type"] == "LineString"
                         else geom["coordinates"])
                target = _sub(lp, "MultiGeometry") if len(parts) > 1 else lp
                for part in parts:
                    ls = _sub(target, "LineString")
                    _sub(ls, "tessellate", "1")
                    _sub(ls, "coordinates", " ".join(f"{x},{y},0" for x, y in part))
    vessel_list = list(vessels)
    if vessel_list:
        folder = _sub(doc, "Folder")
        _sub(folder, "name", "Vessels (latest position)")
        for r in vessel_list:
            info = vessel_info(r.mmsi) if vessel_info else NOTHING_KNOWN
            pm = _sub(folder, "Placemark", id=f"MMSI-{r.mmsi}")
            _sub(pm, "name", str(info.name or r.mmsi))
            _sub(pm, "description", html.escape(
                f"MMSI {r.mmsi}, {info.flag_country or ''}, SOG {r.sog_kn} kn, "
                f"COG {r.cog_deg}, {iso_utc(r.ts)}"))
            if r.ts is not None:
                _sub(_sub(pm, "TimeStamp"), "when", iso_utc(r.ts) or "")
            _sub(_sub(pm, "Point"), "coordinates", f"{r.lon},{r.lat},0")
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") \
        + "\n"


# -- Cursor-on-Target -------------------------------------------------------------------------

def _cot_time(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _num(x: Any) -> float | None:
    if isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x):
        return float(x)
    return None


def _track(detail: ET.Element, course_deg: float | None, speed_kn: float | None) -> None:
    if course_deg is None or speed_kn is None:
        return
    ET.SubElement(detail, "track", {"course": f"{course_deg % 360.0:.1f}",
                                    "speed": f"{speed_kn * KN_TO_MS:.2f}"})


def _event(uid: str, type_: str, time: datetime, start: datetime, stale: datetime,
           lat: float, lon: float) -> tuple[ET.Element, ET.Element]:
    ev = ET.Element("event", {"version": "2.0", "uid": uid, "type": type_, "how": "m-g",
                              "time": _cot_time(time), "start": _cot_time(start),
                              "stale": _cot_time(stale)})
    ET.SubElement(ev, "point", {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "hae": COT_UNKNOWN,
                                "ce": COT_UNKNOWN, "le": COT_UNKNOWN})
    return ev, ET.SubElement(ev, "detail")


def cot_alert_event(a: dict[str, Any], stale_s: float = 3600.0, now: datetime | None = None,
                    latest: PositionReport | None = None) -> ET.Element:
    """One alert as a CoT event (module docstring). ``latest``: the vessel's latest report,
    for its course and speed."""
    start = parse_time(a.get("start")) or now
    if start is None:
        raise ValueError(f"alert {a.get('alert_id')} has no start time")
    ev_time = (parse_time(a.get("end"))
               or parse_time((a.get("evidence") or {}).get("detected_at")) or start)
    if now is not None:
        ev_time = start = now
    ev, detail = _event(f"mda-alert-{a['alert_id']}", COT_ALERT_TYPE, ev_time, start,
                        ev_time + timedelta(seconds=stale_s), float(a["lat"]), float(a["lon"]))
    v = a.get("vessel") or {}
    callsign = f"{a.get('kind', 'alert').upper()} {v.get('name') or a.get('mmsi')}"
    ET.SubElement(detail, "contact", {"callsign": callsign})
    evidence = a.get("evidence") or {}
    if latest is not None:
        _track(detail, latest.cog_deg, latest.sog_kn)
    else:
        speed = next((_num(evidence.get(k)) for k in ("sog_kn", "last_sog_kn", "median_sog_kn")
                      if _num(evidence.get(k)) is not None), None)
        _track(detail, _num(evidence.get("cog_deg")), speed)
    ET.SubElement(detail, "remarks").text = a.get("summary") or ""
    colour = int(alert_colour(str(a.get("kind"))).lstrip("#"), 16) | 0xFF000000
    ET.SubElement(detail, "color", {"argb": str(colour - (1 << 32))})
    ET.SubElement(detail, "__mda", {k: str(a.get(k)) for k in (
        "alert_id", "kind", "severity", "status", "mmsi") if a.get(k) is not None}
        | ({"other_mmsi": str(a["other_mmsi"])} if a.get("other_mmsi") else {}))
    if a.get("mmsi") is not None:
        ET.SubElement(detail, "link", {"uid": f"MMSI-{a['mmsi']}", "type": COT_VESSEL_TYPE,
                                       "relation": "p-p"})
    return ev


def cot_vessel_event(r: PositionReport, info: VesselInfo | None = None,
                     stale_s: float = 3600.0, now: datetime | None = None) -> ET.Element:
    """A vessel's latest report as a CoT event (type ``a-u-S``, uid ``MMSI-<mmsi>``)."""
    info = info or NOTHING_KNOWN
    t = now or r.ts
    if t is None:
        raise ValueError(f"MMSI {r.mmsi}: an untimed report cannot be a CoT event")
    ev, detail = _event(f"MMSI-{r.mmsi}", cot_vessel_type(info.ship_type),
                        t, t, t + timedelta(seconds=stale_s), r.lat, r.lon)
    ET.SubElement(detail, "contact", {"callsign": str(info.name or f"MMSI {r.mmsi}")})
    course = r.cog_deg if r.cog_deg is not None else (
        float(r.heading_deg) if r.heading_deg is not None else None)
    _track(detail, course, r.sog_kn)
    flag = info.flag_country or info.flag or "flag unknown"
    ET.SubElement(detail, "remarks").text = (
        f"MMSI {r.mmsi}, {flag}, AIS ship type {info.ship_type or 'unknown'}; "
        f"last report {iso_utc(r.ts)}")
    return ev


def to_cot(alerts: Iterable[dict[str, Any]], vessels: Iterable[PositionReport] = (),
           vessel_info: VesselLookup | None = None, stale_s: float = 3600.0,
           now: datetime | None = None) -> str:
    """CoT events, one per line: every alert, then every vessel given."""
    latest = {r.mmsi: r for r in vessels}
    lines = [ET.tostring(cot_alert_event(a, stale_s, now, latest.get(int(a["mmsi"]))
                                         if a.get("mmsi") is not None else None),
                         encoding="unicode")
             for a in latest_states(alerts)]
    lines += [ET.tostring(cot_vessel_event(r, vessel_info(r.mmsi) if vessel_info else None,
                                           stale_s, now), encoding="unicode")
              for r in latest.values()]
    return "".join(line + "\n" for line in lines)


def export(fmt: str, alerts: Iterable[dict[str, Any]], vessels: Iterable[PositionReport] = (),
           vessel_info: VesselLookup | None = None, **kwargs: Any) -> str:
    """Dispatch on ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "geojson":
        return to_geojson(alerts, vessels, vessel_info, links=bool(kwargs.get("links")))
    if fmt == "kml":
        return to_kml(alerts, vessels, vessel_info)
    if fmt == "csv":
        return to_csv(alerts)
    if fmt == "cot":
        return to_cot(alerts, vessels, vessel_info, stale_s=float(kwargs.get("stale_s", 3600.0)),
                      now=kwargs.get("now"))
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
