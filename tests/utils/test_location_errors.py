"""check_location_errors: the three input shapes and what bad errors say."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from skgeoclust.utils._location_errors import check_location_errors


def test_isotropic_sigma_gives_scaled_identity():
    cov = check_location_errors([0.5, 2.0, 0.0], 3)
    assert cov.shape == (3, 3, 3)
    assert_array_equal(cov[0], 0.25 * np.eye(3))
    assert_array_equal(cov[1], 4.0 * np.eye(3))
    assert_array_equal(cov[2], np.zeros((3, 3)))


def test_per_axis_sigma_gives_diagonal():
    cov = check_location_errors([[0.3, 0.4, 1.2]], 1)
    assert_allclose(cov[0], np.diag([0.09, 0.16, 1.44]))


def test_covariance_is_returned_symmetrised_and_copied():
    c = np.array([[[2.0, 0.5, 0.0], [0.5, 1.0, 0.1], [0.0, 0.1, 3.0]]])
    out = check_location_errors(c, 1)
    assert_array_equal(out, c)
    out[0, 0, 0] = 99.0
    assert c[0, 0, 0] == 2.0


def test_none_means_no_errors():
    assert check_location_errors(None, 5) is None


def test_other_dimensions():
    assert check_location_errors([[0.1, 0.2]], 1, n_features=2).shape == (1, 2, 2)
    with pytest.raises(ValueError, match=r"\(1,\) \(isotropic"):
        check_location_errors([[0.1, 0.2, 0.3]], 1, n_features=2)


@given(
    sigma=arrays(
        np.float64,
        st.integers(1, 8),
        elements=st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False),
    )
)
def test_three_forms_agree_on_isotropic_errors(sigma):
    n = sigma.shape[0]
    iso = check_location_errors(sigma, n)
    axes = check_location_errors(np.repeat(sigma[:, None], 3, axis=1), n)
    full = check_location_errors(iso, n, allow_zero=False)
    assert_allclose(iso, axes)
    assert_allclose(iso, full)


@pytest.mark.parametrize(
    ("errors", "message"),
    [
        ([0.5, -0.1, 0.2], "row 1 holds a negative standard deviation -0.1"),
        ([0.5, 0.1, np.nan], "row 2 holds NaN"),
        ([0.5, np.inf, 0.1], "row 1 holds infinity"),
        ([[0.5, 0.5, 1.0], [0.5, 0.5, 1.0], [0.5, -2.0, 1.0]], "row 2 holds a neg"),
        ([[0.5, 0.5, 1.0], [0.5, np.nan, 1.0], [0.5, 0.5, 1.0]], "row 1 holds NaN"),
        ([1e200, 1.0, 1.0], "row 0 holds 1e\\+200 km, too large"),
    ],
)
def test_bad_sigma_names_the_row(errors, message):
    with pytest.raises(ValueError, match=message):
        check_location_errors(errors, 3)


def test_non_symmetric_covariance_names_row_and_entry():
    c = np.tile(np.eye(3), (4, 1, 1))
    c[3, 0, 2] = 0.5
    with pytest.raises(ValueError, match=r"row 3 is not symmetric: entry \[0, 2\]"):
        check_location_errors(c, 4)


def test_indefinite_covariance_names_the_row():
    c = np.tile(np.eye(3), (3, 1, 1))
    c[1] = [[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]  # eigenvalue -1
    with pytest.raises(ValueError, match=r"row 1 is not positive semi-definite.*-1"):
        check_location_errors(c, 3)


def test_singular_covariance_allowed_unless_definite_required():
    c = np.tile(np.eye(3), (2, 1, 1))
    c[1] = np.diag([1.0, 1.0, 0.0])
    assert check_location_errors(c, 2).shape == (2, 3, 3)
    with pytest.raises(ValueError, match="row 1 is not positive definite"):
        check_location_errors(c, 2, allow_zero=False)
    with pytest.raises(ValueError, match="row 0 holds a zero standard deviation"):
        check_location_errors([0.0, 1.0], 2, allow_zero=False)


def test_tiny_errors_are_positive_definite():
    assert check_location_errors([1e-6, 1e-6], 2, allow_zero=False).shape == (2, 3, 3)


@pytest.mark.parametrize(
    ("errors", "message"),
    [
        (np.ones(4), "has 4 rows but there are 3 events"),
        (np.ones((2, 3)), "has 2 rows but there are 3 events"),
        (np.ones((3, 2)), r"has shape \(3, 2\); expected \(3,\)"),
        (np.ones((3, 3, 2)), r"has shape \(3, 3, 2\)"),
        (np.ones((3, 3, 3, 3)), r"has shape \(3, 3, 3, 3\)"),
        (1.0, r"has shape \(\)"),
        (np.array(["a", "b", "c"]), "must hold numbers"),
        (np.array([True, False, True]), "holds booleans"),
    ],
)
def test_wrong_shape_length_or_type(errors, message):
    with pytest.raises(ValueError, match=message):
        check_location_errors(errors, 3)


def test_custom_name_in_message():
    with pytest.raises(ValueError, match="errs row 0 holds NaN"):
        check_location_errors([np.nan], 1, name="errs")
