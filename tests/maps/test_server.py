"""The picture server: GeoJSON endpoints and their filters, 400 for malformed parameters, no
file outside the asset cache, the token, acknowledgements, and the paced replay source."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import shapely

from maps.assets import AssetCache
from maps.server import (
    _PARAMS,
    PictureServer,
    PictureState,
    QueryError,
    ReplaySource,
    api_routes,
    is_loopback,
    parse_ack_body,
    parse_query,
)
from mda.cli import main
from mda.records import PositionReport
from mda.synthetic import epoch
from tests.maps import rfc7946
from tests.maps.scenario import SAMPLE
from zones.catalogue import Zone, ZoneRule

T0 = epoch("2024-03-12T06:00:00Z")


def report(mmsi: int, lat: float, lon: float, minutes: float) -> PositionReport:
    return PositionReport(T0 + timedelta(minutes=minutes), mmsi, lat, lon, 10.0, 90.0, 90, 0, 1)


def alert(aid: str, lat: float, lon: float, start: str, end: str | None = None,
          kind: str = "gap", status: str = "open") -> dict[str, Any]:
    return {"alert_id": aid, "kind": kind, "status": status, "severity": "medium",
            "mmsi": 311000001, "other_mmsi": None, "start": start, "end": end, "lat": lat,
            "lon": lon, "zone_id": None, "zone_name": None, "vessel": {}, "evidence": {},
            "summary": f"alert {aid}"}


@pytest.fixture
def state() -> PictureState:
    rule = ZoneRule(ship_types=None, foreign_only=False)
    zones = [Zone("z-pr", "Off Puerto Rico", "restricted", "USA",
                  shapely.box(-67.0, 17.5, -66.0, 18.0), rule),
             Zone("z-fj", "Fiji", "eez", "FJI", shapely.MultiPolygon([
                 shapely.box(178.0, -19.0, 180.0, -16.0), shapely.box(-180.0, -19.0, -179.0,
                                                                       -16.0)]), rule)]
    st = PictureState(zones, clock=lambda: 1_710_000_000.0)
    for m, lat, lon, minutes in ((311000001, 17.8, -66.5, 0), (311000001, 17.8, -66.4, 30),
                                 (311000002, 15.0, -70.0, 10), (311000003, -17.5, 179.5, 50),
                                 (311000004, -17.5, -179.5, 20)):
        st.on_position(report(m, lat, lon, minutes))
    st.on_alert(alert("a-pr", 17.8, -66.4, "2024-03-12T06:00:00Z", "2024-03-12T07:00:00Z",
                      status="closed"))
    st.on_alert(alert("a-sea", 15.0, -70.0, "2024-03-12T08:00:00Z", kind="loitering"))
    st.on_alert(alert("a-fiji", -17.5, 179.5, "2024-03-12T09:00:00Z"))
    return st


@pytest.fixture
def server(state: PictureState, tmp_path: Path) -> Iterator[PictureServer]:
    srv = PictureServer(state, "127.0.0.1", 0, cache=AssetCache(tmp_path / "no-cache")).start()
    try:
        yield srv
    finally:
        srv.stop()


def request(srv: PictureServer, path: str, method: str = "GET", body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)  # the path goes out as is
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def get_json(srv: PictureServer, path: str, **kw: Any) -> Any:
    status, _headers, body = request(srv, path, **kw)
    assert status == 200, body
    return json.loads(body)


def ids(fc: dict[str, Any], key: str = "alert_id") -> set[Any]:
    return {f["properties"][key] for f in fc["features"] if f["geometry"]["type"] == "Point"}


def test_endpoints_are_geojson_with_filters(server: PictureServer) -> None:
    status, headers, body = request(server, "/api/vessels")
    assert status == 200 and headers["content-type"] == "application/geo+json"
    vessels = json.loads(body)
    assert rfc7946.errors(vessels) == [] and len(vessels["features"]) == 4
    assert ids(get_json(server, "/api/vessels?bbox=-67,17,-66,18.5"), "mmsi") == {311000001}
    # west > east: the box crosses the antimeridian (RFC 7946 section 5.2)
    assert ids(get_json(server, "/api/vessels?bbox=179,-18,-179,-17"), "mmsi") == {
        311000003, 311000004}
    assert ids(get_json(server, "/api/vessels?since=2024-03-12T06:25:00Z"), "mmsi") == {
        311000001, 311000003}
    assert ids(get_json(server, "/api/vessels?until=2024-03-12T06:15:00%2B00:00"),
               "mmsi") == {311000002}
    alerts = get_json(server, "/api/alerts")
    assert rfc7946.errors(alerts) == []
    assert [f["properties"]["alert_id"] for f in alerts["features"]] == [
        "a-fiji", "a-sea", "a-pr"]  # newest first
    assert ids(get_json(server, "/api/alerts?since=2024-03-12T07:30:00Z")) == {"a-sea",
                                                                                "a-fiji"}
    assert ids(get_json(server, "/api/alerts?until=2024-03-12T06:30:00Z")) == {"a-pr"}
    assert ids(get_json(server, "/api/alerts?status=open&kind=gap")) == {"a-fiji"}
    zones = get_json(server, "/api/zones")
    assert rfc7946.errors(zones) == [] and len(zones["features"]) == 2
    assert [f["id"] for f in get_json(server, "/api/zones?bbox=179.5,-18,-179.5,-17")[
        "features"]] == ["z-fj"]
    tracks = get_json(server, "/api/tracks?bbox=-67,17,-66,18.5")
    assert rfc7946.errors(tracks) == [] and "t0" in tracks
    assert tracks["features"][0]["geometry"]["type"] == "LineString"
    st = get_json(server, "/api/status")
    assert st["vessels"] == 4 and st["alerts"] == 3 and st["alerts_open"] == 2
    status, headers, page = request(server, "/")
    assert status == 200 and b"mda-alerts" in page
    assert "default-src 'none'" in headers["content-security-policy"]


@pytest.mark.parametrize("query", [
    "/api/vessels?bbox=1,2,3", "/api/vessels?bbox=a,b,c,d", "/api/vessels?bbox=0,0,200,10",
    "/api/vessels?bbox=0,10,1,5", "/api/vessels?bbox=nan,0,1,1", "/api/alerts?since=yesterday",
    "/api/alerts?since=2024-03-12T08:00:00Z&until=2024-03-12T07:00:00Z",
    "/api/alerts?status=pending", "/api/alerts?kind=Gap;DROP", "/api/alerts?kind=pirates",
    "/api/zones?colour=red",
    "/api/vessels?bbox=0,0,1,1&bbox=0,0,2,2", "/api/vessels?&&", "/api/status?x=1",
    "/api/land?bbox=1", "/api/alerts?since=",
])
def test_malformed_parameters_are_400_with_a_json_error(server: PictureServer,
                                                        query: str) -> None:
    status, headers, body = request(server, query)
    assert status == 400, (query, body)
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"]


def test_every_documented_endpoint_has_a_route_and_only_those(tmp_path: Path) -> None:
    srv = PictureServer(PictureState(), "127.0.0.1", 0, cache=AssetCache(tmp_path / "c"))
    try:
        assert set(api_routes(srv)) | {"/"} == set(_PARAMS)
    finally:
        srv.httpd.server_close()


@pytest.mark.parametrize(("raw", "want"), [
    (b"", (None, None)), (b"{}", (None, None)),
    (b'{"by": "watch 2", "note": "seen"}', ("watch 2", "seen")),
])
def test_parse_ack_body_reads_by_and_note(raw: bytes, want: tuple[str | None, str | None]
                                          ) -> None:
    assert parse_ack_body(raw) == want


@pytest.mark.parametrize("raw", [b"[1]", b"not json", b'{"by": 3}', b'{"who": "x"}',
                                 b'{"note": "' + b"x" * 1001 + b'"}'])
def test_parse_ack_body_rejects_what_is_not_an_acknowledgement(raw: bytes) -> None:
    with pytest.raises(QueryError):
        parse_ack_body(raw)


def test_parse_query_directly() -> None:
    assert parse_query("/api/vessels", "bbox=-10,-5,10,5") == {"bbox": (-10, -5, 10, 5)}
    with pytest.raises(QueryError):
        parse_query("/api/vessels", "since=2024-13-01")


@pytest.mark.parametrize("path", [
    "/assets/../pyproject.toml", "/assets/%2e%2e/pyproject.toml",
    "/assets/leaflet@1.9.4/../../pyproject.toml", "/assets/leaflet@1.9.4/%2E%2E/%2E%2E/README.md",
    "/assets//etc/passwd", "/assets/%2Fetc%2Fpasswd", "/assets/..%5c..%5cpyproject.toml",
    "/assets/leaflet@1.9.4/dist/../../../../../../etc/passwd", "/assets/", "/../pyproject.toml",
    "/assets/leaflet@1.9.4/package.json", "/assets/leaflet@1.9.4/.complete", "/%2e%2e/etc/passwd",
])
def test_no_file_outside_the_cache_is_served(tmp_path: Path, state: PictureState,
                                             assets: AssetCache, path: str) -> None:
    srv = PictureServer(state, "127.0.0.1", 0, cache=assets).start()
    try:
        status, _, body = request(srv, path)
        assert status in (400, 404), (path, status)
        assert b"[project]" not in body and b"root:" not in body
        ok, headers, js = request(srv, "/assets/leaflet@1.9.4/dist/leaflet.js")
        assert ok == 200 and headers["content-type"].startswith("text/javascript")
        assert js == (assets.root / "leaflet@1.9.4" / "dist" / "leaflet.js").read_bytes()
    finally:
        srv.stop()


def test_token_is_checked_on_every_request(state: PictureState, tmp_path: Path) -> None:
    srv = PictureServer(state, "127.0.0.1", 0, token="s3cret",
                        cache=AssetCache(tmp_path / "none")).start()
    try:
        for path in ("/", "/api/status", "/api/vessels", "/assets/x.js"):
            assert request(srv, path)[0] == 401
        assert request(srv, "/api/status", headers={"Authorization": "Bearer wrong"})[0] == 401
        assert request(srv, "/api/status", headers={"Authorization": "Bearer s3cret"})[0] == 200
        assert request(srv, "/api/status?token=s3cret")[0] == 200
        status, headers, _ = request(srv, "/?token=s3cret")
        assert status == 200 and "mda_token=s3cret" in headers["set-cookie"]
        assert "HttpOnly" in headers["set-cookie"]
        assert request(srv, "/api/vessels", headers={"Cookie": "mda_token=s3cret"})[0] == 200
        assert request(srv, "/api/alerts/a-pr/ack", "POST", b"{}",
                       {"Content-Type": "application/json"})[0] == 401
    finally:
        srv.stop()


def test_loopback_detection() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.5", "example.org"))


def test_acknowledging_an_alert(server: PictureServer) -> None:
    js = {"Content-Type": "application/json"}
    assert request(server, "/api/alerts/a-sea/ack", "POST", b'{"by":"OOW"}')[0] == 415
    assert request(server, "/api/alerts/a-sea/ack", "POST", b"{nope", js)[0] == 400
    assert request(server, "/api/alerts/a-sea/ack", "POST", b'{"by": 5}', js)[0] == 400
    assert request(server, "/api/alerts/a-sea/ack", "POST", b'{"who": "x"}', js)[0] == 400
    assert request(server, "/api/alerts/nope/ack", "POST", b"{}", js)[0] == 404
    assert request(server, "/api/alerts/a-sea/ack", "GET")[0] == 404
    assert request(server, "/api/alerts/a%20b/ack", "POST", b"{}", js)[0] == 400
    assert get_json(server, "/api/status")["alerts_unacknowledged"] == 3
    status, _, body = request(server, "/api/alerts/a-sea/ack", "POST",
                              b'{"by": "OOW", "note": "tasked patrol"}', js)
    assert status == 200
    ack = json.loads(body)["ack"]
    assert ack == {"at": "2024-03-09T16:00:00Z", "by": "OOW", "note": "tasked patrol"}
    alerts = get_json(server, "/api/alerts")
    acked = {f["properties"]["alert_id"]: f["properties"]["ack"] for f in alerts["features"]}
    assert acked["a-sea"] == ack and acked["a-pr"] is None
    assert get_json(server, "/api/status")["alerts_unacknowledged"] == 2


def test_replay_source_paces_the_event_clock_and_emits_alerts(tmp_path: Path) -> None:
    state = PictureState()
    src = ReplaySource([str(SAMPLE)], speed=0)
    src.run(state, threading.Event())
    st = state.status()
    # No geography here: without a shore distance the drifting reefer's silence counts as
    # stopped, so two of the sample's three gaps and its loitering alert remain.
    assert st["clock"] == "2024-03-12T14:00:00Z" and st["vessels"] == 9 and st["alerts"] >= 3
    # Paced: 10 minutes of event time at 600x take about a second of wall time.
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    end = T0.timestamp() + 600
    stamps = [re.search(r"c:(\d+)", ln) for ln in lines]
    first = [ln for ln, m in zip(lines, stamps, strict=True) if m and int(m.group(1)) <= end]
    short = tmp_path / "short.nmea"
    short.write_text("\n".join(first) + "\n", encoding="utf-8")
    # A fake clock: waiting moves it on, so pacing is measured without sleeping.
    fake = [1000.0]
    delivered: list[tuple[float, float]] = []  # (event time, fake wall time)

    def wait(stop: threading.Event, delay: float) -> bool:
        fake[0] += delay
        return stop.is_set()

    class Sink(PictureState):
        def on_position(self, report: PositionReport) -> None:
            assert report.ts is not None
            delivered.append((report.ts.timestamp(), fake[0]))
            super().on_position(report)

    ReplaySource([str(short)], speed=600, monotonic=lambda: fake[0],
                 wait=wait).run(Sink(), threading.Event())
    assert len(delivered) >= 50
    (t0, w0), (t1, w1) = delivered[0], delivered[-1]
    assert t1 - t0 > 500  # about 10 minutes of event time ...
    assert w1 - w0 == pytest.approx((t1 - t0) / 600, abs=0.02)  # ... in a second of wall time
    for t, w in delivered:  # each position no earlier than its paced time, and not late
        assert -1e-9 <= w - (w0 + (t - t0) / 600) <= 0.011
    # Stopping interrupts a slow replay at once.
    state3 = PictureState()
    stop = threading.Event()
    th = threading.Thread(target=ReplaySource([str(SAMPLE)], speed=1).run, args=(state3, stop))
    th.start()
    time.sleep(0.3)
    stop.set()
    th.join(timeout=2)
    assert not th.is_alive()


def test_serve_command_replays_and_stops(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", str(SAMPLE), "--port", "0", "--speed", "0", "--duration", "1",
                 "--no-shore"]) == 0
    out = capsys.readouterr().out
    assert "live picture at http://127.0.0.1:" in out
    assert "9 vessels" in out and "event time 2024-03-12T14:00:00Z" in out


def test_kept_alive_polls_are_answered_without_a_nagle_delay(server: PictureServer) -> None:
    """A page polls over one kept-alive connection: each answer comes at once, not after the
    client's delayed ACK (about 40 ms each when the headers and the body go out in two writes
    with Nagle's algorithm on)."""
    import time

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/api/status")
        conn.getresponse().read()
        t0 = time.perf_counter()
        for _ in range(20):
            conn.request("GET", "/api/alerts")
            resp = conn.getresponse()
            assert resp.status == 200
            resp.read()
        elapsed = time.perf_counter() - t0
    finally:
        conn.close()
    assert elapsed < 0.6, f"20 kept-alive GETs took {elapsed:.2f} s"
