"""How exercise vessels move and when they transmit.

A :class:`Track` is a list of knots (time, position) with a navigational status for each
segment between two knots; the vessel moves in a straight line (in lon/lat) at constant speed
between knots. :class:`TrackBuilder` appends legs (along a route at a speed, waiting moored or
at anchor, drifting). :func:`report_times` gives the times a vessel transmits its position,
by class, speed and status (ITU-R M.1371-5, Annex 1, Tables 1 and 2), and :func:`sample`
the positions, speeds and courses at those times.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from mda.geo import M_PER_NM, haversine_m
from mda.records import NAV_AT_ANCHOR, NAV_MOORED

LatLon = tuple[float, float]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

UNDER_WAY = 0
_KN = M_PER_NM / 3600.0  # m/s per knot
_STATIONARY = (NAV_AT_ANCHOR, NAV_MOORED)


def report_interval_s(class_b: bool, sog_kn: float, nav_status: int) -> int:
    """Seconds between position reports (ITU-R M.1371-5, Annex 1, Table 1 for class A and
    Table 2 for class B "CS"). Class A: at anchor or moored and not faster than 3 kn, 3 min;
    0-14 kn 10 s; 14-23 kn 6 s; over 23 kn 2 s (the shorter intervals while changing course
    are not modelled). Class B CS: up to 2 kn 3 min, faster 30 s."""
    if class_b:
        return 180 if sog_kn <= 2.0 else 30
    if nav_status in _STATIONARY and sog_kn <= 3.0:
        return 180
    if sog_kn > 23.0:
        return 2
    if sog_kn > 14.0:
        return 6
    return 10


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing, degrees clockwise from north."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360.0


def offset(lat: float, lon: float, distance_m: float, course_deg: float) -> LatLon:
    """The point ``distance_m`` from (lat, lon) on ``course_deg`` (flat-Earth, fine for
    the tens of kilometres exercises use it for)."""
    c = math.radians(course_deg)
    dlat = distance_m * math.cos(c) / 111_320.0
    dlon = distance_m * math.sin(c) / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    return lat + dlat, lon + dlon


@dataclass
class Track:
    """Knots of one vessel; ``status[k]`` applies to the segment from knot k to k + 1."""

    t: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    status: list[int] = field(default_factory=list)

    def position_at(self, t: float) -> LatLon:
        ts = np.asarray(self.t)
        return (float(np.interp(t, ts, self.lat)), float(np.interp(t, ts, self.lon)))

    def points(self, t0: float = -math.inf, t1: float = math.inf) -> list[LatLon]:
        """The knots between two times (for checks)."""
        return [(a, b) for t, a, b in zip(self.t, self.lat, self.lon, strict=True)
                if t0 <= t <= t1]


class TrackBuilder:
    """Appends legs to a track, each starting where and when the previous one ended."""

    def __init__(self, t: float, lat: float, lon: float) -> None:
        self.track = Track([t], [lat], [lon], [])

    @property
    def now(self) -> float:
        return self.track.t[-1]

    @property
    def here(self) -> LatLon:
        return self.track.lat[-1], self.track.lon[-1]

    def _knot(self, t: float, lat: float, lon: float, status: int) -> None:
        tr = self.track
        tr.status.append(status)
        tr.t.append(t)
        tr.lat.append(lat)
        tr.lon.append(lon)

    def go(self, points: Sequence[LatLon], speed_kn: float, status: int = UNDER_WAY) -> None:
        """Along ``points`` (the first may repeat the current position) at ``speed_kn``."""
        if speed_kn <= 0:
            raise ValueError("speed must be positive")
        lat0, lon0 = self.here
        for lat, lon in points:
            d = haversine_m(lat0, lon0, lat, lon)
            if d < 1.0:
                continue
            self._knot(self.now + d / (speed_kn * _KN), lat, lon, status)
            lat0, lon0 = lat, lon

    def wait(self, until: float, status: int = NAV_MOORED) -> None:
        """Stay here until ``until`` (moored, at anchor, or stopped)."""
        if until > self.now:
            lat, lon = self.here
            self._knot(until, lat, lon, status)

    def drift(self, hours: float, speed_kn: float, course_deg: float,
              status: int = UNDER_WAY) -> None:
        """A straight, slow leg (drifting, fishing) of ``hours`` at ``speed_kn``."""
        lat, lon = self.here
        to = offset(lat, lon, speed_kn * _KN * hours * 3600.0, course_deg)
        self._knot(self.now + hours * 3600.0, to[0], to[1], status)


def report_times(track: Track, class_b: bool, start: float, end: float, phase: float
                 ) -> IntArray:
    """Whole-second epoch times in [start, end) at which the vessel transmits a position
    report: at each segment's interval (:func:`report_interval_s`), the schedule shortened at
    once when the vessel speeds up. ``phase`` in [0, 1) places the first report."""
    t = track.t
    out: list[IntArray] = []
    nxt: int | None = None
    for k in range(len(t) - 1):
        a, b = t[k], t[k + 1]
        if b <= start or a >= end or b <= a:
            continue
        d = haversine_m(track.lat[k], track.lon[k], track.lat[k + 1], track.lon[k + 1])
        iv = report_interval_s(class_b, d / (b - a) / _KN, track.status[k])
        lo = max(a, start)
        if nxt is None or nxt > lo + iv:
            nxt = math.ceil(lo + phase * iv)
        times = np.arange(nxt, min(b, end), iv, dtype=np.int64)
        if len(times):
            out.append(times)
            nxt = int(times[-1]) + iv
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


@dataclass
class Samples:
    """Position reports of one vessel (arrays of equal length)."""

    t: IntArray
    lat: FloatArray
    lon: FloatArray
    sog: FloatArray
    cog: FloatArray
    heading: IntArray
    status: IntArray

    def __len__(self) -> int:
        return len(self.t)

    def take(self, mask: npt.NDArray[np.bool_]) -> Samples:
        return Samples(self.t[mask], self.lat[mask], self.lon[mask], self.sog[mask],
                       self.cog[mask], self.heading[mask], self.status[mask])


def sample(track: Track, times: IntArray, rng: np.random.Generator, jitter_m: float
           ) -> Samples:
    """Positions at ``times`` (linear between knots) with GPS jitter, the segment's speed and
    course with small sensor noise, and a heading near the course. A stopped vessel keeps
    the course and heading it had when it stopped."""
    n = len(times)
    kt = np.asarray(track.t)
    klat = np.asarray(track.lat)
    klon = np.asarray(track.lon)
    seg = np.clip(np.searchsorted(kt, times, side="right") - 1, 0, len(kt) - 2)
    lat = np.interp(times, kt, klat)
    lon = np.interp(times, kt, klon)
    # per segment: speed over ground and course
    nseg = len(kt) - 1
    sog_seg = np.zeros(nseg)
    cog_seg = np.zeros(nseg)
    last_course = float(rng.uniform(0, 360))
    for k in range(nseg):
        dt = kt[k + 1] - kt[k]
        d = haversine_m(klat[k], klon[k], klat[k + 1], klon[k + 1])
        if dt > 0 and d >= 1.0:
            sog_seg[k] = d / dt / _KN
            last_course = bearing_deg(klat[k], klon[k], klat[k + 1], klon[k + 1])
        cog_seg[k] = last_course
    status = np.asarray(track.status, dtype=np.int64)[seg] if nseg else np.zeros(n, np.int64)
    sog = sog_seg[seg]
    moving = sog >= 0.05
    noise = rng.normal(0.0, 1.0, (5, n))
    sog_out = np.where(moving, np.clip(np.round(sog + 0.1 * noise[0], 1), 0.0, 102.2), 0.0)
    cog_out = np.where(moving, np.round((cog_seg[seg] + 1.0 * noise[1]) % 360.0, 1),
                       np.round(cog_seg[seg], 1))
    cog_out[cog_out >= 360.0] = 0.0
    heading = np.where(moving, np.round(cog_seg[seg] + 2.0 * noise[2]),
                       np.round(cog_seg[seg])).astype(np.int64) % 360
    if jitter_m > 0:
        lat = lat + jitter_m * noise[3] / 111_320.0
        lon = lon + jitter_m * noise[4] / (111_320.0 * np.maximum(np.cos(np.radians(lat)), 0.01))
    return Samples(times.astype(np.int64), np.round(lat, 6), np.round(lon, 6), sog_out,
                   cog_out, heading, status)
