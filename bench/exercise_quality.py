"""Detection quality and speed on the committed exercise scenarios (run by hand; never gates
CI): for each size, generate the scenario, replay it through the embedded pipeline with every
detector, score it, and print per-kind recall, precision and detection delay, and timings.

    .venv/bin/python bench/exercise_quality.py                  # small, medium, large
    .venv/bin/python bench/exercise_quality.py small --json out.json
    .venv/bin/python bench/exercise_quality.py --preset gfw     # other thresholds
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = ("small", "medium", "large")


def run(size: str, preset: str, keep: Path | None) -> dict[str, Any]:
    from mda.exercise.generate import generate_file
    from mda.exercise.replay import replay_exercise
    from mda.settings import preset_settings

    scenario = ROOT / "replay_data" / "scenarios" / size / "scenario.toml"
    with tempfile.TemporaryDirectory(prefix=f"mda-exercise-{size}-") as tmp:
        out = keep / size if keep else Path(tmp)
        t0 = time.perf_counter()
        ex = generate_file(scenario, out)
        t1 = time.perf_counter()
        result = replay_exercise(out, preset_settings(preset))
        t2 = time.perf_counter()
    score = result.score.as_dict()
    c = ex.counts
    return {
        "size": size,
        "scenario": ex.scenario.name,
        "hours": ex.scenario.duration_h,
        "vessels": sum(c["vessels"].values()),
        "vessels_by_role": c["vessels"],
        "positions": c["positions"],
        "lines": c["lines"],
        "generate_s": round(t1 - t0, 1),
        "replay_s": round(t2 - t1, 1),
        "lines_per_s": round(c["lines"] / (t2 - t1)),
        "alerts": len({a.alert_id for a in result.alerts}),
        "score": score,
    }


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _m(s: float | None) -> str:
    return "-" if s is None else f"{s / 60:.1f}"


def report(rows: list[dict[str, Any]]) -> str:
    out = ["| size | vessels | hours | lines | generate s | replay s | lines/s | alerts | "
           "decoy alerts |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['size']} | {r['vessels']:,} | {r['hours']:g} | {r['lines']:,} | "
                   f"{r['generate_s']} | {r['replay_s']} | {r['lines_per_s']:,} | "
                   f"{r['alerts']:,} | {r['score']['decoy_alerts']} |")
    out += ["", "| size | kind | events | detected | alerts | TP | FP | recall | precision | "
            "delay median min | delay max min |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        for kind, k in r["score"]["kinds"].items():
            out.append(f"| {r['size']} | {kind} | {k['events']} | {k['detected']} | "
                       f"{k['alerts']} | {k['true_positives']} | {k['false_positives']} | "
                       f"{_f(k['recall'])} | {_f(k['precision'])} | {_m(k['delay_median_s'])} | "
                       f"{_m(k['delay_max_s'])} |")
    return "\n".join(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sizes", nargs="*", metavar="SIZE", help="small, medium, large (default: all)")
    p.add_argument("--preset", default="watch", choices=["watch", "skylight", "gfw"])
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--keep", metavar="DIR", help="keep the generated exercises in DIR/SIZE")
    args = p.parse_args()
    for size in args.sizes:
        if size not in SIZES:
            p.error(f"unknown size {size!r} (known: {', '.join(SIZES)})")
    rows = []
    for size in args.sizes or SIZES:
        print(f"{size}: generating and replaying ...", file=sys.stderr, flush=True)
        rows.append(run(size, args.preset, Path(args.keep) if args.keep else None))
        r = rows[-1]
        print(f"{size}: {r['vessels']:,} vessels, {r['lines']:,} lines; generate "
              f"{r['generate_s']} s, replay {r['replay_s']} s", file=sys.stderr, flush=True)
    print(f"preset {args.preset}")
    print(report(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
