"""Spoofing and identity faults, for vessels.

Only MMSIs that :func:`mda.vessels.transmitter_class` calls ``vessel`` are judged by the vessel
rules. Aids to navigation (99MIDxxxx: FINO3 PLATFORM), base stations (00MIDxxxx), SAR aircraft
(111MIDxxx), craft of a parent ship (98MIDxxxx), fishing-gear buoys ("... BUOY", "NET 85%"),
rescue cars ashore ("SAR BIL HANSTHOLM") and SART/MOB/EPIRB beacons are counted once per MMSI
(``counters["not_a_vessel:<class>"]``); alerts opened before a name revealed such a station
are retracted.

Four reasons, each its own alert (kind ``spoofing``, ``evidence.reason``):

* ``speed``: a report that no track of the MMSI can reach (implied speed beyond
  ``max_speed_kn`` over more than ``min_jump_m``, a floor against GPS jitter) starts a new track:
  a jump. GFW's segmenter splits tracks on the same test (gpsdio-segment, max speed 30 kn);
  50 kn leaves room for fast ferries. The jump is judged by what follows:

  - the vessel keeps reporting from the new place (``confirm_reports`` reports there, none from
    the old place, the last still out of the old place's reach; else ``reachable``, counted),
    or the jump is longer than ``outlier_max_km`` and the track comes back or moves on: an
    alert (start = the jump, raised at the report that decides);
  - a report that repeats a place the MMSI already passed through (within 100 m of its path)
    is an old position delivered again: counted (``stale_position``), not a jump;
  - the track comes back (A -> B -> near A) after a jump of at most ``outlier_max_km``: a bad
    fix, counted (``single_fix``, or ``short_excursion`` when B had more than one report);
  - many vessels jump at once (``glitch_vessels`` MMSIs within ``glitch_window_s``, e.g. 18
    vessels near Mobile at 12:51 on 2020-06-30, 367305380 "18 km in 1 s"): a receiver or feed
    glitch, counted (``receiver_glitch``).

  On the regional captures every returning bad fix was within 25 km of its track; the
  exercise's scripted single-report jumps are 80-200 km, beyond any bad fix seen. Jumps of one
  MMSI within ``episode_h`` are one alert. A jump never confirmed (the vessel fell silent) is
  counted as ``unconfirmed`` when short.
* ``shared_mmsi``: one MMSI in several places at once. Each MMSI keeps up to ``max_tracks``
  tracks; a report joins the track that reaches it at the lowest implied speed, and tracks that
  meet (within ``min_jump_m``) merge. Two transmitters: two tracks of ``min_track_reports`` or
  more each that both go on reporting after the other began (interleaved) and whose latest
  positions are at least ``shared_min_km`` apart and out of each other's reach (e.g.
  240000000 off Colombia and in the Bay of Bengal, January 2015, in GFW's tracks; GFW lists
  such MMSIs per year, treniformis SPOOFING_MMSI). Many transmitters: ``min_places`` tracks
  alive within ``episode_h`` whose positions are pairwise farther apart than
  ``outlier_max_km`` (AIDASOL 247302900 in the DMA capture: Gothenburg, Kiel Bay, Aarhus,
  Skagerrak, Kristiansand, off Holland, Hamburg within two hours), however few reports each
  has. The evidence lists the places (updated when the alert closes). While it is open, the
  MMSI's jumps and positions on land are explained by it and not alerted again.
* ``on_land``: a position deep inland (``min_inland_km`` from the sea, by the land mask) that
  nothing explains, reported ``land_confirm_reports`` times in a row. The default mask
  (landmetrics' 0.1 degree GSHHG grid) counts the Great Lakes, the Mississippi, the Hudson, the
  Seine and Ringkobing Fjord as land, so water is also learned from the traffic:

  - *learned water*: a ``water_cell_deg`` cell where ``water_vessels`` distinct vessels have
    reported along consistent tracks (not the first report of a track, never a track that
    began with a jump) is water;
  - *navigating*: a track that never jumped and either came in from the sea (a report of it
    was off the mask) or has moved ``navigate_km`` from where it began, at plausible speed, is
    navigating water the mask lacks (338367068 in the Straits of Mackinac).

  A position that appears inland by a jump is never explained by its own track, and a vessel
  standing alone deep inland (31.0N 99.0W in Texas) is not navigating: both still alert. The
  rule's limit: a transmitter that fakes a plausible moving track inland from its very first
  report is taken as navigating.
* ``invalid_mmsi``: a position report from an MMSI that is not well formed for what it is: a
  vessel whose MMSI has no allocated MID or is not of a ship-station form (ITU-R M.585); an aid
  to navigation, base station, SAR aircraft or craft associated whose MID is not allocated.
  Gear buoys and land units, which use made-up numbers, are not judged.

What each rule suppressed is counted in ``counters``.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, ClassVar

from detectors.base import (
    NO_ALERTS,
    Deadlines,
    Detector,
    DetectorContext,
    DetectorSettings,
    Preset,
)
from detectors.common import latlon, utc
from mda.flags import flag_of
from mda.geo import KN_PER_MPS, distance_bound_m, haversine_m, implied_speed_kn
from mda.records import Alert, AlertKind, PositionReport, Severity, alert_id, is_anonymous_id
from mda.vessels import GEAR_MARKER, LAND_UNIT, VESSEL, describe, transmitter_class, valid_form

KIND: AlertKind = "spoofing"
_MAX_PLACES_LISTED = 12
_TRAIL = 32


@dataclass(frozen=True, slots=True)
class SpoofingSettings(DetectorSettings):
    max_speed_kn: float = 50.0
    min_jump_m: float = 2000.0
    episode_h: float = 1.0
    min_track_reports: int = 3
    check_on_land: bool = True
    min_inland_km: float = 5.0
    check_mmsi: bool = True
    # jumps: bad fixes and receiver glitches
    outlier_max_km: float = 50.0
    confirm_reports: int = 3
    glitch_vessels: int = 5
    glitch_window_s: float = 60.0
    # shared identities
    shared_min_km: float = 10.0
    min_places: int = 3
    max_tracks: int = 8
    # land that is water
    land_confirm_reports: int = 3
    land_confirm_min: float = 120.0
    navigate_km: float = 2.0
    water_vessels: int = 2
    water_cell_deg: float = 0.05


PRESETS: dict[Preset, SpoofingSettings] = {
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


def _near_trail(trail: list[tuple[float, float]], lat: float, lon: float, tol_m: float) -> bool:
    """Whether (lat, lon) lies within ``tol_m`` of the path through ``trail`` (a local flat
    projection: the segments are a few km long)."""
    k = math.cos(math.radians(lat))
    for (la1, lo1), (la2, lo2) in itertools.pairwise(trail):
        ax, ay = (lo1 - lon) * k, la1 - lat
        bx, by = (lo2 - lon) * k, la2 - lat
        dx, dy = bx - ax, by - ay
        den = dx * dx + dy * dy
        u = 0.0 if den == 0.0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / den))
        if math.hypot(ax + u * dx, ay + u * dy) * 111_195.0 <= tol_m:
            return True
    return len(trail) == 1 and haversine_m(trail[0][0], trail[0][1], lat, lon) <= tol_m


@dataclass(slots=True)
class _Track:
    t: float
    lat: float
    lon: float
    n: int = 1
    first_t: float = 0.0
    lat0: float = 0.0
    lon0: float = 0.0
    jumped: bool = False  # began with a jump from another track
    wet: bool = False  # one of its reports was off the land mask
    trail: list[tuple[float, float]] = field(default_factory=list)  # its path, points >= 1 km apart


@dataclass(slots=True)
class _Jump:
    t: float
    frm: _Track
    to: _Track
    distance_m: float
    speed_kn: float | None
    from_lat: float
    from_lon: float
    to_lat: float
    to_lon: float
    dt_s: float


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
    land: bool = False  # the land mask's answer at (land_lat, land_lon)
    land_n: int = 0  # consecutive unexplained reports on land
    land_t0: float = 0.0
    land_why: str = ""  # what explains the current stay on land, once counted
    pending: _Jump | None = None
    places: list[tuple[float, float, float, float, int]] = field(default_factory=list)
    cls: str = VESSEL
    land_track: _Track | None = None  # the track an open on_land alert was raised on


class SpoofingDetector(Detector[SpoofingSettings]):
    """Impossible speeds, shared MMSIs, positions on land, invalid MMSIs (module docstring)."""

    name: ClassVar[str] = KIND
    settings_type = SpoofingSettings
    presets: ClassVar[dict[Preset, SpoofingSettings]] = PRESETS  # type: ignore[misc]

    def __init__(self, settings: SpoofingSettings, context: DetectorContext | None = None) -> None:
        super().__init__(settings, context)
        self._ids: dict[int, _Identity] = {}
        self._episode_s = settings.episode_h * 3600.0
        self._expiry = Deadlines(self)  # (due, (mmsi, reason)), lazy; reason "jump" = pending
        self._jump_times: deque[tuple[float, int]] = deque()  # (t, mmsi) of every jump
        self._water: dict[tuple[int, int], set[int]] = {}  # cell -> vessels seen there
        self.counters: Counter[str] = Counter()  # what was not alerted, by reason

    # -- tracks ----------------------------------------------------------------------------
    def _consistent(self, tr: _Track, t: float, lat: float, lon: float) -> tuple[bool, float,
                                                                                 float | None]:
        d = haversine_m(tr.lat, tr.lon, lat, lon)
        if d <= self.settings.min_jump_m:
            return True, d, None
        speed = implied_speed_kn(d, max(abs(t - tr.t), 1.0))
        return (speed is not None and speed <= self.settings.max_speed_kn), d, speed

    def _reaches(self, tr: _Track, t: float, lat: float, lon: float) -> bool:
        """``_consistent(tr, t, lat, lon)[0]``, decided from a distance bound when that is
        enough (a vessel a few hundred metres on): the same answer, cheaper."""
        bound = distance_bound_m(tr.lat, tr.lon, lat, lon)
        if bound <= self.settings.min_jump_m or (
                bound / max(abs(t - tr.t), 1.0) * KN_PER_MPS <= self.settings.max_speed_kn):
            return True  # the distance is at most the bound, its speed at most the bound's
        return self._consistent(tr, t, lat, lon)[0]

    def _stale(self, ident: _Identity, lat: float, lon: float,
               checks: list[tuple[_Track, tuple[bool, float, float | None]]]) -> bool:
        """A report no track reaches (``checks``: each track's :meth:`_consistent`),
        repeating (within 100 m) a place the MMSI reported earlier: an old position delivered
        again with a new time (seen in the MarineCadastre files: 209795000 at 20:03:50
        reports its own 19:10:40 position, 16 km back)."""
        if any(c[0] for _, c in checks):
            return False
        return any(_near_trail(tr.trail, lat, lon, 100.0) for tr in ident.tracks)

    def _assign(self, ident: _Identity, t: float, lat: float, lon: float,
                checks: list[tuple[_Track, tuple[bool, float, float | None]]]
                ) -> tuple[_Track, bool]:
        """The track this report continues (the one reaching it at the lowest speed), or a new
        one; True when new (a jump, unless it is the MMSI's first report). ``checks`` is each
        track's :meth:`_consistent` for this report (computed once per report)."""
        last = ident.last
        tracks = ident.tracks
        if last is not None and len(tracks) == 1:
            tr0, c0 = checks[0]
            if (c0[0] if tr0 is last else self._consistent(last, t, lat, lon)[0]):
                return last, False
        best: _Track | None = None
        best_score = math.inf
        for tr, (ok, d, _) in checks:
            if ok:
                score = d / max(abs(t - tr.t), 1.0)
                if score < best_score or (score == best_score and best is not None
                                          and tr.t > best.t):
                    best, best_score = tr, score
        if best is not None:
            if len(tracks) > 1:
                self._merge_into(ident, best, lat, lon)
            return best, False
        new = _Track(t, lat, lon, 0, t, lat, lon, jumped=last is not None)
        tracks.append(new)
        # Tracks silent for an episode are forgotten; at most max_tracks are kept.
        keep = [tr for tr in tracks if t - tr.t <= self._episode_s or tr is new]
        if len(keep) > self.settings.max_tracks:
            keep.sort(key=lambda x: x.t)
            keep = keep[-self.settings.max_tracks:]
        ident.tracks = keep
        return new, True

    def _merge_into(self, ident: _Identity, best: _Track, lat: float, lon: float) -> None:
        """Tracks that have met (within the jitter floor of this report) are one track."""
        floor = self.settings.min_jump_m
        merged = [tr for tr in ident.tracks if tr is not best
                  and haversine_m(tr.lat, tr.lon, lat, lon) <= floor]
        for tr in merged:
            ident.tracks.remove(tr)
            if tr.first_t < best.first_t:
                best.first_t, best.lat0, best.lon0 = tr.first_t, tr.lat0, tr.lon0
                best.jumped = tr.jumped
            best.n += tr.n
            best.wet = best.wet or tr.wet
            if ident.pending is not None and ident.pending.to is tr:
                ident.pending.to = best

    # -- the step --------------------------------------------------------------------------
    def step(self, report: PositionReport, t: float) -> list[Alert]:
        s = self.settings
        mmsi = report.mmsi
        lat, lon = report.lat, report.lon
        ident = self._ids.get(mmsi)
        if ident is None:
            ident = self._ids[mmsi] = _Identity()
        cls = self.context.transmitter_of(mmsi)
        if cls != VESSEL:
            return self._not_a_vessel(mmsi, ident, cls, t, lat, lon)
        out: list[Alert] = []
        if s.check_mmsi and not ident.mmsi_checked:
            ident.mmsi_checked = True
            # an anonymised vessel number (mda.records) is not an MMSI: nothing to check
            if not valid_ship_mmsi(mmsi) and not is_anonymous_id(mmsi):
                out.append(self._alert(
                    mmsi, "invalid_mmsi", t, lat, lon, "closed",
                    {"detail": "MID not allocated or not a ship-station MMSI"}, end=t,
                    severity="low"))
        last = ident.last
        tracks = ident.tracks
        if (last is not None and len(tracks) == 1 and tracks[0] is last
                and self._reaches(last, t, lat, lon)):
            # The usual report: the one track reaches it, so it is neither stale nor a jump
            # (what _stale and _assign would find from the same check).
            tr, new = last, False
        else:
            consistent = self._consistent
            checks = [(tr, consistent(tr, t, lat, lon)) for tr in tracks]
            if last is not None and self._stale(ident, lat, lon, checks):
                self.counters["stale_position"] += 1
                return out or NO_ALERTS
            tr, new = self._assign(ident, t, lat, lon, checks)
        if not tr.trail or (distance_bound_m(*tr.trail[-1], lat, lon) > 1000.0
                            and haversine_m(*tr.trail[-1], lat, lon) > 1000.0):
            tr.trail.append((lat, lon))
            if len(tr.trail) > _TRAIL:
                del tr.trail[0]
        tr.t, tr.lat, tr.lon = t, lat, lon
        tr.n += 1
        ident.last = tr
        if new and last is not None:
            self._jumped(mmsi, ident, last, tr, t, lat, lon, out)
        elif ident.pending is not None:
            p = ident.pending
            if tr is p.to:
                if tr.n >= s.confirm_reports:
                    if self._consistent(p.frm, t, lat, lon)[0]:
                        # From the old place the vessel could have got here: one of the two
                        # fixes was off, not the vessel.
                        self.counters["reachable"] += 1
                        ident.pending = None
                    else:
                        self._resolve(mmsi, ident, "persisted", t, out)
            else:
                self._resolve(mmsi, ident, "returned", t, out)
        if len(ident.tracks) > 1:
            self._shared(mmsi, ident, t, lat, lon, out)
        if s.check_on_land and self.context.on_land is not None:
            self._land(mmsi, ident, tr, t, lat, lon, out)
        return out or NO_ALERTS

    def _not_a_vessel(self, mmsi: int, ident: _Identity, cls: str, t: float, lat: float,
                      lon: float) -> list[Alert]:
        if ident.cls == cls:
            return NO_ALERTS
        ident.cls = cls
        self.counters[f"not_a_vessel:{cls}"] += 1
        out = [self._retract(mmsi, ident, reason, t) for reason in list(ident.open)]
        ident.pending = None
        if self.settings.check_mmsi and not ident.mmsi_checked:
            ident.mmsi_checked = True
            by_form = transmitter_class(mmsi)  # what the MMSI's own form says it is
            if cls not in (GEAR_MARKER, LAND_UNIT) and not valid_form(mmsi, cls) and not (
                    by_form != VESSEL and valid_form(mmsi, by_form)):
                # (a feed may call a 99x aid to navigation a "VTS" base station: either fits)
                what = cls.replace("_", " ")
                out.append(self._alert(
                    mmsi, "invalid_mmsi", t, lat, lon, "closed",
                    {"detail": f"MID not allocated or not the MMSI form of a {what}",
                     "transmitter": cls}, end=t, severity="low"))
        return out or NO_ALERTS

    # -- jumps -----------------------------------------------------------------------------
    def _jumped(self, mmsi: int, ident: _Identity, frm: _Track, to: _Track, t: float,
                lat: float, lon: float, out: list[Alert]) -> None:
        _, d, speed = self._consistent(frm, t, lat, lon)
        self._jump_times.append((t, mmsi))
        horizon = t - self._episode_s - 2 * self.settings.glitch_window_s
        while self._jump_times and self._jump_times[0][0] < horizon:
            self._jump_times.popleft()
        if "shared_mmsi" in ident.open or self._places(mmsi, ident, t, lat, lon, out):
            if ident.pending is not None:
                self.counters["during_shared_mmsi"] += 1
                ident.pending = None
            self.counters["during_shared_mmsi"] += 1
            return
        if ident.pending is not None:
            self._resolve(mmsi, ident, "moved_on", t, out)
        ident.pending = _Jump(t, frm, to, d, speed, frm.lat, frm.lon, lat, lon, t - frm.t)
        self._expiry.push(t + self._episode_s, (mmsi, "jump"))

    def _glitch(self, t: float, mmsi: int) -> bool:
        """Whether ``glitch_vessels`` MMSIs (this one included) jumped within
        ``glitch_window_s`` of ``t``. Newest jumps first, stopping once enough are found: a
        storm of jumps (a receiver glitch, a feed replayed fast) costs a few steps, not a scan
        of every jump of the last hour for every jump."""
        w = self.settings.glitch_window_s
        need = self.settings.glitch_vessels
        near = {mmsi}
        if len(near) >= need:
            return True
        for tj, m in reversed(self._jump_times):
            if abs(tj - t) <= w and m not in near:
                near.add(m)
                if len(near) >= need:
                    return True
        return False

    def _resolve(self, mmsi: int, ident: _Identity, how: str, t: float,
                 out: list[Alert]) -> None:
        """Decide a pending jump at the next report: ``persisted`` (the new place goes on),
        ``returned`` (back to another track), ``moved_on`` (jumped again), or at the end of
        an episode without either, ``unconfirmed``."""
        p = ident.pending
        ident.pending = None
        if p is None:
            return
        if self._glitch(p.t, mmsi):
            self.counters["receiver_glitch"] += 1
            return
        far = p.distance_m > self.settings.outlier_max_km * 1000.0
        if not far and how in ("returned", "moved_on"):
            self.counters["single_fix" if p.to.n <= 1 else "short_excursion"] += 1
            return
        if not far and how == "unconfirmed":
            self.counters["unconfirmed"] += 1
            return
        ident.jumps += 1
        ident.max_speed_kn = max(ident.max_speed_kn, p.speed_kn or 0.0)
        ident.last_event["speed"] = max(ident.last_event.get("speed", 0.0), t)
        if "speed" in ident.open:
            return
        out.append(self._open(mmsi, ident, "speed", p.t, p.to_lat, p.to_lon, {
            "implied_speed_kn": None if p.speed_kn is None else round(p.speed_kn, 1),
            "distance_m": round(p.distance_m, 1),
            "dt_s": round(p.dt_s, 1),
            "from_lat": p.from_lat, "from_lon": p.from_lon,
            "to_lat": p.to_lat, "to_lon": p.to_lon,
            "max_speed_kn": self.settings.max_speed_kn,
            "confirmed_by": "reports from the new place" if not far
            else f"a jump beyond {self.settings.outlier_max_km:g} km ({how})",
            "reports_at_new_place": p.to.n,
        }, "medium"))
        ident.last_event["speed"] = t

    # -- shared identities -----------------------------------------------------------------
    def _places(self, mmsi: int, ident: _Identity, t: float, lat: float, lon: float,
                out: list[Alert]) -> bool:
        """Many transmitters: ``min_places`` live tracks pairwise beyond any bad fix."""
        s = self.settings
        far_m = s.outlier_max_km * 1000.0
        places: list[_Track] = []
        for tr in sorted(ident.tracks, key=lambda x: x.first_t):
            if t - tr.t <= self._episode_s and all(
                    haversine_m(tr.lat, tr.lon, q.lat, q.lon) > far_m for q in places):
                places.append(tr)
        if len(places) < s.min_places or self._glitch(t, mmsi):
            return False
        a, b, d = self._farthest(places)
        ident.places = [(q.lat, q.lon, q.first_t, q.t, q.n) for q in places]
        ident.last_event["shared_mmsi"] = t
        out.append(self._open(mmsi, ident, "shared_mmsi", t, lat, lon, {
            "distance_km": round(d / 1000, 1),
            "track_a_lat": a.lat, "track_a_lon": a.lon,
            "track_b_lat": b.lat, "track_b_lon": b.lon,
            "places": self._place_list(ident.places),
        }, "high"))
        return True

    @staticmethod
    def _farthest(tracks: list[_Track]) -> tuple[_Track, _Track, float]:
        best = (tracks[0], tracks[1], -1.0)
        for i, a in enumerate(tracks):
            for b in tracks[i + 1:]:
                d = haversine_m(a.lat, a.lon, b.lat, b.lon)
                if d > best[2]:
                    best = (a, b, d)
        return best

    @staticmethod
    def _place_list(places: list[tuple[float, float, float, float, int]]) -> list[dict[str, Any]]:
        return [{"lat": round(la, 5), "lon": round(lo, 5), "first": utc(t0).isoformat(),
                 "last": utc(t1).isoformat(), "reports": n}
                for la, lo, t0, t1, n in places[:_MAX_PLACES_LISTED]]

    def _note_place(self, ident: _Identity, t: float, lat: float, lon: float) -> bool:
        """A report of a shared identity: update the place it repeats, or list a new one
        (True)."""
        floor = max(self.settings.min_jump_m, 10_000.0)
        for i, (la, lo, t0, _, n) in enumerate(ident.places):
            if haversine_m(la, lo, lat, lon) <= floor:
                ident.places[i] = (la, lo, t0, t, n + 1)
                return False
        if len(ident.places) < _MAX_PLACES_LISTED:
            ident.places.append((lat, lon, t, t, 1))
            return True
        return False

    def _update_places(self, mmsi: int, ident: _Identity) -> Alert:
        """The open shared_mmsi alert again (same id), with the places known now."""
        alert = ident.open["shared_mmsi"]
        ev = dict(alert.evidence)
        ev["places"] = self._place_list(ident.places)
        pts = [(la, lo) for la, lo, *_ in ident.places]
        best = (pts[0], pts[1], -1.0)
        for i, a in enumerate(pts):
            for b in pts[i + 1:]:
                d = haversine_m(*a, *b)
                if d > best[2]:
                    best = (a, b, d)
        (ev["track_a_lat"], ev["track_a_lon"]), (ev["track_b_lat"], ev["track_b_lon"]) = (
            best[0], best[1])
        ev["distance_km"] = round(best[2] / 1000, 1)
        ev.pop("reason", None)
        new = self._alert(mmsi, "shared_mmsi", alert.start.timestamp(), alert.lat, alert.lon,
                          "open", ev, alert.severity)
        ident.open["shared_mmsi"] = new
        return new

    def _shared(self, mmsi: int, ident: _Identity, t: float, lat: float, lon: float,
                out: list[Alert]) -> None:
        """Two tracks alive and reporting at once, far apart: a shared MMSI."""
        s = self.settings
        if "shared_mmsi" in ident.open:
            ident.last_event["shared_mmsi"] = t
            if self._note_place(ident, t, lat, lon):
                out.append(self._update_places(mmsi, ident))
            return
        live = [tr for tr in ident.tracks
                if tr.n >= s.min_track_reports and t - tr.t <= self._episode_s]
        if len(live) < 2:
            return
        best: tuple[_Track, _Track, float] | None = None
        for i, a in enumerate(live):
            for b in live[i + 1:]:
                if not (a.t > b.first_t and b.t > a.first_t):
                    continue  # one stopped before the other began: a jump, not two at once
                if self._glitch(max(a.first_t, b.first_t), mmsi):
                    continue  # split by a receiver glitch
                d = haversine_m(a.lat, a.lon, b.lat, b.lon)
                if d < s.shared_min_km * 1000.0:
                    continue
                speed = implied_speed_kn(d, max(abs(a.t - b.t), 1.0))
                if speed is not None and speed <= s.max_speed_kn:
                    continue
                if best is None or d > best[2]:
                    best = (a, b, d)
        if best is None:
            return
        a, b, d = best
        if ident.pending is not None:
            self.counters["during_shared_mmsi"] += 1
            ident.pending = None
        ident.places = [(q.lat, q.lon, q.first_t, q.t, q.n) for q in (a, b)]
        ident.last_event["shared_mmsi"] = t
        out.append(self._open(mmsi, ident, "shared_mmsi", t, lat, lon, {
            "distance_km": round(d / 1000, 1),
            "track_a_lat": a.lat, "track_a_lon": a.lon,
            "track_b_lat": b.lat, "track_b_lon": b.lon,
            "track_a_reports": a.n, "track_b_reports": b.n,
            "places": self._place_list(ident.places),
        }, "high"))

    # -- land ------------------------------------------------------------------------------
    def _land(self, mmsi: int, ident: _Identity, tr: _Track, t: float, lat: float, lon: float,
              out: list[Alert]) -> None:
        s = self.settings
        on_land = self.context.on_land
        assert on_land is not None
        # The mask is asked again only once the vessel has moved 0.01 degree (~1 km).
        if abs(lat - ident.land_lat) > 0.01 or abs(lon - ident.land_lon) > 0.01:
            ident.land_lat, ident.land_lon = lat, lon
            ident.land = on_land(lat, lon, s.min_inland_km)
        if not ident.land:
            tr.wet = True
            ident.land_n = 0
            ident.land_why = ""
            if "on_land" in ident.open:
                out.append(self._end_land(mmsi, ident, tr, "sailed off the land mask", t))
            return
        why = self._water_here(mmsi, tr, lat, lon)
        if why is None and "shared_mmsi" in ident.open:
            why = "shared_identity"
        if why is not None:
            ident.land_n = 0
            if ident.land_why != why:
                ident.land_why = why
                self.counters[f"land_{why}"] += 1
            if "on_land" in ident.open:
                out.append(self._end_land(mmsi, ident, tr, why, t))
            return
        ident.land_why = ""
        if ident.land_n == 0:
            ident.land_t0 = t
        ident.land_n += 1
        if (ident.land_n >= s.land_confirm_reports and "on_land" not in ident.open
                and (tr.jumped or t - ident.land_t0 >= s.land_confirm_min * 60.0)):
            ident.land_track = tr
            out.append(self._open(mmsi, ident, "on_land", ident.land_t0, lat, lon, {
                "min_inland_km": s.min_inland_km,
                "reports_on_land": ident.land_n,
                "arrived_by_jump": tr.jumped,
                "vessels_seen_in_cell": len(self._water.get(self._cell(lat, lon), ())),
            }, "medium"))

    def _end_land(self, mmsi: int, ident: _Identity, tr: _Track, why: str,
                  t: float) -> Alert:
        """The vessel left the land or its stay is explained. If the same track, which never
        jumped, navigated on (water learned, moved, or out to sea), the alert was wrong: it is
        retracted. Otherwise (it had jumped there, or it is a shared identity) it closes."""
        if tr is ident.land_track and not tr.jumped and why != "shared_identity":
            self.counters["land_retracted"] += 1
            return self._retract(mmsi, ident, "on_land", t, f"navigating water ({why})")
        return self._close(mmsi, ident, "on_land", t)

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        c = self.settings.water_cell_deg
        return math.floor(lat / c), math.floor(lon / c)

    def _water_here(self, mmsi: int, tr: _Track, lat: float, lon: float) -> str | None:
        """Why a position on the land mask is water after all, or None."""
        s = self.settings
        cell = self._cell(lat, lon)
        seen = self._water.get(cell)
        if not tr.jumped and tr.n >= 2:
            if seen is None:
                seen = self._water[cell] = set()
            if len(seen) < s.water_vessels:
                seen.add(mmsi)
        if seen is not None and len(seen) >= s.water_vessels:
            return "learned_water"
        # The cell's neighbours count too: a river or lake is longer than a cell.
        around: set[int] = set()
        ci, cj = cell
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                around |= self._water.get((ci + di, cj + dj), set())
                if len(around) >= s.water_vessels:
                    return "learned_water"
        if tr.jumped:
            return None
        if tr.wet:
            return "entered_from_sea"
        if haversine_m(tr.lat0, tr.lon0, lat, lon) >= s.navigate_km * 1000.0:
            return "navigating"
        return None

    # -- lifecycle -------------------------------------------------------------------------
    def _open(self, mmsi: int, ident: _Identity, reason: str, t: float, lat: float, lon: float,
              evidence: dict[str, Any], severity: Severity) -> Alert:
        ident.last_event[reason] = max(t, ident.last_event.get(reason, t))
        alert = self._alert(mmsi, reason, t, lat, lon, "open", evidence, severity=severity)
        ident.open[reason] = alert
        self._expiry.push(ident.last_event[reason] + self._episode_s, (mmsi, reason))
        return alert

    def _close(self, mmsi: int, ident: _Identity, reason: str, t: float) -> Alert:
        alert = ident.open.pop(reason)
        evidence = dict(alert.evidence)
        if reason == "speed":
            evidence.update({"jumps": ident.jumps, "max_implied_speed_kn":
                             round(ident.max_speed_kn, 1)})
            ident.jumps = 0
            ident.max_speed_kn = 0.0
        elif reason == "shared_mmsi":
            ident.places = []
        return Alert(alert.alert_id, KIND, "closed", alert.severity, mmsi, alert.start,
                     utc(max(t, alert.start.timestamp())), alert.lat, alert.lon, alert.summary,
                     evidence, alert.vessel)

    def _retract(self, mmsi: int, ident: _Identity, reason: str, t: float,
                 because: str = "not a vessel") -> Alert:
        alert = ident.open.pop(reason)
        evidence = {**alert.evidence, "retracted_because": because}
        return Alert(alert.alert_id, KIND, "retracted", alert.severity, mmsi, alert.start,
                     utc(max(t, alert.start.timestamp())), alert.lat, alert.lon, alert.summary,
                     evidence, alert.vessel)

    def evict(self, before_epoch_s: float) -> int:
        """Identities last heard before ``before_epoch_s`` with no open alert and no jump
        pending are forgotten (heard again, an invalid MMSI is reported again)."""
        gone = [m for m, ident in self._ids.items()
                if not ident.open and ident.pending is None
                and max((tr.t for tr in ident.tracks), default=float("-inf")) < before_epoch_s]
        for m in gone:
            del self._ids[m]
        return len(gone)

    def advance(self, watermark: float) -> list[Alert]:
        out: list[Alert] = []
        for _, (mmsi, reason) in self._expiry.pop_before(watermark):
            ident = self._ids.get(mmsi)
            if ident is None:
                continue
            if reason == "jump":
                p = ident.pending
                if p is not None:
                    if p.t + self._episode_s < watermark:
                        self._resolve(mmsi, ident, "unconfirmed", p.t, out)
                    else:
                        self._expiry.push(p.t + self._episode_s, (mmsi, "jump"))
                continue
            if reason not in ident.open or reason == "on_land":
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
            n = len(evidence["places"])
            if n > 2:
                summary = (f"{who} is transmitting from {n} places up to "
                           f"{evidence['distance_km']:.0f} km apart within "
                           f"{self.settings.episode_h:g} h (e.g. near {here} and {there}): "
                           f"several transmitters use this MMSI.")
            else:
                summary = (f"{who} is transmitting from two places "
                           f"{evidence['distance_km']:.0f} km apart at once (near {here} and "
                           f"{there}): two vessels share this MMSI.")
        elif reason == "on_land":
            how = " (reached by a jump)" if evidence.get("arrived_by_jump") else ""
            summary = (f"{who} reports a position on land at {where}{how}, at least "
                       f"{evidence['min_inland_km']:g} km inland, "
                       f"{evidence['reports_on_land']} reports in a row.")
        else:
            what = str(evidence.get("transmitter", "ship")).replace("_", " ")
            summary = f"{who} uses an MMSI that no {what} may use (at {where})."
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
            vessel=info.to_dict(),
        )
