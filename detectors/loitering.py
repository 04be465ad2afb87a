"""Loitering detector: one vessel slow, far from shore and port, for hours - the AIS side of a
rendezvous whose partner is dark.

Rules and presets:

* ``gfw``: Global Fishing Watch loitering events - a carrier below 2 kn for at least 4 h, at
  least 20 nm from shore (Miller et al. 2018; GFW's earlier definition used 8 h).
* ``skylight``: Skylight flags "dark rendezvous" with a model from about 15 min of loitering;
  without the model this preset uses 2 kn for 1 h, 5 nm from shore.
* ``watch`` (default): below 2 kn for 3 h, at least 12 nm from shore (outside territorial
  waters), 10 km from a known port.

Vessels at anchor or moored near a port (``min_port_distance_km``) are not loitering; fishing
vessels, tugs, service craft, pleasure craft and warships are excluded by default (they are slow
at sea for their own reasons). Tankers and cargo ships, which carry out transshipments, rank
higher. A silence longer than ``max_gap_h`` ends the episode.
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
from mda.geo import haversine_m
from mda.records import (
    NAV_AT_ANCHOR,
    NAV_MOORED,
    Alert,
    AlertKind,
    PositionReport,
    Severity,
    alert_id,
)
from mda.shiptypes import (
    DREDGING_DIVING_MILITARY,
    FISHING,
    PLEASURE,
    SERVICE,
    TOWING,
    is_cargo_or_tanker,
    type_label,
)
from mda.vessels import VESSEL, describe

KIND: AlertKind = "loitering"


@dataclass(frozen=True, slots=True)
class LoiteringSettings(DetectorSettings):
    max_sog_kn: float = 2.0
    min_duration_h: float = 3.0
    min_shore_distance_nm: float = 12.0
    min_port_distance_km: float = 10.0
    max_gap_h: float = 2.0
    excluded_ship_types: tuple[int, ...] = (FISHING, *TOWING, *DREDGING_DIVING_MILITARY,
                                            *PLEASURE, *SERVICE)


PRESETS: dict[Preset, LoiteringSettings] = {
    "watch": LoiteringSettings(),
    "skylight": LoiteringSettings(min_duration_h=1.0, min_shore_distance_nm=5.0),
    "gfw": LoiteringSettings(min_duration_h=4.0, min_shore_distance_nm=20.0),
}


@dataclass(slots=True)
class _Episode:
    first_t: float
    last_t: float
    first_lat: float
    first_lon: float
    lat_sum: float = 0.0
    lon_sum: float = 0.0
    n: int = 0
    max_radius_m: float = 0.0
    sogs: list[float] = field(default_factory=list)
    shore_nm: float | None = None
    port_km: float | None = None
    alert: Alert | None = None


class LoiteringDetector(Detector[LoiteringSettings]):
    """One vessel slow at sea for long enough (see the module docstring)."""

    name: ClassVar[str] = KIND
    settings_type = LoiteringSettings
    presets: ClassVar[dict[Preset, LoiteringSettings]] = PRESETS  # type: ignore[misc]

    def __init__(self, settings: LoiteringSettings,
                 context: DetectorContext | None = None) -> None:
        super().__init__(settings, context)
        self._episodes: dict[int, _Episode] = {}
        self._expiry = Deadlines(self)  # (last slow report + max gap, mmsi), lazy
        self._min_s = settings.min_duration_h * 3600.0
        self._gap_s = settings.max_gap_h * 3600.0

    def _slow_here(self, r: PositionReport) -> bool:
        s = self.settings
        if r.sog_kn is None or r.sog_kn >= s.max_sog_kn:
            return False
        if self.context.ship_type_of(r.mmsi) in s.excluded_ship_types:
            return False
        if r.nav_status in (NAV_AT_ANCHOR, NAV_MOORED) and self.context.port_distance_km:
            d = self.context.port_distance_km(r.lat, r.lon)
            if d is not None and d < s.min_port_distance_km:
                return False
        return True

    def step(self, report: PositionReport, t: float) -> list[Alert]:
        ep = self._episodes.get(report.mmsi)
        if ep is None and (report.sog_kn is None or report.sog_kn >= self.settings.max_sog_kn):
            return NO_ALERTS  # the common case: a vessel under way
        out: list[Alert] = []
        if ep is not None and t - ep.last_t > self._gap_s:
            out += self._end(report.mmsi, ep)
            ep = None
        if not self._slow_here(report):
            if ep is not None:
                out += self._end(report.mmsi, ep)
            return out
        if ep is None:
            if self.context.transmitter_of(report.mmsi) != VESSEL:
                return out  # a platform or buoy stays put: that is not loitering
            ep = _Episode(t, t, report.lat, report.lon)
            self._episodes[report.mmsi] = ep
            self._expiry.push(t + self._gap_s, report.mmsi)
        ep.last_t = t
        ep.n += 1
        ep.lat_sum += report.lat
        ep.lon_sum += report.lon
        assert report.sog_kn is not None
        cap_append(ep.sogs, report.sog_kn)
        ep.max_radius_m = max(ep.max_radius_m,
                              haversine_m(ep.first_lat, ep.first_lon, report.lat, report.lon))
        if ep.alert is None and t - ep.first_t >= self._min_s and self._far(ep, report):
            ep.alert = self._alert(report.mmsi, ep, "open")
            out.append(ep.alert)
        return out

    def _far(self, ep: _Episode, r: PositionReport) -> bool:
        s = self.settings
        shore = self.context.shore_distance_nm
        if shore is not None:
            d = shore(r.lat, r.lon)
            if d is not None:
                ep.shore_nm = d
                if d < s.min_shore_distance_nm:
                    return False
        port = self.context.port_distance_km
        if port is not None:
            k = port(r.lat, r.lon)
            if k is not None:
                ep.port_km = k
                if k < s.min_port_distance_km:
                    return False
        return True

    def _end(self, mmsi: int, ep: _Episode) -> list[Alert]:
        self._episodes.pop(mmsi, None)
        return [] if ep.alert is None else [self._alert(mmsi, ep, "closed")]

    def advance(self, watermark: float) -> list[Alert]:
        out: list[Alert] = []
        for _, mmsi in self._expiry.pop_before(watermark):
            ep = self._episodes.get(mmsi)
            if ep is None:
                continue
            due = ep.last_t + self._gap_s
            if due >= watermark:
                self._expiry.push(due, mmsi)
                continue
            out += self._end(mmsi, ep)
        return out

    def evict(self, before_epoch_s: float) -> int:
        """Episodes end by themselves after ``max_gap_h`` of silence; any left from before
        ``before_epoch_s`` without an open alert are dropped."""
        gone = [m for m, ep in self._episodes.items()
                if ep.last_t < before_epoch_s and ep.alert is None]
        for m in gone:
            del self._episodes[m]
        return len(gone)

    def _alert(self, mmsi: int, ep: _Episode, status: str) -> Alert:
        info = self.context.vessel_info(mmsi)
        st = info.ship_type
        severity: Severity = "high" if is_cargo_or_tanker(st) else "medium"
        lat, lon = ep.lat_sum / ep.n, ep.lon_sum / ep.n
        duration_h = (ep.last_t - ep.first_t) / 3600.0
        median_sog = med(ep.sogs)
        where = "" if ep.shore_nm is None else f", {ep.shore_nm:.0f} nm from shore"
        verb = "has been" if status == "open" else "was"
        start = utc(ep.first_t)
        return Alert(
            alert_id=alert_id(KIND, mmsi, None, start),
            kind=KIND,
            status="open" if status == "open" else "closed",
            severity=severity,
            mmsi=mmsi,
            start=start,
            end=None if status == "open" else utc(ep.last_t),
            lat=lat,
            lon=lon,
            summary=(f"{describe(mmsi, info)} ({type_label(st)}) {verb} loitering at "
                     f"{latlon(lat, lon)} for {duration_h:.1f} h at "
                     f"{median_sog if median_sog is not None else math.nan:.1f} kn{where}."),
            evidence={
                "duration_h": round(duration_h, 3),
                "median_sog_kn": None if median_sog is None else round(median_sog, 2),
                "radius_m": round(ep.max_radius_m, 1),
                "distance_from_shore_nm": None if ep.shore_nm is None else round(ep.shore_nm, 1),
                "distance_from_port_km": None if ep.port_km is None else round(ep.port_km, 1),
                "observations": ep.n,
                "min_duration_h": self.settings.min_duration_h,
            },
            vessel=info.to_dict(),
        )
