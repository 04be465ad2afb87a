"""Where a position's microseconds go on the streaming path (run by hand; never in CI).

  .venv/bin/python bench/streaming_profile.py [--input FILE] [--bootstrap HOST:PORT]

Every stage a position message passes through, timed separately over the same messages in
one process (the messages are the input's positions as ``mda ingest`` encodes them):

* ingest: decode (framing, pyais, validation, dedup, event-time buffer) and encode to JSON
  (orjson); with ``--bootstrap``, ``BatchProducer.send`` (librdkafka: acks=all, idempotent,
  gzip) in the caller's thread, then the wait in ``flush`` for what librdkafka's threads
  still had to compress and send (wall time per record, both in the total), and apart the
  process CPU per record of the whole produce (caller and librdkafka threads);
* worker, vessels role: JSON decode, ``PositionReport``, each per-vessel detector's ``step``
  (and ``advance``), the slow test and the cells a slow position goes to; with
  ``--bootstrap``, aiokafka's fetch of a message and the ``BatchProducer.send`` of one cell
  record (with its headers);
* worker, cells role, per position (its cell records per position times the cost of one):
  JSON decode, buffer push and release, the rendezvous detector's ``step``.

The wire-format stages (encode, decode, ``PositionReport``) are timed on their own, keeping
nothing, as the streaming path does; the lists the next stages need are built apart, untimed
(building them timed, the cyclic garbage collector's passes over half a million new objects
and fresh memory made the JSON encode 3 to 10 times as costly). Ingest's decode stage keeps its
output (the positions the other stages use), as the embedded runner's callers may.

The sum is a position's cost through one worker process (ingest apart), and 1e6 / sum the
positions/s one worker can reach on this machine at best. Figures are from one run on a
shared machine: compare the stages with each other, not with another run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    from ingest.sources import Source
    from mda.detection import DetectorSet, EventTimeBuffer
    from mda.records import NAV_AT_ANCHOR, NAV_MOORED, PositionReport, VesselStatic
    from mda.runner import EmbeddedRunner
    from mda.settings import preset_settings
    from mda.streaming import codec
    from mda.streaming.worker import PER_VESSEL, cell_partition, cells_near

    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--input", type=Path)
    ap.add_argument("--bootstrap", help="a broker for the Kafka clients' costs")
    args = ap.parse_args()
    if args.input is None:
        from bench.replay_throughput import synthetic_input

        args.input = synthetic_input()
    us: dict[str, float] = {}

    reports: list[PositionReport] = []
    statics: list[VesselStatic] = []
    t0 = time.perf_counter()
    EmbeddedRunner(detect=False, on_position=reports.append,
                   on_static=statics.append).run([Source.open(str(args.input))])
    n = len(reports)
    us["ingest: decode, validate, dedup, order"] = (time.perf_counter() - t0) / n * 1e6
    encode = codec.encode_position
    t0 = time.perf_counter()
    for r in reports:
        encode(r)
    us["ingest: JSON encode"] = (time.perf_counter() - t0) / n * 1e6
    gc.disable()
    msgs = [encode(r) for r in reports]
    gc.enable()
    if args.bootstrap:
        send_us, flush_us, cpu_us = _batch_produce(args.bootstrap, msgs)
        us["ingest: BatchProducer send (librdkafka, acks=all, idempotent, gzip)"] = send_us
        us["ingest: BatchProducer flush wait at the end"] = flush_us

    decode, position_of = codec.decode, codec.position_of
    t0 = time.perf_counter()
    for m in msgs:
        decode(m)
    us["worker: JSON decode"] = (time.perf_counter() - t0) / n * 1e6
    gc.disable()
    objs = [decode(m) for m in msgs]
    gc.enable()
    t0 = time.perf_counter()
    for o in objs:
        position_of(o)
    us["worker: PositionReport"] = (time.perf_counter() - t0) / n * 1e6
    gc.disable()
    recs = [position_of(o) for o in objs]
    gc.enable()

    settings = preset_settings()
    det = DetectorSet(settings.only(*PER_VESSEL))
    for v in statics:
        det.static(v)
    spent: dict[str, float] = defaultdict(float)
    clock = time.perf_counter
    for r in recs:
        assert r.ts is not None
        t = r.ts.timestamp()
        for d in det.detectors:
            a = clock()
            if t > d.next_due:
                d.advance(t)
            d.step(r, t)
            spent[d.name] += clock() - a
    for name, s in spent.items():
        us[f"worker: {name} detector"] = s / n * 1e6

    rv = settings.detectors["rendezvous"]
    slow_kn = float(getattr(rv, "max_sog_kn", 2.0))
    margin = float(getattr(rv, "max_distance_m", 500.0))
    t0 = time.perf_counter()
    sent: list[tuple[int, PositionReport, bytes]] = []
    slow: set[int] = set()
    for r, m in zip(recs, msgs, strict=True):
        is_slow = ((r.sog_kn is None or r.sog_kn <= slow_kn)
                   and r.nav_status not in (NAV_MOORED, NAV_AT_ANCHOR))
        if is_slow or r.mmsi in slow:
            (slow.add if is_slow else slow.discard)(r.mmsi)
            for p in {cell_partition(c, 4) for c in cells_near(r.lat, r.lon, margin)}:
                sent.append((p, r, m))
    us["worker: slow test and cells of a position"] = (time.perf_counter() - t0) / n * 1e6
    per_pos = len(sent) / n
    if args.bootstrap:
        fetch = asyncio.run(_aiokafka_fetch(args.bootstrap, len(msgs)))
        send = _cell_sends(args.bootstrap, msgs)
        us["worker: aiokafka fetch of the position"] = fetch
        us[f"worker: BatchProducer send of its cell records ({per_pos:.2f} per position)"] = (
            send * per_pos)
        us[f"worker: aiokafka fetch of its cell records ({per_pos:.2f} per position)"] = (
            fetch * per_pos)

    cells = DetectorSet(settings.only("rendezvous"))
    for v in statics:
        cells.static(v)
    buf = EventTimeBuffer(float("inf"))
    t0 = time.perf_counter()
    gc.disable()
    cobjs = [codec.decode(m) for _, _, m in sent]
    crecs = [codec.position_of(o) for o in cobjs]
    gc.enable()
    us["worker: cells JSON decode and PositionReport"] = (time.perf_counter() - t0) / n * 1e6
    t0 = time.perf_counter()
    for r in crecs:
        assert r.ts is not None
        buf.push(r, r.ts.timestamp(), r.mmsi)
    released = list(buf.release(float("inf")))
    us["worker: cells buffer push and release"] = (time.perf_counter() - t0) / n * 1e6
    t0 = time.perf_counter()
    cells.step_many(released)
    us["worker: rendezvous detector (cells)"] = (time.perf_counter() - t0) / n * 1e6

    width = max(len(k) for k in us)
    print(f"{args.input}: {n:,} positions, {len(statics):,} statics, {per_pos:.2f} cell "
          f"records per position; microseconds per position:")
    for k, cost in us.items():
        print(f"  {k:<{width}}  {cost:8.2f}")
    worker = sum(v for k, v in us.items() if k.startswith("worker"))
    ingest = sum(v for k, v in us.items() if k.startswith("ingest"))
    print(f"  {'ingest total':<{width}}  {ingest:8.2f}  (at best {1e6 / ingest:,.0f}/s)")
    if args.bootstrap:
        print(f"  (process CPU of the produce, caller and librdkafka threads: {cpu_us:.2f} us "
              "per position)")
    print(f"  {'worker total':<{width}}  {worker:8.2f}  (at best {1e6 / worker:,.0f}/s on one "
          "core)")


def _batch_produce(bootstrap: str, msgs: list[bytes]) -> tuple[float, float, float]:
    """(send, flush wait, process CPU) microseconds per record."""
    from mda.streaming.producer import BatchProducer

    p = BatchProducer(bootstrap, client_id="profile")
    p.send("profile.batch", 0, b"0", msgs[0])  # connected, producer id acquired
    p.flush()
    c0 = time.process_time()
    t0 = time.perf_counter()
    for i, m in enumerate(msgs):
        p.send("profile.batch", i % 4, str(i % 1000).encode(), m)
    t1 = time.perf_counter()
    p.flush()
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    p.close()
    n = len(msgs)
    return (t1 - t0) / n * 1e6, (t2 - t1) / n * 1e6, cpu / n * 1e6


def _cell_sends(bootstrap: str, msgs: list[bytes]) -> float:
    """Microseconds per cell record sent as the worker sends them (with headers), flushed."""
    from mda.streaming.producer import BatchProducer

    p = BatchProducer(bootstrap, client_id="profile-cells")
    t0 = time.perf_counter()
    for i, m in enumerate(msgs):
        p.send("profile.cells", i % 4, b"k", m, [("src", b"1"), ("o", str(i).encode())])
    p.flush()
    dt = time.perf_counter() - t0
    p.close()
    return dt / len(msgs) * 1e6


async def _aiokafka_fetch(bootstrap: str, n: int) -> float:
    """Microseconds per message of aiokafka's getmany over what _batch_produce wrote."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                         max_partition_fetch_bytes=4 * 1024 * 1024)
    await c.start()
    tps = [TopicPartition("profile.batch", i) for i in range(4)]
    c.assign(tps)
    await c.seek_to_beginning(*tps)
    got = 0
    t0 = time.perf_counter()
    while got < n:
        batch: dict[Any, list[Any]] = await c.getmany(timeout_ms=1000, max_records=5000)
        if not batch:
            break
        for ms in batch.values():
            got += len(ms)
    fetch = (time.perf_counter() - t0) / max(got, 1) * 1e6
    await c.stop()
    return fetch


if __name__ == "__main__":
    main()
