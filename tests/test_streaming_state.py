"""Worker checkpoints (mda.streaming.state) and the log backoff, without a broker."""

from __future__ import annotations

import logging
import os

from mda.streaming import state
from mda.streaming.logs import Backoff


def _view(recs: list[tuple[str, bytes]]) -> state.StateView:
    view = state.StateView("app/")
    for k, v in recs:
        view.add(k, v)
    return view


def test_a_checkpoint_larger_than_a_message_round_trips_in_chunks() -> None:
    big = {"vessels": os.urandom(2_500_000)}  # incompressible: 3 chunks
    blob, _ = state.dump(big)
    recs = state.records("app/vessels/0", blob, offset=41, generation=1, seconds=0.1)
    assert len(recs) == 4 and all(len(v) < 1_000_000 for _, v in recs)
    found = _view(recs).blob("app/vessels/0")
    assert found is not None
    manifest, data = found
    assert manifest.offset == 41 and manifest.chunks == 3
    assert state.load(data) == big


def test_a_checkpoint_cut_short_leaves_the_previous_one_readable() -> None:
    one, _ = state.dump({"n": 1})
    two, _ = state.dump({"n": 2})
    three, _ = state.dump({"n": 3})
    recs = state.records("app/cells/1", one, 10, 1, 0.0)
    recs += state.records("app/cells/1", two, 20, 2, 0.0)
    cut = state.records("app/cells/1", three, 30, 3, 0.0)[:-1]  # died before the manifest
    found = _view(recs + cut).blob("app/cells/1")
    assert found is not None
    assert found[0].offset == 20 and state.load(found[1]) == {"n": 2}


def test_other_apps_checkpoints_are_ignored() -> None:
    blob, _ = state.dump({"n": 1})
    view = _view(state.records("other/vessels/0", blob, 5, 1, 0.0))
    assert view.blob("other/vessels/0") is None and not view.manifests


def test_repeated_kafka_errors_are_logged_with_backoff() -> None:
    now = [0.0]
    f = Backoff(first_s=1.0, max_s=60.0, clock=lambda: now[0])

    def rec(name: str = "aiokafka.conn", msg: str = "Unable to connect to %s") -> bool:
        return f.filter(logging.LogRecord(name, logging.ERROR, "x", 1, msg, ("b",), None))

    passed = 0
    for _ in range(600):  # 60 s of an error every 100 ms
        passed += rec()
        now[0] += 0.1
    assert 5 <= passed <= 8  # at 0, 1, 3, 7, 15, 31 s
    assert rec(name="mda.worker")  # our own lines are not held back
    assert rec(msg="another message")
    now[0] += 61.0
    assert rec()  # quiet for a while: at once again
