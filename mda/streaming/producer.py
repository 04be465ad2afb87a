"""The ingest's Kafka producer: a synchronous ``send`` in front of confluent-kafka's
``Producer`` (librdkafka).

Why librdkafka: its batching, gzip compression and network I/O run on threads of its own in C,
without Python's GIL, so on the 2-core test machine they run beside the ingest's decoding
instead of taking turns with it. A ``send`` is one ``produce`` call into librdkafka's queue
(the earlier aiokafka batch-API producer cost about 14 us per record in the caller's thread,
``bench/streaming_profile.py``).

Records stay one per Kafka message, with their keys and explicit partitions. The producer is
``acks=all`` and idempotent (``enable.idempotence``: librdkafka retries, in order and without
duplicates, until ``delivery_timeout_ms``; a broker restart delays messages but neither loses,
duplicates nor reorders them), gzip-compressed, batched for ``linger_ms``.

Backpressure: librdkafka's queue holds at most ``queue_max`` records; when it is full (the
broker is away or slower than the ingest) ``send`` serves librdkafka's callbacks and waits until
there is room (``BufferError`` is never passed on; memory stays bounded).

Errors are never lost: a record that could not be delivered (after the timeout, or refused by
the broker) is reported by librdkafka's delivery callback, which is asked to report failures
only; the first failure is raised by the next ``send`` or ``flush`` as :class:`DeliveryError`.
librdkafka's own log lines and client errors go to the ``mda.producer`` logger.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

log = logging.getLogger("mda.producer")


def key_partition(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2 of the key, as the Java client and
    kafka-python do) gives ``key``."""
    from kafka.partitioner.default import murmur2

    return int(murmur2(key) & 0x7FFFFFFF) % partitions


class DeliveryError(RuntimeError):
    """A record the broker did not take (raised by the send or flush after it failed)."""


class BatchProducer:
    def __init__(self, bootstrap_servers: str, client_id: str = "mda-ingest",
                 linger_ms: int = 20, compression: str | None = "gzip",
                 queue_max: int = 200_000, delivery_timeout_ms: int = 600_000,
                 poll_every_s: float = 0.1) -> None:
        from confluent_kafka import Producer

        self._error: DeliveryError | None = None
        self.failed = 0  # records not delivered (each reported; the first raised)
        self._poll_every_s = poll_every_s
        self._next_poll = time.monotonic() + poll_every_s
        self._producer = Producer({
            "bootstrap.servers": bootstrap_servers, "client.id": client_id,
            "acks": "all", "enable.idempotence": True,
            "linger.ms": linger_ms, "compression.type": compression or "none",
            "message.timeout.ms": delivery_timeout_ms,
            "queue.buffering.max.messages": queue_max,
            "queue.buffering.max.kbytes": 256 * 1024,
            "retry.backoff.ms": 200, "reconnect.backoff.max.ms": 5000,
            "delivery.report.only.error": True, "on_delivery": self._delivered,
            "error_cb": self._client_error, "logger": log,
            "log.connection.close": False,
        })
        self._produce = self._producer.produce
        self._poll = self._producer.poll

    def send(self, topic: str, partition: int, key: bytes | None, value: bytes,
             headers: list[tuple[str, str | bytes | None]] | None = None) -> None:
        """Queue one record (waiting for room while librdkafka's queue is full); raises the
        first delivery failure not raised yet."""
        if self._error is not None:
            self._raise()
        try:
            self._produce(topic, value, key, partition, headers=headers)
        except BufferError:
            self._wait_for_room(topic, partition, key, value, headers)
        if time.monotonic() >= self._next_poll:
            self._poll(0)  # the delivery failures and client errors, if any
            self._next_poll = time.monotonic() + self._poll_every_s

    def _wait_for_room(self, topic: str, partition: int, key: bytes | None, value: bytes,
                       headers: list[tuple[str, str | bytes | None]] | None) -> None:
        while True:
            self._poll(0.05)
            if self._error is not None:
                self._raise()
            try:
                self._produce(topic, value, key, partition, headers=headers)
                return
            except BufferError:
                continue

    def pending(self) -> int:
        """Records queued and not yet acknowledged."""
        return len(self._producer)

    def flush(self, timeout_s: float | None = None) -> bool:
        """Every record sent so far delivered (acknowledged by all replicas), then the first
        delivery failure raised if there was one. With ``timeout_s``: False if records are
        still pending then."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            step = 0.5 if deadline is None else min(0.5, max(0.0, deadline - time.monotonic()))
            left = self._producer.flush(step)
            if left == 0 or (deadline is not None and time.monotonic() >= deadline):
                break
        self._raise()
        return left == 0

    async def drain(self, every_s: float = 0.005) -> None:
        """:meth:`flush` for an event loop: waits (without blocking the loop, so it can be
        cancelled, e.g. by a stop deadline) until every record sent so far is delivered, then
        raises the first delivery failure if there was one."""
        producer = self._producer
        while len(producer):
            producer.poll(0)
            await asyncio.sleep(every_s)
        producer.poll(0)
        self._raise()

    def abandon(self, timeout_s: float) -> int:
        """Close, waiting at most ``timeout_s`` for what is pending; how many records were
        not delivered (dropped from librdkafka's queue: for a caller that sends them again
        after a restart, as a worker's successor does from its checkpoint)."""
        left = self._producer.flush(timeout_s)
        if left:
            self._producer.purge()
        self._producer.close()
        return int(left)

    def close(self, timeout_s: float | None = None) -> None:
        try:
            self.flush(timeout_s)
        finally:
            self._producer.close()

    def _raise(self) -> None:
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    # -- librdkafka's callbacks (run inside poll/flush, in the caller's thread) -------------
    def _delivered(self, err: Any, msg: Any) -> None:
        if err is None:
            return
        self.failed += 1
        log.error("record not delivered to %s[%s]: %s", msg.topic(), msg.partition(), err)
        if self._error is None:
            self._error = DeliveryError(
                f"{self.failed} record(s) not delivered; first to {msg.topic()}"
                f"[{msg.partition()}]: {err}")

    def _client_error(self, err: Any) -> None:
        if err.fatal():  # the idempotent producer cannot go on (ordering would break)
            log.error("producer fatal error: %s", err)
            if self._error is None:
                self._error = DeliveryError(f"producer fatal error: {err}")
        else:
            log.warning("producer: %s", err)
