"""Reading vector files (GeoJSON, gzipped GeoJSON, GeoPackage, zipped Shapefile) through
geopandas with the pyogrio engine, into WGS84 lon/lat. Shared by the zone catalogue and the
land-polygon shore distance. Heavy imports happen inside the function, never at import time."""

from __future__ import annotations

import gzip
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Suffixes stripped from a file name to make the stem used in default zone ids.
_DATA_SUFFIXES = (".gz", ".zip", ".geojson", ".json", ".gpkg", ".shp", ".fgb")


class ReadError(ValueError):
    """A vector file could not be read; the message names the file."""


@dataclass
class Frame:
    """A GeoDataFrame in EPSG:4326, what it was read from, and what was done to it."""

    data: Any  # geopandas.GeoDataFrame
    crs: str | None  # the file's own CRS, as read ("EPSG:4326", "EPSG:32620", None)
    notes: list[str] = field(default_factory=list)


def file_stem(path: Path) -> str:
    """``zones/belize.geojson.gz`` -> ``belize``."""
    name = path.name
    changed = True
    while changed:
        changed = False
        for suffix in _DATA_SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                changed = True
    return name


def _is_wgs84(crs: Any) -> bool:
    import pyproj

    try:
        return bool(crs.equals(pyproj.CRS("EPSG:4326"), ignore_axis_order=True))
    except Exception:  # pragma: no cover - exotic CRS objects
        return False


def read_frame(path: str | Path) -> Frame:
    """Read the first layer of a vector file and return it in EPSG:4326.

    * ``.gz``: decompressed in memory (GDAL cannot sniff gzipped GeoJSON by name).
    * ``.zip``: GDAL's ``/vsizip/`` (a zipped Shapefile, or a zipped GeoJSON/GeoPackage).
    * A file with several layers: the first is read and a note names the others.
    * No CRS: lon/lat WGS84 is assumed (the GeoJSON default, RFC 7946 section 4), with a note.
    * Another CRS: reprojected to EPSG:4326, with a note.

    Raises :class:`ReadError` when the file is missing or GDAL cannot read it.
    """
    import geopandas as gpd
    import pyogrio

    p = Path(path)
    if not p.is_file():
        raise ReadError(f"{p}: no such file")
    source: Any = p
    if p.suffix.lower() == ".gz":
        try:
            with gzip.open(p, "rb") as fh:
                source = fh.read()
        except (OSError, EOFError) as exc:
            raise ReadError(f"{p}: cannot decompress: {exc}") from exc
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            layers = pyogrio.list_layers(
                io.BytesIO(source) if isinstance(source, bytes) else source)
            layer = None
            if len(layers) > 1:
                layer = str(layers[0][0])
                others = ", ".join(str(x[0]) for x in layers[1:])
                notes.append(f"{p}: {len(layers)} layers; read '{layer}' only (not: {others})")
            data = gpd.read_file(io.BytesIO(source) if isinstance(source, bytes) else source,
                                 layer=layer, engine="pyogrio")
        except Exception as exc:  # pyogrio raises its own DataSourceError and friends
            raise ReadError(f"{p}: cannot read: {exc}") from exc
    notes.extend(f"{p}: {w.message}" for w in caught)
    if not hasattr(data, "geometry"):
        raise ReadError(f"{p}: no geometry column (is it a plain table?)")
    crs = data.crs
    crs_text = None if crs is None else (crs.to_string() or crs.name)
    if crs is None:
        if len(data) and data.geometry.notna().any():
            minx, miny, maxx, maxy = (float(v) for v in data.total_bounds)
            if not (-540 <= minx <= maxx <= 540 and -90.5 <= miny <= maxy <= 90.5):
                raise ReadError(f"{p}: no CRS and coordinates ({minx:.0f}, {miny:.0f}, "
                                f"{maxx:.0f}, {maxy:.0f}) are not lon/lat degrees")
        notes.append(f"{p}: no CRS in the file; assuming WGS84 lon/lat (EPSG:4326)")
        data = data.set_crs("EPSG:4326", allow_override=True)
    elif not _is_wgs84(crs):
        try:
            data = data.to_crs("EPSG:4326")
        except Exception as exc:
            raise ReadError(f"{p}: cannot reproject from {crs_text} to EPSG:4326: {exc}") from exc
        notes.append(f"{p}: reprojected from {crs_text} to EPSG:4326")
    return Frame(data, crs_text, notes)


def native(value: Any) -> Any:
    """A property value from pandas/numpy as a plain Python value (None for missing)."""
    import numpy as np
    import pandas as pd

    if value is None:
        return None
    if isinstance(value, (list, dict, tuple)):
        return value
    if isinstance(value, np.ndarray):
        return value.tolist()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value
