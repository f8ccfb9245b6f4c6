"""Tests for morisita_index, morisita_curve and morisita_slope."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from skgeoclust.metrics import morisita_curve, morisita_index, morisita_slope

from .conftest import PAPER_BOUNDS


# 1. toy results by hand -----------------------------------------------------------
def test_morisita_index_by_hand():
    X = np.array([[0.0, 0.0], [0.1, 0.1], [0.9, 0.9], [1.0, 1.0]])
    # 2 x 2 cells, two of them hold 2 points: Q sum n(n-1) / N(N-1) = 4 * 4 / 12.
    assert morisita_index(X, 2) == pytest.approx(4 / 3)
    # One cell holds everything: I = 1 whatever the points.
    assert morisita_index(X, 1) == pytest.approx(1.0)
    # 4 x 4 cells: (0, 0) holds 2, (3, 3) holds 2.
    assert morisita_index(X, 4) == pytest.approx(16 * 4 / 12)
    # All points alone in their cells: I = 0.
    assert morisita_index(X, 20) == 0.0


def test_morisita_index_3d_and_upper_edge():
    X = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [1.0, 1.0, 0.99], [0.5, 0.2, 0.7]])
    # Upper edges fall in the last cell, so the two corner points share a cell.
    assert morisita_index(X, 2) == pytest.approx(8 * 2 / 12)


def test_morisita_curve_matches_index():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    delta, index = morisita_curve(X, [1, 3, 7])
    assert_allclose(delta, [1.0, 1 / 3, 1 / 7])
    assert_allclose(index, [morisita_index(X, n) for n in (1, 3, 7)])
    assert index[0] == pytest.approx(1.0)


# 2. properties -----------------------------------------------------------------
@pytest.mark.parametrize("n_dims, n_cells", [(2, 10), (2, 30), (3, 6)])
def test_uniform_points_have_index_one(global_random_seed, n_dims, n_cells):
    n_samples = 3000
    rng = np.random.default_rng(global_random_seed)
    X = rng.uniform(size=(n_samples, n_dims))
    q = n_cells**n_dims
    # Multinomial counts: E[I] = 1, sd(I) ~ sqrt(2 Q) / N.
    sd = np.sqrt(2.0 * q) / n_samples
    bounds = np.array([np.zeros(n_dims), np.ones(n_dims)])
    assert abs(morisita_index(X, n_cells, bounds=bounds) - 1.0) < 6 * sd


def test_clumped_points_index_above_one_regular_below(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    centres = rng.uniform(size=(5, 2))
    clumped = centres[rng.integers(0, 5, 2000)] + rng.normal(0, 0.01, (2000, 2))
    assert morisita_index(clumped, 10) > 3.0
    grid = np.stack(np.meshgrid(np.arange(20), np.arange(20)), -1).reshape(-1, 2) + 0.5
    # One point per cell of a 20 x 20 lattice viewed on a 10 x 10 grid: 4 per cell.
    regular = morisita_index(grid, 10, bounds=[[0, 0], [20, 20]])
    assert regular == pytest.approx(100 * 100 * 12 / (400 * 399))
    assert regular < 1.0


@given(
    arrays(
        np.float64,
        st.tuples(st.integers(2, 40), st.integers(2, 3)),
        elements=st.floats(0, 1, allow_subnormal=False),
    ),
    st.integers(1, 12),
    st.randoms(use_true_random=False),
)
def test_permutation_and_power_of_two_scaling_invariance(X, n_cells, rnd):
    X = X.copy()
    X[0], X[1] = 0.0, 1.0  # a positive extent on every axis
    base = morisita_index(X, n_cells)
    perm = list(range(X.shape[0]))
    rnd.shuffle(perm)
    assert morisita_index(X[perm], n_cells) == base
    scales = 2.0 ** np.array([rnd.randint(-8, 8) for _ in range(X.shape[1])])
    assert morisita_index(X * scales, n_cells) == base


def test_affine_invariance_generic(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.gamma(1.0, size=(1000, 3))
    Y = X * np.array([111.2, 0.37, 5.0]) + np.array([45.0, -3.0, 1e3])
    for n in (2, 5, 17):
        assert morisita_index(Y, n) == pytest.approx(morisita_index(X, n))


def test_slope_of_a_line_and_a_plane(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    t = rng.uniform(size=4000)
    fit = morisita_slope(np.c_[t, t, t], range(2, 21))
    assert fit.slope == pytest.approx(-2.0, abs=0.05)
    assert fit.dimension == pytest.approx(1.0, abs=0.05)
    plane = np.c_[rng.uniform(size=(4000, 2)), np.zeros(4000)]
    plane[0, 2] = 1.0
    fit = morisita_slope(plane, range(2, 11))
    assert fit.dimension == pytest.approx(2.0, abs=0.1)
    assert fit.slope_ci[0] < fit.slope < fit.slope_ci[1]
    assert 0.9 < fit.rsquared <= 1.0


# 3. the Azerbaijan catalog -------------------------------------------------------
def test_azerbaijan_paper_morisita_reproduced(azerbaijan_paper_box):
    """Section 3: the 6,194 events in the paper's box, ln-ln fit over delta=1/2..."""
    X = azerbaijan_paper_box
    assert X.shape[0] == 6194
    fit2 = morisita_slope(X[:, :2], range(2, 101), bounds=PAPER_BOUNDS[:, :2])
    # Paper: y = -0.121 - 0.720 x, 95 % CI {-0.743, -0.697}, R^2 = 0.975.
    assert fit2.slope == pytest.approx(-0.720, abs=5e-4)
    assert fit2.intercept == pytest.approx(-0.121, abs=1e-3)
    assert_allclose(fit2.slope_ci, (-0.743, -0.697), atol=6e-4)
    assert fit2.rsquared == pytest.approx(0.975, abs=5e-4)
    assert fit2.dimension == pytest.approx(1.28, abs=5e-3)
    fit3 = morisita_slope(X, range(2, 31), bounds=PAPER_BOUNDS)
    # Paper: y = 0.167 - 1.225 x, 95 % CI {-1.28912, -1.1612}, R^2 = 0.982.
    assert fit3.slope == pytest.approx(-1.225, abs=1e-3)
    assert fit3.intercept == pytest.approx(0.167, abs=2e-3)
    assert_allclose(fit3.slope_ci, (-1.28912, -1.1612), atol=3e-3)
    assert fit3.rsquared == pytest.approx(0.982, abs=5e-4)
    assert fit3.dimension == pytest.approx(1.775, abs=1e-3)


def test_azerbaijan_min_max_scaled_catalog(azerbaijan_catalog):
    """The published catalog min-max scaled on itself (figures measured before)."""
    X = azerbaijan_catalog[["lon", "lat", "depth_km"]].to_numpy()
    assert morisita_slope(X[:, :2]).slope == pytest.approx(-0.803, abs=1e-3)
    assert morisita_slope(X).slope == pytest.approx(-1.154, abs=1e-3)
    assert morisita_slope(X, range(1, 31)).slope == pytest.approx(-1.234, abs=1e-3)
    _, index = morisita_curve(X[:, :2], range(1, 101))
    assert np.all(index[1:] > 1.0)  # clustered at every scale


# 4. errors -----------------------------------------------------------------------
def test_errors():
    X = np.array([[0.0, 1.0], [1.0, 1.0], [0.5, 1.0]])
    with pytest.raises(ValueError, match="column 1 has zero extent"):
        morisita_index(X, 2)
    Y = np.array([[0.0, 0.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match=r"row 1, column 1 .* outside"):
        morisita_index(Y, 2, bounds=[[0, 0], [1, 1]])
    with pytest.raises(ValueError, match="bounds must be None or a finite array"):
        morisita_index(Y, 2, bounds=[[0, 0, 0], [1, 1, 1]])
    with pytest.raises(ValueError, match="n_cells"):
        morisita_index(Y, 0)
    with pytest.raises(ValueError, match="n_cells_range must be"):
        morisita_curve(Y, [0.5, 2])
    with pytest.raises(ValueError, match="at least three scales"):
        morisita_slope(Y, [1, 2])
    with pytest.raises(ValueError, match="NaN"):
        morisita_index([[0.0, np.nan], [1.0, 1.0]], 2)
