"""Soak test of a worker (run by hand; never in CI): ``--minutes`` at ``--rate`` positions/s
of real time, and the worker's memory sampled all along.

  .venv/bin/python bench/streaming_soak.py [--minutes 10] [--rate 5000] [--vessels 5000]

A broker on a free port (wiped at the end), one ``mda worker``, and a publisher in this
process that sends, each second of wall-clock time, one position of every vessel (``--rate``
vessels, so ``--rate`` positions/s; a tenth of them slow, some turning now and then) and a
watermark tick to every partition, through the ingest's producer (``BatchProducer``). Every
10 s it reads the worker's resident memory (``VmRSS`` of ``/proc/PID/status``) and its lag
(the metrics line). Memory is flat if the last minute's samples are within a few per cent of
those of the second minute (the first minute fills the state: every vessel seen once).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def main() -> None:
    from bench.streaming import metrics, start_broker
    from mda.records import PositionReport
    from mda.streaming import codec
    from mda.streaming.producer import BatchProducer
    from mda.streaming.topics import Topics

    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=int, default=5000, help="vessels = positions per second")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mda-soak-"))
    broker, bootstrap = start_broker(tmp)
    topics = Topics(prefix="soak")
    topics.ensure(bootstrap)
    log = tmp / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "mda.cli", "worker", "--bootstrap", bootstrap,
             "--topic-prefix", "soak", "--app-id", "soak", "--no-shore", "--metrics-every",
             "5"], cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    rng = random.Random(7)
    vessels = [(200_000_000 + i, rng.uniform(10, 25), rng.uniform(-85, -60),
                rng.uniform(0, 2) if i % 10 == 0 else rng.uniform(5, 18), rng.uniform(0, 360))
               for i in range(args.rate)]
    keys = [str(m).encode() for m, *_ in vessels]
    from kafka.partitioner.default import murmur2

    parts = [(murmur2(k) & 0x7FFFFFFF) % topics.partitions for k in keys]
    producer = BatchProducer(bootstrap, client_id="soak")
    samples: list[tuple[float, float, int]] = []
    t_start = time.time()
    sent = 0
    try:
        second = 0
        while time.time() - t_start < args.minutes * 60:
            t = t_start + second
            ts = datetime.fromtimestamp(t, UTC)
            for i, (mmsi, lat, lon, sog, cog) in enumerate(vessels):
                if rng.random() < 0.001:
                    cog = (cog + rng.uniform(-90, 90)) % 360
                d = sog * 0.514444 / 111_195.0
                lat += d * math.cos(math.radians(cog))
                lon += d * math.sin(math.radians(cog)) / max(math.cos(math.radians(lat)), 0.1)
                vessels[i] = (mmsi, lat, lon, sog, cog)
                r = PositionReport(ts, mmsi, lat, lon, round(sog, 1), round(cog, 1), None, 0,
                                   1, "soak")
                producer.send(topics.positions, parts[i], keys[i], codec.encode_position(r))
            sent += len(vessels)
            tick = codec.encode_tick(t - 1.0)
            for p in range(topics.partitions):
                producer.send(topics.positions, p, b"tick", tick)
            second += 1
            ahead = t_start + second - time.time()
            if ahead > 0:
                time.sleep(ahead)
            if second % 10 == 0:
                m = metrics(log)
                lag = m[-1][1]["lag"] if m else -1
                samples.append((time.time() - t_start, rss_mb(worker.pid), lag))
                print(f"{samples[-1][0]:6.0f} s: sent {sent:,}, worker {samples[-1][1]:.0f} MB,"
                      f" lag {lag:,}", flush=True)
        producer.flush()
    finally:
        producer.close()
        import signal

        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        broker.wipe()
    wall = time.time() - t_start
    second_min = [mb for s, mb, _ in samples if 60 <= s < 120]
    last_min = [mb for s, mb, _ in samples if s >= wall - 60]
    print(f"sent {sent:,} positions in {wall:.0f} s = {sent / wall:,.0f}/s; worker memory "
          f"{min(second_min, default=float('nan')):.0f}-{max(second_min, default=0):.0f} MB in "
          f"the 2nd minute, {min(last_min, default=float('nan')):.0f}-"
          f"{max(last_min, default=0):.0f} MB in the last; max lag "
          f"{max((x for *_, x in samples), default=0):,}")


if __name__ == "__main__":
    main()
