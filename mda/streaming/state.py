"""Checkpoints of the workers' detector state in a Kafka topic (``PREFIX.state``, compacted,
one partition so a checkpoint's records stay in order).

A checkpoint of one worker partition is its :class:`~mda.streaming.worker.PartitionState`
pickled and zlib-compressed, cut into chunks under the broker's message size limit, then a
manifest (JSON: input offset, chunk count, generation, size, time taken). Keys:
``APP/ROLE/PARTITION`` for the manifest and ``APP/ROLE/PARTITION/PARITY/I`` for chunk I, where
the parity (generation mod 2) alternates, so writing generation g+1 never overwrites the
chunks of generation g that the last complete manifest names: a worker that dies while writing
leaves the previous checkpoint readable. Compaction keeps the newest value per key.
"""

from __future__ import annotations

import json
import pickle
import time
import zlib
from dataclasses import dataclass
from typing import Any

CHUNK_BYTES = 900_000  # under the broker's default message.max.bytes (1 MiB)


@dataclass(frozen=True, slots=True)
class Manifest:
    offset: int  # the last input offset the state covers
    chunks: int
    generation: int
    size_bytes: int
    seconds: float  # time to pickle and compress
    at: float  # wall-clock epoch seconds when written

    def to_json(self) -> bytes:
        return json.dumps({"offset": self.offset, "chunks": self.chunks,
                           "generation": self.generation, "bytes": self.size_bytes,
                           "seconds": round(self.seconds, 4), "at": self.at}).encode()

    @classmethod
    def of(cls, data: bytes) -> Manifest:
        o = json.loads(data)
        return cls(int(o["offset"]), int(o["chunks"]), int(o["generation"]), int(o["bytes"]),
                   float(o["seconds"]), float(o["at"]))


def dump(state: Any) -> tuple[bytes, float]:
    """(compressed pickle, seconds taken)."""
    t0 = time.perf_counter()
    blob = zlib.compress(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL), 1)
    return blob, time.perf_counter() - t0


def load(blob: bytes) -> Any:
    return pickle.loads(zlib.decompress(blob))


def chunk_key(name: str, generation: int, i: int) -> str:
    return f"{name}/{generation % 2}/{i}"


def records(name: str, blob: bytes, offset: int, generation: int,
            seconds: float) -> list[tuple[str, bytes]]:
    """The (key, value) records of one checkpoint, chunks first, the manifest last."""
    parts = [blob[i:i + CHUNK_BYTES] for i in range(0, len(blob), CHUNK_BYTES)] or [b""]
    out = [(chunk_key(name, generation, i), generation.to_bytes(8, "big") + part)
           for i, part in enumerate(parts)]
    out.append((name, Manifest(offset, len(parts), generation, len(blob), seconds,
                               time.time()).to_json()))
    return out


class StateView:
    """The newest checkpoint of every partition, from the state topic read in order."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix  # "APP/"
        self.manifests: dict[str, Manifest] = {}
        self._chunks: dict[str, bytes] = {}

    def add(self, key: str, value: bytes | None) -> None:
        if not key.startswith(self.prefix):
            return
        if value is None:
            self.manifests.pop(key, None)
            self._chunks.pop(key, None)
        elif key[len(self.prefix):].count("/") >= 3:
            self._chunks[key] = value
        else:
            self.manifests[key] = Manifest.of(value)

    def blob(self, name: str) -> tuple[Manifest, bytes] | None:
        """The newest complete checkpoint of ``name`` (None if there is none)."""
        m = self.manifests.get(name)
        if m is None:
            return None
        parts = []
        for i in range(m.chunks):
            value = self._chunks.get(chunk_key(name, m.generation, i))
            if value is None or int.from_bytes(value[:8], "big") != m.generation:
                return None  # incomplete (cannot happen with ordered writes; be safe)
            parts.append(value[8:])
        return m, b"".join(parts)
