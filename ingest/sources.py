"""Input sources for the embedded runner: files (plain or gzip, by content), or stdin.

A source yields raw lines (bytes, without line endings) and picks the decoder that fits its
first lines: JSON lines, a decoded-AIS CSV table, a SAR detections CSV (ingest/sensors.py), or
NMEA (AIS, and radar TTM/TLL).
"""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from ingest.decode import NmeaDecoder
from ingest.dedup import Deduplicator
from ingest.quarantine import IngestStats
from ingest.tables import SarDecoder, TableDecoder, looks_like_sar_header, looks_like_table_header


def sniff_format(first_lines: list[bytes]) -> str:
    """``"jsonl"``, ``"csv"``, ``"sar"`` or ``"nmea"`` from the first non-blank, non-comment
    line."""
    for raw in first_lines:
        line = raw.strip().lstrip(b"\xef\xbb\xbf")
        if not line or line.startswith(b"#"):
            continue
        if line.startswith(b"{"):
            return "jsonl"
        if b"!" not in line and b"$" not in line and b"\\" not in line:
            text = line.decode("utf-8", "replace")
            if looks_like_sar_header(text):
                return "sar"
            if looks_like_table_header(text):
                return "csv"
        return "nmea"
    return "nmea"


class LineSource(Protocol):
    """What the embedded runner reads (``EmbeddedRunner.run``): a :class:`Source` (a file or
    stdin) or a live one (``ingest.network.NetworkSource``, ``StdinSource``), which also has
    ``timed_lines`` and is then read line by line as it arrives."""

    @property
    def name(self) -> str: ...

    @property
    def size(self) -> int | None: ...  # bytes, when known (for progress)

    def lines(self) -> Iterator[bytes]: ...

    def position(self) -> int: ...  # bytes consumed so far (for progress)


@dataclass
class Source:
    """One input: a path (``-`` for stdin) and its byte size when known (for progress)."""

    name: str
    size: int | None = None
    _handle: BinaryIO | None = field(default=None, repr=False)

    @classmethod
    def open(cls, name: str) -> Source:
        if name == "-":
            return cls("-", None, sys.stdin.buffer)
        path = Path(name)
        if not path.is_file():
            if name.startswith(("tcp://", "udp://")):
                raise FileNotFoundError(f"{name} is a live feed, not a file: use mda live "
                                        f"{name} (alerts as JSON lines) or mda serve {name}")
            raise FileNotFoundError(f"input not found: {name}")
        return cls(name, path.stat().st_size)

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Source:
        """An in-memory source (tests, small inputs)."""
        return cls(name, len(data), io.BufferedReader(io.BytesIO(data)))  # type: ignore[arg-type]

    def lines(self) -> Iterator[bytes]:
        """Raw lines without line endings (LF, CRLF or CR); gzip is recognised by its magic
        bytes. Read in 1 MiB blocks."""
        if self._handle is not None:
            stream: BinaryIO = self._handle
        else:
            stream = open(self.name, "rb")  # noqa: SIM115 - closed below
        self._raw = stream
        try:
            raw = stream
            head = raw.peek(2)[:2] if isinstance(raw, io.BufferedReader) else b""
            if head == b"\x1f\x8b":
                raw = gzip.open(raw, "rb")  # type: ignore[assignment]  # noqa: SIM115
            carry = b""
            while True:
                block = raw.read(1 << 20)
                if not block:
                    break
                block = carry + block
                cut = block.rfind(b"\n") + 1
                if cut == 0:
                    carry = block
                    continue
                carry = block[cut:]
                yield from block[:cut].splitlines()
            if carry:
                yield from carry.splitlines()
        finally:
            if self._handle is None or self.name != "-":
                stream.close()

    def position(self) -> int:
        """Bytes consumed so far of the underlying file (compressed bytes for gzip)."""
        raw = getattr(self, "_raw", None)
        try:
            return int(raw.tell()) if raw is not None else 0
        except (OSError, ValueError):
            return 0


def make_decoder(source: str, fmt: str, stats: IngestStats,
                 dedup: Deduplicator) -> NmeaDecoder | TableDecoder | SarDecoder:
    if fmt == "nmea":
        return NmeaDecoder(source, stats, dedup)
    if fmt == "sar":
        return SarDecoder(source, stats)
    return TableDecoder(source, stats, fmt)
