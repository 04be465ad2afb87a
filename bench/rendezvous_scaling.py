"""Benchmark: rendezvous pairing cost as the number of vessels grows.

Run by hand:  .venv/bin/python bench/rendezvous_scaling.py [--sizes 1000 10000 50000]

N vessels drift slowly (every one eligible for pairing: the worst case) at random positions in
a 10 x 20 degree region of the Caribbean, reporting every 3 minutes for 30 minutes; a tenth
of them in pairs 200 m apart. Reports go to the rendezvous detector in time order. If pairing
were a cross join, time per report would grow with N; through the spatial grid it should
stay flat, so total time grows close to linearly. Prints time per report, distance
computations per report (``pair_checks``) and the growth factor relative to the smallest N.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors.rendezvous import RendezvousDetector, RendezvousSettings
from mda.records import PositionReport
from mda.synthetic import epoch, track


def scene(n: int, seed: int = 1) -> list[PositionReport]:
    rng = random.Random(seed)
    t0 = epoch("2024-01-01T00:00:00Z")
    reports: list[PositionReport] = []
    spots = [(rng.uniform(10, 20), rng.uniform(-85, -65)) for _ in range(n)]
    for i in range(1, n, 20):  # every 20th vessel is the partner of the one before, 200 m north
        spots[i] = (spots[i - 1][0] + 200 / 111_195, spots[i - 1][1])
    for i, (lat, lon) in enumerate(spots):
        reports += track(200_000_000 + i, t0 + timedelta(seconds=rng.randrange(180)), lat, lon,
                         rng.uniform(0.2, 1.5), rng.uniform(0, 360), 180, 1800)
    reports.sort(key=lambda r: (r.ts, r.mmsi))
    return reports


def run(n: int) -> tuple[float, float, int]:
    reports = scene(n)
    det = RendezvousDetector(RendezvousSettings(min_duration_h=0.25))
    t0 = time.perf_counter()
    alerts = 0
    for r in reports:
        t = r.ts.timestamp()  # type: ignore[union-attr]
        alerts += len(det.advance(t)) + len(det.step(r, t))
    dt = time.perf_counter() - t0
    return dt / len(reports) * 1e6, det.pair_checks / len(reports), alerts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 50_000])
    args = ap.parse_args()
    print(f"{'vessels':>8} {'reports':>9} {'us/report':>10} {'checks/report':>14} "
          f"{'alerts':>7} {'total s':>8} {'x time':>7} {'x vessels':>9}")
    base = None
    for n in args.sizes:
        us, checks, alerts = run(n)
        reports = n * 11
        total = us * reports / 1e6
        if base is None:
            base = (total, n)
        print(f"{n:>8,} {reports:>9,} {us:>10.2f} {checks:>14.3f} {alerts:>7,} {total:>8.2f} "
              f"{total / base[0]:>7.1f} {n / base[1]:>9.1f}")


if __name__ == "__main__":
    main()
