"""Topic names and sizes (settings ``[kafka]``), and creating the topics."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


def bootstrap(arg: str | None) -> str:
    """``--bootstrap``, else ``KAFKA_BOOTSTRAP_SERVERS``, else 127.0.0.1:9092."""
    return arg or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or DEFAULT_BOOTSTRAP


@dataclass(frozen=True, slots=True)
class Topics:
    prefix: str = "mda"
    partitions: int = 4
    retention_h: float = 168.0

    @property
    def positions(self) -> str:
        return f"{self.prefix}.positions"

    @property
    def static(self) -> str:
        return f"{self.prefix}.static"

    @property
    def alerts(self) -> str:
        return f"{self.prefix}.alerts"

    @property
    def deadletter(self) -> str:
        return f"{self.prefix}.deadletter"

    @property
    def cells(self) -> str:
        return f"{self.prefix}.cells"

    @property
    def state(self) -> str:
        """The workers' checkpoints (mda.streaming.state): compacted, one partition."""
        return f"{self.prefix}.state"

    def ensure(self, bootstrap_servers: str) -> None:
        """Create the topics with the partition count the workers expect (idempotent)."""
        from kafka.admin import KafkaAdminClient, NewTopic
        from kafka.errors import TopicAlreadyExistsError

        # wait for a broker that is restarting (as the producer does), rather than failing
        # after kafka-python's 30 s (seen when a loaded machine restarts the test broker)
        extra = ({"bootstrap_timeout_ms": 600_000}
                 if "bootstrap_timeout_ms" in KafkaAdminClient.DEFAULT_CONFIG else {})
        admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="mda-admin",
                                 **extra)
        try:
            retention = str(int(self.retention_h * 3600 * 1000))
            wanted = [
                NewTopic(self.positions, self.partitions, 1, topic_configs={
                    "retention.ms": retention}),
                NewTopic(self.cells, self.partitions, 1, topic_configs={
                    "retention.ms": retention}),
                NewTopic(self.static, self.partitions, 1, topic_configs={
                    "cleanup.policy": "compact"}),
                NewTopic(self.alerts, self.partitions, 1, topic_configs={
                    "retention.ms": retention}),
                NewTopic(self.deadletter, 1, 1, topic_configs={"retention.ms": retention}),
                # compacted often enough that an assigned worker reads little more than
                # the newest checkpoints
                NewTopic(self.state, 1, 1, topic_configs={
                    "cleanup.policy": "compact", "max.message.bytes": "1048588",
                    "segment.ms": "600000", "min.cleanable.dirty.ratio": "0.1"}),
            ]
            existing = set(admin.list_topics())
            new = [t for t in wanted if t.name not in existing]
            if new:
                with contextlib.suppress(TopicAlreadyExistsError):
                    admin.create_topics(new)
        finally:
            admin.close()
