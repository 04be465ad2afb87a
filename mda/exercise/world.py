"""The exercise's world: ports, zones, the shore, routes at sea, open-sea points, and vessel
identities (MMSIs with real MIDs, names, call signs, IMO numbers, dimensions).

Routes between ports come from ``searoute`` (the Eurostat/MARNET maritime network shipped in
the package, no network access) and are checked against the shore: every point along a route,
every 2 km, must be at sea by the landmetrics GSHHG grid (distance to shore above zero) or in a
harbour (within :data:`HARBOUR_KM` of a scenario port). A route that fails is not used.
"""

from __future__ import annotations

import itertools
import math
import random
import string
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from mda.exercise.motion import LatLon
from mda.exercise.scenario import PortSpec, Scenario, flag_mids
from mda.flags import flag_of
from mda.geo import haversine_m
from mda.records import VesselStatic

if TYPE_CHECKING:
    from zones.catalogue import Zone
    from zones.ports import PortIndex
    from zones.shore import ShoreDistance

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

HARBOUR_KM = 10.0  # positions this close to a scenario port may be "on land" on the 0.1° grid
ZONE_MARGIN_DEG = 0.03  # vessels that must stay out of a zone keep ~3 km from it
_R_KM = 6371.0088


def km_many(lat: float, lon: float, lats: FloatArray, lons: FloatArray) -> FloatArray:
    """Great-circle km from one point to many."""
    p1, p2 = math.radians(lat), np.radians(lats)
    a = (np.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * np.cos(p2) * np.sin(np.radians(lons - lon) / 2) ** 2)
    out: FloatArray = 2 * _R_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out


def densify(points: Sequence[LatLon], step_m: float = 2000.0) -> tuple[FloatArray, FloatArray]:
    """Points every ``step_m`` (or closer) along a polyline, the vertices included."""
    if not points:
        return np.empty(0), np.empty(0)
    lats: list[FloatArray] = []
    lons: list[FloatArray] = []
    for (a, b), (c, d) in itertools.pairwise(points):
        n = max(1, math.ceil(haversine_m(a, b, c, d) / step_m))
        s = np.arange(n) / n
        lats.append(a + (c - a) * s)
        lons.append(b + (d - b) * s)
    lats.append(np.array([points[-1][0]]))
    lons.append(np.array([points[-1][1]]))
    return np.concatenate(lats), np.concatenate(lons)


class World:
    """Geography of one exercise (see the module docstring)."""

    def __init__(self, scenario: Scenario, zones: Sequence[Zone], shore: ShoreDistance,
                 extra_ports: PortIndex | None = None) -> None:
        self.scenario = scenario
        self.area = scenario.area
        self.ports: list[PortSpec] = list(scenario.ports)
        self.zones = list(zones)
        self.shore = shore
        self.extra_ports = extra_ports
        self._plat = np.array([p.lat for p in self.ports])
        self._plon = np.array([p.lon for p in self.ports])
        self._routes: dict[tuple[float, float, float, float], list[LatLon] | None] = {}
        self._buffered: dict[str, Any] = {}
        self.zone_by_id = {z.id: z for z in self.zones}

    # -- distances and checks --------------------------------------------------------------
    def port_km(self, lats: FloatArray, lons: FloatArray) -> FloatArray:
        """Distance (km) to the nearest scenario port, for each point (inf without ports)."""
        if not self.ports:
            return np.full(len(lats), np.inf)
        out = np.full(len(lats), np.inf)
        for plat, plon in zip(self._plat, self._plon, strict=True):
            out = np.minimum(out, km_many(float(plat), float(plon), lats, lons))
        return out

    def any_port_km(self, lat: float, lon: float) -> float:
        """Distance (km) to the nearest port of the scenario or of its port files."""
        km = float(self.port_km(np.array([lat]), np.array([lon]))[0])
        if self.extra_ports is not None:
            d = self.extra_ports.distance_km(lat, lon)
            if d is not None:
                km = min(km, d)
        return km

    def at_sea(self, lats: FloatArray, lons: FloatArray) -> BoolArray:
        """At sea (shore distance above zero) or in a harbour (near a scenario port)."""
        nm = self.shore.many_nm(lats, lons)
        sea: BoolArray = np.nan_to_num(nm, nan=1.0) > 0.0
        if not sea.all():
            bad = ~sea
            sea[bad] = self.port_km(lats[bad], lons[bad]) <= HARBOUR_KM
        return sea

    def _zone_geometry(self, zone: Zone) -> Any:
        g = self._buffered.get(zone.id)
        if g is None:
            import shapely

            g = zone.geometry.buffer(ZONE_MARGIN_DEG)
            shapely.prepare(g)
            self._buffered[zone.id] = g
        return g

    def zones_against(self, ship_type: int, flag: str | None, sog_kn: float | None
                      ) -> list[Zone]:
        """The zones whose rule a vessel of this type, flag and speed breaks."""
        return [z for z in self.zones
                if z.rule.matches(ship_type, flag, sog_kn, z.sovereign)]

    def hits_zone(self, lats: FloatArray, lons: FloatArray, zones: Sequence[Zone],
                  margin: bool = True) -> bool:
        """Whether any point is inside (or within the margin of) any of ``zones``."""
        import shapely

        for z in zones:
            g = self._zone_geometry(z) if margin else z.geometry
            minx, miny, maxx, maxy = g.bounds
            near = (lons >= minx) & (lons <= maxx) & (lats >= miny) & (lats <= maxy)
            if near.any() and bool(shapely.contains_xy(g, lons[near], lats[near]).any()):
                return True
        return False

    def path_ok(self, points: Sequence[LatLon], avoid: Sequence[Zone] = ()) -> bool:
        """At sea all along (every 2 km) and clear of the zones in ``avoid``."""
        lats, lons = densify(points)
        if not len(lats) or not bool(self.at_sea(lats, lons).all()):
            return False
        return not (avoid and self.hits_zone(lats, lons, avoid))

    # -- routes ----------------------------------------------------------------------------
    def route(self, a: LatLon, b: LatLon) -> list[LatLon] | None:
        """A sea route from ``a`` to ``b`` (both included), or None when searoute finds none
        or the route touches land outside harbours."""
        key = (round(a[0], 5), round(a[1], 5), round(b[0], 5), round(b[1], 5))
        if key in self._routes:
            return self._routes[key]
        try:
            import searoute  # type: ignore[import-untyped]
        except ImportError:
            raise RuntimeError("exercises need the 'searoute' package for sea routes between "
                               "ports: pip install 'searoute>=1.6,<2'") from None

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                feature = searoute.searoute([a[1], a[0]], [b[1], b[0]], append_orig_dest=True)
                coords = feature["geometry"]["coordinates"]
            except Exception:  # searoute raises plain Exceptions for unroutable points
                coords = []
        pts: list[LatLon] = []
        for lon, lat in coords:
            p = (float(lat), float(lon))
            if not pts or haversine_m(*pts[-1], *p) > 1.0:
                pts.append(p)
        result = pts if len(pts) >= 2 and self.path_ok(pts) else None
        self._routes[key] = result
        return result

    def sea_points(self, rng: random.Random, n: int, *, min_shore_nm: float,
                   min_port_km: float, near: LatLon | None = None, radius_km: float = 0.0,
                   avoid: Sequence[tuple[float, float, float]] = (),
                   avoid_zones: Sequence[Zone] = (), spacing_km: float = 0.0) -> list[LatLon]:
        """Up to ``n`` random open-sea points in the area (or within ``radius_km`` of
        ``near``): at least ``min_shore_nm`` from shore and ``min_port_km`` from ports, at
        least ``km`` from each ``(lat, lon, km)`` in ``avoid`` and ``spacing_km`` from each
        other, outside ``avoid_zones``."""
        out: list[LatLon] = []
        a = self.area
        for _ in range(40):
            k = 256
            if near is None:
                lats = np.array([rng.uniform(a.min_lat, a.max_lat) for _ in range(k)])
                lons = np.array([rng.uniform(a.min_lon, a.max_lon) for _ in range(k)])
            else:
                r = np.sqrt(np.array([rng.random() for _ in range(k)])) * radius_km
                th = np.array([rng.uniform(0, 2 * math.pi) for _ in range(k)])
                lats = near[0] + r * np.cos(th) / 111.32
                lons = near[1] + r * np.sin(th) / (111.32 * max(math.cos(math.radians(near[0])),
                                                                0.01))
            ok = np.nan_to_num(self.shore.many_nm(lats, lons), nan=-1.0) >= max(min_shore_nm,
                                                                                0.5)
            ok &= self.port_km(lats, lons) >= min_port_km
            for alat, alon, km in avoid:
                ok &= km_many(alat, alon, lats, lons) >= km
            for i in np.flatnonzero(ok):
                lat, lon = float(lats[i]), float(lons[i])
                if avoid_zones and self.hits_zone(np.array([lat]), np.array([lon]), avoid_zones):
                    continue
                if self.extra_ports is not None and min_port_km > 0:
                    d = self.extra_ports.distance_km(lat, lon)
                    if d is not None and d < min_port_km:
                        continue
                if spacing_km and any(haversine_m(lat, lon, p[0], p[1]) < 1000.0 * spacing_km
                                      for p in out):
                    continue
                out.append((lat, lon))
                if len(out) >= n:
                    return out
        return out


# -- identities --------------------------------------------------------------------------------
_ADJ = ("ATLANTIC", "CARIB", "CORAL", "GOLDEN", "OCEAN", "PACIFIC", "ROYAL", "SEA", "SILVER",
        "STAR", "TROPIC", "BLUE", "NORTHERN", "SOUTHERN", "EASTERN", "WESTERN", "GRAND", "BRAVE",
        "SWIFT", "LUCKY", "ISLAND", "AMBER", "JADE", "CRYSTAL", "MIGHTY", "NOBLE")
_NOUN = ("TRADER", "SPIRIT", "PIONEER", "VOYAGER", "EXPRESS", "HARMONY", "GLORY", "HORIZON",
         "PRIDE", "PEARL", "BREEZE", "WIND", "DAWN", "VENTURE", "MARINER", "NAVIGATOR",
         "CARRIER", "QUEEN", "PRINCESS", "ENDEAVOUR", "FORTUNE", "LEGACY", "MERIDIAN", "ARROW")
_FISH = ("DONA MARIA", "SANTA ROSA", "LA PERLA", "MI ESPERANZA", "DON PEDRO", "EL PESCADOR",
         "SAN JUAN", "LADY GRACE", "MISS KAREN", "NUESTRA SENORA", "CAPTAIN JACK", "LA GAVIOTA",
         "EL CARIBE", "VIRGEN DEL MAR", "SEA HUNTER", "BLUE MARLIN", "DORADO", "PELICANO")
_LEISURE = ("SEA DREAM", "ISLAND TIME", "SALTY DOG", "BLUE BAYOU", "REEL THERAPY", "KNOT WORKING",
            "AQUA VIDA", "WANDERLUST", "SEA LA VIE", "TRADEWINDS", "MOONDANCE", "SERENITY")

# (length range m) by AIS ship type decade / code
_LENGTH = {30: (15, 45), 31: (20, 35), 36: (9, 18), 37: (8, 25), 40: (30, 60), 52: (20, 35),
           60: (80, 200), 70: (110, 300), 80: (100, 250)}


def _imo(rng: random.Random) -> int:
    """A 7-digit IMO number with a valid check digit."""
    digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(5)]
    check = sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return int("".join(map(str, digits)) + str(check))


def ship_length(rng: random.Random, ship_type: int) -> float:
    lo, hi = _LENGTH.get(ship_type, _LENGTH.get(ship_type // 10 * 10, (20, 120)))
    return float(rng.randint(lo, hi))


class Registry:
    """Unique MMSIs (a real MID of the flag, six random digits) and plausible static data."""

    def __init__(self, taken: set[int] | None = None) -> None:
        self.taken: set[int] = set(taken or ())

    def mmsi(self, rng: random.Random, flag: str) -> int:
        mids = flag_mids().get(flag)
        if not mids:
            raise ValueError(f"no MID for flag {flag}")
        for _ in range(1000):
            m = rng.choice(mids) * 1_000_000 + rng.randint(100_000, 999_999)
            if m not in self.taken:
                self.taken.add(m)
                return m
        raise RuntimeError(f"cannot find a free MMSI for {flag}")  # pragma: no cover

    def static(self, rng: random.Random, mmsi: int, ship_type: int, class_b: bool,
               t: Any, destination: str = "") -> VesselStatic:
        if ship_type == 30:
            name = rng.choice(_FISH) + ("" if rng.random() < 0.4 else f" {rng.randint(1, 9)}")
        elif ship_type in (36, 37):
            name = rng.choice(_LEISURE)
        else:
            name = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
        length = ship_length(rng, ship_type)
        flag = flag_of(mmsi)
        prefix = (flag.iso3[:1] if flag else "X")
        callsign = prefix + "".join(rng.choice(string.ascii_uppercase + string.digits)
                                    for _ in range(rng.randint(3, 5)))
        big = not class_b and ship_type not in (30, 36, 37) and length >= 60
        return VesselStatic(
            ts=t, mmsi=mmsi, imo=_imo(rng) if big else None, name=name[:20],
            callsign=callsign[:7], ship_type=ship_type, length_m=length,
            beam_m=float(max(3, round(length / 6.5))),
            draught_m=round(min(15.0, 1.0 + length / 22.0), 1) if not class_b else None,
            destination=destination[:20])
