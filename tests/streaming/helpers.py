"""Helpers for streaming tests: run mda commands as subprocesses, read topics."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.helpers import REPO


def prefix() -> str:
    return "t" + uuid.uuid4().hex[:8]


def mda(*args: str, env: dict[str, str] | None = None, timeout: float = 300
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mda.cli", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=timeout, check=False,
                          env={**os.environ, **(env or {})})


def start_worker(bootstrap: str, topic_prefix: str, app_id: str, log: Path,
                 *extra: str) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "mda.cli", "worker", "--bootstrap", bootstrap,
             "--topic-prefix", topic_prefix, "--app-id", app_id,
             "--no-shore", *extra],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen[bytes], kill: bool = False) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def read_topic(bootstrap: str, topic: str, idle_s: float = 3.0) -> list[Any]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=int(idle_s * 1000))
    out = list(consumer)
    consumer.close()
    return out


def final_alerts(bootstrap: str, topic_prefix: str) -> dict[str, tuple[str, str]]:
    """alert id -> (kind, last status) from the alerts topic."""
    out: dict[str, tuple[str, str]] = {}
    for msg in read_topic(bootstrap, f"{topic_prefix}.alerts", idle_s=2.0):
        a = json.loads(msg.value)
        out[a["alert_id"]] = (a["kind"], a["status"])
    return out


def wait_for(check: Callable[[], bool], timeout_s: float = 120.0, every_s: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every_s)
    return check()
