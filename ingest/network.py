"""Live sources: a TCP feed (reconnecting with backoff) and a UDP listener. They yield raw
lines like file sources; the caller's decoder does the rest."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass
class NetworkSource:
    """``tcp://HOST:PORT`` (connect to a feed) or ``udp://[HOST]:PORT`` (listen)."""

    name: str
    idle_timeout_s: float | None = None  # stop after this long without data (tests, batches)
    max_backoff_s: float = 30.0
    size: int | None = None
    sleep: Callable[[float], None] = time.sleep

    @staticmethod
    def is_network(name: str) -> bool:
        return name.startswith(("tcp://", "udp://"))

    def _addr(self) -> tuple[str, int]:
        rest = self.name.split("://", 1)[1]
        host, _, port = rest.rpartition(":")
        if not port.isdigit():
            raise ValueError(f"{self.name}: expected tcp://HOST:PORT or udp://[HOST]:PORT")
        return host or ("0.0.0.0" if self.name.startswith("udp") else "127.0.0.1"), int(port)

    def position(self) -> int:
        return 0

    def lines(self) -> Iterator[bytes]:
        if self.name.startswith("udp://"):
            yield from self._udp()
        else:
            yield from self._tcp()

    def _udp(self) -> Iterator[bytes]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(self._addr())
        sock.settimeout(self.idle_timeout_s or 1.0)
        try:
            while True:
                try:
                    data, _ = sock.recvfrom(65535)
                except TimeoutError:
                    if self.idle_timeout_s is not None:
                        return
                    continue
                yield from data.splitlines()
        finally:
            sock.close()

    def _tcp(self) -> Iterator[bytes]:
        backoff = 0.5
        idle_since = time.monotonic()
        while True:
            try:
                sock = socket.create_connection(self._addr(), timeout=5.0)
            except OSError:
                if self.idle_timeout_s is not None and \
                        time.monotonic() - idle_since > self.idle_timeout_s:
                    return
                self.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
                continue
            backoff = 0.5
            sock.settimeout(self.idle_timeout_s or 30.0)
            carry = b""
            try:
                while True:
                    try:
                        data = sock.recv(65536)
                    except TimeoutError:
                        if self.idle_timeout_s is not None:
                            if carry:
                                yield carry
                            return
                        continue
                    if not data:
                        break  # the feed closed: reconnect
                    idle_since = time.monotonic()
                    data = carry + data
                    cut = data.rfind(b"\n") + 1
                    carry = data[cut:]
                    yield from data[:cut].splitlines()
            except OSError:
                pass
            finally:
                sock.close()
            if carry:
                yield carry
                carry = b""
