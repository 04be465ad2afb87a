"""``gpsd://HOST[:PORT]`` (issue 10): the live path asks gpsd for its raw NMEA with a WATCH
request, feeds the sentences to the detectors like any receiver's, and counts gpsd's own JSON
reports apart (not rejects). Against a small gpsd the test starts on 127.0.0.1 (tests/live/
feed.py), streaming the Vernon capture's sentences with their receive-time prefixes removed."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

from ingest.network import GPSD_PORT, NetworkSource
from mda.live import LiveFeed, open_live
from mda.records import TIME_ARRIVAL, PositionReport
from mda.runner import EmbeddedRunner
from mda.settings import preset_settings
from tests.live.feed import FakeGpsd, FeedServer, capture, wait_until


def _run_until(url: str, n: int) -> tuple[LiveFeed, list[PositionReport], dict[str, Any],
                                         list[dict[str, Any]]]:
    stop = threading.Event()
    got: list[PositionReport] = []
    feed = LiveFeed(EmbeddedRunner(preset_settings()), [open_live(url, stop=stop)],
                    on_record=got.append)
    th = threading.Thread(target=feed.run, args=(stop,), daemon=True)
    th.start()
    try:
        assert wait_until(lambda: feed.health_of[0].messages >= n), feed.health()
        health = feed.health()  # while connected
    finally:
        stop.set()
        th.join(timeout=10)
    return feed, got, feed.runner.summary().as_dict(), health


def test_gpsd_source_sends_a_raw_watch_and_feeds_its_nmea(shared: Path) -> None:
    lines = [s for _, s in capture(shared, 4000)]
    gpsd = FakeGpsd(lines, json_every=40)
    try:
        _, got, summary, (health,) = _run_until(gpsd.url, len(lines))
    finally:
        gpsd.close()
    (request,) = gpsd.requests
    assert request.startswith(b"?WATCH=")
    watch = json.loads(request[len(b"?WATCH="):].rstrip(b";"))
    assert watch["enable"] is True and watch["raw"] == 1
    # Every sentence reached the decoder; no JSON report did (not read, not rejected).
    assert gpsd.json_sent == 3 + len(lines) // 40  # VERSION, DEVICES, WATCH, then TPVs
    assert summary["lines_read"] == len(lines)
    assert health["messages"] == len(lines)
    assert health["protocol_lines"] == gpsd.json_sent
    assert health["state"] == "connected" and health["connects"] == 1
    assert health["notice"] is None
    assert summary["positions"] > 1500 and summary["vessels"] >= 3
    assert got and all(r.time_source == TIME_ARRIVAL for r in got)


def test_gpsd_gives_the_same_records_and_rejects_as_the_plain_tcp_feed(shared: Path) -> None:
    lines = [s for _, s in capture(shared, 3000)]
    gpsd = FakeGpsd(lines, json_every=7)
    plain = FeedServer(lines)
    try:
        _, via_gpsd, a, _ = _run_until(gpsd.url, len(lines))
        _, via_tcp, b, _ = _run_until(plain.url, len(lines))
    finally:
        gpsd.close()
        plain.close()
    assert a["rejected"] == b["rejected"]
    assert a["positions"] == b["positions"] and a["vessels"] == b["vessels"]
    key = [(r.mmsi, r.lat, r.lon) for r in via_gpsd]
    assert key == [(r.mmsi, r.lat, r.lon) for r in via_tcp]


def test_gpsd_source_reconnects_and_watches_again(shared: Path) -> None:
    lines = [s for _, s in capture(shared, 2000)]
    first = FakeGpsd(lines[:1000])
    port = first.port
    stop = threading.Event()
    feed = LiveFeed(EmbeddedRunner(preset_settings()), [open_live(f"ais=gpsd://127.0.0.1:{port}",
                                                                  stop=stop)])
    th = threading.Thread(target=feed.run, args=(stop,), daemon=True)
    th.start()
    second: FakeGpsd | None = None
    try:
        assert wait_until(lambda: feed.health_of[0].messages >= 1000)
        first.close()
        time.sleep(0.5)
        second = FakeGpsd(lines[1000:], port=port)
        assert wait_until(lambda: feed.health_of[0].messages >= 2000, 15.0), feed.health()
    finally:
        stop.set()
        th.join(timeout=10)
        first.close()
        if second is not None:
            second.close()
    # Every connection to the restarted gpsd sent the WATCH again.
    assert second is not None and second.requests and len(second.requests) == second.clients
    assert all(b'"raw":1' in r for r in second.requests)
    (health,) = feed.health()
    assert health["name"] == "ais" and health["connects"] >= 2


def test_gpsd_error_report_is_kept_as_a_notice(shared: Path) -> None:
    """A gpsd that refuses the request answers an ERROR report: kept in the source's health,
    nothing decoded and nothing rejected."""

    class Refusing(FakeGpsd):
        def _client(self, conn: socket.socket) -> None:
            with conn:
                self._send_json(conn, b'{"class":"ERROR","message":"Unrecognized request"}')
                while not self._stop.is_set():
                    time.sleep(0.05)

    server = Refusing([])
    stop = threading.Event()
    feed = LiveFeed(EmbeddedRunner(preset_settings()), [open_live(server.url, stop=stop)])
    th = threading.Thread(target=feed.run, args=(stop,), daemon=True)
    th.start()
    try:
        assert wait_until(lambda: feed.health()[0]["notice"] is not None)
    finally:
        stop.set()
        th.join(timeout=10)
        server.close()
    (health,) = feed.health()
    assert health["notice"] == "gpsd: Unrecognized request"
    assert health["protocol_lines"] == 1 and health["messages"] == 0
    assert feed.runner.summary().as_dict()["lines_rejected"] == 0


def test_gpsd_url_defaults_to_port_2947_and_rejects_a_bad_one() -> None:
    assert NetworkSource("gpsd://localhost")._addr() == ("localhost", GPSD_PORT)
    assert NetworkSource("gpsd://10.0.0.7:3000")._addr() == ("10.0.0.7", 3000)
    assert NetworkSource("gpsd://")._addr() == ("localhost", GPSD_PORT)
    try:
        open_live("gpsd://host:port")
    except ValueError as exc:
        assert "gpsd://HOST[:PORT]" in str(exc)
    else:
        raise AssertionError("a malformed gpsd URL was accepted")
