"""Third-party web assets for the maps: a pinned manifest, a local cache filled from the npm
registry (``mda assets fetch``), and inlining into one self-contained HTML file.

The project commits no third-party JavaScript, CSS or data. Every file a map needs comes from
an npm package pinned here by exact version and by the registry's sha512 ``integrity``; the
tarball is fetched with ``npm pack`` (so ``.npmrc`` registry mirrors and proxies apply), checked
against the integrity, and only the listed files are extracted into the cache:

    <cache>/<package>@<version>/<path>          e.g. leaflet@1.9.4/dist/leaflet.js
    <cache>/<package>@<version>/.complete       JSON: integrity, files

The maps use Leaflet (JS, CSS and the images its CSS references) and no Leaflet plugin: the
data layers, legend and time slider are the project's own code (``maps/static``). Land
polygons for the offline base layer come from ``world-atlas`` (Natural Earth land as
TopoJSON, converted in :mod:`maps.land`). Folium's other default assets (jQuery, Bootstrap,
Font Awesome, awesome-markers, glyphicons) are not loaded by the maps, so there are no icon
fonts to inline.

With the cache present, :func:`inline_html` replaces each ``<script src>`` and stylesheet
``<link>`` naming a known CDN URL by the file's content (CSS ``url()`` references become
``data:`` URIs). Without it the HTML keeps the public CDN URLs, and the report says so.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

AssetKind = Literal["js", "css", "data"]


@dataclass(frozen=True)
class Package:
    """One npm package at an exact version, with the files the maps need from it."""

    name: str
    version: str
    integrity: str  # the registry's dist.integrity (sha512, base64)
    files: tuple[str, ...]
    licence: str

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def folder(self) -> str:
        return self.spec.replace("/", "__")


@dataclass(frozen=True)
class Asset:
    """One file of a package that a map loads, with the public CDN URL used without a cache
    (and other URLs that mean the same file, e.g. folium's default for Leaflet)."""

    key: str
    package: str
    path: str
    kind: AssetKind
    aliases: tuple[str, ...] = ()

    def cdn_url(self) -> str:
        pkg = PACKAGES[self.package]
        return f"https://cdn.jsdelivr.net/npm/{pkg.spec}/{self.path}"


PACKAGES: dict[str, Package] = {
    p.name: p
    for p in (
        Package(
            "leaflet", "1.9.4",
            "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixU"
            "Rb+FA74PA==",
            ("dist/leaflet.js", "dist/leaflet.css", "dist/images/layers.png",
             "dist/images/layers-2x.png", "dist/images/marker-icon.png",
             "dist/images/marker-icon-2x.png", "dist/images/marker-shadow.png", "LICENSE"),
            "BSD-2-Clause"),
        Package(
            "world-atlas", "2.0.2",
            "sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lF"
            "HcYa5ChG0LQ==",
            ("land-110m.json", "land-50m.json", "land-10m.json", "LICENSE"),
            "ISC (data: Natural Earth, public domain)"),
    )
}

_FOLIUM_LEAFLET = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/"
ASSETS: dict[str, Asset] = {
    a.key: a
    for a in (
        Asset("leaflet.js", "leaflet", "dist/leaflet.js", "js", (_FOLIUM_LEAFLET + "leaflet.js",)),
        Asset("leaflet.css", "leaflet", "dist/leaflet.css", "css",
              (_FOLIUM_LEAFLET + "leaflet.css",)),
        Asset("land-110m", "world-atlas", "land-110m.json", "data"),
        Asset("land-50m", "world-atlas", "land-50m.json", "data"),
        Asset("land-10m", "world-atlas", "land-10m.json", "data"),
    )
}
PAGE_ASSETS = ("leaflet.js", "leaflet.css")  # what every map page loads, in order


class AssetError(RuntimeError):
    """Fetching or reading an asset failed; the message says what to do."""


def default_cache_dir() -> Path:
    """``$MDA_ASSETS_DIR``; else ``.cache/assets`` in the source tree this package runs from
    (a clone); else ``$XDG_CACHE_HOME/mda/assets`` (``~/.cache/mda/assets``)."""
    env = os.environ.get("MDA_ASSETS_DIR")
    if env:
        return Path(env)
    root = Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file():
        return root / ".cache" / "assets"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "mda" / "assets"


@dataclass
class InlineReport:
    """What :func:`inline_html` did: which assets were inlined, which URLs stay remote."""

    inlined: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)

    @property
    def offline(self) -> bool:
        return not self.remote


class AssetCache:
    """The local asset cache (see the module docstring)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()

    # -- state -----------------------------------------------------------------------------
    def package_dir(self, name: str) -> Path:
        return self.root / PACKAGES[name].folder

    def has_package(self, name: str) -> bool:
        stamp = self.package_dir(name) / ".complete"
        if not stamp.is_file():
            return False
        try:
            info = json.loads(stamp.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        pkg = PACKAGES[name]
        return bool(info.get("integrity") == pkg.integrity
                    and all((self.package_dir(name) / f).is_file() for f in pkg.files))

    def complete(self) -> bool:
        """Every pinned package is in the cache, intact."""
        return all(self.has_package(n) for n in PACKAGES)

    def missing(self) -> list[str]:
        return [PACKAGES[n].spec for n in PACKAGES if not self.has_package(n)]

    def status(self) -> list[dict[str, Any]]:
        out = []
        for name, pkg in PACKAGES.items():
            present = self.has_package(name)
            size = (sum(f.stat().st_size for f in self.package_dir(name).rglob("*") if f.is_file())
                    if present else 0)
            out.append({"package": pkg.spec, "present": present, "bytes": size,
                        "licence": pkg.licence, "path": str(self.package_dir(name))})
        return out

    # -- reading ---------------------------------------------------------------------------
    def path(self, key: str) -> Path | None:
        """The cached file of an asset, or None when its package is not cached."""
        asset = ASSETS[key]
        if not self.has_package(asset.package):
            return None
        return self.package_dir(asset.package) / asset.path

    def read_bytes(self, key: str) -> bytes | None:
        p = self.path(key)
        return None if p is None else p.read_bytes()

    def served_files(self) -> dict[str, Path]:
        """URL path (``<package>@<version>/<file>``) -> cached file, for every cached file of
        every pinned package: the only files the picture server serves under ``/assets/``."""
        out: dict[str, Path] = {}
        for name, pkg in PACKAGES.items():
            if self.has_package(name):
                for f in pkg.files:
                    out[f"{pkg.folder}/{f}"] = self.package_dir(name) / f
        return out

    def css_inlined(self, key: str) -> str | None:
        """A stylesheet with every relative ``url()`` turned into a ``data:`` URI."""
        asset = ASSETS[key]
        p = self.path(key)
        if p is None:
            return None
        text = p.read_text(encoding="utf-8")
        base = p.parent
        pkg_dir = self.package_dir(asset.package).resolve()

        def repl(m: re.Match[str]) -> str:
            ref = m.group(2)
            if re.match(r"^(data:|#|[a-z]+:)", ref, re.I):
                return m.group(0)
            target = (base / ref.split("?")[0].split("#")[0]).resolve()
            if not target.is_relative_to(pkg_dir) or not target.is_file():
                return m.group(0)
            mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            data = base64.b64encode(target.read_bytes()).decode("ascii")
            return f'url("data:{mime};base64,{data}")'

        return re.sub(r"""url\((['"]?)([^'")]+)\1\)""", repl, text)

    # -- fetching --------------------------------------------------------------------------
    def fetch(self, force: bool = False, npm: str | None = None,
              on_package: Callable[[str, str], None] | None = None) -> list[str]:
        """Fetch every pinned package not yet cached (all with ``force``) from the npm registry
        with ``npm pack``; check each tarball's sha512 against the pin; extract the listed
        files. ``on_package(spec, state)`` is called with ``"cached"`` or ``"fetched"``.
        Returns the specs fetched. Raises :class:`AssetError` on any failure."""
        npm_bin = npm or shutil.which("npm")
        fetched: list[str] = []
        for name, pkg in PACKAGES.items():
            if not force and self.has_package(name):
                if on_package:
                    on_package(pkg.spec, "cached")
                continue
            if npm_bin is None:
                raise AssetError("npm not found: install Node.js/npm (Debian: apt-get install "
                                 "npm) or copy a filled cache from another machine")
            with tempfile.TemporaryDirectory(prefix="mda-assets-") as tmp:
                tarball = _npm_pack(npm_bin, pkg, Path(tmp))
                verify_integrity(tarball, pkg.integrity)
                self._extract(pkg, tarball)
            fetched.append(pkg.spec)
            if on_package:
                on_package(pkg.spec, "fetched")
        return fetched

    def _extract(self, pkg: Package, tarball: Path) -> None:
        dest = self.root / pkg.folder
        tmp_dest = self.root / (pkg.folder + ".partial")
        if tmp_dest.exists():
            shutil.rmtree(tmp_dest)
        wanted = {f"package/{f}": f for f in pkg.files}
        with tarfile.open(tarball, "r:gz") as tar:
            found: set[str] = set()
            for member in tar.getmembers():
                rel = wanted.get(member.name)
                if rel is None or not member.isfile():
                    continue  # only the exact listed regular files: no links, no traversal
                src = tar.extractfile(member)
                if src is None:
                    continue
                out = tmp_dest / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                with src, open(out, "wb") as f:
                    shutil.copyfileobj(src, f)
                found.add(rel)
        missing = sorted(set(pkg.files) - found)
        if missing:
            shutil.rmtree(tmp_dest, ignore_errors=True)
            raise AssetError(f"{pkg.spec}: tarball lacks {', '.join(missing)}")
        (tmp_dest / ".complete").write_text(
            json.dumps({"package": pkg.spec, "integrity": pkg.integrity,
                        "files": list(pkg.files)}, indent=1) + "\n", encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        tmp_dest.rename(dest)


def _npm_pack(npm_bin: str, pkg: Package, tmp: Path) -> Path:
    cmd = [npm_bin, "pack", pkg.spec, "--ignore-scripts", "--json", "--pack-destination",
           str(tmp)]
    try:
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=300,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AssetError(f"npm pack {pkg.spec} failed: {exc}") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise AssetError(f"npm pack {pkg.spec} failed (exit {proc.returncode}): "
                         + " | ".join(tail))
    tarballs = list(tmp.glob("*.tgz"))
    if len(tarballs) != 1:
        raise AssetError(f"npm pack {pkg.spec}: expected one tarball, found {len(tarballs)}")
    return tarballs[0]


def verify_integrity(path: Path, integrity: str) -> None:
    """Check a file against an npm/SRI ``sha512-<base64>`` integrity string."""
    algo, _, expected = integrity.partition("-")
    if algo != "sha512":
        raise AssetError(f"unsupported integrity algorithm {algo!r}")
    digest = base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode("ascii")
    if digest != expected:
        raise AssetError(f"{path.name}: sha512 mismatch (got {digest[:16]}..., pinned "
                         f"{expected[:16]}...); refusing to use it")


# -- inlining ------------------------------------------------------------------------------

def _url_index() -> dict[str, Asset]:
    out: dict[str, Asset] = {}
    for a in ASSETS.values():
        if a.kind == "data":
            continue
        out[a.cdn_url()] = a
        for alias in a.aliases:
            out[alias] = a
    return out


_SCRIPT = re.compile(r"""<script\b[^>]*\bsrc=(["'])(?P<url>[^"']+)\1[^>]*>\s*</script>""", re.I)
_LINK = re.compile(r"""<link\b[^>]*\bhref=(["'])(?P<url>[^"']+)\1[^>]*/?>""", re.I)
_REMOTE = re.compile(r"^(https?:)?//", re.I)


def page_tags(cache: AssetCache | None, base_url: str | None = None) -> tuple[str, bool]:
    """The ``<script>``/``<link>`` tags of :data:`PAGE_ASSETS`: inlined from the cache; or
    ``base_url`` + cache path when given (the picture server's ``/assets/``); or the CDN.
    Returns (tags, from the cache)."""
    tags: list[str] = []
    local = cache is not None and all(cache.path(k) is not None for k in PAGE_ASSETS)
    for key in PAGE_ASSETS:
        a = ASSETS[key]
        if local and base_url is not None:
            url = f"{base_url}{PACKAGES[a.package].folder}/{a.path}"
        else:
            url = a.cdn_url()
        tags.append(f'<script src="{url}"></script>' if a.kind == "js"
                    else f'<link rel="stylesheet" href="{url}"/>')
    html = "\n".join(tags)
    if local and base_url is None:
        assert cache is not None
        html, _ = inline_html(html, cache)
    return html, local


def inline_html(html: str, cache: AssetCache | None) -> tuple[str, InlineReport]:
    """Replace script and stylesheet tags that name a known asset URL by the cached content.
    Remote URLs left over (unknown, or no cache) are listed in the report."""
    report = InlineReport()
    index = _url_index()

    def script(m: re.Match[str]) -> str:
        url = m.group("url")
        asset = index.get(url)
        data = None if asset is None or cache is None else cache.read_bytes(asset.key)
        if asset is None or data is None:
            if _REMOTE.match(url):
                report.remote.append(url)
            return m.group(0)
        report.inlined.append(asset.key)
        text = data.decode("utf-8").replace("</script", "<\\/script")
        return f"<script>/* {PACKAGES[asset.package].spec}/{asset.path} */\n{text}\n</script>"

    def link(m: re.Match[str]) -> str:
        tag, url = m.group(0), m.group("url")
        if "stylesheet" not in tag.lower():
            return tag
        asset = index.get(url)
        css = None if asset is None or cache is None else cache.css_inlined(asset.key)
        if asset is None or css is None:
            if _REMOTE.match(url):
                report.remote.append(url)
            return tag
        report.inlined.append(asset.key)
        css = css.replace("</style", "<\\/style")
        return f"<style>/* {PACKAGES[asset.package].spec}/{asset.path} */\n{css}\n</style>"

    html = _SCRIPT.sub(script, html)
    html = _LINK.sub(link, html)
    return html, report


def remote_references(html: str) -> list[str]:
    """Every http(s) URL the HTML would load as a script, stylesheet, or CSS ``url()``."""
    urls = [m.group("url") for m in _SCRIPT.finditer(html) if _REMOTE.match(m.group("url"))]
    urls += [m.group("url") for m in _LINK.finditer(html)
             if _REMOTE.match(m.group("url")) and "stylesheet" in m.group(0).lower()]
    urls += re.findall(r"""url\(\s*['"]?((?:https?:)?//[^'")]+)""", html, re.I)
    urls += re.findall(r"""@import\s+['"]((?:https?:)?//[^'"]+)""", html, re.I)
    return urls


def asset_keys(kind: AssetKind) -> Iterable[str]:
    return (k for k, a in ASSETS.items() if a.kind == kind)
