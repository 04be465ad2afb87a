"""Detection quality on the committed scenarios: every kind's recall and precision at least
0.95, and decoys raise nothing. The small scenario runs by default; the medium (about 1,000
vessels, 24 h, ~80 s) and large (about 5,000 vessels, ~2.5 min) ones run with
MDA_SLOW_EXERCISES=1 (and in bench/exercise_quality.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mda.exercise.generate import generate_file
from mda.exercise.replay import replay_exercise
from mda.exercise.score import KINDS
from tests.helpers import REPO

SCENARIOS = REPO / "replay_data" / "scenarios"
slow = pytest.mark.skipif(not os.environ.get("MDA_SLOW_EXERCISES"),
                          reason="set MDA_SLOW_EXERCISES=1 to run the medium and large sizes")


def check(name: str, out: Path) -> None:
    generate_file(SCENARIOS / name / "scenario.toml", out)
    result = replay_exercise(out)
    s = result.score
    assert result.summary.stats.rejected.get("too_late", 0) == 0
    for kind in KINDS:
        k = s.kind(kind)
        assert k.events > 0, f"{name}: no {kind} event in the truth"
        assert k.recall is not None and k.recall == 1.0, (name, kind, s.as_dict()["missed"])
        assert k.precision is not None and k.precision == 1.0, (
            name, kind, s.as_dict()["false_alerts"])
    assert s.decoy_alerts == 0, s.as_dict()["false_alerts"]
    assert all(d["count"] > 0 for d in s.decoys.values()) and len(s.decoys) == 5


@pytest.mark.slow
def test_small(tmp_path: Path) -> None:
    check("small", tmp_path)


@pytest.mark.slow
@slow
def test_medium(tmp_path: Path) -> None:
    check("medium", tmp_path)


@pytest.mark.slow
@slow
def test_large(tmp_path: Path) -> None:
    check("large", tmp_path)
