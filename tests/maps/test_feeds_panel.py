"""The picture's Feeds panel (issue 10) is the operator's: the page tells its script to poll
``/api/health`` only when the viewer may read it (no token, a server token, or an operator's
partner token); a partner's page has no panel and never asks (``/api/health`` is 403 there,
which would otherwise fail every refresh)."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

from maps.assets import AssetCache
from maps.partners import Partners
from maps.server import PictureServer, PictureState

PARTNER, OPERATOR = "partner-token-0123456789", "operator-token-0123456789"


def _config(srv: PictureServer, token: str | None) -> Any:
    url = srv.url + ("" if token is None else f"?token={token}")
    with urllib.request.urlopen(url, timeout=10) as resp:
        html = resp.read().decode("utf-8")
    m = re.search(r'<script type="application/json" id="mda-config">(.*?)</script>', html, re.S)
    assert m, html[:500]
    return json.loads(m.group(1))


def test_only_the_operator_page_polls_feed_health(tmp_path: Path) -> None:
    f = tmp_path / "partners.toml"
    f.write_text(f"""
[[partner]]
name = "West MRCC"
token = "{PARTNER}"
area_bbox = [-90.0, 0.0, -60.0, 40.0]
layers = ["ais", "alerts"]

[[partner]]
name = "Operations"
role = "operator"
token = "{OPERATOR}"
""", encoding="utf-8")
    cache = AssetCache(tmp_path / "no-cache")
    srv = PictureServer(PictureState(), port=0, partners=Partners.load(f), cache=cache).start()
    try:
        assert _config(srv, PARTNER)["feeds"] is False
        assert _config(srv, OPERATOR)["feeds"] is True
    finally:
        srv.stop()
    plain = PictureServer(PictureState(), port=0, cache=cache).start()
    try:
        assert _config(plain, None)["feeds"] is True
    finally:
        plain.stop()


def test_the_page_script_asks_for_health_only_when_told() -> None:
    from maps.report import static_text

    js = static_text("live.js")
    # The one request for /api/health is behind the page's flag.
    assert js.count("api('/api/health')") == 1
    assert "cfg.feeds ? api('/api/health')" in js
