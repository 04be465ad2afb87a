"""``mda exercise generate|score|run`` and ``mda demo``: detection exercises from scenario files
(docs/exercises.md), and the default demo (a Caribbean exercise replayed with every detector).
Heavy packages are imported inside the commands."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from detectors.base import PRESET_NAMES

DEMO_SCENARIO = Path("replay_data") / "scenarios" / "demo" / "scenario.toml"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ex = sub.add_parser(
        "exercise", help="detection exercises: scripted events in generated AIS, scored",
        description="Generate AIS traffic with scripted events and decoys from a scenario file "
                    "(docs/exercises.md), replay it through every detector, and score what "
                    "was detected and how fast.")
    esub = ex.add_subparsers(dest="exercise_command", metavar="ACTION")
    ex.set_defaults(func=_usage)

    g = esub.add_parser("generate", help="write a scenario's AIS (NMEA) and its ground truth",
                        description="Write traffic.nmea (tag-blocked NMEA), truth.json, "
                                    "zones.geojson, ports.csv and exercise.json (and radar.nmea, "
                                    "sar.csv for sensor events) into --out. "
                                    "The same scenario and seed give the same bytes.")
    g.add_argument("scenario", metavar="SCENARIO.toml")
    g.add_argument("--out", required=True, metavar="DIR", help="output folder")
    g.add_argument("--seed", type=int, help="override the scenario's seed")
    g.add_argument("--quiet", "-q", action="store_true", help="no progress messages")
    g.set_defaults(func=_generate)

    s = esub.add_parser("score", help="score alerts against an exercise's ground truth",
                        description="Per alert kind: events, detected, missed, alerts, true "
                                    "and false positives (and those on decoys), precision, "
                                    "recall and detection delay (event time of the proof to "
                                    "the alert). Prints a table, or JSON with --json.")
    s.add_argument("alerts", metavar="ALERTS.jsonl")
    s.add_argument("truth", metavar="TRUTH.json")
    s.add_argument("--json", action="store_true", help="print the score as JSON")
    s.add_argument("--out", metavar="SCORE.json", help="also write the score as JSON")
    s.add_argument("--tolerance-h", type=float, default=1.0, metavar="H",
                   help="an alert matches an event whose time it overlaps within H hours "
                        "(default 1)")
    _settings_args(s, "the thresholds the detection delay is measured against")
    s.set_defaults(func=_score)

    r = esub.add_parser("run", help="generate, replay with every detector, and score",
                        description="Generate the scenario into --out, replay it through the "
                                    "embedded pipeline with every detector (the exercise's "
                                    "zones and ports, the landmetrics shore), write "
                                    "alerts.jsonl, stats.json, score.json and the report map, "
                                    "and print the score.")
    r.add_argument("scenario", metavar="SCENARIO.toml")
    _run_args(r, default_out=None)
    r.set_defaults(func=_run)

    d = sub.add_parser("demo", help="the demo: a Caribbean exercise, every detector, scored",
                       description="Generate the Caribbean demo exercise "
                                   f"({DEMO_SCENARIO.as_posix()}), replay it with every "
                                   "detector, and write the alerts, the report map and the "
                                   "score.")
    d.add_argument("--scenario", metavar="SCENARIO.toml",
                   help="another scenario file instead of the demo's")
    _run_args(d, default_out="out/demo")
    d.set_defaults(func=_demo)


def _settings_args(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--preset", default=None, choices=PRESET_NAMES,
                   help=f"detector preset: {what} (default: watch)")
    p.add_argument("--config", metavar="FILE", help="TOML settings file (docs/configuration.md)")


def _run_args(p: argparse.ArgumentParser, default_out: str | None) -> None:
    p.add_argument("--out", default=default_out, metavar="DIR",
                   help="output folder" + (f" (default: {default_out})" if default_out
                                           else " (default: out/exercise/SCENARIO-NAME)"))
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    _settings_args(p, "detection thresholds")
    p.add_argument("--no-map", action="store_true", help="do not write the report map")
    p.add_argument("--json", action="store_true", help="print the score as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _usage(args: argparse.Namespace) -> int:
    print("usage: mda exercise generate SCENARIO --out DIR | score ALERTS TRUTH | "
          "run SCENARIO", file=sys.stderr)
    return 2


def _err(message: str) -> int:
    print(f"mda: error: {message}", file=sys.stderr)
    return 2


def _say(quiet: bool, t0: float) -> Any:
    def say(text: str) -> None:
        if not quiet:
            print(f"[{time.monotonic() - t0:5.1f} s] {text}", file=sys.stderr)
    return say


def _generate(args: argparse.Namespace) -> int:
    from mda.exercise.generate import generate_file
    from mda.exercise.scenario import ScenarioError

    t0 = time.monotonic()
    try:
        ex = generate_file(args.scenario, args.out, _say(args.quiet, t0), seed=args.seed)
    except ScenarioError as exc:
        return _err(str(exc))
    _print_generated(ex, time.monotonic() - t0)
    return 0


def _print_generated(ex: Any, seconds: float) -> None:
    c = ex.counts
    kinds: dict[str, int] = {}
    for e in ex.truth.events:
        if e.required:
            kinds[e.kind] = kinds.get(e.kind, 0) + 1
    vessels = ", ".join(f"{n:,} {role}" for role, n in sorted(c["vessels"].items()))
    print(f"scenario   {ex.scenario.name} (seed {ex.scenario.seed}), "
          f"{ex.scenario.duration_h:g} h from {ex.truth.to_dict()['start']}")
    print(f"vessels    {vessels}")
    print(f"messages   {c['positions']:,} positions, {c['statics']:,} static; "
          f"{c['lines']:,} lines with {c['duplicates']:,} duplicate receptions, "
          f"{c['corrupted']:,} corrupted, {c['delayed']:,} delayed")
    if ex.sensors:
        print(f"sensors    {c.get('contacts_radar', 0):,} radar contacts, "
              f"{c.get('contacts_sar', 0):,} SAR detections ({', '.join(ex.sensors)})")
    print("truth      " + (", ".join(f"{n} {k}" for k, n in kinds.items()) or "no events")
          + f"; {len(ex.truth.decoys)} decoys")
    print(f"wrote      {ex.traffic}, {ex.truth_path} ({seconds:.1f} s)")


def _load_settings(args: argparse.Namespace) -> Any:
    from mda.settings import DEFAULT_PRESET, load_settings

    return load_settings(args.preset or DEFAULT_PRESET, args.config)


def _score(args: argparse.Namespace) -> int:
    from mda.exercise.score import Definitions, read_alerts, score, table
    from mda.exercise.truth import load_truth

    try:
        alerts = read_alerts(args.alerts)
        truth = load_truth(args.truth)
    except ValueError as exc:
        return _err(str(exc))
    result = score(alerts, truth, args.tolerance_h,
                   Definitions.from_settings(_load_settings(args)))
    data = result.as_dict()
    if args.out:
        Path(args.out).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(data, indent=1))
    else:
        print(table(result))
        if args.out:
            print(f"wrote {args.out}")
    return 0


def _find_demo() -> Path | None:
    import mda

    for base in (Path.cwd(), Path(mda.__file__).resolve().parents[1]):
        path = base / DEMO_SCENARIO
        if path.is_file():
            return path
    return None


def _demo(args: argparse.Namespace) -> int:
    if args.scenario is None:
        found = _find_demo()
        if found is None:
            return _err(f"the demo scenario {DEMO_SCENARIO.as_posix()} was not found (run mda "
                        "demo from the project folder, or give --scenario FILE)")
        args.scenario = str(found)
    return _run(args, title="MDA demo: Caribbean exercise")


def _run(args: argparse.Namespace, title: str | None = None) -> int:
    from mda.exercise.generate import generate_file
    from mda.exercise.replay import replay_exercise
    from mda.exercise.scenario import ScenarioError, load_scenario
    from mda.records import Alert

    t0 = time.monotonic()
    say = _say(False, t0)
    settings = _load_settings(args)
    try:
        name = load_scenario(args.scenario).name
        out = Path(args.out or Path("out") / "exercise" / name)
        ex = generate_file(args.scenario, out, say, seed=args.seed)
    except ScenarioError as exc:
        return _err(str(exc))
    _print_generated(ex, time.monotonic() - t0)
    alerts_path = out / "alerts.jsonl"
    collector = None if args.no_map else _track_collector()
    bar = None
    size = ex.traffic.stat().st_size
    if not args.no_progress and sys.stderr.isatty():
        from tqdm import tqdm
        bar = tqdm(total=size, unit="B", unit_scale=True, desc="replay", file=sys.stderr)
    say(f"replaying {ex.traffic.name} with every detector (preset {settings.preset})")
    with alerts_path.open("w", encoding="utf-8") as f:
        def write(alert: Alert) -> None:
            f.write(alert.to_json() + "\n")

        try:
            result = replay_exercise(out, settings, on_alert=write,
                                     on_position=None if collector is None else collector.add,
                                     progress=None if bar is None else bar.update)
        finally:
            if bar is not None:
                bar.close()
    stats = result.summary.as_dict()
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    data = result.score.as_dict()
    data["preset"] = settings.preset
    (out / "score.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    map_path: Path | None = None
    map_note = "skipped (--no-map)"
    if not args.no_map:
        say("writing the report map")
        map_path, map_note = _write_map(out / "map.html", [a.to_dict() for a in result.alerts],
                                        collector, result.zones, result.vessel_info,
                                        title or f"MDA exercise: {ex.scenario.name}")
    elapsed = time.monotonic() - t0
    if args.json:
        print(json.dumps(data, indent=1))
    else:
        from mda.exercise.score import table

        print(f"replayed   {stats['lines_read']:,} lines, {stats['positions']:,} positions, "
              f"{stats['vessels']:,} vessels; {sum(stats['alerts'].values()):,} alerts")
        print()
        print(table(result.score))
        print()
    print(f"alerts     {alerts_path}")
    print(f"score      {out / 'score.json'}")
    print(f"map        {map_path if map_path is not None else 'unavailable: ' + map_note}")
    sensors = "".join(f", {ex.out_dir / name}" for name in ex.sensors)
    print(f"traffic    {ex.traffic}{sensors} (truth: {ex.truth_path})")
    print(f"done in {elapsed:.1f} s")
    return 0


def _track_collector() -> Any:
    from maps.tracks import TrackCollector

    return TrackCollector()


def _write_map(path: Path, alerts: list[dict[str, Any]], tracks: Any, zones: list[Any],
               vessel_info: Any, title: str) -> tuple[Path | None, str]:
    """The report map (maps.report.write_report_map). A map that cannot be written (a
    full disk, a missing asset cache) is reported, not a crash: the alerts and the score are
    written already."""
    from maps.report import write_report_map

    try:
        write_report_map(path, alerts, tracks, zones, vessel_info=vessel_info, title=title)
    except OSError as exc:
        return None, f"cannot write {path} ({exc})"
    return path, "ok"
