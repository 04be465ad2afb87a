"""A replay split across processes (mda/split.py) gives exactly what one process gives: the
same alerts in the same order, the same rejects, the same summary."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from detectors.spoofing import SpoofingDetector
from ingest.sources import Source
from mda import split
from mda.runner import EmbeddedRunner
from mda.settings import preset_settings


def _replay(path: Path, jobs: int, until: datetime | None = None
            ) -> tuple[list[str], list[str], dict[str, Any], list[int]]:
    alerts: list[str] = []
    rejects: list[str] = []
    seen: list[int] = []
    runner = EmbeddedRunner(on_alert=lambda a: alerts.append(a.to_json()),
                            on_reject=lambda r: rejects.append(r.to_json()))
    summary = runner.run([Source.open(str(path))], until=until, progress=seen.append,
                         jobs=jobs)
    return alerts, rejects, summary.as_dict(), seen


@pytest.mark.slow
@pytest.mark.parametrize("name", [
    "regional/tracktable_marinecadastre_gulf_of_mexico_2020-06-30.csv.gz",  # gaps, rendezvous..
    "regional/caribewave_vernon_seine_nmea_localtime_2016-03-31.log.gz",  # feed outages, rejects
])
def test_split_replay_equals_one_process(shared: Path, name: str) -> None:
    path = shared / name
    until = datetime(2020, 7, 2, tzinfo=UTC) if "gulf" in name else None
    one = _replay(path, 1, until)
    two = _replay(path, 2, until)
    assert one[0], "the input gives alerts"
    assert two[0] == one[0]  # the same alerts, in the same order
    assert two[1] == one[1]
    assert two[2] == one[2]
    assert sum(two[3]) == sum(one[3]) == path.stat().st_size  # progress, all of it


def test_shares_keep_gap_with_feed_and_balance() -> None:
    runner = EmbeddedRunner(preset_settings())
    groups = split.shares(runner, 2)
    assert len(groups) == 2
    assert sorted(n for g in groups for n in g) == sorted(runner.settings.detectors)
    with_gap = next(g for g in groups if "gap" in g)
    assert "feed" in with_gap
    assert len(split.shares(runner, 99)) == len(runner.settings.detectors) - 1  # gap+feed one


def test_only_plain_file_replays_split(tmp_path: Path) -> None:
    f = tmp_path / "a.nmea"
    f.write_text("")
    runner = EmbeddedRunner()
    assert split.can_split(runner, [Source.open(str(f))], 2)
    assert not split.can_split(runner, [Source.open(str(f))], 1)
    watched = EmbeddedRunner(on_position=lambda p: None)  # a map collects every position
    assert not split.can_split(watched, [Source.open(str(f))], 2)


def test_a_failing_process_is_raised_not_lost(shared: Path, monkeypatch: Any) -> None:
    def broken(*_: object) -> None:
        raise ZeroDivisionError("detector bug")

    monkeypatch.setattr(SpoofingDetector, "step", broken)
    path = shared / "nmea" / "amsa_risky_tagblock_c_2014-12-31.nmea"
    with pytest.raises(RuntimeError, match="ZeroDivisionError: detector bug"):
        _replay(path, 2)
