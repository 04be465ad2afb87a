"""The report map's content (without a browser): what is embedded, the lines that relate an
alert's positions, safety of untrusted text, and size at 10k vessels."""

from __future__ import annotations

import itertools
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from maps.assets import AssetCache
from maps.features import latest_states
from maps.report import build_report_map, write_report_map
from maps.tracks import TrackCollector
from mda.records import PositionReport
from mda.synthetic import epoch
from tests.maps import rfc7946
from tests.maps.scenario import FISHER, REEFER, picture


def embedded(html: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="mda_picture_[0-9a-f]+">(.*?)</script>',
                  html, re.S)
    assert m is not None
    data: dict[str, Any] = json.loads(m.group(1))
    return data


@pytest.fixture(scope="module")
def scene() -> Any:
    return picture()


def test_layers_alerts_and_links(scene: Any, tmp_path: Path) -> None:
    import shapely

    from zones.catalogue import Zone, ZoneRule

    zone = Zone("z1", "Test reserve", "mpa", "USA", shapely.box(-66.0, 17.8, -65.5, 18.1),
                ZoneRule(ship_types=(30,), foreign_only=False, severity="high"))
    info = write_report_map(tmp_path / "m.html", scene.alerts, scene.tracks, [zone],
                            vessel_info=scene.info, cache=AssetCache(tmp_path / "no-cache"))
    html = (tmp_path / "m.html").read_text(encoding="utf-8")
    data = embedded(html)
    states = latest_states(scene.alerts)
    assert info["alerts"] == len(states) and info["vessels"] == len(scene.tracks) == 12
    assert info["zones"] == 1 and info["bytes"] == (tmp_path / "m.html").stat().st_size
    for key in ("zones", "tracks", "alerts"):
        assert rfc7946.errors(data[key]) == []
    points = [f for f in data["alerts"]["features"] if f["geometry"]["type"] == "Point"]
    assert [f["properties"]["alert_id"] for f in points] == [a["alert_id"] for a in states]
    links = {f["properties"]["link"]: f for f in data["alerts"]["features"]
             if f["geometry"]["type"] != "Point"}
    assert set(links) == {"gap", "rendezvous", "jump", "shared"}
    gap = next(a for a in states if a["kind"] == "gap" and a["status"] == "closed")
    ev = gap["evidence"]
    gap_line = next(f for f in data["alerts"]["features"]
                    if f["properties"].get("alert_id") == gap["alert_id"]
                    and f["geometry"]["type"] == "LineString")
    assert gap_line["geometry"]["coordinates"] == [[ev["last_lon"], ev["last_lat"]],
                                                   [ev["first_lon"], ev["first_lat"]]]
    # The rendezvous line joins the two vessels, about 170 m apart, near the alert.
    (lon1, lat1), (_lon2, lat2) = links["rendezvous"]["geometry"]["coordinates"]
    rdv = next(a for a in states if a["kind"] == "rendezvous")
    assert {rdv["mmsi"], rdv["other_mmsi"]} == {FISHER, REEFER}
    assert abs(lat1 - lat2) * 111_000 == pytest.approx(167, abs=40)
    assert abs(lat1 - rdv["lat"]) < 0.05 and abs(lon1 - rdv["lon"]) < 0.05
    # Tracks: one feature per vessel; times line up with positions.
    for f in data["tracks"]["features"]:
        g, t = f["geometry"], f["properties"]["t"]
        lines = ([g["coordinates"]] if g["type"] == "LineString" else
                 g["coordinates"] if g["type"] == "MultiLineString" else [])
        assert [len(x) for x in lines] == [len(x) for x in t] or g["type"] == "Point"
        assert all(b > a for x in t for a, b in itertools.pairwise(x))
    assert data["present"]["alerts"] == sorted({a["kind"] for a in states})
    assert data["present"]["zones"] == ["mpa"]
    assert data["time"]["min"] < data["time"]["max"]
    assert "Alerts: rendezvous" in html and "Zones: marine protected area" in html
    assert "Tracks" in html and "Vessels (latest position)" in html


def test_untrusted_text_cannot_break_out_of_the_data(tmp_path: Path) -> None:
    nasty = "</script><script>window.PWNED=1</script><!--"
    a = {"alert_id": "x1", "kind": "gap", "status": "open", "severity": "high",
         "mmsi": 311000001, "other_mmsi": None, "start": "2024-03-12T06:00:00.000Z",
         "end": None, "lat": 15.0, "lon": -70.0, "zone_id": None, "zone_name": None,
         "vessel": {"name": nasty}, "evidence": {"note": nasty}, "summary": nasty}
    html, _ = build_report_map([a], title=nasty, cache=AssetCache(tmp_path / "none"))
    assert nasty not in html
    # The data block ends at its own </script> and parses back to the same text.
    assert embedded(html)["alerts"]["features"][0]["properties"]["summary"] == nasty
    assert "<title>&lt;/script&gt;" in html


def test_ten_thousand_vessels_stay_small() -> None:
    t0 = epoch("2024-03-12T00:00:00Z")
    c = TrackCollector()
    times = [t0 + timedelta(minutes=10 * i) for i in range(12)]
    for i, ts in enumerate(times):
        for v in range(10_000):
            c.add(PositionReport(ts, 200_000_000 + v, 10.0 + v * 0.0015 + i * 0.01 * (v % 3),
                                 -80.0 + i * 0.02 + (v % 7) * 0.001 * i * i, 10.0,
                                 float((v * 37) % 360), None, 0, 1))
    html, info = build_report_map([], c, cache=AssetCache("/nonexistent"),
                                  max_track_points=100_000)
    assert info["vessels"] == 10_000
    assert info["track_points"] <= 100_000
    assert len(html) < 8_000_000  # about 0.8 kB per vessel with its track


def test_map_command_with_positions_and_zones(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from mda.cli import main
    from tests.maps.scenario import SAMPLE

    alerts = tmp_path / "alerts.jsonl"
    assert main(["replay", str(SAMPLE), "--alerts", str(alerts), "-q", "--no-progress"]) == 0
    zones = tmp_path / "zones.geojson"
    zones.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "Box", "kind": "closure"},
        "geometry": {"type": "Polygon", "coordinates": [[[-70, 15], [-69, 15], [-69, 16],
                                                         [-70, 16], [-70, 15]]]}}]}))
    out = tmp_path / "m.html"
    assert main(["map", str(alerts), "--positions", str(SAMPLE), "--zones", str(zones),
                 "--out", str(out), "--title", "Sample"]) == 0
    printed = capsys.readouterr().out
    assert "9 vessels" in printed and "1 zones" in printed
    data = embedded(out.read_text(encoding="utf-8"))
    assert len(data["tracks"]["features"]) == 9
    assert data["zones"]["features"][0]["properties"]["kind"] == "closure"
    names = {f["properties"].get("name") for f in data["tracks"]["features"]}
    assert {"DONA LUPITA", "FROST CARRIER"} <= names  # static data reached the map
