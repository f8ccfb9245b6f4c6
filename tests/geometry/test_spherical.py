"""Great-circle distances, unit vectors and the local km projection."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from sklearn.metrics.pairwise import haversine_distances

from skgeoclust.geometry import (
    EARTH_RADIUS_KM,
    geodetic_to_local_km,
    haversine_km,
    latlon_to_unit_vectors,
    local_km_to_geodetic,
    pairwise_haversine_km,
    spherical_mean,
    unit_vectors_to_latlon,
)

lats = st.floats(-90.0, 90.0, allow_nan=False)
lons = st.floats(-180.0, 180.0, allow_nan=False, exclude_max=True)
points = st.tuples(lats, lons)


def _catalogs(max_size=12):
    return (
        st.integers(1, max_size)
        .flatmap(
            lambda n: st.tuples(
                arrays(np.float64, n, elements=lats),
                arrays(np.float64, n, elements=lons),
            )
        )
        .map(lambda ll: np.column_stack(ll))
    )


# 1. results by hand -------------------------------------------------------------


def test_one_degree_of_arc_on_the_equator():
    assert haversine_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(
        EARTH_RADIUS_KM * np.pi / 180.0, rel=1e-14
    )


def test_pole_to_pole_is_half_the_circumference():
    assert haversine_km(90.0, 0.0, -90.0, 123.0) == pytest.approx(
        np.pi * EARTH_RADIUS_KM, rel=1e-14
    )


def test_across_the_antimeridian():
    assert haversine_km(0.0, 179.5, 0.0, -179.5) == pytest.approx(
        haversine_km(0.0, 0.0, 0.0, 1.0), rel=1e-12
    )


def test_unit_vectors_of_axes():
    xyz = latlon_to_unit_vectors([0.0, 0.0, 90.0], [0.0, 90.0, 0.0])
    assert_allclose(xyz, np.eye(3), atol=1e-15)


# 2. equivalence -------------------------------------------------------------------


@given(_catalogs(), _catalogs())
def test_pairwise_kernel_matches_sklearn(a, b):
    expected = haversine_distances(np.radians(a), np.radians(b)) * EARTH_RADIUS_KM
    assert_allclose(pairwise_haversine_km(a, b), expected, rtol=1e-9, atol=1e-9)


@given(_catalogs())
def test_pairwise_kernel_matches_vectorised_formula(a):
    expected = haversine_km(a[:, None, 0], a[:, None, 1], a[None, :, 0], a[None, :, 1])
    assert_allclose(pairwise_haversine_km(a), expected, rtol=1e-12, atol=1e-9)


@given(points, points)
def test_haversine_agrees_with_sklearn(p, q):
    expected = haversine_distances(np.radians([p]), np.radians([q]))[0, 0]
    assert_allclose(
        haversine_km(*p, *q), expected * EARTH_RADIUS_KM, rtol=1e-9, atol=1e-9
    )


@given(_catalogs())
def test_unit_vectors_round_trip(a):
    lat, lon = unit_vectors_to_latlon(latlon_to_unit_vectors(a[:, 0], a[:, 1]))
    assert_allclose(lat, a[:, 0], atol=1e-9)
    # Longitude is undefined at the poles.
    away = np.abs(a[:, 0]) < 90.0 - 1e-6
    dlon = np.mod(lon[away] - a[away, 1] + 180.0, 360.0) - 180.0
    assert_allclose(dlon, 0.0, atol=1e-6)


# properties of a metric ------------------------------------------------------------


@given(points, points)
def test_haversine_is_symmetric(p, q):
    assert haversine_km(*p, *q) == pytest.approx(haversine_km(*q, *p), abs=1e-9)


@given(points)
def test_haversine_is_zero_on_identical_points(p):
    assert haversine_km(*p, *p) == 0.0


@given(points, points, points)
def test_haversine_triangle_inequality(p, q, r):
    assert haversine_km(*p, *r) <= haversine_km(*p, *q) + haversine_km(*q, *r) + 1e-9


@given(points, points)
def test_haversine_bounded_by_half_circumference(p, q):
    assert 0.0 <= haversine_km(*p, *q) <= np.pi * EARTH_RADIUS_KM + 1e-9


# local projection --------------------------------------------------------------------


@given(
    st.floats(-89.0, 89.0),
    st.floats(-180.0, 180.0, exclude_max=True),
    st.floats(-2.0, 2.0),
    st.floats(-2.0, 2.0),
)
def test_local_projection_round_trips(ref_lat, ref_lon, dlat, dlon):
    lat = np.clip(ref_lat + dlat, -90.0, 90.0)
    lon = ref_lon + dlon
    east, north = geodetic_to_local_km(lat, lon, ref_lat, ref_lon)
    back_lat, back_lon = local_km_to_geodetic(east, north, ref_lat, ref_lon)
    assert back_lat == pytest.approx(lat, abs=1e-9)
    if abs(lat) < 90.0 - 1e-6:
        assert np.mod(back_lon - lon + 180.0, 360.0) - 180.0 == pytest.approx(
            0.0, abs=1e-9
        )


@given(points, points)
def test_local_projection_keeps_distance_from_reference(ref, p):
    east, north = geodetic_to_local_km(p[0], p[1], *ref)
    assert np.hypot(east, north) == pytest.approx(haversine_km(*ref, *p), abs=1e-6)


def test_local_projection_axes():
    east, north = geodetic_to_local_km([0.0, 0.1, -0.1], [0.1, 0.0, 0.0], 0.0, 0.0)
    assert east[0] > 11 and abs(north[0]) < 1e-9
    assert north[1] > 11 and abs(east[1]) < 1e-9
    assert north[2] < -11


# edge cases -------------------------------------------------------------------------


def test_spherical_mean_across_antimeridian():
    lat, lon = spherical_mean([10.0, 10.0], [179.0, -179.0])
    assert abs(abs(lon) - 180.0) < 1e-9 and lat == pytest.approx(10.0, abs=0.01)


def test_spherical_mean_of_antipodes_falls_back_to_first_point():
    assert spherical_mean([0.0, 0.0], [0.0, 180.0]) == pytest.approx((0.0, 0.0))


def test_pairwise_of_single_point():
    assert pairwise_haversine_km([[45.0, 7.0]]).shape == (1, 1)


def test_pairwise_refuses_a_one_column_input():
    # issue 16 #3: a 1-column input read past its end and gave plausible distances
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\).*\(4, 1\)"):
        pairwise_haversine_km(np.array([[10.0], [20.0], [30.0], [40.0]]))
    with pytest.raises(ValueError, match=r"Y must have shape \(n, 2\)"):
        pairwise_haversine_km([[0.0, 0.0]], np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"X\[1, 0\] \(lat\) is 95.0"):
        pairwise_haversine_km([[0.0, 0.0], [95.0, 0.0]])
    with pytest.raises(ValueError, match=r"Y\[0, 1\] \(lon\) is nan"):
        pairwise_haversine_km([[0.0, 0.0]], [[0.0, np.nan]])
    # a depth column is ignored, as in a catalog
    assert_allclose(
        pairwise_haversine_km([[0.0, 0.0, 9.0]], [[0.0, 1.0]]), [[111.195]], rtol=1e-5
    )


@pytest.mark.parametrize(
    "args, message",
    [
        ((np.nan, 0.0, 0.0, 1.0), "lat1 is nan"),
        ((180.0, 0.0, 0.0, 1.0), "lat1 is 180.0"),
        ((0.0, 0.0, [0.0, -91.0], 1.0), r"lat2\[1\] is -91.0"),
        ((0.0, np.inf, 0.0, 1.0), "lon1 is inf"),
        ((0.0, 0.0, 0.0, "east"), "lon2 must be numeric"),
    ],
)
def test_haversine_refuses_nan_and_latitudes_beyond_the_poles(args, message):
    # issue 16 #12: NaN gave NaN and latitude 180 a distance
    with pytest.raises(ValueError, match=message):
        haversine_km(*args)
