"""Exports: GeoJSON against RFC 7946, KML parsed with the KML namespace, CSV, CoT events with
their required attributes; and the ``mda export`` command."""

from __future__ import annotations

import csv
import html
import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from maps.export import (
    COT_ALERT_TYPE,
    COT_VESSEL_TYPE,
    KML_NS,
    cot_vessel_type,
    to_cot,
    to_csv,
    to_geojson,
    to_kml,
)
from maps.features import alert_links, latest_states, line, zone_features
from mda.cli import main
from mda.records import PositionReport
from tests.maps import rfc7946
from tests.maps.scenario import SPOOFER, picture

K = f"{{{KML_NS}}}"


@pytest.fixture(scope="module")
def scene() -> Any:
    return picture()


def alert(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "alert_id": "a1", "kind": "gap", "status": "open", "severity": "medium",
        "mmsi": 311000001, "other_mmsi": None, "start": "2024-03-12T06:00:00.000Z",
        "end": None, "lat": 17.5, "lon": -120.25, "zone_id": None, "zone_name": None,
        "vessel": {"name": "SEA STAR", "flag": "BHS", "flag_country": "Bahamas"},
        "evidence": {"gap_h": 2.5}, "summary": "MMSI 311000001 went dark."}
    base.update(kw)
    return base


# -- GeoJSON -------------------------------------------------------------------------------

def test_geojson_of_a_replay_is_rfc7946(scene: Any) -> None:
    vessels = list(scene.tracks.latest_all())
    doc = json.loads(to_geojson(scene.alerts, vessels, scene.info, links=True))
    assert rfc7946.errors(doc) == []
    points = [f for f in doc["features"] if f["geometry"]["type"] == "Point"
              and "alert_id" in f["properties"]]
    states = latest_states(scene.alerts)
    assert len(points) == len(states)  # one feature per alert, the last state of each
    by_id = {a["alert_id"]: a for a in states}
    for f in points:
        a = by_id[f["properties"]["alert_id"]]
        assert f["geometry"]["coordinates"] == [a["lon"], a["lat"]]  # lon first
        assert f["properties"] == a  # the same fields as the JSON lines
    assert {f["properties"]["link"] for f in doc["features"] if "link" in f["properties"]} >= {
        "gap", "jump", "shared"}
    vessel_features = [f for f in doc["features"] if f["properties"].get("feature") == "vessel"]
    assert len(vessel_features) == len(scene.tracks)


def test_the_checker_catches_swapped_and_open_geometry() -> None:
    swapped = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
               "geometry": {"type": "Point", "coordinates": [17.5, -120.25]}}]}
    assert any("swapped" in e for e in rfc7946.errors(swapped))
    ring = [[0, 0], [0, 1], [1, 1], [1, 0]]
    open_ring = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                 "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    assert any("not closed" in e for e in rfc7946.errors(open_ring))
    clockwise = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                 "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}}]}
    assert any("right-hand" in e for e in rfc7946.errors(clockwise))
    doc = json.loads(to_geojson([alert()]))
    assert rfc7946.errors(doc) == []
    assert doc["features"][0]["geometry"]["coordinates"] == [-120.25, 17.5]


def test_zones_with_holes_are_closed_and_follow_the_right_hand_rule(shared: Path) -> None:
    from zones.catalogue import load_zones

    zones, _ = load_zones(shared / "zones" / "belize_marine_protected_areas_2005.geojson",
                          kind="mpa")
    feats = zone_features(zones)
    assert any(len(f["geometry"]["coordinates"]) > 1 for f in feats
               if f["geometry"]["type"] == "Polygon")  # the file has holes
    assert rfc7946.errors({"type": "FeatureCollection", "features": feats}) == []


def test_lines_across_the_antimeridian_are_cut() -> None:
    g = line([(179.5, -17.0), (-179.5, -17.2)])
    assert g["type"] == "MultiLineString"
    assert g["coordinates"][0][-1] == [180.0, -17.1]
    assert g["coordinates"][1][0] == [-180.0, -17.1]
    a = alert(lon=179.9, evidence={"last_lat": -17.0, "last_lon": 179.9, "first_lat": -17.0,
                                   "first_lon": -179.9})
    doc = {"type": "FeatureCollection", "features": alert_links(a)}
    assert doc["features"] and rfc7946.errors(doc) == []


# -- KML -----------------------------------------------------------------------------------

def test_kml_parses_with_one_folder_per_kind(scene: Any) -> None:
    text = to_kml(scene.alerts, list(scene.tracks.latest_all()), scene.info)
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == f"{K}kml"
    doc = root.find(f"{K}Document")
    assert doc is not None
    folders = {f.findtext(f"{K}name"): f for f in doc.findall(f"{K}Folder")}
    states = latest_states(scene.alerts)
    kinds = {a["kind"] for a in states}
    assert len(folders) == len(kinds) + 1  # one per kind, and the vessels
    assert "rendezvous" in folders and "Vessels (latest position)" in folders
    marks = [p for f in doc.findall(f"{K}Folder") for p in f.findall(f"{K}Placemark")
             if (p.get("id") or "").startswith("alert-")]
    assert len(marks) == len(states)
    by_id = {a["alert_id"]: a for a in states}
    for p in marks:
        a = by_id[p.get("id", "")[len("alert-"):]]
        lon, lat, _ = (float(x) for x in (p.findtext(f"{K}Point/{K}coordinates") or "").split(","))
        assert (lon, lat) == (a["lon"], a["lat"])
        assert p.findtext(f"{K}TimeSpan/{K}begin") == a["start"]
        assert html.escape(a["summary"]) in (p.findtext(f"{K}description") or "")
        assert (p.findtext(f"{K}styleUrl") or "").lstrip("#") in {
            s.get("id") for s in doc.findall(f"{K}Style")}
    # A description is HTML: a vessel name with markup in it is shown as text, not markup.
    descriptions = " ".join(p.findtext(f"{K}description") or "" for p in marks)
    assert "&lt;B&gt;COLD &amp; STAR&lt;/B&gt;" in descriptions and "<B>" not in descriptions


# -- CSV -----------------------------------------------------------------------------------

def test_csv_has_one_row_per_alert(scene: Any) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(scene.alerts))))
    states = latest_states(scene.alerts)
    assert [r["alert_id"] for r in rows] == [a["alert_id"] for a in states]
    for r, a in zip(rows, states, strict=True):
        assert float(r["lat"]) == a["lat"] and float(r["lon"]) == a["lon"]
        assert json.loads(r["evidence"]) == a["evidence"]
        assert r["summary"] == a["summary"]
    rdv = next(r for r in rows if r["kind"] == "rendezvous")
    assert rdv["other_mmsi"] and rdv["other_vessel_name"]


# -- Cursor-on-Target ------------------------------------------------------------------------

def parse_time(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check_event(ev: ET.Element) -> None:
    assert ev.tag == "event"
    for attr in ("version", "uid", "type", "how", "time", "start", "stale"):
        assert ev.get(attr), f"missing {attr}"
    assert ev.get("version") == "2.0" and ev.get("how") == "m-g"
    t, start, stale = (parse_time(ev.get(k, "")) for k in ("time", "start", "stale"))
    assert start <= t < stale
    pt = ev.find("point")
    assert pt is not None
    for attr in ("lat", "lon", "hae", "ce", "le"):
        float(pt.get(attr, "x"))
    assert -90 <= float(pt.get("lat", "")) <= 90 and -180 <= float(pt.get("lon", "")) <= 180
    assert ev.find("detail") is not None


def test_cot_events_carry_every_required_attribute(scene: Any) -> None:
    vessels = list(scene.tracks.latest_all())
    lines = to_cot(scene.alerts, vessels, scene.info).splitlines()
    states = latest_states(scene.alerts)
    assert len(lines) == len(states) + len(vessels)
    events = [ET.fromstring(x) for x in lines]
    for ev in events:
        check_event(ev)
    alerts = [e for e in events if e.get("type") == COT_ALERT_TYPE]
    assert [e.get("uid") for e in alerts] == [f"mda-alert-{a['alert_id']}" for a in states]
    for e, a in zip(alerts, states, strict=True):
        assert e.findtext("detail/remarks") == a["summary"]
        pt = e.find("point")
        assert pt is not None
        assert float(pt.get("lat", "")) == pytest.approx(a["lat"], abs=1e-6)
        assert float(pt.get("lon", "")) == pytest.approx(a["lon"], abs=1e-6)
        assert e.get("start") == a["start"]
    ships = [e for e in events if e.get("type", "").startswith(COT_VESSEL_TYPE)]
    assert {e.get("uid") for e in ships} == {f"MMSI-{r.mmsi}" for r in vessels}
    # Each vessel's CoT type follows its ship category.
    for e in ships:
        mmsi = int(e.get("uid", "").removeprefix("MMSI-"))
        assert e.get("type") == cot_vessel_type(scene.info(mmsi).ship_type)
    spoofer = next(e for e in ships if e.get("uid") == f"MMSI-{SPOOFER}")
    track_el = spoofer.find("detail/track")
    assert track_el is not None
    assert float(track_el.get("speed", "")) == pytest.approx(10.0 * 1852 / 3600, abs=0.01)
    assert float(track_el.get("course", "")) == pytest.approx(90.0)


def test_cot_restamped_from_a_given_clock_and_units() -> None:
    now = datetime(2030, 1, 1, 12, tzinfo=UTC)
    r = PositionReport(datetime(2024, 3, 12, tzinfo=UTC), 311000001, 17.5, -64.25, 20.0,
                       271.0, 270, 0, 1)
    ev_alert, ev_ship = (ET.fromstring(x) for x in to_cot([alert()], [r], stale_s=600,
                                                            now=now).splitlines())
    for ev in (ev_alert, ev_ship):
        check_event(ev)
        assert ev.get("time") == ev.get("start") == "2030-01-01T12:00:00.000Z"
        assert ev.get("stale") == "2030-01-01T12:10:00.000Z"
    tr = ev_alert.find("detail/track")  # the alert takes its vessel's course and speed
    assert tr is not None and tr.get("speed") == "10.29" and tr.get("course") == "271.0"


# -- the command -----------------------------------------------------------------------------

def test_export_command_stdout_and_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        scene: Any) -> None:
    src = tmp_path / "alerts.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in scene.alerts), encoding="utf-8")
    for fmt in ("geojson", "kml", "csv", "cot"):
        assert main(["export", str(src), "--format", fmt]) == 0
        out = capsys.readouterr().out
        dest = tmp_path / f"out.{fmt}"
        assert main(["export", str(src), "--format", fmt, "--out", str(dest)]) == 0
        assert dest.read_bytes() == out.encode("utf-8")
        assert "wrote" in capsys.readouterr().err
    assert main(["export", str(src), "-f", "csv", "--positions", "x.nmea"]) == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"alert_id": "x"}\n', encoding="utf-8")
    assert main(["export", str(bad), "-f", "geojson"]) == 2
    assert "bad.jsonl:1" in capsys.readouterr().err
