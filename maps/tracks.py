"""Vessel tracks for the maps, thinned as positions arrive so memory stays bounded.

:class:`TrackCollector` takes every position report a replay releases (the embedded runner's
``on_position`` callback) and keeps, per vessel:

* a point when at least ``min_interval_s`` passed since the last kept one, or the course
  turned by more than ``turn_deg`` (after at least 30 s), so turns survive thinning;
* at most ``max_points_per_vessel`` points: past that, every other point is dropped and that
  vessel's interval doubles (amortised O(1) per report);
* the latest report in full (position, speed, course, heading) for the "latest positions"
  layer.

Points are stored in typed arrays (time float64, lat/lon float32, about 1 m), 16 bytes each.
:meth:`TrackCollector.segments` splits tracks where they cannot be drawn as one line (a silence
longer than ``max_gap_s``, which the gap alert's dashed line shows instead, or a crossing of the
antimeridian) and, given a total point budget, simplifies every line at once (Douglas-Peucker
through shapely, vectorised, times carried as the Z coordinate) until the budget holds.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from mda.records import PositionReport

Bbox = tuple[float, float, float, float]


class _Track:
    __slots__ = ("cog", "interval", "last", "last_t", "lat", "lon", "t")

    def __init__(self, report: PositionReport, t: float, interval: float) -> None:
        self.t = array("d", [t])
        self.lat = array("f", [report.lat])
        self.lon = array("f", [report.lon])
        self.cog = report.cog_deg
        self.interval = interval
        self.last = report
        self.last_t = t


@dataclass(frozen=True, slots=True)
class Segment:
    """One drawable piece of one vessel's track: epoch seconds, lat, lon (equal lengths)."""

    mmsi: int
    t: np.ndarray
    lat: np.ndarray
    lon: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


class TrackCollector:
    """Collects thinned tracks and the latest report of every vessel (module docstring)."""

    def __init__(self, min_interval_s: float = 120.0, turn_deg: float = 25.0,
                 max_points_per_vessel: int = 256, max_gap_s: float = 3 * 3600.0) -> None:
        if min_interval_s <= 0 or max_points_per_vessel < 4:
            raise ValueError("min_interval_s must be > 0 and max_points_per_vessel >= 4")
        self.min_interval_s = min_interval_s
        self.turn_deg = turn_deg
        self.max_points_per_vessel = max_points_per_vessel
        self.max_gap_s = max_gap_s
        self._tracks: dict[int, _Track] = {}
        self.reports = 0

    # -- input -----------------------------------------------------------------------------
    def add(self, report: PositionReport) -> None:
        """One position report (in event-time order per vessel; untimed ones are ignored)."""
        ts = report.ts
        if ts is None:
            return
        self.reports += 1
        t = ts.timestamp()
        tr = self._tracks.get(report.mmsi)
        if tr is None:
            self._tracks[report.mmsi] = _Track(report, t, self.min_interval_s)
            return
        if t < tr.last_t:
            return  # older than what we have (a second, unordered input): not drawn
        tr.last = report
        tr.last_t = t
        dt = t - tr.t[-1]
        keep = dt >= tr.interval
        if not keep and dt >= 30.0:
            cog, prev = report.cog_deg, tr.cog
            if cog is not None and prev is not None and (report.sog_kn or 0.0) > 1.0:
                keep = abs((cog - prev + 180.0) % 360.0 - 180.0) > self.turn_deg
        if not keep:
            return
        tr.t.append(t)
        tr.lat.append(report.lat)
        tr.lon.append(report.lon)
        tr.cog = report.cog_deg
        if len(tr.t) > self.max_points_per_vessel:
            # Drop every other point (keep the first and the newest), double the interval.
            tr.t = tr.t[::2] if len(tr.t) % 2 else tr.t[::2] + tr.t[-1:]
            tr.lat = tr.lat[::2] if len(tr.lat) % 2 else tr.lat[::2] + tr.lat[-1:]
            tr.lon = tr.lon[::2] if len(tr.lon) % 2 else tr.lon[::2] + tr.lon[-1:]
            tr.interval *= 2.0

    # -- reading ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._tracks)

    def __contains__(self, mmsi: object) -> bool:
        return mmsi in self._tracks

    def mmsis(self) -> list[int]:
        return list(self._tracks)

    @property
    def points(self) -> int:
        """Points kept (excluding the latest report when it was thinned out)."""
        return sum(len(tr.t) for tr in self._tracks.values())

    def latest(self, mmsi: int) -> PositionReport | None:
        tr = self._tracks.get(mmsi)
        return None if tr is None else tr.last

    def latest_all(self) -> Iterator[PositionReport]:
        for tr in self._tracks.values():
            yield tr.last

    def track(self, mmsi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Times, lats and lons of one vessel's kept points plus its latest report."""
        tr = self._tracks[mmsi]
        t = np.frombuffer(tr.t, dtype=np.float64)
        lat = np.frombuffer(tr.lat, dtype=np.float32).astype(np.float64)
        lon = np.frombuffer(tr.lon, dtype=np.float32).astype(np.float64)
        if tr.last_t > t[-1]:
            t = np.append(t, tr.last_t)
            lat = np.append(lat, tr.last.lat)
            lon = np.append(lon, tr.last.lon)
        return t, lat, lon

    def position_at(self, mmsi: int, t: float,
                    max_distance_s: float = 3600.0) -> tuple[float, float] | None:
        """(lat, lon) of a vessel at time ``t``, interpolated between kept points (linearly in
        lat/lon; not across the antimeridian); None when unknown or when the nearest point is
        more than ``max_distance_s`` away in time."""
        if mmsi not in self._tracks:
            return None
        ts, lat, lon = self.track(mmsi)
        i = int(np.searchsorted(ts, t))
        if i == 0 or i == len(ts):
            j = 0 if i == 0 else len(ts) - 1
            return None if abs(ts[j] - t) > max_distance_s else (float(lat[j]), float(lon[j]))
        t0, t1 = ts[i - 1], ts[i]
        if min(t - t0, t1 - t) > max_distance_s:
            return None
        if abs(lon[i] - lon[i - 1]) > 180.0:
            j = i - 1 if t - t0 <= t1 - t else i
            return float(lat[j]), float(lon[j])
        f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
        return (float(lat[i - 1] + f * (lat[i] - lat[i - 1])),
                float(lon[i - 1] + f * (lon[i] - lon[i - 1])))

    def time_range(self) -> tuple[float, float] | None:
        if not self._tracks:
            return None
        return (min(tr.t[0] for tr in self._tracks.values()),
                max(tr.last_t for tr in self._tracks.values()))

    def bbox(self) -> Bbox | None:
        """(min lon, min lat, max lon, max lat) of every kept point and latest position."""
        if not self._tracks:
            return None
        lats = np.concatenate([np.frombuffer(tr.lat, dtype=np.float32)
                               for tr in self._tracks.values()])
        lons = np.concatenate([np.frombuffer(tr.lon, dtype=np.float32)
                               for tr in self._tracks.values()])
        last = np.array([(r.lon, r.lat) for r in self.latest_all()])
        return (float(min(lons.min(), last[:, 0].min())), float(min(lats.min(),
                last[:, 1].min())), float(max(lons.max(), last[:, 0].max())),
                float(max(lats.max(), last[:, 1].max())))

    def segments(self, max_points: int | None = None) -> list[Segment]:
        """Every vessel's track split into drawable segments (module docstring), simplified
        together until their points fit ``max_points`` (None: no limit). A vessel seen once
        is a one-point segment."""
        segs: list[Segment] = []
        for mmsi in self._tracks:
            t, lat, lon = self.track(mmsi)
            cut = np.flatnonzero((np.diff(t) > self.max_gap_s)
                                 | (np.abs(np.diff(lon)) > 180.0)) + 1
            for a, b in zip(np.r_[0, cut], np.r_[cut, len(t)], strict=True):
                segs.append(Segment(mmsi, t[a:b], lat[a:b], lon[a:b]))
        total = sum(len(s) for s in segs)
        if max_points is None or total <= max_points:
            return segs
        return _simplify(segs, max_points)


def _simplify(segs: list[Segment], max_points: int) -> list[Segment]:
    """Douglas-Peucker on every segment of 3+ points with one tolerance, doubled until the
    total fits; then, if it still does not, an even stride per segment."""
    import shapely

    long_idx = [i for i, s in enumerate(segs) if len(s) >= 3]
    fixed = sum(len(s) for i, s in enumerate(segs) if len(s) < 3)
    if not long_idx:
        return segs
    t0 = min(float(segs[i].t[0]) for i in long_idx)
    coords = np.concatenate([np.column_stack([segs[i].lon, segs[i].lat, segs[i].t - t0])
                             for i in long_idx])
    owner = np.repeat(np.arange(len(long_idx)), [len(segs[i]) for i in long_idx])
    lines = shapely.linestrings(coords, indices=owner)
    lon_span = float(np.ptp(coords[:, 0])) or 1.0
    lat_span = float(np.ptp(coords[:, 1])) or 1.0
    tol = max(lon_span, lat_span) / 20000.0
    simplified = lines
    for _ in range(16):
        simplified = shapely.simplify(lines, tol, preserve_topology=False)
        if fixed + int(shapely.get_num_coordinates(simplified).sum()) <= max_points:
            break
        tol *= 2.0
    pts, which = shapely.get_coordinates(simplified, include_z=True, return_index=True)
    bounds = np.searchsorted(which, np.arange(len(long_idx) + 1))
    out = list(segs)
    room = max(2, (max_points - fixed) // max(1, len(long_idx)))
    over = fixed + len(pts) > max_points
    for k, i in enumerate(long_idx):
        p = pts[bounds[k]:bounds[k + 1]]
        if over and len(p) > room:
            p = p[np.unique(np.linspace(0, len(p) - 1, room).round().astype(int))]
        out[i] = Segment(segs[i].mmsi, p[:, 2] + t0, p[:, 1], p[:, 0])
    return out
