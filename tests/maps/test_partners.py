"""Partners (issue 12): two partner agencies with different areas each see only their own
vessels, tracks, alerts and layers, on every endpoint and on the page (headless Chromium); a
wrong or missing token is a 403 with no data; an operator sees everything; no token is logged."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely

from maps.assets import AssetCache
from maps.partners import Partners, PartnersError
from maps.server import PictureServer, PictureState
from tests.maps.scenario import Picture, picture
from tests.maps.test_browser import wait_for
from zones.catalogue import Zone, ZoneRule

TOKENS = {"west": "west-token-0123456789", "east": "east-token-0123456789",
          "ops": "operator-token-0123456789"}
ENDPOINTS = ["/", "/api/status", "/api/health", "/api/vessels", "/api/tracks", "/api/alerts",
             "/api/zones", "/api/land"]


def _zone(zid: str, lon0: float, lon1: float) -> Zone:
    return Zone(zid, f"Zone {zid}", "restricted", "USA", shapely.box(lon0, 14.0, lon1, 18.0),
                ZoneRule(ship_types=None, foreign_only=False, severity="high"))


@pytest.fixture(scope="module")
def scene() -> Picture:
    return picture()


@pytest.fixture(scope="module")
def split(scene: Picture) -> float:
    """A meridian with vessels on both sides."""
    lons = sorted(r.lon for r in scene.tracks.latest_all())
    return (lons[len(lons) // 2 - 1] + lons[len(lons) // 2]) / 2.0


def partners_file(tmp_path: Path, split: float) -> Path:
    f = tmp_path / "partners.toml"
    f.write_text(f"""
[[partner]]
name = "West MRCC"
token = "{TOKENS['west']}"
area_bbox = [-90.0, 0.0, {split}, 40.0]
layers = ["ais", "zones", "alerts"]

[[partner]]
name = "East coast guard"
token_env = "MDA_TEST_EAST_TOKEN"
area_bbox = [{split}, 0.0, -40.0, 40.0]
layers = ["ais", "alerts:gap"]

[[partner]]
name = "Operations"
role = "operator"
token = "{TOKENS['ops']}"
""", encoding="utf-8")
    return f


@pytest.fixture
def server(scene: Picture, split: float,
           tmp_path: Path) -> Iterator[tuple[PictureServer, list[str]]]:
    state = PictureState([_zone("w", split - 3, split - 1), _zone("e", split + 1, split + 3)],
                         tracks=scene.tracks)
    state.use_vessel_info(scene.info)
    for a in scene.alerts:
        state.on_alert(a)
    partners = Partners.load(partners_file(tmp_path, split),
                             env={"MDA_TEST_EAST_TOKEN": TOKENS["east"]})
    log: list[str] = []
    srv = PictureServer(state, port=0, partners=partners, log=log.append,
                        cache=AssetCache()).start()
    try:
        yield srv, log
    finally:
        srv.stop()


def get(srv: PictureServer, path: str, token: str | None = None,
        how: str = "query") -> tuple[int, bytes]:
    url = srv.url.rstrip("/") + path
    headers = {}
    if token is not None and how == "query":
        url += ("&" if "?" in url else "?") + "token=" + token
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status: int = resp.status
            return status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def post_ack(srv: PictureServer, alert_id: str, token: str | None) -> int:
    req = urllib.request.Request(srv.url + f"api/alerts/{alert_id}/ack", method="POST",
                                 data=b'{"by": "x"}',
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"}
                                             if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status: int = resp.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


def points(obj: Any) -> Iterator[tuple[float, float]]:
    """Every (lon, lat) pair in a GeoJSON object."""
    if isinstance(obj, list) and len(obj) >= 2 and all(isinstance(x, int | float)
                                                       for x in obj[:2]):
        yield float(obj[0]), float(obj[1])
    elif isinstance(obj, list):
        for x in obj:
            yield from points(x)
    elif isinstance(obj, dict):
        if "coordinates" in obj:
            yield from points(obj["coordinates"])
        for k in ("geometry", "features", "geometries"):
            if k in obj:
                yield from points(obj[k])


def side(scene: Picture, split: float, west: bool) -> set[int]:
    return {r.mmsi for r in scene.tracks.latest_all() if (r.lon < split) == west}


def test_each_partner_sees_only_its_own_vessels_tracks_alerts_and_layers(
        server: tuple[PictureServer, list[str]], scene: Picture, split: float) -> None:
    srv, _ = server
    west, east = side(scene, split, True), side(scene, split, False)
    assert west and east
    for name, mine, others in (("west", west, east), ("east", east, west)):
        token = TOKENS[name]
        status, body = get(srv, "/api/vessels", token)
        assert status == 200
        got = {f["properties"]["mmsi"] for f in json.loads(body)["features"]}
        assert got == mine
        in_mine: Callable[[float], bool] = ((lambda lon: lon < split) if name == "west"
                                            else (lambda lon: lon >= split))
        _, body = get(srv, "/api/tracks", token)
        tracks = json.loads(body)
        assert {f["properties"]["mmsi"] for f in tracks["features"]} == mine
        assert all(in_mine(lon) for lon, _ in points(tracks))
        _, body = get(srv, "/api/alerts", token)
        alerts = [f for f in json.loads(body)["features"] if f["geometry"]["type"] == "Point"]
        assert all(in_mine(f["geometry"]["coordinates"][0]) for f in alerts)
        want = {a["alert_id"] for a in scene.alerts if in_mine(float(a["lon"]))
                and (name == "west" or a["kind"] == "gap")}
        assert {f["properties"]["alert_id"] for f in alerts} == want and want
        # Nothing of the other side in any endpoint's answer: no MMSI, no alert id.
        foreign = {str(m) for m in others} | {a["alert_id"] for a in scene.alerts
                                             if a["alert_id"] not in want}
        for path in ENDPOINTS:
            status, body = get(srv, path, token)
            assert status in (200, 403), (path, status)
            text = body.decode("utf-8", "replace")
            leaked = {x for x in foreign if x in text}
            assert not leaked, (name, path, sorted(leaked)[:5])
        status, body = get(srv, "/api/status", token)
        st = json.loads(body)
        assert st["vessels"] == len(mine) and st["alerts"] == len(want)
        assert st["feeds_in_outage"] is None
    # Layers: the east partner has no zone layer and not the loitering alerts.
    _, body = get(srv, "/api/zones", TOKENS["east"])
    assert json.loads(body)["features"] == []
    _, body = get(srv, "/api/zones", TOKENS["west"])
    assert [f["properties"]["zone_id"] for f in json.loads(body)["features"]] == ["w"]
    # Feed health is the operator's.
    assert get(srv, "/api/health", TOKENS["west"])[0] == 403
    assert get(srv, "/api/health", TOKENS["ops"])[0] == 200


def test_the_operator_sees_everything(server: tuple[PictureServer, list[str]],
                                      scene: Picture) -> None:
    srv, _ = server
    _, body = get(srv, "/api/vessels", TOKENS["ops"], how="header")
    assert {f["properties"]["mmsi"] for f in json.loads(body)["features"]} == {
        r.mmsi for r in scene.tracks.latest_all()}
    _, body = get(srv, "/api/alerts", TOKENS["ops"])
    assert {f["properties"]["alert_id"] for f in json.loads(body)["features"]
            if f["geometry"]["type"] == "Point"} == {a["alert_id"] for a in scene.alerts}
    _, body = get(srv, "/api/zones", TOKENS["ops"])
    assert len(json.loads(body)["features"]) == 2


@pytest.mark.parametrize("token", [None, "", "west-token-012345678", "WEST-TOKEN-0123456789",
                                   TOKENS["west"] + "x"])
def test_a_wrong_or_missing_token_is_403_with_no_data(
        server: tuple[PictureServer, list[str]], token: str | None, scene: Picture) -> None:
    srv, _ = server
    for path in [*ENDPOINTS, "/assets/leaflet@1.9.4/dist/leaflet.js", "/api/nothing"]:
        for how in ("query", "header"):
            status, body = get(srv, path, token, how)
            assert status == 403, (path, how, status)
            assert json.loads(body) == {"error": "forbidden", "status": 403}
    assert post_ack(srv, scene.alerts[0]["alert_id"], token) == 403


def test_a_partner_acknowledges_only_its_own_alerts(
        server: tuple[PictureServer, list[str]], scene: Picture, split: float) -> None:
    srv, _ = server
    mine = next(a for a in scene.alerts if float(a["lon"]) < split)
    theirs = next(a for a in scene.alerts if float(a["lon"]) >= split)
    assert post_ack(srv, mine["alert_id"], TOKENS["west"]) == 200
    assert post_ack(srv, theirs["alert_id"], TOKENS["west"]) == 404  # as if it did not exist
    assert post_ack(srv, "no-such-alert", TOKENS["west"]) == 404


def test_no_token_is_ever_logged(server: tuple[PictureServer, list[str]]) -> None:
    srv, log = server
    for token in TOKENS.values():
        get(srv, "/api/status", token)
        get(srv, "/api/vessels?bbox=-180,-90,180,90", token)
    get(srv, "/api/status", "wrong-token-0123456789")
    assert log, "requests are logged"
    for line in log:
        for token in [*TOKENS.values(), "wrong-token-0123456789"]:
            assert token not in line
    assert any("token=REDACTED" in line for line in log)


def test_bad_partner_files_are_clear_errors(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    cases = {
        '[[partner]]\nname = "A"\ntoken = "short"\narea_bbox = [0, 0, 1, 1]\n': "16 characters",
        '[[partner]]\nname = "A"\ntoken = "0123456789abcdef"\n': "exactly one of area",
        ('[[partner]]\nname = "A"\ntoken = "0123456789abcdef"\narea_bbox = [0, 0, 1, 1]\n'
         'layers = ["sonar"]\n'): "unknown layer",
        '[[partner]]\nname = "A"\ntoken_env = "NOPE_NOT_SET"\narea_bbox = [0, 0, 1, 1]\n':
            "NOPE_NOT_SET is not set",
        '[[partner]]\nname = "A"\ntoken = "0123456789abcdef"\narea_bbox = [5, 0, 1, 1]\n':
            "west < east",
        '[[partner]]\nname = "A"\ntoken = "0123456789abcdef"\narea = "missing.geojson"\n':
            "missing.geojson",
        ('[[partner]]\nname = "A"\ntoken = "0123456789abcdef"\narea_bbox = [0, 0, 1, 1]\n'
         '[[partner]]\nname = "B"\ntoken = "0123456789abcdef"\narea_bbox = [0, 0, 1, 1]\n'):
            "same token",
    }
    for text, message in cases.items():
        f.write_text(text, encoding="utf-8")
        with pytest.raises(PartnersError, match=re.escape(message)):
            Partners.load(f, env={})


def test_an_area_from_a_polygon_file(tmp_path: Path) -> None:
    area = tmp_path / "eez.geojson"
    area.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "Test EEZ"},
        "geometry": {"type": "Polygon", "coordinates": [[[-62, 15], [-60, 15], [-61, 17],
                                                         [-62, 15]]]}}]}), encoding="utf-8")
    f = tmp_path / "p.toml"
    f.write_text('[[partner]]\nname = "A"\ntoken = "0123456789abcdef"\narea = "eez.geojson"\n'
                 'layers = ["ais"]\n', encoding="utf-8")
    [p] = Partners.load(f, env={}).partners
    assert p.covers(-61.0, 16.0) and not p.covers(-61.9, 16.9)  # inside the triangle's box only
    assert "0123456789abcdef" not in repr(p)


def test_the_page_of_a_partner_shows_only_its_vessels(
        chrome: Any, assets: AssetCache, scene: Picture, split: float, tmp_path: Path) -> None:
    state = PictureState([], tracks=scene.tracks)
    state.use_vessel_info(scene.info)
    for a in scene.alerts:
        state.on_alert(a)
    partners = Partners.load(partners_file(tmp_path, split),
                             env={"MDA_TEST_EAST_TOKEN": TOKENS["east"]})
    srv = PictureServer(state, port=0, partners=partners, refresh_s=0.5, cache=assets).start()
    try:
        for name, west in (("west", True), ("east", False)):
            chrome.delete_all_cookies()
            chrome.get(srv.url + "?token=" + TOKENS[name])
            wait_for(chrome, "return window.MDA_LIVE && window.MDA_LIVE.refreshes >= 1 && "
                             "window.MDA_PICTURE && MDA_PICTURE.vessels.length > 0")
            shown = set(chrome.execute_script(
                "return MDA_PICTURE.vessels.map(function (v) { return v.props.mmsi; })"))
            assert shown == side(scene, split, west)
            listed = set(chrome.execute_script(
                "return Array.from(document.querySelectorAll('#mda-alerts li'))"
                ".map(function (li) { return li.getAttribute('data-alert-id'); })"))
            assert listed and all(
                (float(a["lon"]) < split) == west for a in scene.alerts
                if a["alert_id"] in listed)
        # Without a token the page itself is refused.
        chrome.delete_all_cookies()
        chrome.get(srv.url)
        assert "forbidden" in chrome.page_source
    finally:
        srv.stop()
