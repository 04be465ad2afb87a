"""A batch replay split across processes: the same alerts, sooner, on a machine with cores to
spare (``mda replay --jobs N``).

The detectors are shared out among ``N`` forked processes (kept whole where one reads
another's state: the gap detector and the feed detector it judges by). Every process reads,
decodes and orders the whole input (decoding is about a third of a replay; the detectors are
the rest) and runs only its share of the detectors, so the records never cross a process
boundary. The first process also reports progress, rejects, the ingest summary, the vessel
registry and the learned anchorages. Each alert is keyed by when one process running every
detector would have emitted it (``DetectorSet.op``: the record, advance or late call; the
detector's place in the settings; the order within that), so the merged alerts reach the sink
in exactly the order, and with exactly the content, of a one-process run; the tests check it
on real captures.

Only file inputs replayed to the end with nothing watching the records go this way (no map
collector, no streaming callbacks, no eviction); anything else runs in one process.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from ingest.quarantine import Reject
from ingest.sources import LineSource, Source
from mda.detection import DetectorSet
from mda.records import Alert

if TYPE_CHECKING:
    from mda.runner import EmbeddedRunner, Progress, Summary

# Detectors that must run in one process (one reads the other's state: Detector.configure).
_TOGETHER = (("gap", "feed"),)
# Relative cost per record, to balance the shares (bench/replay_throughput.py
# --per-detector on the synthetic file, 2026-12-08); unlisted detectors count 1.
_COST = {"gap": 3.3, "feed": 0.6, "spoofing": 1.9, "zone": 1.4, "loitering": 1.3,
         "rendezvous": 0.7, "dark_target": 0.5}
_REJECTS_BATCH = 2048


def can_split(runner: EmbeddedRunner, sources: list[LineSource], jobs: int) -> bool:
    """Whether :func:`run_split` may run this replay (module docstring)."""
    return (jobs > 1 and "fork" in mp.get_all_start_methods()
            and len(shares(runner, jobs)) > 1
            and all(type(s) is Source and s.name != "-" for s in sources)
            and runner.on_position is None and runner.on_contact is None
            and runner.on_static is None and runner.on_watermark is None
            and not runner.evict_after_s)


def shares(runner: EmbeddedRunner, jobs: int) -> list[list[str]]:
    """The enabled detectors in at most ``jobs`` groups of about equal cost (largest first
    into the lightest group), detectors that must stay together kept together."""
    enabled = [n for n, s in runner.settings.detectors.items() if s.enabled]
    units: list[list[str]] = []
    for name in enabled:
        group = next((g for g in _TOGETHER if name in g), (name,))
        unit = [n for n in group if n in enabled]
        if unit not in units:
            units.append(unit)
    units.sort(key=lambda u: -sum(_COST.get(n, 1.0) for n in u))
    groups: list[list[str]] = [[] for _ in range(min(jobs, len(units)))]
    for unit in units:
        lightest = min(groups, key=lambda g: sum(_COST.get(n, 1.0) for n in g))
        lightest.extend(unit)
    return [g for g in groups if g]


def run_split(runner: EmbeddedRunner, sources: list[LineSource], until: datetime | None,
              progress: Progress | None, jobs: int) -> Summary:
    """Replay ``sources`` with the detectors shared out among processes; the same summary,
    alerts (in the same order) and rejects as ``runner.run`` in one process."""
    ctx = mp.get_context("fork")
    groups = shares(runner, jobs)
    procs: list[Any] = []
    conns: dict[Connection, int] = {}
    for i, names in enumerate(groups):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(runner, names, sources, until, send, i == 0,
                                                progress is not None), daemon=True)
        proc.start()
        send.close()
        procs.append(proc)
        conns[recv] = i
    results: dict[int, dict[str, Any]] = {}
    try:
        while conns:
            for conn in wait(list(conns)):
                assert isinstance(conn, Connection)
                i = conns[conn]
                try:
                    kind, body = conn.recv()
                except EOFError:
                    raise RuntimeError(f"replay process {i} ended without a result "
                                       f"(exit code {procs[i].exitcode})") from None
                if kind == "progress" and progress is not None:
                    progress(body)
                elif kind == "rejects":
                    for r in body:
                        runner.on_reject(r)
                elif kind == "error":
                    raise RuntimeError(f"replay process {i} failed:\n{body}")
                elif kind == "done":
                    results[i] = body
                    del conns[conn]
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join()
    return _merge(runner, sources, results)


def _merge(runner: EmbeddedRunner, sources: list[LineSource],
           results: dict[int, dict[str, Any]]) -> Summary:
    first = results[0]
    keyed: list[tuple[tuple[int, int, int], Alert]] = []
    counters: dict[str, dict[str, int]] = {}
    for body in results.values():
        keyed.extend(zip(body["keys"], body["alerts"], strict=True))
        counters.update(body["counters"])
    keyed.sort(key=lambda ka: ka[0])
    detection = runner.detection
    for _, alert in keyed:
        detection.emit_alert(alert)
    detection.registry = first["registry"]
    detection.anchorages = first["anchorages"]
    summary: Summary = first["summary"]
    runner.stats = summary.stats
    return replace(summary, alerts=detection.alert_kinds(), alerts_open=detection.alerts_open(),
                   not_alerted={n: counters[n] for n in runner.settings.detectors
                                if n in counters})


def _child(runner: EmbeddedRunner, names: list[str], sources: list[LineSource],
           until: datetime | None, conn: Connection, first: bool, progress: bool) -> None:
    """One process's share (forked: ``runner`` is the parent's, copied)."""
    try:
        share = runner.settings.only(*names)
        alerts: list[Alert] = []
        detection = DetectorSet(share, alerts.append, runner.context_given, runner.geography)
        detection.keys = []
        runner.detection = detection
        rejects: list[Reject] = []
        if first:
            def on_reject(r: Reject) -> None:
                rejects.append(r)
                if len(rejects) >= _REJECTS_BATCH:
                    conn.send(("rejects", list(rejects)))
                    rejects.clear()
        else:
            def on_reject(r: Reject) -> None:
                return None  # the first process reports them
        runner.on_reject = on_reject
        report: Callable[[int], None] | None = None
        if first and progress:
            def report(n: int) -> None:
                conn.send(("progress", n))
        summary = runner.run_serial(sources, until, report)
        if rejects:
            conn.send(("rejects", rejects))
        body: dict[str, Any] = {"keys": detection.keys, "alerts": alerts,
                                "counters": detection.counters()}
        if first:
            body.update(summary=summary, registry=detection.registry,
                        anchorages=detection.anchorages)
        conn.send(("done", body))
    except BaseException:  # any failure goes to the parent, which raises it
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()

