"""Test helpers: run the embedded pipeline on files or on lines held in memory."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from detectors.base import Detector
from ingest.quarantine import Reject
from ingest.sources import Source
from mda.records import Alert, PositionReport
from mda.runner import EmbeddedRunner, Summary
from mda.settings import Settings, preset_settings
from mda.vessels import VesselLookup, vessel_info

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MDA_SHARED_DATA", REPO.parent / "shared" / "data"))


class Run:
    """The result of an embedded run: alerts (every lifecycle state), rejects, summary."""

    def __init__(self, summary: Summary, alerts: list[Alert], rejects: list[Reject]) -> None:
        self.summary = summary
        self.alerts = alerts
        self.rejects = rejects
        self.stats = summary.as_dict()

    def final(self) -> dict[str, Alert]:
        """The last state of every alert, by id."""
        out: dict[str, Alert] = {}
        for a in self.alerts:
            out[a.alert_id] = a
        return out


def replay(sources: Iterable[Source | Path | str], settings: Settings | None = None,
           until: datetime | None = None) -> Run:
    alerts: list[Alert] = []
    rejects: list[Reject] = []
    runner = EmbeddedRunner(settings or preset_settings(), alerts.append, rejects.append)
    srcs = [s if isinstance(s, Source) else Source.open(str(s)) for s in sources]
    summary = runner.run(srcs, until=until)
    return Run(summary, alerts, rejects)


def replay_lines(lines: Iterable[str | bytes], settings: Settings | None = None,
                 until: datetime | None = None, name: str = "test") -> Run:
    data = b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines) + b"\n"
    return replay([Source.from_bytes(name, data)], settings, until)


def drive(detector: Detector[Any], reports: Iterable[PositionReport],
          until: float | None = None) -> list[Alert]:
    """Feed position reports to one detector in event-time order, advancing the watermark to
    each report's time first (as the runner does), then to ``until``."""
    alerts: list[Alert] = []
    for r in sorted(reports, key=lambda r: (ts_of(r), r.mmsi)):
        t = ts_of(r).timestamp()
        alerts += detector.advance(t)
        alerts += detector.step(r, t)
    if until is not None:
        alerts += detector.advance(until)
    return alerts


def info_from(table: dict[int, dict[str, Any]]) -> VesselLookup:
    """A vessel_info lookup over a fixed table of static fields, with the flag from the MID
    like the registry's."""
    return lambda mmsi: vessel_info(mmsi, table.get(mmsi))


class ServeProcess:
    """``mda serve ARGS...`` in a child process, as a user starts it; ``url`` is the picture's
    address read from its first line. Use as a context manager: the child is killed on the
    way out if the test did not stop it with :meth:`stop`."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "mda.cli", "serve", *args],
                                     cwd=REPO, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.stderr = ""
        assert self.proc.stdout is not None
        banner = self.proc.stdout.readline()
        m = re.search(r"live picture at (http://127\.0\.0\.1:\d+/)", banner)
        if m is None:
            self.kill()
            raise AssertionError(f"no picture address in {banner!r}: {self.stderr}")
        self.url = m.group(1)

    def stop(self, timeout: float = 10.0) -> str:
        """Ctrl-C, as a user stops it; the rest of its standard output."""
        self.proc.send_signal(signal.SIGINT)
        out, self.stderr = self.proc.communicate(timeout=timeout)
        return out

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        _, self.stderr = self.proc.communicate()

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.kill()


class _Timed(Protocol):
    @property
    def ts(self) -> datetime | None: ...


def ts_of(record: _Timed) -> datetime:
    """A record's event time, which a test's record must have (the test fails if not)."""
    assert record.ts is not None, f"no event time: {record!r}"
    return record.ts
