"""The detector workers: a Faust app whose agents run the embedded runner's detector code.

* ``vessels`` agent, on the positions topic (key: MMSI): one :class:`DetectorSet` per
  partition with the per-vessel detectors (gap, loitering, spoofing, zone). Records arrive in
  event-time order (the ingest published them so); watermark ticks advance time-driven
  detectors. It re-keys every position by spatial cell onto the cells topic, with copies to
  the neighbouring cells when the vessel is near a cell edge, and forwards the ticks.
* ``cells`` agent, on the cells topic: one detector set per partition with the rendezvous
  detector. Records from the positions partitions interleave here, so a buffer holds them and
  releases them in event-time order once every upstream partition's tick has passed them
  (an aligned watermark). A pair is reported only by the partition that owns the cell of its
  first close observation, so a pair seen from two cells is one alert.

State: a partition's detector set (mda.detection) is snapshotted (pickled, without its
look-ups) into a Faust Table
every ``checkpoint_every`` events and at every tick, with the offset it has consumed; only then
are the events acknowledged, so Faust never commits an offset past the snapshot. The table is
changelog-backed: a restarted or rebalanced worker loads the snapshot and skips the events it
had already applied. Alerts go to the alerts topic keyed by alert id; a
replayed event re-sends an alert state with the same id (sinks upsert).
"""

from __future__ import annotations

import base64
import math
import pickle
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mda.detection import DetectorSet, EventTimeBuffer
from mda.geography import Geography
from mda.records import Alert
from mda.settings import Settings
from mda.streaming import codec
from mda.streaming.topics import Topics

PER_VESSEL = ("gap", "loitering", "spoofing", "zone")
CELL_DEG = 0.5


def cell_of(lat: float, lon: float) -> tuple[int, int]:
    return (math.floor(lat / CELL_DEG), math.floor(((lon + 180.0) % 360.0) / CELL_DEG))


def cell_partition(cell: tuple[int, int], partitions: int) -> int:
    return zlib.crc32(f"{cell[0]}:{cell[1]}".encode()) % partitions


def cells_near(lat: float, lon: float, margin_m: float) -> set[tuple[int, int]]:
    """The cell of a position and the neighbouring cells within ``margin_m`` of it."""
    dlat = margin_m / 111_195.0
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return {cell_of(lat + a * dlat, lon + b * dlon) for a in (-1, 0, 1) for b in (-1, 0, 1)}


def _only(settings: Settings, names: tuple[str, ...], lateness: float) -> Settings:
    dets = {n: (s if n in names else replace(s, enabled=False))
            for n, s in settings.detectors.items()}
    return replace(settings, detectors=dets,
                   ingest=replace(settings.ingest, allowed_lateness_s=lateness))


@dataclass
class PartitionState:
    """What a worker keeps per partition; pickled into the state table. ``buffer``: the cells
    agent's event-time buffer (records from several upstream partitions interleave there)."""

    detection: DetectorSet
    buffer: EventTimeBuffer | None = None
    watermark: float = -math.inf
    offset: int = -1
    events: int = 0
    upstream: dict[int, float] = field(default_factory=dict)  # cells: tick per source
    seeking: int = -1  # the offset this partition was rewound to, while waiting for it


def build_app(bootstrap_servers: str, topics: Topics, settings: Settings,
              geography: Geography | None, app_id: str = "mda-worker",
              data_dir: str | Path | None = None, checkpoint_every: int = 500) -> Any:
    """The Faust app (call ``app.main()`` or ``app.start`` through faust's worker)."""
    import faust
    from faust.types import TP

    app = faust.App(
        app_id,
        broker=f"kafka://{bootstrap_servers}",
        web_enabled=False,
        store="memory://",
        topic_partitions=topics.partitions,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        datadir=str(data_dir) if data_dir else None,
        producer_linger_ms=5,
        broker_commit_every=200,
    )
    positions = app.topic(topics.positions, key_type=bytes, value_type=bytes,
                          key_serializer="raw", value_serializer="raw",
                          partitions=topics.partitions)
    cells = app.topic(topics.cells, key_type=bytes, value_type=bytes, key_serializer="raw",
                      value_serializer="raw", partitions=topics.partitions)
    alerts_out = app.topic(topics.alerts, key_serializer="raw", value_serializer="raw",
                           partitions=topics.partitions)
    # Snapshots are pickles, base64 in JSON strings: the changelog is read back with the
    # app's default (JSON) codec during recovery.
    state_table = app.Table("mda-state", default=None, partitions=topics.partitions)
    vessel_settings = _only(settings, PER_VESSEL, 0.0)
    cell_settings = _only(settings, ("rendezvous",), math.inf)
    margin = float(getattr(settings.detectors.get("rendezvous"), "max_distance_m", 500.0))
    states: dict[str, PartitionState] = {}

    def load(name: str, fresh: Settings) -> tuple[PartitionState, list[Alert]]:
        pending: list[Alert] = []
        st = states.get(name)
        if st is None:
            blob = state_table.get(name)
            st = (pickle.loads(base64.b64decode(blob)) if blob
                  else PartitionState(DetectorSet(fresh, geography=geography), buffer=(
                      EventTimeBuffer(math.inf) if name.startswith("cells") else None)))
            st.detection.attach(pending.append, geography)
            states[name] = st
        st.detection.on_alert = pending.append
        return st, pending

    async def in_order(st: PartitionState, topic: str, partition: int, offset: int) -> bool:
        """Apply each event exactly once, in offset order. After a restart the consumer may
        resume past the snapshot (offsets committed after it was taken): rewind to the
        snapshot's next offset and skip until it arrives. Events already applied are
        skipped. The positions and cells topics are never compacted, so offsets follow each
        other."""
        if st.offset < 0 and st.events == 0:
            return True  # a fresh partition: start wherever the consumer starts
        expected = st.offset + 1
        if offset < expected:
            return False
        if offset > expected:
            if st.seeking != expected:
                await app.consumer.seek(TP(topic, partition), expected)
                st.seeking = expected
            return False
        st.seeking = -1
        return True

    def save(name: str, st: PartitionState) -> None:
        state_table[name] = base64.b64encode(
            pickle.dumps(st, protocol=pickle.HIGHEST_PROTOCOL)).decode("ascii")

    async def send_alerts(alerts: list[Alert], owner: int | None = None) -> None:
        for a in alerts:
            if owner is not None and a.kind == "rendezvous":
                where = cell_of(a.evidence.get("first_lat", a.lat),
                                a.evidence.get("first_lon", a.lon))
                if cell_partition(where, topics.partitions) != owner:
                    continue  # another partition owns this pair
            await alerts_out.send(key=a.alert_id.encode(), value=a.to_json().encode())

    unacked: dict[str, list[Any]] = {}

    def checkpoint(name: str, st: PartitionState) -> None:
        """Snapshot, then acknowledge the events it covers: Faust commits only acknowledged
        offsets, so a restart resumes at or before the snapshot, never past it."""
        save(name, st)
        for ev in unacked.pop(name, []):
            ev.ack()

    async def consume(event: Any, role: str, topic: str, fresh: Settings,
                      handle: Any, owned: bool) -> None:
        """What both agents do with an event: load the partition's runner, apply the event
        once and in order (``handle`` does the agent's own part), send the alerts it raised,
        and checkpoint at ticks and every ``checkpoint_every`` events."""
        tp = event.message.partition
        name = f"{role}:{tp}"
        st, pending = load(name, fresh)
        offset = event.message.offset
        unacked.setdefault(name, []).append(event)
        if not await in_order(st, topic, tp, offset):
            return
        obj = codec.decode(event.value)
        await handle(st, obj, event.value, tp)
        st.offset = offset
        st.events += 1
        await send_alerts(pending, owner=tp if owned else None)
        pending.clear()
        if obj["k"] == "t" or st.events % checkpoint_every == 0:
            checkpoint(name, st)

    async def vessel_event(st: PartitionState, obj: dict[str, Any], value: bytes,
                           tp: int) -> None:
        kind = obj["k"]
        if kind == "p":
            rec = codec.position_of(obj)
            t = obj["t"]
            if t is not None and t >= st.watermark:
                st.detection.step(rec, t)
                st.detection.advance(t)
                for cell in cells_near(rec.lat, rec.lon, margin):
                    await cells.send(key=str(rec.mmsi).encode(), value=value,
                                     partition=cell_partition(cell, topics.partitions))
        elif kind == "s":
            st.detection.static(codec.static_of(obj))
            for p in range(topics.partitions):
                await cells.send(key=str(obj["m"]).encode(), value=value, partition=p)
        else:
            t = float(obj["t"])
            if t > st.watermark:
                st.watermark = t
                st.detection.advance(t)
            tick = codec.encode_tick(float(obj["t"]), source=tp)
            for p in range(topics.partitions):
                await cells.send(key=b"tick", value=tick, partition=p)

    async def cell_event(st: PartitionState, obj: dict[str, Any], value: bytes,
                         tp: int) -> None:
        kind = obj["k"]
        buf = st.buffer
        assert buf is not None
        if kind == "p":
            t = obj["t"]
            if t is not None and t >= buf.watermark:
                rec = codec.position_of(obj)
                buf.push(rec, t, rec.mmsi)
        elif kind == "s":
            st.detection.static(codec.static_of(obj))
        else:
            st.upstream[int(obj.get("src", 0))] = float(obj["t"])
            if len(st.upstream) >= topics.partitions:
                wm = min(st.upstream.values())
                if buf.move_to(wm):
                    st.detection.step_many(buf.release(wm))
                    st.detection.advance(wm)

    @app.agent(positions, concurrency=1)
    async def vessels(stream: Any) -> None:
        async for event in stream.noack().events():
            await consume(event, "vessels", topics.positions, vessel_settings, vessel_event,
                          owned=False)

    @app.agent(cells, concurrency=1)
    async def pairs(stream: Any) -> None:
        async for event in stream.noack().events():
            await consume(event, "cells", topics.cells, cell_settings, cell_event, owned=True)

    return app
