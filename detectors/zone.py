"""Zone incursion detector: ``zone_entry`` and ``zone_exit`` alerts for vessels that a zone's
rule says do not belong there (e.g. a foreign-flagged fishing vessel inside an EEZ, any fishing
vessel inside a marine protected area, any vessel inside a restricted area).

Hysteresis: an entry is confirmed after ``min_inside_reports`` consecutive reports inside
(one point across the line does not flap), except the first report of a vessel, which enters
at once (a vessel already inside when the replay starts enters at its first position). An
exit is confirmed once the vessel has been outside for ``exit_after_s`` of event time, so a
short excursion out and back is one visit. The entry alert stays open while the vessel is
inside, closes at the exit with the dwell time, and a ``zone_exit`` alert marks the exit.
Who triggers a zone comes from its rule (see :mod:`zones.catalogue`); a visit whose vessel
does not match yet (ship type still unknown) is re-checked on each report inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from detectors.base import (
    NO_ALERTS,
    Deadlines,
    Detector,
    DetectorContext,
    DetectorSettings,
    Preset,
    ZoneView,
)
from detectors.common import latlon, utc
from mda.records import Alert, AlertKind, PositionReport, alert_id
from mda.vessels import describe

ENTRY: AlertKind = "zone_entry"
EXIT: AlertKind = "zone_exit"


@dataclass(frozen=True, slots=True)
class ZoneSettings(DetectorSettings):
    min_inside_reports: int = 2
    exit_after_s: float = 1800.0


PRESETS: dict[Preset, ZoneSettings] = {
    "watch": ZoneSettings(),
    "skylight": ZoneSettings(),
    "gfw": ZoneSettings(exit_after_s=3600.0),
}


@dataclass(slots=True)
class _Visit:
    zone: ZoneView
    first_t: float
    last_inside_t: float
    lat: float
    lon: float
    inside_reports: int = 1
    confirmed: bool = False
    outside_since: float | None = None
    out_lat: float = 0.0
    out_lon: float = 0.0
    alert: Alert | None = None


class ZoneDetector(Detector[ZoneSettings]):
    """Entries into and exits from zones whose rule the vessel breaks (module docstring)."""

    name: ClassVar[str] = "zone"
    settings_type = ZoneSettings
    presets: ClassVar[dict[Preset, ZoneSettings]] = PRESETS  # type: ignore[misc]

    def __init__(self, settings: ZoneSettings, context: DetectorContext | None = None) -> None:
        super().__init__(settings, context)
        self._visits: dict[int, dict[str, _Visit]] = {}
        self._seen: dict[int, float] = {}  # mmsi -> its last report's time
        self._exits = Deadlines(self)  # (outside since + exit_after_s, (mmsi, zone id)), lazy

    def step(self, report: PositionReport, t: float) -> list[Alert]:
        lookup = self.context.zones_at
        if lookup is None:
            return NO_ALERTS
        mmsi = report.mmsi
        first_report = mmsi not in self._seen
        self._seen[mmsi] = t
        found = lookup(report.lat, report.lon)
        visits = self._visits.get(mmsi)
        if not found and not visits:
            return NO_ALERTS
        inside = {z.id: z for z in found}
        if visits is None:
            visits = self._visits[mmsi] = {}
        out: list[Alert] = []
        for zid, zone in inside.items():
            v = visits.get(zid)
            if v is None:
                v = visits[zid] = _Visit(zone, t, t, report.lat, report.lon)
            else:
                v.inside_reports += 1
                v.last_inside_t = t
                v.outside_since = None
            if not v.confirmed and (first_report
                                    or v.inside_reports >= self.settings.min_inside_reports):
                v.confirmed = True
            if v.confirmed and v.alert is None and self._breaks_rule(zone, report):
                v.alert = self._entry(mmsi, v, report)
                out.append(v.alert)
        for zid in [z for z in visits if z not in inside]:
            v = visits[zid]
            if v.outside_since is None:
                v.outside_since = t
                v.out_lat, v.out_lon = report.lat, report.lon
                self._exits.push(t + self.settings.exit_after_s, (mmsi, zid))
            if not v.confirmed:
                del visits[zid]  # one point across the line: no visit
            elif t - v.outside_since >= self.settings.exit_after_s:
                del visits[zid]
                out += self._exit(mmsi, v)
        if not visits:
            del self._visits[mmsi]
        return out

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if isinstance(self._seen, set):  # a snapshot from before _seen kept times
            self._seen = dict.fromkeys(self._seen, float("-inf"))

    def evict(self, before_epoch_s: float) -> int:
        """Vessels last heard before ``before_epoch_s`` are forgotten, with their visits,
        unless a visit has an alert still open (heard again, a vessel is "first heard" again:
        already inside a zone, its visit is confirmed at once)."""
        gone = [m for m, t in self._seen.items() if t < before_epoch_s
                and not any(v.alert is not None for v in self._visits.get(m, {}).values())]
        for m in gone:
            del self._seen[m]
            self._visits.pop(m, None)
        return len(gone)

    def advance(self, watermark: float) -> list[Alert]:
        """A vessel that left and fell silent outside still exits once the time has passed."""
        out: list[Alert] = []
        for _, (mmsi, zid) in self._exits.pop_before(watermark):
            visits = self._visits.get(mmsi)
            v = None if visits is None else visits.get(zid)
            if v is None or v.outside_since is None:
                continue  # exited already, or back inside
            due = v.outside_since + self.settings.exit_after_s
            if due >= watermark:
                self._exits.push(due, (mmsi, zid))
                continue
            assert visits is not None
            del visits[zid]
            if not visits:
                del self._visits[mmsi]
            out += self._exit(mmsi, v)
        return out

    def _breaks_rule(self, zone: ZoneView, report: PositionReport) -> bool:
        info = self.context.vessel_info(report.mmsi)
        return bool(zone.rule.matches(info.ship_type, info.flag, report.sog_kn,
                                      zone.sovereign))

    def _who(self, zone: ZoneView) -> str:
        return str(zone.rule.describe(zone.kind, zone.sovereign))

    def _where(self, zone: ZoneView) -> str:
        kind = zone.kind.replace("_", " ")
        return f"the {kind} '{zone.name}'" + (f" of {zone.sovereign}" if zone.sovereign else "")

    def _entry(self, mmsi: int, v: _Visit, report: PositionReport) -> Alert:
        info = self.context.vessel_info(mmsi)
        zone = v.zone
        start = utc(v.first_t)
        return Alert(
            alert_id=alert_id(ENTRY, mmsi, None, start, zone.id),
            kind=ENTRY,
            status="open",
            severity=zone.rule.severity,
            mmsi=mmsi,
            start=start,
            end=None,
            lat=v.lat,
            lon=v.lon,
            zone_id=zone.id,
            zone_name=zone.name,
            summary=(f"{describe(mmsi, info)}: {self._who(zone)} inside {self._where(zone)} "
                     f"since {start.strftime('%Y-%m-%d %H:%M')} UTC, at "
                     f"{latlon(report.lat, report.lon)}."),
            evidence={
                "rule": self._who(zone),
                "zone_kind": zone.kind,
                "sovereign": zone.sovereign,
                "entry_lat": v.lat,
                "entry_lon": v.lon,
                "dwell_h": round((report.epoch_s - v.first_t) / 3600.0, 3),
                "sog_kn": report.sog_kn,
            },
            vessel=info.to_dict(),
        )

    def _exit(self, mmsi: int, v: _Visit) -> list[Alert]:
        if v.alert is None:
            return []
        zone = v.zone
        assert v.outside_since is not None
        dwell_h = (v.last_inside_t - v.first_t) / 3600.0
        entry = v.alert
        evidence = dict(entry.evidence)
        evidence["dwell_h"] = round(dwell_h, 3)
        closed = Alert(entry.alert_id, ENTRY, "closed", entry.severity, mmsi, entry.start,
                       utc(v.last_inside_t), entry.lat, entry.lon,
                       entry.summary.replace(" since ", " from ", 1).rstrip(".")
                       + f"; left after {dwell_h:.1f} h.",
                       evidence, entry.vessel, zone_id=zone.id, zone_name=zone.name)
        at = utc(v.outside_since)
        info = self.context.vessel_info(mmsi)
        exit_alert = Alert(
            alert_id=alert_id(EXIT, mmsi, None, at, zone.id),
            kind=EXIT,
            status="closed",
            severity="info" if zone.rule.severity == "info" else "low",
            mmsi=mmsi,
            start=at,
            end=at,
            lat=v.out_lat,
            lon=v.out_lon,
            zone_id=zone.id,
            zone_name=zone.name,
            summary=(f"{describe(mmsi, info)} left {self._where(zone)} at "
                     f"{at.strftime('%Y-%m-%d %H:%M')} UTC after {dwell_h:.1f} h inside."),
            evidence={"rule": self._who(zone), "dwell_h": round(dwell_h, 3),
                      "entry_alert_id": entry.alert_id},
            vessel=info.to_dict(),
        )
        return [closed, exit_alert]
