"""Ingest to Kafka: decode sources with the embedded pipeline's ingest (validation, dedup,
event-time ordering; no detectors) and publish what it releases.

* positions (key: MMSI) to the positions topic, in event-time order;
* static data to the positions topic too (so workers see it in order with the vessel's
  positions) and to the compacted static topic;
* watermark ticks to every partition of the positions topic, each ``tick_every_s`` of event
  time and at the end, so workers advance time-driven detectors (dark vessels) even for
  partitions without traffic;
* rejected lines to the dead-letter topic with the raw line and the reason.

kafka-python producer: batching (``linger_ms``), gzip compression, ``acks=all`` and retries
with one request in flight, so a broker restart delays messages but neither loses nor
reorders them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

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
                 producer_config: dict[str, Any] | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        from kafka import KafkaProducer

        self.topics = topics
        self.tick_every_s = tick_every_s
        self.speed = speed
        self._sleep = sleep
        self._clock = clock
        config: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            "linger_ms": 20,
            "batch_size": 256 * 1024,
            "compression_type": "gzip",
            "acks": "all",
            "retries": 1_000_000,
            "max_in_flight_requests_per_connection": 1,
            "request_timeout_ms": 30_000,
            "delivery_timeout_ms": 600_000,
            "retry_backoff_ms": 200,
            # a send waits for topic metadata while the broker is away (a restart), rather
            # than failing the ingest after kafka-python's 60 s default (seen in CI)
            "max_block_ms": 600_000,
            "client_id": "mda-ingest",
        }
        config.update(producer_config or {})
        self.producer = KafkaProducer(**config)
        self.settings = settings or preset_settings()
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

    def _position(self, r: PositionReport) -> None:
        if r.ts is not None:
            self._pace(r.ts.timestamp())
        self.producer.send(self.topics.positions, key=str(r.mmsi).encode(),
                           value=codec.encode_position(r))
        self.sent["positions"] += 1

    def _static(self, v: VesselStatic) -> None:
        key = str(v.mmsi).encode()
        value = codec.encode_static(v)
        self.producer.send(self.topics.positions, key=key, value=value)
        self.producer.send(self.topics.static, key=key, value=value)
        self.sent["statics"] += 1

    def _watermark(self, t: float) -> None:
        if t - self._last_tick >= self.tick_every_s:
            self.tick(t)

    def _reject(self, r: Reject) -> None:
        self.producer.send(self.topics.deadletter, key=r.source.encode(),
                           value=r.to_json().encode())
        self.sent["rejects"] += 1

    def tick(self, t: float) -> None:
        """A watermark tick to every partition of the positions topic."""
        value = codec.encode_tick(t)
        for p in range(self.partitions):
            self.producer.send(self.topics.positions, key=b"tick", value=value, partition=p)
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
        self.producer.flush()
        self.producer.close()
