"""Flag state from an MMSI's Maritime Identification Digits (ITU MID table in ``data/mid.csv``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Flag:
    mid: int
    iso3: str
    country: str


@cache
def _table() -> dict[int, Flag]:
    text = resources.files("mda").joinpath("data/mid.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {int(r["mid"]): Flag(int(r["mid"]), r["iso3"], r["country"]) for r in rows}


def mid_of(mmsi: int) -> int | None:
    """The MID of an MMSI, for ships (MIDxxxxxx) and for the other nine-digit forms that embed
    one (8MIDxxxxx handhelds, 98MIDxxxx craft of a parent ship, 99MIDxxxx aids to navigation,
    111MIDxxx SAR aircraft, 00MIDxxxx coast stations, 0MIDxxxxx groups)."""
    if not 0 <= mmsi <= 999_999_999:
        return None
    s = f"{mmsi:09d}"
    if s.startswith("111"):
        return int(s[3:6])
    if s.startswith(("98", "99", "00")):
        return int(s[2:5])
    if s[0] in "08":
        return int(s[1:4])
    return int(s[:3])


def flag_of(mmsi: int) -> Flag | None:
    """The flag state of an MMSI, or ``None`` when its MID is not allocated."""
    mid = mid_of(mmsi)
    return None if mid is None else _table().get(mid)


def is_vessel_mmsi(mmsi: int) -> bool:
    """True for the MMSI forms a ship station (class A or B) may use: nine digits, MID first."""
    return 200_000_000 <= mmsi <= 799_999_999
