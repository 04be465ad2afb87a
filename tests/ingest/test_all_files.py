"""Every shared NMEA file replays without a crash, and every line is accounted for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import SHARED, replay

FILES = sorted(p for p in (SHARED / "nmea").rglob("*") if p.is_file() and p.suffix != ".md") \
    if SHARED.is_dir() else []


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_replays_and_accounts_for_every_line(shared: Path, path: Path) -> None:
    run = replay([path])
    s = run.stats
    assert s["lines_read"] > 0
    assert s["lines_read"] == s["lines_used"] + s["lines_rejected"]
    assert len(run.rejects) == s["lines_rejected"]
    assert sum(s["rejected"].values()) == s["lines_rejected"]


def test_the_shared_folder_has_files(shared: Path) -> None:
    assert len(FILES) >= 30
