"""The detector workers: one consumer group whose members run detector sets (``mda.detection``)
on the Kafka topics, in batches.

* role ``vessels``, on the positions topic (key: MMSI): per partition a :class:`DetectorSet`
  with the per-vessel detectors (gap, loitering, spoofing, zone). Records arrive in event-time
  order (the ingest published them so); watermark ticks advance time-driven detectors. Slow
  positions (those the rendezvous detector keeps, and the first one after a vessel stops being
  slow, so it leaves the cell's grid) are re-keyed onto the cells topic, to their cell and the
  neighbouring cells within the rendezvous distance; statics and ticks are forwarded.
* role ``cells``, on the cells topic: per partition an :class:`EventTimeBuffer` and a detector
  set with the rendezvous detector. Records from the positions partitions interleave here, so
  the buffer releases them in event-time order once every upstream partition's tick has passed
  them (an aligned watermark). Each forwarded record carries its upstream partition and offset
  (headers), so a record re-sent after an upstream restart is applied once. A pair is reported
  only by the partition that owns the cell of its first close observation.

The consumer reads batches (``getmany``) of both topics; a batch of one partition is applied
in offset order, and what it sends (alerts, cell records) goes out through one batching
producer. Faust's per-event stream machinery (about 2,800 events/s on this machine while a
bare aiokafka consumer read 84,000/s under the same load) is what this replaces.

State: every ``checkpoint_every_s`` (and when partitions are revoked, and at shutdown) each
partition whose state changed is checkpointed to the state topic (``mda.streaming.state``)
after the producer has delivered everything the state covers; the group's offsets are then
committed to the checkpoint (so lag is visible to Kafka tools). A partition assigned to a
worker loads its newest checkpoint and resumes at the offset after it, so a restarted or
rebalanced worker loses and applies twice nothing; alert states replayed after a crash carry
the same ids (sinks upsert).

Operations: :meth:`Worker.stop` (SIGTERM in the CLI) ends the loop; the final checkpoint and
the clients' shutdown each have a deadline, so a worker whose broker is gone stops anyway
(what it had not checkpointed is replayed by its successor). A ``metrics`` line (partitions,
lag, rate, state size) is logged every ``metrics_every_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mda.detection import DetectorSet, EventTimeBuffer
from mda.geography import Geography
from mda.records import NAV_AT_ANCHOR, NAV_MOORED, Alert
from mda.settings import Settings
from mda.streaming import codec, state
from mda.streaming.producer import key_partition
from mda.streaming.topics import Topics

log = logging.getLogger("mda.worker")

PER_VESSEL = ("gap", "loitering", "spoofing", "zone")
CELL_DEG = 0.5
ROLES = ("vessels", "cells")


def _origin(src: bytes, offset: int) -> list[tuple[str, bytes]]:
    """The headers of a forwarded record: its upstream partition and offset (so a record sent
    again after a restart is applied once)."""
    return [("src", src), ("o", str(offset).encode())]


def cell_of(lat: float, lon: float) -> tuple[int, int]:
    return (math.floor(lat / CELL_DEG), math.floor(((lon + 180.0) % 360.0) / CELL_DEG))


def cell_partition(cell: tuple[int, int], partitions: int) -> int:
    return zlib.crc32(f"{cell[0]}:{cell[1]}".encode()) % partitions


def cells_near(lat: float, lon: float, margin_m: float) -> set[tuple[int, int]]:
    """The cell of a position and the neighbouring cells within ``margin_m`` of it."""
    dlat = margin_m / 111_195.0
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return {cell_of(lat + a * dlat, lon + b * dlon) for a in (-1, 0, 1) for b in (-1, 0, 1)}


@dataclass
class PartitionState:
    """What a worker keeps per input partition; what a checkpoint holds."""

    detection: DetectorSet
    buffer: EventTimeBuffer | None = None  # cells: records from several upstream partitions
    watermark: float = -math.inf
    offset: int = -1  # the last input offset applied
    upstream: dict[int, float] = field(default_factory=dict)  # cells: tick per source
    upstream_offset: dict[int, int] = field(default_factory=dict)  # cells: applied per source
    slow: set[int] = field(default_factory=set)  # vessels: MMSIs last forwarded as slow
    generation: int = 0  # checkpoints written
    evicted_at: float | None = None  # event time of the last eviction


class Worker:
    """One member of the worker group (module docstring). ``run()`` until ``stop()``."""

    def __init__(self, bootstrap_servers: str, topics: Topics, settings: Settings,
                 geography: Geography | None, app_id: str = "mda-worker",
                 checkpoint_every_s: float = 10.0, metrics_every_s: float = 10.0,
                 batch: int = 5000, stop_grace_s: float = 6.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.bootstrap = bootstrap_servers
        self.topics = topics
        self.geography = geography
        self.app_id = app_id
        self.checkpoint_every_s = checkpoint_every_s
        self.metrics_every_s = metrics_every_s
        self.batch = batch
        self.stop_grace_s = stop_grace_s
        self._clock = clock
        self._settings = {"vessels": settings.only(*PER_VESSEL),
                          "cells": settings.only("rendezvous")}
        rv = settings.detectors.get("rendezvous")
        self.margin_m = float(getattr(rv, "max_distance_m", 500.0))
        self.slow_kn = float(getattr(rv, "max_sog_kn", 2.0))
        self.evict_after_s = settings.ingest.evict_after_s
        self.states: dict[tuple[str, int], PartitionState] = {}
        self._changed: set[tuple[str, int]] = set()
        self._stop = asyncio.Event()
        self._pending: list[Alert] = []
        self.consumer: Any = None
        self.producer: Any = None
        # what the metrics line and --status report
        self.applied = 0  # input records applied
        self.checkpoints = 0
        self.last_checkpoint: dict[str, float] = {"seconds": 0.0, "bytes": 0}
        self.state_bytes: dict[tuple[str, int], int] = {}
        self.recovery_s = 0.0
        self.late = 0  # positions behind the partition's watermark (given to late())

    # -- names -----------------------------------------------------------------------------
    def _role(self, topic: str) -> str:
        return "vessels" if topic == self.topics.positions else "cells"

    def _name(self, role: str, partition: int) -> str:
        return f"{self.app_id}/{role}/{partition}"

    # -- run -------------------------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        from aiokafka import AIOKafkaConsumer
        from aiokafka.abc import ConsumerRebalanceListener

        from mda.streaming.producer import BatchProducer

        worker = self

        class Listener(ConsumerRebalanceListener):  # type: ignore[misc]
            async def on_partitions_revoked(self, revoked: Any) -> None:
                await worker._revoked(revoked)

            async def on_partitions_assigned(self, assigned: Any) -> None:
                await worker._assigned(assigned)

        # cells records, alerts and checkpoints: librdkafka (acks=all, idempotent), whose
        # sends are one C call each and whose I/O and compression run off the event loop
        self.producer = BatchProducer(self.bootstrap, client_id=f"{self.app_id}-out",
                                      linger_ms=20, delivery_timeout_ms=120_000)
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=self.app_id,
            client_id=f"{self.app_id}-in", enable_auto_commit=False,
            auto_offset_reset="earliest", max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_wait_ms=100, retry_backoff_ms=500, session_timeout_ms=10_000,
            heartbeat_interval_ms=2_000)
        if not await self._start(self.consumer, "consumer"):
            await self._close()
            return
        self.consumer.subscribe([self.topics.positions, self.topics.cells],
                                listener=Listener())
        try:
            await self._loop()
        finally:
            await self._shutdown()

    async def _start(self, client: Any, what: str) -> bool:
        """Start a client, retrying with backoff while the broker cannot be reached (one log
        line per attempt); False if stopped meanwhile."""
        delay = 0.5
        while not self._stop.is_set():
            try:
                await client.start()
                return True
            except Exception as exc:
                log.warning("broker %s unreachable (%s: %s); %s retry in %.1f s",
                            self.bootstrap, what, exc, what, delay)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(delay * 2, 30.0)
        return False

    async def _loop(self) -> None:
        next_ckpt = self._clock() + self.checkpoint_every_s
        next_metrics = self._clock() + self.metrics_every_s
        last_applied, last_t = 0, self._clock()
        getmany = self.consumer.getmany
        stop = self._stop
        while not stop.is_set():
            batches = await getmany(timeout_ms=200, max_records=self.batch)
            for tp, msgs in batches.items():
                self._apply(tp.topic, tp.partition, msgs)
            now = self._clock()
            if now >= next_ckpt:
                t_ckpt = self._clock()
                await self.checkpoint()
                took = self._clock() - t_ckpt
                # at most a tenth of the worker's time: a large state is checkpointed less
                # often (its successor replays more), never more often than the setting
                next_ckpt = self._clock() + max(self.checkpoint_every_s, 9.0 * took)
            if now >= next_metrics:
                rate = (self.applied - last_applied) / max(now - last_t, 1e-9)
                last_applied, last_t = self.applied, now
                log.info("metrics %s", self.metrics(rate))
                next_metrics = now + self.metrics_every_s

    async def _shutdown(self) -> None:
        """Checkpoint what changed and close, each step within the stop grace."""
        deadline = self._clock() + self.stop_grace_s
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.checkpoint(), max(0.1, deadline - self._clock()))
        await self._close(deadline)

    async def _close(self, deadline: float | None = None) -> None:
        if deadline is None:
            deadline = self._clock() + self.stop_grace_s
        if self.consumer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.consumer.stop(), max(0.1, deadline - self._clock()))
        if self.producer is not None:
            left = self.producer.abandon(max(0.1, deadline - self._clock()))
            if left:
                log.warning("stopped with %d records not delivered (broker unreachable); they "
                            "are after the last checkpoint, so the next worker sends them "
                            "again", left)

    # -- rebalancing -----------------------------------------------------------------------
    async def _revoked(self, revoked: Any) -> None:
        """Checkpoint the partitions given up, so whoever gets them resumes exactly."""
        keys = {(self._role(tp.topic), tp.partition) for tp in revoked}
        if keys:
            try:
                await self.checkpoint(keys)
            except Exception as exc:
                log.warning("checkpoint of revoked partitions failed: %s", exc)
                for key in keys:
                    self.states.pop(key, None)  # stale now: reload when assigned again
            self._pending.clear()

    async def _assigned(self, assigned: Any) -> None:
        """Load the newest checkpoint of each partition (kept in memory if this worker wrote
        it last) and resume after its offset."""
        t0 = time.perf_counter()
        view = await self._read_state()
        wanted = {(self._role(tp.topic), tp.partition) for tp in assigned}
        for key in [k for k in self.states if k not in wanted]:
            del self.states[key]
            self._changed.discard(key)
            self.state_bytes.pop(key, None)
        for tp in assigned:
            role = self._role(tp.topic)
            key = (role, tp.partition)
            name = self._name(*key)
            st = self.states.get(key)
            newest = view.manifests.get(name)
            if st is None or (newest is not None and newest.generation > st.generation):
                found = view.blob(name)
                if found is None:
                    st = self._fresh(role)
                else:
                    manifest, blob = found
                    st = state.load(blob)
                    st.detection.attach(self._pending.append, self.geography)
                    self.state_bytes[key] = manifest.size_bytes
                self.states[key] = st
            # no await from here to the end: the fetch loop runs meanwhile, and must find every
            # assigned partition with its state and position (offset 0 past the retention
            # resets to the earliest kept, auto_offset_reset)
            self.consumer.seek(tp, st.offset + 1 if st.offset >= 0 else 0)
        self.recovery_s = time.perf_counter() - t0
        log.info("assigned %s (state loaded in %.2f s)",
                 sorted(f"{tp.topic}:{tp.partition}" for tp in assigned), self.recovery_s)

    def _fresh(self, role: str) -> PartitionState:
        det = DetectorSet(self._settings[role], self._pending.append,
                          geography=self.geography)
        return PartitionState(det, EventTimeBuffer(math.inf) if role == "cells" else None)

    async def _read_state(self) -> state.StateView:
        """Every checkpoint of this app from the state topic (read from the start)."""
        from aiokafka import AIOKafkaConsumer, TopicPartition

        view = state.StateView(f"{self.app_id}/")
        reader = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                  client_id=f"{self.app_id}-state",
                                  auto_offset_reset="earliest",
                                  max_partition_fetch_bytes=8 * 1024 * 1024)
        await reader.start()
        try:
            tp = TopicPartition(self.topics.state, 0)
            reader.assign([tp])
            end = (await reader.end_offsets([tp]))[tp]
            # an explicit offset: seek_to_beginning's lazy reset was seen to give the end
            pos = (await reader.beginning_offsets([tp]))[tp]
            reader.seek(tp, pos)
            while pos < end:
                got = await reader.getmany(tp, timeout_ms=1000)
                for msg in got.get(tp, []):
                    view.add(msg.key.decode(), msg.value)
                pos = await reader.position(tp)
        finally:
            await reader.stop()
        return view

    # -- checkpoints -----------------------------------------------------------------------
    async def checkpoint(self, only_keys: set[tuple[str, int]] | None = None) -> None:
        """Checkpoint the partitions that changed: deliver what they sent first, then the
        state, then commit the group's offsets to it."""
        from aiokafka import TopicPartition

        keys = [k for k in self._changed if only_keys is None or k in only_keys]
        if not keys:
            return
        await self.producer.drain()
        for key in keys:
            st = self.states.get(key)
            if st is None:
                continue
            st.generation += 1
            blob, seconds = state.dump(st)
            self.last_checkpoint = {"seconds": seconds, "bytes": len(blob)}
            self.state_bytes[key] = len(blob)
            for k, v in state.records(self._name(*key), blob, st.offset, st.generation,
                                      seconds):
                self.producer.send(self.topics.state, 0, k.encode(), v)
        await self.producer.drain()
        self.checkpoints += 1
        offsets = {}
        for role, p in keys:
            st = self.states.get((role, p))
            if st is not None and st.offset >= 0:
                topic = self.topics.positions if role == "vessels" else self.topics.cells
                offsets[TopicPartition(topic, p)] = st.offset + 1
        for key in keys:
            self._changed.discard(key)
        if offsets:
            with contextlib.suppress(Exception):  # a rebalance in progress: next time
                await self.consumer.commit(offsets)

    def metrics(self, rate: float) -> dict[str, Any]:
        lag = 0
        if self.consumer is not None:
            from aiokafka import TopicPartition

            for (role, p), st in self.states.items():
                topic = self.topics.positions if role == "vessels" else self.topics.cells
                hw = self.consumer.highwater(TopicPartition(topic, p))
                if hw is not None:
                    lag += max(0, hw - (st.offset + 1))
        return {"partitions": sorted(f"{r}:{p}" for r, p in self.states),
                "lag": lag, "rate_per_s": round(rate, 1), "applied": self.applied,
                "late": self.late,
                "state_bytes": sum(self.state_bytes.values()),
                "checkpoint_s": round(self.last_checkpoint["seconds"], 3),
                "checkpoints": self.checkpoints}

    # -- applying records ------------------------------------------------------------------
    def _apply(self, topic: str, partition: int, msgs: list[Any]) -> None:
        role = self._role(topic)
        key = (role, partition)
        st = self.states.get(key)
        if st is None:
            from aiokafka import TopicPartition

            tp = TopicPartition(topic, partition)
            if tp in self.consumer.assignment():
                # fetched while its state is being loaded (a rebalance): fetch it again
                self.consumer.seek(tp, msgs[0].offset)
            return
        if role == "vessels":
            self._vessels(st, partition, msgs)
        else:
            self._cells(st, msgs)
        self.applied += len(msgs)
        self._changed.add(key)
        if self._pending:
            self._send_alerts(partition if role == "cells" else None)

    def _vessels(self, st: PartitionState, tp: int, msgs: list[Any]) -> None:
        """A fetched batch of one positions partition, in offset order. Consecutive positions
        go to the detectors in one ``step_many`` call and one ``advance`` (as a replay's
        release does); a static, a tick or a late position first applies the run before it."""
        det = st.detection
        send = self.producer.send
        cells_topic = self.topics.cells
        parts = self.topics.partitions
        margin = self.margin_m
        slow_kn = self.slow_kn
        slow = st.slow
        src = str(tp).encode()
        decode = codec.decode
        position_of = codec.position_of
        run: list[tuple[float, Any]] = []
        for msg in msgs:
            if msg.offset <= st.offset:
                continue  # applied before the checkpoint this partition resumed from
            st.offset = msg.offset
            value = msg.value
            try:
                obj = decode(value)
                kind = obj["k"]
                if kind == "p":
                    t = obj["t"]
                    rec = None if t is None else position_of(obj)
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("skipped a record that is not an mda record at %s:%d:%d (%s)",
                            self.topics.positions, tp, msg.offset, exc)
                continue
            if kind == "p":
                if rec is None:
                    continue  # untimed: kept out of time-based detection (as in replay)
                if t < st.watermark:
                    # behind a tick (the ingest publishes in order, so only after a replay
                    # of the topic by hand): too late for the ordered steps, as in replay
                    if run:
                        det.step_many(run)
                        det.advance(run[-1][0])
                        run = []
                    self.late += 1
                    det.late(rec, t)
                    continue
                run.append((t, rec))
                mmsi = rec.mmsi
                is_slow = ((rec.sog_kn is None or rec.sog_kn <= slow_kn)
                           and rec.nav_status not in (NAV_MOORED, NAV_AT_ANCHOR))
                if is_slow or mmsi in slow:
                    if is_slow:
                        slow.add(mmsi)
                    else:
                        slow.discard(mmsi)  # once more, so it leaves the cells' grids
                    k = msg.key
                    headers = _origin(src, msg.offset)
                    for p in {cell_partition(c, parts)
                              for c in cells_near(rec.lat, rec.lon, margin)}:
                        send(cells_topic, p, k, value, headers)
                continue
            if run:
                det.step_many(run)
                det.advance(run[-1][0])
                run = []
            if kind == "s":
                try:
                    static = codec.static_of(obj)
                except (ValueError, KeyError, TypeError) as exc:
                    log.warning("skipped a static record it cannot read at %s:%d:%d (%s)",
                                self.topics.positions, tp, msg.offset, exc)
                    continue
                det.static(static)
                headers = _origin(src, msg.offset)
                for p in range(parts):
                    send(cells_topic, p, msg.key, value, headers)
            elif kind == "t":
                try:
                    t = float(obj["t"])
                    down = codec.down_of(obj)
                except (ValueError, KeyError, TypeError, IndexError) as exc:
                    log.warning("skipped a tick it cannot read at %s:%d:%d (%s)",
                                self.topics.positions, tp, msg.offset, exc)
                    continue
                if down is not None:
                    det.follow_feeds(down)  # the ingest hears the whole feed; we, a share
                if t > st.watermark:
                    st.watermark = t
                    det.advance(t)
                    self._evict(st, t)
                tick = codec.encode_tick(t, source=tp)
                headers = _origin(src, msg.offset)
                for p in range(parts):
                    send(cells_topic, p, b"tick", tick, headers)
            else:
                log.warning("skipped a record of kind %r at %s:%d:%d (not a position, static "
                            "or tick)", kind, self.topics.positions, tp, msg.offset)
        if run:
            det.step_many(run)
            det.advance(run[-1][0])

    def _cells(self, st: PartitionState, msgs: list[Any]) -> None:
        buf = st.buffer
        assert buf is not None
        det = st.detection
        parts = self.topics.partitions
        done = st.upstream_offset
        for msg in msgs:
            if msg.offset <= st.offset:
                continue
            st.offset = msg.offset
            h = dict(msg.headers or ())
            src = int(h.get("src", b"0"))
            up = int(h.get("o", b"-1"))
            if up >= 0:
                if up <= done.get(src, -1):
                    continue  # re-sent by an upstream partition that restarted
                done[src] = up
            try:
                obj = codec.decode(msg.value)
            except ValueError:
                log.warning("skipped a record that is not an mda record at %s:%d",
                            self.topics.cells, msg.offset)
                continue
            kind = obj["k"]
            if kind == "p":
                t = obj["t"]
                if t is not None and t >= buf.watermark:
                    rec = codec.position_of(obj)
                    buf.push(rec, t, rec.mmsi)
            elif kind == "s":
                det.static(codec.static_of(obj))
            else:
                st.upstream[int(obj.get("src", src))] = float(obj["t"])
                if len(st.upstream) >= parts:
                    wm = min(st.upstream.values())
                    if buf.move_to(wm):
                        det.step_many(buf.release(wm))
                        det.advance(wm)
                        self._evict(st, wm)

    def _evict(self, st: PartitionState, watermark: float) -> None:
        """As a live run does (``[ingest] evict_after_s``): about every tenth of it in event
        time, the detectors forget vessels not heard for that long, so a partition's state is
        that of the vessels heard lately."""
        after = self.evict_after_s
        if not after:
            return
        if st.evicted_at is None:
            st.evicted_at = watermark
        elif watermark - st.evicted_at >= max(60.0, after / 10.0):
            st.evicted_at = watermark
            st.detection.evict(watermark - after)

    def _send_alerts(self, owner: int | None) -> None:
        alerts, self._pending[:] = list(self._pending), []
        send = self.producer.send
        for a in alerts:
            if owner is not None and a.kind == "rendezvous":
                where = cell_of(a.evidence.get("first_lat", a.lat),
                                a.evidence.get("first_lon", a.lon))
                if cell_partition(where, self.topics.partitions) != owner:
                    continue  # another partition owns this pair
            key = a.alert_id.encode()
            send(self.topics.alerts, key_partition(key, self.topics.partitions), key,
                 a.to_json().encode())


async def status(bootstrap_servers: str, topics: Topics, app_id: str) -> dict[str, Any]:
    """What ``mda worker --status`` prints: per partition the checkpoint (offset, size, age,
    time taken) and the lag behind the topic's end; read from the broker, not the workers."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    w = Worker(bootstrap_servers, topics, _no_settings(), None, app_id=app_id)
    view = await w._read_state()
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await reader.start()
    try:
        tps = [TopicPartition(t, p) for t in (topics.positions, topics.cells)
               for p in range(topics.partitions)]
        ends = await reader.end_offsets(tps)
    finally:
        await reader.stop()
    now = time.time()
    rows = []
    for tp in tps:
        role = w._role(tp.topic)
        m = view.manifests.get(w._name(role, tp.partition))
        done = -1 if m is None else m.offset
        rows.append({"partition": f"{role}:{tp.partition}", "end": ends[tp],
                     "checkpoint_offset": done, "lag": ends[tp] - (done + 1),
                     "state_bytes": 0 if m is None else m.size_bytes,
                     "checkpoint_s": None if m is None else m.seconds,
                     "checkpoint_age_s": None if m is None else round(now - m.at, 1)})
    return {"app_id": app_id, "lag": sum(r["lag"] for r in rows),
            "state_bytes": sum(r["state_bytes"] for r in rows), "partitions": rows}


def _no_settings() -> Settings:
    from mda.settings import preset_settings

    return preset_settings()
