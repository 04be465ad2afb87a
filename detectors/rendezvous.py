"""Rendezvous (encounter) detector: two vessels close together, both slow, for a long time,
away from ports - the AIS signature of transshipment and hand-offs at sea.

Rules and presets:

* ``gfw``: Global Fishing Watch encounters - both vessels within 500 m for at least 2 h, median
  speed below 2 kn, at least 10 km from an anchorage; events of one pair less than 4 h apart
  are merged (Miller et al. 2018, "Identifying global patterns of transshipment behavior",
  Frontiers in Marine Science; GFW encounters pipeline).
* ``skylight``: Skylight (Ai2) rendezvous - two vessels within 250 m for more than 30 min.
* ``watch`` (default): 500 m for 1 h under 2 kn, 5 km from a port; merge gap 30 min, so a
  watch officer sees the alert close within half an hour of the vessels parting.

Pairs are found through a spatial grid (the vessel's cell and its neighbours), never a cross
join of all vessels. A report of vessel A is compared with vessel B's last report moved to A's
time by dead reckoning (B's speed and course), and only when B reported within ``horizon_s``.
Tugs, pilots, SAR, port tenders, law enforcement and medical craft are excluded, and so are
vessels moored or at anchor and positions closer than ``min_port_distance_km`` to a known port.
Many vessels together near the coast (``harbour_cluster`` within ``max_distance_m``, within
``harbour_shore_nm`` of a known shore) are a harbour, marina or mooring the port list lacks
(issue 9: fishing boats moored in Hvide Sande paired with each other), so those observations are
counted in ``counters`` and not paired; far out at sea, or with no shore, a cluster still pairs.
Vessels together more than ``inland_km`` inside the coastline (towboats on the Mississippi or
the Ohio, lakers, canal barges: inland water the land mask counts as land) are not a meeting
at sea either (``counters["inland"]``).
The alert opens as soon as the duration is reached and closes once the pair has not been seen
together for ``max_gap_h`` of event time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

from detectors.base import (
    NO_ALERTS,
    Deadlines,
    Detector,
    DetectorContext,
    DetectorSettings,
    Preset,
)
from detectors.common import cap_append, latlon, med, utc
from mda.geo import EARTH_RADIUS_M, haversine_m
from mda.records import (
    NAV_AT_ANCHOR,
    NAV_MOORED,
    Alert,
    AlertKind,
    PositionReport,
    Severity,
    alert_id,
)
from mda.shiptypes import FISHING, SERVICE, TOWING, is_cargo_or_tanker, type_label
from mda.vessels import VESSEL, describe

KIND: AlertKind = "rendezvous"
_M_PER_DEG = math.pi * EARTH_RADIUS_M / 180.0


@dataclass(frozen=True, slots=True)
class RendezvousSettings(DetectorSettings):
    max_distance_m: float = 500.0
    min_duration_h: float = 1.0
    max_sog_kn: float = 2.0
    min_port_distance_km: float = 5.0
    max_gap_h: float = 0.5  # close observations of one pair less than this apart are one event
    horizon_s: float = 300.0  # the other vessel's last report may be this old
    excluded_ship_types: tuple[int, ...] = (*TOWING, *SERVICE)
    # A report with this many vessels (itself included) within max_distance_m, within
    # harbour_shore_nm of the shore, is a harbour or mooring cluster, not a pair meeting.
    harbour_cluster: int = 3
    harbour_shore_nm: float = 12.0
    # Deeper than this inside the coastline (a river, lake or canal): not a meeting at sea.
    inland_km: float = 2.0


PRESETS: dict[Preset, RendezvousSettings] = {
    "watch": RendezvousSettings(),
    "skylight": RendezvousSettings(max_distance_m=250.0, min_duration_h=0.5,
                                   min_port_distance_km=5.0, max_gap_h=0.5),
    "gfw": RendezvousSettings(max_distance_m=500.0, min_duration_h=2.0,
                              min_port_distance_km=10.0, max_gap_h=4.0),
}


@dataclass(slots=True)
class _Vessel:
    t: float
    lat: float
    lon: float
    sog: float | None
    cog: float | None
    cell: tuple[int, int]


@dataclass(slots=True)
class _Pair:
    first_t: float
    last_t: float
    distances: list[float] = field(default_factory=list)
    sogs: list[float] = field(default_factory=list)
    lat_sum: float = 0.0
    lon_sum: float = 0.0
    n: int = 0
    port_km: float | None = None
    alert: Alert | None = None
    first_lat: float = 0.0
    first_lon: float = 0.0


class RendezvousDetector(Detector[RendezvousSettings]):
    """Two vessels close, slow and away from port for long enough (see the module docstring)."""

    name: ClassVar[str] = KIND
    settings_type = RendezvousSettings
    presets: ClassVar[dict[Preset, RendezvousSettings]] = PRESETS  # type: ignore[misc]

    def __init__(self, settings: RendezvousSettings,
                 context: DetectorContext | None = None) -> None:
        super().__init__(settings, context)
        self._cell_deg = max(settings.max_distance_m, 50.0) / _M_PER_DEG
        self._n_lon_cells = math.ceil(360.0 / self._cell_deg)
        self._vessels: dict[int, _Vessel] = {}
        self._grid: dict[tuple[int, int], set[int]] = {}
        self._pairs: dict[tuple[int, int], _Pair] = {}
        self._expiry = Deadlines(self)  # (last close observation + merge gap, pair), lazy
        self._gap_s = settings.max_gap_h * 3600.0
        self._min_s = settings.min_duration_h * 3600.0
        self.pair_checks = 0  # distance computations made (for the scaling benchmark)

    # -- grid ------------------------------------------------------------------------------
    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        c = self._cell_deg
        return (math.floor(lat / c), math.floor((lon + 180.0) / c) % self._n_lon_cells)

    def _neighbours(self, lat: float, cell: tuple[int, int]) -> list[tuple[int, int]]:
        # A cell spans c degrees of longitude, fewer metres away from the equator: look further
        # in longitude there so the search always covers max_distance_m.
        k = min(self._n_lon_cells // 2, math.ceil(1.0 / max(math.cos(math.radians(lat)), 0.01)))
        i, j = cell
        n = self._n_lon_cells
        return [(i + di, (j + dj) % n) for di in (-1, 0, 1) for dj in range(-k, k + 1)]

    def _leave(self, mmsi: int, v: _Vessel) -> None:
        """Take a vessel out of the grid (and out of the table)."""
        members = self._grid.get(v.cell)
        if members is not None:
            members.discard(mmsi)
            if not members:
                del self._grid[v.cell]
        self._vessels.pop(mmsi, None)

    # -- rules -----------------------------------------------------------------------------
    def _eligible(self, r: PositionReport) -> bool:
        s = self.settings
        if r.sog_kn is not None and r.sog_kn > s.max_sog_kn:
            return False
        if r.nav_status in (NAV_MOORED, NAV_AT_ANCHOR):
            return False
        if self.context.transmitter_of(r.mmsi) != VESSEL:
            return False  # a platform, buoy or base station does not meet anyone
        return self.context.ship_type_of(r.mmsi) not in s.excluded_ship_types

    def _port_km(self, lat: float, lon: float) -> float | None:
        f = self.context.port_distance_km
        return None if f is None else f(lat, lon)

    # -- steps -----------------------------------------------------------------------------
    def step(self, report: PositionReport, t: float) -> list[Alert]:
        mmsi = report.mmsi
        old = self._vessels.get(mmsi)
        if not self._eligible(report):
            # Only eligible (slow, not moored, not a tug...) vessels are kept in the grid.
            if old is not None:
                self._leave(mmsi, old)
            return NO_ALERTS
        lat, lon = report.lat, report.lon
        cell = self._cell(lat, lon)
        if old is None:
            self._vessels[mmsi] = _Vessel(t, lat, lon, report.sog_kn, report.cog_deg, cell)
            self._grid.setdefault(cell, set()).add(mmsi)
        else:
            if old.cell != cell:
                self._leave(mmsi, old)
                self._vessels[mmsi] = old
                self._grid.setdefault(cell, set()).add(mmsi)
            old.t, old.lat, old.lon, old.sog, old.cog, old.cell = (
                t, lat, lon, report.sog_kn, report.cog_deg, cell)
        out: list[Alert] = []
        close: list[tuple[int, float, float | None]] = []
        s = self.settings
        for nc in self._neighbours(lat, cell):
            members = self._grid.get(nc)
            if not members:
                continue
            for other in members:
                if other == mmsi:
                    continue
                b = self._vessels[other]
                dt = t - b.t
                if dt > s.horizon_s or dt < -s.horizon_s:
                    continue
                blat, blon = b.lat, b.lon
                if b.sog and b.cog is not None and dt:
                    moved = b.sog * 0.514444 * dt  # dead reckoning to this report's time
                    blat += moved * math.cos(math.radians(b.cog)) / _M_PER_DEG
                    blon += moved * math.sin(math.radians(b.cog)) / (
                        _M_PER_DEG * max(math.cos(math.radians(blat)), 0.01))
                self.pair_checks += 1
                d = haversine_m(lat, lon, blat, blon)
                if d <= s.max_distance_m:
                    close.append((other, d, b.sog))
        if not close:
            return out
        port_km = self._port_km(lat, lon)
        if port_km is not None and port_km < s.min_port_distance_km:
            return out  # in or near port: no rendezvous here
        on_land = self.context.on_land
        if s.inland_km > 0 and on_land is not None and on_land(lat, lon, s.inland_km):
            self.counters["inland"] += 1
            return out  # a river, lake or canal the land mask counts as land: not at sea
        if len(close) + 1 >= s.harbour_cluster:
            shore = self.context.shore_distance_nm
            shore_nm = None if shore is None else shore(lat, lon)
            if shore_nm is not None and shore_nm <= s.harbour_shore_nm:
                self.counters["harbour_cluster"] += 1
                return out  # many vessels together near the coast: a harbour, not a meeting
        for other, d, sog_b in close:
            alert = self._observe((min(mmsi, other), max(mmsi, other)), t, d,
                                  report.sog_kn, sog_b, lat, lon, port_km)
            if alert is not None:
                out.append(alert)
        return out

    def _observe(self, key: tuple[int, int], t: float, d: float, sog_a: float | None,
                 sog_b: float | None, lat: float, lon: float,
                 port_km: float | None) -> Alert | None:
        pair = self._pairs.get(key)
        if pair is None:
            pair = _Pair(t, t, first_lat=lat, first_lon=lon)
            self._pairs[key] = pair
            self._expiry.push(t + self._gap_s, key)
        pair.last_t = max(pair.last_t, t)
        pair.n += 1
        pair.lat_sum += lat
        pair.lon_sum += lon
        cap_append(pair.distances, d)
        for sog in (sog_a, sog_b):
            if sog is not None:
                cap_append(pair.sogs, sog)
        if port_km is not None:
            pair.port_km = port_km if pair.port_km is None else min(pair.port_km, port_km)
        if pair.alert is None and pair.last_t - pair.first_t >= self._min_s:
            median_sog = med(pair.sogs)
            if median_sog is None or median_sog < self.settings.max_sog_kn:
                pair.alert = self._alert(key, pair, "open")
                return pair.alert
        return None

    def advance(self, watermark: float) -> list[Alert]:
        out: list[Alert] = []
        for _, key in self._expiry.pop_before(watermark):
            pair = self._pairs.get(key)
            if pair is None:
                continue
            due = pair.last_t + self._gap_s
            if due >= watermark:
                self._expiry.push(due, key)
                continue
            del self._pairs[key]
            if pair.alert is not None:
                out.append(self._alert(key, pair, "closed"))
        return out

    def evict(self, before_epoch_s: float) -> int:
        """Vessels last heard before ``before_epoch_s`` leave the grid (pairs end by
        themselves after ``max_gap_h``; any left from then without an alert are dropped)."""
        gone = [m for m, v in self._vessels.items() if v.t < before_epoch_s]
        for m in gone:
            self._leave(m, self._vessels[m])
        for key in [k for k, p in self._pairs.items()
                    if p.last_t < before_epoch_s and p.alert is None]:
            del self._pairs[key]
        return len(gone)

    # -- alerts ----------------------------------------------------------------------------
    def _alert(self, key: tuple[int, int], pair: _Pair, status: str) -> Alert:
        a, b = key
        info_a = self.context.vessel_info(a)
        info_b = self.context.vessel_info(b)
        lat, lon = pair.lat_sum / pair.n, pair.lon_sum / pair.n
        duration_h = (pair.last_t - pair.first_t) / 3600.0
        median_d = med(pair.distances) or 0.0
        median_sog = med(pair.sogs)
        st_a, st_b = info_a.ship_type, info_b.ship_type
        transshipment = (st_a == FISHING and is_cargo_or_tanker(st_b)) or (
            st_b == FISHING and is_cargo_or_tanker(st_a))
        severity: Severity = "high" if transshipment else "medium"
        start = utc(pair.first_t)
        port = ("" if pair.port_km is None else f", {pair.port_km:.0f} km from the nearest port")
        verb = "have been" if status == "open" else "were"
        summary = (
            f"{describe(a, info_a)} ({type_label(st_a)}) and {describe(b, info_b)} "
            f"({type_label(st_b)}) {verb} within {median_d:.0f} m of each other at "
            f"{latlon(lat, lon)} for {duration_h:.1f} h"
            + ("" if median_sog is None else f" at {median_sog:.1f} kn") + port + "."
        )
        return Alert(
            alert_id=alert_id(KIND, a, b, start),
            kind=KIND,
            status="open" if status == "open" else "closed",
            severity=severity,
            mmsi=a,
            other_mmsi=b,
            start=start,
            end=None if status == "open" else utc(pair.last_t),
            lat=lat,
            lon=lon,
            summary=summary,
            evidence={
                "median_distance_m": round(median_d, 1),
                "duration_h": round(duration_h, 3),
                "median_sog_kn": None if median_sog is None else round(median_sog, 2),
                "distance_from_port_km": None if pair.port_km is None else round(pair.port_km,
                                                                                   1),
                "observations": pair.n,
                "max_distance_m": self.settings.max_distance_m,
                "min_duration_h": self.settings.min_duration_h,
                "possible_transshipment": transshipment,
                "first_lat": round(pair.first_lat, 6),
                "first_lon": round(pair.first_lon, 6),
                "other_vessel": info_b.to_dict(),
            },
            vessel=info_a.to_dict(),
        )
