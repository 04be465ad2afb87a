"""Receive time (issue 10): on a live source an untimed sentence takes the wall-clock time it
was received (from an injectable clock) and says so; a time the sender gives still wins."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

from ingest.network import NetworkSource
from mda.records import TIME_ARRIVAL, TIME_TAG, PositionReport
from mda.runner import EmbeddedRunner
from mda.settings import preset_settings
from tests.live.feed import FeedServer, capture, tag_blocked

T0 = 1_700_000_000.0


class CountingClock:
    """A fake wall clock: each call returns the next whole second after T0 (thread-safe)."""

    def __init__(self) -> None:
        self._n = itertools.count()
        self._lock = threading.Lock()
        self.returned: set[float] = set()

    def __call__(self) -> float:
        with self._lock:
            t = T0 + next(self._n)
            self.returned.add(t)
            return t


def _run(url: str, clock: CountingClock) -> tuple[list[PositionReport], dict[str, Any]]:
    got: list[PositionReport] = []
    runner = EmbeddedRunner(preset_settings(), on_position=got.append)
    src = NetworkSource(url, idle_timeout_s=1.0, clock=clock)
    summary = runner.run([src]).as_dict()
    return got, summary


def test_untimed_tcp_lines_take_the_injected_arrival_time(shared: Path) -> None:
    lines = capture(shared, 3000)
    server = FeedServer([s for _, s in lines])
    clock = CountingClock()
    try:
        got, summary = _run(server.url, clock)
    finally:
        server.close()
    assert summary["lines_read"] == 3000
    assert summary["positions_untimed"] == 0
    assert summary["positions"] > 1500
    assert summary["positions_arrival_time"] == summary["positions"]
    assert len(got) == summary["positions"]
    assert all(r.time_source == TIME_ARRIVAL for r in got)
    assert all(r.ts is not None and r.ts.timestamp() in clock.returned for r in got)
    assert summary["vessels"] >= 3


def test_tag_block_times_win_over_arrival(shared: Path) -> None:
    lines = capture(shared, 2000)
    # The capture's own times (2016) in tag blocks; the receiving clock says 2023.
    served = [tag_blocked(t, s) for t, s in lines]
    tag_times = {float(int(t)) for t, _ in lines}
    server = FeedServer(served)
    clock = CountingClock()
    try:
        got, summary = _run(server.url, clock)
    finally:
        server.close()
    assert summary["positions"] > 1000
    assert len(got) == summary["positions"]
    assert summary["positions_arrival_time"] == 0
    assert all(r.time_source == TIME_TAG for r in got)
    assert all(r.ts is not None and r.ts.timestamp() in tag_times for r in got)
    assert summary["first_event_time"].startswith("2016-03-31")
