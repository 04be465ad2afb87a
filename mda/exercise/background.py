"""Background traffic: the vessels that go about their business and must raise nothing.

* cargo ships, tankers, passenger ships and fast ferries sail between scenario ports along sea
  routes, wait moored between voyages, and are found at the start either moored or already
  under way part of the way along a route;
* fishing vessels leave their home port (whose country is their flag), steam to a fishing
  ground and fish there at 2.6-4.5 kn on short zig-zag legs, then may return;
* pleasure craft and sailing boats (mostly class B) hop between nearby ports or stay moored;
* tugs stay moored or make short trips just outside their port.

Every voyage keeps out of the zones whose rule the vessel would break (a fishing vessel never
enters a closure), so background traffic alone raises no alert.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mda.exercise.fleet import FISHING_NATIONS, Planner, speed_range
from mda.exercise.motion import LatLon, TrackBuilder, offset
from mda.exercise.scenario import SHIP_TYPES, Background, flag_mids
from mda.geo import haversine_m
from mda.records import NAV_AT_ANCHOR, NAV_MOORED

if TYPE_CHECKING:
    from zones.catalogue import Zone

_LINERS = (60, 70, 80, 40)


def _weighted(rng: random.Random, items: tuple[tuple[str, float], ...]) -> str:
    total = sum(w for _, w in items)
    x = rng.uniform(0, total)
    for name, w in items:
        x -= w
        if x <= 0:
            return name
    return items[-1][0]


def plan_background(p: Planner, spec: Background, rng: random.Random) -> int:
    """Add ``spec.vessels`` background vessels; returns how many could be placed."""
    if not p.world.ports:
        return 0
    class_b_share = dict(spec.class_b_share)
    placed = 0
    for k in range(spec.vessels):
        vr = random.Random(rng.random())
        kind = _weighted(vr, spec.mix)
        ship_type = SHIP_TYPES[kind]
        class_b = vr.random() < class_b_share.get(kind, 0.0)
        ok = False
        for _ in range(6):
            if ship_type == 30:
                ok = _fishing(p, vr, class_b, k)
            elif ship_type in (36, 37):
                ok = _coastal(p, vr, ship_type, class_b, k, spec)
            elif ship_type == 52:
                ok = _tug(p, vr, class_b, k)
            else:
                ok = _liner(p, vr, ship_type, class_b, k, spec)
            if ok:
                break
        placed += ok
    return placed


def _home_flag(p: Planner, rng: random.Random, port: int, spec: Background) -> str:
    country = p.world.ports[port].country
    if country and country in flag_mids():
        return country
    return rng.choice(spec.flags)


def _liner(p: Planner, rng: random.Random, ship_type: int, class_b: bool, k: int,
           spec: Background) -> bool:
    ports = p.world.ports
    if len(ports) < 2:
        return False
    flag = rng.choice(spec.flags) if rng.random() < 0.8 else _home_flag(
        p, rng, rng.randrange(len(ports)), spec)
    lo, hi = speed_range(ship_type)
    speed = rng.uniform(lo, hi)
    avoid = p.avoid_for(ship_type, flag)
    max_km = 600.0 if ship_type in (40, 60) else 3000.0
    allowed = _allowed_routes(p, spec)
    here = rng.choice(sorted(allowed)) if allowed else rng.randrange(len(ports))
    b: TrackBuilder | None = None
    status = NAV_MOORED
    for _ in range(6):
        nxt = _next_port(p, rng, here, avoid, max_km, allowed)
        if nxt is None:
            if b is None:
                return False
            break  # no onward route: it stays
        j, pts = nxt
        if b is None:
            if rng.random() < spec.in_port_share:
                berth = p.berth(rng, here)
                b = TrackBuilder(p.start - 60.0, *berth)
                b.wait(p.start + rng.uniform(0, 0.8) * (p.end - p.start), NAV_MOORED)
                b.go([(ports[here].lat, ports[here].lon)], 3.0)
                p.go_route(b, pts, speed, from_port=True)
            else:
                probe = TrackBuilder(0.0, ports[here].lat, ports[here].lon)
                p.go_route(probe, pts, speed, from_port=True, to_port=True)
                b = TrackBuilder(p.start - rng.uniform(0.05, 0.95) * probe.now,
                                 ports[here].lat, ports[here].lon)
                p.go_route(b, pts, speed, from_port=True, to_port=True)
        else:
            b.go([(ports[here].lat, ports[here].lon)], 3.0)
            p.go_route(b, pts, speed, from_port=True, to_port=True)
        if b.now >= p.end:
            break
        # arrived: to a berth, or to the anchorage to wait
        if rng.random() < 0.2 and ship_type in (70, 80):
            spot = _anchorage(p, rng, j)
        else:
            spot = p.berth(rng, j)
        status = NAV_AT_ANCHOR if haversine_m(*spot, ports[j].lat, ports[j].lon) > 1500 \
            else NAV_MOORED
        b.go([spot], 3.0)
        b.wait(b.now + rng.uniform(2.0, 10.0) * 3600.0, status)
        here = j
        if b.now >= p.end:
            break
    if b is None:
        return False
    if b.now < p.end:
        b.wait(p.end + 3600.0, status)
    mmsi, static = p.identity(rng, ship_type, flag, class_b,
                              destination=ports[here].name.upper())
    p.add(mmsi, static, class_b, b.track, "background", "liner")
    return True


def _allowed_routes(p: Planner, spec: Background) -> dict[int, list[int]]:
    """Port index -> the ports the scenario's ``routes`` allow from it (empty: any)."""
    index = {port.name: i for i, port in enumerate(p.world.ports)}
    out: dict[int, list[int]] = {}
    for a, b in spec.routes:
        out.setdefault(index[a], []).append(index[b])
        out.setdefault(index[b], []).append(index[a])
    return out


def _next_port(p: Planner, rng: random.Random, here: int, avoid: Sequence[Zone],
               max_km: float, allowed: dict[int, list[int]] | None = None
               ) -> tuple[int, list[LatLon]] | None:
    ports = p.world.ports
    if allowed:
        cands = sorted(set(allowed.get(here, [])))
    else:
        cands = [j for j in range(len(ports)) if j != here and haversine_m(
            ports[here].lat, ports[here].lon, ports[j].lat, ports[j].lon) <= max_km * 1000.0]
    rng.shuffle(cands)
    for j in cands[:8]:
        pts = p.port_route(here, j, avoid)
        if pts is not None:
            return j, pts
    return None


def _anchorage(p: Planner, rng: random.Random, port: int) -> tuple[float, float]:
    """A spot 2-4 km off the port, on the sea side (the farthest from shore of a few)."""
    import numpy as np

    pt = p.world.ports[port]
    cands = [offset(pt.lat, pt.lon, rng.uniform(2000, 4000), a) for a in range(0, 360, 30)]
    nm = p.world.shore.many_nm(np.array([c[0] for c in cands]), np.array([c[1] for c in cands]))
    return cands[int(np.nanargmax(nm))] if np.isfinite(nm).any() else p.berth(rng, port)


def _fishing(p: Planner, rng: random.Random, class_b: bool, k: int) -> bool:
    ports = p.world.ports
    home = rng.randrange(len(ports))
    country = ports[home].country
    flag = country if country and country in flag_mids() else rng.choice(FISHING_NATIONS)
    fish_kn = rng.uniform(2.6, 4.5)
    avoid = p.avoid_for(30, flag, fish_kn)
    hp = ports[home]
    grounds = p.world.sea_points(rng, 1, min_shore_nm=4.0, min_port_km=12.0,
                                 near=(hp.lat, hp.lon), radius_km=rng.uniform(25, 90),
                                 avoid_zones=avoid)
    if not grounds:
        return False
    ground = grounds[0]
    transit = rng.uniform(*speed_range(30))
    route = p.sea_route((hp.lat, hp.lon), ground, avoid)
    if route is None:
        return False
    at_sea_start = rng.random() < 0.5
    if at_sea_start:
        b = TrackBuilder(p.start - 60.0, *ground)
    else:
        berth = p.berth(rng, home)
        b = TrackBuilder(p.start - 60.0, *berth)
        b.wait(p.start + rng.uniform(0.0, 0.5) * (p.end - p.start), NAV_MOORED)
        b.go([(hp.lat, hp.lon)], 3.0)
        p.go_route(b, route, transit, from_port=True)
    # fishing: zig-zag legs around the ground
    fish_until = b.now + rng.uniform(3.0, 10.0) * 3600.0
    tries = 0
    while b.now < min(fish_until, p.end) and tries < 60:
        tries += 1
        here = b.here
        course = rng.uniform(0, 360)
        hours = rng.uniform(0.4, 1.2)
        to = offset(here[0], here[1], fish_kn * 1852.0 * hours, course)
        if haversine_m(*to, *ground) > 15000.0:
            continue
        if not p.world.path_ok([here, to], avoid):
            continue
        b.go([to], fish_kn)
    if b.now < p.end:
        back = p.sea_route(b.here, (hp.lat, hp.lon), avoid)
        if back is None:
            b.wait(p.end + 3600.0, 0)  # stays (stopped) on the ground; should not happen
            return False
        p.go_route(b, back, transit, to_port=True)
        b.go([p.berth(rng, home)], 3.0)
        b.wait(p.end + 3600.0, NAV_MOORED)
    mmsi, static = p.identity(rng, 30, flag, class_b)
    p.add(mmsi, static, class_b, b.track, "background", "fishing")
    return True


def _coastal(p: Planner, rng: random.Random, ship_type: int, class_b: bool, k: int,
             spec: Background) -> bool:
    ports = p.world.ports
    home = rng.randrange(len(ports))
    flag = _home_flag(p, rng, home, spec) if rng.random() < 0.6 else rng.choice(
        ("USA", "GBR", "CAN", "FRA", "NLD"))
    avoid = p.avoid_for(ship_type, flag)
    berth = p.berth(rng, home)
    b = TrackBuilder(p.start - 60.0, *berth)
    speed = rng.uniform(*speed_range(ship_type))
    if rng.random() < 0.5:
        nxt = _next_port(p, rng, home, avoid, 250.0)
        if nxt is not None:
            j, pts = nxt
            b.wait(p.start + rng.uniform(0.0, 0.6) * (p.end - p.start), NAV_MOORED)
            b.go([(ports[home].lat, ports[home].lon)], 3.0)
            p.go_route(b, pts, speed, from_port=True, to_port=True)
            b.go([p.berth(rng, j)], 3.0)
    b.wait(max(b.now, p.end) + 3600.0, NAV_MOORED)
    mmsi, static = p.identity(rng, ship_type, flag, class_b)
    p.add(mmsi, static, class_b, b.track, "background", "coastal")
    return True


def _tug(p: Planner, rng: random.Random, class_b: bool, k: int) -> bool:
    ports = p.world.ports
    home = rng.randrange(len(ports))
    hp = ports[home]
    country = hp.country if hp.country in flag_mids() else None
    flag = country or "PAN"
    berth = p.berth(rng, home)
    b = TrackBuilder(p.start - 60.0, *berth)
    t = p.start + rng.uniform(0.0, 2.0) * 3600.0
    while t < p.end:
        b.wait(t, NAV_MOORED)
        # a short job just off the port and back (escort, line handling)
        spot = _anchorage(p, rng, home)
        b.go([(hp.lat, hp.lon), spot], rng.uniform(6.0, 9.0))
        b.wait(b.now + rng.uniform(0.2, 0.6) * 3600.0, 0)
        b.go([(hp.lat, hp.lon), berth], rng.uniform(6.0, 9.0))
        t = b.now + rng.uniform(1.5, 5.0) * 3600.0
    b.wait(max(b.now, p.end) + 3600.0, NAV_MOORED)
    mmsi, static = p.identity(rng, 52, flag, class_b)
    p.add(mmsi, static, class_b, b.track, "background", "tug")
    return math.isfinite(b.now)
