"""AIS gap / dark vessel detector.

A vessel that was under way and then stays silent longer than a threshold "went dark". The
rule follows Global Fishing Watch's AIS-disabling events (gap >= 12 h, > 50 nm from shore;
Welch et al. 2022, "Hot spots of unseen fishing vessels", Science Advances) and Skylight's
"potential dark activity" (6 h without AIS). The ``watch`` preset uses 2 h, a threshold a
watch floor can act on.

Event time only: the alert opens when the stream's watermark passes last report + threshold
(strictly: silence of exactly the threshold is not yet a gap), while the vessel is still
silent, and closes when the vessel reports again, with the evidence of the gap.

Silence that is not a vessel hiding (issue 9, measured on the real regional captures) is
counted in ``counters`` instead of alerting:

* ``stopped``: the last reports show the vessel stationary (reported speed under
  ``stopped_sog_kn``, or no displacement beyond ``stopped_radius_m`` for
  ``stopped_min_s``), whatever its navigational status says: a ferry berthed overnight
  (unless it is more than ``stopped_far_nm`` from shore: drifting far out and falling silent
  stays a gap);
* ``feed_outage``: the source it was last heard through (its receiving station, or the feed)
  went silent or its rate collapsed (detectors/feed.py) before the vessel had been silent for
  the threshold: the station is down, not the vessel (issue 10: vessels heard only through a
  silent source do not become dark vessels while it is down);
* ``outage``: at least two other vessels near the last position (its cell and the eight
  around it, ``cell_deg`` wide) fell silent within 15 minutes of it and nobody there has been
  heard since: the receiver or the feed is down, not the vessel (GFW asks for good reception
  in the area);
* ``port``: the last position is within ``port_km`` of a known port or anchorage (the port
  list, or one learned from vessels stopping there);
* ``inland``: the last position is more than ``inland_km`` inside the coastline by the land
  mask: a towboat on the Ohio, a laker, a canal barge (inland water the mask counts as land;
  reception along rivers is patchy, and a dark-vessel alert is about the sea);
* ``berth``: the last position is within about a kilometre of a place where a vessel fell
  silent before and came back within a kilometre (a berth learned from the traffic);
* ``edge``: the vessel, moved on by its course and speed (reported, else derived from its
  last two fixes) to the time of detection, is where fewer than ``edge_min_vessels`` vessels
  (itself included) have ever been received (that cell and the eight around it), while at
  least two other vessels are known around its last position (so the coverage there is
  known): it sailed out of the receiver's coverage.
* ``thin``: the vessel was barely received before it fell silent (fewer than
  ``thin_min_reports`` reports in the ``thin_window_s`` before its last one): a passer-by at the
  fringe of a receiver's range, or a Class B set fading out, not a transponder switched off.
* ``fading``: its reception broke up just before the silence (a hole among its last three
  reports of ``fading_gap_s`` or more and ``fading_factor`` times its usual interval): a
  signal fading out with range, not a transponder switched off mid-stream (which goes from
  its usual rate to nothing);
* ``fringe``: at least ``fringe_min_vessels`` other vessels' tracks began or ended near the
  last position (``fringe_cell_deg`` cells, that cell and the eight around it: first heard
  after the first ``warmup_s`` of the feed, fell silent for longer than the threshold, or came
  back after such a silence): tracks habitually start and end there, at the edge of a
  receiver's range, behind a headland, or in a harbour; a silence there is expected.

``edge``, ``thin``, ``fringe`` and ``outage`` need coverage evidence: at least two other
vessels known around the last position. A vessel alone in the feed is judged by its own
silence (and ``fading``, its own reception) only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from detectors.base import (
    Deadlines,
    Detector,
    DetectorContext,
    DetectorSettings,
    Preset,
)
from detectors.common import latlon
from detectors.feed import FeedDetector, FeedSettings, ReportedFeeds, SourceWatch
from mda.geo import distance_bound_m, haversine_m, implied_speed_kn
from mda.records import (
    NAV_AT_ANCHOR,
    NAV_MOORED,
    Alert,
    AlertKind,
    PositionReport,
    Severity,
    alert_id,
    iso_utc,
)
from mda.vessels import VESSEL, describe

KIND: AlertKind = "gap"


@dataclass(frozen=True, slots=True)
class GapSettings(DetectorSettings):
    threshold_h: float = 2.0
    # Only when a shore distance is known: gaps closer to shore than this do not alert (GFW).
    min_shore_distance_nm: float = 0.0
    # Navigational statuses that mean "not under way": silence there is expected.
    quiet_nav_status: tuple[int, ...] = (NAV_AT_ANCHOR, NAV_MOORED)
    # A vessel stationary in its last reports is not dark when it falls silent.
    stopped_sog_kn: float = 0.5
    stopped_radius_m: float = 200.0
    stopped_min_s: float = 600.0
    # ... except far out at sea (shore distance known and beyond this): a vessel drifting
    # there and falling silent is the classic dark rendezvous, not a berth.
    stopped_far_nm: float = 12.0
    # Learn berths (silent and back in the same place) from the traffic.
    learn_berths: bool = True
    # A known port or anchorage (listed or learned) this near the last position: expected.
    port_km: float = 5.0
    # Deeper than this inside the coastline (a river, lake or canal): not a gap at sea.
    inland_km: float = 2.0
    # Reception: a gap needs other vessels heard near the last position during the silence
    # (else: outage), and the dead-reckoned position inside observed coverage (else: edge).
    check_coverage: bool = True
    cell_deg: float = 0.25
    # Coverage at the dead-reckoned position: this many vessels (itself included) ever heard.
    edge_min_vessels: int = 1
    # Reception before the silence: at least this many reports in this window.
    thin_min_reports: int = 3
    thin_window_s: float = 1800.0
    # ... or its reception already broke up: a hole this long among its last three reports.
    fading_gap_s: float = 480.0
    fading_factor: float = 4.0  # ... and this many times its usual interval
    # Where tracks habitually begin and end (learned): silence there is expected.
    fringe_min_vessels: int = 2
    fringe_cell_deg: float = 0.2
    warmup_s: float = 1800.0
    # The vessel's source (receiving station or feed) went down before it had been silent for
    # the threshold: judged with the feed detector's settings (detectors/feed.py).
    feed_aware: bool = True


PRESETS: dict[Preset, GapSettings] = {
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
    judged: bool = False  # this silence was already found not to be a dark vessel
    # Where the vessel has stayed (within the stopped radius) since anchor_t.
    anchor_lat: float = 0.0
    anchor_lon: float = 0.0
    anchor_t: float = 0.0
    # The fix before the last one, for a derived speed and course.
    prev_lat: float = 0.0
    prev_lon: float = 0.0
    prev_t: float = float("-inf")
    # Times of the two reports before the last one (any spacing): reception before silence.
    t1: float = float("-inf")
    t2: float = float("-inf")
    # Its usual interval between reports (moving average), now and as of two reports ago.
    ew: float = 0.0
    ew_mid: float = 0.0
    ew_old: float = 0.0


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


class GapDetector(Detector[GapSettings]):
    """Opens a ``gap`` alert when a vessel under way falls silent (see the module docstring)."""

    name: ClassVar[str] = KIND
    settings_type = GapSettings
    presets: ClassVar[dict[Preset, GapSettings]] = PRESETS  # type: ignore[misc]

    def __init__(self, settings: GapSettings, context: DetectorContext | None = None) -> None:
        super().__init__(settings, context)
        self._threshold_s = settings.threshold_h * 3600.0
        self._vessels: dict[int, _Vessel] = {}
        self._deadlines = Deadlines(self)  # (last_t + threshold, mmsi), lazy
        # Reception by cell: the vessels last heard in it, and when.
        self._heard: dict[tuple[int, int], dict[int, float]] = {}
        # Cells where anything was received: a few of the vessels heard there, and when the
        # cell was last heard (a live run forgets cells not heard for the eviction time, so
        # the map is the recent picture and does not grow with all the area ever covered).
        self._coverage: dict[tuple[int, int], set[int]] = {}
        self._coverage_t: dict[tuple[int, int], float] = {}
        # Berths learned from the traffic: ~1 km cells where a vessel fell silent and came
        # back in the same place (a ferry's overnight berth, a marina, a supply base).
        self._berths: set[tuple[int, int]] = set()
        # Fringe cells: the vessels whose tracks began or ended there (a few per cell), and
        # when one last did (forgotten with the vessels in a live run, as the coverage).
        self._fringe: dict[tuple[int, int], set[int]] = {}
        self._fringe_t: dict[tuple[int, int], float] = {}
        self._t_start: float | None = None
        # Per source (receiving station, feed): when it was last heard and its usual rate.
        # The feed detector's, when it runs (it hears every report, after this detector has
        # judged by it); else this detector's own, which it feeds itself.
        self._feed: SourceWatch | ReportedFeeds = SourceWatch(FeedSettings())
        self._hears = True

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for name in ("_coverage_t", "_fringe_t"):  # checkpoints written before they existed
            self.__dict__.setdefault(name, {})

    def input_complete_until(self, t: float) -> None:
        self._feed.complete_until = max(self._feed.complete_until, t)

    def follow_feeds(self, down: dict[str, tuple[str, float]]) -> None:
        """A streaming worker: the ingest's feed detector judged these sources down (its
        whole feed, not this partition's share); from now on its word is taken."""
        if not isinstance(self._feed, ReportedFeeds):
            reported = ReportedFeeds()
            reported.complete_until = self._feed.complete_until
            self._feed, self._hears = reported, False
        self._feed.states = dict(down)

    def configure(self, settings: dict[str, DetectorSettings],
                  running: dict[str, Detector[Any]]) -> None:
        peer = running.get("feed")
        if isinstance(peer, FeedDetector):
            self._feed, self._hears = peer.watch, False
            return
        feed = settings.get("feed")
        if isinstance(feed, FeedSettings):
            self._feed, self._hears = SourceWatch(feed), True

    # -- rules -----------------------------------------------------------------------------
    def _eligible(self, last: PositionReport) -> bool:
        if last.nav_status is not None and last.nav_status in self.settings.quiet_nav_status:
            return False
        if self.context.transmitter_of(last.mmsi) != VESSEL:
            return False  # an aid to navigation or a base station is not a dark vessel
        if self.settings.min_shore_distance_nm > 0 and self.context.shore_distance_nm:
            d = self.context.shore_distance_nm(last.lat, last.lon)
            if d is not None and d <= self.settings.min_shore_distance_nm:
                return False
        return True

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        c = self.settings.cell_deg
        return (math.floor(lat / c), math.floor(lon / c))

    def _stopped(self, v: _Vessel) -> bool:
        last = v.last
        s = self.settings
        sog = last.sog_kn if last.sog_kn is not None else self._speed_course(v)[0]
        if not ((sog is not None and sog < s.stopped_sog_kn)
                or v.last_t - v.anchor_t >= s.stopped_min_s):
            return False
        shore = self.context.shore_distance_nm
        d = None if shore is None else shore(last.lat, last.lon)
        return d is None or d <= s.stopped_far_nm

    def _speed_course(self, v: _Vessel) -> tuple[float | None, float | None]:
        """Reported speed and course of the last report, else derived from the last two."""
        last = v.last
        if last.sog_kn is not None and last.cog_deg is not None:
            return last.sog_kn, last.cog_deg
        dt = v.last_t - v.prev_t
        if not 0 < dt <= 3600:
            return last.sog_kn, last.cog_deg
        d = haversine_m(v.prev_lat, v.prev_lon, last.lat, last.lon)
        dy = last.lat - v.prev_lat
        dx = (last.lon - v.prev_lon) * math.cos(math.radians(last.lat))
        cog = math.degrees(math.atan2(dx, dy)) % 360.0
        return d / dt * 3600 / 1852.0, cog

    @staticmethod
    def _berth_cell(lat: float, lon: float) -> tuple[int, int]:
        return (math.floor(lat * 100.0), math.floor(lon * 100.0))

    def _at_berth(self, lat: float, lon: float) -> bool:
        i, j = self._berth_cell(lat, lon)
        return any((i + a, j + b) in self._berths for a in (-1, 0, 1) for b in (-1, 0, 1))

    def _why_quiet(self, v: _Vessel, now: float) -> str | None:
        """Why this silence is not a dark vessel (a ``counters`` key), or None."""
        if self._stopped(v):
            return "stopped"
        if self.settings.learn_berths and self._at_berth(v.last.lat, v.last.lon):
            return "berth"
        on_land = self.context.on_land
        if self.settings.inland_km > 0 and on_land is not None and on_land(
                v.last.lat, v.last.lon, self.settings.inland_km):
            return "inland"
        port = self.context.port_distance_km
        if port is not None and self.settings.port_km > 0:
            km = port(v.last.lat, v.last.lon)
            if km is not None and km <= self.settings.port_km:
                return "port"
        last = v.last
        if self.settings.feed_aware:
            down = self._feed.down(last.source, now)
            if down is not None and down[1] - v.last_t < self._threshold_s:
                return "feed_outage"  # its source went down before it had been silent long
        if not self.settings.check_coverage:
            return None
        ci, cj = self._cell(last.lat, last.lon)
        since = False
        together = 0
        around = 0  # other vessels known in the area: the receiver's coverage is known there
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for mmsi, t in self._heard.get((ci + di, cj + dj), {}).items():
                    if mmsi == last.mmsi:
                        continue
                    around += 1
                    if t > v.last_t + 60.0:
                        since = True
                    elif abs(t - v.last_t) <= 900.0:
                        together += 1
        if together >= 2 and not since:
            return "outage"  # vessels around it fell silent with it, and nobody is heard
        s = self.settings
        if s.fading_gap_s > 0 and v.ew_old > 0 and max(v.last_t - v.t1, v.t1 - v.t2) >= max(
                s.fading_gap_s, s.fading_factor * v.ew_old):
            return "fading"  # its own reception broke up: no need to know the area's
        if around < 2:
            return None  # coverage unknown here: the silence alone decides
        lat, lon = last.lat, last.lon
        sog, cog = self._speed_course(v)
        if sog is not None and cog is not None and sog > 0:
            dist_deg = sog * (now - v.last_t) / 3600.0 / 60.0
            rad = math.radians(cog)
            dr_lat = last.lat + dist_deg * math.cos(rad)
            coslat = max(math.cos(math.radians(last.lat)), 0.05)
            dr_lon = last.lon + dist_deg * math.sin(rad) / coslat
            if abs(dr_lat) < 90:
                lat, lon = dr_lat, dr_lon
                di, dj = self._cell(lat, lon)
                heard: set[int] = set()
                for a in (-1, 0, 1):
                    for b in (-1, 0, 1):
                        heard |= self._coverage.get((di + a, dj + b), set())
                if len(heard) < s.edge_min_vessels:  # (itself included: where it sailed)
                    return "edge"
        since_t = v.last_t - s.thin_window_s
        if 1 + (v.t1 >= since_t) + (v.t2 >= since_t) < min(s.thin_min_reports, 3):
            return "thin"
        if self._fringe_count(last.lat, last.lon, last.mmsi) >= s.fringe_min_vessels:
            return "fringe"
        return None

    def _fringe_cell(self, lat: float, lon: float) -> tuple[int, int]:
        c = self.settings.fringe_cell_deg
        return (math.floor(lat / c), math.floor(lon / c))

    def _mark_fringe(self, lat: float, lon: float, mmsi: int, t: float) -> None:
        cell = self._fringe_cell(lat, lon)
        who = self._fringe.setdefault(cell, set())
        if len(who) < 8:  # a few are enough to know it: bounded memory
            who.add(mmsi)
        self._fringe_t[cell] = t

    def _fringe_count(self, lat: float, lon: float, mmsi: int) -> int:
        """Other vessels whose tracks began or ended in the fringe cell at (lat, lon) and the
        eight around it."""
        ci, cj = self._fringe_cell(lat, lon)
        who: set[int] = set()
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                who |= self._fringe.get((ci + di, cj + dj), set())
        who.discard(mmsi)
        return len(who)

    # -- steps -----------------------------------------------------------------------------
    def step(self, report: PositionReport, t: float) -> list[Alert]:
        v = self._vessels.get(report.mmsi)
        out: list[Alert] = []
        if self.settings.check_coverage:
            self._hear(report, t, v)
        if self._t_start is None:
            self._t_start = t
        if v is None:
            v = _Vessel(t, report, anchor_lat=report.lat, anchor_lon=report.lon, anchor_t=t)
            self._vessels[report.mmsi] = v
            if t > self._t_start + self.settings.warmup_s:
                self._mark_fringe(report.lat, report.lon, report.mmsi, t)  # a track begins
        else:
            if v.open_alert is not None:
                out.append(self._close(v, report, t))
            elif (t - v.last_t > self._threshold_s and not v.judged
                  and self._eligible(v.last)):
                # The watermark never passed the deadline (the runner normally advances first).
                why = self._why_quiet(v, t)
                if why is None:
                    opened = self._open(v, t)
                    out.append(self._close(v, report, t, opened))
                else:
                    self.counters[why] += 1
            if t - v.last_t > self._threshold_s:  # a track ended and another began
                self._mark_fringe(v.last.lat, v.last.lon, report.mmsi, t)
                self._mark_fringe(report.lat, report.lon, report.mmsi, t)
            radius = self.settings.stopped_radius_m
            if t - v.last_t > self._threshold_s or (
                    distance_bound_m(v.anchor_lat, v.anchor_lon, report.lat, report.lon) > radius
                    and haversine_m(v.anchor_lat, v.anchor_lon, report.lat, report.lon) > radius):
                v.anchor_lat, v.anchor_lon, v.anchor_t = report.lat, report.lon, t
            if t - v.last_t >= 30.0 or v.prev_t == float("-inf"):
                v.prev_lat, v.prev_lon, v.prev_t = v.last.lat, v.last.lon, v.last_t
            v.t2, v.t1 = v.t1, v.last_t
            dt = t - v.last_t
            if 0 < dt <= self._threshold_s:
                v.ew_old, v.ew_mid = v.ew_mid, v.ew
                v.ew = dt if v.ew == 0.0 else 0.75 * v.ew + 0.25 * dt
            v.last_t = t
            v.last = report
            v.open_alert = None
            v.judged = False
        if not v.queued:
            self._deadlines.push(t + self._threshold_s, report.mmsi)
            v.queued = True
        if self.settings.feed_aware and self._hears:
            assert isinstance(self._feed, SourceWatch)
            self._feed.hear(report, t)  # after judging: this report is not the feed's return
        return out

    def advance(self, watermark: float) -> list[Alert]:
        out: list[Alert] = []
        if self.settings.feed_aware:
            self._feed.advance(watermark)
        for _, mmsi in self._deadlines.pop_before(watermark):
            v = self._vessels[mmsi]
            due = v.last_t + self._threshold_s
            if due >= watermark:  # it reported since: not due yet
                self._deadlines.push(due, mmsi)
                continue
            v.queued = False
            if v.open_alert is None and self._eligible(v.last):
                why = self._why_quiet(v, watermark)
                if why is not None:
                    self.counters[why] += 1
                    v.judged = True
                else:
                    v.open_alert = self._open(v, watermark)
                    out.append(v.open_alert)
            self._mark_fringe(v.last.lat, v.last.lon, mmsi, watermark)  # its track ended here
        return out

    def evict(self, before_epoch_s: float) -> int:
        """Forget vessels last heard before ``before_epoch_s`` whose silence is settled (no
        open gap, no deadline pending): an open gap keeps its vessel until it is heard again
        and the gap closes. Reception by cell forgets them too."""
        gone = [m for m, v in self._vessels.items()
                if v.last_t < before_epoch_s and v.open_alert is None and not v.queued]
        for m in gone:
            del self._vessels[m]
        for cell in list(self._heard):
            heard = self._heard[cell]
            for m in [m for m, t in heard.items() if t < before_epoch_s]:
                del heard[m]
            if not heard:
                del self._heard[cell]
        for times, cells in ((self._coverage_t, self._coverage),
                             (self._fringe_t, self._fringe)):
            for cell in [c for c, t in times.items() if t < before_epoch_s]:
                del times[cell]
                cells.pop(cell, None)
        return len(gone)

    def _hear(self, report: PositionReport, t: float, v: _Vessel | None) -> None:
        # Called for every report: the cells computed inline (as _cell does).
        c = self.settings.cell_deg
        mmsi = report.mmsi
        lat, lon = report.lat, report.lon
        key = (math.floor(lat / c), math.floor(lon / c))
        heard = self._coverage.get(key)
        if heard is None:
            self._coverage[key] = {mmsi}
        elif len(heard) < 4:
            heard.add(mmsi)
        self._coverage_t[key] = t
        cells = self._heard
        if v is not None:
            last = v.last
            if last.lat != lat or last.lon != lon:
                old = (math.floor(last.lat / c), math.floor(last.lon / c))
                if old != key and old in cells:
                    cells[old].pop(mmsi, None)
        here = cells.get(key)
        if here is None:
            cells[key] = {mmsi: t}
        else:
            here[mmsi] = t

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
            vessel=info.to_dict(),
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
        if dist <= 1000.0:
            self._berths.add(self._berth_cell(last.lat, last.lon))
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
            vessel=info.to_dict(),
        )
