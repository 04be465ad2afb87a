"""Scripted events and decoys.

Every event happens at an open-sea site (``min_shore_nm`` from shore, 30 km from ports, 40 km
from the other sites, outside every zone) unless the scenario fixes it (``at``), at a time in
``at_h`` (or anywhere that leaves room before and after). The vessels sail there from a port
and on to a port afterwards, along sea routes, so every track is at sea and looks like a
voyage:

* ``gap``: a vessel under way stops transmitting for ``duration_h`` (or to the end);
* ``rendezvous``: two vessels meet, drift side by side ``distance_m`` apart at ``speed_kn``
  for ``duration_h``, then part;
* ``loitering``: one vessel drifts slowly for ``duration_h``;
* ``zone_entry``: a vessel the zone's rule concerns (by default a foreign fishing vessel)
  enters the zone, fishes inside for ``duration_h`` and leaves;
* ``spoofing``: ``jump`` - ``reports`` position reports displaced by ``jump_km``;
  ``shared_mmsi`` - a second transmitter with the same MMSI ``jump_km`` away for
  ``duration_h``;
* ``dark_target``: a vessel that sends no AIS at all sails straight at ``speed_kn`` while a
  radar follows it (a sweep every ``sweep_s`` for ``duration_h``, one radar per event) or a
  SAR satellite images it (``detections`` times in that span), each contact up to
  ``noise_m`` off.

Decoys must not alert: ``fast_crossing`` (two ships pass close at speed), ``short_meeting``
(two vessels slow and close for less than any preset's duration), ``moored_together`` (two
vessels moored side by side in port, one silent for hours), ``zone_transit`` (a vessel the
zone's rule concerns passes ``distance_nm`` outside it; or, ``through = true``, a vessel the
rule does not concern crosses it), ``sensed_ais`` (an AIS vessel on a voyage that a radar or a
SAR satellite also sees, contacts ``noise_m`` off).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mda.exercise.fleet import (
    FISHING_NATIONS,
    Jump,
    PlanError,
    Planner,
    Script,
    Sensing,
    Vessel,
)
from mda.exercise.motion import LatLon, Track, TrackBuilder, offset
from mda.exercise.scenario import EventSpec, Scenario
from mda.geo import haversine_m
from mda.records import NAV_MOORED

if TYPE_CHECKING:
    from zones.catalogue import Zone

SITE_SPACING_KM = 25.0
SITE_PORT_KM = 30.0
H = 3600.0
FOC = ("PAN", "LBR", "MHL", "BHS", "MLT", "ATG", "CYP", "SGP")


class _Draft:
    """Vessels and scripts of one event instance, added to the plan only if all succeed."""

    def __init__(self, p: Planner) -> None:
        self.p = p
        self.vessels: list[Vessel] = []
        self.scripts: list[Script] = []
        self.sites: list[tuple[float, float, float]] = []
        self.sensings: list[Sensing] = []

    def vessel(self, rng: random.Random, ship_type: int, flag: str, track: Track, role: str,
               label: str, **extra: Any) -> Vessel:
        mmsi, static = self.p.identity(rng, ship_type, flag, False)
        v = Vessel(mmsi, static, False, track, role, label, **extra)
        self.vessels.append(v)
        return v

    def twin(self, of: Vessel, track: Track, window: tuple[float, float]) -> Vessel:
        v = Vessel(of.mmsi, of.static, of.class_b, track, of.role, of.label,
                   protect=[window], transmit=window)
        self.vessels.append(v)
        return v

    def commit(self) -> None:
        self.p.vessels += self.vessels
        self.p.scripts += self.scripts
        self.p.used += self.sites
        self.p.sensings += self.sensings

    def abandon(self) -> None:
        for v in self.vessels:
            if v.transmit is None:
                self.p.registry.taken.discard(v.mmsi)


def _when(p: Planner, spec: EventSpec, rng: random.Random, before_h: float, dur_h: float,
          after_h: float) -> float:
    at = spec.params.get("at_h")
    if at is not None:
        return p.start + float(at.pick(rng.random())) * H
    lo = p.start + before_h * H
    hi = p.end - (dur_h + after_h) * H
    if hi < lo:
        raise PlanError(f"the scenario is too short for a {spec.kind} of {dur_h:.1f} h "
                        f"(needs {before_h + dur_h + after_h:.1f} h)")
    return rng.uniform(lo, hi)


def _site(p: Planner, spec: EventSpec, rng: random.Random, min_shore_nm: float) -> LatLon | None:
    at = spec.params.get("at")
    if at is not None:
        return (float(at[0]), float(at[1]))
    pts = p.world.sea_points(rng, 1, min_shore_nm=min_shore_nm, min_port_km=SITE_PORT_KM,
                             avoid=p.used, avoid_zones=p.world.zones)
    return pts[0] if pts else None


def _flag(rng: random.Random, spec: EventSpec, ship_type: int, index: int = 0) -> str:
    flags = spec.params.get("flags")
    if flags:
        return str(flags[index])
    flag = spec.params.get("flag")
    if flag:
        return str(flag)
    return rng.choice(FISHING_NATIONS if ship_type == 30 else FOC)


def _to_and_from(d: _Draft, rng: random.Random, point: LatLon, t: float, speed: float,
                 avoid: Sequence[Zone], legs: Callable[[TrackBuilder], bool] | None = None,
                 min_on_km: float = 0.0) -> TrackBuilder | None:
    """Port -> ``point`` (at ``t``) -> ``legs`` -> a port; None if any part fails."""
    got = d.p.voyage_to(rng, point, t, speed, avoid)
    if got is None:
        return None
    b, port = got
    if legs is not None and not legs(b):
        return None
    if d.p.voyage_from(rng, b, speed, avoid, exclude=[port], min_km=min_on_km) is None:
        return None
    return b


# -- events ------------------------------------------------------------------------------------
GAP_EDGE_MARGIN_DEG = 1.0  # a gap starts at least this far inside the scenario's area


def _gap(d: _Draft, spec: EventSpec, rng: random.Random, eid: str) -> bool:
    p = d.p
    dur = spec.span("duration_h").pick(rng.random())
    speed = spec.span("speed_kn").pick(rng.random())
    ship_type = int(spec.params["ship_type"])
    flag = _flag(rng, spec, ship_type)
    reappear = bool(spec.params["reappear"])
    t = _when(p, spec, rng, 1.5, dur, 1.5 if reappear else 0.0)
    site = _site(p, spec, rng, float(spec.params["min_shore_nm"]))
    if site is None:
        return False
    a = p.world.area
    if spec.params.get("at") is None and not (
            a.min_lat + GAP_EDGE_MARGIN_DEG <= site[0] <= a.max_lat - GAP_EDGE_MARGIN_DEG
            and a.min_lon + GAP_EDGE_MARGIN_DEG <= site[1] <= a.max_lon - GAP_EDGE_MARGIN_DEG):
        # Beyond the area there is no traffic, so a vessel going dark near its edge, heading
        # out, looks as if it sailed out of coverage (the gap detector's ``edge``): keep it in.
        return False
    avoid = p.avoid_for(ship_type, flag)
    b = _to_and_from(d, rng, site, t, speed, avoid, min_on_km=speed * 1.852 * (dur + 1.5))
    if b is None:
        return False
    t1 = t + dur * H if reappear else p.end + H
    v = d.vessel(rng, ship_type, flag, b.track, "event", eid, dark=[(t, t1)],
                 protect=[(t - H, min(t1, p.end) + H)])
    d.scripts.append(Script(eid, "gap", False, [v.mmsi], t, min(t1, p.end), *site,
                            {"duration_h": round(dur, 3), "reappear": reappear}))
    d.sites.append((*site, SITE_SPACING_KM))
    return True


def _pair(d: _Draft, spec: EventSpec, rng: random.Random, eid: str, kind: str,
          decoy: bool) -> bool:
    """Two vessels meet and drift side by side (a rendezvous, or a short meeting decoy)."""
    p = d.p
    dur = spec.span("duration_h").pick(rng.random())
    dist = spec.span("distance_m").pick(rng.random())
    drift = spec.span("speed_kn").pick(rng.random())
    transit = spec.span("transit_kn").pick(rng.random())
    types = [int(x) for x in spec.params["ship_types"]]
    t = _when(p, spec, rng, 2.0, dur, 1.5)
    site = _site(p, spec, rng, float(spec.params["min_shore_nm"]))
    if site is None:
        return False
    course = rng.uniform(0, 360)
    made: list[Vessel] = []
    for side, ship_type in zip((90.0, -90.0), types, strict=True):
        flag = _flag(rng, spec, ship_type, len(made))
        start = offset(*site, dist / 2.0, course + side)
        avoid = p.avoid_for(ship_type, flag, drift)

        def legs(b: TrackBuilder, start: LatLon = start) -> bool:
            b.drift(dur, drift, course)
            return p.world.path_ok([start, b.here])

        b = _to_and_from(d, rng, start, t, transit, avoid, legs)
        if b is None:
            return False
        made.append(d.vessel(rng, ship_type, flag, b.track, "decoy" if decoy else "event", eid,
                             protect=[(t - 0.5 * H, t + dur * H + 0.5 * H)]))
    d.scripts.append(Script(eid, kind, decoy, [v.mmsi for v in made], t, t + dur * H, *site,
                            {"duration_h": round(dur, 3), "distance_m": round(dist, 1),
                             "speed_kn": round(drift, 2)}))
    d.sites.append((*site, SITE_SPACING_KM))
    return True


def _rendezvous(d: _Draft, spec: EventSpec, rng: random.Random, eid: str) -> bool:
    return _pair(d, spec, rng, eid, "rendezvous", False)


def _loitering(d: _Draft, spec: EventSpec, rng: random.Random, eid: str) -> bool:
    p = d.p
    dur = spec.span("duration_h").pick(rng.random())
    slow = spec.span("speed_kn").pick(rng.random())
    transit = spec.span("transit_kn").pick(rng.random())
    ship_type = int(spec.params["ship_type"])
    flag = _flag(rng, spec, ship_type)
    t = _when(p, spec, rng, 1.5, dur, 1.5)
    site = _site(p, spec, rng, float(spec.params["min_shore_nm"]))
    if site is None:
        return False
    avoid = p.avoid_for(ship_type, flag, slow)

    def legs(b: TrackBuilder) -> bool:
        start = b.here
        course = rng.uniform(0, 360)
        parts = rng.randint(2, 3)
        for _ in range(parts):  # a slow meander: the course drifts between legs
            b.drift(dur / parts, slow, course)
            course = (course + rng.uniform(-60, 60)) % 360
        return p.world.path_ok(b.track.points(b.now - dur * H - 1, b.now) or [start])

    b = _to_and_from(d, rng, site, t, transit, avoid, legs)
    if b is None:
        return False
    v = d.vessel(rng, ship_type, flag, b.track, "event", eid,
                 protect=[(t - 0.5 * H, t + dur * H + 0.5 * H)])
    d.scripts.append(Script(eid, "loitering", False, [v.mmsi], t, t + dur * H, *site,
                            {"duration_h": round(dur, 3), "speed_kn": round(slow, 2)}))
    d.sites.append((*site, SITE_SPACING_KM))
    return True


def _zone(p: Planner, spec: EventSpec, key: str = "zone", rng: random.Random | None = None
          ) -> Zone:
    zid = spec.params.get(key)
    if zid is None:
        if not p.world.zones:
            raise PlanError("the scenario has no zones")
        assert rng is not None
        return rng.choice(p.world.zones)
    zone = p.world.zone_by_id.get(str(zid))
    if zone is None:
        known = ", ".join(sorted(p.world.zone_by_id)[:20]) or "none"
        raise PlanError(f"key '{key}': no zone with id {zid!r} (zones: {known})")
    return zone


def _inside_points(p: Planner, zone: Zone, rng: random.Random, n: int) -> list[LatLon]:
    """Random points well inside a zone (2 km from its edge) and at sea (2 nm from shore)."""
    import shapely

    inner = zone.geometry.buffer(-0.02)
    if inner.is_empty:
        inner = zone.geometry
    minx, miny, maxx, maxy = inner.bounds
    out: list[LatLon] = []
    for _ in range(30):
        lons = np.array([rng.uniform(minx, maxx) for _ in range(200)])
        lats = np.array([rng.uniform(miny, maxy) for _ in range(200)])
        ok = shapely.contains_xy(inner, lons, lats)
        ok &= np.nan_to_num(p.world.shore.many_nm(lats, lons), nan=-1.0) >= 2.0
        out += [(float(lats[i]), float(lons[i])) for i in np.flatnonzero(ok)]
        if len(out) >= n:
            return out[:n]
    return out


def _outside(p: Planner, zone: Zone, frm: LatLon, course: float, extra_m: float) -> LatLon:
    """Walking from ``frm`` on ``course``: the first point ``extra_m`` beyond the zone (and
    its margin)."""
    for k in range(1, 400):
        q = offset(*frm, 1000.0 * k, course)
        if not p.world.hits_zone(np.array([q[0]]), np.array([q[1]]), [zone]):
            return offset(*q, extra_m, course)
    return offset(*frm, 400_000.0 + extra_m, course)


def _zone_entry(d: _Draft, spec: EventSpec, rng: random.Random, eid: str) -> bool:
    p = d.p
    zone = _zone(p, spec)
    ship_type = int(spec.params["ship_type"])
    fish = spec.span("speed_kn").pick(rng.random())
    if spec.params.get("flag"):
        flag = str(spec.params["flag"])
    else:
        choices = [f for f in FISHING_NATIONS
                   if zone.rule.matches(ship_type, f, fish, zone.sovereign)]
        if not choices:
            raise PlanError(f"zone {zone.id!r}: its rule concerns none of the default flags; "
                            "give flag = ...")
        flag = rng.choice(choices)
    if not zone.rule.matches(ship_type, flag, fish, zone.sovereign):
        who = zone.rule.describe(zone.kind, zone.sovereign)
        raise PlanError(f"zone {zone.id!r} ({zone.kind}: {who}) does not concern a vessel of "
                        f"type {ship_type} flagged {flag} at {fish:.1f} kn: it would raise no "
                        "alert")
    dur = spec.span("duration_h").pick(rng.random())
    transit = spec.span("transit_kn").pick(rng.random())
    # in and out legs take up to an hour; the exit comes 1.5 h before the end at the latest
    t = _when(p, spec, rng, 2.0, dur + 1.0, 1.5)
    inner = _inside_points(p, zone, rng, 1)
    if not inner:
        raise PlanError(f"zone {zone.id!r}: no room at sea inside it for a vessel")
    inner_geom = zone.geometry.buffer(-0.01)
    if inner_geom.is_empty:
        inner_geom = zone.geometry
    avoid_all = p.avoid_for(ship_type, flag, fish)
    others = [z for z in avoid_all if z.id != zone.id]
    # enter across the edge nearest to a random inside point: a short leg in
    course_out = _towards_edge(zone, inner[0])
    f = _outside(p, zone, inner[0], course_out, 4000.0)
    g1 = _first_inside(inner_geom, f, inner[0])
    if not p.world.path_ok([f, g1], others):
        return False

    exit_t = [t]

    def legs(b: TrackBuilder) -> bool:
        b.go([g1], transit)
        t_in = b.now
        here = g1
        tries = 0
        while b.now - t_in < dur * H and tries < 200:  # fishing: short zig-zag legs inside
            tries += 1
            left_h = dur - (b.now - t_in) / H
            hours = min(left_h, rng.uniform(0.3, 0.8))
            q = offset(*here, fish * 1852.0 * hours, rng.uniform(0, 360))
            if not _stays_inside(p, zone, here, q, inner_geom) or not p.world.path_ok(
                    [here, q], others):
                continue
            b.go([q], fish)
            here = q
        x = _outside(p, zone, here, _towards_edge(zone, here), 4000.0)
        if not p.world.path_ok([here, x], others):
            return False
        b.go([x], transit)
        exit_t[0] = b.now
        return True

    b = _to_and_from(d, rng, f, t, transit, avoid_all, legs)
    if b is None:
        return False
    t_end = exit_t[0]
    v = d.vessel(rng, ship_type, flag, b.track, "event", eid,
                 protect=[(t - 0.5 * H, t_end + H)])
    d.scripts.append(Script(eid, "zone_entry", False, [v.mmsi], t, t_end, *g1,
                            {"duration_h": round(dur, 3), "speed_kn": round(fish, 2),
                             "flag": flag, "ship_type": ship_type}, zone_id=zone.id))
    return True


def _towards_edge(zone: Zone, frm: LatLon) -> float:
    """The course from ``frm`` to the nearest point of the zone's edge."""
    from shapely.geometry import Point
    from shapely.ops import nearest_points

    from mda.exercise.motion import bearing_deg

    edge = nearest_points(zone.geometry.boundary, Point(frm[1], frm[0]))[0]
    return bearing_deg(frm[0], frm[1], float(edge.y), float(edge.x))


def _first_inside(geom: Any, frm: LatLon, to: LatLon) -> LatLon:
    """Walking from ``frm`` towards ``to`` in 500 m steps: the first point inside ``geom``."""
    import shapely

    from mda.exercise.world import densify

    lats, lons = densify([frm, to], 500.0)
    inside = np.flatnonzero(shapely.contains_xy(geom, lons, lats))
    k = int(inside[0]) if len(inside) else len(lats) - 1
    return float(lats[k]), float(lons[k])


def _stays_inside(p: Planner, zone: Zone, a: LatLon, b: LatLon, geom: Any = None) -> bool:
    import shapely

    from mda.exercise.world import densify

    lats, lons = densify([a, b], 500.0)
    return bool(shapely.contains_xy(zone.geometry if geom is None else geom, lons, lats).all())


def _spoofing(d: _Draft, spec: EventSpec, rng: random.Random, eid: str) -> bool:
    p = d.p
    mode = str(spec.params["mode"])
    jump_km = spec.span("jump_km").pick(rng.random())
    speed = spec.span("speed_kn").pick(rng.random())
    ship_type = int(spec.params["ship_type"])
    flag = _flag(rng, spec, ship_type)
    dur = spec.span("duration_h").pick(rng.random()) if mode == "shared_mmsi" else 0.5
    t = _when(p, spec, rng, 1.5, dur, 1.5)
    site = _site(p, spec, rng, float(spec.params["min_shore_nm"]))
    if site is None:
        return False
    avoid = p.avoid_for(ship_type, flag)
    b = _to_and_from(d, rng, site, t, speed, avoid)
    if b is None:
        return False
    far = _far_point(p, rng, site, jump_km)
    if far is None:
        return False
    if mode == "jump":
        reports = int(spec.params["reports"])
        v = d.vessel(rng, ship_type, flag, b.track, "event", eid,
                     protect=[(t - 0.5 * H, t + 0.5 * H)],
                     jumps=[Jump(t, reports, far[0] - site[0], far[1] - site[1])])
        d.scripts.append(Script(eid, "spoofing", False, [v.mmsi], t, t + 600.0, *site,
                                {"mode": mode, "jump_km": round(jump_km, 1), "reports": reports},
                                reason="speed"))
    else:
        twin = _straight(p, rng, far, t, speed, dur, avoid)
        if twin is None:
            return False
        v = d.vessel(rng, ship_type, flag, b.track, "event", eid,
                     protect=[(t - 0.5 * H, t + dur * H + 0.5 * H)])
        d.twin(v, twin, (t, t + dur * H))
        d.scripts.append(Script(eid, "spoofing", False, [v.mmsi], t, t + dur * H, *site,
                                {"mode": mode, "jump_km": round(jump_km, 1),
                                 "duration_h": round(dur, 3)}, reason="shared_mmsi"))
    d.sites.append((*site, SITE_SPACING_KM))
    d.sites.append((*far, SITE_SPACING_KM))
    return True


def _far_point(p: Planner, rng: random.Random, site: LatLon, km: float) -> LatLon | None:
    """A point ``km`` from ``site`` that is at sea (5 nm from shore) and outside zones."""
    start = rng.uniform(0, 360)
    for k in range(24):
        q = offset(*site, km * 1000.0, start + 15.0 * k)
        nm = p.world.shore.distance_nm(*q)
        if nm is not None and nm >= 5.0 and not p.world.hits_zone(
                np.array([q[0]]), np.array([q[1]]), p.world.zones):
            return q
    return None


def _straight(p: Planner, rng: random.Random, frm: LatLon, t: float, speed: float,
              hours: float, avoid: Sequence[Zone]) -> Track | None:
    """A straight leg from ``frm`` at sea for ``hours`` (a twin transmitter's track)."""
    start = rng.uniform(0, 360)
    for k in range(12):
        course = start + 30.0 * k
        to = offset(*frm, speed * 1852.0 * hours, course)
        if p.world.path_ok([frm, to], avoid):
            return Track([t, t + hours * H], [frm[0], to[0]], [frm[1], to[1]], [0])
    return None


def _sensing(d: _Draft, spec: EventSpec, rng: random.Random, eid: str, track: Track,
             t: float, dur: float, length_m: float | None) -> Sensing:
    """The contacts a radar (its own station, a target number) or a SAR satellite makes of
    ``track`` between ``t`` and ``t + dur`` hours."""
    sensor = str(spec.params["sensor"])
    noise = spec.span("noise_m").pick(rng.random())
    t0 = float(int(t))
    if sensor == "radar":
        every = max(1.0, float(spec.params["sweep_s"]))
        times = [t0 + k * every for k in range(int(dur * H // every) + 1)]
        n = len(d.p.sensings) + len(d.sensings) + 1
        source, target = f"mda-radar-{n}", str(rng.randint(1, 99))
    else:
        times = sorted(float(int(rng.uniform(t0, t0 + dur * H)))
                       for _ in range(int(spec.params["detections"])))
        source, target = "mda-sar", eid
    sensing = Sensing(eid, sensor, source, target, track, times, noise, length_m)
    d.sensings.append(sensing)
    return sensing


def _sensed_where(d: _Draft, spec: EventSpec, rng: random.Random, margin_h: float
                  ) -> tuple[float, float, float, LatLon] | None:
    """Duration (h), speed, time and site of a sensed vessel (dark target or decoy)."""
    dur = spec.span("duration_h").pick(rng.random())
    speed = spec.span("speed_kn").pick(rng.random())
    t = _when(d.p, spec, rng, margin_h, dur, margin_h)
    site = _site(d.p, spec, rng, float(spec.params["min_shore_nm"]))
    return None if site is None else (dur, speed, t, site)


def _dark_target(d: _Draft, spec: EventSpec, rng: random.Random, eid: str) -> bool:
    p = d.p
    where = _sensed_where(d, spec, rng, 0.5)
    if where is None:
        return False
    dur, speed, t, site = where
    track = _straight(p, rng, site, t, speed, dur, ())
    if track is None:
        return False
    # no Vessel: it sends nothing; only the sensor's contacts of its track are written
    s = _sensing(d, spec, rng, eid, track, t, dur, spec.span("length_m").pick(rng.random()))
    d.scripts.append(Script(eid, "dark_target", False, [0], s.times[0], s.times[-1], *site,
                            {"sensor": s.sensor, "source": s.source, "target": s.target,
                             "duration_h": round(dur, 3), "speed_kn": round(speed, 2),
                             "noise_m": round(s.noise_m, 1)}))
    d.sites.append((*site, SITE_SPACING_KM))
    return True


# -- decoys ------------------------------------------------------------------------------------
def _sensed_ais(d: _Draft, spec: EventSpec, rng: random.Random, eid: str) -> bool:
    p = d.p
    where = _sensed_where(d, spec, rng, 1.0)
    if where is None:
        return False
    dur, speed, t, site = where
    ship_type = int(spec.params["ship_type"])
    flag = rng.choice(FOC)
    b = _to_and_from(d, rng, site, t, speed, p.avoid_for(ship_type, flag),
                     min_on_km=speed * 1.852 * (dur + 0.5))
    if b is None:
        return False
    v = d.vessel(rng, ship_type, flag, b.track, "decoy", eid,
                 protect=[(t - 0.5 * H, t + dur * H + 0.5 * H)])
    s = _sensing(d, spec, rng, eid, b.track, t, dur, v.static.length_m)
    d.scripts.append(Script(eid, "sensed_ais", True, [v.mmsi], s.times[0], s.times[-1], *site,
                            {"sensor": s.sensor, "source": s.source, "target": s.target,
                             "noise_m": round(s.noise_m, 1)}))
    d.sites.append((*site, SITE_SPACING_KM))
    return True



def _fast_crossing(d: _Draft, spec: EventSpec, rng: random.Random, eid: str) -> bool:
    p = d.p
    t = _when(p, spec, rng, 1.5, 0.5, 1.5)
    site = _site(p, spec, rng, float(spec.params["min_shore_nm"]))
    if site is None:
        return False
    ship_type = int(spec.params["ship_type"])
    made: list[Vessel] = []
    for k in range(2):
        flag = rng.choice(FOC)
        point = site if k == 0 else offset(*site, rng.uniform(50.0, 200.0), rng.uniform(0, 360))
        speed = spec.span("speed_kn").pick(rng.random())
        b = _to_and_from(d, rng, point, t, speed, p.avoid_for(ship_type, flag))
        if b is None:
            return False
        made.append(d.vessel(rng, ship_type, flag, b.track, "decoy", eid))
    d.scripts.append(Script(eid, "fast_crossing", True, [v.mmsi for v in made], t - 0.5 * H,
                            t + 0.5 * H, *site))
    d.sites.append((*site, SITE_SPACING_KM))
    return True


def _short_meeting(d: _Draft, spec: EventSpec, rng: random.Random, eid: str) -> bool:
    return _pair(d, spec, rng, eid, "short_meeting", True)


def _moored_together(d: _Draft, spec: EventSpec, rng: random.Random, eid: str) -> bool:
    p = d.p
    ports = p.world.ports
    name = spec.params.get("port")
    if name is not None:
        idx = [i for i, x in enumerate(ports) if x.name.lower() == str(name).lower()]
        if not idx:
            raise PlanError(f"key 'port': no port named {name!r}")
        port = idx[0]
    else:
        port = rng.randrange(len(ports))
    ship_type = int(spec.params["ship_type"])
    silent = spec.span("silent_h").pick(rng.random())
    dist = spec.span("distance_m").pick(rng.random())
    a = p.berth(rng, port)
    b_pos = offset(*a, dist, rng.uniform(0, 360))
    made: list[Vessel] = []
    ts = _when(p, spec, rng, 1.0, silent, 1.0)
    for k, pos in enumerate((a, b_pos)):
        tr = Track([p.start - 60.0, p.end + H], [pos[0], pos[0]], [pos[1], pos[1]],
                   [NAV_MOORED])
        flag = ports[port].country or rng.choice(FOC)
        flag = flag if flag in _flags() else rng.choice(FOC)
        dark = [(ts, ts + silent * H)] if k == 1 else []
        made.append(d.vessel(rng, ship_type, flag, tr, "decoy", eid, dark=dark))
    d.scripts.append(Script(eid, "moored_together", True, [v.mmsi for v in made], p.start,
                            p.end, *a, {"port": ports[port].name, "silent_h": round(silent, 2),
                                        "distance_m": round(dist, 1)}))
    return True


def _flags() -> set[str]:
    from mda.exercise.scenario import flag_mids

    return set(flag_mids())


def _zone_transit(d: _Draft, spec: EventSpec, rng: random.Random, eid: str) -> bool:
    import shapely
    from shapely.geometry import LineString

    p = d.p
    zone = _zone(p, spec, rng=rng)
    through = bool(spec.params["through"])
    ship_type = int(spec.params["ship_type"])
    speed = spec.span("speed_kn").pick(rng.random())
    if through:
        if "ship_type" not in spec.params or zone.rule.matches(ship_type, "PAN", speed,
                                                                zone.sovereign):
            ship_type = 70
        flag = rng.choice(FOC)
        if zone.rule.matches(ship_type, flag, speed, zone.sovereign):
            raise PlanError(f"zone {zone.id!r}: its rule concerns every vessel, so none can "
                            "cross it as a decoy (through = true)")
    elif spec.params.get("flag"):
        flag = str(spec.params["flag"])
    else:
        choices = [f for f in FISHING_NATIONS
                   if zone.rule.matches(ship_type, f, speed, zone.sovereign)]
        flag = rng.choice(choices or list(FISHING_NATIONS))
    dist_nm = spec.span("distance_nm").pick(rng.random())
    t = _when(p, spec, rng, 1.5, 1.5, 1.5)
    c = zone.geometry.centroid
    centre = (float(c.y), float(c.x))
    alpha = rng.uniform(0, 360)
    avoid = p.avoid_for(ship_type, flag)
    if through:
        minx, miny, maxx, maxy = zone.geometry.bounds
        r = haversine_m(miny, minx, maxy, maxx) / 2.0 + 8000.0
        a, b_end = offset(*centre, r, alpha + 180.0), offset(*centre, r, alpha)
        others = [z for z in avoid if z.id != zone.id]
        if not p.world.path_ok([a, b_end], others):
            return False
    else:
        edge = _outside(p, zone, centre, alpha, 0.0)
        mid = offset(*edge, dist_nm * 1852.0, alpha)
        a = offset(*mid, 15000.0, alpha - 90.0)
        b_end = offset(*mid, 15000.0, alpha + 90.0)
        line = LineString([(a[1], a[0]), (b_end[1], b_end[0])])
        gap_nm = float(shapely.distance(line, zone.geometry)) * 60.0
        if gap_nm < 0.5 * dist_nm or not p.world.path_ok([a, b_end], avoid):
            return False
    leg_h = haversine_m(*a, *b_end) / (speed * 1852.0)

    def legs(b: TrackBuilder) -> bool:
        b.go([b_end], speed)
        return True

    b = _to_and_from(d, rng, a, t, speed, avoid if not through else
                     [z for z in avoid if z.id != zone.id], legs)
    if b is None:
        return False
    v = d.vessel(rng, ship_type, flag, b.track, "decoy", eid)
    d.scripts.append(Script(eid, "zone_transit", True, [v.mmsi], t, t + leg_h * H, *centre,
                            {"distance_nm": round(dist_nm, 2), "through": through,
                             "ship_type": ship_type, "flag": flag}, zone_id=zone.id))
    return True


EVENTS: dict[str, Callable[[_Draft, EventSpec, random.Random, str], bool]] = {
    "gap": _gap, "rendezvous": _rendezvous, "loitering": _loitering,
    "zone_entry": _zone_entry, "spoofing": _spoofing, "dark_target": _dark_target,
}
DECOYS: dict[str, Callable[[_Draft, EventSpec, random.Random, str], bool]] = {
    "fast_crossing": _fast_crossing, "short_meeting": _short_meeting,
    "moored_together": _moored_together, "zone_transit": _zone_transit,
    "sensed_ais": _sensed_ais,
}


def plan_events(p: Planner, scenario: Scenario, rng: random.Random) -> None:
    """Place every event and decoy of the scenario; raises :class:`PlanError` naming the
    table when one cannot be placed."""
    counters: dict[str, int] = {}
    for table, specs, builders in (("events", scenario.events, EVENTS),
                                   ("decoys", scenario.decoys, DECOYS)):
        for spec in specs:
            for n in range(spec.count):
                counters[spec.kind] = counters.get(spec.kind, 0) + 1
                eid = f"{spec.kind}-{counters[spec.kind]:03d}"
                er = random.Random(rng.random())
                for _ in range(40):
                    draft = _Draft(p)
                    try:
                        ok = builders[spec.kind](draft, spec, er, eid)
                    except PlanError as exc:
                        raise PlanError(f"{scenario.path.name}: [[{table}]] #{spec.index} "
                                        f"({spec.kind}): {exc}") from None
                    if ok:
                        draft.commit()
                        break
                    draft.abandon()
                else:
                    raise PlanError(
                        f"{scenario.path.name}: [[{table}]] #{spec.index} ({spec.kind}): could "
                        f"not place instance {n + 1} of {spec.count} at sea with routes to "
                        "ports (check the area, ports, zones and at/at_h)")
