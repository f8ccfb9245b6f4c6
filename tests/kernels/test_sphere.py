"""Angle and nearest-site kernels of SphericalKMedoids against numpy."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skgeoclust._kernels.sphere import (
    angle_between,
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
