"""Small geodesy and unit helpers (spherical Earth, good to ~0.5 %)."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8
M_PER_NM = 1852.0
KN_PER_MPS = 3600.0 / M_PER_NM


_D2R = math.pi / 180.0
_DIAMETER_M = 2.0 * EARTH_RADIUS_M
_sin, _cos, _asin, _sqrt = math.sin, math.cos, math.asin, math.sqrt


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points (degrees). (Every detector
    calls it for nearly every report: written for speed, locals bound once.)"""
    p1 = lat1 * _D2R
    p2 = lat2 * _D2R
    sp = _sin((p2 - p1) * 0.5)
    sl = _sin((lon2 - lon1) * (_D2R * 0.5))
    a = sp * sp + _cos(p1) * _cos(p2) * sl * sl
    return _DIAMETER_M * _asin(_sqrt(a) if a < 1.0 else 1.0)


# A great circle is never longer than the path along the meridian and then along the
# parallel, and that path is never longer than |dlat| + |dlon| degrees of a great circle (the
# cosine of the latitude is at most 1): an upper bound of haversine_m with no trigonometry,
# padded far beyond both formulas' rounding.
_M_PER_DEG_BOUND = EARTH_RADIUS_M * _D2R * (1.0 + 1e-6)


def distance_bound_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """An upper bound of :func:`haversine_m` (never below it; loose away from the equator),
    for hot paths that only need to know the distance is under a limit: when the bound is,
    the distance is too, and the trigonometry can be skipped."""
    return (abs(lat2 - lat1) + abs(lon2 - lon1)) * _M_PER_DEG_BOUND


def implied_speed_kn(distance_m: float, seconds: float) -> float | None:
    """Speed in knots needed to cover ``distance_m`` in ``seconds``; ``None`` for no time."""
    if seconds <= 0:
        return None
    return distance_m / seconds * KN_PER_MPS


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from the first point to the second, 0..360 degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(x, y)) + 360.0) % 360.0


def destination(lat: float, lon: float, distance_m: float, bearing: float) -> tuple[float, float]:
    """The (lat, lon) ``distance_m`` from a point on the initial great-circle ``bearing``
    (degrees true); longitude normalised to -180..180."""
    d = distance_m / EARTH_RADIUS_M
    p1, l1, b = math.radians(lat), math.radians(lon), math.radians(bearing)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1),
                         math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


def dead_reckon(lat: float, lon: float, sog_kn: float | None, cog_deg: float | None,
                dt_s: float) -> tuple[float, float]:
    """Where a vessel at (lat, lon) with speed and course is ``dt_s`` seconds later (earlier
    when negative), on a straight course; where it was when speed or course is unknown."""
    if not sog_kn or cog_deg is None or not dt_s:
        return lat, lon
    return destination(lat, lon, sog_kn * M_PER_NM / 3600.0 * dt_s, cog_deg)
