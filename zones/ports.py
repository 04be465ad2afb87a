"""Ports and anchorages: the nearest one to a position and its distance.

Sources read by :meth:`PortIndex.from_csv` (plain or ``.gz`` CSV; columns found by name,
case- and punctuation-insensitive):

* NGA World Port Index, Pub. 150 (``Main Port Name``, ``Latitude``, ``Longitude``,
  ``Country Code``; the last holds the country's *name* in the 2023 CSV);
* GFW anchorages (GlobalFishingWatch/pipe-anchorages ``anchorage_overrides.csv``: ``label``,
  ``sublabel``, ``latitude``, ``longitude``, ``iso3``), one row per named S2 cell;
* UNECE's WPI extract (``PORT_NAME``, ``LATITUDE``, ``LONGITUDE``, ``COUNTRY``);
* any table with ``name``/``lat``/``lon`` in common spellings.

Nearest look-ups are exact great-circle (haversine) distances. An ``STRtree`` over the ports
in lon/lat degrees finds the nearest port in degrees; its great-circle distance ``h`` bounds
the answer, and every port nearer than ``h`` lies within ``h / cos(lat_max)`` degrees
(``lat_max`` the highest latitude within ``h``), which a ``dwithin`` query collects. Ports
within 30 degrees of the antimeridian are indexed a second time shifted by 360 degrees, so
the search works across it. Single look-ups go through a 0.1 degree grid: the first query in
a cell stores the few ports that can be nearest anywhere in it (those within ``h + 2d`` of the
cell centre, ``d`` the centre-to-corner distance), later queries only compare those. Ports
added later (:meth:`PortIndex.add`, observed anchorages) sit in a short list compared
directly, and are folded into the tree (which clears the grid) once there are more than 256.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mda.geo import EARTH_RADIUS_M

_R_KM = EARTH_RADIUS_M / 1000.0
_WRAP_MARGIN_DEG = 30.0
_PENDING_MAX = 256
_CELL_DEG = 0.1
_CELL_INV = 10.0
_CELL_CACHE_MAX = 200_000
_OBSERVED_CELL_KM = 1.0
_OBSERVED_MIN = 3
_STOP_MIN_VESSELS = 5
OBSERVED_NAME = "observed anchorage"

_NAME_COLS = ("mainportname", "portname", "name", "label", "anchoragename", "port")
_LAT_COLS = ("latitude", "lat", "latdd", "y")
_LON_COLS = ("longitude", "lon", "long", "lng", "londd", "x")
_COUNTRY_COLS = ("iso3", "countrycode", "country", "countryname", "iso")
_SUBLABEL_COLS = ("sublabel",)


@dataclass(frozen=True, slots=True)
class Port:
    """A port or anchorage (WGS84 degrees). ``country`` is what the source gives (an ISO
    alpha-3 code or a country name); ``source`` names the file or ``observed``."""

    name: str
    lat: float
    lon: float
    country: str | None = None
    source: str = ""


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * _R_KM * math.asin(min(1.0, math.sqrt(a)))


def _haversine_km_many(lat: float, lon: float, lats: Any, lons: Any) -> Any:
    p1, p2 = math.radians(lat), np.radians(lats)
    a = (np.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * np.cos(p2) * np.sin(np.radians(lons - lon) / 2) ** 2)
    return 2 * _R_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _norm(col: str) -> str:
    return re.sub(r"[^a-z0-9]", "", col.lower())


class PortIndex:
    """Ports and anchorages with a fast nearest look-up (see the module docstring)."""

    def __init__(self, ports: Iterable[Port] = ()) -> None:
        self._indexed: list[Port] = []
        self._lat = np.empty(0)
        self._lon = np.empty(0)
        self._tree: Any = None
        self._tree_port: Any = np.empty(0, dtype=np.int64)  # tree item -> index in _indexed
        self._cells: dict[tuple[int, int], tuple[tuple[float, float, int], ...]] = {}
        self._pending: list[Port] = list(ports)
        self._observations: dict[tuple[int, int], set[float]] = {}
        self._observed_cells: set[tuple[int, int]] = set()
        self._stops: dict[tuple[int, int], set[int]] = {}
        self.warnings: list[str] = []
        self._rebuild()

    def __len__(self) -> int:
        return len(self._indexed) + len(self._pending)

    def ports(self) -> list[Port]:
        """Every port, including those added and observed (a new list)."""
        return self._indexed + self._pending

    @classmethod
    def from_csv(cls, path: str | Path) -> PortIndex:
        """Ports from a CSV (plain or ``.gz``); rows without a usable position are skipped and
        counted in :attr:`warnings`. Raises ``ValueError`` naming the file if the name,
        latitude or longitude column cannot be found."""
        import pandas as pd

        p = Path(path)
        try:
            frame = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except UnicodeDecodeError:
            frame = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="latin-1")
        cols = {_norm(str(c)): str(c) for c in frame.columns}

        def find(options: tuple[str, ...], what: str, required: bool = True) -> str | None:
            for option in options:
                if option in cols:
                    return cols[option]
            if required:
                raise ValueError(f"{p}: no {what} column (looked for {', '.join(options)}; "
                                 f"found {', '.join(map(str, frame.columns[:12]))})")
            return None

        name_col = find(_NAME_COLS, "port name")
        lat_col = find(_LAT_COLS, "latitude")
        lon_col = find(_LON_COLS, "longitude")
        country_col = find(_COUNTRY_COLS, "country", required=False)
        sub_col = find(_SUBLABEL_COLS, "sublabel", required=False)
        lats = pd.to_numeric(frame[lat_col].str.strip(), errors="coerce").to_numpy(float)
        lons = pd.to_numeric(frame[lon_col].str.strip(), errors="coerce").to_numpy(float)
        names = frame[name_col].str.strip().tolist()
        countries = (frame[country_col].str.strip().tolist() if country_col
                     else [""] * len(frame))
        subs = frame[sub_col].str.strip().tolist() if sub_col else [""] * len(frame)
        ports: list[Port] = []
        skipped = 0
        for name, lat, lon, country, sub in zip(names, lats.tolist(), lons.tolist(), countries,
                                                subs, strict=True):
            if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 360:
                skipped += 1
                continue
            if lon > 180.0:
                lon -= 360.0
            label = name or "unnamed port"
            if sub:
                label = f"{label} ({sub})"
            ports.append(Port(label, lat, lon, country or None, p.name))
        index = cls(ports)
        if skipped:
            index.warnings.append(f"{p}: {skipped} row(s) without a usable position skipped")
        return index

    def add(self, port: Port) -> None:
        """Add one port. It is found by the next look-up: up to a few hundred recent additions
        are compared directly, and the next look-up after more folds them into the tree (so
        adding thousands of ports one by one costs one rebuild)."""
        self._pending.append(port)

    def _rebuild(self) -> None:
        import shapely

        self._indexed.extend(self._pending)
        self._pending = []
        self._cells.clear()
        if not self._indexed:
            return
        self._lat = np.array([p.lat for p in self._indexed], dtype=np.float64)
        self._lon = np.array([p.lon for p in self._indexed], dtype=np.float64)
        index = np.arange(len(self._indexed), dtype=np.int64)
        east = self._lon > 180.0 - _WRAP_MARGIN_DEG
        west = self._lon < -180.0 + _WRAP_MARGIN_DEG
        xs = np.concatenate([self._lon, self._lon[east] - 360.0, self._lon[west] + 360.0])
        ys = np.concatenate([self._lat, self._lat[east], self._lat[west]])
        self._tree_port = np.concatenate([index, index[east], index[west]])
        self._tree = shapely.STRtree(shapely.points(xs, ys))

    def observe_stationary(self, lat: float, lon: float, t: float) -> Port | None:
        """A vessel was seen moored or at anchor here at time ``t`` (epoch seconds). After
        3 observations at distinct times in the same ~1 km cell, the cell becomes a port
        named "observed anchorage" at the cell's centre (so the result does not depend on
        the order of the observations); that port is returned once, else None. Cells are
        1 km in latitude and about 1 km in longitude (scaled by the cell's latitude)."""
        if not (-90.0 <= lat <= 90.0 and math.isfinite(lon) and math.isfinite(t)):
            return None
        lon = ((lon + 180.0) % 360.0) - 180.0
        key, (clat, clon) = _observed_cell(lat, lon)
        if key in self._observed_cells:
            return None
        times = self._observations.setdefault(key, set())
        times.add(float(t))
        if len(times) < _OBSERVED_MIN:
            return None
        del self._observations[key]
        return self._learned(key, clat, clon)

    def observe_stop(self, lat: float, lon: float, mmsi: int) -> Port | None:
        """Vessel ``mmsi`` was seen stopped here (speed under half a knot, whatever its
        status says). Once ``_STOP_MIN_VESSELS`` distinct vessels have stopped in the same
        ~1 km cell, it becomes an "observed anchorage" (GFW builds its anchorages the same way,
        from where many vessels stop; one or two vessels stopped together, as at a meeting at
        sea, do not make a port). Returns the new port once, else None."""
        if not (-90.0 <= lat <= 90.0 and math.isfinite(lon)):
            return None
        lon = ((lon + 180.0) % 360.0) - 180.0
        key, (clat, clon) = _observed_cell(lat, lon)
        if key in self._observed_cells:
            return None
        who = self._stops.setdefault(key, set())
        who.add(int(mmsi))
        if len(who) < _STOP_MIN_VESSELS:
            return None
        del self._stops[key]
        return self._learned(key, clat, clon)

    def _learned(self, key: tuple[int, int], clat: float, clon: float) -> Port:
        """A ~1 km cell becomes an observed anchorage at its centre (learned once)."""
        self._observed_cells.add(key)
        port = Port(OBSERVED_NAME, clat, clon, None, "observed")
        self.add(port)
        return port

    def observed(self) -> list[Port]:
        """The anchorages learned from the traffic (and those loaded as learned)."""
        return [p for p in [*self._indexed, *self._pending] if p.source == "observed"]

    def add_learned(self, path: str | Path) -> int:
        """Load anchorages learned by an earlier run (:meth:`write_learned`); their cells
        are not learned again. Returns how many were loaded."""
        loaded = PortIndex.from_csv(path).ports()
        for port in loaded:
            key, _ = _observed_cell(port.lat, port.lon)
            self._observed_cells.add(key)
            self.add(Port(port.name, port.lat, port.lon, port.country, "observed"))
        return len(loaded)

    def write_learned(self, path: str | Path) -> int:
        """Write the learned anchorages as a ``name,latitude,longitude`` CSV that
        :meth:`add_learned` (or ``--ports``) reads back. Returns how many were written."""
        rows = sorted({(round(p.lat, 6), round(p.lon, 6)) for p in self.observed()})
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("name,latitude,longitude\n")
            for lat, lon in rows:
                f.write(f"{OBSERVED_NAME},{lat},{lon}\n")
        return len(rows)

    def _tree_nearest_km(self, lat: float, lon: float) -> float:
        """Exact great-circle km from a position to the nearest indexed port."""
        import shapely

        point = shapely.Point(lon, lat)
        best = math.inf
        for k in self._tree_port[self._tree.query_nearest(point)].tolist():
            best = min(best, _haversine_km(lat, lon, self._lat[k], self._lon[k]))
        cand = self._within(point, lat, best)
        if cand.size:
            best = min(best, float(_haversine_km_many(lat, lon, self._lat[cand],
                                                      self._lon[cand]).min()))
        return best

    def _within(self, point: Any, lat: float, km: float) -> Any:
        """Indices of the indexed ports that may lie within ``km`` of the point (a superset:
        every port within that great-circle distance is within ``km / cos(lat_max)``
        degrees, lat_max the highest latitude within reach)."""
        angle = km / _R_KM
        lat_max = min(abs(lat) + math.degrees(angle), 89.999)
        radius = math.degrees(angle) / math.cos(math.radians(lat_max)) * (1 + 1e-9) + 1e-12
        if radius >= _WRAP_MARGIN_DEG:  # far from everything: every port is a candidate
            return np.arange(len(self._indexed))
        return np.unique(self._tree_port[self._tree.query(point, predicate="dwithin",
                                                          distance=radius)])

    def _candidates(self, key: tuple[int, int]) -> tuple[tuple[float, float, int], ...]:
        """The ports that can be the nearest for some point of a grid cell: those within
        h + 2 d of the cell's centre, h the centre's nearest-port distance and d the
        centre-to-corner distance (triangle inequality). Computed once per cell."""
        import shapely

        row, col = key
        clat = min(90.0, max(-90.0, (row + 0.5) * _CELL_DEG))
        clon = (col + 0.5) * _CELL_DEG
        corners = [(min(90.0, max(-90.0, (row + i) * _CELL_DEG)), (col + j) * _CELL_DEG)
                   for i in (0, 1) for j in (0, 1)]
        half_diagonal = max(_haversine_km(clat, clon, a, b) for a, b in corners)
        reach = self._tree_nearest_km(clat, clon) + 2 * half_diagonal
        cand = self._within(shapely.Point(clon, clat), clat, reach)
        dist = _haversine_km_many(clat, clon, self._lat[cand], self._lon[cand])
        chosen = cand[dist <= reach * (1 + 1e-9) + 1e-9]
        out = tuple((float(self._lat[k]), float(self._lon[k]), int(k)) for k in chosen.tolist())
        if len(self._cells) >= _CELL_CACHE_MAX:
            del self._cells[next(iter(self._cells))]
        self._cells[key] = out
        return out

    def nearest(self, lat: float, lon: float) -> tuple[Port, float] | None:
        """The nearest port and its great-circle distance in km; None if there are no ports
        or the position is not valid. Exact: a 0.1 degree grid caches, per cell touched, the
        few ports that can be nearest anywhere in the cell."""
        if not (-90.0 <= lat <= 90.0) or not math.isfinite(lon):
            return None
        if not -180.0 <= lon <= 180.0:
            lon = ((lon + 180.0) % 360.0) - 180.0
        if len(self._pending) > _PENDING_MAX:
            self._rebuild()
        best_km = math.inf
        best: Port | None = None
        if self._tree is not None:
            key = (math.floor(lat * _CELL_INV), math.floor(lon * _CELL_INV))
            cands = self._cells.get(key)
            if cands is None:
                cands = self._candidates(key)
            p1 = math.radians(lat)
            cos1 = math.cos(p1)
            best_k = -1
            best_a = math.inf
            for qlat, qlon, k in cands:  # compare haversine "a" terms; convert the best once
                p2 = math.radians(qlat)
                a = (math.sin((p2 - p1) / 2) ** 2
                     + cos1 * math.cos(p2) * math.sin(math.radians(qlon - lon) / 2) ** 2)
                if a < best_a:
                    best_a, best_k = a, k
            if best_k >= 0:
                best_km = 2 * _R_KM * math.asin(min(1.0, math.sqrt(best_a)))
                best = self._indexed[best_k]
        for port in self._pending:
            d = _haversine_km(lat, lon, port.lat, port.lon)
            if d < best_km:
                best_km, best = d, port
        return None if best is None else (best, best_km)

    def distance_km(self, lat: float, lon: float) -> float | None:
        """Great-circle distance in km to the nearest port, or None."""
        found = self.nearest(lat, lon)
        return None if found is None else found[1]

    def __call__(self, lat: float, lon: float) -> float | None:
        return self.distance_km(lat, lon)


def _observed_cell(lat: float, lon: float) -> tuple[tuple[int, int], tuple[float, float]]:
    """The ~1 km cell of a position and its centre."""
    dlat = math.degrees(_OBSERVED_CELL_KM / _R_KM)
    row = math.floor(lat / dlat)
    clat = (row + 0.5) * dlat
    dlon = dlat / max(math.cos(math.radians(clat)), 0.01)
    col = math.floor(lon / dlon)
    return (row, col), (clat, (col + 0.5) * dlon)
