"""The live path on real local feeds (issue 10): a TCP feed server and a UDP sender on
127.0.0.1 started by the test, streaming the Vernon capture's sentences with their receive-time
prefixes removed. No socket is mocked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from mda.live import LiveFeed, open_live
from mda.records import TIME_ARRIVAL, PositionReport
from mda.runner import EmbeddedRunner
from mda.settings import preset_settings
from tests.helpers import REPO
from tests.live.feed import FeedServer, capture, free_udp_port, send_udp, wait_until


def test_mda_live_subprocess_receives_positions_and_stops_on_sigterm(
        shared: Path, tmp_path: Path) -> None:
    lines = [s for _, s in capture(shared, 20_000)]
    server = FeedServer(lines, interval_s=0.0002)
    stats = tmp_path / "stats.json"
    alerts = tmp_path / "out.jsonl"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mda.cli", "live", server.url, "--alerts", str(alerts),
             "--stats", str(stats), "--no-shore", "--status-every", "1"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Status lines on stderr say how many positions arrived; wait for the first > 0.
        t0 = time.monotonic()
        seen = False
        assert proc.stderr is not None
        for line in proc.stderr:
            if "positions," in line and " 0 positions," not in line:
                seen = True
                break
            if time.monotonic() - t0 > 15:
                break
        first = time.monotonic() - t0
        assert seen, "no positions reported"
        assert first < 8.0
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    finally:
        server.close()
    assert proc.returncode == 0, err
    assert "stopped after" in err
    out = json.loads(stats.read_text())
    assert out["positions"] > 500
    assert out["positions_arrival_time"] == out["positions"]
    assert out["positions_untimed"] == 0
    assert out["vessels"] >= 3
    assert out["health"][0]["connects"] == 1 and out["health"][0]["messages"] > 500
    assert alerts.exists()
    for line in alerts.read_text().splitlines():  # same format as mda replay --alerts
        assert {"alert_id", "kind", "status", "start"} <= set(json.loads(line))
    assert proc.stdout is not None


def test_tcp_reconnects_after_the_server_restarts_and_udp_joins(shared: Path) -> None:
    lines = [s for _, s in capture(shared, 6000)]
    first = FeedServer(lines[:2000], hold=False)
    port = first.port
    udp_port = free_udp_port()
    stop = threading.Event()
    got: list[PositionReport] = []
    sources = [open_live(f"ais1={first.url}", stop=stop),
               open_live(f"rtl=udp://127.0.0.1:{udp_port}", stop=stop)]
    runner = EmbeddedRunner(preset_settings())
    feed = LiveFeed(runner, sources, on_record=got.append)
    th = threading.Thread(target=feed.run, args=(stop,), daemon=True)
    th.start()
    second: FeedServer | None = None
    try:
        assert wait_until(lambda: feed.health_of[0].messages >= 2000)
        first.close()  # the feed goes away ...
        time.sleep(1.0)
        second = FeedServer(lines[2000:4000], port=port)  # ... and comes back on its port
        assert wait_until(lambda: feed.health_of[0].messages >= 4000, 15.0), feed.health()
        assert wait_until(lambda: sources[1].state == "listening")
        send_udp(udp_port, lines[4000:6000])
        assert wait_until(lambda: feed.health_of[1].messages >= 1900)
    finally:
        stop.set()
        th.join(timeout=10)
        first.close()
        if second is not None:
            second.close()
    health = {h["name"]: h for h in feed.health()}
    assert health["ais1"]["connects"] >= 2
    assert health["ais1"]["messages"] >= 4000
    assert health["rtl"]["messages"] >= 1900
    names = {r.source for r in got}
    assert {"ais1", "rtl"} <= names
    assert all(r.time_source == TIME_ARRIVAL for r in got)
