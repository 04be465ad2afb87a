"""``mda map``, ``mda assets``, ``mda serve``, ``mda export``: the report map, the offline
asset cache, the live picture server and partner exports. Heavy packages (folium, shapely,
the runner) are imported inside the commands."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

EXPORT_FORMATS = ("geojson", "kml", "csv", "cot")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from mda.commands.common import add_detection_args

    m = sub.add_parser(
        "map", help="write the report map (one self-contained HTML file) from alerts",
        description="Draw alerts (JSON lines from mda replay --alerts; - for standard input) "
                    "on a report map: zones, tracks and latest positions from --positions, "
                    "alerts with popups, a layer control, a legend and a time slider. With "
                    "the asset cache (mda assets fetch) the file needs no network at all.")
    m.add_argument("alerts", metavar="ALERTS.jsonl")
    m.add_argument("--positions", action="append", default=[], metavar="INPUT",
                   help="AIS input (any format mda replay reads) for tracks and latest "
                        "positions; repeatable")
    m.add_argument("--zones", action="append", default=[], metavar="[KIND=]FILE",
                   help="zone layer to draw; repeatable")
    m.add_argument("--out", "-o", metavar="OUT.html",
                   help="output file (default: ALERTS with .html)")
    m.add_argument("--lateness", type=float, metavar="SECONDS",
                   help="allowed lateness when reading --positions (large for unsorted files)")
    m.add_argument("--max-track-points", type=int, default=250_000, metavar="N",
                   help="simplify tracks to at most N points in all (default 250000)")
    _map_style_args(m)
    m.set_defaults(func=_map)

    a = sub.add_parser("assets", help="fetch Leaflet and the land layer for offline maps",
                       description="Third-party web assets are not committed: they are "
                                   "fetched from the npm registry (npm pack, pinned versions "
                                   "and sha512) into a local cache, then inlined into maps.")
    asub = a.add_subparsers(dest="assets_command", metavar="ACTION")
    af = asub.add_parser("fetch", help="fill the asset cache from the npm registry (needs npm)")
    af.add_argument("--force", action="store_true", help="fetch again even when cached")
    af.add_argument("--dir", metavar="DIR", help="cache folder (default: .cache/assets in "
                                                 "the clone, or $MDA_ASSETS_DIR)")
    ast = asub.add_parser("status", help="what the asset cache holds")
    ast.add_argument("--dir", metavar="DIR")
    ast.add_argument("--json", action="store_true")
    a.set_defaults(func=_assets)

    s = sub.add_parser(
        "serve", help="serve the live picture (embedded replay at a chosen speed)",
        description="Serve the live picture: a page whose layers refresh every few seconds, "
                    "GeoJSON endpoints for vessels, tracks, alerts and zones, and an alert "
                    "list to acknowledge (docs/http-api.md). INPUTs are replayed through the "
                    "detectors at --speed times event time. Binds 127.0.0.1 by default; on "
                    "any other address a token is required.")
    s.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="AIS input to replay, or live feeds as mda live takes them "
                        "(tcp://HOST:PORT, udp://[HOST]:PORT, -; NAME=SOURCE), shown as they "
                        "arrive with their health on /api/health (none: serve zones only, or "
                        "follow Kafka)")
    s.add_argument("--kafka", action="store_true",
                   help="follow the Kafka positions and alerts topics (mda ingest and mda "
                        "worker) instead of replaying inputs")
    s.add_argument("--bootstrap", metavar="HOST:PORT",
                   help="with --kafka: bootstrap servers (default: KAFKA_BOOTSTRAP_SERVERS, "
                        "then 127.0.0.1:9092)")
    s.add_argument("--topic-prefix", default="mda", metavar="PREFIX",
                   help="with --kafka: the topics' prefix (default: mda)")
    s.add_argument("--speed", type=float, default=60.0,
                   help="event seconds per wall second (default 60; 0: as fast as possible)")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free)")
    s.add_argument("--token", help="require this token on every request (generated and "
                                   "printed when --host is not a loopback address)")
    s.add_argument("--refresh", type=float, default=3.0, metavar="SECONDS",
                   help="page refresh interval (default 3)")
    s.add_argument("--until", metavar="TIME", help="advance the clock to TIME at the end")
    s.add_argument("--partners", metavar="PARTNERS.toml",
                   help="who may read what: each partner's token, area and layers, and the "
                        "operators (maps/partners.py); every other request is a 403")
    s.add_argument("--cot", metavar="udp://HOST:PORT|tcp://HOST:PORT",
                   help="also stream vessels and alerts as Cursor-on-Target events (TAK: "
                        "multicast udp://239.2.3.1:6969, or a TAK server's tcp://HOST:8087)")
    s.add_argument("--cot-partner", metavar="NAME",
                   help="send only what this partner of --partners may see")
    s.add_argument("--cot-stale-minutes", type=float, default=10.0, metavar="MIN",
                   help="CoT events go stale this long after they are sent (default 10)")
    s.add_argument("--cot-every", type=float, default=10.0, metavar="SECONDS",
                   help="send a vessel at most this often (default 10 s; alerts always)")
    s.add_argument("--duration", type=float, metavar="SECONDS",
                   help="stop after this many seconds (default: until interrupted)")
    add_detection_args(s)
    _map_style_args(s)
    s.set_defaults(func=_serve)

    e = sub.add_parser(
        "export", help="export alerts as GeoJSON, KML, CSV or Cursor-on-Target",
        description="Export the last state of every alert for partner tools: GeoJSON "
                    "(RFC 7946), KML (Google Earth; one folder per kind), CSV, or "
                    "Cursor-on-Target events for TAK (one per line). Standard output unless "
                    "--out is given.")
    e.add_argument("alerts", metavar="ALERTS.jsonl")
    e.add_argument("--format", "-f", required=True, choices=EXPORT_FORMATS)
    e.add_argument("--out", "-o", metavar="FILE")
    e.add_argument("--positions", action="append", default=[], metavar="INPUT",
                   help="AIS input: add every vessel's latest position (GeoJSON, KML, CoT); "
                        "CoT alerts get their vessel's course and speed")
    e.add_argument("--lateness", type=float, metavar="SECONDS")
    e.add_argument("--links", action="store_true",
                   help="GeoJSON: add the lines relating alert positions (gap, jump)")
    e.add_argument("--stale-minutes", type=float, default=60.0,
                   help="CoT: stale time after each event's time (default 60)")
    e.add_argument("--now", action="store_true",
                   help="CoT: stamp time/start/stale from the current clock (for a live TAK)")
    e.set_defaults(func=_export)


def _map_style_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--title", help="title shown on the map")
    p.add_argument("--tiles", metavar="osm|URL",
                   help="also offer an online tile layer (the offline land layer takes over "
                        "when it cannot be reached)")
    p.add_argument("--assets-dir", metavar="DIR", help="asset cache folder")


# -- helpers -----------------------------------------------------------------------------------

def _err(msg: str) -> int:
    print(f"mda: error: {msg}", file=sys.stderr)
    return 2


def _read_alerts(name: str) -> list[dict[str, Any]]:
    from maps.features import parse_alert_line, read_alerts

    if name == "-":
        return [parse_alert_line(line, n, "<stdin>")
                for n, line in enumerate(sys.stdin, 1) if line.strip()]
    return read_alerts(name)


def _cache(args: argparse.Namespace) -> Any:
    from maps.assets import AssetCache

    return AssetCache(getattr(args, "assets_dir", None) or getattr(args, "dir", None))


def _say_assets(info: dict[str, Any], cache: Any) -> None:
    if info["assets"] == "inlined" and not info["remote"]:
        print(f"assets: Leaflet inlined from {cache.root} (no network needed); offline land "
              f"layer: {info['land']}")
    else:
        print(f"assets: no asset cache at {cache.root}: the map loads Leaflet from a public "
              f"CDN and has no offline land layer; run 'mda assets fetch' for offline maps",
              file=sys.stderr)


def _load_zones(args_zones: list[str]) -> list[Any]:
    from mda.geography import parse_zone_arg
    from zones.catalogue import load_zones

    out: list[Any] = []
    for arg in args_zones:
        kind, path = parse_zone_arg(arg)
        found, warnings = load_zones(path, kind=kind)
        out.extend(found)
        if warnings:
            print(f"mda: warning: {path}: {len(warnings)} warnings (see mda zones check)",
                  file=sys.stderr)
    return out


# -- commands ----------------------------------------------------------------------------------

def _map(args: argparse.Namespace) -> int:
    from maps.positions import collect_positions
    from maps.report import write_report_map

    try:
        alerts = _read_alerts(args.alerts)
    except ValueError as exc:
        return _err(str(exc))
    tracks = info_fn = None
    if args.positions:
        tracks, info_fn, summary = collect_positions(args.positions, args.lateness)
        print(f"positions: {summary['positions']:,} from {summary['vessels']:,} vessels")
    zones = _load_zones(args.zones)
    out = args.out or (str(Path(args.alerts).with_suffix(".html")) if args.alerts != "-"
                       else "map.html")
    cache = _cache(args)
    info = write_report_map(out, alerts, tracks, zones, vessel_info=info_fn,
                            title=args.title or "MDA report map", cache=cache,
                            tiles=args.tiles, max_track_points=args.max_track_points)
    print(f"wrote {out}: {info['bytes'] / 1e6:.2f} MB, {info['alerts']:,} alerts, "
          f"{info['vessels']:,} vessels ({info['track_points']:,} track points), "
          f"{info['zones']:,} zones")
    _say_assets(info, cache)
    return 0


def _assets(args: argparse.Namespace) -> int:
    from maps.assets import AssetError

    cache = _cache(args)
    if args.assets_command == "fetch":
        def report(spec: str, state: str) -> None:
            print(f"{spec:<22} {state}")

        try:
            cache.fetch(force=args.force, on_package=report)
        except AssetError as exc:
            return _err(str(exc))
        print(f"asset cache complete: {cache.root}")
        return 0
    if args.assets_command == "status":
        rows = cache.status()
        if args.json:
            import json

            print(json.dumps({"root": str(cache.root), "complete": cache.complete(),
                              "packages": rows}, indent=2))
        else:
            for r in rows:
                state = f"{r['bytes'] / 1e6:.1f} MB" if r["present"] else "missing"
                print(f"{r['package']:<22} {state:<10} {r['licence']}")
            print(f"cache {cache.root}: " + ("complete (maps are offline)" if cache.complete()
                                            else "incomplete: run mda assets fetch"))
        return 0 if cache.complete() else 1
    print("usage: mda assets fetch [--force] | mda assets status", file=sys.stderr)
    return 2


def _serve(args: argparse.Namespace) -> int:
    import secrets

    from maps.features import parse_time
    from maps.server import (
        LiveFeedSource,
        PictureServer,
        PictureState,
        ReplaySource,
        is_loopback,
    )
    from mda.commands.live import live_settings, open_sources
    from mda.live import is_live_spec

    if args.refresh <= 0 or args.speed < 0:
        return _err("--refresh must be > 0 and --speed >= 0")
    try:
        until = parse_time(args.until)
    except ValueError:
        return _err(f"--until: not an ISO 8601 time: {args.until!r}")
    token = args.token
    generated = False
    partners = None
    if args.partners:
        from maps.partners import Partners, PartnersError

        if token:
            return _err("give --token or --partners, not both (the partners file names the "
                        "operators)")
        try:
            partners = Partners.load(args.partners)
        except PartnersError as exc:
            return _err(str(exc))
    elif not is_loopback(args.host) and not token:
        token, generated = secrets.token_urlsafe(24), True
    live = [s for s in args.inputs if is_live_spec(s)]
    if live and len(live) != len(args.inputs):
        return _err("give either files to replay or live feeds, not both")
    if live:
        try:
            open_sources(live, None)  # malformed addresses fail here, before the server starts
        except ValueError as exc:
            return _err(str(exc))
    cot = None
    if args.cot_partner and (partners is None or not args.cot):
        return _err("--cot-partner needs --cot and --partners")
    if args.cot:
        from maps.cot_live import CotStreamer

        scope = None
        if args.cot_partner:
            assert partners is not None
            scope = next((p for p in partners.partners if p.name == args.cot_partner), None)
            if scope is None:
                return _err(f"--cot-partner {args.cot_partner!r}: no such partner in "
                            f"{args.partners} (partners: "
                            f"{', '.join(p.name for p in partners.partners)})")
        try:
            cot = CotStreamer(args.cot, stale_s=args.cot_stale_minutes * 60.0,
                              min_interval_s=args.cot_every,
                              scope=None if scope is None or scope.operator else scope)
        except ValueError as exc:
            return _err(str(exc))
    settings, geography = live_settings(args) if live else _load(args)
    zones = geography.zones.zones if geography.zones is not None else []
    state = PictureState(zones)
    cache = _cache(args)
    try:
        server = PictureServer(state, args.host, args.port, token=token, cache=cache,
                               refresh_s=args.refresh, title=args.title or "MDA live picture",
                               tiles=args.tiles, partners=partners)
    except OSError as exc:
        return _err(f"cannot listen on {args.host}:{args.port}: {exc}")
    server.start()
    sink = None
    if cot is not None:
        from maps.cot_live import CotTee

        sink = CotTee(state, cot.start())
    if args.kafka:
        from mda.streaming.follow import KafkaFollower
        from mda.streaming.topics import Topics, bootstrap

        server.run_source(KafkaFollower(bootstrap(args.bootstrap),
                                        Topics(prefix=args.topic_prefix)), sink)
    elif live:
        server.run_source(LiveFeedSource(live, settings, geography), sink)
    elif args.inputs:
        server.run_source(ReplaySource(args.inputs, settings, geography, args.speed, until),
                          sink)
    where = server.url + (f"?token={token}" if token else "")
    if partners is not None:
        where += (f" for {len(partners.partners)} partner(s) and operator(s) of "
                  f"{args.partners} (open it with ?token=YOUR_TOKEN)")
    what = ("following the Kafka topics" if args.kafka else
            f"live feeds {', '.join(live)}" if live else
            f"replaying {len(args.inputs)} input(s) at {args.speed:g}x event time"
            if args.inputs else "no input: zones only")
    print(f"mda: live picture at {where} ({what}); Ctrl-C stops", flush=True)
    if generated:
        print(f"mda: bound to {args.host}: every request needs the token {token}", flush=True)
    if not server.assets_local:
        print(f"mda: no asset cache at {cache.root}: the page loads Leaflet from a public CDN "
              "(run mda assets fetch for closed networks)", file=sys.stderr, flush=True)
    try:
        deadline = None if args.duration is None else time.monotonic() + args.duration
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2 if deadline is None else max(0.0, min(0.2,
                                                                 deadline - time.monotonic())))
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if cot is not None:
            cot.close()
    if cot is not None:
        c = cot.stats()
        print(f"mda: CoT to {c['target']}: {c['sent']:,} events sent, {c['dropped']:,} dropped, "
              f"{c['errors']:,} send errors" + (f" (last: {c['last_error']})"
                                                 if c["last_error"] else ""))
    status = state.status()
    print(f"mda: stopped; {status['vessels']:,} vessels, {status['alerts']:,} alerts, "
          f"event time {status['clock']}")
    return 0


def _load(args: argparse.Namespace) -> tuple[Any, Any]:
    from mda.commands.common import load_detection

    return load_detection(args)


def _export(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from maps.export import export

    try:
        alerts = _read_alerts(args.alerts)
    except ValueError as exc:
        return _err(str(exc))
    vessels: list[Any] = []
    info_fn = None
    if args.positions:
        if args.format == "csv":
            return _err("--positions does not apply to CSV (one row per alert)")
        from maps.positions import collect_positions

        tracks, info_fn, _ = collect_positions(args.positions, args.lateness)
        vessels = list(tracks.latest_all())
    if args.stale_minutes <= 0:
        return _err("--stale-minutes must be > 0")
    text = export(args.format, alerts, vessels, info_fn, links=args.links,
                  stale_s=args.stale_minutes * 60.0,
                  now=datetime.now(UTC) if args.now else None)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8", newline="")
        print(f"wrote {args.out}: {args.format}, {len(text.encode('utf-8')):,} bytes",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
