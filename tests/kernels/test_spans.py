"""Hull, span and span-limit kernels of SphericalKMedoids against numpy oracles."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial import ConvexHull

from skgeoclust._kernels.spans import (
    fits_after_adding,
    hull_vertices,
    medial_side,
    span_of,
    spans_of_clusters,
    within_reach,
)
from skgeoclust._kernels.sphere import (
    angle_between,
)
from skgeoclust.geometry import EARTH_RADIUS_KM, latlon_to_unit_vectors


def test_span_of_three_points_on_the_equator():
    xyz = latlon_to_unit_vectors([0.0, 0.0, 0.0], [0.0, 1.0, 3.0])
    span, a, b, exact = span_of(xyz, np.arange(3), 1.0)
    assert exact and {a, b} == {0, 2}
    assert span * EARTH_RADIUS_KM == pytest.approx(3 * 111.19492664455873, rel=1e-12)


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 150),
    center=st.tuples(st.floats(-90, 90), st.floats(-180, 180)),
    radius=st.sampled_from([1e-4, 0.05, 1.0, 10.0, 60.0, 180.0]),
)
def test_span_of_equals_brute_force(cap_points, chord_angles, seed, n, center, radius):
    rng = np.random.default_rng(seed)
    xyz = cap_points(rng, n, *center, radius)
    idx = rng.permutation(n).astype(np.int64)
    brute = chord_angles(xyz).max()
    span, a, b, exact = span_of(xyz, idx, 10.0)  # limit above pi: always exact
    assert exact
    assert span == pytest.approx(brute, rel=1e-12, abs=1e-15)
    assert angle_between(xyz, a, b) == span
    # With a small limit, a wide set may return a lower bound that exceeds it.
    span, a, b, exact = span_of(xyz, idx, 1e-3)
    if exact:
        assert span == pytest.approx(brute, rel=1e-12, abs=1e-15)
    else:
        assert 1e-3 < span <= brute + 1e-15


def test_spans_of_clusters_matches_span_of(cap_points, chord_angles):
    rng = np.random.default_rng(0)
    xyz = cap_points(rng, 300, 35.0, 139.0, 2.0)
    labels = rng.integers(0, 7, 300)
    order = np.argsort(labels, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=7))])
    spans, ends = spans_of_clusters(xyz, indptr, order, 1.0)
    for c in range(7):
        members = np.flatnonzero(labels == c)
        assert spans[c] == pytest.approx(chord_angles(xyz[members]).max(), rel=1e-12)
        assert angle_between(xyz, ends[c, 0], ends[c, 1]) == spans[c]


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 80))
def test_medial_side_is_the_scalar_triple_product(cap_points, chord_angles, seed, n):
    rng = np.random.default_rng(seed)
    xyz = cap_points(rng, n, rng.uniform(-90, 90), rng.uniform(-180, 180), 3.0)
    a, b = 0, 1
    side = medial_side(xyz, np.arange(n), a, b)
    mid = (xyz[a] + xyz[b]) / np.linalg.norm(xyz[a] + xyz[b])
    triple = xyz @ np.cross(mid, np.cross(xyz[a], xyz[b]))
    clear = np.abs(triple) > 1e-12
    assert side[a] and not side[b]
    assert np.array_equal(side[clear], triple[clear] > 0)
    # Each side holds the points at least as close to its end of the span.
    d = chord_angles(xyz)
    assert np.all(d[side, a] <= d[side, b] + 1e-12)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), m=st.integers(0, 10))
def test_fits_after_adding_equals_brute_force(cap_points, chord_angles, seed, n, m):
    rng = np.random.default_rng(seed)
    xyz = cap_points(rng, n + m, 10.0, 10.0, 0.5)
    limit = chord_angles(xyz[:n]).max() * 1.2 + 1e-6
    base, added = np.arange(n), np.arange(n, n + m)
    expected = chord_angles(xyz).max() <= limit
    assert fits_after_adding(xyz, base, added, limit) == expected


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 400))
def test_hull_vertices_are_the_planar_hull_of_the_gnomonic_projection(
    cap_points, seed, n
):
    # The 8-direction (Akl-Toussaint) filter must not drop a hull vertex.
    rng = np.random.default_rng(seed)
    xyz = cap_points(rng, n, rng.uniform(-80, 80), rng.uniform(-180, 180), 0.5)
    idx = np.arange(n, dtype=np.int64)
    c = xyz.mean(axis=0)
    c /= np.linalg.norm(c)
    ref = np.array([0.0, 0.0, 1.0]) if abs(c[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    e1 = np.cross(ref, c)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(c, e1)
    uv = np.column_stack([xyz @ e1, xyz @ e2]) / (xyz @ c)[:, None]
    expected = set(ConvexHull(uv).vertices)
    assert set(hull_vertices(xyz, idx)) == expected


@given(
    seed=st.integers(0, 2**32 - 1),
    n_own=st.integers(1, 60),
    n_out=st.integers(0, 80),
    reach=st.floats(0.0, 0.02),
)
def test_within_reach_keeps_every_outsider_close_to_a_member(
    cap_points, chord_angles, seed, n_own, n_out, reach
):
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(-70, 70), rng.uniform(-180, 180)
    xyz = np.vstack(
        [cap_points(rng, n_own, lat, lon, 0.3), cap_points(rng, n_out, lat, lon, 1.5)]
    )
    own = np.arange(n_own, dtype=np.int64)
    out = np.arange(n_own, n_own + n_out, dtype=np.int64)
    d_out = rng.uniform(0.0, reach, n_out)
    keep = within_reach(xyz, own, out, d_out, 1e-9)
    gap = chord_angles(xyz)[np.ix_(out, own)].min(axis=1) if n_out else np.empty(0)
    # Necessary condition: an outsider within d_out of some member is kept ...
    assert np.all(keep[gap <= d_out])
    # ... and one beyond d_out of the cap holding the members is dropped.
    if n_own >= 3 and n_out:
        c = xyz[own].sum(axis=0)
        c /= np.linalg.norm(c)
        radius = np.arccos(np.clip(xyz[own] @ c, -1, 1)).max()
        beyond = np.arccos(np.clip(xyz[out] @ c, -1, 1)) - radius > d_out + 1e-6
        assert not np.any(keep[beyond])
