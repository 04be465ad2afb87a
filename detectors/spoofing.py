"""Spoofing and identity faults.

Four reasons, each its own alert (kind ``spoofing``, ``evidence.reason``):

* ``speed``: the implied speed between consecutive reports of one MMSI is beyond what a ship can
  do (``max_speed_kn``), over more than ``min_jump_m`` (a floor against GPS jitter). GFW's
  segmenter splits tracks on the same test (gpsdio-segment, max speed 30 kn); 50 kn leaves room
  for fast ferries. Jumps of one MMSI within ``episode_h`` are one alert.
* ``shared_mmsi``: one MMSI in two places at once. Each MMSI keeps up to three tracks; a report
  joins the track it is consistent with (implied speed within the limit) or starts a new one.
  When two tracks both keep reporting (``min_track_reports`` each, within ``episode_h`` of each
  other), two transmitters use the MMSI (e.g. 240000000 off Colombia and in the Bay of Bengal,
  January 2015, in GFW's tracks). GFW lists such MMSIs per year (treniformis SPOOFING_MMSI).
* ``on_land``: a position deep inland (``min_inland_km`` from the sea, by the land mask).
* ``invalid_mmsi``: a position report from a nine-digit MMSI that no ship may use (its MID is
  not allocated, or it is not of a ship-station form; ITU-R M.585).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from detectors.base import (
    NO_ALERTS,
    Deadlines,
    Detector,
    DetectorContext,
    DetectorSettings,
    register,
)
from detectors.common import latlon, utc
from mda.flags import flag_of
from mda.geo import haversine_m, implied_speed_kn
from mda.records import Alert, PositionReport, Severity, alert_id, is_anonymous_id
from mda.vessels import describe

KIND = "spoofing"


@dataclass(frozen=True, slots=True)
class SpoofingSettings(DetectorSettings):
    max_speed_kn: float = 50.0
    min_jump_m: float = 2000.0
    episode_h: float = 1.0
    min_track_reports: int = 3
    check_on_land: bool = True
    min_inland_km: float = 5.0
    check_mmsi: bool = True


PRESETS: dict[str, SpoofingSettings] = {
    "watch": SpoofingSettings(),
    "skylight": SpoofingSettings(),
    "gfw": SpoofingSettings(max_speed_kn=30.0, episode_h=6.0),
}


def valid_ship_mmsi(mmsi: int) -> bool:
    """Ship stations: MIDxxxxxx with an allocated MID (2xx-7xx); also SART/MOB/EPIRB (97x)."""
    if 970_000_000 <= mmsi <= 979_999_999:
        return True
    if not 200_000_000 <= mmsi <= 799_999_999:
        return False
    return flag_of(mmsi) is not None


@dataclass(slots=True)
class _Track:
    t: float
    lat: float
    lon: float
    n: int = 1
    first_t: float = 0.0


@dataclass(slots=True)
class _Identity:
    tracks: list[_Track] = field(default_factory=list)
    last: _Track | None = None
    open: dict[str, Alert] = field(default_factory=dict)
    last_event: dict[str, float] = field(default_factory=dict)
    jumps: int = 0
    max_speed_kn: float = 0.0
    mmsi_checked: bool = False
    land_lat: float = 1e9
    land_lon: float = 1e9


@register
class SpoofingDetector(Detector[SpoofingSettings]):
    """Impossible speeds, shared MMSIs, positions on land, invalid MMSIs (module docstring)."""

    name: ClassVar[str] = KIND
    settings_type = SpoofingSettings
    presets: ClassVar[dict[str, SpoofingSettings]] = PRESETS  # type: ignore[misc]

    def __init__(self, settings: SpoofingSettings, context: DetectorContext | None = None) -> None:
        super().__init__(settings, context)
        self._ids: dict[int, _Identity] = {}
        self._episode_s = settings.episode_h * 3600.0
        self._expiry = Deadlines(self)  # (last event + episode, (mmsi, reason)), lazy

    def _consistent(self, tr: _Track, t: float, lat: float, lon: float) -> tuple[bool, float,
                                                                                 float | None]:
        d = haversine_m(tr.lat, tr.lon, lat, lon)
        if d <= self.settings.min_jump_m:
            return True, d, None
        speed = implied_speed_kn(d, max(abs(t - tr.t), 1.0))
        return (speed is not None and speed <= self.settings.max_speed_kn), d, speed

    def step(self, report: PositionReport, t: float) -> list[Alert]:
        s = self.settings
        mmsi = report.mmsi
        lat, lon = report.lat, report.lon
        ident = self._ids.get(mmsi)
        if ident is None:
            ident = self._ids[mmsi] = _Identity()
        out: list[Alert] = []
        if s.check_mmsi and not ident.mmsi_checked:
            ident.mmsi_checked = True
            # an anonymised vessel number (mda.records) is not an MMSI: nothing to check
            if not valid_ship_mmsi(mmsi) and not is_anonymous_id(mmsi):
                out.append(self._alert(
                    mmsi, "invalid_mmsi", t, lat, lon, "closed",
                    {"detail": "MID not allocated or not a ship-station MMSI"}, end=t,
                    severity="low"))
        on_land = self.context.on_land
        # The land check is repeated only once the vessel has moved 0.01 degree (~1 km).
        if s.check_on_land and on_land is not None and (
                abs(lat - ident.land_lat) > 0.01 or abs(lon - ident.land_lon) > 0.01):
            ident.land_lat, ident.land_lon = lat, lon
            land = on_land(lat, lon, s.min_inland_km)
            if land and "on_land" not in ident.open:
                out.append(self._open(mmsi, ident, "on_land", t, lat, lon,
                                      {"min_inland_km": s.min_inland_km}, "medium"))
            elif not land and "on_land" in ident.open:
                out.append(self._close(mmsi, ident, "on_land", t))
        last = ident.last
        if last is not None and self._consistent(last, t, lat, lon)[0]:
            # The common case: the report continues the vessel's latest track.
            last.t, last.lat, last.lon = t, lat, lon
            last.n += 1
            if len(ident.tracks) > 1:
                self._shared(mmsi, ident, t, lat, lon, out)
            return out or NO_ALERTS
        # Which track does this report continue, if any?
        best: _Track | None = None
        for tr in ident.tracks:
            if tr is not last and self._consistent(tr, t, lat, lon)[0] and (
                    best is None or tr.t > best.t):
                best = tr
        if best is None:
            best = _Track(t, lat, lon, 0, t)
            ident.tracks.append(best)
            if len(ident.tracks) > 3:
                ident.tracks.sort(key=lambda x: x.t)
                del ident.tracks[0]
        best.t, best.lat, best.lon = t, lat, lon
        best.n += 1
        if last is not None:
            _, d, speed = self._consistent(last, t, lat, lon)
            ident.jumps += 1
            ident.max_speed_kn = max(ident.max_speed_kn, speed or 0.0)
            ident.last_event["speed"] = t
            if "speed" not in ident.open:
                out.append(self._open(mmsi, ident, "speed", t, lat, lon, {
                    "implied_speed_kn": None if speed is None else round(speed, 1),
                    "distance_m": round(d, 1),
                    "dt_s": round(t - last.t, 1),
                    "from_lat": last.lat, "from_lon": last.lon,
                    "to_lat": lat, "to_lon": lon,
                    "max_speed_kn": s.max_speed_kn,
                }, "medium"))
        ident.last = best
        self._shared(mmsi, ident, t, lat, lon, out)
        return out

    def _shared(self, mmsi: int, ident: _Identity, t: float, lat: float, lon: float,
                out: list[Alert]) -> None:
        """Two tracks alive at once: a shared MMSI."""
        s = self.settings
        live = [tr for tr in ident.tracks
                if tr.n >= s.min_track_reports and t - tr.t <= self._episode_s]
        if len(live) < 2:
            return
        ident.last_event["shared_mmsi"] = t
        if "shared_mmsi" not in ident.open:
            a, b = live[0], live[1]
            out.append(self._open(mmsi, ident, "shared_mmsi", t, lat, lon, {
                "distance_km": round(haversine_m(a.lat, a.lon, b.lat, b.lon) / 1000, 1),
                "track_a_lat": a.lat, "track_a_lon": a.lon,
                "track_b_lat": b.lat, "track_b_lon": b.lon,
            }, "high"))

    def _open(self, mmsi: int, ident: _Identity, reason: str, t: float, lat: float, lon: float,
              evidence: dict[str, Any], severity: Severity) -> Alert:
        ident.last_event[reason] = t
        alert = self._alert(mmsi, reason, t, lat, lon, "open", evidence, severity=severity)
        ident.open[reason] = alert
        self._expiry.push(t + self._episode_s, (mmsi, reason))
        return alert

    def _close(self, mmsi: int, ident: _Identity, reason: str, t: float) -> Alert:
        alert = ident.open.pop(reason)
        evidence = dict(alert.evidence)
        if reason == "speed":
            evidence.update({"jumps": ident.jumps, "max_implied_speed_kn":
                             round(ident.max_speed_kn, 1)})
            ident.jumps = 0
            ident.max_speed_kn = 0.0
        return Alert(alert.alert_id, KIND, "closed", alert.severity, mmsi, alert.start, utc(t),
                     alert.lat, alert.lon, alert.summary, evidence, alert.vessel)

    def advance(self, watermark: float) -> list[Alert]:
        out: list[Alert] = []
        for _, (mmsi, reason) in self._expiry.pop_before(watermark):
            ident = self._ids.get(mmsi)
            if ident is None or reason not in ident.open or reason == "on_land":
                continue
            due = ident.last_event.get(reason, 0.0) + self._episode_s
            if due >= watermark:
                self._expiry.push(due, (mmsi, reason))
                continue
            out.append(self._close(mmsi, ident, reason, ident.last_event[reason]))
        return out

    def _alert(self, mmsi: int, reason: str, t: float, lat: float, lon: float, status: str,
               evidence: dict[str, Any], severity: Severity, end: float | None = None) -> Alert:
        info = self.context.vessel_info(mmsi)
        who = describe(mmsi, info)
        where = latlon(lat, lon)
        if reason == "speed":
            summary = (f"{who} jumped {evidence['distance_m'] / 1000:.1f} km in "
                       f"{evidence['dt_s']:.0f} s (implied {evidence['implied_speed_kn']} kn) "
                       f"to {where}: a position a ship cannot reach.")
        elif reason == "shared_mmsi":
            here = latlon(evidence["track_a_lat"], evidence["track_a_lon"])
            there = latlon(evidence["track_b_lat"], evidence["track_b_lon"])
            summary = (f"{who} is transmitting from two places {evidence['distance_km']:.0f} km "
                       f"apart at once (near {here} and {there}): two vessels share this MMSI.")
        elif reason == "on_land":
            summary = f"{who} reports a position on land at {where}."
        else:
            summary = f"{who} uses an MMSI that no ship may use (at {where})."
        start = utc(t)
        return Alert(
            alert_id=alert_id(KIND, mmsi, None, start, reason),
            kind=KIND,
            status="open" if status == "open" else "closed",
            severity=severity,
            mmsi=mmsi,
            start=start,
            end=None if end is None else utc(end),
            lat=lat,
            lon=lon,
            summary=summary,
            evidence={"reason": reason, **evidence},
            vessel=info,
        )
