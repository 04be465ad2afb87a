"""Dark targets: a vessel a sensor sees (radar, satellite SAR) that no AIS vessel explains
(issue 12). Correlation of non-AIS contacts with AIS, in event time.

Rule (Skylight's correlation of satellite detections with AIS): a contact is *matched* when an
AIS vessel's report, dead-reckoned (its speed and course, straight) to the contact's time, lies
within ``match_distance_m`` (1,500 m) of it, and the report is within ``match_window_s`` of the
contact (either side: AIS heard after the contact counts too). The best match is the closest
in time and space (distance / match distance + time offset / window). The window, 10 min by
default, covers the slowest regular AIS reporting of a vessel under way (class B, 3 min) with
two missed reports to spare, and keeps the dead-reckoning short (at 20 kn a vessel moves
6 km in 10 min; a course change in that time is the main error).

* The decision waits until the watermark passes the contact's time + ``match_window_s``, so
  AIS that comes within the window, and AIS delivered late within the allowed lateness, is
  seen first. An unmatched contact raises a ``dark_target`` alert (``mmsi`` 0, as
  ``feed_outage``: the alert is about a contact, not an MMSI), with the contact and the nearest
  AIS vessels (MMSI, distance at the contact's time, time offset) in its evidence.
* **One alert per radar track.** Contacts with the same target number from the same radar
  (``SensorContact.track_key``) are one track: the alert opens at the first unmatched sweep,
  is updated (``open``, at most every ``update_s``) while the track stays dark, and closes when
  the track is lost (status ``L``, or no sweep for ``track_lost_s``), or when the track has
  matched one AIS vessel for a whole window (identified: the vessel is transmitting). A SAR
  detection is its own contact: its alert opens and closes at once (start = end).
* **Re-check with late AIS.** AIS older than the watermark (rejected by the runner as too late
  for the ordered steps, :meth:`late`) is still compared with the dark sweeps of the last
  ``recheck_s`` (6 h: satellite AIS delivered hours late, a receiver's backlog; Skylight
  re-checks for days, this detector bounds its memory). When it explains every kept dark sweep
  of an alert, the alert is ``retracted``. Up to ``max_kept`` dark sweeps are kept per track
  (thinned evenly beyond that).

A radar reference target (a fixed object, ``SensorContact.reference``) is counted
(``counters["reference_target"]``), never alerted; matched contacts are counted too
(``counters["matched"]``: the run summary's ``not_alerted``).

Pure: positions come through :meth:`step`, contacts through :meth:`contact`, time through
:meth:`advance`; no files, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
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
from detectors.common import latlon, utc
from mda.geo import EARTH_RADIUS_M, dead_reckon, haversine_m
from mda.records import (
    SENSOR_SAR,
    Alert,
    AlertKind,
    PositionReport,
    SensorContact,
    alert_id,
    iso_utc,
)

KIND: AlertKind = "dark_target"
_M_PER_DEG = math.pi * EARTH_RADIUS_M / 180.0
_MAX_SPEED_MPS = 30.0 * 1852.0 / 3600.0  # a vessel this fast still dead-reckons into range
_NEAREST = 3  # AIS candidates named in the evidence

TrackKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class DarkTargetSettings(DetectorSettings):
    match_distance_m: float = 1500.0
    match_window_s: float = 600.0
    recheck_s: float = 6 * 3600.0
    track_lost_s: float = 300.0
    update_s: float = 600.0
    max_kept: int = 256


PRESETS: dict[Preset, DarkTargetSettings] = {
    "watch": DarkTargetSettings(),
    "skylight": DarkTargetSettings(),
    "gfw": DarkTargetSettings(),
}


@dataclass(slots=True)
class _Pending:
    """A contact waiting for its decision: the AIS vessels compared with it so far."""

    c: SensorContact
    t: float
    cell: tuple[int, int]
    near: dict[int, tuple[float, float]] = field(default_factory=dict)  # mmsi -> (m, dt s)
    best: tuple[float, int] | None = None  # (score, mmsi) of the best match


@dataclass(slots=True)
class _Track:
    key: TrackKey
    sweeps: int = 0
    dark: int = 0
    last_t: float = float("-inf")
    lat: float = 0.0
    lon: float = 0.0
    alert: Alert | None = None
    updated_t: float = float("-inf")
    kept: list[tuple[float, float, float]] = field(default_factory=list)  # dark (t, lat, lon)
    ident: int | None = None  # the MMSI its recent sweeps matched
    ident_since: float = 0.0
    lost: bool = False
    near: dict[int, tuple[float, float]] = field(default_factory=dict)


class DarkTargetDetector(Detector[DarkTargetSettings]):
    """``dark_target`` alerts for sensor contacts no AIS vessel explains (module docstring)."""

    name: ClassVar[str] = "dark_target"
    settings_type = DarkTargetSettings
    presets: ClassVar[dict[Preset, DarkTargetSettings]] = PRESETS  # type: ignore[misc]

    def __init__(self, settings: DarkTargetSettings,
                 context: DetectorContext | None = None) -> None:
        super().__init__(settings, context)
        reach = settings.match_distance_m + settings.match_window_s * _MAX_SPEED_MPS
        self._cell_deg = max(reach, 1000.0) / _M_PER_DEG
        # mmsi -> (t, lat, lon, sog, cog) of its newest report
        self._vessels: dict[int, tuple[float, float, float, float | None, float | None]] = {}
        self._cells: dict[int, tuple[int, int]] = {}
        self._grid: dict[tuple[int, int], set[int]] | None = None  # built at the first contact
        self._pending: dict[int, _Pending] = {}
        self._pending_at: dict[tuple[int, int], set[int]] = {}
        self._around_of: dict[tuple[int, int], list[tuple[int, int]]] = {}
        self._tracks: dict[TrackKey, _Track] = {}
        self._done: dict[str, _Track] = {}  # closed alerts still re-checked, by alert id
        self._seq = 0
        self._now = float("-inf")  # the newest watermark seen
        self._due = Deadlines(self)
        # A track is lost when no sweep came for track_lost_s; known once every sweep up to
        # then is decided (a window later).
        self._lost_after = settings.track_lost_s + settings.match_window_s

    # -- grid ------------------------------------------------------------------------------
    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        c = self._cell_deg
        return (math.floor(lat / c), math.floor((lon + 180.0) / c))

    def _around(self, lat: float, cell: tuple[int, int]) -> list[tuple[int, int]]:
        k = math.ceil(1.0 / max(math.cos(math.radians(lat)), 0.05))
        i, j = cell
        return [(i + di, j + dj) for di in (-1, 0, 1) for dj in range(-k, k + 1)]

    def _place(self, mmsi: int, cell: tuple[int, int]) -> None:
        grid = self._grid
        assert grid is not None
        old = self._cells.get(mmsi)
        if old is not None:
            members = grid.get(old)
            if members is not None:
                members.discard(mmsi)
                if not members:
                    del grid[old]
        grid.setdefault(cell, set()).add(mmsi)
        self._cells[mmsi] = cell

    # -- steps -----------------------------------------------------------------------------
    def step(self, report: PositionReport, t: float) -> list[Alert]:
        mmsi, lat, lon = report.mmsi, report.lat, report.lon
        v = (t, lat, lon, report.sog_kn, report.cog_deg)
        self._vessels[mmsi] = v
        if self._grid is not None:
            c = self._cell_deg
            cell = (math.floor(lat / c), math.floor((lon + 180.0) / c))  # self._cell, inline
            if self._cells.get(mmsi) != cell:
                self._place(mmsi, cell)
            if self._pending:
                self._check_pending(mmsi, v)
        return NO_ALERTS

    def evict(self, before_epoch_s: float) -> int:
        """AIS vessels last heard before ``before_epoch_s`` are forgotten (no contact can be
        matched to a report that old: the match window is minutes)."""
        gone = [m for m, v in self._vessels.items() if v[0] < before_epoch_s]
        grid = self._grid
        for m in gone:
            del self._vessels[m]
            cell = self._cells.pop(m, None)
            if grid is not None and cell is not None:
                members = grid.get(cell)
                if members is not None:
                    members.discard(m)
                    if not members:
                        del grid[cell]
        return len(gone)

    def contact(self, contact: SensorContact, t: float) -> list[Alert]:
        if contact.reference:
            self.counters["reference_target"] += 1  # a fixed object, not a vessel
            return NO_ALERTS
        if self._grid is None:
            self._grid = {}
            for mmsi, v in self._vessels.items():
                self._place(mmsi, self._cell(v[1], v[2]))
        cell = self._cell(contact.lat, contact.lon)
        p = _Pending(contact, t, cell)
        window = self.settings.match_window_s
        for nc in self._around(contact.lat, cell):
            for mmsi in self._grid.get(nc, ()):
                v = self._vessels[mmsi]
                if t - v[0] <= window:
                    self._compare(p, mmsi, v)
        self._seq += 1
        self._pending[self._seq] = p
        self._pending_at.setdefault(cell, set()).add(self._seq)
        self._due.push(t + window, ("decide", self._seq))
        return NO_ALERTS

    def late(self, report: PositionReport, t: float) -> list[Alert]:
        """Late AIS: compared with the undecided contacts and the kept dark sweeps of the last
        ``recheck_s``."""
        v = (t, report.lat, report.lon, report.sog_kn, report.cog_deg)
        self._scan(report.mmsi, v, self._pending.values())
        out: list[Alert] = []
        horizon = self._now - self.settings.recheck_s
        for tr in [*self._tracks.values(), *self._done.values()]:
            if tr.alert is None or tr.alert.status == "retracted" or not tr.kept:
                continue
            left = [k for k in tr.kept if k[0] < horizon or not self._explains(v, k)]
            if len(left) == len(tr.kept):
                continue
            tr.kept = left
            if not left:
                out.append(self._retract(tr, report.mmsi, t))
        return out or NO_ALERTS

    def advance(self, watermark: float) -> list[Alert]:
        self._now = max(self._now, watermark)
        out: list[Alert] = []
        for due, (what, key) in self._due.pop_before(watermark):
            if what == "decide":
                p = self._pending.pop(key, None)
                if p is not None:
                    self._pending_at[p.cell].discard(key)
                    if not self._pending_at[p.cell]:
                        del self._pending_at[p.cell]
                    out += self._decide(p, watermark)
            elif what == "lost":
                tr = self._tracks.get(key)
                if tr is not None and tr.last_t + self._lost_after <= due:
                    out += self._close(tr, tr.last_t, "lost")
            elif what == "forget":
                tr = self._done.get(key)
                if tr is not None and (not tr.kept or tr.kept[-1][0]
                                       + self.settings.recheck_s <= due):
                    del self._done[key]
        return out or NO_ALERTS

    # -- matching --------------------------------------------------------------------------
    def _check_pending(self, mmsi: int, v: tuple[float, float, float, float | None,
                                                 float | None]) -> None:
        """A report against the undecided contacts near it; a cheap flat-Earth bound first
        (the vessel cannot have reached the match distance in the time between)."""
        cell = self._cells[mmsi]
        around = self._around_of.get(cell)
        if around is None:
            around = self._around_of[cell] = self._around(v[1], cell)
        pending = self._pending
        for nc in around:
            keys = self._pending_at.get(nc)
            if keys:
                self._scan(mmsi, v, [pending[k] for k in keys])

    def _scan(self, mmsi: int, v: tuple[float, float, float, float | None, float | None],
              contacts: Iterable[_Pending]) -> None:
        """Compare report ``v`` with ``contacts`` that pass a flat-Earth bound (the vessel, at
        its speed, could be within the match distance at the contact's time)."""
        t, lat, lon = v[0], v[1], v[2]
        speed = (v[3] or 0.0) * 0.514444
        base = self.settings.match_distance_m * 1.01 + 10.0
        kx = _M_PER_DEG * math.cos(math.radians(lat))
        for p in contacts:
            reach = base + abs(t - p.t) * speed
            dy = (lat - p.c.lat) * _M_PER_DEG
            dx = (lon - p.c.lon) * kx
            if dx * dx + dy * dy <= reach * reach:
                self._compare(p, mmsi, v)

    def _compare(self, p: _Pending, mmsi: int,
                 v: tuple[float, float, float, float | None, float | None]) -> None:
        s = self.settings
        dt = v[0] - p.t
        if abs(dt) > s.match_window_s:
            return
        lat, lon = dead_reckon(v[1], v[2], v[3], v[4], -dt)
        d = haversine_m(lat, lon, p.c.lat, p.c.lon)
        old = p.near.get(mmsi)
        if old is None or d < old[0]:
            p.near[mmsi] = (d, dt)
        if d <= s.match_distance_m:
            score = d / s.match_distance_m + abs(dt) / s.match_window_s
            if p.best is None or score < p.best[0]:
                p.best = (score, mmsi)

    def _explains(self, v: tuple[float, float, float, float | None, float | None],
                  sweep: tuple[float, float, float]) -> bool:
        dt = v[0] - sweep[0]
        if abs(dt) > self.settings.match_window_s:
            return False
        lat, lon = dead_reckon(v[1], v[2], v[3], v[4], -dt)
        return haversine_m(lat, lon, sweep[1], sweep[2]) <= self.settings.match_distance_m

    # -- decisions -------------------------------------------------------------------------
    def _decide(self, p: _Pending, now: float) -> list[Alert]:
        c, s = p.c, self.settings
        key = c.track_key
        tr = self._tracks.get(key)
        if tr is None or tr.lost:
            tr = self._tracks[key] = _Track(key)
        tr.sweeps += 1
        tr.last_t, tr.lat, tr.lon = p.t, c.lat, c.lon
        out: list[Alert] = []
        if p.best is not None:
            self.counters["matched"] += 1
            mmsi = p.best[1]
            if tr.ident != mmsi:
                tr.ident, tr.ident_since = mmsi, p.t
            if tr.alert is not None and p.t - tr.ident_since >= s.match_window_s:
                out += self._close(tr, p.t, "identified")
        else:
            tr.dark += 1
            tr.ident = None
            tr.near = p.near
            tr.kept.append((p.t, c.lat, c.lon))
            if len(tr.kept) > s.max_kept:  # thin evenly, the newest kept
                tr.kept = tr.kept[-1::-2][::-1]
            if tr.alert is None or tr.alert.status == "retracted":
                tr.alert = self._state(tr, c, "open", p.t, None, now)
                tr.updated_t = p.t
                out.append(tr.alert)
            elif p.t - tr.updated_t >= s.update_s:
                tr.alert = self._state(tr, c, "open", tr.alert.start.timestamp(), None, now)
                tr.updated_t = p.t
                out.append(tr.alert)
        if c.sensor == SENSOR_SAR or c.status == "lost":
            out += self._close(tr, p.t, "single detection" if c.sensor == SENSOR_SAR
                               else "lost")
        elif not tr.lost:
            self._due.push(p.t + self._lost_after, ("lost", key))
        return out

    def _close(self, tr: _Track, t: float, why: str) -> list[Alert]:
        """The track ends (lost, a single SAR detection) or is identified by AIS (it goes on);
        its open alert closes and is re-checked with late AIS until ``recheck_s`` after its
        last dark sweep."""
        if why != "identified" and self._tracks.get(tr.key) is tr:
            tr.lost = True
            del self._tracks[tr.key]
        a = tr.alert
        if a is None or a.status != "open":
            return NO_ALERTS
        extra: dict[str, object] = {"ended": why}
        if why == "identified":
            extra["identified_mmsi"] = tr.ident
        closed = self._state(tr, None, "closed", a.start.timestamp(), t, None, extra)
        done = tr
        if why == "identified":
            done = _Track(tr.key, tr.sweeps, tr.dark, tr.last_t, tr.lat, tr.lon, closed,
                          kept=tr.kept)
            tr.alert, tr.kept, tr.dark = None, [], 0
        else:
            tr.alert = closed
        if done.kept:
            self._done[closed.alert_id] = done
            self._due.push(done.kept[-1][0] + self.settings.recheck_s,
                           ("forget", closed.alert_id))
        return [closed]

    def _retract(self, tr: _Track, mmsi: int, t: float) -> Alert:
        a = tr.alert
        assert a is not None
        ev = dict(a.evidence)
        ev["retracted_by_mmsi"] = mmsi
        ev["retracted_by_ts"] = iso_utc(utc(t))
        tr.alert = Alert(a.alert_id, KIND, "retracted", a.severity, 0, a.start, a.end, a.lat,
                         a.lon, f"Retracted: late AIS of MMSI {mmsi} explains the contact. "
                         + a.summary, ev, dict(a.vessel))
        self._done.pop(a.alert_id, None)
        return tr.alert

    # -- alerts ----------------------------------------------------------------------------
    def _state(self, tr: _Track, c: SensorContact | None, status: str, start: float,
               end: float | None, now: float | None,
               extra: dict[str, object] | None = None) -> Alert:
        s = self.settings
        sensor, source, ident = tr.key
        old = tr.alert
        ev: dict[str, object] = (dict(old.evidence) if old is not None
                                 and old.status == "open" else {})
        if c is not None:
            near = sorted(tr.near.items(), key=lambda kv: kv[1][0])[:_NEAREST]
            ev.update({
                "sensor": sensor, "source": source, "contact_id": ident,
                "contact_lat": round(c.lat, 6), "contact_lon": round(c.lon, 6),
                "contact_ts": iso_utc(c.ts),
                "sog_kn": None if c.sog_kn is None else round(c.sog_kn, 1),
                "cog_deg": None if c.cog_deg is None else round(c.cog_deg, 1),
                "length_m": c.length_m, "name": c.name,
                "match_distance_m": s.match_distance_m, "match_window_s": s.match_window_s,
                "nearest_ais": [{"mmsi": m, "distance_m": round(d, 1), "dt_s": round(dt, 1)}
                                for m, (d, dt) in near],
            })
            ev.setdefault("detected_at", iso_utc(utc(now if now is not None else start)))
        ev["sweeps"] = tr.sweeps
        ev["dark_sweeps"] = tr.dark
        ev["duration_s"] = round(((end if end is not None else tr.last_t) - start), 1)
        if extra:
            ev.update(extra)
        what = ("SAR detection" if sensor == SENSOR_SAR
                else f"Radar {source} target {ident}")
        near_txt = ""
        nearest = ev.get("nearest_ais")
        if isinstance(nearest, list) and nearest:
            n0 = nearest[0]
            near_txt = f" (nearest AIS: MMSI {n0['mmsi']} at {n0['distance_m'] / 1000:.1f} km)"
        where = latlon(tr.lat, tr.lon)
        if status == "closed":
            summary = (f"{what} was dark from {iso_utc(utc(start))} for "
                       f"{ev['duration_s']} s ({ev['dark_sweeps']} of {ev['sweeps']} contacts "
                       f"unmatched), last at {where}{near_txt}.")
            if sensor == SENSOR_SAR:
                summary = (f"{what} {ident} at {where} at {iso_utc(utc(start))}: no AIS vessel "
                           f"within {s.match_distance_m:.0f} m and "
                           f"{s.match_window_s / 60:.0f} min{near_txt}.")
        else:
            summary = (f"{what} at {where}: no AIS vessel within {s.match_distance_m:.0f} m "
                       f"and {s.match_window_s / 60:.0f} min{near_txt}; a vessel seen but "
                       "not transmitting.")
        start_dt = utc(start)
        lat, lon = (tr.lat, tr.lon) if c is None else (c.lat, c.lon)
        return Alert(
            alert_id=alert_id(KIND, 0, None, start_dt, f"{sensor}:{source}:{ident}"),
            kind=KIND, status=status,  # type: ignore[arg-type]
            severity="medium", mmsi=0, start=start_dt,
            end=None if end is None else utc(end), lat=lat, lon=lon, summary=summary,
            evidence=ev,
        )
