"""Angle and nearest-site kernels of SphericalKMedoids against numpy."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skgeoclust._kernels.sphere import (
    angle_between,
    angles_to,
    angles_to_representatives,
    edge_angles,
    nearest_representative,
)
from skgeoclust.geometry import latlon_to_unit_vectors


def test_angle_of_a_quarter_circle():
    xyz = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])
    assert angle_between(xyz, 0, 1) == pytest.approx(np.pi / 2, rel=1e-15)
    assert angle_between(xyz, 0, 2) == pytest.approx(np.pi, rel=1e-15)
    assert_allclose(edge_angles(xyz, np.array([0, 1]), np.array([1, 2])), np.pi / 2)


def test_nearest_representative_breaks_ties_by_site():
    xyz = latlon_to_unit_vectors([0.0, 0.0, 0.0], [0.0, -1.0, 1.0])
    which, dist = nearest_representative(xyz, np.array([0]), np.array([[2, 1, -1]]))
    assert which[0] == 1  # sites 1 and 2 are equally far; the smaller wins
    assert dist[0] == pytest.approx(np.radians(1.0), rel=1e-12)


def test_angles_to_representatives_follow_the_csr_layout():
    rng = np.random.default_rng(0)
    xyz = latlon_to_unit_vectors(rng.uniform(-60, 60, 30), rng.uniform(-180, 180, 30))
    indptr = np.array([0, 4, 4, 30])
    sites = rng.permutation(30).astype(np.int64)
    reps = np.array([sites[0], 7, sites[10]], dtype=np.int64)
    out = angles_to_representatives(xyz, indptr, sites, reps)
    want = np.concatenate(
        [angles_to(xyz, sites[indptr[c] : indptr[c + 1]], reps[c]) for c in range(3)]
    )
    assert_array_equal(out, want)
    assert out[0] == 0.0
