"""Partners: who may read which part of the shared picture (issue 12).

The model is that of a CSII-style sharing agreement (the Caribbean's shared maritime picture is
shared between states that sign up to it): each partner agency has a token, an area of
responsibility (polygons, e.g. its EEZ) and the layers it may read; an operator (the picture's
host) sees everything. ``mda serve --partners partners.toml`` enforces it on every endpoint:

```toml
[[partner]]
name = "Guadeloupe MRCC"
token_env = "MDA_TOKEN_GUADELOUPE"    # or token = "..." (keep the file private then)
area = "zones/guadeloupe_eez.geojson" # polygons (any zone file mda reads), relative to this file
# area_bbox = [-62.0, 15.5, -60.5, 17.0]   # or a box: west, south, east, north
layers = ["ais", "zones", "alerts:gap", "alerts:rendezvous"]

[[partner]]
name = "Operations"
role = "operator"
token_env = "MDA_TOKEN_OPS"
```

Layers: ``ais`` (vessel positions and tracks), ``radar`` and ``satellite`` (contacts and the
alerts they raise), ``zones``, ``alerts`` (every kind) or ``alerts:KIND`` (one kind). A partner
sees a vessel whose latest position is in its area, the points of its track inside the area, an
alert whose position is in its area (and the lines it draws only when every point is), and the
zones that meet its area. Feed health (receiver names and rates) is for operators.

Tokens are compared in constant time against every partner's (no early exit), never logged,
and a partner's repr hides it.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LAYERS = ("ais", "radar", "satellite", "zones", "alerts")
ROLES = ("partner", "operator")
SENSOR_LAYER = {"radar": "radar", "sar": "satellite", "satellite": "satellite"}


class PartnersError(ValueError):
    """A partners file that cannot be used; the message says what and where."""


@dataclass(frozen=True)
class Partner:
    name: str
    token: str = field(repr=False)
    role: str = "partner"
    layers: frozenset[str] = frozenset()
    area: Any = None  # a shapely geometry (prepared), or None: everywhere (operators)
    bounds: tuple[float, float, float, float] | None = None

    @property
    def operator(self) -> bool:
        return self.role == "operator"

    def reads(self, layer: str) -> bool:
        return self.operator or layer in self.layers

    def reads_alert_kind(self, kind: str, sensor: str | None = None) -> bool:
        if self.operator:
            return True
        if sensor is not None and not self.reads(SENSOR_LAYER.get(sensor, sensor)):
            return False
        return "alerts" in self.layers or f"alerts:{kind}" in self.layers

    def covers(self, lon: float, lat: float) -> bool:
        """Whether (lon, lat) is in the partner's area."""
        if self.operator or self.area is None:
            return True
        if self.bounds is not None:
            w, s, e, n = self.bounds
            if not (s <= lat <= n and w <= lon <= e):
                return False
        import shapely

        return bool(self.area.contains(shapely.Point(lon, lat)))

    def sees_alert(self, alert: dict[str, Any]) -> bool:
        ev = alert.get("evidence") or {}
        sensor = ev.get("sensor") if isinstance(ev, dict) else None
        return (self.reads_alert_kind(str(alert.get("kind")), sensor)
                and self.covers(float(alert["lon"]), float(alert["lat"])))


class Partners:
    """The partners of a picture (module docstring)."""

    def __init__(self, partners: list[Partner]) -> None:
        if not partners:
            raise PartnersError("a partners file needs at least one [[partner]]")
        self.partners = partners
        self._tokens = [(p, p.token.encode("utf-8")) for p in partners]

    def who(self, tokens: list[str]) -> Partner | None:
        """The partner one of ``tokens`` belongs to, or None (compared in constant time with
        every partner's token)."""
        found: Partner | None = None
        for given in tokens:
            g = given.encode("utf-8")
            for partner, want in self._tokens:
                if hmac.compare_digest(g, want) and found is None:
                    found = partner
        return found

    @classmethod
    def load(cls, path: str | Path, env: dict[str, str] | None = None) -> Partners:
        env = dict(os.environ) if env is None else env
        from mda.settings import read_toml

        p = Path(path)
        data = read_toml(p, PartnersError, "partners")
        unknown = set(data) - {"partner"}
        if unknown:
            raise PartnersError(f"{p}: unknown table(s) {', '.join(sorted(unknown))} "
                                "(only [[partner]])")
        entries = data.get("partner", [])
        if not isinstance(entries, list):
            raise PartnersError(f"{p}: write each partner as a [[partner]] table")
        out = [_partner(p, i, e, env) for i, e in enumerate(entries, 1)]
        names = [x.name for x in out]
        if len(set(names)) != len(names):
            raise PartnersError(f"{p}: partner names must be unique")
        tokens = [x.token for x in out]
        if len(set(tokens)) != len(tokens):
            raise PartnersError(f"{p}: two partners have the same token")
        return cls(out)


_KEYS = {"name", "token", "token_env", "role", "layers", "area", "area_bbox"}


def _partner(path: Path, i: int, e: Any, env: dict[str, str]) -> Partner:
    where = f"{path}: partner {i}"
    if not isinstance(e, dict):
        raise PartnersError(f"{where}: not a table")
    unknown = set(e) - _KEYS
    if unknown:
        raise PartnersError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                            f"(known: {', '.join(sorted(_KEYS))})")
    name = e.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PartnersError(f"{where}: needs a name")
    where = f"{path}: partner {name!r}"
    role = e.get("role", "partner")
    if role not in ROLES:
        raise PartnersError(f"{where}: role must be one of {', '.join(ROLES)}")
    if ("token" in e) == ("token_env" in e):
        raise PartnersError(f"{where}: give exactly one of token and token_env")
    if "token_env" in e:
        token = env.get(str(e["token_env"]), "")
        if not token:
            raise PartnersError(f"{where}: environment variable {e['token_env']} is not set")
    else:
        token = e["token"]
    if not isinstance(token, str) or len(token) < 16:
        raise PartnersError(f"{where}: the token must be a string of at least 16 characters")
    layers = e.get("layers", [])
    if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
        raise PartnersError(f"{where}: layers must be a list of strings")
    for layer in layers:
        base = layer.split(":", 1)[0]
        if base not in LAYERS or (":" in layer and base != "alerts"):
            raise PartnersError(f"{where}: unknown layer {layer!r} (known: "
                                f"{', '.join(LAYERS)}, alerts:KIND)")
    area, bounds = None, None
    if role == "partner":
        if ("area" in e) == ("area_bbox" in e):
            raise PartnersError(f"{where}: give exactly one of area (a polygon file) and "
                                "area_bbox ([west, south, east, north])")
        area, bounds = _area(path, where, e)
    elif "area" in e or "area_bbox" in e:
        raise PartnersError(f"{where}: an operator sees everywhere; drop its area")
    return Partner(name.strip(), token, role, frozenset(layers), area, bounds)


def _area(path: Path, where: str,
          e: dict[str, Any]) -> tuple[Any, tuple[float, float, float, float]]:
    import shapely

    if "area_bbox" in e:
        box = e["area_bbox"]
        if (not isinstance(box, list) or len(box) != 4
                or not all(isinstance(x, int | float) for x in box)):
            raise PartnersError(f"{where}: area_bbox must be [west, south, east, north]")
        w, s, east, n = (float(x) for x in box)
        if not (-180 <= w < east <= 180 and -90 <= s < n <= 90):
            raise PartnersError(f"{where}: area_bbox {box} is not west < east, south < north "
                                "in degrees")
        geom = shapely.box(w, s, east, n)
    else:
        from zones.catalogue import load_zones

        file = Path(str(e["area"]))
        if not file.is_absolute():
            file = path.parent / file
        try:
            loaded, _ = load_zones(file, kind="eez")
        except (OSError, ValueError) as exc:
            raise PartnersError(f"{where}: area {file}: {exc}") from None
        shapes = [z.geometry for z in loaded]
        if not shapes:
            raise PartnersError(f"{where}: area {file} has no polygon")
        geom = shapely.union_all(shapes)
    shapely.prepare(geom)
    w, s, east, n = (float(x) for x in geom.bounds)
    return geom, (w, s, east, n)


def clip_segments(segments: list[Any], area: Any) -> list[Any]:
    """The parts of track segments (maps.tracks.Segment) inside ``area``: a segment that
    leaves the area is cut where it does, so no point outside is drawn or joined across."""
    if area is None:
        return segments
    import numpy as np
    import shapely

    from maps.tracks import Segment

    out: list[Any] = []
    for seg in segments:
        inside = np.asarray(shapely.contains_xy(area, seg.lon, seg.lat), dtype=bool)
        if inside.all():
            out.append(seg)
            continue
        edges = np.flatnonzero(np.diff(inside.astype(np.int8))) + 1
        for part in np.split(np.arange(len(inside)), edges):
            if len(part) and inside[part[0]]:
                out.append(Segment(seg.mmsi, seg.t[part], seg.lat[part], seg.lon[part]))
    return out
