"""Benchmark: the streaming path against a local Kafka broker (run by hand; never in CI).

  .venv/bin/python bench/streaming.py [--input FILE] [--workers 1 2]

Measures, in one run on one broker (started on a free port, wiped at the end):

* sustained ingest rate: ``mda ingest`` of the input as fast as possible (lines/s, positions/s);
* worker throughput: positions through every detector per second, from starting the workers
  (start-up included) until the alerts topic holds exactly the final alert states that
  ``mda replay`` gives for the same input (after the ingest finished, so it measures the
  workers alone), with 1 and 2 workers;
* alert latency: for alerts proven by one position report (a gap's return, a spoofed jump,
  the report that completes a rendezvous or loitering duration, a zone entry), the alert
  message's Kafka timestamp minus that position message's Kafka timestamp, while the input is
  replayed at a paced rate (``--speed``), median and p99.

The default input is the project's injected-events scene (the detector tests' scenario, all
detectors busy). Target from the issue: 20,000 messages/s end to end, p99 under 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("MDA_SHARED_DATA", REPO.parent / "shared" / "data"))
PORTS = str(SHARED / "ports" / "nga_world_port_index_pub150.csv.gz")


def scene(path: Path) -> Path:
    from tests.detectors.test_injected import build

    path.write_text("\n".join(build().lines()) + "\n")
    return path


def run_workers(n: int, bootstrap: str, prefix: str, tmp: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(n):
        log = open(tmp / f"{prefix}-w{i}.log", "wb")  # noqa: SIM115
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "mda.cli", "worker", "--bootstrap", bootstrap,
             "--topic-prefix", prefix, "--app-id", f"{prefix}-app", "--data-dir",
             str(tmp / f"{prefix}-d{i}"), "--no-shore", "--ports", PORTS], cwd=REPO, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True))
    return procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    import signal

    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def ingest(bootstrap: str, prefix: str, path: Path, *extra: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "mda.cli", "ingest", str(path), "--bootstrap",
                          bootstrap, "--topic-prefix", prefix, "--no-shore", *extra],
                         cwd=REPO, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, out.stdout.strip()


def latencies(bootstrap: str, prefix: str) -> list[float]:
    from kafka import KafkaConsumer

    def read(topic: str) -> list[object]:
        c = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                          enable_auto_commit=False, consumer_timeout_ms=3000)
        msgs = list(c)
        c.close()
        return msgs

    published: dict[tuple[int, float], int] = {}
    for m in read(f"{prefix}.positions"):
        o = json.loads(m.value)  # type: ignore[attr-defined]
        if o["k"] == "p":
            published.setdefault((o["m"], round(o["t"], 3)), m.timestamp)  # type: ignore[attr-defined]
    out: list[float] = []
    for m in read(f"{prefix}.alerts"):
        a = json.loads(m.value)  # type: ignore[attr-defined]
        from datetime import datetime

        start = datetime.fromisoformat(a["start"].replace("Z", "+00:00")).timestamp()
        ev = a["evidence"]
        if a["kind"] == "gap" and a["status"] == "closed":
            proof = datetime.fromisoformat(a["end"].replace("Z", "+00:00")).timestamp()
        elif a["status"] == "open" and "duration_h" in ev and a["kind"] != "rendezvous":
            proof = start + ev["duration_h"] * 3600
        elif a["status"] == "open" and a["kind"] in ("spoofing", "zone_entry"):
            proof = start
        else:
            continue
        t = published.get((a["mmsi"], round(proof, 3)))
        if t is not None:
            out.append((m.timestamp - t) / 1000.0)  # type: ignore[attr-defined]
    return out


def main() -> None:
    from mda.streaming.local_kafka import LocalKafka
    from tests.streaming.conftest import _two_free_ports

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", type=Path)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--speed", type=float, default=600.0,
                    help="pace for the latency run (x real time; default 600)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mda-bench-"))
    path = args.input or scene(tmp / "scene.nmea")
    home = tmp / "kafka"
    home.mkdir()
    from mda.streaming.local_kafka import cache_dir

    (home / "libs").symlink_to(LocalKafka(home=cache_dir() / "kafka").fetch())
    broker = LocalKafka(port=_two_free_ports(), home=home)
    bootstrap = broker.up()
    try:
        dt, out = ingest(bootstrap, "bi", path)
        positions = int(out.split("published ")[1].split(" positions")[0].replace(",", ""))
        print(f"ingest: {out}")
        print(f"ingest rate: {positions / dt:,.0f} positions/s (whole command, {dt:.1f} s)")
        from ingest.sources import Source
        from mda.geography import Geography
        from mda.records import Alert
        from mda.runner import EmbeddedRunner
        from tests.streaming.helpers import final_alerts

        alerts: list[Alert] = []
        EmbeddedRunner(on_alert=alerts.append,
                       geography=Geography.load(shore=False, port_files=[PORTS])).run(
            [Source.open(str(path))])
        want = {a.alert_id: (a.kind, a.status) for a in alerts}
        for n in args.workers:
            prefix = f"bw{n}"
            ingest(bootstrap, prefix, path)
            t0 = time.perf_counter()
            procs = run_workers(n, bootstrap, prefix, tmp)
            try:
                while final_alerts(bootstrap, prefix) != want:
                    time.sleep(1.0)
                    if time.perf_counter() - t0 > 1800:
                        raise RuntimeError("workers did not finish in 30 min")
            finally:
                stop(procs)
            wall = time.perf_counter() - t0
            print(f"{n} worker(s): {positions:,} positions through every detector in "
                  f"{wall:.1f} s (start-up included) = {positions / wall:,.0f} positions/s")
        prefix = "blat"
        procs = run_workers(1, bootstrap, prefix, tmp)
        time.sleep(8)
        try:
            ingest(bootstrap, prefix, path, "--speed", str(args.speed), "--tick-every", "5")
            time.sleep(10)
        finally:
            stop(procs)
        lat = sorted(latencies(bootstrap, prefix))
        if lat:
            p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
            print(f"alert latency at {args.speed:g}x: {len(lat)} alerts, median "
                  f"{statistics.median(lat):.2f} s, p99 {p99:.2f} s")
    finally:
        broker.wipe()


if __name__ == "__main__":
    main()
