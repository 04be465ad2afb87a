"""Ingest to Kafka: decode sources with the embedded pipeline's ingest (validation, dedup,
event-time ordering; no detectors) and publish what it releases.

* positions (key: MMSI) to the positions topic, in event-time order;
* static data to the positions topic too (so workers see it in order with the vessel's
  positions) and to the compacted static topic;
* watermark ticks to every partition of the positions topic, each ``tick_every_s`` of event
  time and at the end, so workers advance time-driven detectors (dark vessels) even for
  partitions without traffic;
* rejected lines to the dead-letter topic with the raw line and the reason.

The producer (``mda.streaming.producer.BatchProducer``, aiokafka's batch API on a thread of
its own): one record per message keyed by MMSI, batched (``[kafka] linger_ms``, 512 KiB
batches), gzip-compressed, ``acks=all``, idempotent, retried until the broker takes them, so
a broker restart delays messages but neither loses, duplicates nor reorders them. The
partition of each MMSI is computed once (murmur2 of the key, as Kafka's default partitioner
does).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime

from ingest.quarantine import Reject
from ingest.sources import Source
from mda.records import PositionReport, VesselStatic
from mda.runner import EmbeddedRunner, Summary
from mda.settings import Settings, preset_settings
from mda.streaming import codec
from mda.streaming.topics import Topics


class KafkaPublisher:
    """Runs the ingest side of the pipeline and publishes to Kafka (module docstring)."""

    def __init__(self, bootstrap_servers: str, topics: Topics, settings: Settings | None = None,
                 tick_every_s: float = 60.0, speed: float | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        from mda.streaming.producer import BatchProducer

        self.topics = topics
        self.tick_every_s = tick_every_s
        self.speed = speed
        self._sleep = sleep
        self._clock = clock
        self.settings = settings or preset_settings()
        k = self.settings.kafka
        self.producer = BatchProducer(
            bootstrap_servers, linger_ms=k.linger_ms,
            compression=None if k.compression == "none" else k.compression)
        self._partition_of: dict[int, int] = {}
        self.partitions = topics.partitions
        self.sent = {"positions": 0, "statics": 0, "ticks": 0, "rejects": 0}
        self._last_tick = float("-inf")
        self._pace_origin: tuple[float, float] | None = None
        # ingest and the event-time buffer only: the workers run the detectors
        self.runner = EmbeddedRunner(self.settings, on_reject=self._reject,
                                     on_position=self._position, on_static=self._static,
                                     on_watermark=self._watermark, detect=False)

    # -- callbacks -------------------------------------------------------------------------
    def _pace(self, t: float) -> None:
        if not self.speed:
            return
        now = self._clock()
        if self._pace_origin is None:
            self._pace_origin = (t, now)
            return
        t0, w0 = self._pace_origin
        ahead = (t - t0) / self.speed - (now - w0)
        if ahead > 0:
            self._sleep(ahead)

    def _partition(self, mmsi: int, key: bytes) -> int:
        """The partition Kafka's default partitioner gives the key (murmur2), once per MMSI."""
        p = self._partition_of.get(mmsi)
        if p is None:
            from kafka.partitioner.default import murmur2

            p = self._partition_of[mmsi] = (murmur2(key) & 0x7FFFFFFF) % self.partitions
        return p

    def _position(self, r: PositionReport) -> None:
        if self.speed and r.ts is not None:
            self._pace(r.ts.timestamp())
        key = str(r.mmsi).encode()
        self.producer.send(self.topics.positions, self._partition(r.mmsi, key), key,
                           codec.encode_position(r))
        self.sent["positions"] += 1

    def _static(self, v: VesselStatic) -> None:
        key = str(v.mmsi).encode()
        value = codec.encode_static(v)
        p = self._partition(v.mmsi, key)
        self.producer.send(self.topics.positions, p, key, value)
        self.producer.send(self.topics.static, p, key, value)
        self.sent["statics"] += 1

    def _watermark(self, t: float) -> None:
        if t - self._last_tick >= self.tick_every_s:
            self.tick(t)

    def _reject(self, r: Reject) -> None:
        self.producer.send(self.topics.deadletter, 0, r.source.encode(), r.to_json().encode())
        self.sent["rejects"] += 1

    def tick(self, t: float) -> None:
        """A watermark tick to every partition of the positions topic."""
        value = codec.encode_tick(t)
        for p in range(self.partitions):
            self.producer.send(self.topics.positions, p, b"tick", value)
        self._last_tick = t
        self.sent["ticks"] += 1

    # -- run -------------------------------------------------------------------------------
    def run(self, sources: Iterable[Source], until: datetime | None = None) -> Summary:
        srcs = list(sources)
        summary = self.runner.run(srcs, until=until)
        if summary.clock_ts is not None:
            self.tick(summary.clock_ts)
        self.producer.flush()
        return summary

    def close(self) -> None:
        self.producer.close()
