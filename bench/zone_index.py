"""Benchmark: point-in-zone, distance to shore and nearest port over the Caribbean window.

Run by hand (never gates CI):  .venv/bin/python bench/zone_index.py [--points N] [--seed S]

Zones: the Caribbean layers of the shared data (Belize MPAs, USVI regulated areas, OSM
territorial waters as ``territorial_sea``, FAO area 31 simplified as ``fishing_zone``).
Points: uniform random in lon -100..-55, lat 5..32 (1,000,000 by default; a 100k sample for
the single-point loops, 100k for the exact land-polygon distances).

Rows (points per second, and microseconds per point):

* ``ZoneIndex.containing_many`` on all points, cold (grid cells filled as touched) and warm;
* ``ZoneIndex.containing`` in a Python loop over the sample;
* shore distance, landmetrics grid and land polygons (Natural Earth 10m land + minor
  islands): vectorised ``many_nm``; single ``distance_nm`` calls on distinct cells (cache
  misses) and along a slow track (mostly cache hits);
* ``PortIndex.nearest`` (NGA World Port Index) on distinct random points and along a track.

The check column compares the loop against the vectorised answer on the same points.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("MDA_SHARED_DATA", REPO.parent / "shared" / "data"))

LAYERS = [
    ("belize_marine_protected_areas_2005.geojson", "mpa"),
    ("us_caribbean_regulated_areas_ecfr.geojson", None),
    ("caribbean_countries_maritime_osm_geomaps_10m.geojson", "territorial_sea"),
    ("fao_major_fishing_area_31_simplified.geojson", "fishing_zone"),
]


T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def loop(fn: Callable[[float, float], T], lats: list[float], lons: list[float]) -> list[T]:
    """Call a single-point function on each position, as a detector would."""
    return [fn(a, b) for a, b in zip(lats, lons, strict=True)]


def row(rows: list[tuple[str, int, float, str]], name: str, n: int, seconds: float,
        check: str = "") -> None:
    rows.append((name, n, seconds, check))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()

    from zones import PortIndex, ShoreDistance, ZoneIndex, load_zones

    zones_dir = SHARED / "zones"
    rng = np.random.default_rng(args.seed)
    lats = rng.uniform(5.0, 32.0, args.points)
    lons = rng.uniform(-100.0, -55.0, args.points)
    s = min(args.sample, args.points)
    slat, slon = lats[:s].tolist(), lons[:s].tolist()
    # A slow track (about 5 kn, one report every 10 s) crossing the Caribbean.
    step = np.cumsum(rng.normal(0.0, 1.3e-4, (s, 2)), axis=0)
    tlat = (15.0 + step[:, 0] + np.linspace(0, 1.5, s)).tolist()
    tlon = (-75.0 + step[:, 1] + np.linspace(0, 3.0, s)).tolist()
    rows: list[tuple[str, int, float, str]] = []

    t_load, loaded = timed(lambda: [load_zones(zones_dir / f, k)[0] for f, k in LAYERS])
    zones = [z for layer in loaded for z in layer]
    t_build, index = timed(lambda: ZoneIndex(zones))
    print(f"zones: {len(zones)} from {len(LAYERS)} files, loaded in {t_load:.2f} s, "
          f"index built in {t_build * 1000:.1f} ms")

    seconds, cold = timed(lambda: index.containing_many(lats, lons))
    row(rows, "ZoneIndex.containing_many (cold grid)", args.points, seconds,
        f"{sum(map(len, cold)):,} hits")
    seconds, warm = timed(lambda: index.containing_many(lats, lons))
    row(rows, "ZoneIndex.containing_many (warm)", args.points, seconds)
    seconds, single = timed(lambda: loop(index.containing, slat, slon))
    ids = {id(z): i for i, z in enumerate(index.zones)}
    same = all([ids[id(z)] for z in got] == want
               for got, want in zip(single, warm[:s], strict=True))
    row(rows, "ZoneIndex.containing (loop)", s, seconds, "agrees" if same else "DIFFERS")
    seconds, _ = timed(lambda: [index.containing(60.0, 0.0) for _ in range(s)])
    row(rows, "ZoneIndex.containing (far from every zone)", s, seconds)

    grid = ShoreDistance.default()
    seconds, _ = timed(lambda: grid.many_nm(lats, lons))
    row(rows, "shore landmetrics many_nm", args.points, seconds)
    seconds, _ = timed(lambda: loop(grid.distance_nm, slat, slon))
    row(rows, "shore landmetrics distance_nm (cache misses)", s, seconds)
    seconds, _ = timed(lambda: loop(grid.distance_nm, tlat, tlon))
    row(rows, "shore landmetrics distance_nm (track)", s, seconds)

    t_land, land = timed(lambda: ShoreDistance.from_land_file(
        [zones_dir / "caribbean_ne_10m_land.geojson",
         zones_dir / "caribbean_ne_10m_minor_islands.geojson"]))
    print(f"land polygons loaded and indexed in {t_land:.2f} s")
    n_land = min(s, 100_000)
    seconds, _ = timed(lambda: land.many_nm(lats[:n_land], lons[:n_land]))
    row(rows, "shore polygons many_nm", n_land, seconds)
    n_single = min(s, 20_000)
    seconds, _ = timed(lambda: loop(land.distance_nm, slat[-n_single:], slon[-n_single:]))
    row(rows, "shore polygons distance_nm (cache misses)", n_single, seconds)
    seconds, _ = timed(lambda: loop(land.distance_nm, tlat, tlon))
    row(rows, "shore polygons distance_nm (track)", s, seconds)
    seconds, _ = timed(lambda: loop(land.on_land, slat, slon))
    row(rows, "shore polygons on_land", s, seconds)

    t_ports, ports = timed(lambda: PortIndex.from_csv(
        SHARED / "ports" / "nga_world_port_index_pub150.csv.gz"))
    print(f"ports: {len(ports):,} loaded in {t_ports:.2f} s")
    n_ports = min(s, 20_000)
    seconds, _ = timed(lambda: loop(ports.nearest, slat[:n_ports], slon[:n_ports]))
    row(rows, "PortIndex.nearest (random, cold cells)", n_ports, seconds)
    seconds, _ = timed(lambda: loop(ports.nearest, tlat, tlon))
    row(rows, "PortIndex.nearest (track)", s, seconds)

    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'operation':<{width}}  {'points':>10}  {'points/s':>12}  {'us/point':>9}  check")
    for name, n, seconds, check in rows:
        print(f"{name:<{width}}  {n:>10,}  {n / seconds:>12,.0f}  {seconds / n * 1e6:>9.2f}  "
              f"{check}")


if __name__ == "__main__":
    main()
