"""Records: the fast slot ``__init__`` of PositionReport makes what the dataclass's own makes."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime

import pytest

from mda.records import PositionReport


def _reference(*args: object, **kwargs: object) -> PositionReport:
    """A PositionReport built field by field, as the generated dataclass ``__init__`` does."""
    obj = object.__new__(PositionReport)
    names = [f.name for f in dataclasses.fields(PositionReport)]
    values = {f.name: f.default for f in dataclasses.fields(PositionReport)}
    values.update(zip(names, args, strict=False))
    values.update(kwargs)
    for name in names:
        object.__setattr__(obj, name, values[name])
    return obj


def test_position_report_init_sets_every_field_and_default() -> None:
    ts = datetime(2024, 3, 12, 6, 0, tzinfo=UTC)
    full = (ts, 341888000, 16.6, -68.4, 0.3, 12.5, 13, 0, 1, "rx1", True, "tag")
    assert PositionReport(*full) == _reference(*full)
    short = (ts, 341888000, 16.6, -68.4, None, None, None, None, 18)
    got = PositionReport(*short)
    assert got == _reference(*short)
    assert (got.source, got.derived, got.time_source) == ("", False, None)
    assert PositionReport(*short, time_source="arrival") == _reference(*short,
                                                                       time_source="arrival")


def test_position_report_stays_a_frozen_dataclass() -> None:
    r = PositionReport(None, 341888000, 16.6, -68.4, None, None, None, None, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.lat = 0.0  # type: ignore[misc]
    assert dataclasses.replace(r, lat=1.0).lat == 1.0
    assert pickle.loads(pickle.dumps(r)) == r
    with pytest.raises(TypeError):
        PositionReport(None, 1, 2.0)  # type: ignore[call-arg]
