"""Settings: presets and the TOML settings file (``--config``).

One table per detector (``[gap]``, ...) with ``enabled`` and the detector's own keys, and an
``[ingest]`` table for the stream's lateness policy. A preset (``watch``, ``skylight``,
``gfw``) picks every detector's defaults; the file then overrides single keys.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from detectors import (  # noqa: F401  (importing registers the detectors)
    gap,
    loitering,
    rendezvous,
    spoofing,
    zone,
)
from detectors.base import REGISTRY, DetectorSettings

PRESET_NAMES = ("watch", "skylight", "gfw")
DEFAULT_PRESET = "watch"


class SettingsError(ValueError):
    """A settings file or preset that cannot be used; the message says what and where."""


@dataclass(frozen=True, slots=True)
class IngestSettings:
    # Records older than the newest event time seen, less this, are rejected as too late.
    # The watermark (what time-driven detectors see) trails the newest time by the same amount.
    allowed_lateness_s: float = 300.0
    # The same payload heard again within this many seconds is a duplicate reception.
    duplicate_window_s: float = 2.0
    # A multi-part message not complete within this many lines is rejected (bounded wait).
    max_fragment_wait_lines: int = 200


@dataclass(frozen=True)
class Settings:
    preset: str = DEFAULT_PRESET
    ingest: IngestSettings = field(default_factory=IngestSettings)
    detectors: dict[str, DetectorSettings] = field(default_factory=dict)


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
    dets = {name: cls.presets[preset] for name, cls in sorted(REGISTRY.items())}
    return Settings(preset=preset, detectors=dets)


def load_settings(preset: str = DEFAULT_PRESET, config: str | Path | None = None) -> Settings:
    """The preset's settings, overridden by the TOML file ``config`` when given."""
    if config is None:
        return preset_settings(preset)
    path = Path(config)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"settings file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    base = preset_settings(str(data.pop("preset", preset)))
    ingest = base.ingest
    dets = dict(base.detectors)
    for table, values in data.items():
        if not isinstance(values, dict):
            raise SettingsError(f"{path}: {table!r} must be a table like [{table}]")
        if table == "ingest":
            ingest = _override(ingest, table, values)
        elif table in dets:
            dets[table] = _override(dets[table], table, values)
        else:
            known = ", ".join(["ingest", *sorted(dets)])
            raise SettingsError(f"{path}: unknown table [{table}] (known: {known})")
    return Settings(preset=base.preset, ingest=ingest, detectors=dets)


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
    for name, det in sorted(settings.detectors.items()):
        lines += ["", f"[{name}]"]
        lines += [f"{f.name} = {_toml_value(getattr(det, f.name))}" for f in fields(det)]
    return "\n".join(lines) + "\n"
