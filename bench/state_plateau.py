"""Benchmark: does a worker's detector state stop growing? (run by hand; never in CI)

  .venv/bin/python bench/state_plateau.py [--vessels 2000] [--hours 6] [--every 10]

The soak (``bench/streaming_soak.py``) watches a worker's memory for minutes of real time;
this runs the same kind of traffic (seeded: vessels sailing at 5-18 kn, a tenth slow under
2 kn, some turning now and then, one report every ``--every`` s each) through one
``DetectorSet`` in this process, hours of event time in a minute or two, and prints the
memory Python has allocated (``tracemalloc``) every half hour of event time, then where the
growth of the last half of the run was allocated (file and line). State with caps (the
loitering detector's speed samples, 512 per episode; the spoofing detector's trail, 32 points
per track) fills for the first hours and then holds.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    from mda.detection import DetectorSet
    from mda.records import PositionReport
    from mda.settings import preset_settings

    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--vessels", type=int, default=2000)
    ap.add_argument("--hours", type=float, default=6.0, help="event time to run")
    ap.add_argument("--every", type=float, default=10.0, help="seconds between reports")
    args = ap.parse_args()
    rng = random.Random(7)
    vessels = [(200_000_000 + i, rng.uniform(10, 25), rng.uniform(-85, -60),
                rng.uniform(0, 2) if i % 10 == 0 else rng.uniform(5, 18), rng.uniform(0, 360))
               for i in range(args.vessels)]
    detection = DetectorSet(preset_settings())
    t = datetime(2024, 6, 1, tzinfo=UTC).timestamp()
    tracemalloc.start(1)
    halves = int(args.hours * 2)
    middle = None
    for half in range(1, halves + 1):
        for _ in range(int(1800 / args.every)):
            t += args.every
            ts = datetime.fromtimestamp(t, UTC)
            items = []
            for i, (mmsi, lat, lon, sog, cog) in enumerate(vessels):
                if rng.random() < 0.01:
                    cog = (cog + rng.uniform(-90, 90)) % 360
                d = sog * 0.514444 * args.every / 111_195.0
                lat += d * math.cos(math.radians(cog))
                lon += d * math.sin(math.radians(cog)) / max(math.cos(math.radians(lat)), 0.1)
                vessels[i] = (mmsi, lat, lon, sog, cog)
                items.append((t, PositionReport(ts, mmsi, lat, lon, round(sog, 1),
                                                round(cog, 1), None, 0, 1, "plateau")))
            detection.step_many(items)
            detection.advance(t - 1.0)
        del items
        gc.collect()
        print(f"{half / 2:5.1f} h of event time: {tracemalloc.get_traced_memory()[0] / 1e6:6.1f}"
              f" MB allocated", flush=True)
        if half == halves // 2:
            middle = tracemalloc.take_snapshot()
    if middle is not None:
        print("growth over the second half, by where it was allocated:")
        for stat in tracemalloc.take_snapshot().compare_to(middle, "lineno")[:5]:
            print(f"  {stat.size_diff / 1e6:+7.2f} MB  {stat.traceback[0]}")


if __name__ == "__main__":
    main()
