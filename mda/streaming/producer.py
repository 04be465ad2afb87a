"""A batching Kafka producer for the ingest: a synchronous ``send`` in front of aiokafka's batch
API, running on an event loop in a thread of its own.

kafka-python's ``send`` cost 41-81 us per record on the 2-core test machine (its future,
partitioner and accumulator per record; two runs, different loads); appending a record to an
aiokafka ``BatchBuilder`` and sending whole batches cost 13-14 us (measured side by side,
``bench/streaming_profile.py``).
Records stay one per Kafka message, with their keys and explicit partitions; the producer is
``acks=all`` and idempotent (batches are never expired: retried until the broker takes them,
in order), gzip-compressed.

``send`` appends to a buffer; the buffer goes to the loop thread when it holds ``chunk``
records, and every ``linger_ms`` in any case (a paced or live ingest sends as it goes). One
task sends the chunks in order, so records of a partition keep their order. At most
``max_chunks`` chunks wait, then ``send`` blocks (memory stays bounded while the broker is
away). A failed delivery is raised by the next ``send`` or ``flush``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import Future
from typing import Any

Record = tuple[str, int, bytes | None, bytes]  # topic, partition, key, value


class BatchProducer:
    def __init__(self, bootstrap_servers: str, client_id: str = "mda-ingest",
                 linger_ms: int = 20, compression: str | None = "gzip",
                 chunk: int = 4000, max_chunks: int = 8,
                 request_timeout_ms: int = 600_000) -> None:
        self.linger_s = linger_ms / 1000.0
        self.chunk = chunk
        self._buf: list[Record] = []
        self._lock = threading.Lock()
        self._room = threading.Semaphore(max_chunks)
        self._error: BaseException | None = None
        self._last = time.monotonic()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mda-producer",
                                        daemon=True)
        self._thread.start()
        # chunks (records, whether they hold a place in ``_room``) and flush markers
        self._queue: asyncio.Queue[tuple[list[Record], bool] | Future[None]] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        config = {"bootstrap_servers": bootstrap_servers, "client_id": client_id,
                  "acks": "all", "enable_idempotence": True, "linger_ms": linger_ms,
                  "max_batch_size": 512 * 1024, "compression_type": compression,
                  "request_timeout_ms": request_timeout_ms, "retry_backoff_ms": 200}
        self._producer: Any = self._call(self._start(config))

    # -- the caller's thread ---------------------------------------------------------------
    def send(self, topic: str, partition: int, key: bytes | None, value: bytes) -> None:
        with self._lock:
            self._buf.append((topic, partition, key, value))
            full = len(self._buf) >= self.chunk
        if full:
            self._handoff()

    def flush(self) -> None:
        """Every record sent so far delivered (acknowledged by all replicas)."""
        if self._buf:
            self._handoff()
        done: Future[None] = Future()
        self._loop.call_soon_threadsafe(self._put, done)
        done.result()
        self._raise()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._call(self._stop())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def _handoff(self) -> None:
        """The buffer to the sender task (waiting for room first). Chunks are scheduled on
        the loop under the lock, so they reach the queue in the order they were cut."""
        self._raise()
        self._room.acquire()
        with self._lock:
            buf, self._buf = self._buf, []
            self._last = time.monotonic()
            if buf:
                self._loop.call_soon_threadsafe(self._put, (buf, True))
        if not buf:
            self._room.release()

    def _raise(self) -> None:
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    # -- the loop thread -------------------------------------------------------------------
    async def _start(self, config: dict[str, Any]) -> Any:
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(**config)
        await producer.start()
        self._queue = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._sender(producer)), loop.create_task(self._linger())]
        return producer

    async def _stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._producer.stop()

    def _put(self, item: tuple[list[Record], bool] | Future[None]) -> None:
        assert self._queue is not None
        self._queue.put_nowait(item)

    async def _linger(self) -> None:
        """Every ``linger_ms``: what waited that long in the buffer goes out."""
        while True:
            await asyncio.sleep(self.linger_s)
            if self._buf and time.monotonic() - self._last >= self.linger_s:
                with self._lock:
                    buf, self._buf = self._buf, []
                    self._last = time.monotonic()
                    if buf:
                        self._loop.call_soon(self._put, (buf, False))

    async def _sender(self, producer: Any) -> None:
        assert self._queue is not None
        inflight: list[asyncio.Future[Any]] = []
        while True:
            item = await self._queue.get()
            if isinstance(item, Future):
                try:
                    for f in inflight:
                        await f
                except Exception as exc:
                    self._error = exc
                inflight.clear()
                item.set_result(None)
                continue
            records, counted = item
            try:
                inflight.extend(await self._send_chunk(producer, records))
            except Exception as exc:
                self._error = exc
            finally:
                if counted:
                    self._room.release()
            inflight = [f for f in inflight if not f.done() or self._check(f)]

    def _check(self, f: asyncio.Future[Any]) -> bool:
        if f.exception() is not None:
            self._error = f.exception()
        return False

    @staticmethod
    async def _send_chunk(producer: Any, records: list[Record]) -> list[asyncio.Future[Any]]:
        batches: dict[tuple[str, int], Any] = {}
        out: list[asyncio.Future[Any]] = []
        for topic, partition, key, value in records:
            b = batches.get((topic, partition))
            if b is None:
                b = batches[(topic, partition)] = producer.create_batch()
            if b.append(key=key, value=value, timestamp=None) is None:
                b.close()
                out.append(await producer.send_batch(b, topic, partition=partition))
                b = batches[(topic, partition)] = producer.create_batch()
                b.append(key=key, value=value, timestamp=None)
        for (topic, partition), b in batches.items():
            b.close()
            out.append(await producer.send_batch(b, topic, partition=partition))
        return out
