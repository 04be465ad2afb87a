"""The asset cache: fetching with npm (integrity-checked, only listed files), inlining into
one self-contained HTML file, the CDN fallback when there is no cache, and the offline land
layer from world-atlas."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import stat
import tarfile
from pathlib import Path

import pytest

from maps import assets as A
from maps.assets import AssetCache, AssetError, inline_html, remote_references, verify_integrity
from maps.land import decode_topojson, land_geojson
from maps.report import build_report_map
from mda.cli import main
from tests.maps import rfc7946
from tests.maps.scenario import picture


def _tgz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("package/dist/evil.js")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    return buf.getvalue()


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


@pytest.fixture
def fake_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, bytes]:
    """A pinned package of our own and an ``npm`` that 'packs' it from a local tarball: the
    fetch logic runs without the registry."""
    tarball = _tgz({"package/dist/leaflet.js": b"window.L = {}; // </script> inside",
                    "package/dist/leaflet.css": b".x{background:url(images/a.png)}",
                    "package/dist/images/a.png": b"\x89PNG fake",
                    "package/../../escape.txt": b"never extracted",
                    "package/README.md": b"not listed"})
    src = tmp_path / "leaflet-9.9.9.tgz"
    src.write_bytes(tarball)
    npm = tmp_path / "npm"
    npm.write_text("#!/bin/sh\n# args: pack SPEC --ignore-scripts --json --pack-destination DIR\n"
                   f'cp "{src}" "$6/leaflet-9.9.9.tgz"\necho "[]"\n', encoding="utf-8")
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    pkg = A.Package("leaflet", "9.9.9", _sri(tarball),
                    ("dist/leaflet.js", "dist/leaflet.css", "dist/images/a.png"), "test")
    monkeypatch.setattr(A, "PACKAGES", {"leaflet": pkg})
    return npm, tarball


def test_fetch_checks_integrity_and_extracts_only_listed_files(
        tmp_path: Path, fake_npm: tuple[Path, bytes]) -> None:
    npm, _ = fake_npm
    cache = AssetCache(tmp_path / "cache")
    assert not cache.complete()
    seen: list[tuple[str, str]] = []
    assert cache.fetch(npm=str(npm), on_package=lambda s, st: seen.append((s, st))) == [
        "leaflet@9.9.9"]
    assert cache.complete() and seen == [("leaflet@9.9.9", "fetched")]
    files = sorted(str(p.relative_to(cache.root)) for p in cache.root.rglob("*") if p.is_file())
    assert files == ["leaflet@9.9.9/.complete", "leaflet@9.9.9/dist/images/a.png",
                     "leaflet@9.9.9/dist/leaflet.css", "leaflet@9.9.9/dist/leaflet.js"]
    assert not (tmp_path / "escape.txt").exists()
    assert cache.fetch(npm=str(npm)) == []  # cached: nothing fetched again


def test_a_tampered_tarball_is_refused(tmp_path: Path, fake_npm: tuple[Path, bytes],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    npm, tarball = fake_npm
    pkg = A.PACKAGES["leaflet"]
    monkeypatch.setattr(A, "PACKAGES", {"leaflet": A.Package(
        pkg.name, pkg.version, _sri(tarball + b"x"), pkg.files, pkg.licence)})
    cache = AssetCache(tmp_path / "cache")
    with pytest.raises(AssetError, match="sha512 mismatch"):
        cache.fetch(npm=str(npm))
    assert not cache.complete()
    bad = tmp_path / "f"
    bad.write_bytes(b"abc")
    verify_integrity(bad, _sri(b"abc"))
    with pytest.raises(AssetError):
        verify_integrity(bad, _sri(b"abd"))


def test_inlining_replaces_known_urls_and_reports_the_rest(
        tmp_path: Path, fake_npm: tuple[Path, bytes]) -> None:
    npm, _ = fake_npm
    cache = AssetCache(tmp_path / "cache")
    cache.fetch(npm=str(npm))
    js, css = A.ASSETS["leaflet.js"].cdn_url(), A.ASSETS["leaflet.css"].cdn_url()
    page = (f'<head><script src="{js}"></script><link rel="stylesheet" href="{css}"/>'
            '<script src="https://example.org/other.js"></script></head>')
    out, report = inline_html(page, cache)
    assert report.inlined == ["leaflet.js", "leaflet.css"]
    assert report.remote == ["https://example.org/other.js"] and not report.offline
    assert js not in out and css not in out
    assert "window.L = {}; // <\\/script> inside" in out  # cannot close the script early
    assert 'url("data:image/png;base64,' in out
    assert remote_references(out) == ["https://example.org/other.js"]
    # Without a cache nothing is inlined and every CDN URL is reported.
    out2, report2 = inline_html(page, AssetCache(tmp_path / "empty"))
    assert out2 == page and len(report2.remote) == 3


def test_without_a_cache_the_map_uses_the_cdn_and_the_cli_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = picture()
    _html, info = build_report_map(p.alerts, p.tracks, cache=AssetCache(tmp_path / "none"))
    assert info["assets"] == "cdn" and info["land"] is None
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js" in info["remote"]
    alerts = tmp_path / "a.jsonl"
    alerts.write_text("".join(json.dumps(a) + "\n" for a in p.alerts), encoding="utf-8")
    assert main(["map", str(alerts), "--assets-dir", str(tmp_path / "none")]) == 0
    err = capsys.readouterr().err
    assert "public CDN" in err and "mda assets fetch" in err
    assert main(["assets", "status", "--dir", str(tmp_path / "none")]) == 1


def test_with_the_cache_the_map_loads_nothing_from_the_network(
        assets: AssetCache, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = picture()
    html, info = build_report_map(p.alerts, p.tracks, cache=assets)
    assert info["assets"] == "inlined" and info["remote"] == [] and info["land"]
    assert remote_references(html) == []
    for tag in re.findall(r"<script\b[^>]*>|<link\b[^>]*>", html):
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", tag), tag
    assert "leaflet@1.9.4/dist/leaflet.js" in html  # the pinned file, inlined
    alerts = tmp_path / "a.jsonl"
    alerts.write_text("".join(json.dumps(a) + "\n" for a in p.alerts), encoding="utf-8")
    assert main(["map", str(alerts), "--out", str(tmp_path / "m.html")]) == 0
    assert "inlined" in capsys.readouterr().out
    assert main(["assets", "status"]) == 0


def test_topojson_decoding_of_shared_and_reversed_arcs() -> None:
    # Two unit squares sharing the arc x=11 (quantized, delta-encoded); the right one walks
    # the shared arc backwards (~0 == -1).
    topo = {"type": "Topology", "transform": {"scale": [1, 1], "translate": [10, 20]},
            "objects": {"land": {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[0, 1]]},
                {"type": "MultiPolygon", "arcs": [[[2, ~0]]]}]}},
            "arcs": [[[1, 0], [0, 1]],                    # (11,20) (11,21)
                     [[1, 1], [-1, 0], [0, -1], [1, 0]],  # (11,21) (10,21) (10,20) (11,20)
                     [[1, 0], [1, 0], [0, 1], [-1, 0]]]}  # (11,20) (12,20) (12,21) (11,21)
    left, right = decode_topojson(topo)
    assert list(left.exterior.coords) == [(11, 20), (11, 21), (10, 21), (10, 20), (11, 20)]
    assert list(right.exterior.coords) == [(11, 20), (12, 20), (12, 21), (11, 21), (11, 20)]
    assert left.area == right.area == 1.0


def test_offline_land_is_natural_earth_clipped_to_the_extent(assets: AssetCache) -> None:
    import shapely

    fc = land_geojson(assets, (-68.5, 17.0, -64.0, 19.5))
    assert fc is not None and rfc7946.errors(fc) == []
    land = shapely.from_geojson(json.dumps(fc["features"][0]["geometry"]))
    assert land.contains(shapely.Point(-66.45, 18.2))  # inland Puerto Rico
    assert not land.contains(shapely.Point(-66.5, 17.5))  # Caribbean Sea south of it
    minx, _miny, maxx, _maxy = land.bounds
    assert minx >= -70.5 and maxx <= -62.0  # clipped (extent plus the margin)
    world = land_geojson(assets)
    assert world is not None and "110m" in world["features"][0]["properties"]["source"]
