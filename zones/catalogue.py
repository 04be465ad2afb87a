"""The zone catalogue: zone kinds, the rule of who may not be in a zone, and loading zones from
GeoJSON (plain or ``.gz``), GeoPackage or zipped Shapefile through geopandas (pyogrio).

Properties read from each feature (names are case-insensitive):

* ``name``, ``kind``, ``sovereign`` (ISO 3166-1 alpha-3), ``id``: a project's own files.
* Marine Regions EEZ / maritime boundaries (marineregions.org, "Maritime Boundaries Geodatabase"
  attribute table): ``GEONAME`` name, ``MRGID`` id, ``ISO_SOV1`` sovereign, ``ISO_TER1``
  territory; the kind is ``eez`` unless ``POL_TYPE`` says otherwise (``12NM`` territorial sea,
  ``24NM`` contiguous zone, ``Internal waters`` and ``Archipelagic waters`` are taken as
  territorial sea; ``200NM``, ``Overlapping claim``, ``Joint regime`` are EEZ).
* WDPA (UNEP-WCMC, "User Manual for the World Database on Protected Areas", attribute table):
  ``NAME``, ``WDPA_PID`` / ``WDPAID`` id, ``PARENT_ISO3`` / ``ISO3`` sovereign, ``NO_TAKE``;
  the kind is ``mpa``.
* OSM / Natural Earth country layers: ``A3``, ``ISO_A3``, ``ADM0_A3`` as the sovereign.
* FAO FIGIS fishing areas: ``NAME_EN`` name, ``F_CODE`` id.
* Optional per-feature rule overrides: ``severity``, ``ship_types`` (``"30"``, ``"30,37"`` or a
  list), ``foreign_only``, ``min_sog_kn``, ``max_sog_kn``.

A feature's own ``kind`` (or Marine Regions ``POL_TYPE``) wins over the ``kind`` argument of
:func:`load_zones`, which wins over a schema's default. Kinds are matched after lower-casing and
turning spaces and hyphens into underscores; common spellings are accepted (see
:data:`KIND_ALIASES`), including compound values such as ``seasonal_closure+gear_restriction``
(the first part that names a kind decides).

Geometry handling (each repair or skip is reported as a warning naming the feature):

* null or empty geometries, points and lines are skipped: only an area can contain a position;
* invalid polygons are repaired with ``shapely.make_valid`` and only their polygonal parts kept;
* antimeridian: a ring whose consecutive longitudes jump by more than 180 degrees is taken to
  cross the antimeridian the short way (as GDAL's ``-wrapdateline`` and most AIS tools read
  it), as is a ring given in 0..360 longitudes. The ring is unwrapped (``numpy.unwrap`` with
  period 360) into one continuous longitude range, repaired if needed, cut by the 360-degree
  windows centred on 0, +-360, ... and each piece shifted back into [-180, 180]. The zone
  becomes a MultiPolygon with parts on both sides of the antimeridian, so containment is a
  plain point-in-polygon test for lon 179.9 and -179.9 alike. A ring that encircles a pole
  cannot be unwrapped into a closed ring and is left as it is (with a warning).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mda.records import SEVERITIES, Severity
from mda.shiptypes import type_word
from zones._io import Frame, ReadError, file_stem, native, read_frame

ZONE_KINDS = ("eez", "territorial_sea", "contiguous_zone", "fishing_zone", "mpa", "closure",
              "restricted", "exercise")

# Other spellings of the kinds, after normalisation (lower case, "_" for spaces and hyphens).
KIND_ALIASES: dict[str, str] = {
    "exclusive_economic_zone": "eez", "200nm": "eez", "overlapping_claim": "eez",
    "joint_regime": "eez",
    "territorial": "territorial_sea", "territorial_waters": "territorial_sea",
    "ts": "territorial_sea",
    "12nm": "territorial_sea", "internal_waters": "territorial_sea",
    "archipelagic_waters": "territorial_sea",
    "contiguous": "contiguous_zone", "cz": "contiguous_zone", "24nm": "contiguous_zone",
    "fishing": "fishing_zone", "fishing_area": "fishing_zone", "fishery_zone": "fishing_zone",
    "fao_area": "fishing_zone",
    "marine_protected_area": "mpa", "protected_area": "mpa", "marine_reserve": "mpa",
    "marine_park": "mpa", "no_take": "mpa", "no_take_year_round": "mpa",
    "marine_conservation_district": "mpa",
    "seasonal_closure": "closure", "fishery_closure": "closure", "fishing_closure": "closure",
    "closed_area": "closure", "spawning_closure": "closure",
    "restricted_area": "restricted", "restricted_area_no_anchoring": "restricted",
    "no_anchoring": "restricted", "prohibited_area": "restricted", "danger_area": "restricted",
    "security_zone": "restricted", "safety_zone": "restricted",
    "exercise_area": "exercise", "military_exercise": "exercise", "firing_range": "exercise",
    "firing_area": "exercise",
}

# Marine Regions POL_TYPE values (Maritime Boundaries Geodatabase) and the kind they mean.
POL_TYPE_KINDS: dict[str, str] = {
    "200nm": "eez", "overlapping claim": "eez", "joint regime": "eez",
    "12nm": "territorial_sea", "24nm": "contiguous_zone",
    "internal waters": "territorial_sea", "archipelagic waters": "territorial_sea",
}

# Territories with their own ISO 3166-1 alpha-3 code (and often their own ITU MID, so their own
# AIS "flag") and the state they belong to. A vessel flagged to a territory is not foreign in its
# sovereign's waters, nor the other way round: a Puerto Rico MMSI (MID 358) in the US EEZ.
TERRITORY_SOVEREIGN: dict[str, str] = {
    **dict.fromkeys(("PRI", "VIR", "UMI", "GUM", "ASM", "MNP"), "USA"),
    **dict.fromkeys(("AIA", "BMU", "VGB", "CYM", "FLK", "GIB", "MSR", "PCN", "SHN", "TCA", "IOT",
                     "SGS", "GGY", "JEY", "IMN"), "GBR"),
    **dict.fromkeys(("GLP", "MTQ", "GUF", "REU", "MYT", "SPM", "BLM", "MAF", "PYF", "NCL", "WLF",
                     "ATF"), "FRA"),
    **dict.fromkeys(("ABW", "CUW", "SXM", "BES", "ANT"), "NLD"),
    **dict.fromkeys(("GRL", "FRO"), "DNK"),
    **dict.fromkeys(("SJM", "BVT"), "NOR"),
    **dict.fromkeys(("CXR", "CCK", "NFK", "HMD"), "AUS"),
    **dict.fromkeys(("COK", "NIU", "TKL"), "NZL"),
    **dict.fromkeys(("HKG", "MAC"), "CHN"),
    "ALA": "FIN",
}

# AIS ship type codes (ITU-R M.1371-5, Table 53) in the words a watch officer uses.
_ISO3 = re.compile(r"^[A-Z]{3}$")
_NOT_AREAS = ("LineString", "MultiLineString", "LinearRing", "Point", "MultiPoint")

# Property names, lower case, in order of preference.
_ID_KEYS = ("id", "zone_id", "mrgid", "wdpa_pid", "wdpaid", "f_code")
_NAME_KEYS = ("name", "zone_name", "geoname", "name_en", "label", "title")
_SOVEREIGN_KEYS = ("sovereign", "iso_sov1", "parent_iso3", "iso3", "a3", "iso_a3", "adm0_a3",
                   "iso_ter1")
_MARINE_REGIONS_KEYS = {"mrgid", "geoname", "pol_type", "iso_sov1"}
_WDPA_KEYS = {"wdpaid", "wdpa_pid"}


def sovereign_of(iso3: str) -> str:
    """The sovereign state of an ISO alpha-3 code (itself unless it is a listed territory)."""
    return TERRITORY_SOVEREIGN.get(iso3, iso3)


@dataclass(frozen=True, slots=True)
class ZoneRule:
    """Who is not expected in a zone: the vessels whose presence raises an alert.

    ``ship_types``: AIS ship type codes (``(30,)`` fishing), ``None`` for any vessel.
    ``foreign_only``: only vessels whose flag (ISO alpha-3, from the MMSI's MID) belongs to a
    state other than the zone's sovereign; ignored when the zone has no sovereign.
    ``min_sog_kn`` / ``max_sog_kn``: a behaviour filter on speed over ground (for example
    0.5-5 kn for fishing); a vessel of unknown speed does not match a rule that has one.
    ``severity``: one of ``info``, ``low``, ``medium``, ``high``.
    """

    ship_types: tuple[int, ...] | None
    foreign_only: bool
    min_sog_kn: float | None = None
    max_sog_kn: float | None = None
    severity: Severity = "medium"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {', '.join(SEVERITIES)}")
        if self.ship_types is not None:
            object.__setattr__(self, "ship_types", tuple(int(x) for x in self.ship_types))
        if (self.min_sog_kn is not None and self.max_sog_kn is not None
                and self.min_sog_kn > self.max_sog_kn):
            raise ValueError(f"min_sog_kn {self.min_sog_kn} > max_sog_kn {self.max_sog_kn}")

    def describe(self, kind: str, sovereign: str | None) -> str:
        """Who triggers the rule, as a phrase: ``"foreign-flagged fishing vessel"``,
        ``"fishing vessel"``, ``"any vessel"``, ``"fishing vessel at 0.5-5 kn"``. ``kind`` is
        accepted so phrasing may depend on it; today only the sovereign matters."""
        if self.ship_types is None:
            words = "vessel"
        else:
            kinds = list(dict.fromkeys(type_word(c) for c in self.ship_types))
            words = (" or ".join(kinds) if len(kinds) <= 2
                     else ", ".join(kinds[:-1]) + " or " + kinds[-1]) + " vessel"
        if self.foreign_only and sovereign:
            phrase = f"foreign-flagged {words}"
        elif self.ship_types is None:
            phrase = "any vessel"
        else:
            phrase = words
        lo, hi = self.min_sog_kn, self.max_sog_kn
        if lo is not None and hi is not None:
            phrase += f" at {lo:g}-{hi:g} kn"
        elif lo is not None:
            phrase += f" above {lo:g} kn"
        elif hi is not None:
            phrase += f" below {hi:g} kn"
        return phrase

    def matches(self, ship_type: int | None, flag_iso3: str | None, sog_kn: float | None,
                sovereign: str | None) -> bool:
        """Whether a vessel of this type, flag and speed triggers the rule in a zone of this
        sovereign. Unknown ship type never matches a rule that names types; unknown flag never
        matches ``foreign_only`` (no alert on a guess); territories count as their sovereign
        (:data:`TERRITORY_SOVEREIGN`)."""
        if self.ship_types is not None and (ship_type is None or ship_type not in self.ship_types):
            return False
        if self.foreign_only and sovereign:
            if not flag_iso3:
                return False
            if sovereign_of(flag_iso3.upper()) == sovereign_of(sovereign.upper()):
                return False
        if self.min_sog_kn is not None or self.max_sog_kn is not None:
            if sog_kn is None or math.isnan(sog_kn):
                return False
            if self.min_sog_kn is not None and sog_kn < self.min_sog_kn:
                return False
            if self.max_sog_kn is not None and sog_kn > self.max_sog_kn:
                return False
        return True


# Who is not expected where, by default. Ship type 30 is "engaged in fishing" (ITU-R M.1371-5,
# Table 53). EEZ: the coastal state has sovereign rights over fishing and foreign fishing needs
# its licence (UNCLOS arts. 56, 62); territorial sea: full sovereignty, foreign fishing is not
# innocent passage (arts. 2, 19(2)(i)), hence high; contiguous zone (art. 33) as the EEZ.
# Fishing zones, MPAs and closures bind every fishing vessel, domestic or not (e.g. the Hind
# Bank MCD, 50 CFR 622.514(a)(2)). Restricted areas concern any vessel (e.g. 33 CFR 334.1490);
# exercise areas are information for the exercise operator.
_FISHING = (30,)
DEFAULT_RULES: dict[str, ZoneRule] = {
    "eez": ZoneRule(_FISHING, foreign_only=True, severity="medium"),
    "territorial_sea": ZoneRule(_FISHING, foreign_only=True, severity="high"),
    "contiguous_zone": ZoneRule(_FISHING, foreign_only=True, severity="medium"),
    "fishing_zone": ZoneRule(_FISHING, foreign_only=False, severity="medium"),
    "mpa": ZoneRule(_FISHING, foreign_only=False, severity="high"),
    "closure": ZoneRule(_FISHING, foreign_only=False, severity="high"),
    "restricted": ZoneRule(None, foreign_only=False, severity="high"),
    "exercise": ZoneRule(None, foreign_only=False, severity="info"),
}


@dataclass(frozen=True)
class Zone:
    """One zone: an area (valid Polygon or MultiPolygon, WGS84 lon/lat), its kind, sovereign
    (ISO alpha-3, or None) and rule. ``source`` is the file it came from; ``properties`` are
    the feature's own properties, as plain Python values. Hash and equality ignore the
    geometry's hash and the properties (a zone's identity is its id, kind, rule and source)."""

    id: str
    name: str
    kind: str
    sovereign: str | None
    geometry: Any = field(hash=False)
    rule: ZoneRule
    source: str = ""
    properties: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


class ZoneError(ValueError):
    """A zone file cannot be used; the message names the file and, when it is about one
    feature, the feature's index and name or id."""


def normalise_kind(value: str) -> str | None:
    """A kind from any accepted spelling (see :data:`KIND_ALIASES`), or None if unknown."""
    text = re.sub(r"[\s\-/]+", "_", value.strip().lower())
    for part in [text, *text.split("+")]:
        part = part.strip("_")
        if part in ZONE_KINDS:
            return part
        if part in KIND_ALIASES:
            return KIND_ALIASES[part]
    return None


def _unknown_kind(value: str) -> str:
    return f"unknown kind {value!r}; valid kinds: {', '.join(ZONE_KINDS)}"


# --- geometry ------------------------------------------------------------------------------

def _polygons_of(geom: Any) -> list[Any]:
    """The Polygon parts of any geometry (recursing into collections)."""
    import shapely

    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        out: list[Any] = []
        for part in shapely.get_parts(geom):
            out.extend(_polygons_of(part))
        return out
    return []


def _combine(polys: list[Any]) -> Any:
    import shapely
    from shapely.geometry import MultiPolygon

    if not polys:
        return None
    if len(polys) == 1:
        return polys[0]
    multi = MultiPolygon(polys)
    return multi if multi.is_valid else shapely.union_all(polys)


def _ring_needs_unwrap(lons: Any) -> bool:
    import numpy as np

    return bool(len(lons) > 1 and np.max(np.abs(np.diff(lons))) > 180.0)


def _unwrap_polygon(poly: Any) -> tuple[Any, bool]:
    """Unwrap a polygon's rings into continuous longitudes (see the module docstring).
    Returns the polygon and whether a ring encircles a pole (then it is returned as given)."""
    import numpy as np
    from shapely.geometry import Polygon

    def unwrap(coords: Any) -> Any:
        c = np.asarray(coords, dtype=float)[:, :2].copy()
        c[:, 0] = np.unwrap(c[:, 0], period=360.0)
        return c

    shell = unwrap(poly.exterior.coords)
    if abs(shell[-1, 0] - shell[0, 0]) > 1e-9:
        return poly, True
    centre = 0.5 * (shell[:, 0].min() + shell[:, 0].max())
    holes = []
    for ring in poly.interiors:
        h = unwrap(ring.coords)
        if abs(h[-1, 0] - h[0, 0]) > 1e-9:
            return poly, True
        hc = 0.5 * (h[:, 0].min() + h[:, 0].max())
        h[:, 0] -= 360.0 * round((hc - centre) / 360.0)
        holes.append(h)
    return Polygon(shell, holes), False


def _split_at_antimeridian(geom: Any) -> Any:
    """Cut a geometry whose longitudes leave [-180, 180] into the 360-degree windows and
    shift each piece back into [-180, 180]."""
    import shapely
    from shapely import affinity

    minx, _, maxx, _ = geom.bounds
    pieces: list[Any] = []
    k0 = math.floor((minx + 180.0) / 360.0)
    k1 = math.floor((maxx + 180.0) / 360.0)
    for k in range(k0, k1 + 1):
        window = shapely.box(k * 360.0 - 180.0, -90.0, k * 360.0 + 180.0, 90.0)
        part = shapely.intersection(geom, window)
        for poly in _polygons_of(part):
            pieces.append(affinity.translate(poly, xoff=-k * 360.0) if k else poly)
    return _combine(pieces)


def clean_geometry(geom: Any, where: str) -> tuple[Any, list[str]]:
    """A valid (Multi)Polygon in [-180, 180] longitudes from a feature's geometry, or None;
    with the warnings that say what was repaired or why the feature was skipped."""
    import shapely
    from shapely.geometry import MultiPolygon

    if geom is None or geom.is_empty:
        return None, [f"{where}: no geometry; skipped"]
    kind = geom.geom_type
    if kind in ("LineString", "MultiLineString", "LinearRing"):
        return None, [f"{where}: {kind} geometry cannot be a zone (only an area can contain a "
                      f"position; polygonise limit lines first); skipped"]
    if kind in ("Point", "MultiPoint"):
        return None, [f"{where}: {kind} geometry cannot be a zone; skipped"]
    warnings: list[str] = []
    geom = shapely.force_2d(geom)
    polys = _polygons_of(geom)
    if kind == "GeometryCollection" and len(polys) < len(shapely.get_parts(geom)):
        warnings.append(f"{where}: non-polygonal parts of a GeometryCollection dropped")
    if not polys:
        return None, [*warnings, f"{where}: no polygonal part; skipped"]
    crossed = False
    coords = shapely.get_coordinates(geom)
    maybe_crossing = _ring_needs_unwrap(coords[:, 0]) or bool(
        len(coords) and (coords[:, 0].min() < -180.0 or coords[:, 0].max() > 180.0))
    if maybe_crossing:
        fixed = []
        for poly in polys:
            rings = [poly.exterior, *poly.interiors]
            if any(_ring_needs_unwrap(shapely.get_coordinates(r)[:, 0]) for r in rings):
                poly, pole = _unwrap_polygon(poly)
                if pole:
                    warnings.append(f"{where}: a ring encircles a pole; its longitudes were "
                                    f"left as given")
                else:
                    crossed = True
            fixed.append(poly)
        polys = fixed
    geom = polys[0] if len(polys) == 1 else MultiPolygon(polys)
    if not shapely.is_valid(geom):
        reason = shapely.is_valid_reason(geom)
        repaired = _combine(_polygons_of(shapely.make_valid(geom)))
        if repaired is None or repaired.is_empty:
            return None, [*warnings, f"{where}: invalid geometry ({reason}) has no area after "
                                     f"make_valid; skipped"]
        warnings.append(f"{where}: invalid geometry ({reason}); repaired with make_valid, "
                        f"polygonal parts kept")
        geom = repaired
    minx, _, maxx, _ = geom.bounds
    if minx < -180.0 or maxx > 180.0:
        geom = _split_at_antimeridian(geom)
        crossed = True
        if geom is None:
            return None, [*warnings, f"{where}: nothing left after the antimeridian split; "
                                     f"skipped"]
    if crossed:
        warnings.append(f"{where}: crosses the antimeridian; split into parts on each side")
    return geom, warnings


# --- properties ----------------------------------------------------------------------------

def _first(props: Mapping[str, Any], keys: Iterable[str]) -> Any:
    for key in keys:
        value = props.get(key)
        if value is not None and str(value).strip() != "":
            return value
    return None


def _text_id(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "yes", "y", "1", "all", "t"):
        return True
    if text in ("false", "no", "n", "0", "none", "f"):
        return False
    return None


def _ship_types(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, (list, tuple)):
        return tuple(int(x) for x in value)
    text = str(value).strip().strip("[]()")
    if text.lower() in ("", "any", "all", "none", "null"):
        return None
    return tuple(int(float(x)) for x in re.split(r"[,;\s]+", text) if x)


def _feature_rule(base: ZoneRule, props: Mapping[str, Any]) -> ZoneRule:
    """The kind's rule with the feature's own overrides (see the module docstring)."""
    changes: dict[str, Any] = {}
    if (v := props.get("severity")) is not None:
        changes["severity"] = str(v).strip().lower()
    if "ship_types" in props:
        changes["ship_types"] = _ship_types(props["ship_types"])
    if (v := props.get("foreign_only")) is not None:
        b = _bool(v)
        if b is None:
            raise ValueError(f"foreign_only {v!r} is not a boolean")
        changes["foreign_only"] = b
    for key in ("min_sog_kn", "max_sog_kn"):
        if (v := props.get(key)) is not None:
            changes[key] = float(v)
    return replace(base, **changes) if changes else base


def _sovereign(props: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(sovereign ISO alpha-3 or None, a warning if the value was unusable)."""
    raw = _first(props, _SOVEREIGN_KEYS)
    if raw is None:
        return None, None
    text = str(raw).strip().upper().split(";")[0].strip()
    if _ISO3.match(text):
        return text, None
    return None, f"sovereign {raw!r} is not an ISO 3166-1 alpha-3 code; ignored"


# --- loading -------------------------------------------------------------------------------

@dataclass
class _Loaded:
    zones: list[Zone]
    warnings: list[str]
    errors: list[str]
    feature_count: int
    crs: str | None


class _UnknownKind(ValueError):
    """A feature names a kind that is not a zone kind (the message says which are)."""


class _NoKind(Exception):
    """A feature has no kind of its own and nothing gives it one."""


def _feature_kind(low: Mapping[str, Any], schema: str | None, kind_arg: str | None,
                  where: str, warnings: list[str]) -> str:
    """One feature's zone kind: its own ``kind`` property, else a Marine Regions ``POL_TYPE``,
    else the kind given for the file, else its schema's (Marine Regions: eez, WDPA: mpa)."""
    own_kind = low.get("kind")
    if own_kind is not None and str(own_kind).strip():
        zone_kind = normalise_kind(str(own_kind))
        if zone_kind is None:
            raise _UnknownKind(f"{where}: {_unknown_kind(str(own_kind))}")
        return zone_kind
    if schema == "marineregions" and low.get("pol_type"):
        found = POL_TYPE_KINDS.get(str(low["pol_type"]).strip().lower())
        if found is None:
            warnings.append(f"{where}: POL_TYPE {low['pol_type']!r} not recognised; "
                            f"taken as eez")
        return found or "eez"
    if kind_arg is not None:
        return kind_arg
    if schema == "marineregions":
        return "eez"
    if schema == "wdpa":
        return "mpa"
    raise _NoKind


def _unique_id(zone_id: str, index: int, seen_ids: set[str], where: str,
               warnings: list[str]) -> str:
    """``zone_id``, or ``zone_id:index`` (with a warning) if an earlier feature took it."""
    if zone_id in seen_ids:
        new_id = f"{zone_id}:{index}"
        warnings.append(f"{where}: id {zone_id!r} already used; this zone is {new_id!r}")
        zone_id = new_id
    seen_ids.add(zone_id)
    return zone_id


def _zone_name(low: Mapping[str, Any], raw_name: Any, zone_id: str) -> str:
    name = str(raw_name).strip() if raw_name is not None else zone_id
    sub = low.get("zone")
    if isinstance(sub, str) and sub.strip() and sub.strip().lower() not in name.lower():
        name = f"{name} ({sub.strip()})"  # Belize Protected Areas: zones of one reserve
    return name


def _not_areas_note(p: Path, not_areas: list[tuple[int, str, str]]) -> str:
    types = ", ".join(sorted({t for _, _, t in not_areas}))
    shown = ", ".join(f"{i} ({name})" for i, name, _ in not_areas[:5])
    more = f" and {len(not_areas) - 5} more" if len(not_areas) > 5 else ""
    return (f"{p}: {len(not_areas)} feature(s) with {types} geometry skipped: only an area "
            f"can contain a position (polygonise limit lines first): feature {shown}{more}")


def _load(path: str | Path, kind: str | None, rules: Mapping[str, ZoneRule] | None,
          strict: bool) -> _Loaded:
    p = Path(path)
    errors: list[str] = []

    def fail(message: str) -> None:
        if strict:
            raise ZoneError(message)
        errors.append(message)

    kind_arg: str | None = None
    if kind is not None:
        kind_arg = normalise_kind(kind)
        if kind_arg is None:
            fail(f"{p}: {_unknown_kind(kind)}")
            return _Loaded([], [], errors, 0, None)
    all_rules = {**DEFAULT_RULES, **(rules or {})}
    try:
        frame: Frame = read_frame(p)
    except ReadError as exc:
        fail(str(exc))
        return _Loaded([], [], errors, 0, None)
    data = frame.data
    warnings = list(frame.notes)
    geom_col = data.geometry.name
    columns = [c for c in data.columns if c != geom_col]
    lower_cols = {str(c).lower() for c in columns}
    schema = ("marineregions" if len(lower_cols & _MARINE_REGIONS_KEYS) >= 2
              else "wdpa" if lower_cols & _WDPA_KEYS else None)
    records = data[columns].to_dict("records") if columns else [{} for _ in range(len(data))]
    stem = file_stem(p)
    zones: list[Zone] = []
    seen_ids: set[str] = set()
    kindless: list[str] = []
    not_areas: list[tuple[int, str, str]] = []
    if len(data) == 0:
        warnings.append(f"{p}: no features")
    for index, (geom, record) in enumerate(zip(data.geometry, records, strict=True)):
        # A table holds the union of all features' columns: a feature's own properties are
        # its non-null ones (so "KIND" of one feature is not hidden by "kind" of another).
        props = {str(k): v for k, v in ((k, native(v)) for k, v in record.items())
                 if v is not None}
        low = {k.lower(): v for k, v in props.items()}
        raw_id = _first(low, _ID_KEYS)
        raw_name = _first(low, _NAME_KEYS)
        label = str(raw_name).strip() if raw_name is not None else (
            _text_id(raw_id) if raw_id is not None else "unnamed")
        where = f"{p}: feature {index} ({label})"
        gtype = None if geom is None else geom.geom_type
        if gtype in _NOT_AREAS:
            not_areas.append((index, label, gtype))
            continue
        if geom is None or geom.is_empty:
            warnings.append(f"{where}: no geometry; skipped")
            continue
        try:
            zone_kind = _feature_kind(low, schema, kind_arg, where, warnings)
        except _UnknownKind as exc:
            fail(str(exc))
            continue
        except _NoKind:
            message = (f"{where}: no kind: the feature has no 'kind' property and no kind was "
                       f"given for the file; pass KIND=FILE (for example mpa={p.name}); valid "
                       f"kinds: {', '.join(ZONE_KINDS)}")
            if strict:
                raise ZoneError(message) from None
            kindless.append(message)
            continue
        clean, notes = clean_geometry(geom, where)
        warnings.extend(notes)
        if clean is None:
            continue
        sovereign, note = _sovereign(low)
        if note:
            warnings.append(f"{where}: {note}")
        try:
            rule = _feature_rule(all_rules[zone_kind], low)
        except (ValueError, TypeError) as exc:
            fail(f"{where}: bad rule property: {exc}")
            continue
        zone_id = _unique_id(_text_id(raw_id) if raw_id is not None else f"{stem}:{index}",
                             index, seen_ids, where, warnings)
        name = _zone_name(low, raw_name, zone_id)
        zones.append(Zone(zone_id, name, zone_kind, sovereign, clean, rule, p.name, props))
    if kindless:
        errors.append(kindless[0] if len(kindless) == 1 else
                      f"{len(kindless)} features have no kind; the first: {kindless[0]}")
    if not_areas:
        warnings.append(_not_areas_note(p, not_areas))
    return _Loaded(zones, warnings, errors, len(data), frame.crs)


def load_zones(path: str | Path, kind: str | None = None,
               rules: dict[str, ZoneRule] | None = None) -> tuple[list[Zone], list[str]]:
    """Load the zones of one file; return them and the warnings (repairs made, features
    skipped). ``kind`` applies to features without a ``kind`` property of their own; ``rules``
    replaces :data:`DEFAULT_RULES` for the kinds it names. Raises :class:`ZoneError` when the
    file cannot be read, a kind is missing or unknown, or a rule property is bad."""
    loaded = _load(path, kind, rules, strict=True)
    return loaded.zones, loaded.warnings


def check_zones(path: str | Path, kind: str | None = None) -> dict[str, Any]:
    """A report on a zone file for ``mda zones check FILE``: never raises; problems that
    would make :func:`load_zones` fail are listed in ``errors`` (all of them, not just the
    first)."""
    try:
        loaded = _load(path, kind, None, strict=False)
    except Exception as exc:  # a report must not crash on a file it could not foresee
        loaded = _Loaded([], [], [f"{path}: {type(exc).__name__}: {exc}"], 0, None)
    zones = loaded.zones
    if not zones and not loaded.errors:
        loaded.errors.append(f"{path}: no polygon features: nothing that can contain a position")
    bbox: list[float] | None = None
    if zones:
        bounds = [z.geometry.bounds for z in zones]
        bbox = [round(min(b[0] for b in bounds), 6), round(min(b[1] for b in bounds), 6),
                round(max(b[2] for b in bounds), 6), round(max(b[3] for b in bounds), 6)]
    return {
        "path": str(path),
        "crs": loaded.crs,
        "features": loaded.feature_count,
        "zones": len(zones),
        "by_kind": dict(sorted(Counter(z.kind for z in zones).items())),
        "sovereigns": sorted({z.sovereign for z in zones if z.sovereign}),
        "bbox": bbox,
        "warnings": loaded.warnings,
        "errors": loaded.errors,
        "ok": not loaded.errors,
    }
