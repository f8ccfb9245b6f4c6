"""Kernels of SphericalKMedoids against numpy oracles."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components as scipy_components
from scipy.spatial import ConvexHull

from skgeoclust._kernels.medoids import (
    angle_between,
    edge_angles,
    first_improving_swap,
    fits_after_adding,
    hull_vertices,
    medial_side,
    nearest_representative,
    span_of,
    spans_of_clusters,
    weighted_medoid,
    within_reach,
    within_reach_of_sites,
)
from skgeoclust._kernels.unionfind import connected_components
from skgeoclust.geometry import EARTH_RADIUS_KM, latlon_to_unit_vectors


def _cap(rng, n, center_lat, center_lon, radius_deg):
    """n unit vectors scattered about a centre (radius in degrees of lat/lon)."""
    lat = np.clip(center_lat + rng.uniform(-radius_deg, radius_deg, n), -90, 90)
    lon = center_lon + rng.uniform(-radius_deg, radius_deg, n)
    return latlon_to_unit_vectors(lat, lon)


def _angles(xyz):
    return np.arccos(np.clip(xyz @ xyz.T, -1.0, 1.0))


def _chord_angles(xyz):
    diff = xyz[:, None, :] - xyz[None, :, :]
    return 2.0 * np.arcsin(np.minimum(np.linalg.norm(diff, axis=2) / 2.0, 1.0))


# 1. results by hand ----------------------------------------------------------------


def test_angle_of_a_quarter_circle():
    xyz = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])
    assert angle_between(xyz, 0, 1) == pytest.approx(np.pi / 2, rel=1e-15)
    assert angle_between(xyz, 0, 2) == pytest.approx(np.pi, rel=1e-15)
    assert_allclose(edge_angles(xyz, np.array([0, 1]), np.array([1, 2])), np.pi / 2)


def test_span_of_three_points_on_the_equator():
    xyz = latlon_to_unit_vectors([0.0, 0.0, 0.0], [0.0, 1.0, 3.0])
    span, a, b, exact = span_of(xyz, np.arange(3), 1.0)
    assert exact and {a, b} == {0, 2}
    assert span * EARTH_RADIUS_KM == pytest.approx(3 * 111.19492664455873, rel=1e-12)


def test_weighted_medoid_of_a_line_is_the_middle_or_the_heavy_end():
    xyz = latlon_to_unit_vectors([0.0] * 5, [0.0, 0.1, 0.2, 0.3, 0.4])
    idx = np.arange(5)
    prio = np.arange(5.0)
    assert weighted_medoid(xyz, np.ones(5), idx, prio)[0] == 2
    w = np.array([1.0, 1.0, 1.0, 1.0, 10.0])
    assert weighted_medoid(xyz, w, idx, prio)[0] == 4


# 2. kernels against numpy oracles ---------------------------------------------------


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 150),
    center=st.tuples(st.floats(-90, 90), st.floats(-180, 180)),
    radius=st.sampled_from([1e-4, 0.05, 1.0, 10.0, 60.0, 180.0]),
)
def test_span_of_equals_brute_force(seed, n, center, radius):
    rng = np.random.default_rng(seed)
    xyz = _cap(rng, n, *center, radius)
    idx = rng.permutation(n).astype(np.int64)
    brute = _chord_angles(xyz).max()
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


def test_spans_of_clusters_matches_span_of():
    rng = np.random.default_rng(0)
    xyz = _cap(rng, 300, 35.0, 139.0, 2.0)
    labels = rng.integers(0, 7, 300)
    order = np.argsort(labels, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=7))])
    spans, ends = spans_of_clusters(xyz, indptr, order, 1.0)
    for c in range(7):
        members = np.flatnonzero(labels == c)
        assert spans[c] == pytest.approx(_chord_angles(xyz[members]).max(), rel=1e-12)
        assert angle_between(xyz, ends[c, 0], ends[c, 1]) == spans[c]


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 80))
def test_medial_side_is_the_scalar_triple_product(seed, n):
    rng = np.random.default_rng(seed)
    xyz = _cap(rng, n, rng.uniform(-90, 90), rng.uniform(-180, 180), 3.0)
    a, b = 0, 1
    side = medial_side(xyz, np.arange(n), a, b)
    mid = (xyz[a] + xyz[b]) / np.linalg.norm(xyz[a] + xyz[b])
    triple = xyz @ np.cross(mid, np.cross(xyz[a], xyz[b]))
    clear = np.abs(triple) > 1e-12
    assert side[a] and not side[b]
    assert np.array_equal(side[clear], triple[clear] > 0)
    # Each side holds the points at least as close to its end of the span.
    d = _chord_angles(xyz)
    assert np.all(d[side, a] <= d[side, b] + 1e-12)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 120))
def test_weighted_medoid_equals_brute_force(seed, n):
    rng = np.random.default_rng(seed)
    xyz = _cap(rng, n, rng.uniform(-90, 90), rng.uniform(-180, 180), 1.0)
    w = rng.uniform(0.0, 2.0, n) * (rng.random(n) < 0.9)
    idx = np.arange(n)
    medoid, cost = weighted_medoid(xyz, w, idx, rng.random(n))
    costs = _chord_angles(xyz) @ w
    assert cost == pytest.approx(costs.min(), rel=1e-10, abs=1e-14)
    assert costs[medoid] == pytest.approx(costs.min(), rel=1e-10, abs=1e-14)


def test_nearest_representative_breaks_ties_by_site():
    xyz = latlon_to_unit_vectors([0.0, 0.0, 0.0], [0.0, -1.0, 1.0])
    which, dist = nearest_representative(xyz, np.array([0]), np.array([[2, 1, -1]]))
    assert which[0] == 1  # sites 1 and 2 are equally far; the smaller wins
    assert dist[0] == pytest.approx(np.radians(1.0), rel=1e-12)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), m=st.integers(0, 10))
def test_fits_after_adding_equals_brute_force(seed, n, m):
    rng = np.random.default_rng(seed)
    xyz = _cap(rng, n + m, 10.0, 10.0, 0.5)
    limit = _chord_angles(xyz[:n]).max() * 1.2 + 1e-6
    base, added = np.arange(n), np.arange(n, n + m)
    expected = _chord_angles(xyz).max() <= limit
    assert fits_after_adding(xyz, base, added, limit) == expected


@pytest.mark.parametrize("limit", [np.pi, 0.05])
@given(
    seed=st.integers(0, 2**32 - 1), n_own=st.integers(2, 30), n_out=st.integers(0, 30)
)
def test_first_improving_swap_objective_equals_numpy(limit, seed, n_own, n_out):
    # limit = 0.05 rad exceeds every distance here (no span refusal) and turns on
    # the convexity bounds of the pruning; pi turns them off.
    rng = np.random.default_rng(seed)
    p = n_own + n_out
    xyz = _cap(rng, p, -30.0, 170.0, 0.3)
    w = rng.uniform(0.1, 2.0, p)
    pts = np.arange(p, dtype=np.int64)
    caps = rng.uniform(0.0, 0.01, p)
    caps[rng.random(p) < 0.2] = np.inf
    rivals = np.full(p, -1, dtype=np.int64)
    cand = np.arange(n_own, dtype=np.int64)
    order = rng.permutation(n_own).astype(np.int64)
    g_all = (np.minimum(_chord_angles(xyz)[:, :], caps[None, :]) * w).sum(axis=1)
    ranked = np.sort(g_all[:n_own])
    threshold = 0.5 * (ranked[n_own // 2 - 1] + ranked[n_own // 2])  # between values

    def scan(steepest):
        return first_improving_swap(
            xyz,
            w,
            pts,
            caps,
            rivals,
            n_own,
            cand,
            order,
            0,
            threshold,
            np.zeros(n_own),
            limit,
            # Own events that x loses go to one (empty) neighbouring cluster.
            np.zeros(n_own, dtype=np.int64),
            np.zeros(2, dtype=np.int64),
            np.empty(0, dtype=np.int64),
            np.zeros(p, dtype=bool),
            np.arange(n_own, dtype=np.int64),
            np.zeros(2, dtype=np.int64),
            np.empty(0, dtype=np.int64),
            10**9,
            steepest,
        )

    t, g, _ = scan(False)
    improving = g_all[cand[order]] < threshold
    if improving.any():
        first = int(np.argmax(improving))
        # Pruning never skips a candidate that improves: the first one is found.
        assert t == first
        assert g == pytest.approx(g_all[cand[order[t]]], rel=1e-12)
        # Steepest mode: pruning never skips the best one.
        t, g, _ = scan(True)
        assert g == pytest.approx(g_all[:n_own].min(), rel=1e-12)
        assert g_all[cand[order[t]]] == pytest.approx(g, rel=1e-12)
    else:
        assert t == -1
        assert scan(True)[0] == -1


def test_first_improving_swap_rejects_a_swap_breaking_a_span():
    # Own cluster {0, 1, 2} on a line; site 3 of a neighbour would move in and make
    # the cluster wider than the limit, so the improving candidate 2 is refused.
    xyz = latlon_to_unit_vectors([0.0] * 4, [0.0, 0.1, 0.2, 0.35])
    w = np.ones(4)
    pts = np.arange(4, dtype=np.int64)
    deg = np.radians(1.0)
    caps = np.array([np.inf, np.inf, np.inf, 0.3 * deg])
    rivals = np.array([-1, -1, -1, 9], dtype=np.int64)
    cand = np.array([2], dtype=np.int64)
    args = (xyz, w, pts, caps, rivals, 3, cand, np.zeros(1, dtype=np.int64), 0, 1.0)
    tail = (
        np.full(3, -1, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.empty(0, dtype=np.int64),
        np.zeros(4, dtype=bool),
        np.arange(3, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.empty(0, dtype=np.int64),
        10**9,
        False,
    )
    t, _, _ = first_improving_swap(*args, np.zeros(1), 0.5 * deg, *tail)
    assert t == 0
    t, _, rejected = first_improving_swap(*args, np.zeros(1), 0.3 * deg, *tail)
    assert t == -1 and rejected == 1


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 400))
def test_hull_vertices_are_the_planar_hull_of_the_gnomonic_projection(seed, n):
    # The 8-direction (Akl-Toussaint) filter must not drop a hull vertex.
    rng = np.random.default_rng(seed)
    xyz = _cap(rng, n, rng.uniform(-80, 80), rng.uniform(-180, 180), 0.5)
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
def test_within_reach_keeps_every_outsider_close_to_a_member(seed, n_own, n_out, reach):
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(-70, 70), rng.uniform(-180, 180)
    xyz = np.vstack([_cap(rng, n_own, lat, lon, 0.3), _cap(rng, n_out, lat, lon, 1.5)])
    own = np.arange(n_own, dtype=np.int64)
    out = np.arange(n_own, n_own + n_out, dtype=np.int64)
    d_out = rng.uniform(0.0, reach, n_out)
    keep = within_reach(xyz, own, out, d_out, 1e-9)
    gap = _chord_angles(xyz)[np.ix_(out, own)].min(axis=1) if n_out else np.empty(0)
    # Necessary condition: an outsider within d_out of some member is kept ...
    assert np.all(keep[gap <= d_out])
    # ... and one beyond d_out of the cap holding the members is dropped.
    if n_own >= 3 and n_out:
        c = xyz[own].sum(axis=0)
        c /= np.linalg.norm(c)
        radius = np.arccos(np.clip(xyz[own] @ c, -1, 1)).max()
        beyond = np.arccos(np.clip(xyz[out] @ c, -1, 1)) - radius > d_out + 1e-6
        assert not np.any(keep[beyond])


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), n_edges=st.integers(0, 80))
def test_connected_components_equal_scipy(seed, n, n_edges):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, n_edges)
    dst = rng.integers(0, n, n_edges)
    keep = rng.random(n_edges) < 0.7
    labels = connected_components(n, src, dst, keep)
    graph = coo_matrix((np.ones(keep.sum()), (src[keep], dst[keep])), shape=(n, n))
    n_ref, ref = scipy_components(graph, directed=False)
    assert labels.max() + 1 == n_ref
    # Same partition, numbered by each component's smallest node.
    first = np.array([np.flatnonzero(labels == c)[0] for c in range(n_ref)])
    assert np.all(np.diff(first) > 0)
    for c in range(n_ref):
        assert np.unique(ref[labels == c]).size == 1


@given(seed=st.integers(0, 2**31 - 1), n_sites=st.integers(1, 4))
def test_within_reach_of_sites_matches_the_dense_rule(seed, n_sites):
    rng = np.random.default_rng(seed)
    xyz = rng.normal(size=(60, 3))
    xyz /= np.linalg.norm(xyz, axis=1, keepdims=True)
    reps = rng.choice(60, 25, replace=False).astype(np.int64)
    spans, radius = rng.uniform(0, 0.6, 25), rng.uniform(0, 0.4, 25)
    alive = rng.random(25) < 0.8
    dirty = rng.random(25) < 0.2
    sites = rng.choice(60, n_sites).astype(np.int64)
    radii = rng.uniform(0, 0.5, n_sites)
    angle = 2 * np.arcsin(
        np.minimum(
            0.5 * np.linalg.norm(xyz[reps][None] - xyz[sites][:, None], axis=2), 1.0
        )
    )
    reach = np.maximum(2 * radii[:, None], spans) + radius
    expected = dirty | ((angle <= reach * (1 + 1e-9) + 1e-12).any(axis=0) & alive)
    within_reach_of_sites(xyz, sites, radii, reps, spans, radius, alive, dirty)
    np.testing.assert_array_equal(dirty, expected)
