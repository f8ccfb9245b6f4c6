"""Exact weighted medoid kernels against brute force."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skgeoclust._kernels.medoid import weighted_medoid
from skgeoclust.geometry import latlon_to_unit_vectors


def test_weighted_medoid_of_a_line_is_the_middle_or_the_heavy_end():
    xyz = latlon_to_unit_vectors([0.0] * 5, [0.0, 0.1, 0.2, 0.3, 0.4])
    idx = np.arange(5)
    prio = np.arange(5.0)
    assert weighted_medoid(xyz, np.ones(5), idx, prio)[0] == 2
    w = np.array([1.0, 1.0, 1.0, 1.0, 10.0])
    assert weighted_medoid(xyz, w, idx, prio)[0] == 4


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 120))
def test_weighted_medoid_equals_brute_force(cap_points, chord_angles, seed, n):
    rng = np.random.default_rng(seed)
    xyz = cap_points(rng, n, rng.uniform(-90, 90), rng.uniform(-180, 180), 1.0)
    w = rng.uniform(0.0, 2.0, n) * (rng.random(n) < 0.9)
    idx = np.arange(n)
    medoid, cost = weighted_medoid(xyz, w, idx, rng.random(n))
    costs = chord_angles(xyz) @ w
    assert cost == pytest.approx(costs.min(), rel=1e-10, abs=1e-14)
    assert costs[medoid] == pytest.approx(costs.min(), rel=1e-10, abs=1e-14)
