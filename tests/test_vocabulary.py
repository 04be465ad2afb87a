"""One vocabulary: every alert kind a detector raises is an ``AlertKind``, has a map style and a
legend label, and every time string is parsed by the one helper."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest

from detectors import DETECTORS
from maps.style import ALERT_COLOURS, ALERT_STYLES, OTHER_ALERT_COLOUR, alert_colour
from mda.exercise.scenario import EVENT_KINDS
from mda.exercise.score import KINDS
from mda.records import ALERT_KINDS, parse_utc


def _raised_kinds() -> set[str]:
    """The kinds the listed detectors raise: each module's ``KIND`` (the zone detector's two)."""
    kinds: set[str] = set()
    for cls in DETECTORS:
        module = importlib.import_module(cls.__module__)
        kinds |= {getattr(module, name) for name in ("KIND", "ENTRY", "EXIT")
                  if hasattr(module, name)}
    return kinds


def test_every_detector_kind_is_in_the_vocabulary() -> None:
    assert _raised_kinds() == set(ALERT_KINDS)


def test_every_kind_has_its_own_map_colour_and_label() -> None:
    styled = [k for k, _, _ in ALERT_STYLES]
    assert sorted(styled) == sorted(ALERT_KINDS)
    colours = [alert_colour(k) for k in ALERT_KINDS]
    assert OTHER_ALERT_COLOUR not in colours
    assert len(set(colours)) == len(colours) == len(ALERT_COLOURS)


def test_scored_and_scripted_kinds_are_alert_kinds() -> None:
    assert set(KINDS) <= set(ALERT_KINDS)
    assert set(EVENT_KINDS) <= set(KINDS)
    assert "feed_outage" not in KINDS  # a feed outage is not a vessel event a scenario scripts


@pytest.mark.parametrize("text", ["2024-03-12T06:00:00Z", "2024-03-12T06:00:00+00:00",
                                  "2024-03-12T06:00:00", "2024-03-12T08:00:00+02:00",
                                  " 2024-03-12T06:00:00Z "])
def test_parse_utc_reads_every_iso_form_as_the_same_instant(text: str) -> None:
    got = parse_utc(text)
    assert got == datetime(2024, 3, 12, 6, tzinfo=UTC)
    assert got.utcoffset() == timedelta(0)


def test_parse_utc_rejects_what_is_not_a_time() -> None:
    with pytest.raises(ValueError):
        parse_utc("yesterday")


def test_every_detector_defines_every_preset() -> None:
    from detectors.base import PRESET_NAMES

    for cls in DETECTORS:
        assert set(cls.presets) == set(PRESET_NAMES), cls.name
