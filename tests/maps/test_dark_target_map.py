"""A dark_target alert on the report map, in headless Chromium: its own layer and colour, and a
popup that names the sensor contact, not "vessel MMSI 0"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from maps.assets import AssetCache
from maps.report import write_report_map
from maps.style import ALERT_COLOURS
from tests.helpers import REPO, replay
from tests.maps.test_browser import layer_labels, wait_for

SAMPLE = REPO / "replay_data" / "sample"


def test_dark_target_layer_and_popup(chrome: Any, assets: AssetCache, tmp_path: Path) -> None:
    from dataclasses import replace

    from mda.settings import RadarSettings, preset_settings

    settings = replace(preset_settings(), radar=RadarSettings(17.936, -76.841))
    run = replay([SAMPLE / "kingston_radar.nmea", SAMPLE / "kingston_sar.csv"], settings)
    alerts = [a.to_dict() for a in run.alerts]
    dark = [a for a in run.final().values() if a.kind == "dark_target"]
    assert {a.evidence["sensor"] for a in dark} == {"radar", "sar"}
    assert ALERT_COLOURS["dark_target"] != ALERT_COLOURS["feed_outage"]
    out = tmp_path / "report.html"
    write_report_map(out, alerts, cache=assets, title="radar and SAR")
    chrome.get(out.as_uri())
    wait_for(chrome, "return window.MDA_READY")
    assert "Alerts: dark target (sensor contact, no AIS)" in layer_labels(chrome)
    radar = next(a for a in dark if a.evidence["sensor"] == "radar")
    text = chrome.execute_script(
        "var a = MDA_PICTURE.alertById(arguments[0]); a.marker.openPopup();"
        "return a.marker.getPopup().getElement().innerText;", radar.alert_id)
    assert "radar kgn-radar #4 (no AIS)" in text
    assert "MMSI 0" not in text and "unnamed" not in text
    assert "nearest_ais" in text and radar.summary in text


def test_serve_replays_radar_and_sar_into_the_picture(tmp_path: Path) -> None:
    """``mda serve FILE...`` (its replay source) reads the radar and SAR inputs: the
    dark_target alerts are on /api/alerts with the contact in their properties."""
    import threading
    from dataclasses import replace

    from maps.server import PictureServer, PictureState, ReplaySource
    from mda.settings import RadarSettings, preset_settings
    from tests.maps.test_server import get_json

    settings = replace(preset_settings(), radar=RadarSettings(17.936, -76.841))
    state = PictureState()
    src = ReplaySource([str(SAMPLE / "kingston_radar.nmea"), str(SAMPLE / "kingston_sar.csv")],
                       settings, speed=0)
    src.run(state, threading.Event())
    assert src.summary is not None and src.summary["contacts"] == {"radar": 2134, "sar": 3}
    srv = PictureServer(state, "127.0.0.1", 0, cache=AssetCache(tmp_path / "none")).start()
    try:
        alerts = get_json(srv, "/api/alerts")["features"]
    finally:
        srv.stop()
    dark = [f["properties"] for f in alerts if f["properties"]["kind"] == "dark_target"]
    assert {(p["evidence"]["sensor"], p["evidence"]["contact_id"]) for p in dark} == {
        ("radar", "4"), ("sar", "KGN-S1-003")}
    assert all(p["mmsi"] == 0 for p in dark)


def test_partners_read_dark_targets_through_their_sensor_layers() -> None:
    """A partner sees a radar dark_target only with the ``radar`` layer, a SAR one only with
    ``satellite`` (maps/partners.py reads ``evidence.sensor``), besides the alert kind."""
    from dataclasses import replace

    from maps.partners import Partner
    from mda.settings import RadarSettings, preset_settings

    settings = replace(preset_settings(), radar=RadarSettings(17.936, -76.841))
    run = replay([SAMPLE / "kingston_radar.nmea", SAMPLE / "kingston_sar.csv"], settings)
    by_sensor = {a.evidence["sensor"]: a.to_dict() for a in run.final().values()
                 if a.kind == "dark_target"}

    def sees(*layers: str) -> set[str]:
        p = Partner("coast guard", "t0ken", "partner", frozenset(layers))
        return {s for s, a in by_sensor.items() if p.sees_alert(a)}

    assert sees("ais", "alerts") == set()
    assert sees("radar", "alerts") == {"radar"}
    assert sees("radar", "satellite", "alerts:dark_target") == {"radar", "sar"}
    assert sees("radar", "satellite", "alerts:gap") == set()
