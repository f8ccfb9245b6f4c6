"""make_fault_network, make_seismicity_catalog and make_velocity_model."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from skgeoclust.datasets import (
    make_fault_network,
    make_seismicity_catalog,
    make_velocity_model,
)
from skgeoclust.geometry import haversine_km

# make_fault_network -------------------------------------------------------------


def _plane_residuals(X, y, faults):
    """Distance of each fault event from its plane, and its in-plane offsets."""
    out = []
    for i in range(len(faults["strike"])):
        offsets = X[y == i] - faults["centers"][i]
        out.append(offsets @ faults["normals"][i])
    return np.concatenate(out)


@given(st.integers(0, 2**31 - 1))
def test_fault_network_is_reproducible(seed):
    a = make_fault_network(n_faults=3, density=0.2, random_state=seed)
    b = make_fault_network(n_faults=3, density=0.2, random_state=seed)
    assert_array_equal(a[0], b[0])
    assert_array_equal(a[1], b[1])


def test_points_lie_exactly_on_their_planes():
    X, y, faults = make_fault_network(random_state=0, return_faults=True)
    assert_allclose(_plane_residuals(X, y, faults), 0.0, atol=1e-9)
    for i in range(20):
        offsets = X[y == i] - faults["centers"][i]
        strike = np.radians(faults["strike"][i])
        along = offsets @ np.array([np.sin(strike), np.cos(strike), 0.0])
        assert np.abs(along).max() <= faults["length"][i] / 2 + 1e-9


def test_plane_attributes_in_paper_ranges():
    _, _, f = make_fault_network(random_state=1, return_faults=True)
    assert f["strike"].min() >= -90 and f["strike"].max() <= 90
    assert f["dip"].min() >= 45 and f["dip"].max() <= 90
    assert f["length"].min() >= 20 and f["length"].max() <= 40
    assert f["width"].min() >= 5 and f["width"].max() <= 15
    # Dip of the normal: a plane with dip d has a normal at d from vertical.
    assert_allclose(np.degrees(np.arccos(np.abs(f["normals"][:, 2]))), f["dip"])


def test_counts_follow_density_and_background_fraction():
    X, y, f = make_fault_network(
        density=0.5, background_fraction=0.2, random_state=3, return_faults=True
    )
    assert_array_equal(f["n_events"], np.rint(0.5 * f["length"] * f["width"]))
    assert_array_equal(np.bincount(y[y >= 0]), f["n_events"])
    assert abs(np.mean(y == -1) - 0.2) < 1e-3
    assert np.all(X >= 0) and np.all(X <= [220, 150, 30])


def test_paper_section_3_1_setting():
    X, y = make_fault_network(
        n_faults=5, n_samples=640, background_fraction=0.2, random_state=0
    )
    assert X.shape == (640, 3) and np.sum(y == -1) == 128
    assert_array_equal(np.unique(y), [-1, 0, 1, 2, 3, 4])


def test_paper_section_3_2_size_range():
    # Paper: 0.1 to 2 points per km^2 over 20 planes gives 609 to 14,475 events.
    small, _ = make_fault_network(density=0.1, background_fraction=0.05, random_state=0)
    large, _ = make_fault_network(density=2.0, background_fraction=0.2, random_state=0)
    assert 300 < len(small) < 1200 and 7000 < len(large) < 25000


def test_location_scatter_has_requested_spread():
    X, y, f = make_fault_network(
        density=1.0, location_error_km=0.5, random_state=2, return_faults=True
    )
    assert np.std(_plane_residuals(X, y, f)) == pytest.approx(0.5, rel=0.05)


def test_gaussian_kernels_match_rectangle_moments():
    X, _y, f = make_fault_network(
        n_faults=1,
        density=20.0,
        kernel="gaussian",
        background_fraction=0.0,
        random_state=4,
        return_faults=True,
    )
    cov = np.cov((X - f["centers"][0]).T)
    eig = np.sort(np.linalg.eigvalsh(cov))[::-1]
    expected = [f["length"][0] ** 2 / 12, f["width"][0] ** 2 / 12]
    assert_allclose(eig[:2], expected, rtol=0.1)
    assert eig[2] < 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_event_errors_displace_the_same_network(seed):
    kwargs = dict(
        density=0.5, location_error_km=0.5, scatter="normal", random_state=seed
    )
    X0, y0, f0 = make_fault_network(return_faults=True, **kwargs)
    X, y, sigma, f = make_fault_network(
        event_error_km=0.6, return_faults=True, **kwargs
    )
    assert_array_equal(y, y0)
    assert_array_equal(f["centers"], f0["centers"])
    assert f["event_error_km"] == 0.6 and f["event_error_log_std"] == 0.6
    assert sigma.shape == y.shape and np.all(sigma > 0)
    # lognormal sigma of median 0.6 km, log-std 0.6
    assert np.median(np.log(sigma / 0.6)) == pytest.approx(0.0, abs=0.05)
    assert np.std(np.log(sigma)) == pytest.approx(0.6, rel=0.06)
    # displacement ~ N(0, sigma_i^2 I): (|d| / sigma)^2 is chi^2 with 3 dof
    z2 = np.sum((X - X0) ** 2, axis=1) / sigma**2
    assert z2.mean() == pytest.approx(3.0, rel=0.06)
    assert np.var(z2) == pytest.approx(6.0, rel=0.2)


def test_event_errors_without_faults_dict():
    out = make_fault_network(n_faults=3, density=0.2, event_error_km=1.0)
    assert len(out) == 3 and out[2].shape == out[1].shape


def test_unshuffled_order():
    _, y = make_fault_network(n_faults=3, density=0.1, shuffle=False, random_state=0)
    assert np.all(np.diff(y[y >= 0]) >= 0) and np.all(y[-1] == -1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"background_fraction": 1.0}, "background_fraction"),
        ({"kernel": "ellipse"}, "kernel"),
        ({"n_faults": 0}, "n_faults"),
        ({"n_samples": 5, "n_faults": 10}, "at least one per fault"),
        ({"domain_km": (1, 2)}, "domain_km"),
        ({"location_error_km": -1}, "location_error_km"),
        ({"density": 0}, "density"),
        ({"event_error_km": 0.0}, "event_error_km"),
        ({"event_error_km": 1.0, "event_error_log_std": -1}, "event_error_log_std"),
    ],
)
def test_fault_network_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_fault_network(**kwargs)


# make_seismicity_catalog ----------------------------------------------------------


@given(st.integers(0, 2**31 - 1))
def test_catalog_is_reproducible_and_valid(seed):
    X, y = make_seismicity_catalog(100, n_clusters=3, random_state=seed)
    X2, y2 = make_seismicity_catalog(100, n_clusters=3, random_state=seed)
    assert_array_equal(X, X2) and assert_array_equal(y, y2)
    assert np.all(np.abs(X[:, 0]) <= 90)
    assert np.all((X[:, 1] >= -180) & (X[:, 1] < 180))
    assert np.all((X[:, 2] >= 0) & (X[:, 2] <= 30))


def test_clustered_events_lie_within_their_cap():
    X, y, centers = make_seismicity_catalog(
        2000,
        n_clusters=5,
        cluster_radius_km=25.0,
        random_state=0,
        return_centers=True,
    )
    member = y >= 0
    d = haversine_km(
        X[member, 0], X[member, 1], centers[y[member], 0], centers[y[member], 1]
    )
    assert d.max() <= 25.0 + 1e-6
    # Uniform in area: the median distance is r / sqrt(2).
    assert np.median(d) == pytest.approx(25.0 / np.sqrt(2), rel=0.05)
    assert np.mean(y == -1) == pytest.approx(0.2, abs=1e-3)


def test_region_across_the_antimeridian():
    X, y = make_seismicity_catalog(
        3000,
        n_clusters=4,
        cluster_radius_km=1.0,
        region=(40.0, 60.0, 170.0, -170.0),
        random_state=1,
    )
    bg = X[y == -1]
    assert np.all((bg[:, 0] >= 40) & (bg[:, 0] <= 60))
    assert np.all((bg[:, 1] >= 170) | (bg[:, 1] <= -170))
    assert (bg[:, 1] > 0).any() and (bg[:, 1] < 0).any()


def test_background_uniform_in_area_on_the_globe():
    X, _ = make_seismicity_catalog(20000, background_fraction=1.0, random_state=2)
    # Half the sphere's area lies between latitudes -30 and 30.
    assert np.mean(np.abs(X[:, 0]) < 30) == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples"),
        ({"background_fraction": 1.5}, "background_fraction"),
        ({"cluster_radius_km": 0}, "cluster_radius_km"),
        ({"region": (10, 5, 0, 1)}, "region"),
        ({"n_clusters": 0}, "n_clusters"),
    ],
)
def test_catalog_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_seismicity_catalog(**kwargs)


# make_velocity_model ----------------------------------------------------------------


def test_velocity_model_shapes_and_reproducibility():
    a = make_velocity_model(10, 12, 20, random_state=0)
    b = make_velocity_model(10, 12, 20, random_state=0)
    for u, v in zip(a, b):
        assert_array_equal(u, v)
    _lat, _lon, depth, model, provinces = a
    assert model.shape == (20, 10, 12) and provinces.shape == (10, 12)
    assert depth[0] == 0 and np.all(np.diff(depth) > 0)
    assert 2.5 < model.min() and model.max() < 5.5


def test_provinces_have_distinct_profiles_and_little_noise():
    *_, model, provinces = make_velocity_model(
        20, 20, 30, n_provinces=4, noise_std=0.01, random_state=1
    )
    columns = model.reshape(model.shape[0], -1).T
    labels = provinces.ravel()
    means = np.stack([columns[labels == p].mean(axis=0) for p in range(4)])
    within = np.mean(
        [
            np.linalg.norm(columns[labels == p] - means[p], axis=1).mean()
            for p in range(4)
        ]
    )
    between = min(
        np.linalg.norm(means[i] - means[j]) for i in range(4) for j in range(i + 1, 4)
    )
    assert between > 3 * within


def test_nan_columns():
    *_, model, _provinces = make_velocity_model(
        10, 10, 15, nan_fraction=0.2, random_state=2
    )
    missing = np.isnan(model)
    column_missing = missing.any(axis=0)
    assert column_missing.sum() == 20
    assert_array_equal(missing.all(axis=0), column_missing)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_lat": 0}, ">= 1"),
        ({"n_provinces": 10_000}, "n_provinces"),
        ({"nan_fraction": 1.0}, "nan_fraction"),
    ],
)
def test_velocity_model_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_velocity_model(**kwargs)
