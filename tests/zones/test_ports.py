"""Ports: reading real port lists, exact nearest look-ups, observed anchorages."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from zones import Port, PortIndex
from zones.ports import OBSERVED_NAME
from zones.shore import haversine_km

SAN_JUAN_HARBOUR = (18.46, -66.10)


@pytest.fixture(scope="module")
def wpi(shared: Path) -> PortIndex:
    return PortIndex.from_csv(shared / "ports" / "nga_world_port_index_pub150.csv.gz")


def brute_nearest_km(index: PortIndex, lat: float, lon: float) -> float:
    ports = index.ports()
    lats = np.array([p.lat for p in ports])
    lons = np.array([p.lon for p in ports])
    return float(haversine_km(lat, lon, lats, lons).min())


def test_world_port_index_loads(wpi: PortIndex) -> None:
    assert len(wpi) > 3000
    assert wpi.warnings == []
    found = wpi.nearest(*SAN_JUAN_HARBOUR)
    assert found is not None
    port, km = found
    assert port.name == "San Juan" and port.country == "Puerto Rico"
    assert port.source == "nga_world_port_index_pub150.csv.gz"
    assert km < 5.0
    assert wpi.distance_km(*SAN_JUAN_HARBOUR) == km


def test_nearest_is_exact(wpi: PortIndex) -> None:
    rng = np.random.default_rng(5)
    lats = np.concatenate([rng.uniform(5, 32, 300), rng.uniform(-70, 80, 300)])
    lons = np.concatenate([rng.uniform(-100, -55, 300), rng.uniform(-180, 180, 300)])
    for lat, lon in zip(lats.tolist(), lons.tolist(), strict=True):
        km = wpi.distance_km(lat, lon)
        assert km == pytest.approx(brute_nearest_km(wpi, lat, lon), abs=1e-6)
    # A track: many queries in the same cells use the cached candidates.
    for k in range(200):
        lat, lon = 18.0 + k * 0.003, -67.0 + k * 0.002
        assert wpi.distance_km(lat, lon) == pytest.approx(brute_nearest_km(wpi, lat, lon),
                                                         abs=1e-6)


def test_gfw_anchorages(shared: Path) -> None:
    gfw = PortIndex.from_csv(shared / "ports" / "gfw_anchorage_overrides.csv.gz")
    assert len(gfw) > 60000
    found = gfw.nearest(*SAN_JUAN_HARBOUR)
    assert found is not None
    assert found[0].name == "SAN JUAN" and found[0].country == "PRI" and found[1] < 1.0


def test_across_the_antimeridian() -> None:
    index = PortIndex([Port("Suva", -18.14, 178.42), Port("Apia", -13.83, -171.76),
                       Port("Far", 40.0, 0.0)])
    port, km = index.nearest(-16.0, -179.9) or (None, 0.0)
    assert port is not None and port.name == "Suva"
    assert km == pytest.approx(float(haversine_km(-16.0, -179.9, -18.14, 178.42)), rel=1e-9)
    assert index.nearest(-14.0, 190.0) is not None  # 0..360 longitudes wrap


def test_empty_and_bad_inputs() -> None:
    empty = PortIndex()
    assert empty.nearest(10.0, 10.0) is None and empty.distance_km(10.0, 10.0) is None
    index = PortIndex([Port("A", 10.0, 10.0)])
    assert index.nearest(math.nan, 10.0) is None
    assert index.nearest(91.0, 10.0) is None


def test_add_many_then_query() -> None:
    index = PortIndex()
    rng = np.random.default_rng(2)
    for i, (lat, lon) in enumerate(zip(rng.uniform(-60, 60, 2000).tolist(),
                                       rng.uniform(-180, 180, 2000).tolist(), strict=True)):
        index.add(Port(f"p{i}", lat, lon))
    assert len(index) == 2000
    for lat, lon in [(0.0, 0.0), (45.0, -120.0), (-30.0, 150.0)]:
        assert index.distance_km(lat, lon) == pytest.approx(
            brute_nearest_km(index, lat, lon), abs=1e-6)
    index.add(Port("new", 45.0, -120.0))  # found at once, even in a cached cell
    found = index.nearest(45.0, -120.0)
    assert found is not None and found[0].name == "new" and found[1] == 0.0


def test_observed_anchorage() -> None:
    index = PortIndex([Port("Far away", 30.0, -80.0)])
    lat, lon = 17.4963, -64.7001  # the centre of a ~1 km observation cell
    assert index.observe_stationary(lat, lon, 0.0) is None
    assert index.observe_stationary(lat + 0.001, lon, 0.0) is None  # same time: not counted
    assert index.observe_stationary(lat + 0.001, lon - 0.001, 60.0) is None
    found = index.nearest(lat, lon)
    assert found is not None and found[0].name == "Far away"  # two are not enough
    port = index.observe_stationary(lat - 0.001, lon, 120.0)  # the third, same ~1 km cell
    assert port is not None and port.name == OBSERVED_NAME and port.source == "observed"
    assert abs(port.lat - lat) < 0.01 and abs(port.lon - lon) < 0.01
    found = index.nearest(lat, lon)
    assert found is not None and found[0] == port and found[1] < 1.0
    assert index.observe_stationary(lat, lon, 180.0) is None  # already a port: no duplicate
    assert len(index) == 2
    # A different cell needs its own three observations.
    assert index.observe_stationary(lat + 0.05, lon, 300.0) is None


def test_observed_anchorage_does_not_depend_on_order() -> None:
    points = [(17.4964, -64.7003, 0.0), (17.4967, -64.6999, 10.0), (17.4959, -64.7001, 20.0)]
    results = []
    for order in (points, points[::-1]):
        index = PortIndex()
        made = [index.observe_stationary(*p) for p in order]
        results.append(made[-1])
    assert results[0] is not None and results[0] == results[1]


def test_csv_columns_in_common_spellings(tmp_path: Path) -> None:
    path = tmp_path / "ports.csv"
    path.write_text("Port Name,LAT,Lng,ISO3\nBasseterre,17.29,-62.72,KNA\nNowhere,,,\n"
                    "East,10.0,190.0,\n")
    index = PortIndex.from_csv(path)
    assert len(index) == 2 and "1 row(s)" in index.warnings[0]
    names = {p.name: p for p in index.ports()}
    assert names["Basseterre"].country == "KNA"
    assert names["East"].lon == -170.0
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"bad\.csv: no port name column"):
        PortIndex.from_csv(bad)


def test_an_anchorage_is_learned_where_several_vessels_stop_and_persisted(
        tmp_path: Path) -> None:
    index = PortIndex()
    # Two vessels stopped together at sea many times (a meeting): no port.
    for _ in range(50):
        assert index.observe_stop(14.6, -65.2, 412000777) is None
        assert index.observe_stop(14.6001, -65.2, 352000888) is None
    assert index.distance_km(14.6, -65.2) is None
    # Five distinct vessels stopped in one ~1 km cell: an observed anchorage, learned once.
    found = [index.observe_stop(55.4566, 8.4455 + 0.0001 * i, 219000000 + i) for i in range(6)]
    assert [p is not None for p in found] == [False] * 4 + [True, False]
    near = index.distance_km(55.4566, 8.4455)
    assert near is not None and near < 1.0
    path = tmp_path / "learned.csv"
    assert index.write_learned(path) == 1
    # A later run starts with it, and does not learn the same cell twice.
    later = PortIndex()
    assert later.add_learned(path) == 1
    near = later.distance_km(55.4566, 8.4455)
    assert near is not None and near < 1.0
    assert all(later.observe_stop(55.4566, 8.4455, 219000100 + i) is None for i in range(6))
    assert later.write_learned(path) == 1
