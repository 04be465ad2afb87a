"""Small helpers shared by detectors: event-time conversion, ship types of vessel info,
medians (the ship-type classes are in mda.shiptypes)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from statistics import median


def utc(t: float) -> datetime:
    """Epoch seconds -> aware UTC datetime."""
    return datetime.fromtimestamp(t, UTC)


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
