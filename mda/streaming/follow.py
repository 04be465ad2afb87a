"""A picture source that follows the Kafka topics: positions and statics from the positions
topic (what ``mda ingest`` publishes), alerts from the alerts topic (what ``mda worker``
publishes). Plugs into ``mda serve --kafka`` through ``maps.server.PictureSource``."""

from __future__ import annotations

import json
import threading
from typing import Any

from mda.streaming import codec
from mda.streaming.topics import Topics
from mda.vessels import VesselRegistry


class KafkaFollower:
    """Feeds a picture sink from the topics until ``stop`` is set."""

    name = "kafka"

    def __init__(self, bootstrap_servers: str, topics: Topics,
                 from_beginning: bool = True) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topics = topics
        self.from_beginning = from_beginning
        self.skipped = 0  # messages that were not mda records

    def run(self, sink: Any, stop: threading.Event) -> None:
        from kafka import KafkaConsumer

        registry = VesselRegistry()
        sink.use_vessel_info(registry.info)
        consumer = KafkaConsumer(
            self.topics.positions, self.topics.alerts,
            bootstrap_servers=self.bootstrap_servers,
            auto_offset_reset="earliest" if self.from_beginning else "latest",
            enable_auto_commit=False, consumer_timeout_ms=500)
        try:
            while not stop.is_set():
                for msg in consumer:
                    try:
                        if msg.topic == self.topics.alerts:
                            sink.on_alert(json.loads(msg.value))
                            continue
                        obj = codec.decode(msg.value)
                    except ValueError:
                        self.skipped += 1
                        continue
                    kind = obj["k"]
                    if kind == "p" and obj.get("t") is not None:
                        sink.on_position(codec.position_of(obj))
                    elif kind == "s":
                        static = codec.static_of(obj)
                        registry.update(static)
                        sink.on_static(static)
                    elif kind == "t":
                        sink.on_clock(float(obj["t"]))
                    if stop.is_set():
                        break
        finally:
            consumer.close()
