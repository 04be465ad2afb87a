"""Ingest to Kafka: decode sources with the embedded pipeline's ingest (validation, dedup,
event-time ordering; no detectors) and publish what it releases.

* positions (key: MMSI) to the positions topic, in event-time order;
* static data to the positions topic too (so workers see it in order with the vessel's
  positions) and to the compacted static topic;
* watermark ticks to every partition of the positions topic, each ``tick_every_s`` of event
  time and at the end, so workers advance time-driven detectors (dark vessels) even for
  partitions without traffic;
* rejected lines to the dead-letter topic with the raw line and the reason;
* ``feed_outage`` alerts to the alerts topic: the feed detector (``detectors/feed.py``) runs
  here, beside ingest, where every source's whole traffic passes (a worker sees one
  partition's share of it); the workers run the vessel detectors.

Live sources (a receiver over TCP, UDP, gpsd, stdin) go through :meth:`KafkaPublisher.live`:
the same :class:`mda.live.LiveFeed` as ``mda live`` and ``mda serve``, so untimed sentences are
stamped with their arrival time and, when the feed is quiet, the watermark moves on with the
wall clock; its ticks reach the workers, whose dark-vessel timers follow them.

The producer (``mda.streaming.producer.BatchProducer``, confluent-kafka's librdkafka, whose
batching, compression and I/O run on its own threads): one record per message keyed by MMSI,
batched (``[kafka] linger_ms``), gzip-compressed, ``acks=all``, idempotent, retried until the
broker takes them, so a broker restart delays messages but neither loses, duplicates nor
reorders them; a record the broker never took is raised, not dropped. The partition of each
MMSI is computed once (murmur2 of the key, as Kafka's default partitioner does).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from detectors.feed import FeedDetector
from ingest.quarantine import Reject
from ingest.sources import Source
from mda.records import Alert, PositionReport, VesselStatic
from mda.runner import EmbeddedRunner, Summary
from mda.settings import Settings, preset_settings
from mda.streaming import codec
from mda.streaming.producer import BatchProducer, key_partition
from mda.streaming.topics import Topics

if TYPE_CHECKING:
    from ingest.network import Clock
    from mda.live import LiveFeed, LiveSource


class KafkaPublisher:
    """Runs the ingest side of the pipeline and publishes to Kafka (module docstring)."""

    def __init__(self, bootstrap_servers: str, topics: Topics, settings: Settings | None = None,
                 tick_every_s: float = 60.0, speed: float | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
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
        self._keyed: dict[int, tuple[bytes, int]] = {}
        self.partitions = topics.partitions
        self.sent = {"positions": 0, "statics": 0, "ticks": 0, "rejects": 0, "alerts": 0}
        self._last_tick = float("-inf")
        self._pace_origin: tuple[float, float] | None = None
        # ingest, the event-time buffer and the feed detector only: the workers run the
        # vessel detectors (no geography here: nothing to learn or look up)
        self.runner = EmbeddedRunner(self.settings.only("feed"), on_alert=self._alert,
                                     on_reject=self._reject, on_position=self._position,
                                     on_static=self._static, on_watermark=self._watermark)
        self._feed = next((d for d in self.runner.detectors if isinstance(d, FeedDetector)),
                          None)

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

    def _key(self, mmsi: int) -> tuple[bytes, int]:
        """An MMSI's message key and the partition Kafka's default partitioner gives it
        (murmur2), computed once per MMSI."""
        kp = self._keyed.get(mmsi)
        if kp is None:
            key = str(mmsi).encode()
            kp = self._keyed[mmsi] = (key, key_partition(key, self.partitions))
        return kp

    def _down(self, t: float) -> dict[str, tuple[str, float]] | None:
        if self._feed is None:
            return None
        watch = self._feed.watch
        return {src: down for src in watch.sources if (down := watch.down(src, t)) is not None}

    def _alert(self, a: Alert) -> None:
        key = a.alert_id.encode()
        self.producer.send(self.topics.alerts, key_partition(key, self.partitions), key,
                           a.to_json().encode())
        self.sent["alerts"] += 1

    def _position(self, r: PositionReport) -> None:
        if self.speed and r.ts is not None:
            self._pace(r.ts.timestamp())
        key, p = self._key(r.mmsi)
        self.producer.send(self.topics.positions, p, key, codec.encode_position(r))
        self.sent["positions"] += 1

    def _static(self, v: VesselStatic) -> None:
        key, p = self._key(v.mmsi)
        value = codec.encode_static(v)
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
        """A watermark tick to every partition of the positions topic, with the sources the
        feed detector judges down at ``t``."""
        value = codec.encode_tick(t, down=self._down(t))
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

    def live(self, sources: Sequence[LiveSource], clock: Clock = time.time,
             outage_s: float = 60.0) -> LiveFeed:
        """The live path for receiver sources (module docstring): run it with
        ``LiveFeed.run(stop)``, or step it (tests), then :meth:`finish`."""
        from mda.live import LiveFeed

        return LiveFeed(self.runner, sources, clock=clock, outage_s=outage_s)

    def finish(self) -> None:
        """After a live run: a last tick at the watermark, everything sent."""
        if self.runner.watermark is not None:
            self.tick(self.runner.watermark)
        self.producer.flush()

    def close(self) -> None:
        self.producer.close()
