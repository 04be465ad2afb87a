"""Benchmark: alert noise on real regional traffic.

Run by hand (never gates CI):

    .venv/bin/python bench/regional.py [--save out/regional.json] [--compare before.json]
                                       [--alerts-dir out/regional] [--files PATTERN]

Replays every file in ``$MDA_SHARED_DATA/regional`` (default ``../shared/data/regional``)
through the embedded runner with the default preset and the World Port Index
(``ports/nga_world_port_index_pub150.csv.gz``), as ``mda replay FILE --ports WPI`` does, and
prints per file: vessels, vessel-hours (distinct (MMSI, UTC hour) pairs with a position), alerts
per kind, and alerts per 1,000 vessel-hours. ``--save`` writes the figures as JSON;
``--compare`` prints them beside an earlier ``--save`` (e.g. before a change), with the ratio.
``--alerts-dir`` keeps each file's alerts (the last state of each alert id) as JSON lines, to
read them as a watch officer would.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("MDA_SHARED_DATA", REPO.parent / "shared" / "data"))
WPI = SHARED / "ports" / "nga_world_port_index_pub150.csv.gz"


def replay(path: Path) -> dict[str, Any]:
    from ingest.sources import Source
    from mda.geography import Geography
    from mda.records import Alert, PositionReport
    from mda.runner import EmbeddedRunner
    from mda.settings import preset_settings

    last: dict[str, Alert] = {}
    vessel_hours: set[tuple[int, int]] = set()

    def on_alert(a: Alert) -> None:
        last[a.alert_id] = a

    def on_position(p: PositionReport) -> None:
        if p.ts is not None:
            vessel_hours.add((p.mmsi, int(p.ts.timestamp()) // 3600))

    t0 = time.perf_counter()
    geography = Geography.load(port_files=[str(WPI)])
    runner = EmbeddedRunner(preset_settings(), on_alert, geography=geography,
                            on_position=on_position)
    summary = runner.run([Source.open(str(path))])
    elapsed = time.perf_counter() - t0
    kinds = Counter(a.kind for a in last.values())
    vh = len(vessel_hours)
    return {
        "file": path.name,
        "positions": summary.stats.positions,
        "vessels": summary.vessels,
        "vessel_hours": vh,
        "alerts": sum(kinds.values()),
        "kinds": dict(sorted(kinds.items())),
        "per_1000_vh": round(1000 * sum(kinds.values()) / vh, 1) if vh else None,
        "rejected": dict(sorted(summary.stats.rejected.items())),
        "seconds": round(elapsed, 1),
        "_alerts": [a.to_dict() for a in last.values()],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--save", metavar="JSON")
    ap.add_argument("--compare", metavar="JSON")
    ap.add_argument("--alerts-dir", metavar="DIR")
    ap.add_argument("--files", default="*", metavar="PATTERN")
    args = ap.parse_args()
    regional = SHARED / "regional"
    if not regional.is_dir() or not WPI.exists():
        print(f"regional data or WPI not found under {SHARED} (set MDA_SHARED_DATA)",
              file=sys.stderr)
        return 2
    before: dict[str, Any] = {}
    if args.compare:
        before = {r["file"]: r for r in json.loads(Path(args.compare).read_text())}
    rows = []
    files = sorted(p for p in regional.iterdir() if fnmatch.fnmatch(p.name, args.files))
    for i, path in enumerate(files, 1):
        print(f"[{i}/{len(files)}] {path.name} ...", file=sys.stderr, flush=True)
        row = replay(path)
        if args.alerts_dir:
            out = Path(args.alerts_dir)
            out.mkdir(parents=True, exist_ok=True)
            with open(out / f"{path.name}.alerts.jsonl", "w") as f:
                for a in row["_alerts"]:
                    f.write(json.dumps(a) + "\n")
        del row["_alerts"]
        rows.append(row)
    kinds = sorted({k for r in [*rows, *before.values()] for k in r["kinds"]})
    head = f"{'file':58} {'vessels':>7} {'vess-h':>7} {'alerts':>7} {'/1000vh':>8}"
    head += "".join(f" {k[:10]:>10}" for k in kinds)
    if before:
        head += f" {'before':>7} {'ratio':>6}"
    print(head)
    for r in rows:
        line = (f"{r['file'][:58]:58} {r['vessels']:>7} {r['vessel_hours']:>7} "
                f"{r['alerts']:>7} {r['per_1000_vh'] if r['per_1000_vh'] is not None else '-':>8}")
        line += "".join(f" {r['kinds'].get(k, 0):>10}" for k in kinds)
        b = before.get(r["file"])
        if b is not None:
            ratio = (f"{r['alerts'] / b['alerts']:.3f}" if b["alerts"] else "-")
            line += f" {b['alerts']:>7} {ratio:>6}"
        print(line)
    total = sum(r["alerts"] for r in rows)
    print(f"total alerts {total}" + (
        f" (before {sum(b['alerts'] for b in before.values())})" if before else ""))
    if args.save:
        Path(args.save).parent.mkdir(parents=True, exist_ok=True)
        Path(args.save).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
