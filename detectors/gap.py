"""AIS gap / dark vessel detector.

A vessel that was under way and then stays silent longer than a threshold "went dark". The
rule follows Global Fishing Watch's AIS-disabling events (gap >= 12 h, > 50 nm from shore;
Welch et al. 2022, "Hot spots of unseen fishing vessels", Science Advances) and Skylight's
"potential dark activity" (6 h without AIS). The ``watch`` preset uses 2 h, a threshold a
watch floor can act on.

Event time only: the alert opens when the stream's watermark passes last report + threshold
(strictly: silence of exactly the threshold is not yet a gap), while the vessel is still
silent, and closes when the vessel reports again, with the evidence of the gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from detectors.base import Deadlines, Detector, DetectorContext, DetectorSettings, register
from detectors.common import latlon
from mda.geo import haversine_m, implied_speed_kn
from mda.records import (
    NAV_AT_ANCHOR,
    NAV_MOORED,
    Alert,
    PositionReport,
    Severity,
    alert_id,
    iso_utc,
)
from mda.vessels import describe

KIND = "gap"


@dataclass(frozen=True, slots=True)
class GapSettings(DetectorSettings):
    threshold_h: float = 2.0
    # Only when a shore distance is known: gaps closer to shore than this do not alert (GFW).
    min_shore_distance_nm: float = 0.0
    # Navigational statuses that mean "not under way": silence there is expected.
    quiet_nav_status: tuple[int, ...] = (NAV_AT_ANCHOR, NAV_MOORED)


PRESETS: dict[str, GapSettings] = {
    "watch": GapSettings(threshold_h=2.0),
    "skylight": GapSettings(threshold_h=6.0),
    "gfw": GapSettings(threshold_h=12.0, min_shore_distance_nm=50.0),
}


@dataclass(slots=True)
class _Vessel:
    last_t: float
    last: PositionReport
    open_alert: Alert | None = None
    queued: bool = False


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


@register
class GapDetector(Detector[GapSettings]):
    """Opens a ``gap`` alert when a vessel under way falls silent (see the module docstring)."""

    name: ClassVar[str] = KIND
    settings_type = GapSettings
    presets: ClassVar[dict[str, GapSettings]] = PRESETS  # type: ignore[misc]

    def __init__(self, settings: GapSettings, context: DetectorContext | None = None) -> None:
        super().__init__(settings, context)
        self._threshold_s = settings.threshold_h * 3600.0
        self._vessels: dict[int, _Vessel] = {}
        self._deadlines = Deadlines(self)  # (last_t + threshold, mmsi), lazy

    # -- rules -----------------------------------------------------------------------------
    def _eligible(self, last: PositionReport) -> bool:
        if last.nav_status is not None and last.nav_status in self.settings.quiet_nav_status:
            return False
        if self.settings.min_shore_distance_nm > 0 and self.context.shore_distance_nm:
            d = self.context.shore_distance_nm(last.lat, last.lon)
            if d is not None and d <= self.settings.min_shore_distance_nm:
                return False
        return True

    # -- steps -----------------------------------------------------------------------------
    def step(self, report: PositionReport, t: float) -> list[Alert]:
        v = self._vessels.get(report.mmsi)
        out: list[Alert] = []
        if v is None:
            v = _Vessel(t, report)
            self._vessels[report.mmsi] = v
        else:
            if v.open_alert is not None:
                out.append(self._close(v, report, t))
            elif t - v.last_t > self._threshold_s and self._eligible(v.last):
                # The watermark never passed the deadline (the runner normally advances first).
                opened = self._open(v, t)
                out.append(self._close(v, report, t, opened))
            v.last_t = t
            v.last = report
            v.open_alert = None
        if not v.queued:
            self._deadlines.push(t + self._threshold_s, report.mmsi)
            v.queued = True
        return out

    def advance(self, watermark: float) -> list[Alert]:
        out: list[Alert] = []
        for _, mmsi in self._deadlines.pop_before(watermark):
            v = self._vessels[mmsi]
            due = v.last_t + self._threshold_s
            if due >= watermark:  # it reported since: not due yet
                self._deadlines.push(due, mmsi)
                continue
            v.queued = False
            if v.open_alert is None and self._eligible(v.last):
                v.open_alert = self._open(v, watermark)
                out.append(v.open_alert)
        return out

    # -- alerts ----------------------------------------------------------------------------
    def _open(self, v: _Vessel, now: float) -> Alert:
        last = v.last
        info = self.context.vessel_info(last.mmsi)
        silent_h = (now - v.last_t) / 3600.0
        start = _utc(v.last_t)
        return Alert(
            alert_id=alert_id(KIND, last.mmsi, None, start),
            kind=KIND,
            status="open",
            severity="medium",
            mmsi=last.mmsi,
            start=start,
            end=None,
            lat=last.lat,
            lon=last.lon,
            summary=(
                f"{describe(last.mmsi, info)} went dark at {latlon(last.lat, last.lon)} "
                f"after {iso_utc(start)} and has been silent for {silent_h:.1f} h "
                f"(threshold {self.settings.threshold_h:g} h)."
            ),
            evidence={
                "gap_h": round(silent_h, 3),
                "threshold_h": self.settings.threshold_h,
                "last_ts": iso_utc(start),
                "last_lat": last.lat,
                "last_lon": last.lon,
                "last_sog_kn": last.sog_kn,
                "last_nav_status": last.nav_status,
                "detected_at": iso_utc(_utc(now)),
            },
            vessel=info,
        )

    def _close(self, v: _Vessel, first: PositionReport, t: float,
               opened: Alert | None = None) -> Alert:
        alert = opened or v.open_alert
        assert alert is not None
        last = v.last
        gap_s = t - v.last_t
        dist = haversine_m(last.lat, last.lon, first.lat, first.lon)
        speed = implied_speed_kn(dist, gap_s)
        gap_h = gap_s / 3600.0
        implausible = speed is not None and speed > 30
        severity: Severity = "high" if implausible or gap_h >= 24 else "medium"
        info = self.context.vessel_info(last.mmsi)
        evidence = dict(alert.evidence)
        evidence.update({
            "gap_h": round(gap_h, 3),
            "distance_m": round(dist, 1),
            "implied_speed_kn": None if speed is None else round(speed, 2),
            "first_ts": iso_utc(first.ts),
            "first_lat": first.lat,
            "first_lon": first.lon,
            "first_sog_kn": first.sog_kn,
        })
        return Alert(
            alert_id=alert.alert_id,
            kind=KIND,
            status="closed",
            severity=severity,
            mmsi=alert.mmsi,
            start=alert.start,
            end=_utc(t),
            lat=alert.lat,
            lon=alert.lon,
            summary=(
                f"{describe(last.mmsi, info)} was dark for {gap_h:.1f} h from "
                f"{iso_utc(alert.start)}; it reappeared {dist / 1000:.1f} km away "
                + (f"(implied {speed:.1f} kn)." if speed is not None else ".")
            ),
            evidence=evidence,
            vessel=info,
        )
