"""The detector workers: a Faust app whose agents run the embedded runner's detector code.

* ``vessels`` agent, on the positions topic (key: MMSI): one :class:`EmbeddedRunner` per
  partition with the per-vessel detectors (gap, loitering, spoofing, zone). Records arrive in
  event-time order (the ingest published them so); watermark ticks advance time-driven
  detectors. It re-keys every position by spatial cell onto the cells topic, with copies to
  the neighbouring cells when the vessel is near a cell edge, and forwards the ticks.
* ``cells`` agent, on the cells topic: one runner per partition with the rendezvous detector.
  Records from the positions partitions interleave here, so the runner holds them back and
  releases them in event-time order once every upstream partition's tick has passed them
  (an aligned watermark). A pair is reported only by the partition that owns the cell of its
  first close observation, so a pair seen from two cells is one alert.

State: after each event a partition's runner is snapshotted (pickled, without its look-ups)
into a Faust Table every ``checkpoint_every`` events and at every tick, with the offset it has
consumed. The table is changelog-backed: a restarted or rebalanced worker loads the snapshot
and skips events it already applied. Alerts go to the alerts topic keyed by alert id; a
replayed event re-sends an alert state with the same id (sinks upsert).
"""

from __future__ import annotations

import math
import pickle
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mda.geography import Geography
from mda.records import Alert
from mda.runner import EmbeddedRunner
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
    """What a worker keeps per partition; pickled into the state table."""

    runner: EmbeddedRunner
    offset: int = -1
    events: int = 0
    upstream: dict[int, float] = field(default_factory=dict)  # cells: tick per source


def build_app(bootstrap_servers: str, topics: Topics, settings: Settings,
              geography: Geography | None, app_id: str = "mda-worker",
              data_dir: str | Path | None = None, checkpoint_every: int = 500) -> Any:
    """The Faust app (call ``app.main()`` or ``app.start`` through faust's worker)."""
    import faust

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
    state_table = app.Table(
        "mda-state", default=None, partitions=topics.partitions,
        schema=faust.Schema(key_type=str, value_type=bytes, key_serializer="json",
                            value_serializer="raw"))
    vessel_settings = _only(settings, PER_VESSEL, 0.0)
    cell_settings = _only(settings, ("rendezvous",), math.inf)
    margin = float(getattr(settings.detectors.get("rendezvous"), "max_distance_m", 500.0))
    states: dict[str, PartitionState] = {}

    def load(name: str, fresh: Settings) -> tuple[PartitionState, list[Alert]]:
        pending: list[Alert] = []
        st = states.get(name)
        if st is None:
            blob = state_table.get(name)
            st = pickle.loads(blob) if blob else PartitionState(EmbeddedRunner(fresh))
            st.runner.attach(pending.append, geography)
            states[name] = st
        st.runner.on_alert = pending.append
        return st, pending

    def save(name: str, st: PartitionState) -> None:
        state_table[name] = pickle.dumps(st, protocol=pickle.HIGHEST_PROTOCOL)

    async def send_alerts(alerts: list[Alert], owner: int | None = None) -> None:
        for a in alerts:
            if owner is not None and a.kind == "rendezvous":
                where = cell_of(a.evidence.get("first_lat", a.lat),
                                a.evidence.get("first_lon", a.lon))
                if cell_partition(where, topics.partitions) != owner:
                    continue  # another partition owns this pair
            await alerts_out.send(key=a.alert_id.encode(), value=a.to_json().encode())

    @app.agent(positions, concurrency=1)
    async def vessels(stream: Any) -> None:
        async for event in stream.events():
            tp = event.message.partition
            name = f"vessels:{tp}"
            st, pending = load(name, vessel_settings)
            offset = event.message.offset
            if offset <= st.offset:
                continue  # applied before a restart
            obj = codec.decode(event.value)
            kind = obj["k"]
            runner = st.runner
            if kind == "p":
                rec = codec.position_of(obj)
                runner.feed([(rec, obj["t"], [])])
                if obj["t"] is not None:
                    for cell in cells_near(rec.lat, rec.lon, margin):
                        await cells.send(key=str(rec.mmsi).encode(), value=event.value,
                                         partition=cell_partition(cell, topics.partitions))
            elif kind == "s":
                runner.feed([(codec.static_of(obj), obj["t"], [])])
                for p in range(topics.partitions):
                    await cells.send(key=str(obj["m"]).encode(), value=event.value,
                                     partition=p)
            else:
                runner.tick(float(obj["t"]))
                tick = codec.encode_tick(float(obj["t"]), source=tp)
                for p in range(topics.partitions):
                    await cells.send(key=b"tick", value=tick, partition=p)
            st.offset = offset
            st.events += 1
            await send_alerts(pending)
            pending.clear()
            if kind == "t" or st.events % checkpoint_every == 0:
                save(name, st)

    @app.agent(cells, concurrency=1)
    async def pairs(stream: Any) -> None:
        async for event in stream.events():
            tp = event.message.partition
            name = f"cells:{tp}"
            st, pending = load(name, cell_settings)
            offset = event.message.offset
            if offset <= st.offset:
                continue
            obj = codec.decode(event.value)
            kind = obj["k"]
            runner = st.runner
            if kind == "p":
                rec = codec.position_of(obj)
                runner.feed([(rec, obj["t"], [])])
            elif kind == "s":
                runner.feed([(codec.static_of(obj), obj["t"], [])])
            else:
                st.upstream[int(obj.get("src", 0))] = float(obj["t"])
                if len(st.upstream) >= topics.partitions:
                    runner.tick(min(st.upstream.values()))
            st.offset = offset
            st.events += 1
            await send_alerts(pending, owner=tp)
            pending.clear()
            if kind == "t" or st.events % checkpoint_every == 0:
                save(name, st)

    return app
