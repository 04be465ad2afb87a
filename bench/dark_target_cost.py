"""Benchmark: what the dark_target detector costs per AIS position.

Run by hand:  .venv/bin/python bench/dark_target_cost.py [--vessels 300] [--every 100]

N vessels report every 10 s for an hour in a 3-degree band (time order). Three runs of the
detector alone: no contacts at all (an AIS-only replay: the detector only keeps each vessel's
last report), a busy radar (one contact every ``--every`` positions, all in one place among
the vessels, so hundreds are pending within the 10-minute window at once), and a no-op
detector for the cost of the call itself. Prints nanoseconds per position, best of
``--repeat``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors.dark_target import DarkTargetDetector, DarkTargetSettings
from mda.records import PositionReport, SensorContact
from mda.synthetic import epoch, track

T0 = epoch("2024-05-01T00:00:00Z")


def scene(n: int) -> list[PositionReport]:
    out: list[PositionReport] = []
    for i in range(n):
        out += track(311_000_000 + i, T0, 15.0 + 3.0 * i / n, -70.0, 10.0, 90.0, 10.0, 3600.0)
    out.sort(key=lambda r: (r.ts, r.mmsi))
    return out


def run(reports: list[PositionReport], every: int | None) -> float:
    det = DarkTargetDetector(DarkTargetSettings())
    start = time.perf_counter()
    for k, r in enumerate(reports):
        assert r.ts is not None
        t = r.ts.timestamp()
        if t > det.next_due:
            det.advance(t)
        det.step(r, t)
        if every and k % every == 0:
            det.contact(SensorContact(r.ts, "radar", "bench", str(k % 50), 15.5, -69.9), t)
    return time.perf_counter() - start


def noop(reports: list[PositionReport]) -> float:
    class Nop:
        next_due = float("inf")

        def step(self, r: PositionReport, t: float) -> None:
            return None

    det = Nop()
    start = time.perf_counter()
    for r in reports:
        assert r.ts is not None
        t = r.ts.timestamp()
        if t > det.next_due:
            pass
        det.step(r, t)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vessels", type=int, default=300)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    reports = scene(args.vessels)
    rows: list[tuple[str, Callable[[], float]]] = [
        ("no-op detector (the call)", lambda: noop(reports)),
        ("dark_target, no contacts", lambda: run(reports, None)),
        (f"dark_target, a contact every {args.every} positions",
         lambda: run(reports, args.every))]
    print(f"{len(reports):,} positions of {args.vessels} vessels")
    for name, fn in rows:
        best = min(fn() for _ in range(args.repeat))
        print(f"{name:45s} {best / len(reports) * 1e9:8.0f} ns per position")


if __name__ == "__main__":
    main()
