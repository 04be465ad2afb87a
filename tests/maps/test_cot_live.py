"""Live Cursor-on-Target (issue 12): ``mda serve --cot`` streams vessels and alerts as CoT
events to a real local UDP or TCP listener the test starts on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from maps.cot_live import CotStreamer, parse_target
from maps.export import COT_ALERT_TYPE, cot_vessel_type
from mda.cli import main
from mda.records import PositionReport
from mda.synthetic import epoch
from tests.maps.scenario import SAMPLE


class Listener:
    """A UDP or TCP listener on 127.0.0.1 that keeps every CoT event it receives."""

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        kind = socket.SOCK_DGRAM if scheme == "udp" else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, kind)
        if scheme == "udp":  # a burst of datagrams must not overflow the test's listener
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.events: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        if scheme == "tcp":
            self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.scheme == "udp":
                    data, _ = self.sock.recvfrom(65536)
                    self.events.append(data)
                    continue
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.settimeout(0.2)
            buf = b""
            with conn:
                while not self._stop.is_set():
                    try:
                        chunk = conn.recv(65536)
                    except TimeoutError:
                        continue
                    except OSError:
                        break
                    if not chunk:
                        break
                    buf += chunk
                    *lines, buf = buf.split(b"\n")
                    self.events += [x for x in lines if x.strip()]

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=2)
        with contextlib.suppress(OSError):
            self.sock.close()


def parsed(events: list[bytes]) -> list[ET.Element]:
    return [ET.fromstring(e) for e in events]  # every event is one well-formed XML document


def child(e: ET.Element, path: str) -> ET.Element:
    """``e``'s element at ``path``, which must be there."""
    found = e.find(path)
    assert found is not None, (path, ET.tostring(e))
    return found


def _check_events(events: list[ET.Element], alerts: list[dict[str, Any]]) -> None:
    vessels = [e for e in events if e.get("uid", "").startswith("MMSI-")]
    cot_alerts = [e for e in events if e.get("type") == COT_ALERT_TYPE]
    assert vessels and cot_alerts
    for e in events:
        assert e.tag == "event" and e.get("version") == "2.0"
        for key in ("uid", "type", "how", "time", "start", "stale"):
            assert e.get(key), (key, ET.tostring(e))
        assert e.get("stale", "") > e.get("time", "")  # ISO times compare as strings
        point = e.find("point")
        assert point is not None
        assert -90 <= float(point.get("lat", "nan")) <= 90
        assert -180 <= float(point.get("lon", "nan")) <= 180
    # Every alert state the run produced went out, with its remarks.
    sent_ids = {child(e, "detail/__mda").get("alert_id") for e in cot_alerts}
    assert sent_ids == {a["alert_id"] for a in alerts}
    assert all((e.findtext("detail/remarks") or "") for e in cot_alerts)
    # Vessel types follow the ship category (the sample has a tanker and a fishing vessel).
    assert {"a-u-S-X-M-O", "a-u-S-X-F"} <= {e.get("type") for e in vessels}


@pytest.mark.parametrize("scheme", ["udp", "tcp"])
def test_serve_streams_vessels_and_alerts_as_cot(scheme: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    listener = Listener(scheme)
    alerts_file = tmp_path / "a.jsonl"
    try:
        assert main(["replay", str(SAMPLE), "--alerts", str(alerts_file), "-q",
                     "--no-shore"]) == 0
        alerts = [json.loads(x) for x in alerts_file.read_text().splitlines()]
        assert main(["serve", str(SAMPLE), "--port", "0", "--speed", "0", "--duration", "3",
                     "--no-shore", "--cot", listener.url, "--cot-every", "1"]) == 0
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(
                COT_ALERT_TYPE.encode() in e for e in listener.events):
            time.sleep(0.1)
    finally:
        listener.close()
    out = capsys.readouterr().out
    assert "CoT to " + listener.url in out and " 0 dropped" in out
    _check_events(parsed(listener.events), alerts)
    if scheme == "tcp":
        assert listener.connections == 1


def test_a_tcp_target_that_comes_up_late_gets_the_queued_events() -> None:
    # Find a free port, start the streamer before anything listens there.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    cot = CotStreamer(f"tcp://127.0.0.1:{port}", min_interval_s=0.0).start()
    t0 = epoch("2024-05-01T00:00:00Z")
    try:
        for i in range(5):
            cot.position(PositionReport(t0, 311000001 + i, 15.0, -70.0, 10.0, 90.0, 90, 0, 1))
        time.sleep(1.0)  # connection refused meanwhile: the events wait
        assert cot.stats()["sent"] == 0 and cot.stats()["errors"] >= 1
        listener = socket.socket()
        listener.bind(("127.0.0.1", port))
        listener.listen(1)
        listener.settimeout(40)
        conn, _ = listener.accept()
        conn.settimeout(5)
        data = b""
        with conn:
            while data.count(b"\n") < 5:
                data += conn.recv(65536)
        listener.close()
    finally:
        cot.close()
    uids = {e.get("uid") for e in parsed([x for x in data.split(b"\n") if x])}
    assert uids == {f"MMSI-{311000001 + i}" for i in range(5)}


def test_a_full_queue_drops_vessel_updates_before_alerts() -> None:
    cot = CotStreamer("udp://127.0.0.1:9", max_queue=3)  # never started: nothing is sent
    t0 = epoch("2024-05-01T00:00:00Z")
    alert = {"alert_id": "a1", "kind": "gap", "status": "open", "severity": "medium",
             "mmsi": 311000001, "start": "2024-05-01T00:00:00Z", "lat": 15.0, "lon": -70.0,
             "summary": "dark", "evidence": {}}
    cot.alert(alert)
    for i in range(4):
        cot.position(PositionReport(t0, 311000001 + i, 15.0, -70.0, 10.0, 90.0, 90, 0, 1))
    stats = cot.stats()
    assert stats["queued"] == 3 and stats["dropped"] == 2
    kinds = [is_alert for is_alert, _ in cot._queue]
    assert kinds == [True, False, False]


def test_bad_targets_are_clear_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("239.2.3.1:6969", "http://x:1", "udp://host", "tcp://h:0"):
        with pytest.raises(ValueError, match="udp://HOST:PORT"):
            parse_target(bad)
    assert main(["serve", "--port", "0", "--duration", "0", "--cot", "udp://nowhere"]) == 2
    assert "--cot udp://nowhere" in capsys.readouterr().err


def test_cot_types_by_ship_category() -> None:
    assert cot_vessel_type(30) == "a-u-S-X-F"
    assert cot_vessel_type(70) == "a-u-S-X-M-C"
    assert cot_vessel_type(84) == "a-u-S-X-M-O"
    assert cot_vessel_type(None) == "a-u-S"


def test_a_partners_cot_stream_carries_only_what_it_may_see(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The sample's vessels lie either side of 68.6 W; the partner sees the west and gap alerts.
    partners = tmp_path / "partners.toml"
    partners.write_text('[[partner]]\nname = "West"\ntoken = "west-token-0123456789"\n'
                        'area_bbox = [-90.0, 0.0, -68.6, 40.0]\nlayers = ["ais", "alerts:gap"]\n'
                        '[[partner]]\nname = "Ops"\nrole = "operator"\n'
                        'token = "operator-token-0123456789"\n', encoding="utf-8")
    alerts_file = tmp_path / "a.jsonl"
    assert main(["replay", str(SAMPLE), "--alerts", str(alerts_file), "-q", "--no-shore"]) == 0
    alerts = [json.loads(x) for x in alerts_file.read_text().splitlines()]
    def stream(*extra: str) -> list[ET.Element]:
        listener = Listener("udp")
        try:
            assert main(["serve", str(SAMPLE), "--port", "0", "--speed", "0", "--duration",
                         "3", "--no-shore", "--partners", str(partners), "--cot",
                         listener.url, "--cot-every", "1", *extra]) == 0
            time.sleep(0.5)
        finally:
            listener.close()
        return parsed(listener.events)

    def lon(e: ET.Element) -> float:
        return float(child(e, "point").get("lon", "nan"))

    everything = stream()
    assert any(lon(e) > -68.6 for e in everything)  # the sample has vessels east of 68.6 W
    events = stream("--cot-partner", "West")
    assert events and all(lon(e) <= -68.6 for e in events)
    sent = {child(e, "detail/__mda").get("alert_id") for e in events
            if e.get("type") == COT_ALERT_TYPE}
    want = {a["alert_id"] for a in alerts if a["kind"] == "gap" and float(a["lon"]) <= -68.6}
    assert sent == want and want
    assert main(["serve", "--port", "0", "--duration", "0", "--partners", str(partners),
                 "--cot", "udp://127.0.0.1:9", "--cot-partner", "Nobody"]) == 2
    assert "no such partner" in capsys.readouterr().err
