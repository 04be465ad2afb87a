"""The live picture server: a page whose layers refresh every few seconds, GeoJSON endpoints
for vessels, tracks, alerts and zones (with bounding-box and time filters), and an alert list
a watch officer acknowledges. Standard library only (``http.server.ThreadingHTTPServer``):
nothing to install on a closed network, and the load is a handful of watch stations polling.

Where the picture comes from is a :class:`PictureSource`: anything with ``run(sink, stop)``
that calls the sink's ``on_position``/``on_static``/``on_alert``/``on_clock`` until ``stop``
is set. :class:`ReplaySource` replays files through the embedded runner at N times event time;
:class:`LiveFeedSource` reads live receiver feeds (TCP, UDP, stdin; mda/live.py) and shows each
position as it arrives, with per-source health on ``/api/health``; a Kafka follower (the
positions, static and alerts topics of the streaming shell) plugs in the same way. The state
(:class:`PictureState`) is the sink.

Security: bind 127.0.0.1 by default; with a token every request must carry it (header
``Authorization: Bearer T``, query ``?token=T``, or the ``mda_token`` cookie the page sets when
opened with ``?token=T``); POST requires ``Content-Type: application/json`` (so a page from
another origin cannot post without a CORS preflight, which this server never grants); files
are served only from the asset cache's list of pinned files. The HTTP API is documented in
``docs/http-api.md``.
"""

from __future__ import annotations

import hmac
import json
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, get_args
from urllib.parse import parse_qs, unquote, urlsplit

from maps.assets import AssetCache, page_tags
from maps.features import (
    Bbox,
    alert_feature,
    alert_links,
    feature_collection,
    in_bbox,
    parse_time,
    track_features,
    vessel_feature,
    zone_features,
)
from maps.partners import Partner, Partners, clip_segments
from maps.report import json_for_html, static_text
from maps.style import style_config
from maps.tracks import TrackCollector
from mda.records import ALERT_KINDS, AlertStatus, PositionReport, VesselStatic, parse_utc
from mda.vessels import VesselInfo, VesselLookup, VesselRegistry

if TYPE_CHECKING:
    from mda.settings import Settings
    from zones.catalogue import Zone

MAX_BODY = 64 * 1024
_ALERT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_TOKEN_IN_LOG = re.compile(r"((?:^|[?&;\s])token=)[^&\s\"]*")
GEOJSON = "application/geo+json"
JSON = "application/json"


class PictureSink(Protocol):
    """What a source feeds (implemented by :class:`PictureState`)."""

    def on_position(self, report: PositionReport) -> None: ...
    def on_static(self, static: VesselStatic) -> None: ...
    def on_alert(self, alert: dict[str, Any]) -> None: ...
    def on_clock(self, t: float) -> None: ...
    def use_vessel_info(self, info: VesselLookup) -> None: ...


class PictureSource(Protocol):
    """Feeds a picture until the input ends or ``stop`` is set. A Kafka follower implements
    this by consuming the positions, static and alerts topics and calling the sink."""

    name: str

    def run(self, sink: PictureSink, stop: threading.Event) -> None: ...


class QueryError(ValueError):
    """A malformed query parameter (answered with 400)."""


# -- the state -------------------------------------------------------------------------------

class PictureState:
    """What the picture shows: latest positions and short tracks, the last state of every
    alert with its acknowledgement, zones, the event clock. Thread-safe."""

    def __init__(self, zones: Sequence[Zone] = (), tracks: TrackCollector | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.RLock()
        self.tracks = tracks if tracks is not None else TrackCollector(
            min_interval_s=60.0, max_points_per_vessel=120)
        self.registry = VesselRegistry()
        self._vessel_info: VesselLookup = self.registry.info
        self._alerts: dict[str, dict[str, Any]] = {}
        self._updated: dict[str, int] = {}
        self._acks: dict[str, dict[str, Any]] = {}
        self._seq = 0
        self.clock_ts: float | None = None
        self.source = "none"
        self.source_state = "idle"
        self._wall = clock  # acknowledgement times only
        self.zones = list(zones)
        # Per-source feed health (a live source's), or None: what /api/health returns.
        self.health: Callable[[], list[dict[str, Any]]] | None = None
        self._zone_fc = zone_features(self.zones, tolerance_deg=0.0005)
        self._zone_shapes: list[Any] = [z.geometry for z in self.zones]

    # sink
    def on_position(self, report: PositionReport) -> None:
        with self._lock:
            self.tracks.add(report)
            if report.ts is not None:
                t = report.ts.timestamp()
                if self.clock_ts is None or t > self.clock_ts:
                    self.clock_ts = t

    def on_static(self, static: VesselStatic) -> None:
        with self._lock:
            self.registry.update(static)

    def on_alert(self, alert: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            self._alerts[alert["alert_id"]] = alert
            self._updated[alert["alert_id"]] = self._seq

    def on_clock(self, t: float) -> None:
        with self._lock:
            if self.clock_ts is None or t > self.clock_ts:
                self.clock_ts = t

    def use_vessel_info(self, info: VesselLookup) -> None:
        self._vessel_info = info

    def vessel_info(self, mmsi: int) -> VesselInfo:
        return self._vessel_info(mmsi)

    # queries
    def status(self, scope: Partner | None = None) -> dict[str, Any]:
        """Counts and bounds; for a partner (``scope``), of what it may see only."""
        with self._lock:
            alerts = {k: a for k, a in self._alerts.items()
                      if scope is None or scope.sees_alert(a)}
            vessels = (len(self.tracks) if scope is None
                       else len(self._latest(None, None, None, scope)))
            zones = (len(self.zones) if scope is None
                     else len(self.zones_fc(None, scope)["features"]))
            open_ = sum(1 for a in alerts.values() if a.get("status") == "open")
            return {
                "source": self.source, "source_state": self.source_state,
                "clock": _iso(self.clock_ts), "vessels": vessels,
                "alerts": len(alerts), "alerts_open": open_,
                "alerts_unacknowledged": sum(1 for k in alerts if k not in self._acks),
                "zones": zones, "seq": self._seq, "bounds": self._bounds(scope),
                "feeds_in_outage": (None if self.health is None or scope is not None
                                    else sum(1 for h in self.health() if h["outage"])),
            }

    def health_doc(self) -> dict[str, Any]:
        """Per-source feed health: state, messages, last message, rate, outage."""
        return {"source": self.source, "source_state": self.source_state,
                "sources": [] if self.health is None else self.health()}

    def _latest(self, since: float | None, until: float | None,
                bbox: Bbox | None, scope: Partner | None = None) -> list[PositionReport]:
        if scope is not None and not scope.reads("ais"):
            return []
        out = []
        for r in self.tracks.latest_all():
            if scope is not None and not scope.covers(r.lon, r.lat):
                continue
            t = r.ts.timestamp() if r.ts is not None else None
            if since is not None and (t is None or t < since):
                continue
            if until is not None and (t is None or t > until):
                continue
            if in_bbox(r.lon, r.lat, bbox):
                out.append(r)
        return out

    def vessels(self, bbox: Bbox | None = None, since: float | None = None,
                until: float | None = None, scope: Partner | None = None) -> dict[str, Any]:
        """Latest position of every vessel last seen in [since, until], inside bbox (and the
        partner's area)."""
        with self._lock:
            reports = self._latest(since, until, bbox, scope)
            return feature_collection(vessel_feature(r, self.vessel_info(r.mmsi))
                                      for r in reports)

    def tracks_fc(self, bbox: Bbox | None = None, since: float | None = None,
                  until: float | None = None, scope: Partner | None = None) -> dict[str, Any]:
        """Tracks of the vessels :meth:`vessels` returns, as the report map draws them, with
        ``t0`` (a foreign member): times in ``t`` are seconds since it. For a partner, only
        the points inside its area (a track that leaves it is cut there)."""
        with self._lock:
            keep = {r.mmsi for r in self._latest(since, until, bbox, scope)}
            segs = [s for s in self.tracks.segments(200_000) if s.mmsi in keep]
            if scope is not None and not scope.operator:
                segs = clip_segments(segs, scope.area)
            rng = self.tracks.time_range()
            t0 = math.floor(rng[0]) if rng else 0
            fc = feature_collection(track_features(segs, self.tracks.latest, self.vessel_info,
                                                   t0))
            fc["t0"] = t0
            return fc

    def alerts(self, bbox: Bbox | None = None, since: float | None = None,
               until: float | None = None, status: str | None = None,
               kind: str | None = None, scope: Partner | None = None) -> dict[str, Any]:
        """The last state of every alert active at some time in [since, until] (start <=
        until and (end or now) >= since), inside bbox, newest first; each Point followed by
        the lines relating its positions. ``ack`` and ``seq`` (update order) are added to
        the properties."""
        with self._lock:
            items = []
            for aid, a in self._alerts.items():
                if status is not None and a.get("status") != status:
                    continue
                if kind is not None and a.get("kind") != kind:
                    continue
                start = parse_time(a.get("start"))
                end = parse_time(a.get("end"))
                if until is not None and start is not None and start.timestamp() > until:
                    continue
                if since is not None and end is not None and end.timestamp() < since:
                    continue
                if not in_bbox(float(a["lon"]), float(a["lat"]), bbox):
                    continue
                if scope is not None and not scope.sees_alert(a):
                    continue
                items.append((a.get("start") or "", aid, a))
            items.sort(reverse=True)
            features: list[dict[str, Any]] = []
            for _, aid, a in items:
                f = alert_feature(a)
                f["properties"]["ack"] = self._acks.get(aid)
                f["properties"]["seq"] = self._updated.get(aid)
                features.append(f)
                features.extend(alert_links(a, self.tracks))
            return feature_collection(features)

    def zones_fc(self, bbox: Bbox | None = None, scope: Partner | None = None
                 ) -> dict[str, Any]:
        """The zones meeting bbox (and, for a partner, its area)."""
        if scope is not None and not scope.reads("zones"):
            return feature_collection([])
        limit = None if scope is None or scope.operator else scope.area
        if bbox is None and limit is None:
            return feature_collection(self._zone_fc)
        import shapely

        boxes = [limit] if limit is not None else []
        if bbox is not None:
            w, s, e, n = bbox
            boxes = ([shapely.box(w, s, 180.0, n), shapely.box(-180.0, s, e, n)] if w > e
                     else [shapely.box(w, s, e, n)])
            if limit is not None:
                boxes = [b.intersection(limit) for b in boxes]
        keep = {z.id for z, g in zip(self.zones, self._zone_shapes, strict=True)
                if any(not b.is_empty and g.intersects(b) for b in boxes)}
        return feature_collection(f for f in self._zone_fc if f["id"] in keep)

    def ack(self, alert_id: str, by: str | None, note: str | None,
            scope: Partner | None = None) -> dict[str, Any] | None:
        """Acknowledge an alert (wall-clock time, who, a note); None if unknown (or not the
        partner's to see)."""
        with self._lock:
            if alert_id not in self._alerts:
                return None
            if scope is not None and not scope.sees_alert(self._alerts[alert_id]):
                return None
            self._acks[alert_id] = {"at": _iso(self._wall()), "by": by or None,
                                    "note": note or None}
            self._seq += 1
            self._updated[alert_id] = self._seq
            props = dict(self._alerts[alert_id])
            props["ack"] = self._acks[alert_id]
            return props

    def bounds(self, scope: Partner | None = None) -> list[list[float]]:
        """[[south, west], [north, east]] of the latest positions, alerts and zones (the
        page's view until the user moves the map)."""
        with self._lock:
            return self._bounds(scope)

    def _bounds(self, scope: Partner | None = None) -> list[list[float]]:
        """(Called under the lock.)"""
        if scope is not None and not scope.operator and scope.bounds is not None:
            w, s, e, n = scope.bounds  # a partner's view is its area
            return [[s, w], [n, e]]
        lons: list[float] = []
        lats: list[float] = []
        for r in self.tracks.latest_all():
            lons.append(r.lon)
            lats.append(r.lat)
        for a in self._alerts.values():
            lons.append(float(a["lon"]))
            lats.append(float(a["lat"]))
        if not lons and self.zones:
            import shapely

            w, s, e, n = shapely.total_bounds(self._zone_shapes)
            lons, lats = [w, e], [s, n]
        if not lons:
            return [[5.0, -90.0], [32.0, -55.0]]
        return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# -- sources ---------------------------------------------------------------------------------

class _Stopped(Exception):
    pass


class ReplaySource:
    """Replays AIS inputs through the embedded runner, paced at ``speed`` times event time
    (0: as fast as possible). Positions reach the sink as the runner releases them (event-time
    order); alerts as the detectors raise them; the clock follows."""

    name = "replay"

    def __init__(self, inputs: Sequence[str], settings: Settings | None = None,
                 geography: Any = None, speed: float = 60.0, until: datetime | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 wait: Callable[[threading.Event, float], bool] | None = None) -> None:
        if speed < 0 or not math.isfinite(speed):
            raise ValueError("speed must be a finite number >= 0")
        self.inputs = list(inputs)
        self.settings = settings
        self.geography = geography
        self.speed = speed
        self.until = until
        self._monotonic = monotonic
        # How to wait ``delay`` seconds unless stopped (True: stopped); injectable with the
        # clock, so a test paces without sleeping.
        self._wait = wait or (lambda stop, delay: stop.wait(delay))
        self.summary: dict[str, Any] | None = None

    def run(self, sink: PictureSink, stop: threading.Event) -> None:
        from ingest.sources import Source
        from mda.records import Alert
        from mda.runner import EmbeddedRunner

        origin: list[float] = []  # event time and wall time of the first position
        speed = self.speed
        now = self._monotonic

        def position(rec: PositionReport) -> None:
            if stop.is_set():
                raise _Stopped
            if speed > 0 and rec.ts is not None:
                t = rec.ts.timestamp()
                if not origin:
                    origin.extend((t, now()))
                delay = origin[1] + (t - origin[0]) / speed - now()
                if delay > 0.01 and self._wait(stop, delay):
                    raise _Stopped
            sink.on_position(rec)

        def alert(a: Alert) -> None:
            sink.on_alert(a.to_dict())

        runner = EmbeddedRunner(self.settings, on_alert=alert, geography=self.geography,
                                on_position=position)
        sink.use_vessel_info(runner.registry.info)
        try:
            summary = runner.run([Source.open(name) for name in self.inputs], until=self.until)
        except _Stopped:
            return
        self.summary = summary.as_dict()
        if summary.clock_ts is not None:
            sink.on_clock(summary.clock_ts)


class LiveFeedSource:
    """Live receiver feeds (``tcp://``, ``udp://``, ``-``; mda/live.py) through the embedded
    runner: each position reaches the picture as it arrives, alerts as the detectors raise
    them, the clock follows the watermark (which moves with the wall clock when the feed is
    quiet). :meth:`health` is the feeds' health."""

    name = "live"

    def __init__(self, specs: Sequence[str], settings: Settings | None = None,
                 geography: Any = None, clock: Callable[[], float] = time.time,
                 outage_s: float = 60.0) -> None:
        self.specs = list(specs)
        self.settings = settings
        self.geography = geography
        self.clock = clock
        self.outage_s = outage_s
        self.feed: Any = None
        self.summary: dict[str, Any] | None = None

    def health(self) -> list[dict[str, Any]]:
        return [] if self.feed is None else list(self.feed.health())

    def run(self, sink: PictureSink, stop: threading.Event) -> None:
        from mda.live import LiveFeed, open_live
        from mda.records import Alert
        from mda.runner import EmbeddedRunner

        def alert(a: Alert) -> None:
            sink.on_alert(a.to_dict())

        runner = EmbeddedRunner(self.settings, on_alert=alert, geography=self.geography,
                                on_watermark=sink.on_clock)
        sink.use_vessel_info(runner.registry.info)
        sources = [open_live(s, self.clock, stop) for s in self.specs]
        self.feed = LiveFeed(runner, sources, clock=self.clock, outage_s=self.outage_s,
                             on_record=sink.on_position)
        self.summary = self.feed.run(stop).as_dict()


# -- HTTP ------------------------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server on this machine."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_bbox(text: str) -> Bbox:
    """``minlon,minlat,maxlon,maxlat`` (WGS84 degrees); minlon > maxlon crosses the
    antimeridian."""
    parts = text.split(",")
    if len(parts) != 4:
        raise QueryError("bbox must be minlon,minlat,maxlon,maxlat")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise QueryError("bbox values must be numbers") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise QueryError("bbox values must be finite")
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= 90 and -90 <= n <= 90):
        raise QueryError("bbox out of range (lon -180..180, lat -90..90)")
    if s > n:
        raise QueryError("bbox minlat must not exceed maxlat")
    return (w, s, e, n)


def parse_iso(name: str, text: str) -> float:
    try:
        # a "+" offset arrives as a space when the client did not percent-encode it
        return parse_utc(text.replace(" ", "+")).timestamp()
    except ValueError:
        raise QueryError(f"{name} must be an ISO 8601 time, e.g. 2024-03-12T06:00:00Z") from None


_PARAMS = {
    "/api/vessels": {"bbox", "since", "until"},
    "/api/tracks": {"bbox", "since", "until"},
    "/api/alerts": {"bbox", "since", "until", "status", "kind"},
    "/api/zones": {"bbox", "since", "until"},
    "/api/land": {"bbox"},
    "/api/status": set(),
    "/api/health": set(),
    "/": set(),
}
_STATUSES: tuple[AlertStatus, ...] = get_args(AlertStatus)


def parse_query(path: str, query: str) -> dict[str, Any]:
    """The validated parameters of a GET (each at most once; unknown ones rejected)."""
    try:
        raw = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise QueryError("malformed query string") from None
    allowed = _PARAMS.get(path, set()) | {"token"}
    out: dict[str, Any] = {}
    for key, values in raw.items():
        if key not in allowed:
            raise QueryError(f"unknown parameter {key!r}; this endpoint takes "
                             f"{', '.join(sorted(allowed - {'token'})) or 'none'}")
        if len(values) != 1:
            raise QueryError(f"parameter {key!r} given more than once")
        value = values[0]
        if key == "bbox":
            out["bbox"] = parse_bbox(value)
        elif key in ("since", "until"):
            out[key] = parse_iso(key, value)
        elif key == "status":
            if value not in _STATUSES:
                raise QueryError(f"status must be one of {', '.join(_STATUSES)}")
            out[key] = value
        elif key == "kind":
            if value not in ALERT_KINDS:
                raise QueryError(f"kind must be one of {', '.join(ALERT_KINDS)}")
            out[key] = value
    if "since" in out and "until" in out and out["since"] > out["until"]:
        raise QueryError("since must not be after until")
    return out


class Forbidden(Exception):
    """The caller may not see this (a partner asking for the operator's receivers)."""


# A GET endpoint: (validated query, the caller's partner scope or None) -> (JSON document,
# content type).
Endpoint = Callable[[dict[str, Any], "Partner | None"], tuple[Any, str]]


def api_routes(server: PictureServer) -> dict[str, Endpoint]:
    """The JSON endpoints of the picture, by path (docs/http-api.md)."""
    st = server.state

    def health(q: dict[str, Any], scope: Partner | None) -> tuple[Any, str]:
        if scope is not None:  # receivers and their rates are the operator's
            raise Forbidden
        return st.health_doc(), JSON

    return {
        "/api/status": lambda q, scope: (st.status(scope), JSON),
        "/api/health": health,
        "/api/vessels": lambda q, scope: (
            st.vessels(q.get("bbox"), q.get("since"), q.get("until"), scope), GEOJSON),
        "/api/tracks": lambda q, scope: (
            st.tracks_fc(q.get("bbox"), q.get("since"), q.get("until"), scope), GEOJSON),
        "/api/alerts": lambda q, scope: (
            st.alerts(q.get("bbox"), q.get("since"), q.get("until"), q.get("status"),
                      q.get("kind"), scope), GEOJSON),
        "/api/zones": lambda q, scope: (st.zones_fc(q.get("bbox"), scope), GEOJSON),
        "/api/land": lambda q, scope: (server.land(q.get("bbox")), GEOJSON),
    }


def parse_ack_body(raw: bytes) -> tuple[str | None, str | None]:
    """``(by, note)`` of an acknowledgement's JSON body; ``QueryError`` says what is wrong."""
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise QueryError("body is not JSON") from None
    if not isinstance(body, dict):
        raise QueryError("body must be a JSON object")
    by, note = body.get("by"), body.get("note")
    if by is not None and (not isinstance(by, str) or len(by) > 100):
        raise QueryError("'by' must be a string of at most 100 characters")
    if note is not None and (not isinstance(note, str) or len(note) > 1000):
        raise QueryError("'note' must be a string of at most 1000 characters")
    unknown = set(body) - {"by", "note"}
    if unknown:
        raise QueryError(f"unknown field(s) {', '.join(sorted(unknown))}")
    return by, note


class PictureServer:
    """The HTTP server around a :class:`PictureState` (module docstring)."""

    def __init__(self, state: PictureState, host: str = "127.0.0.1", port: int = 8765,
                 token: str | None = None, cache: AssetCache | None = None,
                 refresh_s: float = 3.0, title: str = "MDA live picture",
                 tiles: str | None = None, log: Callable[[str], None] | None = None,
                 partners: Partners | None = None) -> None:
        if token and partners is not None:
            raise ValueError("give a token or a partners file, not both (the partners file "
                             "names an operator)")
        self.state = state
        self.token = token or None
        self.partners = partners
        self.cache = cache if cache is not None else AssetCache()
        self.refresh_s = refresh_s
        self.title = title
        self.tiles = tiles
        self.log = log
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.httpd = ThreadingHTTPServer((host, port), _handler(self))
        self.httpd.daemon_threads = True
        address = self.httpd.server_address
        self.host: str = str(address[0])
        self.port: int = int(address[1])
        self.assets_local = self.cache.complete()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in str(self.host) else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> PictureServer:
        t = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                             name="mda-http", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def run_source(self, source: PictureSource,
                   sink: PictureSink | None = None) -> threading.Thread:
        """Run a source in a background thread, feeding the state (or ``sink``, which feeds
        the state and more: a live CoT stream)."""
        state = self.state
        into: PictureSink = sink if sink is not None else state
        state.source = source.name
        health = getattr(source, "health", None)
        if callable(health):
            state.health = health

        def target() -> None:
            state.source_state = "running"
            try:
                source.run(into, self._stop)
            except Exception as exc:  # reported in /api/status, never kills the server
                state.source_state = f"failed: {type(exc).__name__}: {exc}"
                return
            state.source_state = "stopped" if self._stop.is_set() else "finished"

        t = threading.Thread(target=target, name=f"mda-source-{source.name}", daemon=True)
        t.start()
        self._threads.append(t)
        return t

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for t in self._threads:
            t.join(timeout=5)

    # -- content ---------------------------------------------------------------------------
    def page(self, scope: Partner | None = None) -> str:
        tags, _ = page_tags(self.cache, "/assets/" if self.assets_local else None)
        kinds = {f["properties"].get("kind") for f in self.state.zones_fc(None, scope)["features"]}
        config = {"title": self.title, "refresh_ms": int(self.refresh_s * 1000),
                  "style": style_config(), "bounds": self.state.bounds(scope),
                  "tiles": self.tiles, "zone_kinds": sorted(k for k in kinds if k),
                  "assets": "local" if self.assets_local else "cdn",
                  "feeds": scope is None}  # feed health is the operator's (/api/health)
        values = {"TITLE": _html_escape(self.title), "ASSETS": tags,
                  "PICTURE_CSS": static_text("picture.css").replace("</style", "<\\/style"),
                  "CONFIG": json_for_html(config),
                  "PICTURE_JS": static_text("picture.js").replace("</script", "<\\/script"),
                  "LIVE_JS": static_text("live.js").replace("</script", "<\\/script")}
        return re.sub(r"\{\{([A-Z_]+)\}\}", lambda m: values[m.group(1)],
                      static_text("live.html"))

    def csp(self) -> str:
        remote = "" if self.assets_local else " https://cdn.jsdelivr.net"
        img = " https:" if self.tiles else ""
        return ("default-src 'none'; script-src 'self' 'unsafe-inline'" + remote
                + "; style-src 'self' 'unsafe-inline'" + remote
                + "; img-src 'self' data:" + img + "; connect-src 'self'; base-uri 'none'; "
                "form-action 'none'; frame-ancestors 'none'")

    def land(self, bbox: Bbox | None) -> dict[str, Any]:
        from maps.land import land_geojson

        fc = land_geojson(self.cache, bbox, margin_deg=1.0) if self.assets_local else None
        return fc or feature_collection([])

    def identify(self, handler: BaseHTTPRequestHandler, query: str
                 ) -> tuple[bool, Partner | None]:
        """(allowed, partner): with a partners file, the partner a request's token names
        (an operator's scope is everything: None); else whether the token is right."""
        if self.partners is None:
            return self.check_token(handler, query), None
        who = self.partners.who(self._given(handler, query))
        if who is None:
            return False, None
        return True, (None if who.operator else who)

    @staticmethod
    def _given(handler: BaseHTTPRequestHandler, query: str) -> list[str]:
        given: list[str] = []
        auth = handler.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            given.append(auth[7:].strip())
        given += parse_qs(query, keep_blank_values=True).get("token", [])
        for part in handler.headers.get("Cookie", "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == "mda_token":
                given.append(v)
        return given

    def check_token(self, handler: BaseHTTPRequestHandler, query: str) -> bool:
        if self.token is None:
            return True
        given = self._given(handler, query)
        want = self.token.encode("utf-8")
        return any(hmac.compare_digest(g.encode("utf-8"), want) for g in given)


def _html_escape(s: str) -> str:
    import html

    return html.escape(s)


def _handler(server: PictureServer) -> type[BaseHTTPRequestHandler]:
    served = server.cache.served_files()
    cache_root = server.cache.root.resolve()
    routes = api_routes(server)

    class Handler(BaseHTTPRequestHandler):
        server_version = "mda-picture"
        sys_version = ""
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without TCP_NODELAY a kept-alive client
        # (a browser polling) waits for its delayed ACK, about 40 ms per response.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            if server.log is not None:  # never a token in a log line
                server.log(_TOKEN_IN_LOG.sub(r"\1REDACTED",
                                             f"{self.address_string()} {format % args}"))

        # -- responses ---------------------------------------------------------------------
        def _send(self, status: int, body: bytes, ctype: str,
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, obj: Any, ctype: str = JSON) -> None:
            body = json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("utf-8")
            self._send(status, body, ctype)

        def _error(self, status: int, message: str) -> None:
            # Close after an error: an unread request body must not be read as a request.
            self.close_connection = True
            body = json.dumps({"error": message, "status": status}).encode("utf-8")
            self._send(status, body, "application/json", {"Connection": "close"})

        # -- dispatch ----------------------------------------------------------------------
        def do_GET(self) -> None:
            self._dispatch()

        def do_HEAD(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def _dispatch(self) -> None:
            try:
                parts = urlsplit(self.path)
            except ValueError:
                self._error(400, "malformed request target")
                return
            raw_path, query = parts.path, parts.query
            allowed, scope = server.identify(self, query)
            if not allowed:
                if server.partners is not None:  # partners: denied is 403, with no data
                    self._error(403, "forbidden")
                else:
                    self._error(401, "missing or wrong token (Authorization: Bearer TOKEN, "
                                     "?token=TOKEN, or open the page with ?token=TOKEN)")
                return
            try:
                if self.command == "POST":
                    self._post(raw_path, scope)
                elif raw_path.startswith("/assets/"):
                    self._asset(raw_path[len("/assets/"):], query)
                else:
                    self._get(raw_path, query, scope)
            except QueryError as exc:
                self._error(400, str(exc))
            except Forbidden:
                self._error(403, "forbidden")
            except BrokenPipeError:
                pass

        def _get(self, path: str, query: str, scope: Partner | None = None) -> None:
            if path not in _PARAMS:
                self._error(404, f"no such endpoint {path!r}; see docs/http-api.md")
                return
            q = parse_query(path, query)
            if path != "/":
                doc, ctype = routes[path](q, scope)
                self._json(200, doc, ctype)
                return
            headers = {"Content-Security-Policy": server.csp()}
            given = parse_qs(query).get("token")
            if given and (server.token or server.partners is not None):
                # (the token was checked: it is the caller's own)
                headers["Set-Cookie"] = (f"mda_token={given[0]}; HttpOnly; "
                                         "SameSite=Strict; Path=/")
            self._send(200, server.page(scope).encode("utf-8"), "text/html; charset=utf-8",
                       headers)

        def _asset(self, rel: str, query: str) -> None:
            parse_query("/assets", query)  # only ?token
            name = unquote(rel)
            segments = name.split("/")
            if (not name or "\\" in name or "\x00" in name or name.startswith("/")
                    or any(s in ("", ".", "..") for s in segments)):
                self._error(400, "bad asset path")
                return
            target = served.get(name)
            if target is None:
                self._error(404, "no such asset (only the pinned files of the asset cache "
                                 "are served)")
                return
            resolved = target.resolve()
            if not resolved.is_relative_to(cache_root) or not resolved.is_file():
                self._error(404, "no such asset")
                return
            ctype = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                     ".png": "image/png", ".json": "application/json"}.get(
                         Path(name).suffix, "application/octet-stream")
            self._send(200, resolved.read_bytes(), ctype)

        def _post(self, path: str, scope: Partner | None = None) -> None:
            m = re.fullmatch(r"/api/alerts/([^/]+)/ack", path)
            if m is None:
                self._error(404 if not path.startswith("/api/") else 405,
                            "POST goes to /api/alerts/{alert_id}/ack")
                return
            alert_id = unquote(m.group(1))
            if not _ALERT_ID.match(alert_id):
                raise QueryError("malformed alert id")
            ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if ctype != "application/json":
                self._error(415, "Content-Type must be application/json")
                return
            try:
                length = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                raise QueryError("bad Content-Length") from None
            if length < 0 or length > MAX_BODY:
                self._error(413, f"body larger than {MAX_BODY} bytes")
                return
            by, note = parse_ack_body(self.rfile.read(length) if length else b"{}")
            result = server.state.ack(alert_id, by, note, scope)
            if result is None:
                self._error(404, f"no alert {alert_id}")
                return
            self._json(200, result)

    return Handler
