"""What several commands share: the detection options (preset, settings file, lateness,
geography) and loading them. Printing warnings is the CLI's job, so it lives here."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from detectors.base import PRESET_NAMES
from mda.records import parse_utc


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """While inside: Ctrl-C (SIGINT) and SIGTERM set ``stop`` instead of raising, so a live
    loop ends cleanly (what it holds released, the summary printed); restored after."""

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def time_arg(text: str) -> datetime:
    """An argparse type for a time option (``--until``): ISO 8601, naive means UTC."""
    try:
        return parse_utc(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 time: {text!r} (e.g. 2024-01-31T12:00:00Z)") from None


def add_detection_args(p: argparse.ArgumentParser) -> None:
    """``--preset``, ``--config``, ``--lateness`` and the geography options."""
    p.add_argument("--preset", default=None, choices=PRESET_NAMES,
                   help="detector thresholds (default: watch)")
    p.add_argument("--config", metavar="FILE",
                   help="TOML settings file (see docs/configuration.md)")
    p.add_argument("--lateness", metavar="SECONDS", type=float,
                   help="allowed lateness of out-of-order input (overrides [ingest] "
                        "allowed_lateness_s; use a large value to replay unsorted files)")
    p.add_argument("--radar-at", metavar="LAT,LON[,HEADING]",
                   help="where the radar is whose TTM sentences (range and bearing) the input "
                        "carries, and its heading for relative bearings (overrides [radar])")
    _geo_args(p)


def load_detection(args: argparse.Namespace) -> tuple[Any, Any]:
    """The settings and the geography the detection options describe."""
    from mda.settings import DEFAULT_PRESET, SettingsError, load_settings, parse_radar_at

    settings = load_settings(args.preset or DEFAULT_PRESET, args.config)
    if getattr(args, "radar_at", None):
        settings = replace(settings, radar=parse_radar_at(args.radar_at))
    if args.lateness is not None:
        if args.lateness < 0:
            raise SettingsError("--lateness must not be negative")
        settings = replace(settings, ingest=replace(settings.ingest,
                                                     allowed_lateness_s=args.lateness))
    return settings, _geography(args, settings)


def _geo_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("geography")
    g.add_argument("--zones", action="append", default=[], metavar="[KIND=]FILE",
                   help="zone layer (GeoJSON, GeoPackage, zipped Shapefile); KIND applies to "
                        "features without a kind property (eez, territorial_sea, "
                        "contiguous_zone, fishing_zone, mpa, closure, restricted, exercise); "
                        "repeatable")
    g.add_argument("--ports", action="append", default=[], metavar="FILE",
                   help="port list CSV (name, lat, lon; NGA World Port Index columns "
                        "recognised); repeatable")
    g.add_argument("--learn-ports", metavar="FILE",
                   help="anchorages learned from the traffic (where several vessels stop): "
                        "read from FILE if it exists, written back with this run's at the end, "
                        "so a later run or worker starts with them (pass it as --ports there)")
    g.add_argument("--land", metavar="FILE",
                   help="land polygons for shore distance and on-land checks (default: the "
                        "GSHHG distance-to-land grid shipped with landmetrics)")
    g.add_argument("--no-shore", action="store_true",
                   help="no shore distance at all (rules that need it are skipped)")


def _geography(args: argparse.Namespace, settings: Any) -> Any:
    from mda.geography import Geography
    from mda.settings import zone_rules

    geo = settings.geography
    geography = Geography.load(
        zone_args=[*geo.zones, *args.zones],
        land_file=args.land or geo.land or None,
        port_files=[*geo.ports, *args.ports],
        rules=zone_rules(settings),
        shore=geo.shore and not args.no_shore,
    )
    learned = getattr(args, "learn_ports", None)
    if learned:
        import os

        if os.path.exists(learned) and geography.ports is not None:
            n = geography.ports.add_learned(learned)
            print(f"mda: {n:,} learned anchorages from {learned}", file=sys.stderr)
    for warning in geography.warnings[:10]:
        print(f"mda: warning: {warning}", file=sys.stderr)
    if len(geography.warnings) > 10:
        print(f"mda: ... and {len(geography.warnings) - 10} more warnings "
              "(see mda zones check FILE)", file=sys.stderr)
    return geography


