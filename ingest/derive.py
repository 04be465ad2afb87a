"""Speed and course derived from consecutive fixes, for inputs that carry none.

Positions-only tables (tracktable/MarineCadastre tracks, VesselsValue) have no SOG or COG, yet
the gap ("stopped"), rendezvous ("both under 2 kn") and loitering rules need a speed. Per MMSI,
a report without a speed gets the great-circle distance from the vessel's previous fix over
the time between them, and the initial bearing as its course; the record is marked
``derived=True`` so evidence can say the speed was not reported.

No speed is derived when the previous fix is not earlier (``dt <= 0``, e.g. a duplicate), is
more than ``max_dt_s`` old (1 h: the vessel may have done anything meanwhile), or when the
implied speed is absurd (> ``max_sog_kn``, 60 kn: a bad fix or a jump). Below
``min_course_sog_kn`` the course is not derived (the bearing of GPS jitter means nothing,
as course 360 is only accepted at <= 0.35 kn). A reported speed or course is never replaced.
Feed reports in event-time order per vessel (ingest sorts a file first when needed).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mda.geo import M_PER_NM, bearing_deg, haversine_m
from mda.records import PositionReport


@dataclass(frozen=True, slots=True)
class DeriveSettings:
    max_dt_s: float = 3600.0
    max_sog_kn: float = 60.0
    min_course_sog_kn: float = 0.35


class SpeedDeriver:
    """Derives ``sog_kn``/``cog_deg`` where a report has none (module docstring)."""

    def __init__(self, settings: DeriveSettings | None = None) -> None:
        self.settings = settings or DeriveSettings()
        self._last: dict[int, tuple[float, float, float]] = {}  # mmsi -> (t, lat, lon)
        self.derived = 0  # reports given a derived speed

    def __call__(self, report: PositionReport, t: float) -> PositionReport:
        """``report`` with a derived speed and course when it lacks a speed, else as is."""
        last = self._last.get(report.mmsi)
        if last is None or t > last[0]:
            self._last[report.mmsi] = (t, report.lat, report.lon)
        if report.sog_kn is not None or last is None:
            return report
        s = self.settings
        dt = t - last[0]
        if dt <= 0 or dt > s.max_dt_s:
            return report
        d_m = haversine_m(last[1], last[2], report.lat, report.lon)
        sog = d_m / M_PER_NM / (dt / 3600.0)
        if sog > s.max_sog_kn:
            return report
        cog = report.cog_deg
        if cog is None and sog >= s.min_course_sog_kn:
            cog = round(bearing_deg(last[1], last[2], report.lat, report.lon), 1)
        self.derived += 1
        return replace(report, sog_kn=round(sog, 2), cog_deg=cog, derived=True)

