"""A tiny exercise (a dozen background vessels, one of every event and decoy, 8 hours),
generated once per test session: noisy as scenarios are by default, and a clean variant (no
reception noise) for exact checks of the reporting schedule."""

from __future__ import annotations

from pathlib import Path

import pytest

from mda.exercise.generate import Exercise, generate_file
from tests.helpers import REPO

CARIBBEAN = REPO / "replay_data" / "scenarios" / "caribbean.toml"

TINY = f"""
include = ["{CARIBBEAN.as_posix()}"]

[scenario]
name = "tiny"
seed = 42
start = 2024-02-01T00:00:00Z
duration_h = 8

[area]
min_lat = 11.0
max_lat = 20.0
min_lon = -85.0
max_lon = -61.0

[background]
vessels = 14

[reception]
duplicates = 0.03
out_of_order = 0.01
corrupt = 0.003
natural_gaps_per_day = 6

[[events]]
kind = "gap"
duration_h = 2.5

[[events]]
kind = "rendezvous"

[[events]]
kind = "loitering"
duration_h = 3.5

[[events]]
kind = "zone_entry"
zone = "jam-pedro-closure"
duration_h = 1.5

[[events]]
kind = "spoofing"
jump_km = 120

[[events]]
kind = "spoofing"
mode = "shared_mmsi"
jump_km = 150
duration_h = 2

[[events]]
kind = "dark_target"

[[events]]
kind = "dark_target"
sensor = "sar"
detections = 2

[[decoys]]
kind = "fast_crossing"

[[decoys]]
kind = "short_meeting"

[[decoys]]
kind = "moored_together"

[[decoys]]
kind = "zone_transit"
zone = "col-serranilla-mpa"

[[decoys]]
kind = "sensed_ais"
"""

CLEAN = """
[reception]
duplicates = 0
out_of_order = 0
corrupt = 0
natural_gaps_per_day = 0
jitter_m = 0
"""


def tiny_text(clean: bool = False, seed: int = 42) -> str:
    text = TINY.replace("seed = 42", f"seed = {seed}")
    if clean:
        head, _, rest = text.partition("[reception]")
        rest = rest.split("\n\n", 1)[1]
        text = head + CLEAN.strip() + "\n\n" + rest
    return text


def write_tiny(folder: Path, clean: bool = False, seed: int = 42) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny.toml"
    path.write_text(tiny_text(clean, seed), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Exercise:
    base = tmp_path_factory.mktemp("tiny")
    return generate_file(write_tiny(base), base / "out")


@pytest.fixture(scope="session")
def tiny_clean(tmp_path_factory: pytest.TempPathFactory) -> Exercise:
    base = tmp_path_factory.mktemp("tiny_clean")
    return generate_file(write_tiny(base, clean=True), base / "out")
