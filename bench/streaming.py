"""Benchmark: the streaming path against a local Kafka broker (run by hand; never in CI).

  .venv/bin/python bench/streaming.py [--input FILE] [--workers 1 2] [--prefilled 1 2]
                                      [--rate 5000] [--vessels 10000 100000]

Measures, in one run on one broker (started on a free port, wiped at the end), broker, ingest
and workers on the same cores:

* decode: the ingest side without Kafka (``EmbeddedRunner(detect=False)``: decode, validate,
  dedup, event-time buffer), positions/s;
* ingest: the same plus publishing (``KafkaPublisher``: acks=all, idempotent), positions/s;
* end to end with 1 and 2 workers: the workers are started on empty topics and left to settle
  their group; then the input is published (in this process, as fast as it goes) and the
  figure is positions per second from the start of publishing until every partition of the
  positions and cells topics is consumed (lag 0 in the workers' metrics lines, read every
  0.5 s); then whether the alerts topic holds the final alert states ``mda replay`` gives;
* workers from a pre-filled topic, 1 and 2 workers: the input is published first, then the
  workers start; the figure is positions per second from the first partition assignment in
  the workers' logs until every partition is consumed (as above). The ingest does not share
  the cores here; a second worker's join and the rebalance are counted;
* checkpoint: time and size of one partition's per-vessel detector state at 10,000 and
  100,000 vessels (what a worker writes every ``checkpoint_every_s``), and recovery: reading
  it back from the state topic and unpickling it;
* alert latency at a paced rate (``--rate`` positions/s): for alerts proven by one position
  (a gap's return, a spoofed jump, the report that completes a duration, a zone entry), the
  alert message's Kafka timestamp less that position message's, median and p99.

The default input is the seeded synthetic 500k-line tag-block file of
``bench/replay_throughput.py`` (400+ vessels over 24 h, some going dark). Targets from
issue 11: 20,000 positions/s end to end with one worker; two workers no slower than one; p99
alert latency under 2 s at 5,000 positions/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("MDA_SHARED_DATA", REPO.parent / "shared" / "data"))


def agreement(got: dict[str, Any], want: dict[str, Any]) -> str:
    """Whether the alerts topic's final alert states are those of ``mda replay``."""
    if got == want:
        return "agree"
    return f"DIFFER ({len(set(got.items()) ^ set(want.items()))} of {len(want)})"


def run_workers(n: int, bootstrap: str, prefix: str, tmp: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(n):
        log = open(tmp / f"{prefix}-w{i}.log", "wb")  # noqa: SIM115
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "mda.cli", "worker", "--bootstrap", bootstrap,
             "--topic-prefix", prefix, "--app-id", f"{prefix}-app", "--no-shore",
             "--metrics-every", "0.5"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True))
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


def _stamp(line: str) -> float:
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()


def worker_lines(path: Path, what: str) -> list[tuple[float, str]]:
    out = []
    for line in path.read_text(errors="replace").splitlines():
        if what in line and line[:2] == "20":
            out.append((_stamp(line), line))
    return out


def metrics(path: Path) -> list[tuple[float, dict[str, Any]]]:
    import ast

    return [(t, ast.literal_eval(line.split("metrics ", 1)[1]))
            for t, line in worker_lines(path, "metrics {")]


def settle(logs: list[Path], quiet_s: float = 4.0, timeout_s: float = 120) -> None:
    """Until the workers hold every partition between them and no assignment came for
    ``quiet_s`` (a settled group)."""
    t0 = time.time()
    while time.time() - t0 < timeout_s:
        time.sleep(0.5)
        last: list[tuple[float, str]] = []
        for log in logs:
            lines = worker_lines(log, "assigned") if log.exists() else []
            if not lines:
                break
            last.append(lines[-1])
        else:
            held = sum(line.count(":") - 3 for _, line in last)  # "topic:p" items
            if held >= 8 and time.time() - max(t for t, _ in last) >= quiet_s:
                return
    raise RuntimeError("the workers' group did not settle")


def wait_consumed(logs: list[Path], timeout_s: float = 1800) -> float:
    """The time of the first metrics line from which every worker shows lag 0 and applies
    nothing more (two lines in a row)."""
    t0 = time.time()
    while time.time() - t0 < timeout_s:
        time.sleep(1.0)
        done = []
        for log in logs:
            m = metrics(log) if log.exists() else []
            if len(m) < 3:
                break
            (_, a), (_, b), (_, c) = m[-3:]
            if not (a["lag"] == b["lag"] == c["lag"] == 0 and a["applied"] == c["applied"] > 0):
                break
            first = next(t for t, x in m if x["applied"] == c["applied"] and x["lag"] == 0)
            done.append(first)
        else:
            return max(done)
    raise RuntimeError("workers did not finish")


def start_broker(tmp: Path) -> tuple[Any, str]:
    """A broker on free ports with its data under ``tmp``: (LocalKafka, bootstrap)."""
    from mda.streaming.local_kafka import LocalKafka, cache_dir
    from tests.streaming.conftest import _two_free_ports

    home = tmp / "kafka"
    home.mkdir()
    (home / "libs").symlink_to(LocalKafka(home=cache_dir() / "kafka").fetch())
    broker = LocalKafka(port=_two_free_ports(), home=home)
    return broker, broker.up()


def decode_rate(path: Path) -> tuple[int, float]:
    from ingest.sources import Source
    from mda.runner import EmbeddedRunner

    n = 0

    def count(_: object) -> None:
        nonlocal n
        n += 1

    t0 = time.perf_counter()
    EmbeddedRunner(detect=False, on_position=count).run([Source.open(str(path))])
    return n, time.perf_counter() - t0


def publish(bootstrap: str, prefix: str, path: Path, speed: float | None = None) -> tuple[
        int, float]:
    from ingest.sources import Source
    from mda.streaming.publish import KafkaPublisher
    from mda.streaming.topics import Topics

    topics = Topics(prefix=prefix)
    topics.ensure(bootstrap)
    pub = KafkaPublisher(bootstrap, topics, speed=speed)
    t0 = time.perf_counter()
    pub.run([Source.open(str(path))])
    pub.close()
    return pub.sent["positions"], time.perf_counter() - t0


def replay_alerts(path: Path) -> dict[str, tuple[str, str]]:
    from ingest.sources import Source
    from mda.geography import Geography
    from mda.records import Alert
    from mda.runner import EmbeddedRunner

    alerts: list[Alert] = []
    EmbeddedRunner(on_alert=alerts.append, geography=Geography.load(shore=False)).run(
        [Source.open(str(path))])
    return {a.alert_id: (a.kind, a.status) for a in alerts}


def checkpoint_figures(bootstrap: str, vessels: int) -> dict[str, float]:
    """One vessels partition with ``vessels`` vessels (three positions each): its
    checkpoint's time and size, and its recovery from the state topic."""
    from aiokafka import AIOKafkaProducer

    from mda.detection import DetectorSet
    from mda.records import PositionReport
    from mda.settings import preset_settings
    from mda.streaming import state
    from mda.streaming.topics import Topics
    from mda.streaming.worker import PER_VESSEL, PartitionState, Worker

    det = DetectorSet(preset_settings().only(*PER_VESSEL))
    t = 1_717_200_000.0
    for k in range(3):
        for i in range(vessels):
            lat = 10.0 + (i % 1000) * 0.01
            lon = -80.0 + (i // 1000) * 0.01 + k * 0.001
            det.step(PositionReport(datetime.fromtimestamp(t, UTC),
                                    200_000_000 + i, lat, lon, 10.0, 90.0, 90, 0, 1, "bench"),
                     t)
            t += 0.01
    st = PartitionState(det, offset=3 * vessels)
    blob, seconds = state.dump(st)
    topics = Topics(prefix=f"bc{vessels}")
    topics.ensure(bootstrap)

    async def write_and_recover() -> float:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                    max_request_size=1_048_576)
        await producer.start()
        try:
            for k, v in state.records("bench/vessels/0", blob, st.offset, 1, seconds):
                await producer.send_and_wait(topics.state, value=v, key=k.encode(),
                                             partition=0)
        finally:
            await producer.stop()
        from mda.settings import preset_settings as ps

        w = Worker(bootstrap, topics, ps(), None, app_id="bench")
        t0 = time.perf_counter()
        view = await w._read_state()
        found = view.blob("bench/vessels/0")
        assert found is not None
        back = state.load(found[1])
        back.detection.attach(lambda a: None, None)
        return time.perf_counter() - t0

    recovery = asyncio.run(write_and_recover())
    return {"vessels": vessels, "seconds": seconds, "bytes": len(blob), "recovery_s": recovery}


def latencies(bootstrap: str, prefix: str) -> list[float]:
    from kafka import KafkaConsumer

    def read(topic: str) -> list[Any]:
        c = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                          enable_auto_commit=False, consumer_timeout_ms=5000,
                          max_partition_fetch_bytes=8 * 1024 * 1024)
        msgs = list(c)
        c.close()
        return msgs

    published: dict[tuple[int, float], int] = {}
    for m in read(f"{prefix}.positions"):
        o = json.loads(m.value)
        if o["k"] == "p" and o["t"] is not None:
            published.setdefault((o["m"], round(o["t"], 3)), m.timestamp)
    out: list[float] = []
    for m in read(f"{prefix}.alerts"):
        a = json.loads(m.value)
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
            out.append((m.timestamp - t) / 1000.0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--input", type=Path)
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--prefilled", type=int, nargs="*", default=[1, 2],
                    help="worker counts for the run from a pre-filled topic (default 1 2)")
    ap.add_argument("--rate", type=float, default=5000.0,
                    help="positions/s of the paced latency run (default 5000; 0: skip)")
    ap.add_argument("--vessels", type=int, nargs="*", default=[10_000, 100_000])
    args = ap.parse_args()
    if args.input is None:
        from bench.replay_throughput import synthetic_input

        args.input = synthetic_input()
    path: Path = args.input
    tmp = Path(tempfile.mkdtemp(prefix="mda-bench-"))
    broker, bootstrap = start_broker(tmp)
    with open(path, "rb") as f:
        lines = sum(1 for _ in f)
    print(f"input: {path} ({lines:,} lines); "
          f"{datetime.now().astimezone().isoformat(timespec='seconds')}; "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    try:
        n, dt = decode_rate(path)
        print(f"decode (ingest side, no Kafka): {n:,} positions in {dt:.1f} s = "
              f"{n / dt:,.0f} positions/s", flush=True)
        positions, dt = publish(bootstrap, "bi", path)
        print(f"ingest (decode + publish, acks=all, idempotent): {positions:,} positions in "
              f"{dt:.1f} s = {positions / dt:,.0f} positions/s", flush=True)
        want = replay_alerts(path) if args.workers or args.prefilled else {}
        from mda.streaming.topics import Topics
        from tests.streaming.helpers import final_alerts

        for n_workers in args.workers:
            prefix = f"bw{n_workers}"
            Topics(prefix=prefix).ensure(bootstrap)
            procs = run_workers(n_workers, bootstrap, prefix, tmp)
            logs = [tmp / f"{prefix}-w{i}.log" for i in range(n_workers)]
            try:
                settle(logs)
                t0 = time.time()
                _, dt = publish(bootstrap, prefix, path)
                t_done = wait_consumed(logs)
            finally:
                stop(procs)
            agree = agreement(final_alerts(bootstrap, prefix), want)
            print(f"end to end, {n_workers} worker(s): {positions:,} positions published in "
                  f"{dt:.1f} s and through every detector in {t_done - t0:.1f} s = "
                  f"{positions / (t_done - t0):,.0f} positions/s; alerts {agree} with "
                  f"mda replay ({len(want)} alerts)", flush=True)
        for n_workers in args.prefilled:
            # the workers alone: the topic is filled first, then the workers start; from the
            # first partition assignment until every partition is consumed (the ingest does
            # not share the cores meanwhile; a second worker's join and the rebalance count)
            prefix = f"bp{n_workers}"
            publish(bootstrap, prefix, path)
            procs = run_workers(n_workers, bootstrap, prefix, tmp)
            logs = [tmp / f"{prefix}-w{i}.log" for i in range(n_workers)]
            try:
                t_done = wait_consumed(logs)
            finally:
                stop(procs)
            t0 = min(t for log in logs for t, _ in worker_lines(log, "assigned"))
            agree = agreement(final_alerts(bootstrap, prefix), want)
            print(f"workers from a pre-filled topic, {n_workers} worker(s): {positions:,} "
                  f"positions through every detector in {t_done - t0:.1f} s = "
                  f"{positions / (t_done - t0):,.0f} positions/s; alerts {agree} with "
                  f"mda replay", flush=True)
        for v in args.vessels:
            fig = checkpoint_figures(bootstrap, v)
            print(f"checkpoint of one partition at {v:,} vessels: {fig['seconds']:.2f} s, "
                  f"{fig['bytes'] / 1e6:.1f} MB; recovery from the state topic "
                  f"{fig['recovery_s']:.2f} s", flush=True)
        if args.rate:
            from ingest.sources import Source
            from mda.runner import EmbeddedRunner

            times: list[float] = []

            def span(r: Any) -> None:
                if r.ts is not None:
                    t = r.ts.timestamp()
                    if not times:
                        times.extend((t, t))
                    times[0], times[1] = min(times[0], t), max(times[1], t)

            EmbeddedRunner(detect=False, on_position=span).run([Source.open(str(path))])
            speed = args.rate * (times[1] - times[0]) / positions
            prefix = "blat"
            procs = run_workers(1, bootstrap, prefix, tmp)
            log = tmp / f"{prefix}-w0.log"
            try:
                while not worker_lines(log, "assigned"):
                    time.sleep(0.5)
                n, dt = publish(bootstrap, prefix, path, speed=speed)
                time.sleep(10)
                m = metrics(log)
            finally:
                stop(procs)
            lat = sorted(latencies(bootstrap, prefix))
            max_lag = max((x["lag"] for _, x in m), default=0)
            if lat:
                p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
                print(f"alert latency paced at {n / dt:,.0f} positions/s ({speed:.0f}x real "
                      f"time, 1 worker): {len(lat)} alerts, median "
                      f"{statistics.median(lat):.3f} s, p99 {p99:.3f} s, max {lat[-1]:.3f} s; "
                      f"worker lag at most {max_lag:,} records", flush=True)
    finally:
        broker.wipe()


if __name__ == "__main__":
    main()
