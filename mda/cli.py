"""The ``mda`` command. The CLI owns the terminal: progress bars, tables and messages are
printed here, never in library code. Heavy packages are imported inside the commands."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from mda import __version__

DESCRIPTION = """\
Maritime domain awareness stream processor: decodes AIS, detects dark vessels (AIS gaps) and
other suspicious behaviour in event time, and writes explainable alerts.

Start with:  mda replay FILE --alerts alerts.jsonl
"""


def _parse_time(text: str) -> datetime:
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 time: {text!r} (e.g. 2024-01-31T12:00:00Z)") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mda", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"mda {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser(
        "replay", help="decode AIS files and run every detector in one process",
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
    r.add_argument("--preset", default=None, choices=["watch", "skylight", "gfw"],
                   help="detector thresholds (default: watch)")
    r.add_argument("--config", metavar="FILE",
                   help="TOML settings file (see docs/configuration.md)")
    r.add_argument("--until", metavar="TIME", type=_parse_time,
                   help="advance the event-time clock to TIME (ISO 8601) at the end of input, so "
                        "vessels still silent then have open gaps")
    r.add_argument("--lateness", metavar="SECONDS", type=float,
                   help="allowed lateness of out-of-order input (overrides [ingest] "
                        "allowed_lateness_s; use a large value to replay unsorted files)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--quiet", "-q", action="store_true", help="no summary table")

    c = sub.add_parser("config", help="show the effective settings")
    csub = c.add_subparsers(dest="config_command", metavar="ACTION")
    show = csub.add_parser("show", help="print the effective settings as TOML",
                           description="Print the effective settings in the settings file's "
                                       "TOML form (a preset, overridden by --config).")
    show.add_argument("--preset", default=None, choices=["watch", "skylight", "gfw"])
    show.add_argument("--config", metavar="FILE")
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
        ("vessels", f"{summary['vessels']:,}"),
        ("event time", f"{summary['first_event_time']} .. {summary['last_event_time']}"),
        ("clock at end", f"{summary['clock_at_end']}"),
        ("alerts", f"{sum(summary['alerts'].values()):,}"),
    ]
    rows += [(f"  {kind}", f"{n:,}") for kind, n in summary["alerts"].items()]
    rows.append(("  open at end", f"{summary['alerts_open_at_end']:,}"))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k.ljust(width)}  {v}", file=out)
    if summary["positions_untimed"]:
        print(f"note: {summary['positions_untimed']:,} positions carried no receive time; they "
              "were decoded but do not feed time-based detectors.", file=out)


def _replay(args: argparse.Namespace) -> int:
    from ingest.quarantine import Reject
    from ingest.sources import Source
    from mda.records import Alert
    from mda.runner import EmbeddedRunner
    from mda.settings import DEFAULT_PRESET, SettingsError, load_settings

    settings = load_settings(args.preset or DEFAULT_PRESET, args.config)
    if args.lateness is not None:
        if args.lateness < 0:
            raise SettingsError("--lateness must not be negative")
        settings = replace(settings, ingest=replace(settings.ingest,
                                                     allowed_lateness_s=args.lateness))
    sources = [Source.open(name) for name in args.inputs]
    alerts_f = open(args.alerts, "w", encoding="utf-8") if args.alerts else None  # noqa: SIM115
    rejects_f = open(args.rejects, "w", encoding="utf-8") if args.rejects else None  # noqa: SIM115
    total = sum(s.size or 0 for s in sources)
    bar = None
    if not args.no_progress and sys.stderr.isatty() and total > 2_000_000:
        from tqdm import tqdm
        bar = tqdm(total=total, unit="B", unit_scale=True, desc="replay", file=sys.stderr)
    try:
        def write_alert(alert: Alert) -> None:
            assert alerts_f is not None
            alerts_f.write(alert.to_json() + "\n")

        def write_reject(reject: Reject) -> None:
            assert rejects_f is not None
            rejects_f.write(reject.to_json() + "\n")

        runner = EmbeddedRunner(settings, write_alert if alerts_f else None,
                                write_reject if rejects_f else None)
        result = runner.run(sources, until=args.until,
                            progress=bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
        for f in (alerts_f, rejects_f):
            if f is not None:
                f.close()
    summary = result.as_dict()
    if args.stats:
        Path(args.stats).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if not args.quiet:
        _table(summary, sys.stdout)
        written = [p for p in (args.alerts, args.rejects, args.stats) if p]
        if written:
            print("wrote " + ", ".join(written))
    return 0


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

    try:
        if args.command == "replay":
            return _replay(args)
        if args.command == "config":
            return _config(args)
    except (SettingsError, FileNotFoundError) as exc:
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
