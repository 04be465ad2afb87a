"""Shared fixtures. Real data is found through one setting, MDA_SHARED_DATA (default
``../shared/data`` beside the clone); in CI its absence fails the run instead of skipping."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import SHARED


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("CI") and not SHARED.is_dir():
        raise pytest.UsageError(
            f"shared data not found at {SHARED} (set MDA_SHARED_DATA); CI must not skip it")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every streaming test starts a real Kafka broker and workers: all are ``slow`` (run by
    ``bash scripts/test.sh`` and CI, left out of a bare ``pytest``)."""
    streaming = Path(__file__).parent / "streaming"
    for item in items:
        if item.path.is_relative_to(streaming):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED} (set MDA_SHARED_DATA)")
    return SHARED
