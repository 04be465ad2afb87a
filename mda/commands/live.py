"""``mda live``: headless live detection on receiver feeds (TCP, UDP, stdin), alerts as JSON
lines. The CLI owns the terminal: alerts go to --alerts (stdout by default), status lines to
stderr."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

SOURCES_HELP = ("tcp://HOST:PORT (connect to a feed; reconnects with backoff), "
                "udp://[HOST]:PORT (listen; rtl-ais sends to 10110), gpsd://HOST[:PORT] "
                "(gpsd's raw NMEA; port 2947 by default), or - (stdin); NAME=SOURCE names "
                "it. Several at once.")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from mda.commands.common import add_detection_args

    p = sub.add_parser(
        "live", help="detect on live receiver feeds (TCP, UDP, gpsd, stdin); alerts as JSON lines",
        description="Read live AIS feeds (plain !AIVDM sentences as rtl-ais, AIS-catcher, "
                    "gpsd or OpenCPN send them, or tag-blocked) in one process, run every "
                    "detector, and write alerts as JSON lines as they happen (the format of "
                    "mda replay --alerts). A sentence without a time takes the time it was "
                    "received; tag-block and prefix times win. Time moves on with the wall "
                    "clock when the feed is quiet, so dark vessels are found on time. Status "
                    "lines go to stderr; Ctrl-C or SIGTERM stops cleanly.")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help=SOURCES_HELP)
    p.add_argument("--alerts", default="-", metavar="FILE|-",
                   help="write alerts as JSON lines to FILE (default: - for stdout)")
    p.add_argument("--stats", metavar="OUT.json",
                   help="write the summary and feed health as JSON at the end")
    p.add_argument("--duration", type=float, metavar="SECONDS",
                   help="stop after this many seconds (default: until interrupted)")
    p.add_argument("--outage", type=float, default=60.0, metavar="SECONDS",
                   help="a source silent this long is in outage (feed health; default 60)")
    p.add_argument("--status-every", type=float, default=10.0, metavar="SECONDS",
                   help="a status line on stderr every SECONDS (default 10; 0: none)")
    add_detection_args(p)
    p.set_defaults(func=_live)


def live_settings(args: argparse.Namespace) -> tuple[Any, Any]:
    """Settings and geography for a live run: the live default lateness (arrival times come
    in order) unless --lateness is given."""
    from dataclasses import replace

    from mda.commands.common import load_detection
    from mda.live import LIVE_LATENESS_S

    settings, geography = load_detection(args)
    if args.lateness is None and not _config_sets_lateness(getattr(args, "config", None)):
        settings = replace(settings, ingest=replace(settings.ingest,
                                                    allowed_lateness_s=LIVE_LATENESS_S))
    return settings, geography


def _config_sets_lateness(config: str | None) -> bool:
    """Whether the settings file names ``[ingest] allowed_lateness_s`` (it then wins over
    the live default; ``--lateness`` wins over both)."""
    if not config:
        return False
    import tomllib
    from pathlib import Path

    data = tomllib.loads(Path(config).read_text(encoding="utf-8"))  # already read once: valid
    ingest = data.get("ingest")
    return isinstance(ingest, dict) and "allowed_lateness_s" in ingest


def open_sources(specs: list[str], stop: Any) -> list[Any]:
    """The live sources the command line names (ValueError for anything else)."""
    from mda.live import is_live_spec, open_live

    bad = [s for s in specs if not is_live_spec(s)]
    if bad:
        raise ValueError(f"not a live source: {', '.join(bad)} (tcp://HOST:PORT, "
                         "udp://[HOST]:PORT, gpsd://HOST[:PORT] or -; for files use mda "
                         "replay)")
    if sum(1 for s in specs if s.rpartition("=")[2] == "-") > 1:
        raise ValueError("stdin (-) can be given once")
    return [open_live(s, stop=stop) for s in specs]


def _status_line(feed: Any, t0: float) -> str:
    s = feed.runner.stats
    parts = []
    for h in feed.health():
        state = "OUTAGE" if h["outage"] else h["state"]
        parts.append(f"{h['name']} {state} {h['rate_per_s']:.1f}/s")
    summary = feed.runner.summary()
    return (f"mda live: {time.monotonic() - t0:,.0f} s, {s.lines_read:,} lines, "
            f"{s.positions:,} positions, {summary.vessels:,} vessels, "
            f"{sum(summary.alerts.values()):,} alerts; " + "; ".join(parts))


def _live(args: argparse.Namespace) -> int:
    import threading

    from mda.commands.common import stop_on_signals
    from mda.live import LiveFeed
    from mda.records import Alert
    from mda.runner import EmbeddedRunner

    settings, geography = live_settings(args)
    stop = threading.Event()
    try:
        sources = open_sources(args.sources, stop)
    except ValueError as exc:
        print(f"mda: error: {exc}", file=sys.stderr)
        return 2
    out: TextIO = (sys.stdout if args.alerts == "-"
                   else open(args.alerts, "w", encoding="utf-8"))  # noqa: SIM115

    def write_alert(alert: Alert) -> None:
        out.write(alert.to_json() + "\n")
        out.flush()  # a script reading the file sees each alert as it happens

    runner = EmbeddedRunner(settings, write_alert, geography=geography)
    feed = LiveFeed(runner, sources, outage_s=args.outage)
    t0 = time.monotonic()
    next_status = [t0 + args.status_every]

    def on_turn(f: LiveFeed) -> None:
        if args.status_every > 0 and time.monotonic() >= next_status[0]:
            next_status[0] = time.monotonic() + args.status_every
            print(_status_line(f, t0), file=sys.stderr, flush=True)

    print(f"mda live: reading {', '.join(args.sources)}; alerts to "
          f"{'stdout' if args.alerts == '-' else args.alerts}; Ctrl-C stops",
          file=sys.stderr, flush=True)
    try:
        with stop_on_signals(stop):
            summary = feed.run(stop, duration_s=args.duration, on_turn=on_turn)
    finally:
        if out is not sys.stdout:
            out.close()
    result = summary.as_dict()
    result["inputs"] = [{"name": h.name, "url": h.url} for h in feed.health_of]
    result["health"] = feed.health()
    result["vessels_evicted"] = runner.evicted
    if args.stats:
        Path(args.stats).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"mda live: stopped after {time.monotonic() - t0:,.1f} s; {result['lines_read']:,} "
          f"lines, {result['positions']:,} positions ({result['positions_arrival_time']:,} "
          f"timed on arrival), {result['vessels']:,} vessels, "
          f"{sum(result['alerts'].values()):,} alerts", file=sys.stderr, flush=True)
    return 0
