"""Property-based tests: corrupted input never crashes ingest and is always counted; shuffling
lines within the allowed lateness gives the same alerts."""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mda.synthetic import drop_between, epoch, to_lines, track
from tests.helpers import Run, replay_lines

T0 = epoch("2024-02-01T00:00:00Z")
H = timedelta(hours=1)


def _scene() -> list[str]:
    a = track(311000001, T0, 15.0, -70.0, 10.0, 80.0, 60, 6 * 3600)
    b = track(311000002, T0, 16.0, -71.0, 8.0, 200.0, 90, 6 * 3600)
    c = track(311000003, T0, 14.0, -68.0, 0.2, 10.0, 120, 6 * 3600)
    reports = (drop_between(a, T0 + 1 * H, T0 + 3.5 * H) + drop_between(b, T0 + 2 * H, T0 + 5 * H)
               + c)
    reports.sort(key=lambda r: (r.ts, r.mmsi))
    return to_lines(reports)


BASE = _scene()


def _mutate(line: str, rng: random.Random) -> str:
    if not line:
        return "\x00"
    op = rng.randrange(6)
    i = rng.randrange(len(line))
    if op == 0:  # flip a character
        return line[:i] + chr(rng.randrange(32, 127)) + line[i + 1:]
    if op == 1:  # delete
        return line[:i] + line[i + 1:]
    if op == 2:  # truncate
        return line[:i]
    if op == 3:  # insert junk, possibly non-ASCII
        return line[:i] + rng.choice(["\\", ",", "*", "!", "é", "\t", "$PGHP,"]) + line[i:]
    if op == 4:  # swap two halves
        return line[i:] + line[:i]
    return line + line  # two sentences glued together


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), rate=st.floats(0.01, 0.6))
def test_random_corruptions_never_crash_and_are_counted(seed: int, rate: float) -> None:
    rng = random.Random(seed)
    lines = [(_mutate(x, rng) if rng.random() < rate else x) for x in BASE]
    run = replay_lines(lines)
    s = run.stats
    assert s["lines_read"] >= len(lines)
    assert s["lines_read"] == s["lines_used"] + s["lines_rejected"]
    assert len(run.rejects) == s["lines_rejected"]
    assert all(r.reason for r in run.rejects)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_shuffling_within_the_allowed_lateness_gives_the_same_alerts(seed: int) -> None:
    rng = random.Random(seed)
    lateness_s = 300.0  # the default allowed lateness
    def ts(line: str) -> int:
        return int(line.split("c:")[1].split("*")[0])

    keyed = [(ts(line) + rng.uniform(0, lateness_s * 0.9), line) for line in BASE]
    shuffled = [line for _, line in sorted(keyed)]
    assert shuffled != BASE

    def essence(run: Run) -> list[tuple[str, str, str | None, str | None]]:
        return sorted((a.alert_id, a.status, a.to_dict()["start"], a.to_dict()["end"])
                      for a in run.final().values())

    ordered = replay_lines(BASE)
    mixed = replay_lines(shuffled)
    assert mixed.rejects == []
    assert len([a for a in ordered.final().values() if a.kind == "gap"]) == 2
    assert essence(mixed) == essence(ordered)
