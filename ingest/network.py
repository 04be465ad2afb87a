"""Live sources: a TCP feed (reconnecting with backoff, TCP keep-alive), a UDP listener, a
gpsd daemon's raw NMEA (``gpsd://HOST[:2947]``), and standard input read line by line. They
yield raw lines like file sources, and :meth:`timed_lines` yields each with the wall-clock
UTC time it was received (from an injectable clock), which the decoder gives a sentence that
carries no time of its own (``NmeaDecoder.arrival``; tag-block and prefix times win). The
caller's decoder does the rest.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

Clock = Callable[[], float]  # wall-clock UTC, seconds since the epoch

LIVE_PREFIXES = ("tcp://", "udp://", "gpsd://")
GPSD_PORT = 2947
# gpsd's watch command asking for the raw NMEA/AIVDM stream of every device as received
# (gpsd_json(5): raw=1 "reports the unprocessed NMEA or AIVDM data stream"; a request is
# "?" COMMAND "=" JSON, ended by ";" or a newline).
GPSD_WATCH = b'?WATCH={"enable":true,"raw":1};\n'


def is_live(name: str) -> bool:
    """Whether ``name`` names a live source (a network feed; ``-`` is stdin, live or not)."""
    return name.startswith(LIVE_PREFIXES)


def _keepalive(sock: socket.socket) -> None:
    """TCP keep-alive, so a feed whose far end vanished (a receiver unplugged, a NAT timeout)
    is noticed within about a minute and reconnected."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for opt, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, opt):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, opt), value)


@dataclass
class NetworkSource:
    """``tcp://HOST:PORT`` (connect to a feed), ``udp://[HOST]:PORT`` (listen) or
    ``gpsd://HOST[:PORT]`` (connect to gpsd, port 2947 by default, and ask for its raw NMEA
    with :data:`GPSD_WATCH`, again on every reconnection; a client like tcp)."""

    name: str
    idle_timeout_s: float | None = None  # stop after this long without data (tests, batches)
    max_backoff_s: float = 30.0
    size: int | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Clock = time.time
    stop: threading.Event | None = None  # set: stop reading at the next poll (about 0.5 s)
    # What happened, for feed health: connections made, and the current state
    # ("connecting", "connected", "listening", "disconnected", "stopped").
    connects: int = 0
    state: str = "idle"
    label: str | None = None  # the name the user gave it (NAME=tcp://...), else the URL
    protocol_lines: int = 0  # gpsd: its JSON reports, skipped (not AIS, not rejects)
    notice: str | None = None  # gpsd: the message of its last ERROR report
    _poll_s: float = field(default=0.5, repr=False)

    @staticmethod
    def is_network(name: str) -> bool:
        return is_live(name)

    def _addr(self) -> tuple[str, int]:
        rest = self.name.split("://", 1)[1]
        if self.name.startswith("gpsd://") and ":" not in rest:
            rest = f"{rest or 'localhost'}:{GPSD_PORT}"
        host, _, port = rest.rpartition(":")
        if not port.isdigit():
            raise ValueError(f"{self.name}: expected tcp://HOST:PORT, udp://[HOST]:PORT or "
                             "gpsd://HOST[:PORT]")
        return host or ("0.0.0.0" if self.name.startswith("udp") else "127.0.0.1"), int(port)

    def position(self) -> int:
        return 0

    def _stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def _wait(self, seconds: float) -> None:
        if self.stop is not None:
            self.stop.wait(seconds)
        else:
            self.sleep(seconds)

    def lines(self) -> Iterator[bytes]:
        for _, raw in self.timed_lines():
            yield raw

    def timed_lines(self) -> Iterator[tuple[float, bytes]]:
        """(arrival time, raw line) pairs; the time is taken when the bytes are received."""
        for t, chunk in self.timed_chunks():
            for line in chunk:
                yield t, line

    def timed_chunks(self) -> Iterator[tuple[float, list[bytes]]]:
        """(arrival time, the complete lines of one receive): what :meth:`timed_lines`
        yields, a receive at a time (a live loop queues one item per receive, not per
        line)."""
        try:
            if self.name.startswith("udp://"):
                yield from self._udp()
            elif self.name.startswith("gpsd://"):
                yield from self._gpsd(self._tcp())
            else:
                yield from self._tcp()
        finally:
            self.state = "stopped"

    def _udp(self) -> Iterator[tuple[float, list[bytes]]]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(self._addr())
        poll = self.idle_timeout_s or self._poll_s
        if self.stop is not None:
            poll = min(poll, self._poll_s)
        sock.settimeout(poll)
        self.state = "listening"
        idle_since = time.monotonic()
        clock = self.clock
        try:
            while not self._stopped():
                try:
                    data, _ = sock.recvfrom(65535)
                except TimeoutError:
                    if (self.idle_timeout_s is not None
                            and time.monotonic() - idle_since >= self.idle_timeout_s):
                        return
                    continue
                idle_since = time.monotonic()
                yield clock(), data.splitlines()
        finally:
            sock.close()

    def _tcp(self) -> Iterator[tuple[float, list[bytes]]]:
        backoff = 0.5
        idle_since = time.monotonic()
        clock = self.clock
        while not self._stopped():
            self.state = "connecting"
            try:
                sock = socket.create_connection(self._addr(), timeout=5.0)
            except OSError:
                self.state = "disconnected"
                if self.idle_timeout_s is not None and \
                        time.monotonic() - idle_since > self.idle_timeout_s:
                    return
                self._wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
                continue
            backoff = 0.5
            _keepalive(sock)
            try:
                self._connected(sock)
            except OSError:
                sock.close()
                self.state = "disconnected"
                self._wait(backoff)
                continue
            self.connects += 1
            self.state = "connected"
            poll = self.idle_timeout_s or 30.0
            if self.stop is not None:
                poll = min(poll, self._poll_s)
            sock.settimeout(poll)
            carry = b""
            t = clock()
            try:
                while not self._stopped():
                    try:
                        data = sock.recv(65536)
                    except TimeoutError:
                        if (self.idle_timeout_s is not None
                                and time.monotonic() - idle_since >= self.idle_timeout_s):
                            if carry:
                                yield t, [carry]
                            return
                        continue
                    if not data:
                        break  # the feed closed: reconnect
                    idle_since = time.monotonic()
                    t = clock()
                    data = carry + data
                    cut = data.rfind(b"\n") + 1
                    carry = data[cut:]
                    if cut:
                        yield t, data[:cut].splitlines()
            except OSError:
                pass
            finally:
                sock.close()
                self.state = "disconnected"
            if carry:
                yield t, [carry]
                carry = b""

    def _connected(self, sock: socket.socket) -> None:
        """On each new TCP connection, before reading: gpsd is asked for its raw NMEA."""
        if self.name.startswith("gpsd://"):
            sock.sendall(GPSD_WATCH)

    def _gpsd(self, chunks: Iterator[tuple[float, list[bytes]]]
              ) -> Iterator[tuple[float, list[bytes]]]:
        """gpsd's own JSON reports (``{"class":"VERSION",...}``, ``DEVICES``, ``WATCH``,
        ``TPV``, ...) are protocol, not AIS: not yielded nor rejected but counted in
        ``protocol_lines``; the message of its last ``ERROR`` report is kept in ``notice``."""
        for t, chunk in chunks:
            keep = []
            for line in chunk:
                if line.lstrip()[:1] == b"{":
                    self.protocol_lines += 1
                    if b'"ERROR"' in line:
                        self._error_report(line)
                else:
                    keep.append(line)
            if keep:
                yield t, keep

    def _error_report(self, line: bytes) -> None:
        import json

        try:
            obj = json.loads(line)
        except ValueError:
            return
        if isinstance(obj, dict) and obj.get("class") == "ERROR":
            self.notice = f"gpsd: {obj.get('message', 'error')}"


@dataclass
class StdinSource:
    """Standard input read as a live feed (``-`` in ``mda live``): each line is stamped when
    it is read, not when the input ends."""

    name: str = "-"
    clock: Clock = time.time
    stream: BinaryIO | None = None
    size: int | None = None
    state: str = "idle"
    connects: int = 0

    def position(self) -> int:
        return 0

    def lines(self) -> Iterator[bytes]:
        for _, raw in self.timed_lines():
            yield raw

    def timed_lines(self) -> Iterator[tuple[float, bytes]]:
        stream = self.stream if self.stream is not None else sys.stdin.buffer
        self.state = "connected"
        try:
            for line in iter(stream.readline, b""):
                yield self.clock(), line.rstrip(b"\r\n")
        finally:
            self.state = "stopped"
