"""``mda serve tcp://...`` (issue 10): vessels of a live plain-NMEA feed appear on
/api/vessels within seconds, and /api/health reports the feed."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.helpers import ServeProcess
from tests.live.feed import FeedServer, capture


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def test_serve_shows_live_vessels_within_seconds(shared: Path) -> None:
    lines = [s for _, s in capture(shared, 20_000)]
    server = FeedServer(lines, interval_s=0.0005)
    try:
        with ServeProcess(f"rx={server.url}", "--port", "0", "--no-shore",
                          "--duration", "60") as serve:
            base = serve.url
            t0 = time.monotonic()
            vessels: list[Any] = []
            while time.monotonic() - t0 < 15:
                vessels = _get(base + "api/vessels")["features"]
                if vessels:
                    break
                time.sleep(0.2)
            first = time.monotonic() - t0
            assert vessels, "no vessel on /api/vessels after 15 s"
            assert first < 5.0
            health = _get(base + "api/health")
            assert health["source"] == "live"
            (feed,) = health["sources"]
            assert feed["name"] == "rx" and feed["url"] == server.url
            assert feed["messages"] > 0 and not feed["outage"]
            assert feed["state"] == "connected"
            status = _get(base + "api/status")
            assert status["clock"] is not None and status["feeds_in_outage"] == 0
            serve.stop()
    finally:
        server.close()
    assert serve.proc.returncode == 0
