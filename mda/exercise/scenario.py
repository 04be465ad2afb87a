"""The scenario file: an exercise's area, time span, ports, zones, background traffic, reception
(noise) and scripted events and decoys. TOML; documented in ``docs/exercises.md``.

:func:`load_scenario` checks every table and key and raises :class:`ScenarioError` with a
message that names the file and the key (``small.toml: [[events]] #3 (rendezvous) key
'duration_h': ...``). Unknown keys are errors, so a typo never silently becomes a default.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from mda.flags import flag_of
from mda.records import SEVERITIES, AlertKind, parse_utc

# AIS ship type codes (ITU-R M.1371-5, Table 53) by the names a scenario may use.
SHIP_TYPES: dict[str, int] = {
    "fishing": 30, "towing": 31, "dredging": 33, "military": 35, "sailing": 36,
    "pleasure": 37, "high_speed": 40, "pilot": 50, "sar": 51, "tug": 52,
    "law_enforcement": 55, "passenger": 60, "cargo": 70, "reefer": 70, "tanker": 80,
    "other": 90,
}
EVENT_KINDS: tuple[AlertKind, ...] = ("gap", "rendezvous", "loitering", "zone_entry", "spoofing",
                                      "dark_target")
DECOY_KINDS = ("fast_crossing", "short_meeting", "moored_together", "zone_transit",
               "sensed_ais")
SENSORS = ("radar", "sar")
ZONE_KINDS = ("eez", "territorial_sea", "contiguous_zone", "fishing_zone", "mpa", "closure",
              "restricted", "exercise")
BACKGROUND_TYPES = ("cargo", "tanker", "passenger", "high_speed", "fishing", "pleasure",
                    "sailing", "tug")


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Span:
    """A number or a range ``[lo, hi]``; each event draws its own value from it."""

    lo: float
    hi: float

    def pick(self, u: float) -> float:
        """The value at ``u`` in [0, 1) (callers pass a seeded random number)."""
        return self.lo + (self.hi - self.lo) * u

    def to_json(self) -> float | list[float]:
        return self.lo if self.lo == self.hi else [self.lo, self.hi]


@dataclass(frozen=True, slots=True)
class PortSpec:
    name: str
    lat: float
    lon: float
    country: str | None = None  # ISO 3166-1 alpha-3: the flag of the port's own vessels


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    """A zone the scenario defines itself; written to the exercise's ``zones.geojson``."""

    id: str
    name: str
    kind: str
    ring: tuple[tuple[float, float], ...]  # (lon, lat) vertices, closed
    sovereign: str | None = None
    rule: Mapping[str, Any] = field(default_factory=dict)  # per-zone rule overrides


@dataclass(frozen=True, slots=True)
class Area:
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


@dataclass(frozen=True, slots=True)
class Background:
    vessels: int = 0
    mix: tuple[tuple[str, float], ...] = (("cargo", 35.0), ("tanker", 15.0),
                                          ("passenger", 5.0), ("fishing", 25.0),
                                          ("pleasure", 15.0), ("tug", 5.0))
    flags: tuple[str, ...] = ("PAN", "LBR", "MHL", "BHS", "MLT", "ATG", "SGP", "CYP")
    in_port_share: float = 0.25
    class_b_share: tuple[tuple[str, float], ...] = (("fishing", 0.4), ("pleasure", 1.0),
                                                    ("sailing", 1.0))
    ais_file: Path | None = None
    ais_shift: bool = True
    routes: tuple[tuple[str, str], ...] = ()  # port name pairs; empty: between any ports


@dataclass(frozen=True, slots=True)
class Reception:
    keep_every_s: float = 0.0
    static_every_s: float = 360.0
    jitter_m: float = 5.0
    duplicates: float = 0.02
    out_of_order: float = 0.003
    max_delay_s: float = 120.0
    corrupt: float = 0.001
    natural_gaps_per_day: float = 2.0
    natural_gap_min: Span = Span(3.0, 20.0)


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One ``[[events]]`` or ``[[decoys]]`` table: ``count`` instances of ``kind``."""

    kind: str
    count: int
    index: int  # position in the file (1-based), for messages
    params: Mapping[str, Any]

    def span(self, key: str) -> Span:
        value = self.params[key]
        assert isinstance(value, Span)
        return value


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    seed: int
    start: datetime
    duration_h: float
    area: Area
    description: str = ""
    ports: tuple[PortSpec, ...] = ()
    zones: tuple[ZoneSpec, ...] = ()
    zone_files: tuple[str, ...] = ()
    port_files: tuple[str, ...] = ()
    background: Background = field(default_factory=Background)
    reception: Reception = field(default_factory=Reception)
    events: tuple[EventSpec, ...] = ()
    decoys: tuple[EventSpec, ...] = ()

    @property
    def start_s(self) -> float:
        return self.start.timestamp()

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_h * 3600.0


# -- parameters of each event and decoy kind: key -> default (the default's type is the type) --
_REQUIRED = object()

_COMMON: dict[str, Any] = {"count": 1, "at": None, "at_h": None}
EVENT_PARAMS: dict[str, dict[str, Any]] = {
    "gap": {"duration_h": Span(3.0, 4.0), "speed_kn": Span(10.0, 14.0), "ship_type": "cargo",
            "flag": None, "reappear": True, "min_shore_nm": 30.0},
    "rendezvous": {"duration_h": Span(1.5, 2.5), "distance_m": Span(100.0, 300.0),
                   "speed_kn": Span(0.2, 1.0), "transit_kn": Span(9.0, 12.0),
                   "ship_types": ("fishing", "reefer"), "flags": None, "min_shore_nm": 30.0},
    "loitering": {"duration_h": Span(4.0, 6.0), "speed_kn": Span(0.2, 1.2),
                  "transit_kn": Span(10.0, 13.0), "ship_type": "tanker", "flag": None,
                  "min_shore_nm": 30.0},
    "zone_entry": {"zone": _REQUIRED, "duration_h": Span(1.5, 3.0), "speed_kn": Span(2.6, 4.5),
                   "transit_kn": Span(8.0, 10.0), "ship_type": "fishing", "flag": None},
    "spoofing": {"mode": "jump", "jump_km": Span(80.0, 200.0), "reports": 1,
                 "duration_h": Span(2.0, 3.0), "speed_kn": Span(10.0, 14.0),
                 "ship_type": "cargo", "flag": None, "min_shore_nm": 30.0},
    # a vessel that sends no AIS, seen by a radar (a track of sweeps every sweep_s for
    # duration_h) or by a SAR satellite (``detections`` images in that time)
    "dark_target": {"sensor": "radar", "duration_h": Span(0.5, 1.0),
                    "speed_kn": Span(5.0, 12.0), "sweep_s": 6.0, "noise_m": Span(50.0, 150.0),
                    "detections": 1, "length_m": Span(15.0, 60.0), "min_shore_nm": 20.0},
}
DECOY_PARAMS: dict[str, dict[str, Any]] = {
    "fast_crossing": {"speed_kn": Span(10.0, 14.0), "ship_type": "cargo", "min_shore_nm": 20.0},
    "short_meeting": {"duration_h": Span(0.2, 0.4), "distance_m": Span(100.0, 300.0),
                      "speed_kn": Span(0.3, 1.0), "transit_kn": Span(9.0, 12.0),
                      "ship_types": ("fishing", "reefer"), "min_shore_nm": 30.0},
    "moored_together": {"port": None, "silent_h": Span(3.0, 5.0), "distance_m": Span(20.0, 50.0),
                        "ship_type": "tanker"},
    "zone_transit": {"zone": None, "distance_nm": Span(2.0, 4.0), "speed_kn": Span(8.0, 10.0),
                     "ship_type": "fishing", "flag": None, "through": False},
    # an AIS-transmitting vessel that a radar or a SAR satellite also sees (must not alert)
    "sensed_ais": {"sensor": "radar", "duration_h": Span(0.5, 1.0),
                   "speed_kn": Span(9.0, 13.0), "sweep_s": 6.0, "noise_m": Span(100.0, 300.0),
                   "detections": 1, "ship_type": "cargo", "min_shore_nm": 20.0},
}
_MODES = ("jump", "shared_mmsi")


class _Where:
    """Builds error messages that name the file and the table."""

    def __init__(self, path: Path, table: str) -> None:
        self.path = path
        self.table = table

    def fail(self, key: str | None, message: str) -> ScenarioError:
        where = f"{self.path.name}: {self.table}"
        if key is not None:
            where += f" key '{key}'"
        return ScenarioError(f"{where}: {message}")

    def unknown(self, values: Mapping[str, Any], known: list[str] | tuple[str, ...]) -> None:
        extra = sorted(set(values) - set(known))
        if extra:
            raise self.fail(extra[0], f"unknown key (known: {', '.join(sorted(known))})")

    def number(self, values: Mapping[str, Any], key: str, default: Any = _REQUIRED, *,
               lo: float | None = 0.0, hi: float | None = None) -> float:
        if key not in values:
            if default is _REQUIRED:
                raise self.fail(key, "is required")
            return float(default)
        v = values[key]
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.fail(key, f"must be a number, not {v!r}")
        if lo is not None and v < lo:
            raise self.fail(key, f"must be at least {lo:g}, got {v!r}")
        if hi is not None and v > hi:
            raise self.fail(key, f"must be at most {hi:g}, got {v!r}")
        return float(v)

    def integer(self, values: Mapping[str, Any], key: str, default: Any = _REQUIRED,
                lo: int = 0) -> int:
        if key not in values:
            if default is _REQUIRED:
                raise self.fail(key, "is required")
            return int(default)
        v = values[key]
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(key, f"must be a whole number, not {v!r}")
        if v < lo:
            raise self.fail(key, f"must be at least {lo}, got {v!r}")
        return v

    def text(self, values: Mapping[str, Any], key: str, default: Any = _REQUIRED) -> str:
        if key not in values:
            if default is _REQUIRED:
                raise self.fail(key, "is required")
            return str(default)
        v = values[key]
        if not isinstance(v, str) or not v.strip():
            raise self.fail(key, f"must be a non-empty string, not {v!r}")
        return v.strip()

    def flag(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or value.upper() not in flag_mids():
            raise self.fail(key, f"must be an ISO 3166-1 alpha-3 flag with an ITU MID "
                                 f"(e.g. 'PAN', 'JAM'), not {value!r}")
        return value.upper()

    def span(self, value: Any, key: str) -> Span:
        if isinstance(value, bool):
            raise self.fail(key, f"must be a number or [min, max], not {value!r}")
        if isinstance(value, int | float):
            if value < 0:
                raise self.fail(key, f"must not be negative, got {value!r}")
            return Span(float(value), float(value))
        if (isinstance(value, list) and len(value) == 2
                and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)):
            lo, hi = float(value[0]), float(value[1])
            if lo < 0 or hi < lo:
                raise self.fail(key, f"must be [min, max] with 0 <= min <= max, got {value!r}")
            return Span(lo, hi)
        raise self.fail(key, f"must be a number or [min, max], not {value!r}")

    def ship_type(self, value: Any, key: str) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 99:
            return value
        if isinstance(value, str) and value.lower() in SHIP_TYPES:
            return SHIP_TYPES[value.lower()]
        raise self.fail(key, f"must be an AIS ship type code (1-99) or one of "
                             f"{', '.join(sorted(SHIP_TYPES))}, not {value!r}")


_FLAG_MIDS: dict[str, tuple[int, ...]] = {}


def flag_mids() -> dict[str, tuple[int, ...]]:
    """ISO alpha-3 flag -> the MIDs allocated to it (from the ITU table ``mda.flags`` reads)."""
    if not _FLAG_MIDS:
        found: dict[str, list[int]] = {}
        for mid in range(201, 776):
            flag = flag_of(mid * 1_000_000)
            if flag is not None:
                found.setdefault(flag.iso3, []).append(mid)
        _FLAG_MIDS.update({k: tuple(v) for k, v in found.items()})
    return _FLAG_MIDS


def _start_time(w: _Where, values: Mapping[str, Any]) -> datetime:
    if "start" not in values:
        raise w.fail("start", "is required (e.g. start = 2024-03-12T00:00:00Z)")
    v = values["start"]
    if isinstance(v, str):
        try:
            v = parse_utc(v)
        except ValueError:
            raise w.fail("start", f"not an ISO 8601 time: {v!r}") from None
    if isinstance(v, datetime):
        return v.astimezone(UTC) if v.tzinfo else v.replace(tzinfo=UTC)
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day, tzinfo=UTC)
    raise w.fail("start", f"must be a date-time, not {v!r}")


def _ports(path: Path, rows: Any) -> list[PortSpec]:
    if not isinstance(rows, list):
        raise _Where(path, "[[ports]]").fail(None, "must be an array of tables [[ports]]")
    out: list[PortSpec] = []
    for i, row in enumerate(rows, 1):
        w = _Where(path, f"[[ports]] #{i}")
        if not isinstance(row, dict):
            raise w.fail(None, "must be a table")
        w.unknown(row, ("name", "lat", "lon", "country"))
        country = w.flag(row["country"], "country") if "country" in row else None
        out.append(PortSpec(w.text(row, "name"), w.number(row, "lat", lo=-90, hi=90),
                            w.number(row, "lon", lo=-180, hi=180), country))
    return out


def _circle(lat: float, lon: float, radius_nm: float, n: int = 48) -> tuple[tuple[float, float],
                                                                             ...]:
    import math

    pts = []
    for k in range(n):
        a = 2 * math.pi * k / n
        dlat = radius_nm / 60.0 * math.cos(a)
        dlon = radius_nm / 60.0 * math.sin(a) / max(math.cos(math.radians(lat)), 0.01)
        pts.append((round(lon + dlon, 6), round(lat + dlat, 6)))
    pts.append(pts[0])
    return tuple(pts)


_RULE_KEYS = ("ship_types", "foreign_only", "min_sog_kn", "max_sog_kn", "severity")


def _zones(path: Path, rows: Any) -> list[ZoneSpec]:
    if not isinstance(rows, list):
        raise _Where(path, "[[zones]]").fail(None, "must be an array of tables [[zones]]")
    out: list[ZoneSpec] = []
    for i, row in enumerate(rows, 1):
        w = _Where(path, f"[[zones]] #{i}")
        if not isinstance(row, dict):
            raise w.fail(None, "must be a table")
        w.unknown(row, ("id", "name", "kind", "sovereign", "polygon", "circle", *_RULE_KEYS))
        kind = w.text(row, "kind")
        if kind not in ZONE_KINDS:
            raise w.fail("kind", f"must be one of {', '.join(ZONE_KINDS)}, not {kind!r}")
        sovereign = w.flag(row["sovereign"], "sovereign") if "sovereign" in row else None
        if ("polygon" in row) == ("circle" in row):
            raise w.fail("polygon", "give either polygon = [[lon, lat], ...] or "
                                    "circle = {lat = .., lon = .., radius_nm = ..}")
        if "polygon" in row:
            poly = row["polygon"]
            if (not isinstance(poly, list) or len(poly) < 3 or not all(
                    isinstance(p, list) and len(p) == 2
                    and all(isinstance(x, int | float) and not isinstance(x, bool) for x in p)
                    for p in poly)):
                raise w.fail("polygon", "must be a list of at least three [lon, lat] pairs")
            ring = [(float(p[0]), float(p[1])) for p in poly]
            for lon, lat in ring:
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise w.fail("polygon", f"[{lon}, {lat}] is not a [lon, lat] position")
            if ring[0] != ring[-1]:
                ring.append(ring[0])
            ring_t = tuple(ring)
        else:
            c = row["circle"]
            if not isinstance(c, dict):
                raise w.fail("circle", "must be a table {lat = .., lon = .., radius_nm = ..}")
            cw = _Where(path, f"[[zones]] #{i} circle")
            cw.unknown(c, ("lat", "lon", "radius_nm"))
            ring_t = _circle(cw.number(c, "lat", lo=-90, hi=90),
                             cw.number(c, "lon", lo=-180, hi=180),
                             cw.number(c, "radius_nm", lo=0.1))
        rule: dict[str, Any] = {}
        if "ship_types" in row:
            st = row["ship_types"]
            if not isinstance(st, list):
                raise w.fail("ship_types", "must be a list of AIS ship types ([] = every vessel)")
            rule["ship_types"] = [w.ship_type(x, "ship_types") for x in st]
        if "foreign_only" in row:
            if not isinstance(row["foreign_only"], bool):
                raise w.fail("foreign_only", "must be true or false")
            rule["foreign_only"] = row["foreign_only"]
        for key in ("min_sog_kn", "max_sog_kn"):
            if key in row:
                rule[key] = w.number(row, key)
        if "severity" in row:
            sev = w.text(row, "severity")
            if sev not in SEVERITIES:
                raise w.fail("severity", f"must be info, low, medium or high, not {sev!r}")
            rule["severity"] = sev
        out.append(ZoneSpec(w.text(row, "id"), w.text(row, "name"), kind, ring_t, sovereign,
                            rule))
    ids = [z.id for z in out]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise _Where(path, "[[zones]]").fail("id", f"zone id {dup[0]!r} is used twice")
    return out


def _events(path: Path, rows: Any, table: str,
            kinds: dict[str, dict[str, Any]]) -> list[EventSpec]:
    if not isinstance(rows, list):
        raise _Where(path, f"[[{table}]]").fail(None, f"must be an array of tables [[{table}]]")
    out: list[EventSpec] = []
    for i, row in enumerate(rows, 1):
        w = _Where(path, f"[[{table}]] #{i}")
        if not isinstance(row, dict):
            raise w.fail(None, "must be a table")
        kind = w.text(row, "kind")
        if kind not in kinds:
            raise w.fail("kind", f"must be one of {', '.join(kinds)}, not {kind!r}")
        w = _Where(path, f"[[{table}]] #{i} ({kind})")
        spec = {**_COMMON, **kinds[kind]}
        w.unknown(row, ("kind", *spec))
        params: dict[str, Any] = {}
        for key, default in spec.items():
            if key == "count":
                continue
            if key not in row:
                if default is _REQUIRED:
                    raise w.fail(key, "is required")
                params[key] = default
                continue
            v = row[key]
            if key == "at":
                if (not isinstance(v, list) or len(v) != 2 or not all(
                        isinstance(x, int | float) and not isinstance(x, bool) for x in v)
                        or not (-90 <= v[0] <= 90 and -180 <= v[1] <= 180)):
                    raise w.fail(key, f"must be [lat, lon], not {v!r}")
                params[key] = (float(v[0]), float(v[1]))
            elif key == "at_h" or isinstance(default, Span):
                params[key] = w.span(v, key)
            elif key == "ship_type":
                params[key] = w.ship_type(v, key)
            elif key == "ship_types":
                if not isinstance(v, list) or len(v) != 2:
                    raise w.fail(key, f"must be a list of two ship types, not {v!r}")
                params[key] = tuple(w.ship_type(x, key) for x in v)
            elif key == "flag":
                params[key] = w.flag(v, key)
            elif key == "flags":
                if not isinstance(v, list) or len(v) != 2:
                    raise w.fail(key, f"must be a list of two flags, not {v!r}")
                params[key] = tuple(w.flag(x, key) for x in v)
            elif key in ("reappear", "through"):
                if not isinstance(v, bool):
                    raise w.fail(key, f"must be true or false, not {v!r}")
                params[key] = v
            elif key in ("reports", "detections"):
                params[key] = w.integer(row, key, lo=1)
            elif key == "sensor":
                if v not in SENSORS:
                    raise w.fail(key, f"must be one of {', '.join(SENSORS)}, not {v!r}")
                params[key] = v
            elif key == "mode":
                if v not in _MODES:
                    raise w.fail(key, f"must be one of {', '.join(_MODES)}, not {v!r}")
                params[key] = v
            elif key in ("zone", "port"):
                params[key] = w.text(row, key)
            elif isinstance(default, float):
                params[key] = w.number(row, key)
            else:  # pragma: no cover - every key of the tables above is handled
                raise w.fail(key, "unsupported")
        for key in ("ship_type", "ship_types"):
            value = params.get(key)
            if isinstance(value, str):
                params[key] = SHIP_TYPES[value]
            elif isinstance(value, tuple):
                params[key] = tuple(SHIP_TYPES[x] if isinstance(x, str) else x for x in value)
        count = w.integer(row, "count", 1, lo=1)
        if params.get("at") is not None and count > 1:
            raise w.fail("at", "a fixed position needs count = 1")
        out.append(EventSpec(kind, count, i, params))
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"scenario file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path.name}: not valid TOML: {exc}") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file (see the module docstring and ``docs/exercises.md``)."""
    p = Path(path)
    data = _read_toml(p)
    top = _Where(p, "top level")
    top.unknown(data, ("include", "scenario", "area", "ports", "zones", "geography",
                       "background", "reception", "events", "decoys"))
    ports: list[PortSpec] = []
    zones: list[ZoneSpec] = []
    includes = data.get("include", [])
    if not isinstance(includes, list) or not all(isinstance(x, str) for x in includes):
        raise top.fail("include", "must be a list of file names")
    for name in includes:
        inc = (p.parent / name).resolve()
        if inc == p.resolve():
            raise top.fail("include", "a file cannot include itself")
        sub = _read_toml(inc)
        _Where(inc, "top level").unknown(sub, ("ports", "zones"))
        ports += _ports(inc, sub.get("ports", []))
        zones += _zones(inc, sub.get("zones", []))
    ports += _ports(p, data.get("ports", []))
    zones += _zones(p, data.get("zones", []))
    ids = [z.id for z in zones]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[0]
        raise _Where(p, "[[zones]]").fail("id", f"zone id {dup!r} is defined twice "
                                                "(here or in an included file)")
    names = [x.name for x in ports]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})[0]
        raise _Where(p, "[[ports]]").fail("name", f"port {dup!r} is defined twice")

    meta = data.get("scenario")
    if not isinstance(meta, dict):
        raise top.fail("scenario", "a [scenario] table with name, start and duration_h is "
                                   "required")
    w = _Where(p, "[scenario]")
    w.unknown(meta, ("name", "description", "seed", "start", "duration_h"))
    name = w.text(meta, "name")
    description = w.text(meta, "description", "") if meta.get("description") else ""
    seed = w.integer(meta, "seed", 0)
    start = _start_time(w, meta)
    duration_h = w.number(meta, "duration_h", lo=0.5, hi=24 * 14)

    area = _area(p, data.get("area"), ports)
    geo = data.get("geography", {})
    gw = _Where(p, "[geography]")
    if not isinstance(geo, dict):
        raise top.fail("geography", "must be a table")
    gw.unknown(geo, ("zones", "ports"))
    zone_files = _file_list(gw, geo, "zones", p.parent, kind_prefix=True)
    port_files = _file_list(gw, geo, "ports", p.parent, kind_prefix=False)

    background = _background(p, data.get("background", {}), set(names))
    reception = _reception(p, data.get("reception", {}))
    events = _events(p, data.get("events", []), "events", EVENT_PARAMS)
    decoys = _events(p, data.get("decoys", []), "decoys", DECOY_PARAMS)
    if not ports and not port_files and (background.vessels or events or decoys):
        raise top.fail("ports", "traffic needs ports: give [[ports]] or [geography] ports")
    return Scenario(p, name, seed, start, duration_h, area, description, tuple(ports),
                    tuple(zones), tuple(zone_files), tuple(port_files), background, reception,
                    tuple(events), tuple(decoys))


def _file_list(w: _Where, values: Mapping[str, Any], key: str, base: Path,
               kind_prefix: bool) -> list[str]:
    v = values.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise w.fail(key, "must be a list of file names")
    out = []
    for item in v:
        kind, sep, rest = item.partition("=")
        if kind_prefix and sep and kind and "/" not in kind:
            path = rest if Path(rest).is_absolute() else str((base / rest).resolve())
            out.append(f"{kind}={path}")
        else:
            out.append(item if Path(item).is_absolute() else str((base / item).resolve()))
    for item in out:
        file = item.partition("=")[2] if kind_prefix and "=" in item else item
        if not Path(file).is_file():
            raise w.fail(key, f"file not found: {file}")
    return out


def _area(path: Path, values: Any, ports: list[PortSpec]) -> Area:
    w = _Where(path, "[area]")
    if values is None:
        if not ports:
            raise w.fail(None, "is required when the scenario lists no ports")
        lats = [x.lat for x in ports]
        lons = [x.lon for x in ports]
        return Area(min(lats) - 1.0, max(lats) + 1.0, min(lons) - 1.0, max(lons) + 1.0)
    if not isinstance(values, dict):
        raise w.fail(None, "must be a table with min_lat, max_lat, min_lon, max_lon")
    w.unknown(values, ("min_lat", "max_lat", "min_lon", "max_lon"))
    a = Area(w.number(values, "min_lat", lo=-90, hi=90), w.number(values, "max_lat", lo=-90,
                                                                  hi=90),
             w.number(values, "min_lon", lo=-180, hi=180),
             w.number(values, "max_lon", lo=-180, hi=180))
    if a.min_lat >= a.max_lat or a.min_lon >= a.max_lon:
        raise w.fail("min_lat", "the area must have min_lat < max_lat and min_lon < max_lon")
    return a


def _background(path: Path, values: Any, port_names: set[str]) -> Background:
    w = _Where(path, "[background]")
    if not isinstance(values, dict):
        raise w.fail(None, "must be a table")
    w.unknown(values, ("vessels", "mix", "flags", "in_port_share", "class_b_share", "ais_file",
                       "ais_shift", "routes"))
    d = Background()
    mix = d.mix
    if "mix" in values:
        m = values["mix"]
        if not isinstance(m, dict) or not m:
            raise w.fail("mix", "must be a table of ship type = weight")
        for k in m:
            if k not in BACKGROUND_TYPES:
                raise w.fail("mix", f"unknown type {k!r} (known: {', '.join(BACKGROUND_TYPES)})")
        mw = _Where(path, "[background] mix")
        mix = tuple((k, mw.number(m, k)) for k in m)
        if sum(x for _, x in mix) <= 0:
            raise w.fail("mix", "the weights must not all be zero")
    flags = d.flags
    if "flags" in values:
        f = values["flags"]
        if not isinstance(f, list) or not f:
            raise w.fail("flags", "must be a non-empty list of flags")
        flags = tuple(w.flag(x, "flags") for x in f)
    cbs = d.class_b_share
    if "class_b_share" in values:
        c = values["class_b_share"]
        if not isinstance(c, dict):
            raise w.fail("class_b_share", "must be a table of ship type = share (0-1)")
        cw = _Where(path, "[background] class_b_share")
        for k in c:
            if k not in BACKGROUND_TYPES:
                raise cw.fail(k, f"unknown type (known: {', '.join(BACKGROUND_TYPES)})")
        cbs = tuple((k, cw.number(c, k, hi=1.0)) for k in c)
    ais_file: Path | None = None
    if "ais_file" in values:
        name = w.text(values, "ais_file")
        ais_file = Path(name) if Path(name).is_absolute() else (path.parent / name).resolve()
        if not ais_file.is_file():
            raise w.fail("ais_file", f"file not found: {ais_file}")
    shift = values.get("ais_shift", True)
    if not isinstance(shift, bool):
        raise w.fail("ais_shift", "must be true or false")
    routes: list[tuple[str, str]] = []
    for pair in values.get("routes", []):
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(isinstance(x, str) for x in pair) or pair[0] == pair[1]):
            raise w.fail("routes", f"must be a list of [\"PORT\", \"OTHER PORT\"] pairs, not "
                                   f"{pair!r}")
        missing = [x for x in pair if x not in port_names]
        if missing:
            raise w.fail("routes", f"no port named {missing[0]!r} in [[ports]]")
        routes.append((pair[0], pair[1]))
    return Background(w.integer(values, "vessels", 0), mix, flags,
                      w.number(values, "in_port_share", d.in_port_share, hi=1.0), cbs,
                      ais_file, shift, tuple(routes))


def _reception(path: Path, values: Any) -> Reception:
    w = _Where(path, "[reception]")
    if not isinstance(values, dict):
        raise w.fail(None, "must be a table")
    d = Reception()
    keys = ("keep_every_s", "static_every_s", "jitter_m", "duplicates", "out_of_order",
            "max_delay_s", "corrupt", "natural_gaps_per_day", "natural_gap_min")
    w.unknown(values, keys)
    gap_min = (w.span(values["natural_gap_min"], "natural_gap_min")
               if "natural_gap_min" in values else d.natural_gap_min)
    if gap_min.hi > 90:
        raise w.fail("natural_gap_min", "natural reception gaps are short: at most 90 minutes")
    return Reception(
        keep_every_s=w.number(values, "keep_every_s", d.keep_every_s, hi=3600),
        static_every_s=w.number(values, "static_every_s", d.static_every_s, lo=30, hi=86400),
        jitter_m=w.number(values, "jitter_m", d.jitter_m, hi=500),
        duplicates=w.number(values, "duplicates", d.duplicates, hi=0.5),
        out_of_order=w.number(values, "out_of_order", d.out_of_order, hi=0.5),
        max_delay_s=w.number(values, "max_delay_s", d.max_delay_s, lo=1, hi=250),
        corrupt=w.number(values, "corrupt", d.corrupt, hi=0.2),
        natural_gaps_per_day=w.number(values, "natural_gaps_per_day", d.natural_gaps_per_day,
                                      hi=48),
        natural_gap_min=gap_min,
    )
