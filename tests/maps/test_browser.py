"""The maps in a real headless Chromium (Debian chromium + chromedriver) with networking off:
the report map renders its layers and explains an alert in a popup; the live picture
refreshes and shows a new alert as the replay raises it. Screenshots go to ``tmp_path`` (and
to ``$MDA_SCREENSHOTS`` when set, for CI artefacts)."""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

import shapely

from maps.assets import AssetCache
from maps.features import alert_links, latest_states
from maps.report import write_report_map
from tests.helpers import ServeProcess
from tests.maps.scenario import REEFER, SAMPLE, picture
from zones.catalogue import Zone, ZoneRule


def wait_for(driver: Any, script: str, *args: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {script}")


def screenshot(driver: Any, path: Path) -> None:
    assert driver.save_screenshot(str(path))
    assert path.stat().st_size > 20_000  # a drawn map, not a blank page
    if os.environ.get("MDA_SCREENSHOTS"):
        shutil.copy(path, Path(os.environ["MDA_SCREENSHOTS"]) / path.name)


def layer_labels(driver: Any) -> list[str]:
    labels: list[str] = driver.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-control-layers label'))"
        ".map(function (l) { return l.textContent.trim(); })")
    return labels


def severe_console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def zone() -> Zone:
    return Zone("pr-restricted", "Test restricted area", "restricted", "USA",
                shapely.box(-66.6, 17.6, -65.9, 17.95),
                ZoneRule(ship_types=None, foreign_only=False, severity="high"))


def test_report_map_renders_offline_with_layers_and_popups(
        chrome: Any, assets: AssetCache, tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    scene = picture()
    out = tmp_path / "report.html"
    info = write_report_map(out, scene.alerts, scene.tracks, [zone()], vessel_info=scene.info,
                            cache=assets, title="Caribbean test picture")
    assert info["assets"] == "inlined" and info["remote"] == []
    chrome.execute_cdp_cmd("Network.enable", {})
    chrome.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
    chrome.get(out.as_uri())
    wait_for(chrome, "return window.MDA_READY")
    labels = layer_labels(chrome)
    for want in ("Land (offline)", "Zones: restricted area", "Tracks",
                 "Vessels (latest position)", "Alerts: AIS gap (dark vessel)",
                 "Alerts: rendezvous", "Alerts: loitering", "Alerts: spoofing / identity"):
        assert want in labels, labels
    states = latest_states(scene.alerts)
    counts = chrome.execute_script(
        "var p = MDA_PICTURE; return {vessels: p.vessels.length, alerts: p.alerts.length,"
        " links: p.alerts.reduce(function (n, a) { return n + a.links.length; }, 0),"
        " land: p.groups.land.getLayers().length, zones: p.zoneFeatures.length,"
        " legend: !!document.querySelector('.mda-legend'),"
        " scale: !!document.querySelector('.leaflet-control-scale'),"
        " slider: !!document.querySelector('.mda-slider input[type=range]')}")
    links = sum(len(alert_links(a, scene.tracks)) for a in states)
    assert links >= 3  # the rendezvous pair, the spoofed jump and at least one closed gap
    assert counts == {"vessels": 12, "alerts": len(states), "links": links, "land": 1, "zones": 1,
                      "legend": True, "scale": True, "slider": True}

    # Click an alert where it is drawn: its popup explains it.
    gap = next(a for a in states if a["kind"] == "gap" and a["mmsi"] == 345070300)
    x, y = chrome.execute_script(
        "var p = MDA_PICTURE, a = p.alertById(arguments[0]), m = p.map;"
        "m.setView(a.marker.getLatLng(), 9, {animate: false});"
        "var pt = m.latLngToContainerPoint(a.marker.getLatLng()), s = m.getSize();"
        "return [Math.round(pt.x - s.x / 2), Math.round(pt.y - s.y / 2)];", gap["alert_id"])
    map_el = chrome.find_element(By.CSS_SELECTOR, ".folium-map")
    ActionChains(chrome).move_to_element_with_offset(map_el, x, y).click().perform()
    popup = wait_for(chrome, "var e = document.querySelector('.leaflet-popup-content "
                             ".mda-alert-popup'); return e && e.innerText")
    assert gap["summary"] in popup
    for text in ("DONA LUPITA", "MMSI 345070300", "evidence", "gap_h", "start", "end",
                 gap["alert_id"]):
        assert text in popup, text

    # Untrusted text (a vessel name with markup) shows as text in a popup.
    html = chrome.execute_script(
        "var p = MDA_PICTURE, a = p.alerts.filter(function (x) {"
        " return x.props.kind === 'rendezvous'; })[0];"
        "a.marker.openPopup(); return a.marker.getPopup().getElement().innerHTML;")
    assert "&lt;B&gt;COLD &amp; STAR&lt;/B&gt;" in html and f"MMSI {REEFER}" in html
    assert "HAI FENG 7" in html  # both vessels of the pair

    # The time slider: at the start only what had begun shows; at the end everything.
    visible = ("var p = MDA_PICTURE; p.slider.setValue(arguments[0]);"
               "return [p.alerts.filter(function (a) { return a.visible; }).length,"
               " p.vessels.filter(function (v) { return v.visible; }).length];")
    early = chrome.execute_script(visible, 0)
    assert early[0] < len(states) and early[1] < 12
    assert chrome.execute_script(visible, 1000) == [len(states), 12]

    chrome.execute_script("MDA_PICTURE.map.closePopup(); MDA_PICTURE.map.fitBounds("
                          "MDA_PICTURE.groups.vessels.getBounds(), {animate: false});")
    resources = chrome.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
    assert [r for r in resources if r.startswith(("http:", "https:"))] == []
    assert severe_console_errors(chrome) == []
    screenshot(chrome, tmp_path / "report_map.png")


def test_tiles_unreachable_fall_back_to_the_offline_land(
        chrome: Any, assets: AssetCache, tmp_path: Path) -> None:
    scene = picture()
    out = tmp_path / "tiles.html"
    write_report_map(out, scene.alerts, scene.tracks, cache=assets, tiles="osm")
    chrome.get(out.as_uri())
    wait_for(chrome, "return window.MDA_READY")
    notice = wait_for(chrome, "var p = MDA_PICTURE; return p.map.hasLayer(p.groups.land) &&"
                              " document.querySelector('.mda-notice').textContent")
    assert "tile server unreachable" in notice
    assert chrome.execute_script("return MDA_PICTURE.map.hasLayer(MDA_PICTURE.groups.tiles)") \
        is False


def test_live_picture_refreshes_and_shows_a_new_alert(
        chrome: Any, assets: AssetCache, tmp_path: Path) -> None:
    """``mda serve`` as a user runs it (a process, port 0, the committed sample at 3600x:
    alerts come 3 to 7 s after the start), watched by Chromium."""

    zones = tmp_path / "zones.geojson"
    zones.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "Test restricted area", "kind": "restricted"},
        "geometry": {"type": "Polygon", "coordinates": [[[-66.6, 17.6], [-65.9, 17.6],
                                                         [-65.9, 17.95], [-66.6, 17.95],
                                                         [-66.6, 17.6]]]}}]}))
    with ServeProcess(str(SAMPLE), "--port", "0", "--speed", "3600", "--refresh", "0.5",
                      "--no-shore", "--zones", str(zones), "--duration", "60") as serve:
        url = serve.url
        chrome.get(url)
        wait_for(chrome, "return window.MDA_LIVE && window.MDA_LIVE.refreshes >= 1")
        first = set(chrome.execute_script(
            "return Array.from(document.querySelectorAll('#mda-alerts li'))"
            ".map(function (li) { return li.getAttribute('data-alert-id'); })"))
        refreshes = chrome.execute_script("return MDA_LIVE.refreshes")
        new_id = wait_for(chrome, (
            "var seen = arguments[0], items = document.querySelectorAll('#mda-alerts li');"
            "for (var i = 0; i < items.length; i++) {"
            " var id = items[i].getAttribute('data-alert-id');"
            " if (seen.indexOf(id) < 0) return id; }"
            "return null;"), sorted(first), timeout=20)
        assert new_id not in first
        assert chrome.execute_script("return MDA_LIVE.refreshes") > refreshes
        # The list is redrawn on every refresh, so each look-up is one script (no element
        # handle kept across a refresh, which would go stale).
        li = "document.querySelector('#mda-alerts li[data-alert-id=\"' + arguments[0] + '\"]')"
        text, cls = chrome.execute_script(
            f"var li = {li}; return li ? [li.innerText, li.className] : [null, null]", new_id)
        assert text and "acknowledge" in text
        assert "mda-new" in (cls or "") or not first
        # Its marker is on the map; acknowledging it greys it out in the list.
        assert chrome.execute_script("return !!MDA_PICTURE.alertById(arguments[0])", new_id)
        assert chrome.execute_script(
            f"var li = {li}, b = li && li.querySelector('button.mda-ack');"
            " if (!b) return false; b.click(); return true;", new_id)
        wait_for(chrome, "var li = document.querySelector('#mda-alerts li[data-alert-id=\"'"
                         " + arguments[0] + '\"]'); return li && li.classList.contains("
                         "'mda-acked')", new_id)
        with urllib.request.urlopen(url + "api/alerts", timeout=10) as resp:
            acked = {f["properties"]["alert_id"]: f["properties"]["ack"]
                     for f in json.load(resp)["features"] if f["geometry"]["type"] == "Point"}
        assert acked[new_id] and acked[new_id]["by"] == "watch officer"
        labels = layer_labels(chrome)
        for want in ("Land (offline)", "Tracks", "Vessels (latest position)",
                     "Zones: restricted area"):
            assert want in labels, labels
        assert any(label.startswith("Alerts: ") for label in labels)
        assert chrome.execute_script(
            "return document.querySelectorAll('.leaflet-mdaData-pane canvas').length") == 1
        resources = chrome.execute_script(
            "return performance.getEntriesByType('resource').map(function (e) {"
            " return e.name; })")
        assert all(r.startswith(url) for r in resources), resources
        assert any("/assets/leaflet@1.9.4/dist/leaflet.js" in r for r in resources)
        assert severe_console_errors(chrome) == []
        screenshot(chrome, tmp_path / "live_picture.png")
        out = serve.stop()  # Ctrl-C: a clean stop with a summary
        assert serve.proc.returncode == 0 and "mda: stopped;" in out


def test_live_picture_shows_a_live_vessel_and_the_feed_health(
        chrome: Any, assets: AssetCache, shared: Path, tmp_path: Path) -> None:
    """``mda serve rx=tcp://...`` on a real local feed (the Vernon capture's sentences, no
    timestamps), watched by Chromium: vessels appear as the feed streams, the Feeds panel
    names the source as connected with its messages and rate; the feed server stops and the
    panel shows it reconnecting and in outage (``--outage 2`` for a short test)."""
    from tests.live.feed import FeedServer, capture

    lines = [s for _, s in capture(shared, 20_000)]
    feed = FeedServer(lines, interval_s=0.0005)
    try:
        with ServeProcess(f"rx={feed.url}", "--port", "0", "--refresh", "0.5", "--no-shore",
                          "--outage", "2", "--duration", "90") as serve:
            url = serve.url
            chrome.get(url)
            wait_for(chrome, "return window.MDA_LIVE && window.MDA_LIVE.refreshes >= 1")
            # A live vessel on the map (drawn from /api/tracks, which the page polls).
            n = wait_for(chrome, "return MDA_PICTURE.vessels.length", timeout=20)
            assert n >= 1
            row = ("var r = document.querySelector('#mda-feed-rows tr[data-source=\"rx\"]');"
                   "return r && [r.getAttribute('data-state'), r.getAttribute('data-outage'),"
                   " r.innerText, !document.getElementById('mda-feeds').hidden];")
            state, outage, text, shown = wait_for(
                chrome, row[:-1] + " && r.getAttribute('data-state') === 'connected' &&"
                " Number(r.cells[2].textContent) > 100 ? [r.getAttribute('data-state'),"
                " r.getAttribute('data-outage'), r.innerText,"
                " !document.getElementById('mda-feeds').hidden] : null;")
            assert (state, outage, shown) == ("connected", "no", True)
            assert "rx" in text and "connected" in text
            health = chrome.execute_script("return MDA_LIVE.health.sources[0]")
            assert health["name"] == "rx" and health["url"] == feed.url
            assert health["messages"] > 100 and health["rate_per_s"] > 0
            screenshot(chrome, tmp_path / "live_feed_connected.png")

            feed.close()  # the receiver goes away: the client retries, the source falls silent
            state, outage, text, shown = wait_for(
                chrome, row[:-1] + " && r.getAttribute('data-outage') === 'yes' ?"
                " [r.getAttribute('data-state'), r.getAttribute('data-outage'), r.innerText,"
                " !document.getElementById('mda-feeds').hidden] : null;", timeout=20)
            assert state == "reconnecting" and outage == "yes", (state, text)
            assert "reconnecting" in text and "yes" in text
            # The vessels heard before stay on the picture.
            assert chrome.execute_script("return MDA_PICTURE.vessels.length") >= n
            assert severe_console_errors(chrome) == []
            screenshot(chrome, tmp_path / "live_feed_outage.png")
            out = serve.stop()
            assert serve.proc.returncode == 0 and "mda: stopped;" in out
    finally:
        feed.close()
