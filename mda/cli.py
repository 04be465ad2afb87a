"""The ``mda`` command. The CLI owns the terminal: progress bars, tables and messages are
printed here, never in library code. Heavy packages are imported inside the commands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from detectors.base import PRESET_NAMES
from mda import __version__
from mda.commands.common import add_detection_args, load_detection, time_arg

DESCRIPTION = """\
Maritime domain awareness stream processor: decodes AIS, detects dark vessels (AIS gaps) and
other suspicious behaviour in event time, and writes explainable alerts.

Start with:  mda replay FILE --alerts alerts.jsonl
"""


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError(f"--jobs wants a number of processes, 1 to 64: {text!r}")
    return n


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mda", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"mda {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser(
        "replay", help="decode AIS files and run every detector (no broker)",
        description=(
            "Replay AIS input through the embedded pipeline: decode, validate, order by event "
            "time, detect, and write alerts. INPUT is a file (NMEA in any common framing, "
            "gzip or not; a decoded-AIS CSV such as NOAA MarineCadastre; or JSON lines), "
            "or - for standard input. Several inputs are merged in event-time order."))
    r.add_argument("inputs", nargs="+", metavar="INPUT")
    r.add_argument("--alerts", metavar="OUT.jsonl",
                   help="write alerts as JSON lines (every lifecycle state; upsert by alert_id)")
    r.add_argument("--rejects", metavar="OUT.jsonl",
                   help="write every rejected line as JSON {line_no, raw, reason}")
    r.add_argument("--stats", metavar="OUT.json", help="write the summary as JSON")
    r.add_argument("--map", metavar="OUT.html",
                   help="also write the report map, one self-contained HTML file (docs/maps.md)")
    add_detection_args(r)
    r.add_argument("--until", metavar="TIME", type=time_arg,
                   help="advance the event-time clock to TIME (ISO 8601) at the end of input, so "
                        "vessels still silent then have open gaps")
    r.add_argument("--jobs", "-j", type=_jobs, default=1, metavar="N",
                   help="share the detectors out among N processes, each decoding the input "
                        "(faster with cores to spare; the same alerts, in the same order; "
                        "files only, not with --map); default 1")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--quiet", "-q", action="store_true", help="no summary table")

    z = sub.add_parser("zones", help="inspect zone files; how to get official layers")
    zsub = z.add_subparsers(dest="zones_command", metavar="ACTION")
    zc = zsub.add_parser("check", help="report what a zone file contains and what is wrong",
                         description="Load a zone file as mda replay would and report its "
                                     "zones by kind, sovereigns, extent, repairs and errors. "
                                     "Exit status 1 when the file cannot be used.")
    zc.add_argument("file", metavar="[KIND=]FILE")
    zc.add_argument("--json", action="store_true", help="print the report as JSON")
    zsub.add_parser("fetch", help="how to get official EEZ and MPA layers",
                    description="Print where and how to download the official layers "
                                "(Marine Regions EEZ, WDPA), which their licences ask users to "
                                "fetch themselves.")

    c = sub.add_parser("config", help="show the effective settings")
    csub = c.add_subparsers(dest="config_command", metavar="ACTION")
    show = csub.add_parser("show", help="print the effective settings as TOML",
                           description="Print the effective settings in the settings file's "
                                       "TOML form (a preset, overridden by --config).")
    show.add_argument("--preset", default=None, choices=PRESET_NAMES)
    show.add_argument("--config", metavar="FILE")

    from mda.commands import register_all

    register_all(sub)
    return p


def _table(summary: dict[str, Any], out: TextIO) -> None:
    rows: list[tuple[str, str]] = [
        ("lines read", f"{summary['lines_read']:,}"),
        ("lines used", f"{summary['lines_used']:,}"),
        ("messages decoded", f"{summary['messages_decoded']:,}"),
        ("duplicates", f"{summary['messages_duplicate']:,}"),
        ("lines rejected", f"{summary['lines_rejected']:,}"),
    ]
    rows += [(f"  {reason}", f"{n:,}") for reason, n in summary["rejected"].items()]
    rows += [
        ("positions", f"{summary['positions']:,}"),
        ("  without a position", f"{summary['positions_without_position']:,}"),
        ("  without a time", f"{summary['positions_untimed']:,}"),
        ("  timed on arrival", f"{summary.get('positions_arrival_time', 0):,}"),
        ("vessels", f"{summary['vessels']:,}"),
    ]
    contacts = summary.get("contacts") or {}
    if contacts or summary.get("contacts_untimed"):
        rows.append(("sensor contacts", ", ".join(f"{k} {n:,}" for k, n in contacts.items())))
        rows.append(("  without a time", f"{summary.get('contacts_untimed', 0):,}"))
    rows += [
        ("event time", f"{summary['first_event_time']} .. {summary['last_event_time']}"),
        ("clock at end", f"{summary['clock_at_end']}"),
        ("alerts", f"{sum(summary['alerts'].values()):,}"),
    ]
    rows += [(f"  {kind}", f"{n:,}") for kind, n in summary["alerts"].items()]
    rows.append(("  open at end", f"{summary['alerts_open_at_end']:,}"))
    for det, reasons in summary.get("not_alerted", {}).items():
        rows.append((f"not alerted ({det})", ", ".join(f"{k} {n:,}" for k, n in reasons.items())))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k.ljust(width)}  {v}", file=out)
    if summary["positions_untimed"]:
        print(f"note: {summary['positions_untimed']:,} positions carried no receive time; they "
              "were decoded but do not feed time-based detectors.", file=out)
    if summary.get("contacts_untimed"):
        print(f"note: {summary['contacts_untimed']:,} radar or SAR contacts carried no time; "
              "they were decoded but are not correlated with AIS.", file=out)
    if summary["rejected"].get("no_radar_position"):
        print(f"note: {summary['rejected']['no_radar_position']:,} radar TTM sentences give "
              "range and bearing from a radar whose position was not given: use --radar-at "
              "LAT,LON or a [radar] table with lat and lon.", file=out)
    for note in _ingest_notes(summary):
        print(note, file=out)


def _ingest_notes(summary: dict[str, Any]) -> list[str]:
    """What ingest did that changes what the detectors could see: files sorted, fields
    missing (a rule that needs them cannot fire), speeds derived from positions."""
    notes = []
    for s in summary.get("sorted", []):
        if s["sorted"]:
            notes.append(
                f"note: {s['source']} is not in time order ({s['out_of_order']:,} of "
                f"{s['positions']:,} positions more than the allowed lateness behind an "
                f"earlier one): its {s['records']:,} records were sorted by event time before "
                "detection.")
        else:
            notes.append(
                f"note: {s['source']} is not in time order and too large to sort in memory "
                f"({s['records']:,}+ records): late records were rejected as too_late.")
    m = summary.get("missing_fields") or {}
    positions = summary.get("positions", 0)
    if positions and any(m.values()):
        derived = summary.get("derived_speed", 0)
        notes.append(
            f"note: missing fields, rules that need them cannot fire there: of "
            f"{positions:,} positions {m.get('sog', 0):,} have no speed"
            + (f" (after {derived:,} speeds derived from positions)" if derived else "")
            + f", {m.get('cog', 0):,} no course, {m.get('nav_status', 0):,} no nav status; "
            f"{m.get('vessels_without_ship_type', 0):,} vessels have no ship type.")
    return notes


def _replay(args: argparse.Namespace) -> int:
    from ingest.quarantine import Reject
    from ingest.sources import Source
    from mda.geography import write_learned
    from mda.records import Alert
    from mda.runner import EmbeddedRunner

    settings, geography = load_detection(args)
    sources = [Source.open(name) for name in args.inputs]
    alerts_f = open(args.alerts, "w", encoding="utf-8") if args.alerts else None  # noqa: SIM115
    rejects_f = open(args.rejects, "w", encoding="utf-8") if args.rejects else None  # noqa: SIM115
    total = sum(s.size or 0 for s in sources)
    bar = None
    if not args.no_progress and sys.stderr.isatty() and total > 2_000_000:
        from tqdm import tqdm
        bar = tqdm(total=total, unit="B", unit_scale=True, desc="replay", file=sys.stderr)
    try:
        collector = None
        map_alerts: list[dict[str, Any]] = []
        if args.map:
            from maps.report import TrackCollector

            collector = TrackCollector()

        def write_alert(alert: Alert) -> None:
            if alerts_f is not None:
                alerts_f.write(alert.to_json() + "\n")
            if args.map:
                map_alerts.append(alert.to_dict())

        def write_reject(reject: Reject) -> None:
            assert rejects_f is not None
            rejects_f.write(reject.to_json() + "\n")

        runner = EmbeddedRunner(settings, write_alert if (alerts_f or args.map) else None,
                                write_reject if rejects_f else None, geography=geography,
                                on_position=collector.add if collector is not None else None)
        result = runner.run(sources, until=args.until,
                            progress=bar.update if bar is not None else None, jobs=args.jobs)
    finally:
        if bar is not None:
            bar.close()
        for f in (alerts_f, rejects_f):
            if f is not None:
                f.close()
    summary = result.as_dict()
    if args.learn_ports and geography.ports is not None:
        summary["learned_anchorages"] = write_learned(args.learn_ports, geography.ports,
                                                      runner.detection.anchorages)
    if args.map:
        from maps.report import write_report_map

        info = write_report_map(
            args.map, map_alerts, collector,
            zones=geography.zones.zones if geography.zones is not None else None,
            vessel_info=runner.registry.info)
        if info["assets"] != "inlined":
            print("mda: note: no asset cache, so the map loads Leaflet from a public CDN; run "
                  "`mda assets fetch` for a map that works offline", file=sys.stderr)
    if args.stats:
        Path(args.stats).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if not args.quiet:
        _table(summary, sys.stdout)
        written = [p for p in (args.alerts, args.rejects, args.stats, args.map,
                               args.learn_ports) if p]
        if written:
            print("wrote " + ", ".join(written))
    return 0


FETCH_HELP = """\
Official zone layers are not redistributed with mda: their licences ask users to download
them from the source. With internet access:

  EEZ, territorial seas, contiguous zones (Marine Regions, CC BY 4.0):
    https://www.marineregions.org/downloads.php  ->  "Maritime Boundaries" (World EEZ,
    12 NM, 24 NM), GeoPackage or Shapefile; accept the terms, download, unzip.
    mda reads GEONAME, ISO_SOV1, MRGID and POL_TYPE:   --zones FILE.gpkg

  Marine protected areas (WDPA, Protected Planet; non-commercial terms):
    https://www.protectedplanet.net/en/thematic-areas/wdpa  ->  download by country
    (e.g. BLZ, JAM) as Shapefile or GeoPackage.
    mda reads NAME, WDPAID/WDPA_PID, NO_TAKE, ISO3:     --zones FILE.zip

  Your own zones (closures, restricted or exercise areas): GeoJSON polygons with properties
  name, kind, sovereign (ISO 3166 alpha-3) and id; or give the kind: --zones closure=FILE.

Check any file first:  mda zones check FILE
See docs/zones.md for the rules each kind applies.
"""


def _zones(args: argparse.Namespace) -> int:
    if args.zones_command == "fetch":
        sys.stdout.write(FETCH_HELP)
        return 0
    if args.zones_command != "check":
        print("usage: mda zones check [KIND=]FILE | mda zones fetch", file=sys.stderr)
        return 2
    from mda.geography import parse_zone_arg
    from zones.catalogue import check_zones

    kind, path = parse_zone_arg(args.file)
    report = check_zones(path, kind=kind)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0 if report["ok"] else 1
    print(f"file        {report['path']}")
    print(f"crs         {report['crs']}")
    print(f"features    {report['features']:,}")
    print(f"zones       {report['zones']:,}")
    for k, n in report["by_kind"].items():
        print(f"  {k:<22}{n:,}")
    print(f"sovereigns  {', '.join(report['sovereigns']) or '-'}")
    print(f"extent      {report['bbox']}")
    for w in report["warnings"]:
        print(f"warning     {w}")
    for e in report["errors"]:
        print(f"error       {e}")
    print("ok" if report["ok"] else "NOT USABLE: fix the errors above")
    return 0 if report["ok"] else 1


def _config(args: argparse.Namespace) -> int:
    from mda.settings import DEFAULT_PRESET, load_settings, to_toml

    if args.config_command != "show":
        print("usage: mda config show [--preset P] [--config FILE]", file=sys.stderr)
        return 2
    sys.stdout.write(to_toml(load_settings(args.preset or DEFAULT_PRESET, args.config)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    from mda.settings import SettingsError
    from zones.catalogue import ZoneError

    try:
        if args.command == "replay":
            return _replay(args)
        if args.command == "config":
            return _config(args)
        if args.command == "zones":
            return _zones(args)
        func = getattr(args, "func", None)
        if func is not None:
            return int(func(args))
    except (SettingsError, ZoneError, FileNotFoundError) as exc:
        print(f"mda: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("mda: interrupted", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
