"""Settings: presets and the TOML settings file (``--config``).

One table per detector (``[gap]``, ...) with ``enabled`` and the detector's own keys, an
``[ingest]`` table for the stream's lateness policy, a ``[kafka]`` table for the streaming
path (topics, partitions, retention, ticks, checkpoints, producer), and a ``[radar]`` table
for where the radar whose TTM sentences are read stands. A preset (``watch``, ``skylight``,
``gfw``) picks every detector's defaults; the file then overrides single keys.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from detectors import DETECTORS
from detectors.base import PRESET_NAMES, DetectorSettings, Preset
from ingest.sensors import RadarSite
from mda.records import SEVERITIES

DEFAULT_PRESET: Preset = "watch"

D = TypeVar("D", bound=DetectorSettings)


class SettingsError(ValueError):
    """A settings file or preset that cannot be used; the message says what and where."""


@dataclass(frozen=True, slots=True)
class IngestSettings:
    # Records older than the newest event time seen, less this, are rejected as too late.
    # The watermark (what time-driven detectors see) trails the newest time by the same amount.
    allowed_lateness_s: float = 300.0
    # Live runs (mda live, mda serve with feeds): the lateness of records timed on arrival.
    # Their times are in order (stamped by one clock, kept non-decreasing), so 0 releases each
    # at once (no lateness wait before an alert); allowed_lateness_s still holds for records
    # that carry their own time (tag blocks), and the watermark is the lower of the two.
    arrival_lateness_s: float = 0.0
    # Live runs: vessels not heard for this long (event time) are evicted from every
    # detector's state, so memory stays bounded over days (0: never).
    evict_after_s: float = 86400.0
    # The same payload heard again within this many seconds is a duplicate reception.
    duplicate_window_s: float = 2.0
    # A multi-part message not complete within this many lines is rejected (bounded wait).
    max_fragment_wait_lines: int = 200
    # A batch replay of a file that is out of time order beyond the lateness sorts it by
    # event time first (held in memory; the summary says so), instead of rejecting records
    # as too late. Live sources (network, stdin) are never sorted.
    sort_files: bool = True


@dataclass(frozen=True, slots=True)
class GeographySettings:
    # Zone files, each "FILE" or "KIND=FILE" (KIND for features without a kind property).
    zones: tuple[str, ...] = ()
    # Land polygons for shore distance and on-land checks; empty: the landmetrics grid.
    land: str = ""
    # Port lists (CSV with name, lat, lon; NGA World Port Index columns recognised).
    ports: tuple[str, ...] = ()
    # Use the landmetrics distance-to-land grid when no land file is given.
    shore: bool = True


@dataclass(frozen=True, slots=True)
class KafkaSettings:
    """The streaming path (``mda ingest``, ``mda worker``, ``mda alerts``); command-line
    options override these."""

    # Bootstrap servers; empty: KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:9092.
    bootstrap: str = ""
    # Topic names are PREFIX.positions, .static, .alerts, .deadletter, .cells, .state.
    topic_prefix: str = "mda"
    # Partitions of the positions, cells, static and alerts topics (ingest and workers agree).
    partitions: int = 4
    # Retention of the positions, cells, alerts and dead-letter topics, in hours.
    retention_h: float = 168.0
    # The ingest sends a watermark tick to every partition each this many event-time seconds.
    tick_every_s: float = 60.0
    # Workers checkpoint the state of partitions that changed this often (wall-clock seconds).
    checkpoint_every_s: float = 10.0
    # Producer of the ingest: how long a batch may wait to fill, and its compression.
    linger_ms: int = 20
    compression: str = "gzip"


@dataclass(frozen=True, slots=True)
class RadarSettings:
    """Where the radar is whose TTM sentences (range and bearing) an input carries, and its
    reference heading for relative bearings; None: not given (a TTM is then rejected)."""

    lat: float | None = None
    lon: float | None = None
    heading_deg: float | None = None

    def site(self) -> RadarSite | None:
        if self.lat is None or self.lon is None:
            return None
        return RadarSite(self.lat, self.lon, self.heading_deg)


def radar_settings(values: dict[str, Any], where: str = "[radar]") -> RadarSettings:
    """``[radar]`` values (or ``--radar-at``): lat and lon together, in range."""
    known = ("lat", "lon", "heading_deg")
    for key, value in values.items():
        if key not in known:
            raise SettingsError(f"{where} has no key {key!r} (known: {', '.join(known)})")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{where} {key} must be a number, not {value!r}")
    lat, lon, heading = values.get("lat"), values.get("lon"), values.get("heading_deg")
    if (lat is None) != (lon is None):
        raise SettingsError(f"{where} needs both lat and lon")
    if lat is not None and not -90 <= lat <= 90:
        raise SettingsError(f"{where} lat must be within -90..90, got {lat!r}")
    if lon is not None and not -180 <= lon <= 180:
        raise SettingsError(f"{where} lon must be within -180..180, got {lon!r}")
    if heading is not None and not 0 <= heading < 360:
        raise SettingsError(f"{where} heading_deg must be within 0..360, got {heading!r}")
    return RadarSettings(None if lat is None else float(lat), None if lon is None else float(lon),
                         None if heading is None else float(heading))


def parse_radar_at(text: str) -> RadarSettings:
    """``--radar-at LAT,LON`` (or ``LAT,LON,HEADING``)."""
    parts = text.split(",")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        nums = []
    if len(nums) not in (2, 3):
        raise SettingsError(f"--radar-at wants LAT,LON (degrees), not {text!r}")
    return radar_settings(dict(zip(("lat", "lon", "heading_deg"), nums, strict=False)),
                          "--radar-at")


@dataclass(frozen=True)
class Settings:
    preset: str = DEFAULT_PRESET
    ingest: IngestSettings = field(default_factory=IngestSettings)
    detectors: dict[str, DetectorSettings] = field(default_factory=dict)
    geography: GeographySettings = field(default_factory=GeographySettings)
    # Per zone kind, overrides of the default rule (see zones.catalogue.ZoneRule).
    zone_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    radar: RadarSettings = field(default_factory=RadarSettings)
    kafka: KafkaSettings = field(default_factory=KafkaSettings)

    def only(self, *names: str) -> Settings:
        """These settings with only the detectors ``names`` enabled (those of them that are):
        a streaming ingest, worker or split replay's share, a run with no detector."""
        return replace(self, detectors={n: replace(s, enabled=s.enabled and n in names)
                                        for n, s in self.detectors.items()})

    def detector(self, name: str, kind: type[D]) -> D:
        """The settings of detector ``name`` as its own class, e.g.
        ``settings.detector("gap", GapSettings).threshold_h``: KeyError if there is no such
        detector, TypeError if its settings are of another class."""
        det = self.detectors[name]
        if not isinstance(det, kind):
            raise TypeError(f"the settings of detector {name!r} are a "
                            f"{type(det).__name__}, not a {kind.__name__}")
        return det


def _coerce(table: str, key: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise SettingsError(f"[{table}] {key} must be true or false, not {value!r}")
        return value
    if isinstance(default, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"[{table}] {key} must be a number, not {value!r}")
        if value < 0:
            raise SettingsError(f"[{table}] {key} must not be negative, got {value!r}")
        return type(default)(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise SettingsError(f"[{table}] {key} must be a string, not {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list):
            raise SettingsError(f"[{table}] {key} must be a list, not {value!r}")
        return tuple(value)
    return value


def _override(obj: Any, table: str, values: dict[str, Any]) -> Any:
    known = {f.name for f in fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise SettingsError(
                f"[{table}] has no key {key!r} (known: {', '.join(sorted(known))})")
        changes[key] = _coerce(table, key, value, getattr(obj, key))
    return replace(obj, **changes)


def preset_settings(preset: str = DEFAULT_PRESET) -> Settings:
    if preset not in PRESET_NAMES:
        raise SettingsError(f"unknown preset {preset!r} (choose from {', '.join(PRESET_NAMES)})")
    dets = {cls.name: cls.presets[preset] for cls in DETECTORS}  # the runner's step order
    return Settings(preset=preset, detectors=dets)


def read_toml(path: str | Path, error: type[ValueError], what: str) -> dict[str, Any]:
    """A TOML file's tables; ``error`` (a ValueError subclass) naming the file when it is
    missing (``what`` says which file: "settings", "partners") or not valid TOML."""
    p = Path(path)
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} file not found: {p}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{p}: not valid TOML: {exc}") from None


def load_settings(preset: str = DEFAULT_PRESET, config: str | Path | None = None) -> Settings:
    """The preset's settings, overridden by the TOML file ``config`` when given."""
    if config is None:
        return preset_settings(preset)
    path = Path(config)
    data = read_toml(path, SettingsError, "settings")
    base = preset_settings(str(data.pop("preset", preset)))
    ingest = base.ingest
    geography = base.geography
    dets = dict(base.detectors)
    rules: dict[str, dict[str, Any]] = {}
    radar = RadarSettings()
    kafka = KafkaSettings()
    for table, values in data.items():
        if not isinstance(values, dict):
            raise SettingsError(f"{path}: {table!r} must be a table like [{table}]")
        if table == "ingest":
            ingest = _override(ingest, table, values)
        elif table == "geography":
            geography = _resolve_paths(_override(geography, table, values), path.parent)
        elif table == "zone_rules":
            rules = _zone_rules(path, values)
        elif table == "radar":
            radar = radar_settings(values, f"{path}: [radar]")
        elif table == "kafka":
            kafka = _kafka_settings(_override(kafka, table, values), path)
        elif table in dets:
            dets[table] = _override(dets[table], table, values)
        else:
            known = ", ".join(["ingest", "geography", "kafka", "radar", "zone_rules",
                               *sorted(dets)])
            raise SettingsError(f"{path}: unknown table [{table}] (known: {known})")
    return Settings(preset=base.preset, ingest=ingest, detectors=dets, geography=geography,
                    zone_rules=rules, radar=radar, kafka=kafka)


COMPRESSIONS = ("gzip", "none")


def _kafka_settings(k: KafkaSettings, path: Path) -> KafkaSettings:
    if k.partitions < 1:
        raise SettingsError(f"{path}: [kafka] partitions must be at least 1")
    if k.compression not in COMPRESSIONS:
        raise SettingsError(f"{path}: [kafka] compression must be one of "
                            f"{', '.join(COMPRESSIONS)}, not {k.compression!r}")
    if not k.topic_prefix:
        raise SettingsError(f"{path}: [kafka] topic_prefix must not be empty")
    return k


def _resolve_paths(geo: GeographySettings, base: Path) -> GeographySettings:
    """Relative file names in a settings file are relative to that file."""
    from mda.geography import parse_zone_arg

    def fix(name: str) -> str:
        return name if not name or Path(name).is_absolute() else str(base / name)

    zones = []
    for arg in geo.zones:
        kind, file = parse_zone_arg(arg)
        zones.append(f"{kind}={fix(file)}" if kind else fix(file))
    return replace(geo, zones=tuple(zones), land=fix(geo.land),
                   ports=tuple(fix(p) for p in geo.ports))


RULE_KEYS = {"ship_types": list, "foreign_only": bool, "min_sog_kn": float,
             "max_sog_kn": float, "severity": str}


def _zone_rules(path: Path, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    from zones.catalogue import ZONE_KINDS

    out: dict[str, dict[str, Any]] = {}
    for kind, rule in values.items():
        if kind not in ZONE_KINDS:
            raise SettingsError(f"{path}: [zone_rules.{kind}]: unknown zone kind "
                                f"(known: {', '.join(ZONE_KINDS)})")
        if not isinstance(rule, dict):
            raise SettingsError(f"{path}: zone_rules.{kind} must be a table")
        for key, value in rule.items():
            want = RULE_KEYS.get(key)
            if want is None:
                raise SettingsError(f"{path}: [zone_rules.{kind}] has no key {key!r} "
                                    f"(known: {', '.join(RULE_KEYS)})")
            ok = isinstance(value, int | float) and not isinstance(value, bool) \
                if want is float else isinstance(value, want)
            if not ok:
                raise SettingsError(f"{path}: [zone_rules.{kind}] {key} must be a "
                                    f"{want.__name__}, not {value!r}")
            if key == "severity" and value not in SEVERITIES:
                raise SettingsError(f"{path}: [zone_rules.{kind}] severity must be one of "
                                    "info, low, medium, high")
        out[kind] = dict(rule)
    return out


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def to_toml(settings: Settings) -> str:
    """The effective settings in the settings file's own TOML form."""
    lines = [f'preset = "{settings.preset}"', "", "[ingest]"]
    lines += [f"{f.name} = {_toml_value(getattr(settings.ingest, f.name))}"
              for f in fields(settings.ingest)]
    lines += ["", "[geography]"]
    lines += [f"{f.name} = {_toml_value(getattr(settings.geography, f.name))}"
              for f in fields(settings.geography)]
    lines += ["", "[kafka]"]
    lines += [f"{f.name} = {_toml_value(getattr(settings.kafka, f.name))}"
              for f in fields(settings.kafka)]
    radar = [(f.name, getattr(settings.radar, f.name)) for f in fields(settings.radar)]
    if any(v is not None for _, v in radar):
        lines += ["", "[radar]"] + [f"{k} = {_toml_value(v)}" for k, v in radar if v is not None]
    for name, det in sorted(settings.detectors.items()):
        lines += ["", f"[{name}]"]
        lines += [f"{f.name} = {_toml_value(getattr(det, f.name))}" for f in fields(det)]
    for kind, rule in sorted(effective_zone_rules(settings).items()):
        lines += ["", f"[zone_rules.{kind}]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in rule.items() if v is not None]
    return "\n".join(lines) + "\n"


def effective_zone_rules(settings: Settings) -> dict[str, dict[str, Any]]:
    """The default zone rule of every kind with the settings' overrides applied."""
    from zones.catalogue import DEFAULT_RULES

    out: dict[str, dict[str, Any]] = {}
    for kind, rule in DEFAULT_RULES.items():
        values = {k: getattr(rule, k) for k in RULE_KEYS}
        values.update(settings.zone_rules.get(kind, {}))
        if isinstance(values.get("ship_types"), tuple):
            values["ship_types"] = list(values["ship_types"])
        out[kind] = values
    return out


def zone_rules(settings: Settings) -> dict[str, Any]:
    """ZoneRule objects per kind (defaults with overrides)."""
    from zones.catalogue import ZoneRule

    out: dict[str, Any] = {}
    for kind, values in effective_zone_rules(settings).items():
        st = values.get("ship_types")
        out[kind] = ZoneRule(
            ship_types=tuple(int(x) for x in st) if st else None,  # [] or none: any vessel
            foreign_only=bool(values["foreign_only"]),
            min_sog_kn=values.get("min_sog_kn"),
            max_sog_kn=values.get("max_sog_kn"),
            severity=values["severity"],  # checked against SEVERITIES when read
        )
    return out
