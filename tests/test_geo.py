"""mda.geo: the trigonometry-free distance bound never falls below the haversine distance, so
a hot path that skips haversine_m when the bound is under its limit decides the same."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mda.geo import distance_bound_m, haversine_m

lats = st.floats(-90.0, 90.0)
lons = st.floats(-180.0, 180.0)
steps = st.floats(-0.05, 0.05)  # a few km: where the hot paths compare with their limits


@given(lats, lons, lats, lons)
def test_bound_is_never_below_haversine(lat1: float, lon1: float, lat2: float,
                                        lon2: float) -> None:
    assert distance_bound_m(lat1, lon1, lat2, lon2) >= haversine_m(lat1, lon1, lat2, lon2)


@given(st.floats(-85.0, 85.0), lons, steps, steps, st.sampled_from([100.0, 500.0, 1000.0]))
def test_a_bound_under_a_limit_means_the_distance_is_under_it(
        lat: float, lon: float, dlat: float, dlon: float, limit_m: float) -> None:
    lat2, lon2 = lat + dlat, lon + dlon
    if distance_bound_m(lat, lon, lat2, lon2) <= limit_m:
        assert haversine_m(lat, lon, lat2, lon2) <= limit_m


def test_bound_is_tight_along_a_meridian_and_loose_across() -> None:
    d = haversine_m(10.0, -60.0, 10.01, -60.0)
    assert d <= distance_bound_m(10.0, -60.0, 10.01, -60.0) <= d * 1.00001
    assert distance_bound_m(60.0, 0.0, 60.0, 0.01) > 1.9 * haversine_m(60.0, 0.0, 60.0, 0.01)
