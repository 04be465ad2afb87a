"""Benchmark: alert latency on a live paced feed (issue 10).

Run by hand (never gates CI):

    .venv/bin/python bench/live_latency.py [--rates 1000 20000] [--duration 30] [--json OUT]

For each rate, a TCP feed server on 127.0.0.1 (started here) streams the Vernon capture's
sentences (receive-time prefixes removed: what a receiver sends) at that many sentences per
second, cycling through the capture, and injects a *probe* every ``--probe-every`` seconds: an
AIS type-1 position report (built with pyais's encoder) from a fresh MMSI whose MID is not
allocated (200xxxxxx). That one sentence proves an event: the spoofing detector raises an
``invalid_mmsi`` alert on it. The latency of a probe is the wall time from the moment the
sentence was written to the socket to the moment its alert is seen:

* ``serve``: ``mda serve tcp://...`` as a user runs it (a process, port 0); this script polls
  ``GET /api/alerts?kind=spoofing&since=<a minute ago>`` every ``--poll`` seconds over one
  kept-alive connection, as a browser does (the poll interval is part of the figure);
* ``live``: ``mda live tcp://... --alerts -``; this script reads its standard output (JSON
  lines) as they come.

A probe not seen by the end of the run (3 s after the feed stopped) is counted as ``unseen``
(still queued behind a processor that fell behind, or lost); the percentiles are over the
probes seen. Both are the embedded path (one process, no broker). The figures are the median
and p99 over the probes of one run; the processor's own count of lines received is printed
beside what was sent, so a processor that falls behind shows. The machine is shared and noisy:
figures are from one run, on whatever else the machine was doing (its load is printed).

Two feeds (``--feeds``):

* ``capture`` (the Vernon capture, cycled): at 20,000 sentences/s its 24 hours are replayed
  about 30,000 times faster than they were received, so every vessel seems to jump back and
  forth at thousands of knots: not traffic any receiver hears, but the spoofing detector's
  hardest case;
* ``fleet``: what a feed of that rate carries at sea, many vessels each reporting at a
  class A interval: ``rate x --interval`` vessels (200,000 at 20,000/s and 10 s) on straight
  courses at 5-20 kn in open water (20-35N, 40-60W), plain type-1 sentences whose positions
  move with the wall clock, so their arrival times give true speeds. Its probes start once
  every vessel has been heard (``--warmup`` defaults to one interval plus 5 s): the first
  interval after connecting is a start-up transient in which every report is a vessel's first
  (new state in every detector); the figures are the watch floor's steady state.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("MDA_SHARED_DATA", REPO.parent / "shared" / "data"))
PROBE_MID = 200  # not an allocated MID: a vessel with it gets an invalid_mmsi alert


def probe_sentence(mmsi: int) -> bytes:
    """A type-1 position report of ``mmsi`` off Puerto Rico, as one !AIVDM sentence."""
    from pyais.encode import encode_dict

    (sentence,) = encode_dict({"type": 1, "mmsi": mmsi, "lat": 18.6, "lon": -66.4,
                               "speed": 8.0, "course": 90.0, "heading": 90},
                              talker_id="AI")
    return sentence.encode()


def fleet_lines(rate: float, interval_s: float, seconds: float, seed: int = 7) -> list[bytes]:
    """``seconds`` of a paced fleet feed in send order (module docstring): each of
    ``rate * interval_s`` vessels reports every ``interval_s`` from a random phase."""
    import numpy as np

    from mda.exercise.nmea import position_payloads, vdm_lines

    rng = np.random.default_rng(seed)
    n = max(1, int(rate * interval_s))
    mmsi = 538_000_000 + np.arange(n)  # Marshall Islands: an allocated MID, valid forms
    lat0, lon0 = rng.uniform(20.0, 35.0, n), rng.uniform(-60.0, -40.0, n)
    speed, course = rng.uniform(5.0, 20.0, n), rng.uniform(0.0, 360.0, n)
    phase = rng.uniform(0.0, interval_s, n)
    k = math.ceil(seconds / interval_s)
    t = (phase[None, :] + interval_s * np.arange(k)[:, None]).ravel()
    who = np.tile(np.arange(n), k)
    keep = t < seconds
    t, who = t[keep], who[keep]
    order = np.argsort(t, kind="stable")
    t, who = t[order], who[order]
    nm = speed[who] * t / 3600.0
    rad = np.radians(course[who])
    lat = lat0[who] + nm * np.cos(rad) / 60.0
    lon = lon0[who] + nm * np.sin(rad) / (60.0 * np.cos(np.radians(lat0[who])))
    m = len(t)
    payloads = position_payloads(
        np.ones(m, np.int64), mmsi[who], np.zeros(m, np.int64), speed[who], lon, lat,
        course[who], np.round(course[who]).astype(np.int64) % 360,
        (np.floor(t) % 60).astype(np.int64), np.zeros(m, np.int64))
    return vdm_lines(np.full(m, ord("A"), np.uint8), payloads)


class PacedFeed:
    """A TCP feed server on 127.0.0.1: to its first client, ``rate`` sentences per second
    (written in 10 ms slices) cycling through ``lines``, and a probe every ``probe_every``
    seconds after ``warmup_s``; ``probes`` maps each probe's MMSI to the wall time its
    sentence was written."""

    def __init__(self, lines: list[bytes], rate: float, probe_every: float,
                 warmup_s: float) -> None:
        self.lines = lines
        self.rate = rate
        self.probe_every = probe_every
        self.warmup_s = warmup_s
        self.probes: dict[int, float] = {}
        self.sent = 0
        self.elapsed = 0.0
        self.connected = threading.Event()
        self.stop = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = int(self.sock.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connected.set()
        lines, n_lines = self.lines, len(self.lines)
        t0 = time.monotonic()
        next_probe = t0 + self.warmup_s
        k = 0
        try:
            while not self.stop.is_set():
                now = time.monotonic()
                due = int((now - t0) * self.rate) - self.sent
                if due > 0:
                    i = self.sent % n_lines
                    chunk = lines[i:i + due]
                    while len(chunk) < due:
                        chunk += lines[:due - len(chunk)]
                    conn.sendall(b"".join(x + b"\r\n" for x in chunk))
                    self.sent += due
                if now >= next_probe:
                    mmsi = PROBE_MID * 1_000_000 + k
                    k += 1
                    data = probe_sentence(mmsi) + b"\r\n"
                    self.probes[mmsi] = time.time()  # (before: its alert may beat the dict)
                    conn.sendall(data)
                    next_probe += self.probe_every
                time.sleep(0.01)
        except OSError:
            pass
        finally:
            self.elapsed = time.monotonic() - t0
            conn.close()
            self.sock.close()


def _start(cmd: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


class Poller:
    """GETs over one kept-alive HTTP/1.1 connection (as a browser polls), reconnecting when
    the server closes it."""

    def __init__(self, base: str) -> None:
        u = urlsplit(base)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> Any:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
            try:
                self.conn.request("GET", path, headers={"Accept": "application/json"})
                r = self.conn.getresponse()
                body = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return json.loads(body)
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        return None


def run_serve(feed: PacedFeed, duration: float, poll: float,
              extra: list[str]) -> tuple[dict[int, float], dict[str, Any]]:
    proc = _start([sys.executable, "-m", "mda.cli", "serve", f"tcp://127.0.0.1:{feed.port}",
                   "--port", "0", *extra])
    seen: dict[int, float] = {}
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+/)", banner)
        if not m:
            raise SystemExit(f"mda serve did not start: {banner}{proc.stderr.read()}")  # type: ignore[union-attr]
        base = m.group(1)
        if not feed.connected.wait(30):
            raise SystemExit("mda serve did not connect to the feed")
        poller = Poller(base)
        end = time.monotonic() + duration
        while time.monotonic() < end + 3.0:
            if time.monotonic() >= end:
                feed.stop.set()
            # Alerts active in the last minute (what a client that polls often asks for,
            # rather than the whole list each time).
            since = datetime.fromtimestamp(time.time() - 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            fc = poller.get(f"/api/alerts?kind=spoofing&since={since}")
            now = time.time()
            for f in fc["features"]:
                p = f["properties"]
                mmsi = p.get("mmsi")
                if (f["geometry"]["type"] == "Point" and mmsi is not None
                        and mmsi // 1_000_000 == PROBE_MID and mmsi not in seen):
                    seen[mmsi] = now
            if feed.stop.is_set() and len(seen) == len(feed.probes):
                break
            time.sleep(poll)
        (health,) = _get(base + "api/health")["sources"]
        status = _get(base + "api/status")
    finally:
        feed.stop.set()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    return seen, {"received": health["messages"], "alerts": status["alerts"]}


def run_live(feed: PacedFeed, duration: float, extra: list[str],
             stats: Path) -> tuple[dict[int, float], dict[str, Any]]:
    proc = _start([sys.executable, "-m", "mda.cli", "live", f"tcp://127.0.0.1:{feed.port}",
                   "--alerts", "-", "--stats", str(stats), "--status-every", "0", *extra])
    seen: dict[int, float] = {}

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            now = time.time()
            mmsi = json.loads(line).get("mmsi")
            if mmsi is not None and mmsi // 1_000_000 == PROBE_MID and mmsi not in seen:
                seen[mmsi] = now

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not feed.connected.wait(30):
            raise SystemExit("mda live did not connect to the feed")
        end = time.monotonic() + duration
        while time.monotonic() < end:
            time.sleep(0.1)
        feed.stop.set()
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline and len(seen) < len(feed.probes):
            time.sleep(0.05)
    finally:
        feed.stop.set()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        reader.join(timeout=5)
    out = json.loads(stats.read_text())
    return seen, {"received": out["health"][0]["messages"], "alerts": sum(out["alerts"].values())}


def percentile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def main() -> int:
    from tests.live.feed import capture

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rates", type=float, nargs="+", default=[1000.0, 20000.0])
    ap.add_argument("--paths", nargs="+", choices=["serve", "live"], default=["serve", "live"])
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of feed per run")
    ap.add_argument("--probe-every", type=float, default=0.2)
    ap.add_argument("--warmup", type=float, default=None,
                    help="seconds before the first probe (default: capture 3, fleet "
                         "interval + 5)")
    ap.add_argument("--poll", type=float, default=0.02, help="serve: /api/alerts poll (s)")
    ap.add_argument("--no-shore", action="store_true", help="pass --no-shore to mda")
    ap.add_argument("--feeds", nargs="+", choices=["fleet", "capture"],
                    default=["fleet", "capture"])
    ap.add_argument("--interval", type=float, default=10.0,
                    help="fleet: each vessel's reporting interval (s)")
    ap.add_argument("--json", type=Path, help="write the figures as JSON")
    args = ap.parse_args()
    extra = ["--no-shore"] if args.no_shore else []
    results = []
    print(f"probes every {args.probe_every} s; {args.duration} s per run; machine load "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    captured: list[bytes] | None = None
    for feed_kind, rate, path in ((f, r, p) for f in args.feeds for r in args.rates
                                  for p in args.paths):
        if feed_kind == "capture":
            captured = captured or [s for _, s in capture(SHARED)]
            lines = captured
            warmup = 3.0 if args.warmup is None else args.warmup
        else:
            warmup = args.interval + 5.0 if args.warmup is None else args.warmup
            lines = fleet_lines(rate, args.interval, args.duration + 10.0)
        feed = PacedFeed(lines, rate, args.probe_every, warmup)
        if path == "serve":
            seen, info = run_serve(feed, args.duration, args.poll, extra)
        else:
            seen, info = run_live(feed, args.duration, extra,
                                  REPO / ".cache" / "bench_live_stats.json")
        feed.thread.join(timeout=5)
        lat = [seen[m] - t for m, t in feed.probes.items() if m in seen]
        row = {"feed": feed_kind, "path": path, "rate_per_s": rate, "warmup_s": warmup,
               "sent": feed.sent + len(feed.probes),
               "sent_rate_per_s": round(feed.sent / max(feed.elapsed, 1e-9)),
               "received": info["received"], "alerts": info["alerts"],
               "probes": len(feed.probes),
               # not seen by the end (3 s after the feed stopped): still queued behind,
               # or lost; the percentiles are over the probes seen
               "unseen": len(feed.probes) - len(lat),
               "unseen_mmsis": sorted(m for m in feed.probes if m not in seen)[:20],
               "median_s": round(statistics.median(lat), 3) if lat else None,
               "p99_s": round(percentile(lat, 0.99), 3) if lat else None,
               "max_s": round(max(lat), 3) if lat else None,
               "load_1min_after": round(os.getloadavg()[0], 2)}
        results.append(row)
        print(f"{feed_kind:7s} {path:5s} {rate:>8,.0f}/s  sent {row['sent']:>9,} "
              f"({row['sent_rate_per_s']:,}/s), received {row['received']:>9,}, "
              f"{row['alerts']:,} alerts; "
              f"{row['probes']} probes, {row['unseen']} unseen; latency median "
              f"{row['median_s']} s, p99 {row['p99_s']} s, max {row['max_s']} s "
              f"(load {row['load_1min_after']})",
              flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
