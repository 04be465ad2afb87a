"""The librdkafka producer of the ingest and the workers: a record the broker never takes is
raised (by flush, drain, or the next send once the queue is full), never dropped; a full queue
holds the sender back instead of failing; against a real broker every record arrives, in
order. No mock: the failure cases use a 127.0.0.1 port nothing listens on."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from mda.streaming import codec
from mda.streaming.local_kafka import LocalKafka
from mda.streaming.producer import BatchProducer, DeliveryError
from mda.streaming.topics import Topics
from tests.streaming.helpers import prefix, read_topic


def _dead_address() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"  # closed again: nothing listens there


def test_a_record_the_broker_never_takes_is_raised_by_flush() -> None:
    p = BatchProducer(_dead_address(), delivery_timeout_ms=500)
    try:
        p.send("t.positions", 0, b"1", b"{}")
        t0 = time.monotonic()
        with pytest.raises(DeliveryError, match=r"1 record\(s\) not delivered"):
            p.flush(timeout_s=30)
        assert time.monotonic() - t0 < 20
        assert p.failed == 1
        p.flush(timeout_s=5)  # raised once, then the producer goes on
    finally:
        p.abandon(1.0)


def test_a_full_queue_holds_send_back_then_raises_what_was_not_delivered() -> None:
    p = BatchProducer(_dead_address(), queue_max=5, delivery_timeout_ms=500)
    try:
        sent = 0
        with pytest.raises(DeliveryError):
            for i in range(50):
                p.send("t.positions", 0, b"1", str(i).encode())
                sent += 1
        # the queue held 5; the 6th send waited for room until those 5 failed, then raised
        assert sent == 5
        assert p.failed == 5
    finally:
        p.abandon(1.0)


def test_drain_raises_a_delivery_failure_too() -> None:
    p = BatchProducer(_dead_address(), delivery_timeout_ms=500)
    try:
        p.send("t.alerts", 0, b"a", b"{}")
        with pytest.raises(DeliveryError):
            asyncio.run(asyncio.wait_for(p.drain(), 30))
    finally:
        p.abandon(1.0)


def test_abandon_reports_what_it_could_not_deliver() -> None:
    p = BatchProducer(_dead_address())
    for i in range(3):
        p.send("t.positions", 0, b"1", str(i).encode())
    t0 = time.monotonic()
    assert p.abandon(0.5) == 3
    assert time.monotonic() - t0 < 5


def test_the_wire_format_rejects_what_is_not_json() -> None:
    with pytest.raises(ValueError):
        codec.decode(b"{not json")
    with pytest.raises(ValueError):
        codec.decode(b'{"k": "x"}')
    assert codec.decode(codec.encode_tick(5.0, source=2)) == {"k": "t", "t": 5.0, "src": 2}


@pytest.mark.slow
def test_every_record_arrives_in_order_through_a_small_queue(kafka: LocalKafka) -> None:
    topics = Topics(prefix=prefix(), partitions=kafka.partitions)
    topics.ensure(kafka.bootstrap)
    p = BatchProducer(kafka.bootstrap, queue_max=50)  # 2,000 records through 50 places
    try:
        for i in range(2000):
            p.send(topics.positions, i % 2, str(i % 2).encode(), str(i).encode())
        p.flush()
    finally:
        p.close()
    got = read_topic(kafka.bootstrap, topics.positions, idle_s=3)
    assert p.failed == 0
    for part in (0, 1):
        values = [int(m.value) for m in got if m.partition == part]
        assert values == list(range(part, 2000, 2))
