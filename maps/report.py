"""The report map: one self-contained HTML file (folium + Leaflet) with zones, thinned tracks,
latest positions with heading, alerts with explaining popups, the lines that relate an alert's
positions, a layer control, a legend, a scale and a time slider.

folium builds the page, the base layers, one layer group per toggle and the layer control.
The data layers themselves are drawn by the project's ``static/picture.js`` from GeoJSON
embedded once as JSON, on one canvas: folium's usual one-JavaScript-object-per-marker output
grows by hundreds of bytes per vessel and one DOM element per marker, which is what makes
folium slow past about 10k markers (measured in ``bench/map_render.py``).

With the asset cache (``mda assets fetch``) Leaflet is inlined and the map needs no network
at all, over the offline land layer; without it the page loads Leaflet from a public CDN and
the returned report says so.

Wiring into a replay::

    collector = TrackCollector()
    runner = EmbeddedRunner(settings, on_alert, on_reject, geography=geography,
                            on_position=collector.add)
    ...
    info = write_report_map(path, [a.to_dict() for a in alerts], collector,
                            zones=geography.zones.zones if geography.zones else None,
                            vessel_info=runner.registry.info)
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from maps.assets import PAGE_ASSETS, AssetCache, inline_html, remote_references
from maps.features import (
    alert_feature,
    alert_links,
    feature_collection,
    latest_states,
    parse_time,
    track_features,
    zone_features,
)
from maps.style import style_config
from maps.tracks import TrackCollector
from mda.vessels import VesselLookup

if TYPE_CHECKING:
    from zones.catalogue import Zone

__all__ = ["TrackCollector", "build_report_map", "static_text", "write_report_map"]

STATIC = Path(__file__).resolve().parent / "static"
DEFAULT_MAX_TRACK_POINTS = 250_000
Bbox = tuple[float, float, float, float]

# Named online tile layers (an option; the map never needs one).
TILES = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "&copy; OpenStreetMap contributors"),
}


@cache
def static_text(name: str) -> str:
    """A file of the project's own browser code (``maps/static``)."""
    return (STATIC / name).read_text(encoding="utf-8")


def json_for_html(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: ``</`` and ``<!--`` escaped."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--")


def write_report_map(path: str | Path, alerts: Iterable[dict[str, Any]],
                     tracks: TrackCollector | None = None,
                     zones: Sequence[Zone] | None = None, *,
                     vessel_info: VesselLookup | None = None,
                     title: str = "MDA report map", cache: AssetCache | None = None,
                     tiles: str | None = None,
                     max_track_points: int = DEFAULT_MAX_TRACK_POINTS) -> dict[str, Any]:
    """Write the report map to ``path``; returns what was written (see
    :func:`build_report_map`) plus ``path`` and ``bytes``."""
    text, info = build_report_map(alerts, tracks, zones, vessel_info=vessel_info, title=title,
                                  cache=cache, tiles=tiles, max_track_points=max_track_points)
    p = Path(path)
    p.write_text(text, encoding="utf-8")
    info["path"] = str(p)
    info["bytes"] = p.stat().st_size
    return info


def build_report_map(alerts: Iterable[dict[str, Any]], tracks: TrackCollector | None = None,
                     zones: Sequence[Zone] | None = None, *,
                     vessel_info: VesselLookup | None = None,
                     title: str = "MDA report map", cache: AssetCache | None = None,
                     tiles: str | None = None,
                     max_track_points: int = DEFAULT_MAX_TRACK_POINTS,
                     ) -> tuple[str, dict[str, Any]]:
    """The report map as HTML, and a report: ``alerts`` (latest states drawn), ``alert_links``,
    ``vessels``, ``track_points``, ``zones``, ``assets`` (``"inlined"`` or ``"cdn"``),
    ``remote`` (URLs the page still loads from the network), ``land`` (the Natural Earth
    resolution of the offline base layer, or None without the cache), ``time`` (ISO range).

    ``alerts`` are alert JSON objects (every lifecycle state may be given; the last state of
    each ``alert_id`` is drawn). ``tiles``: an online tile layer, ``"osm"`` or a URL template,
    offered as a base layer beside the offline land (which takes over if tiles fail)."""
    from maps.land import land_geojson

    cache = cache if cache is not None else AssetCache()
    states = latest_states(alerts)
    alert_fc = []
    n_links = 0
    for a in states:
        alert_fc.append(alert_feature(a))
        links = alert_links(a, tracks)
        n_links += len(links)
        alert_fc.extend(links)

    # Tracks and latest positions.
    time_range = _time_range(states, tracks)
    t0 = math.floor(time_range[0]) if time_range else 0
    track_fc: list[dict[str, Any]] = []
    n_points = 0
    if tracks is not None and len(tracks):
        segs = tracks.segments(max_track_points)
        n_points = sum(len(s) for s in segs)
        track_fc = track_features(segs, tracks.latest, vessel_info, t0)

    bbox = _extent(states, tracks, zones)
    zone_fc = zone_features(zones or [], tolerance_deg=_span(bbox) / 5000.0)
    land = land_geojson(cache, bbox) if cache.complete() else None

    present = {
        "ships": sorted({f["properties"].get("category", "unknown") for f in track_fc}),
        "alerts": sorted({a["kind"] for a in states}),
        "zones": sorted({f["properties"]["kind"] for f in zone_fc}),
    }
    counts = {"alerts": len(states), "vessels": len(track_fc), "zones": len(zone_fc)}
    data = {
        "t0": t0,
        "style": style_config(),
        "present": present,
        "land": land,
        "zones": feature_collection(zone_fc),
        "tracks": feature_collection(track_fc),
        "alerts": feature_collection(alert_fc),
        "time": None if time_range is None else {"min": time_range[0], "max": time_range[1]},
        "bounds": [[bbox[1], bbox[0]], [bbox[3], bbox[2]]],
        "info_html": _info_html(title, time_range, counts, land is not None),
    }
    page = _folium_page(data, present, bbox, title, tiles)
    page, report = inline_html(page, cache)
    inlined = all(k in report.inlined for k in PAGE_ASSETS)
    info: dict[str, Any] = {
        "alerts": len(states),
        "alert_links": n_links,
        "vessels": len(track_fc),
        "track_points": n_points,
        "zones": len(zone_fc),
        "assets": "inlined" if inlined else "cdn",
        "remote": remote_references(page),
        "land": None if land is None else land["features"][0]["properties"]["source"],
        "time": None if time_range is None else [_iso(time_range[0]), _iso(time_range[1])],
        "tiles": tiles,
    }
    return page, info


# -- the page ------------------------------------------------------------------------------

@cache
def _map_class() -> Any:
    """folium.Map loading Leaflet only (no jQuery, Bootstrap, Font Awesome, awesome-markers:
    the picture draws its own symbols), from the pinned version's CDN URL, which
    :func:`maps.assets.inline_html` replaces by the cached file."""
    import folium

    from maps.assets import ASSETS

    class ReportMap(folium.Map):  # type: ignore[misc]
        default_js: ClassVar[list[tuple[str, str]]] = [  # type: ignore[misc]
            ("leaflet", ASSETS["leaflet.js"].cdn_url())]
        default_css: ClassVar[list[tuple[str, str]]] = [  # type: ignore[misc]
            ("leaflet_css", ASSETS["leaflet.css"].cdn_url())]

    return ReportMap


@cache
def _picture_class() -> Any:
    """The element that embeds the data (JSON) and the project's picture code, and calls
    ``MDA.report`` with the map and the layer groups."""
    from branca.element import MacroElement
    from jinja2 import Template

    class Picture(MacroElement):  # type: ignore[misc]
        _template = Template(
            "{% macro header(this, kwargs) %}{{ this.head }}{% endmacro %}"
            "{% macro html(this, kwargs) %}"
            '<script type="application/json" id="{{ this.get_name() }}">{{ this.data }}'
            "</script>{% endmacro %}"
            "{% macro script(this, kwargs) %}"
            "(function () {"
            " var data = JSON.parse(document.getElementById('{{ this.get_name() }}')"
            ".textContent);"
            " var groups = {{ this.groups }};"
            " groups.zoneGroup = function (k) { return this.zones[k]; };"
            " groups.alertGroup = function (k) { return this.alerts[k]; };"
            " MDA.report({{ this._parent.get_name() }}, data, groups);"
            "})();"
            "{% endmacro %}")

        def __init__(self) -> None:
            super().__init__()  # type: ignore[no-untyped-call]
            self._name = "MdaPicture"
            self.data = ""
            self.groups = ""
            self.head = ""

    return Picture


def _folium_page(data: dict[str, Any], present: dict[str, list[str]], bbox: Bbox, title: str,
                 tiles: str | None) -> str:
    import folium
    from branca.element import Element

    from maps.style import ALERT_STYLES, ZONE_STYLES

    m = _map_class()(location=[(bbox[1] + bbox[3]) / 2, (bbox[0] + bbox[2]) / 2],
                     zoom_start=5, tiles=None, control_scale=True, prefer_canvas=True)
    m.get_root().header.add_child(Element(f"<title>{html.escape(title)}</title>"),
                                  name="mda_title")
    tile_layer = None
    if tiles:
        url, attribution = TILES.get(tiles, (tiles, "tiles: " + tiles))
        tile_layer = folium.TileLayer(url, attr=attribution, name="Online tiles", max_zoom=18)
        tile_layer.add_to(m)
    land = folium.FeatureGroup(name="Land (offline)", overlay=False, show=tile_layer is None)
    land.add_to(m)
    zone_labels = {k: lbl for k, lbl, *_ in ZONE_STYLES}
    zone_groups = {k: folium.FeatureGroup(name=f"Zones: {zone_labels.get(k, k)}").add_to(m)
                   for k in present["zones"]}
    tracks = folium.FeatureGroup(name="Tracks").add_to(m)
    vessels = folium.FeatureGroup(name="Vessels (latest position)").add_to(m)
    kind_labels: dict[str, str] = {k: lbl for k, lbl, _ in ALERT_STYLES}
    alert_groups = {k: folium.FeatureGroup(name=f"Alerts: {kind_labels.get(k, k)}").add_to(m)
                    for k in present["alerts"]}
    folium.LayerControl(collapsed=False, position="topright").add_to(m)

    def names(groups: dict[str, Any]) -> str:
        return "{" + ",".join(f"{json.dumps(k)}:{g.get_name()}" for k, g in groups.items()) + "}"

    picture = _picture_class()()
    picture.data = json_for_html(data)
    picture.groups = (
        "{land:" + land.get_name() + ",tiles:" + (tile_layer.get_name() if tile_layer else "null")
        + ",tracks:" + tracks.get_name() + ",vessels:" + vessels.get_name()
        + ",zones:" + names(zone_groups) + ",alerts:" + names(alert_groups) + "}")
    # In the header after Leaflet (the map adds its links when rendered, before its children).
    picture.head = ("<style>" + static_text("picture.css") + "</style>\n<script>"
                    + static_text("picture.js").replace("</script", "<\\/script") + "</script>")
    m.add_child(picture)
    return str(m.get_root().render())


def _info_html(title: str, time_range: tuple[float, float] | None, counts: dict[str, int],
               land: bool) -> str:
    span = ("" if time_range is None
            else f"{_iso(time_range[0])[:16]}Z to {_iso(time_range[1])[:16]}Z")
    return (f"<h1>{html.escape(title)}</h1><div class='mda-sub'>{html.escape(span)}<br>"
            f"{counts['alerts']:,} alerts, {counts['vessels']:,} vessels, "
            f"{counts['zones']:,} zones" + ("" if land else "<br>no offline land layer "
                                            "(run mda assets fetch)") + "</div>")


# -- extent and time -------------------------------------------------------------------------

def _iso(t: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def _time_range(alerts: list[dict[str, Any]],
                tracks: TrackCollector | None) -> tuple[float, float] | None:
    times: list[float] = []
    if tracks is not None:
        tr = tracks.time_range()
        if tr is not None:
            times.extend(tr)
    for a in alerts:
        for key in ("start", "end"):
            t = parse_time(a.get(key))
            if t is not None:
                times.append(t.timestamp())
    return (min(times), max(times)) if times else None


def _extent(alerts: list[dict[str, Any]], tracks: TrackCollector | None,
            zones: Sequence[Zone] | None) -> Bbox:
    lons = [float(a["lon"]) for a in alerts]
    lats = [float(a["lat"]) for a in alerts]
    if tracks is not None and len(tracks):
        b = tracks.bbox()
        if b is not None:
            lons += [b[0], b[2]]
            lats += [b[1], b[3]]
    if not lons and zones:
        import shapely

        w, s, e, n = shapely.total_bounds([z.geometry for z in zones])
        lons, lats = [w, e], [s, n]
    if not lons:
        return (-90.0, 5.0, -55.0, 32.0)  # the Caribbean window
    w, e, s, n = min(lons), max(lons), min(lats), max(lats)
    pad = max(0.05, 0.05 * max(e - w, n - s))
    return (max(-180.0, w - pad), max(-85.0, s - pad), min(180.0, e + pad), min(85.0, n + pad))


def _span(bbox: Bbox) -> float:
    return max(bbox[2] - bbox[0], bbox[3] - bbox[1])
