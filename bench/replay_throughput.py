"""Benchmark: ``mda replay`` throughput as a ratio to bare pyais decoding of the same lines.

Run by hand (never gates CI):  .venv/bin/python bench/replay_throughput.py [--repeat N]
                                [--stages] [--per-detector]

For each input, in one run of this script (the machine is shared and noisy, so only ratios
measured side by side mean anything):

* ``pyais``: read the file's lines (gzip included) and decode every sentence with pyais's own
  stream (``pyais.stream.IterMessages``: its framing, tag blocks, multi-part assembly) - bare
  decoding, no validation, no detectors;
* ``mda (in-process)``: the embedded runner with every detector on, lines to alerts;
* ``mda replay (command)``: the whole command as a user runs it, a fresh Python process,
  imports included; and ``-j2``, the same with ``--jobs 2`` (the detectors shared out among
  two processes, mda/split.py: it gains only when a second core is free).

``--stages`` adds, per input, where mda's in-process time goes (CPU time, best of the same
repeats, microseconds per line), beside bare pyais's CPU time: ``decode`` (the NMEA decoder
alone over the file's lines), ``runner`` (the whole run with every detector off, less decode:
the last ingest step, ordering, release) and ``detectors`` (every detector on, less off).
``--per-detector`` adds each detector's own cost: the run with it alone on, less the run with
every detector off (CPU, microseconds per line).

Inputs: the AISHub 3-minute capture (no timestamps) from the shared data, and a timestamped
input of at least 500k lines: a seeded synthetic tag-block file the script writes once to
``.cache/bench/`` (the shared data has no single timestamped NMEA file that large).
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("MDA_SHARED_DATA", REPO.parent / "shared" / "data"))


def read_lines(path: Path) -> list[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        return [ln.rstrip(b"\r\n") for ln in f]


def bare_pyais(path: Path) -> tuple[float, int]:
    from pyais.stream import IterMessages

    t0 = time.perf_counter()
    lines = read_lines(path)
    n = 0
    for msg in IterMessages(lines):
        try:
            msg.decode()
            n += 1
        except Exception:
            continue
    return time.perf_counter() - t0, n


def mda_inprocess(path: Path, jobs: int = 1) -> tuple[float, int]:
    from ingest.sources import Source
    from mda.runner import EmbeddedRunner

    t0 = time.perf_counter()
    runner = EmbeddedRunner()
    summary = runner.run([Source.open(str(path))], jobs=jobs)
    return time.perf_counter() - t0, summary.stats.messages_decoded


def stages(path: Path) -> dict[str, float]:
    """CPU seconds of decoding alone, of the run with no detector, and of the run with all."""

    from ingest.decode import NmeaDecoder
    from ingest.dedup import Deduplicator
    from ingest.quarantine import IngestStats
    from ingest.sources import Source
    from mda.gc_policy import batch_collection
    from mda.runner import EmbeddedRunner
    from mda.settings import preset_settings

    t0 = time.process_time()
    bare_pyais(path)
    out = {"pyais": time.process_time() - t0}
    lines = read_lines(path)
    decoder = NmeaDecoder(path.name, IngestStats(), Deduplicator())
    with batch_collection():
        t0 = time.process_time()
        for i in range(0, len(lines), 4096):
            decoder.feed_lines(i + 1, lines[i:i + 4096])
            decoder.out.clear()
            decoder.rejects.clear()
        decode = time.process_time() - t0
    full = preset_settings()
    off = full.only()
    out["decode"] = decode
    for name, settings in (("off", off), ("on", full)):
        t0 = time.process_time()
        EmbeddedRunner(settings).run([Source.open(str(path))])
        out[name] = time.process_time() - t0
    return out


def per_detector(path: Path) -> dict[str, float]:
    """CPU seconds of the run with every detector off, and with each detector alone on."""

    from ingest.sources import Source
    from mda.runner import EmbeddedRunner
    from mda.settings import preset_settings

    full = preset_settings()
    out: dict[str, float] = {}
    for only in ["", *full.detectors]:
        settings = full.only(only)  # ("": none)
        t0 = time.process_time()
        EmbeddedRunner(settings).run([Source.open(str(path))])
        out[only or "off"] = time.process_time() - t0
    return out


def mda_command(path: Path, jobs: int = 1) -> float:
    exe = REPO / ".venv" / "bin" / "mda"
    t0 = time.perf_counter()
    subprocess.run([str(exe), "replay", str(path), "-q", "--no-progress",
                    "--alerts", os.devnull, "--jobs", str(jobs)], check=True)
    return time.perf_counter() - t0


def synthetic_input(min_lines: int = 500_000) -> Path:
    """A seeded, timestamped tag-block file: 400 vessels over 24 h, some going dark."""
    out = REPO / ".cache" / "bench" / "synthetic_500k.nmea"
    if out.exists():
        return out
    import random
    from datetime import timedelta

    from mda.records import PositionReport
    from mda.synthetic import drop_between, epoch, to_lines, track

    rng = random.Random(42)
    t0 = epoch("2024-06-01T00:00:00Z")
    reports: list[PositionReport] = []
    vessels = 0
    while len(reports) < min_lines:
        mmsi = 200_000_000 + rng.randrange(600_000_000)
        tr = track(mmsi, t0 + timedelta(seconds=rng.randrange(600)),
                   rng.uniform(10, 25), rng.uniform(-85, -60), rng.uniform(0, 20),
                   rng.uniform(0, 360), rng.choice([10, 30, 60, 180]), 24 * 3600)
        if rng.random() < 0.1:
            start = t0 + timedelta(hours=rng.uniform(1, 20))
            tr = drop_between(tr, start, start + timedelta(hours=rng.uniform(1, 6)))
        reports.extend(tr)
        vessels += 1
    reports.sort(key=lambda r: (r.ts, r.mmsi))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(to_lines(reports, station="bench")) + "\n")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    ap.add_argument("--stages", action="store_true",
                    help="also where mda's time goes: decode, runner, detectors (us per line)")
    ap.add_argument("--per-detector", action="store_true",
                    help="also each detector's own cost: the run with it alone on, less the run "
                         "with all off (us per line)")
    args = ap.parse_args()
    inputs = [SHARED / "nmea" / "aishub_3min_global_gpsd-contrib.nmea.gz", synthetic_input()]
    print(f"{'input':40} {'lines':>8} {'pyais msg/s':>12} {'mda msg/s':>10} "
          f"{'ratio':>6} {'command s':>10} {'ratio':>6} {'-j2 s':>6} {'ratio':>6}")
    split: dict[str, dict[str, float]] = {}
    each: dict[str, dict[str, float]] = {}
    for path in inputs:
        nlines = len(read_lines(path))
        best_p = best_m = best_c = best_j = float("inf")
        n_p = n_m = 0
        for _ in range(args.repeat):
            tp, n_p = bare_pyais(path)
            tm, n_m = mda_inprocess(path)
            tc = mda_command(path)
            tj = mda_command(path, jobs=2)
            best_p, best_m, best_c = min(best_p, tp), min(best_m, tm), min(best_c, tc)
            best_j = min(best_j, tj)
            if args.stages:
                got = stages(path)
                best = split.setdefault(path.name, got)
                for k, v in got.items():
                    best[k] = min(best[k], v)
            if args.per_detector:
                got = per_detector(path)
                best = each.setdefault(path.name, got)
                for k, v in got.items():
                    best[k] = min(best[k], v)
        print(f"{path.name[:40]:40} {nlines:>8,} {n_p / best_p:>12,.0f} {n_m / best_m:>10,.0f} "
              f"{best_p / best_m:>6.2f} {best_c:>10.2f} {best_p / best_c:>6.2f} "
              f"{best_j:>6.2f} {best_p / best_j:>6.2f}")
    print("ratio = bare pyais time / mda time on the same lines (1.00 = as fast as bare "
          "decoding); best of", args.repeat)
    if split:
        print(f"\n{'us per line (CPU)':40} {'pyais':>8} {'decode':>8} {'runner':>8} "
              f"{'detectors':>10}")
        for path in inputs:
            b = split[path.name]
            per = 1e6 / len(read_lines(path))
            print(f"{path.name[:40]:40} {b['pyais'] * per:>8.2f} {b['decode'] * per:>8.2f} "
                  f"{(b['off'] - b['decode']) * per:>8.2f} {(b['on'] - b['off']) * per:>10.2f}")

    if each:
        names = [k for k in next(iter(each.values())) if k != "off"]
        print(f"\n{'us per line (CPU), each detector alone':40} "
              + " ".join(f"{n[:11]:>11}" for n in names))
        for path in inputs:
            b = each[path.name]
            per = 1e6 / len(read_lines(path))
            print(f"{path.name[:40]:40} "
                  + " ".join(f"{(b[n] - b['off']) * per:>11.2f}" for n in names))


if __name__ == "__main__":
    main()
