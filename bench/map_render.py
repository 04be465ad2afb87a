"""Report-map size and render time in headless Chromium for 1k, 10k and 50k vessels.

Run by hand (never gates CI); needs Debian ``chromium`` and ``chromium-driver`` and the asset
cache (``mda assets fetch``):

    .venv/bin/python bench/map_render.py                     # 1k, 10k, 50k
    .venv/bin/python bench/map_render.py --vessels 1000 --naive

For each size: seeded synthetic traffic in the Caribbean window (every vessel under way on a
wandering course, a report every ``--interval`` s for ``--hours``), fed report by report
through ``TrackCollector.add`` (as ``mda replay --map`` does), about one alert per 100
vessels of every kind (gaps with their dashed line, rendezvous pairs, spoofing jumps), then
``write_report_map``. Chromium opens the file with all networking off and the bench records:
the time to the map being drawn (navigation start to the first frame after every layer is
added: ``window.MDA_READY``), the time to redraw after zooming in one level and after moving
the time slider to the middle, and the JS heap.

``--naive`` adds, for comparison, the usual folium way: one ``folium.CircleMarker`` with a
tooltip per vessel and one ``folium.PolyLine`` per unthinned track (Leaflet inlined too, same
network-off browser, also on a canvas).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from maps.assets import AssetCache, inline_html  # noqa: E402
from maps.report import TrackCollector, write_report_map  # noqa: E402
from mda.records import PositionReport  # noqa: E402
from mda.vessels import VesselInfo  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
T0 = datetime(2024, 3, 12, tzinfo=UTC)


def synthetic(n: int, hours: float, interval_s: float, seed: int = 7
              ) -> tuple[TrackCollector, list[dict[str, Any]], dict[int, VesselInfo], float]:
    """Seeded traffic: returns the collector, alerts, vessel info and the seconds spent in
    ``TrackCollector.add``."""
    rng = np.random.default_rng(seed)
    steps = int(hours * 3600 / interval_s)
    lat = rng.uniform(9.0, 27.0, n)
    lon = rng.uniform(-88.0, -60.0, n)
    course = rng.uniform(0, 360, n)
    speed = rng.uniform(4.0, 18.0, n)
    types = rng.choice([30, 52, 60, 70, 80, 37, 0], n)
    mmsis = 200_000_000 + np.arange(n) * 7
    times = [T0 + timedelta(seconds=i * interval_s) for i in range(steps)]
    step_deg = speed * interval_s / 3600.0 / 60.0
    tracks = TrackCollector()
    spent = 0.0
    for i in range(steps):
        course = (course + rng.normal(0, 6, n)) % 360
        rad = np.radians(course)
        lat = lat + step_deg * np.cos(rad)
        lon = lon + step_deg * np.sin(rad) / np.cos(np.radians(lat))
        ts = times[i]
        reports = [PositionReport(ts, int(m), float(la), float(lo), float(sp), float(c),
                                  int(c), 0, 1)
                   for m, la, lo, sp, c in zip(mmsis, lat, lon, speed, course, strict=True)]
        t = time.perf_counter()
        for r in reports:
            tracks.add(r)
        spent += time.perf_counter() - t
    info = {int(m): VesselInfo(name=f"VESSEL {k}", ship_type=int(st) or None, flag="PAN",
                               flag_country="Panama")
            for k, (m, st) in enumerate(zip(mmsis, types, strict=True))}
    alerts = []
    for k in range(max(3, n // 100)):
        v = int(rng.integers(n))
        m = int(mmsis[v])
        kind = ("gap", "rendezvous", "spoofing", "loitering")[k % 4]
        start = T0 + timedelta(seconds=float(rng.uniform(0, hours * 3600 * 0.8)))
        la, lo = float(lat[v]), float(lon[v])
        a: dict[str, Any] = {
            "alert_id": f"bench{k:06d}", "kind": kind, "status": "closed",
            "severity": ("medium", "high", "low", "info")[k % 4], "mmsi": m,
            "other_mmsi": int(mmsis[(v + 1) % n]) if kind == "rendezvous" else None,
            "start": start.isoformat().replace("+00:00", "Z"),
            "end": (start + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
            "lat": la, "lon": lo, "zone_id": None, "zone_name": None,
            "vessel": info[m].to_dict(), "evidence": {}, "summary": f"bench alert {k} ({kind})"}
        if kind == "gap":
            a["evidence"] = {"gap_h": 3.0, "last_lat": la, "last_lon": lo,
                             "first_lat": la + 0.3, "first_lon": lo + 0.3}
        if kind == "spoofing":
            a["evidence"] = {"reason": "speed", "from_lat": la, "from_lon": lo,
                             "to_lat": la + 1.0, "to_lon": lo - 1.0}
        alerts.append(a)
    return tracks, alerts, info, spent


def naive_map(path: Path, tracks: TrackCollector, cache: AssetCache) -> None:
    """The usual folium way, for comparison (same Leaflet, inlined)."""
    import folium

    from maps.report import _map_class

    m = _map_class()(location=[18, -74], zoom_start=5, tiles=None, prefer_canvas=True)
    for mmsi in tracks.mmsis():
        _t, lat, lon = tracks.track(mmsi)
        folium.PolyLine(list(zip(lat.tolist(), lon.tolist(), strict=True)),  # type: ignore[no-untyped-call]
                        weight=1).add_to(m)
        # A tooltip, not a popup: folium's popups need jQuery, which this page does not load.
        folium.CircleMarker([float(lat[-1]), float(lon[-1])], radius=4,
                            tooltip=f"MMSI {mmsi}").add_to(m)
    html = m.get_root().render().replace(
        "</html>", "<script>requestAnimationFrame(function(){window.MDA_READY="
                   "performance.now();});</script></html>")
    html, _ = inline_html(html, cache)
    path.write_text(html, encoding="utf-8")


def browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              f"--user-data-dir={tempfile.mkdtemp(prefix='mda-bench-')}",
              "--window-size=1400,900", "--proxy-server=http://127.0.0.1:9",
              "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-precise-memory-info"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def measure(path: Path, slider: bool) -> dict[str, float]:
    d = browser()
    d.set_page_load_timeout(600)
    d.set_script_timeout(600)
    try:
        d.get(path.as_uri())
        ready = None
        deadline = time.monotonic() + 600
        while ready is None and time.monotonic() < deadline:
            ready = d.execute_script("return window.MDA_READY || null")
            if ready is None:
                time.sleep(0.05)
        errors = [e["message"] for e in d.get_log("browser") if e["level"] == "SEVERE"]
        if ready is None or errors:
            raise RuntimeError(f"{path.name} did not render: {errors[:3]}")
        out: dict[str, float] = {"ready_ms": float(ready)}
        # Zoom in one level (no animation) and wait two frames: the canvas reprojects and
        # redraws. Median of three, zooming back out between them.
        zooms = [float(d.execute_async_script(
            "var done = arguments[0]; var m = (window.MDA_PICTURE || {}).map;"
            "if (!m) { for (var k in window) { if (k.indexOf('map_') === 0 && window[k] &&"
            " window[k].setZoom) { m = window[k]; break; } } }"
            "var t = performance.now(); m.setZoom(m.getZoom() + 1, {animate: false});"
            "requestAnimationFrame(function () { requestAnimationFrame(function () {"
            " var dt = performance.now() - t; m.setZoom(m.getZoom() - 1, {animate: false});"
            " requestAnimationFrame(function () { done(dt); }); }); });"))
            for _ in range(3)]
        out["zoom_ms"] = sorted(zooms)[1]
        if slider:
            out["slider_ms"] = float(d.execute_async_script(
                "var done = arguments[0], s = MDA_PICTURE.slider, t = performance.now();"
                "s.setValue(500); requestAnimationFrame(function () {"
                " requestAnimationFrame(function () { done(performance.now() - t); }); });"))
        out["heap_mb"] = float(d.execute_script(
            "return performance.memory ? performance.memory.usedJSHeapSize / 1e6 : NaN"))
        return out
    finally:
        d.quit()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vessels", type=int, action="append",
                    help="vessel counts (default 1000, 10000, 50000)")
    ap.add_argument("--hours", type=float, default=3.0)
    ap.add_argument("--interval", type=float, default=120.0, help="seconds between reports")
    ap.add_argument("--naive", action="store_true",
                    help="also measure one folium marker and polyline per vessel")
    ap.add_argument("--naive-max", type=int, default=10_000,
                    help="largest count for --naive (default 10000)")
    ap.add_argument("--keep", metavar="DIR", help="keep the HTML files in DIR")
    args = ap.parse_args()
    cache = AssetCache()
    if not cache.complete():
        print("asset cache incomplete: run .venv/bin/mda assets fetch", file=sys.stderr)
        return 2
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        print("needs /usr/bin/chromium and /usr/bin/chromedriver (scripts/ensure-chromium.sh)",
              file=sys.stderr)
        return 2
    out_dir = Path(args.keep or tempfile.mkdtemp(prefix="mda-map-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in args.vessels or [1000, 10_000, 50_000]:
        tracks, alerts, info, add_s = synthetic(n, args.hours, args.interval)
        t = time.perf_counter()
        path = out_dir / f"map_{n}.html"
        res = write_report_map(path, alerts, tracks, vessel_info=info.__getitem__,
                               title=f"bench {n} vessels")
        build_s = time.perf_counter() - t
        assert res["assets"] == "inlined" and not res["remote"], res
        m = measure(path, slider=True)
        rows.append(("mda", n, tracks.reports, res["track_points"], res["bytes"], build_s, m,
                     tracks.reports / add_s))
        print(f"mda   {n:>6} vessels: {res['bytes'] / 1e6:7.2f} MB, build {build_s:5.1f} s, "
              f"ready {m['ready_ms']:7.0f} ms, zoom {m['zoom_ms']:6.0f} ms, slider "
              f"{m['slider_ms']:6.0f} ms, heap {m['heap_mb']:6.0f} MB, "
              f"{res['track_points']:,} track points of {tracks.reports:,} reports "
              f"(TrackCollector.add {tracks.reports / add_s / 1e6:.2f} M reports/s)", flush=True)
        if args.naive and n <= args.naive_max:
            npath = out_dir / f"naive_{n}.html"
            t = time.perf_counter()
            naive_map(npath, tracks, cache)
            nbuild = time.perf_counter() - t
            nm = measure(npath, slider=False)
            size = npath.stat().st_size
            rows.append(("naive", n, tracks.reports, tracks.points, size, nbuild, nm, 0.0))
            print(f"naive {n:>6} vessels: {size / 1e6:7.2f} MB, build {nbuild:5.1f} s, "
                  f"ready {nm['ready_ms']:7.0f} ms, zoom {nm['zoom_ms']:6.0f} ms, "
                  f"heap {nm['heap_mb']:6.0f} MB", flush=True)
    print("\n| map | vessels | reports | track points drawn | file MB | build s | "
          "ready ms | zoom ms | slider ms | JS heap MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, n, reports, pts, size, build, m, _ in rows:
        print(f"| {kind} | {n:,} | {reports:,} | {pts:,} | {size / 1e6:.1f} | {build:.1f} | "
              f"{m['ready_ms']:,.0f} | {m['zoom_ms']:,.0f} | "
              f"{m.get('slider_ms', math.nan):,.0f} | {m['heap_mb']:,.0f} |")
    print(f"\nfiles in {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
