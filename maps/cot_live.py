"""Live Cursor-on-Target: the picture's vessels and alerts streamed to TAK as they change.

``mda serve ... --cot udp://239.2.3.1:6969`` (the TAK multicast default; any unicast address
works too) or ``--cot tcp://HOST:8087`` (a TAK server's streaming input). Each event is one CoT
XML document (maps/export.py: the same events as ``mda export -f cot``, with the vessel's CoT
type by ship category), stamped with the wall-clock time it is sent and stale ``stale_s``
later, so a TAK client drops a vessel that stops reporting. A vessel is sent at most every
``min_interval_s`` (a busy feed would flood a tactical network); every alert state is sent.
With ``--cot-partner NAME`` (and ``--partners``) only what that partner may see is sent
(maps/partners.py).

Sending never blocks the picture: events go through a bounded queue to one sender thread. A
TCP target is reconnected with backoff (0.5 s doubling to 30 s); while it is down, events
wait in the queue, and when the queue is full the oldest vessel update is dropped first
(counted in :attr:`CotStreamer.dropped`), never an alert unless only alerts are queued.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from maps.export import cot_alert_event, cot_vessel_event
from mda.records import PositionReport, VesselStatic
from mda.vessels import NOTHING_KNOWN, VesselLookup

Clock = Callable[[], float]


def parse_target(spec: str) -> tuple[str, str, int]:
    """``udp://HOST:PORT`` or ``tcp://HOST:PORT`` -> (scheme, host, port); ValueError else."""
    scheme, sep, rest = spec.partition("://")
    host, _, port = rest.rpartition(":")
    if not sep or scheme not in ("udp", "tcp") or not host or not port.isdigit() \
            or not 0 < int(port) < 65536:
        raise ValueError(f"--cot {spec}: expected udp://HOST:PORT (e.g. the TAK multicast "
                         "udp://239.2.3.1:6969) or tcp://HOST:PORT (a TAK server, e.g. :8087)")
    return scheme, host.strip("[]"), int(port)


class CotStreamer:
    """A picture sink that forwards vessel positions and alerts as CoT events (module
    docstring). Wrap the picture's state with :class:`CotTee` to use it."""

    def __init__(self, target: str, stale_s: float = 600.0, min_interval_s: float = 10.0,
                 max_queue: int = 10_000, clock: Clock = time.time,
                 vessel_info: VesselLookup | None = None,
                 scope: Any = None) -> None:
        self.scheme, self.host, self.port = parse_target(target)
        # A partner (maps.partners.Partner): only what it may see is sent; None: everything.
        self.scope = scope
        self.target = target
        self.stale_s = stale_s
        self.min_interval_s = min_interval_s
        self.clock = clock
        self.vessel_info = vessel_info or (lambda mmsi: NOTHING_KNOWN)
        self.sent = 0
        self.dropped = 0
        self.errors = 0
        self.connects = 0
        self.last_error: str | None = None
        self._queue: deque[tuple[bool, bytes]] = deque()  # (is_alert, xml)
        self._max = max_queue
        self._cv = threading.Condition()
        self._last_sent: dict[int, float] = {}
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread = threading.Thread(target=self._run, name="mda-cot", daemon=True)

    # -- sink side (any thread) --------------------------------------------------------------
    def start(self) -> CotStreamer:
        self._thread.start()
        return self

    def position(self, report: PositionReport) -> None:
        if report.ts is None:
            return
        scope = self.scope
        if scope is not None and not (scope.reads("ais") and scope.covers(report.lon,
                                                                          report.lat)):
            return
        now = self.clock()
        last = self._last_sent.get(report.mmsi)
        if last is not None and now - last < self.min_interval_s:
            return
        self._last_sent[report.mmsi] = now
        ev = cot_vessel_event(report, self.vessel_info(report.mmsi), self.stale_s,
                              now=datetime.fromtimestamp(now, UTC))
        self._put(False, ET.tostring(ev))

    def alert(self, alert: dict[str, Any]) -> None:
        if self.scope is not None and not self.scope.sees_alert(alert):
            return
        now = datetime.fromtimestamp(self.clock(), UTC)
        self._put(True, ET.tostring(cot_alert_event(alert, self.stale_s, now)))

    def _put(self, is_alert: bool, xml: bytes) -> None:
        with self._cv:
            if len(self._queue) >= self._max:
                # Make room: the oldest vessel update goes first, an alert only if no other.
                for i, (a, _) in enumerate(self._queue):
                    if not a:
                        del self._queue[i]
                        break
                else:
                    self._queue.popleft()
                self.dropped += 1
            self._queue.append((is_alert, xml))
            self._cv.notify()

    def stats(self) -> dict[str, Any]:
        with self._cv:
            queued = len(self._queue)
        return {"target": self.target, "sent": self.sent, "queued": queued,
                "dropped": self.dropped, "connects": self.connects, "errors": self.errors,
                "last_error": self.last_error}

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until the queue is empty (True) or ``timeout_s`` passed (False)."""
        deadline = time.monotonic() + timeout_s
        with self._cv:
            while self._queue and time.monotonic() < deadline:
                self._cv.wait(0.05)
            return not self._queue

    def close(self, timeout_s: float = 2.0) -> None:
        self.flush(timeout_s)
        self._stop.set()
        with self._cv:
            self._cv.notify_all()
        self._thread.join(timeout=timeout_s + 1.0)
        self._close_socket()

    # -- sender thread -----------------------------------------------------------------------
    def _connect(self) -> socket.socket:
        if self.scheme == "udp":
            info = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM)[0]
            sock = socket.socket(info[0], socket.SOCK_DGRAM)
            if info[0] == socket.AF_INET and 224 <= int(info[4][0].split(".")[0]) <= 239:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL,
                                struct.pack("b", 1))  # the local network only
            sock.connect(info[4])
        else:
            sock = socket.create_connection((self.host, self.port), timeout=5.0)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self.connects += 1
        return sock

    def _close_socket(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            with self._cv:
                while not self._queue and not self._stop.is_set():
                    self._cv.wait(0.2)
                if not self._queue:
                    continue
                _, xml = self._queue[0]
            try:
                if self._sock is None:
                    self._sock = self._connect()
                if self.scheme == "udp":
                    self._sock.send(xml)
                else:
                    self._sock.sendall(xml + b"\n")
            except OSError as exc:
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                self._close_socket()
                self._stop.wait(backoff)  # the event stays queued for the next attempt
                backoff = min(backoff * 2.0, 30.0)
                continue
            backoff = 0.5
            with self._cv:
                if self._queue and self._queue[0][1] is xml:
                    self._queue.popleft()
                self.sent += 1
                self._cv.notify_all()


class CotTee:
    """A picture sink that feeds the picture's state and a :class:`CotStreamer`."""

    def __init__(self, state: Any, cot: CotStreamer) -> None:
        self.state = state
        self.cot = cot
        cot.vessel_info = state.vessel_info

    def on_position(self, report: PositionReport) -> None:
        self.state.on_position(report)
        self.cot.position(report)

    def on_static(self, static: VesselStatic) -> None:
        self.state.on_static(static)

    def on_alert(self, alert: dict[str, Any]) -> None:
        self.state.on_alert(alert)
        self.cot.alert(alert)

    def on_clock(self, t: float) -> None:
        self.state.on_clock(t)

    def use_vessel_info(self, info: VesselLookup) -> None:
        self.state.use_vessel_info(info)
