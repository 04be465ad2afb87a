"""``mda serve tcp://...`` (issue 10): vessels of a live plain-NMEA feed appear on
/api/vessels within seconds, and /api/health reports the feed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.helpers import REPO
from tests.live.feed import FeedServer, capture


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def test_serve_shows_live_vessels_within_seconds(shared: Path) -> None:
    lines = [s for _, s in capture(shared, 20_000)]
    server = FeedServer(lines, interval_s=0.0005)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mda.cli", "serve", f"rx={server.url}", "--port", "0",
         "--no-shore", "--duration", "60"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+/)", banner)
        assert m, banner
        base = m.group(1)
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
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
        server.close()
    assert proc.returncode == 0
