"""Gap alerts on real satellite tracks match a direct computation of the gaps."""

from __future__ import annotations

import gzip
import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from detectors.gap import GapSettings
from mda.settings import preset_settings
from tests.helpers import replay

QUIET = {1, 5}


def expected_gaps(path: Path, threshold_h: float) -> dict[tuple[int, str], str | None]:
    """(mmsi, start) -> end (None while open), computed straight from the rows."""
    per: dict[int, list[tuple[float, int | None]]] = {}
    with gzip.open(path, "rt") as f:
        for line in f:
            r = json.loads(line)
            if r.get("lat") is None or r.get("lon") is None:
                continue
            t = datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00")).timestamp()
            status = r.get("status")
            nav = None if status in (None, "", "15") else int(status)
            per.setdefault(r["mmsi"], []).append((t, nav))
    clock = max(t for pts in per.values() for t, _ in pts)
    thr = threshold_h * 3600
    out: dict[tuple[int, str], str | None] = {}

    def iso(t: float) -> str:
        return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"

    for mmsi, pts in per.items():
        pts.sort()
        for (t1, nav1), (t2, _) in itertools.pairwise(pts):
            if t2 - t1 > thr and nav1 not in QUIET:
                out[(mmsi, iso(t1))] = iso(t2)
        t_last, nav_last = pts[-1]
        if clock - t_last > thr and nav_last not in QUIET:
            out[(mmsi, iso(t_last))] = None
    return out


@pytest.mark.parametrize("threshold_h", [2.0, 12.0])
def test_satellite_tracks_gaps_match_direct_computation(shared: Path, threshold_h: float) -> None:
    path = shared / "tracks/gfw_gpsdio-segment_satellite_tracks_2014-2015.jsonl.gz"
    s = preset_settings()
    # The silence rules alone (the stopped and coverage judgements are tested on their own).
    raw = replace(s.detector("gap", GapSettings), threshold_h=threshold_h, stopped_sog_kn=0.0,
                  stopped_min_s=float("inf"), check_coverage=False,
                  learn_berths=False, feed_aware=False)
    s = replace(s, ingest=replace(s.ingest, allowed_lateness_s=1e12),
                detectors={**s.detectors, "gap": raw})
    run = replay([path], s)
    got = {(a.mmsi, a.to_dict()["start"]): a.to_dict()["end"] for a in run.final().values()
           if a.kind == "gap"}
    want = expected_gaps(path, threshold_h)
    assert len(want) > 50
    assert got == want


@pytest.mark.parametrize("name", [
    "dma_aisabnormal_drift_212123000_2014-10-02.nmea.gz",  # 14.5 h, continuous
    "dma_aisabnormal_drift_538004030_2014-09-28.nmea.gz",  # 2.5 h, continuous
])
def test_continuous_labelled_tracks_have_no_gap(shared: Path, name: str) -> None:
    run = replay([shared / "nmea/labelled_cases" / name])
    assert run.stats["positions"] > 500
    assert [a for a in run.alerts if a.kind == "gap"] == []
