"""A real local AIS feed for live tests: lines of a shared capture with their receive-time
prefixes removed (what rtl-ais or AIS-catcher send), served over TCP by a server the test
starts on 127.0.0.1, or sent as UDP datagrams."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from ingest.framing import nmea_checksum, parse_time_text

CAPTURE = "regional/caribewave_vernon_seine_nmea_localtime_2016-03-31.log.gz"


def capture(shared: Path, limit: int | None = None) -> list[tuple[float, bytes]]:
    """(the capture's receive time, the bare sentence) for the lines of the capture, in
    order. Lines look like ``2016-03-31 00:00:01, !AIVDM,...``."""
    out: list[tuple[float, bytes]] = []
    with gzip.open(shared / CAPTURE, "rb") as f:
        for line in f:
            prefix, sep, sentence = line.rstrip(b"\r\n").partition(b"!")
            if not sep:
                continue
            t = parse_time_text(prefix)
            assert t is not None, line
            out.append((t, b"!" + sentence))
            if limit is not None and len(out) >= limit:
                break
    assert out, "empty capture"
    return out


def tag_blocked(t: float, sentence: bytes) -> bytes:
    """The sentence behind an NMEA 4.0 tag block carrying ``c:`` (unix seconds)."""
    body = f"c:{int(t)}".encode()
    return b"\\" + body + b"*" + f"{nmea_checksum(body):02X}".encode() + b"\\" + sentence


def iso(t: float) -> str:
    return datetime.fromtimestamp(t).isoformat()


class FeedServer:
    """A TCP feed server on 127.0.0.1: each client gets ``lines`` (paced ``interval_s``
    apart), then the connection stays open (``hold``) or is closed."""

    def __init__(self, lines: Sequence[bytes], port: int = 0, interval_s: float = 0.0,
                 hold: bool = True) -> None:
        self.lines = list(lines)
        self.interval_s = interval_s
        self.hold = hold
        self.clients = 0
        self._stop = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.clients += 1
            self._conns.append(conn)
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn: socket.socket) -> None:
        try:
            if self.interval_s <= 0:
                conn.sendall(b"".join(line + b"\r\n" for line in self.lines))
            else:
                for line in self.lines:
                    if self._stop.is_set():
                        return
                    conn.sendall(line + b"\r\n")
                    time.sleep(self.interval_s)
            while self.hold and not self._stop.is_set():
                time.sleep(0.05)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()
        for c in self._conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()


def wait_until(cond: Callable[[], object], timeout: float = 10.0) -> bool:
    """Poll ``cond`` every 50 ms until it is true (True) or ``timeout`` s pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def free_udp_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def send_udp(port: int, lines: Sequence[bytes], per_datagram: int = 5,
             interval_s: float = 0.001) -> None:
    """Send lines to 127.0.0.1:port as rtl-ais does (a few sentences per datagram)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for i in range(0, len(lines), per_datagram):
            s.sendto(b"".join(x + b"\r\n" for x in lines[i:i + per_datagram]),
                     ("127.0.0.1", port))
            time.sleep(interval_s)
    finally:
        s.close()


GPSD_VERSION = (b'{"class":"VERSION","release":"3.25","rev":"3.25","proto_major":3,'
                b'"proto_minor":15}')
GPSD_DEVICES = (b'{"class":"DEVICES","devices":[{"class":"DEVICE","path":"/dev/ttyUSB0",'
                b'"driver":"AIVDM","activated":"2016-03-31T00:00:00.000Z","flags":1,'
                b'"native":0,"bps":38400,"parity":"N","stopbits":1,"cycle":1.00}]}')
GPSD_WATCH_REPLY = (b'{"class":"WATCH","enable":true,"json":false,"nmea":false,"raw":1,'
                    b'"scaled":false,"timing":false,"split24":false,"pps":false}')
GPSD_TPV = b'{"class":"TPV","device":"/dev/ttyUSB0","mode":1}'


class FakeGpsd(FeedServer):
    """A tiny gpsd on 127.0.0.1 (gpsd_json(5)): on connect it sends its VERSION report, then
    waits for a ``?WATCH={...}`` request line. Only when the request enables watching with
    ``raw`` 1 does it answer DEVICES and WATCH and stream ``lines`` (the raw NMEA, as gpsd
    relays it) with a JSON report (TPV) after every ``json_every`` sentences; any other
    request gets an ERROR report and nothing more. ``requests`` keeps what clients sent;
    ``json_sent`` counts the JSON lines sent."""

    def __init__(self, lines: Sequence[bytes], port: int = 0, json_every: int = 50) -> None:
        self.json_every = json_every
        self.requests: list[bytes] = []
        self.json_sent = 0
        self.streamed = 0
        super().__init__(lines, port=port)

    @property
    def url(self) -> str:
        return f"gpsd://127.0.0.1:{self.port}"

    def _send_json(self, conn: socket.socket, obj: bytes) -> None:
        conn.sendall(obj + b"\r\n")
        self.json_sent += 1

    def _client(self, conn: socket.socket) -> None:
        import json

        stop = self._stop
        try:
            self._send_json(conn, GPSD_VERSION)
            conn.settimeout(5.0)
            request = b""
            while b"\n" not in request and len(request) < 200:
                chunk = conn.recv(256)
                if not chunk:
                    return
                request += chunk
            line = request.split(b"\n", 1)[0].strip()
            self.requests.append(line)
            ok = False
            if line.startswith(b"?WATCH=") and line.endswith(b";"):
                with contextlib.suppress(ValueError):
                    arg = json.loads(line[len(b"?WATCH="):-1])
                    ok = arg.get("enable") is True and arg.get("raw") == 1
            if not ok:
                self._send_json(conn, b'{"class":"ERROR","message":"Unrecognized request"}')
                return
            self._send_json(conn, GPSD_DEVICES)
            self._send_json(conn, GPSD_WATCH_REPLY)
            for i in range(0, len(self.lines), self.json_every):
                if stop.is_set():
                    return
                chunk_lines = self.lines[i:i + self.json_every]
                conn.sendall(b"".join(x + b"\r\n" for x in chunk_lines))
                self.streamed += len(chunk_lines)
                self._send_json(conn, GPSD_TPV)
            while not stop.is_set():
                time.sleep(0.05)
        except OSError:
            pass
        finally:
            conn.close()
