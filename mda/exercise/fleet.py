"""Vessels of an exercise and the voyages they make: to a point at sea from a port, and on
from there to a port, along sea routes, avoiding the zones their presence would break.

A :class:`Vessel` holds an identity (MMSI, static data, class), a :class:`Track`, and what
the generator must do to its reports: dark windows (no transmission), displaced reports
(spoofing), and protected windows (no natural reception gaps or corrupted lines, so a scripted
event keeps its shape). A :class:`Script` is what the scenario asked for; the ground truth is
derived from it and from the reports actually written.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mda.exercise.motion import LatLon, Track, TrackBuilder, offset
from mda.exercise.world import Registry, World
from mda.flags import flag_of
from mda.geo import haversine_m
from mda.records import NAV_MOORED, VesselStatic

if TYPE_CHECKING:
    from zones.catalogue import Zone

# Typical speeds (kn) by AIS ship type.
SPEEDS: dict[int, tuple[float, float]] = {
    30: (7.0, 10.0), 36: (4.5, 7.0), 37: (5.0, 8.0), 40: (24.0, 30.0), 52: (6.0, 9.0),
    60: (14.0, 20.0), 70: (11.0, 16.0), 80: (10.0, 14.0),
}
FISHING_NATIONS = ("VEN", "COL", "HND", "NIC", "CHN", "TWN", "KOR", "ESP", "GUY", "DOM")
_APPROACH_M = 3000.0  # the last and first few km of a voyage at harbour speed
_HARBOUR_KN = 6.0
_KN = 1852.0 / 3600.0


def speed_range(ship_type: int) -> tuple[float, float]:
    return SPEEDS.get(ship_type, SPEEDS.get(ship_type // 10 * 10, (9.0, 12.0)))


@dataclass(frozen=True, slots=True)
class Jump:
    """``reports`` consecutive position reports from ``t`` on, displaced by (dlat, dlon)."""

    t: float
    reports: int
    dlat: float
    dlon: float


@dataclass
class Vessel:
    mmsi: int
    static: VesselStatic
    class_b: bool
    track: Track
    role: str  # "background", "event" or "decoy"
    label: str  # the event or decoy id, or the background behaviour
    dark: list[tuple[float, float]] = field(default_factory=list)
    protect: list[tuple[float, float]] = field(default_factory=list)
    jumps: list[Jump] = field(default_factory=list)
    transmit: tuple[float, float] | None = None  # only within this window (a twin)


@dataclass
class Script:
    """One scripted event or decoy, as planned (times in epoch seconds)."""

    id: str
    kind: str
    decoy: bool
    mmsis: list[int]
    t0: float
    t1: float
    lat: float
    lon: float
    params: dict[str, Any] = field(default_factory=dict)
    zone_id: str | None = None
    reason: str | None = None


@dataclass
class Sensing:
    """Contacts a sensor makes of one track (a dark vessel, or an AIS vessel also seen): a
    radar ``source`` following target ``target`` at ``times``, or SAR detections at
    ``times``; each contact displaced up to ``noise_m``."""

    script: str
    sensor: str  # "radar" or "sar"
    source: str
    target: str
    track: Track
    times: list[float]
    noise_m: float
    length_m: float | None = None


class PlanError(RuntimeError):
    """The generator could not place something the scenario asks for."""


def utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


class Planner:
    """Shared state and voyage helpers for planning vessels."""

    def __init__(self, world: World, registry: Registry, start: float, end: float) -> None:
        self.world = world
        self.registry = registry
        self.start = start
        self.end = end
        self.vessels: list[Vessel] = []
        self.scripts: list[Script] = []
        self.used: list[tuple[float, float, float]] = []  # (lat, lon, km): event sites
        self.sensings: list[Sensing] = []
        self._zone_ok: dict[tuple[Any, ...], bool] = {}

    # -- identities -------------------------------------------------------------------------
    def identity(self, rng: random.Random, ship_type: int, flag: str, class_b: bool,
                 destination: str = "") -> tuple[int, VesselStatic]:
        mmsi = self.registry.mmsi(rng, flag)
        return mmsi, self.registry.static(rng, mmsi, ship_type, class_b, utc(self.start),
                                          destination)

    def add(self, mmsi: int, static: VesselStatic, class_b: bool, track: Track, role: str,
            label: str, **extra: Any) -> Vessel:
        v = Vessel(mmsi, static, class_b, track, role, label, **extra)
        self.vessels.append(v)
        return v

    def avoid_for(self, ship_type: int, flag: str | None, sog_kn: float | None = None
                  ) -> list[Zone]:
        """Zones a vessel of this type and flag must keep out of (it would break their rule;
        also checked at fishing speed for rules with a speed window)."""
        zones = self.world.zones_against(ship_type, flag, sog_kn)
        if sog_kn is not None:
            zones += [z for z in self.world.zones_against(ship_type, flag, 3.0)
                      if z not in zones]
        return zones

    def clear_of(self, key: Any, points: Sequence[LatLon], avoid: Sequence[Zone]) -> bool:
        """Zone check of a (cached) route for a set of zones."""
        if not avoid:
            return True
        k = (key, tuple(z.id for z in avoid))
        ok = self._zone_ok.get(k)
        if ok is None:
            from mda.exercise.world import densify

            lats, lons = densify(points)
            ok = not self.world.hits_zone(lats, lons, avoid)
            self._zone_ok[k] = ok
        return ok

    # -- voyages ----------------------------------------------------------------------------
    def port_route(self, i: int, j: int, avoid: Sequence[Zone]) -> list[LatLon] | None:
        ports = self.world.ports
        a, b = ports[i], ports[j]
        pts = self.world.route((a.lat, a.lon), (b.lat, b.lon))
        if pts is None or not self.clear_of(("ports", i, j), pts, avoid):
            return None
        return pts

    def sea_route(self, a: LatLon, b: LatLon, avoid: Sequence[Zone]) -> list[LatLon] | None:
        pts = self.world.route(a, b)
        if pts is None or not self.clear_of((a, b), pts, avoid):
            return None
        return pts

    @staticmethod
    def go_route(b: TrackBuilder, pts: Sequence[LatLon], speed_kn: float,
                 from_port: bool = False, to_port: bool = False) -> None:
        """Along a route, at harbour speed for the first (leaving port) and last (arriving)
        few kilometres."""
        pts = list(pts)
        if from_port:
            head, pts = _split(pts, _APPROACH_M)
            b.go(head, min(_HARBOUR_KN, speed_kn))
        if to_port:
            pts, tail = _split(pts, _route_length(pts) - _APPROACH_M)
            b.go(pts, speed_kn)
            b.go(tail, min(_HARBOUR_KN, speed_kn))
        else:
            b.go(pts, speed_kn)

    def berth(self, rng: random.Random, port: int) -> LatLon:
        """A berth near a port: within a few hundred metres of its position, at sea if the
        grid allows (harbour water counts)."""
        p = self.world.ports[port]
        return offset(p.lat, p.lon, rng.uniform(100.0, 700.0), rng.uniform(0, 360))

    def _staging(self, rng: random.Random, point: LatLon, avoid: Sequence[Zone]
                 ) -> list[LatLon]:
        """Points 25-60 km from ``point`` with a clear straight line to it: where a route
        that cannot reach ``point`` itself (searoute joins its network at the nearest node,
        which may lie inside a zone to avoid) can stop."""
        out: list[LatLon] = []
        start = rng.uniform(0, 360)
        for km in (25.0, 60.0):
            for k in range(8):
                q = offset(*point, km * 1000.0, start + 45.0 * k)
                if self.world.path_ok([q, point], avoid):
                    out.append(q)
        return out

    def _routes_to(self, rng: random.Random, point: LatLon, avoid: Sequence[Zone],
                   reverse: bool) -> list[tuple[int, list[LatLon]]]:
        """(port, route) pairs between the ports (nearest first, with some randomness) and
        ``point`` (from the port, or to it when ``reverse``): direct routes first, then
        routes through a staging point."""
        ports = self.world.ports
        order = sorted(range(len(ports)), key=lambda i: haversine_m(
            ports[i].lat, ports[i].lon, *point) * rng.uniform(1.0, 1.6))[:8]
        found: list[tuple[int, list[LatLon]]] = []
        for i in order:
            p = (ports[i].lat, ports[i].lon)
            pts = self.sea_route(point, p, avoid) if reverse else self.sea_route(p, point, avoid)
            if pts is not None:
                found.append((i, pts))
        if found:
            return found
        for q in self._staging(rng, point, avoid):
            for i in order:
                p = (ports[i].lat, ports[i].lon)
                if reverse:
                    pts = self.sea_route(q, p, avoid)
                    if pts is not None:
                        found.append((i, [point, *pts]))
                else:
                    pts = self.sea_route(p, q, avoid)
                    if pts is not None:
                        found.append((i, [*pts, point]))
            if found:
                return found
        return found

    def voyage_to(self, rng: random.Random, point: LatLon, t_arrive: float, speed_kn: float,
                  avoid: Sequence[Zone], exclude: Sequence[int] = (),
                  max_km: float = 1500.0) -> tuple[TrackBuilder, int] | None:
        """A track that leaves a port (moored there before) and arrives at ``point`` at
        ``t_arrive``; None when no port has a usable route. Ports are tried nearest first
        (with some randomness), so approaches are realistic."""
        ports = self.world.ports
        for i, pts in self._routes_to(rng, point, avoid, reverse=False):
            if i in exclude or _route_length(pts) > max_km * 1000.0:
                continue
            p = ports[i]
            probe = TrackBuilder(0.0, p.lat, p.lon)
            self.go_route(probe, pts, speed_kn, from_port=True)
            depart = t_arrive - probe.now
            berth = self.berth(rng, i)
            leave = depart - haversine_m(*berth, p.lat, p.lon) / (3.0 * _KN)
            b = TrackBuilder(min(leave, self.start) - 60.0, berth[0], berth[1])
            b.wait(leave, NAV_MOORED)
            b.go([(p.lat, p.lon)], 3.0)
            self.go_route(b, pts, speed_kn, from_port=True)
            return b, i
        return None

    def voyage_from(self, rng: random.Random, b: TrackBuilder, speed_kn: float,
                    avoid: Sequence[Zone], exclude: Sequence[int] = (),
                    min_km: float = 0.0) -> int | None:
        """From where the track ends to a port (and moored there until the end); returns the
        port, or None when no port has a usable route (the track is left unchanged)."""
        for i, pts in self._routes_to(rng, b.here, avoid, reverse=True):
            if i in exclude or _route_length(pts) < min_km * 1000.0:
                continue
            self.go_route(b, pts, speed_kn, to_port=True)
            b.go([self.berth(rng, i)], 3.0)
            b.wait(self.end + 3600.0, NAV_MOORED)
            return i
        return None


def _route_length(pts: Sequence[LatLon]) -> float:
    return sum(haversine_m(*a, *b) for a, b in itertools.pairwise(pts))


def _split(pts: Sequence[LatLon], at_m: float) -> tuple[list[LatLon], list[LatLon]]:
    """A polyline cut at ``at_m`` metres from its start: (head, tail), sharing the cut."""
    if at_m <= 0:
        return [pts[0]], list(pts)
    done = 0.0
    for k in range(len(pts) - 1):
        d = haversine_m(*pts[k], *pts[k + 1])
        if done + d >= at_m:
            f = (at_m - done) / d if d else 0.0
            cut = (pts[k][0] + (pts[k + 1][0] - pts[k][0]) * f,
                   pts[k][1] + (pts[k + 1][1] - pts[k][1]) * f)
            return [*pts[:k + 1], cut], [cut, *pts[k + 1:]]
        done += d
    return list(pts), [pts[-1]]


def flag_iso3(mmsi: int) -> str | None:
    f = flag_of(mmsi)
    return f.iso3 if f else None
