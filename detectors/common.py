"""Small helpers shared by detectors: event-time conversion, ship-type classes, medians."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from statistics import median
from typing import Any

# AIS ship type codes (ITU-R M.1371, table 53)
FISHING = 30
TOWING = (31, 32)
SERVICE = (50, 51, 52, 53, 54, 55, 58)  # pilot, SAR, tug, port tender, anti-pollution, law, medical
PLEASURE = (36, 37)  # sailing, pleasure craft
DREDGING_DIVING_MILITARY = (33, 34, 35)


def utc(t: float) -> datetime:
    """Epoch seconds -> aware UTC datetime."""
    return datetime.fromtimestamp(t, UTC)


def ship_type_of(info: dict[str, Any]) -> int | None:
    st = info.get("ship_type")
    return int(st) if isinstance(st, int | float) and st else None


def is_cargo_or_tanker(ship_type: int | None) -> bool:
    return ship_type is not None and 70 <= ship_type <= 89


def is_tanker(ship_type: int | None) -> bool:
    return ship_type is not None and 80 <= ship_type <= 89


def type_label(ship_type: int | None) -> str:
    if ship_type is None:
        return "vessel of unknown type"
    if ship_type == FISHING:
        return "fishing vessel"
    if 70 <= ship_type <= 79:
        return "cargo ship"
    if 80 <= ship_type <= 89:
        return "tanker"
    if 60 <= ship_type <= 69:
        return "passenger ship"
    if ship_type in (31, 32, 52):
        return "tug"
    if ship_type in PLEASURE:
        return "pleasure craft"
    return f"vessel (type {ship_type})"


def med(values: list[float]) -> float | None:
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return float(median(vals)) if vals else None


def latlon(lat: float, lon: float) -> str:
    """``15.510N 70.891W``: how a position is read aloud."""
    return f"{abs(lat):.3f}{'N' if lat >= 0 else 'S'} {abs(lon):.3f}{'E' if lon >= 0 else 'W'}"


def cap_append(samples: list[float], value: float, cap: int = 512) -> None:
    """Keep at most ``cap`` samples (every other one is dropped when full): bounded memory
    for medians over long events."""
    samples.append(value)
    if len(samples) > cap:
        del samples[::2]
