"""Swap-scan kernels of SphericalKMedoids against their numpy formulations.

The scan-context kernels replace numpy code in ``_Group.optimise_cluster`` and
``try_move``; the clustering must not change, so every output is compared for
exact equality.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from skgeoclust._kernels.spans import (
    hull_vertices,
    within_reach,
)
from skgeoclust._kernels.sphere import (
    angles_to,
    nearest_of_list,
)
from skgeoclust._kernels.swap_scan import (
    Clusters,
    HullPool,
    MemberPool,
    Neighbours,
    ScanPoints,
    best_swap,
    mark_dirty_near,
    scan_cluster,
    scan_clusters,
    scan_points,
    split_for_move,
)
from skgeoclust.geometry import latlon_to_unit_vectors


def _state(seed, n, k):
    """Random clustering of n sites about k representatives (labels, dist exact)."""
    rng = np.random.default_rng(seed)
    lat = rng.uniform(-3.0, 3.0, n)
    lon = rng.uniform(-3.0, 3.0, n)
    # Repeated sites make ties in distance.
    lat[: n // 8] = lat[n // 8 : 2 * (n // 8)]
    lon[: n // 8] = lon[n // 8 : 2 * (n // 8)]
    xyz = latlon_to_unit_vectors(lat, lon)
    reps = np.sort(rng.choice(n, size=k, replace=False)).astype(np.int64)
    d = np.stack([angles_to(xyz, np.arange(n, dtype=np.int64), r) for r in reps], 1)
    labels = np.argmin(d, axis=1).astype(np.int64)
    labels[reps] = np.arange(k)
    dist = d[np.arange(n), labels]
    members = [np.flatnonzero(labels == c).astype(np.int64) for c in range(k)]
    radius = np.array([dist[m].max() for m in members])
    alive = rng.random(k) < 0.85
    return rng, xyz, rng.random(n) + 0.5, reps, labels, dist, members, radius, alive


def _rival_sites(which, nbr_reps):
    if nbr_reps.shape[0] == 0:
        return np.full(which.shape[0], -1, dtype=np.int64)
    return np.where(which >= 0, nbr_reps[np.maximum(which, 0)], -1)


def _one_empty_neighbour(n_own):
    """Neighbours: one empty cluster, which every own event would leave for."""
    empty = np.empty(0, dtype=np.int64)
    zeros = np.zeros(2, dtype=np.int64)
    return np.zeros(n_own, dtype=np.int64), Neighbours(
        zeros, zeros, empty, zeros, empty
    )


@pytest.mark.parametrize("limit", [np.pi, 0.05])
@given(
    seed=st.integers(0, 2**32 - 1), n_own=st.integers(2, 30), n_out=st.integers(0, 30)
)
def test_best_swap_objective_equals_numpy(
    cap_points, chord_angles, limit, seed, n_own, n_out
):
    # limit = 0.05 rad exceeds every distance here (no span refusal) and turns on
    # the convexity bounds of the pruning; pi turns them off.
    rng = np.random.default_rng(seed)
    p = n_own + n_out
    xyz = cap_points(rng, p, -30.0, 170.0, 0.3)
    w = rng.uniform(0.1, 2.0, p)
    caps = rng.uniform(0.0, 0.01, p)
    caps[rng.random(p) < 0.2] = np.inf
    receiver, nbrs = _one_empty_neighbour(n_own)
    scan = ScanPoints(
        np.arange(p, dtype=np.int64),
        caps,
        np.full(p, -1, dtype=np.int64),
        n_own,
        receiver,
        np.arange(n_own, dtype=np.int64),
    )
    order = rng.permutation(n_own).astype(np.int64)
    g_all = (np.minimum(chord_angles(xyz), caps[None, :]) * w).sum(axis=1)
    ranked = np.sort(g_all[:n_own])
    threshold = 0.5 * (ranked[n_own // 2 - 1] + ranked[n_own // 2])  # between values
    own_hull = np.arange(n_own, dtype=np.int64)
    moving = np.zeros(p, dtype=bool)
    t, g, n_refused = best_swap(
        xyz, w, scan, own_hull, nbrs, order, threshold, limit, moving, 10**9
    )
    assert n_refused == 0 and not moving.any()
    if (g_all[:n_own] < threshold).any():
        # Pruning never skips the best candidate.
        assert g == pytest.approx(g_all[:n_own].min(), rel=1e-12)
        assert g_all[scan.cand[order[t]]] == pytest.approx(g, rel=1e-12)
    else:
        assert t == -1


def test_best_swap_refuses_a_swap_breaking_a_span():
    # Own cluster {0, 1, 2} on a line; site 3 of a neighbour would move in and make
    # the cluster wider than the limit, so the improving candidate 2 is refused.
    xyz = latlon_to_unit_vectors([0.0] * 4, [0.0, 0.1, 0.2, 0.35])
    deg = np.radians(1.0)
    scan = ScanPoints(
        np.arange(4, dtype=np.int64),
        np.array([np.inf, np.inf, np.inf, 0.3 * deg]),
        np.array([-1, -1, -1, 9], dtype=np.int64),
        3,
        np.full(3, -1, dtype=np.int64),
        np.array([2], dtype=np.int64),
    )
    empty = np.empty(0, dtype=np.int64)
    zero = np.zeros(1, dtype=np.int64)
    nbrs = Neighbours(empty, zero, empty, zero, empty)
    args = (np.ones(4), scan, np.arange(3, dtype=np.int64), nbrs, zero, 1.0)
    moving = np.zeros(4, dtype=bool)
    t, _, n_refused = best_swap(xyz, *args, 0.5 * deg, moving, 10**9)
    assert t == 0 and n_refused == 0
    t, _, n_refused = best_swap(xyz, *args, 0.3 * deg, moving, 10**9)
    assert t == -1 and n_refused == 1


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(8, 120),
    k=st.integers(1, 8),
    limit=st.sampled_from([0.01, 0.03, 0.1]),
)
def test_scan_clusters_equals_numpy(seed, n, k, limit):
    rng, xyz, _, reps, labels, dist, members, radius, alive = _state(seed, n, k)
    clusters = Clusters(reps, alive, radius, np.zeros(k), labels, dist)
    # Pool with stale copies in between, as after appends.
    pool, bounds = [], np.zeros(2 * k, dtype=np.int64)
    for c in rng.permutation(k):
        pool.append(rng.integers(0, n, 3))
        bounds[c] = sum(p.shape[0] for p in pool)
        bounds[k + c] = bounds[c] + members[c].shape[0]
        pool.append(members[c])
    pool = np.concatenate(pool).astype(np.int64)
    j = int(rng.integers(k))
    rival_reach = radius[j] + rng.uniform(0.0, limit)
    # Hulls: some known (behind a stale copy), the rest computed by the kernel.
    hull_pool = np.full(4 * n + 16, -7, dtype=np.int64)
    hull_bounds = np.full(2 * k, -1, dtype=np.int64)
    end = 3
    for c in np.flatnonzero(rng.random(k) < 0.5):
        h = hull_vertices(xyz, members[c])
        hull_pool[end : end + h.shape[0]] = h
        hull_bounds[c], hull_bounds[k + c] = end, end + h.shape[0]
        end += h.shape[0]
    hulls = HullPool(hull_pool, hull_bounds, np.array([end]))
    nbrs, gathered = scan_clusters(
        xyz, clusters, j, rival_reach, limit, MemberPool(pool, bounds), hulls
    )
    gap = angles_to(xyz, reps, reps[j])
    near = (gap <= 3.0 * limit * (1.0 + 1e-9)) & alive
    near[j] = False
    around = near.nonzero()[0]
    gap = gap[around]
    want_nbr = around[gap <= rival_reach * (1.0 + 1e-9) + 1e-12]
    sources = around[gap <= (2.0 * radius[around] + radius[j]) * (1.0 + 1e-9) + 1e-12]
    assert_array_equal(nbrs.ids, want_nbr)
    sizes = [members[c].shape[0] for c in want_nbr]
    assert_array_equal(nbrs.indptr, np.concatenate([[0], np.cumsum(sizes)]))
    assert_array_equal(
        nbrs.members, np.concatenate([members[c] for c in want_nbr] + [[]])
    )
    assert_array_equal(gathered, np.concatenate([members[c] for c in sources] + [[]]))
    want_hulls = [hull_vertices(xyz, members[c]) for c in want_nbr]
    assert_array_equal(
        nbrs.hull_indptr, np.cumsum([0] + [h.shape[0] for h in want_hulls])
    )
    assert_array_equal(nbrs.hull_sites, np.concatenate([*want_hulls, []]))
    for c, h in zip(want_nbr, want_hulls):
        assert_array_equal(hull_pool[hull_bounds[c] : hull_bounds[k + c]], h)
        assert hull_bounds[k + c] <= hulls.end[0]


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(8, 150),
    k=st.integers(2, 8),
    hull_min=st.sampled_from([0, 5, 10**6]),
)
def test_scan_points_equals_numpy(seed, n, k, hull_min):
    rng, xyz, w, reps, labels, dist, members, radius, alive = _state(seed, n, k)
    clusters = Clusters(reps, alive, radius, np.zeros(k), labels, dist)
    j = int(rng.integers(k))
    own, rep = members[j], reps[j]
    others = np.setdiff1d(np.arange(k), [j])
    nbr = others[rng.random(others.shape[0]) < 0.7]
    gathered = np.concatenate([members[c] for c in others] + [[]]).astype(np.int64)
    scan, current = scan_points(
        xyz, w, clusters, own, rep, radius[j], reps[nbr], gathered, hull_min
    )
    which, caps_own = nearest_of_list(xyz, own, reps[nbr])
    d_out = dist[gathered]
    reach = angles_to(xyz, gathered, rep) <= d_out + radius[j] + 1e-12
    outsiders, d_out = gathered[reach], d_out[reach]
    if outsiders.shape[0] > hull_min:
        reach = within_reach(xyz, own, outsiders, d_out, 1e-9)
        outsiders, d_out = outsiders[reach], d_out[reach]
    own_rivals = _rival_sites(which, reps[nbr])
    assert scan.n_own == own.shape[0]
    assert_array_equal(scan.receiver, which)
    assert_array_equal(scan.pts, np.concatenate([own, outsiders]))
    assert_array_equal(scan.caps, np.concatenate([caps_own, d_out]))
    assert_array_equal(
        scan.rivals, np.concatenate([own_rivals, reps[labels[outsiders]]])
    )
    assert_array_equal(scan.cand, (own != rep).nonzero()[0])
    assert current == float(w[own] @ dist[own] + w[outsiders] @ d_out)


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(8, 150),
    k=st.integers(1, 8),
    limit=st.sampled_from([0.02, 0.05, 0.2]),
)
def test_scan_cluster_is_the_three_steps(chord_angles, seed, n, k, limit):
    rng, xyz, w, reps, labels, dist, members, radius, alive = _state(seed, n, k)
    spans = np.array([chord_angles(xyz[m]).max() for m in members])
    clusters = Clusters(reps, alive, radius, spans, labels, dist)
    j = int(rng.integers(k))
    alive[j] = True
    bounds = np.concatenate([[0], np.cumsum([m.shape[0] for m in members])])
    pool = MemberPool(
        np.concatenate(members).astype(np.int64),
        np.concatenate([bounds[:-1], bounds[1:]]).astype(np.int64),
    )
    own, rep = members[j], reps[j]
    own_hull = np.searchsorted(own, hull_vertices(xyz, own))
    order = rng.permutation(own.shape[0] - 1)
    moving = np.zeros(n, dtype=bool)

    def hulls():
        return HullPool(
            np.empty(2 * n + 8, dtype=np.int64),
            np.full(2 * k, -1, dtype=np.int64),
            np.zeros(1, dtype=np.int64),
        )

    found = scan_cluster(
        xyz, w, clusters, j, pool, hulls(), own_hull, order, limit, 20, moving, 4
    )
    nbrs, gathered = scan_clusters(
        xyz, clusters, j, radius[j] + spans[j], limit, pool, hulls()
    )
    scan, current = scan_points(
        xyz, w, clusters, own, rep, radius[j], reps[nbrs.ids], gathered, 20
    )
    threshold = current - (1e-10 * current + 1e-300)
    t, _, n_refused = best_swap(
        xyz, w, scan, own_hull, nbrs, order, threshold, limit, moving, 4
    )
    assert found.x == (own[scan.cand[order[t]]] if t >= 0 else -1)
    assert found.n_refused == n_refused
    assert_array_equal(found.nbr_ids, nbrs.ids)
    assert_array_equal(found.receiver, scan.receiver)
    assert_array_equal(found.caps_own, scan.caps[: own.shape[0]])
    assert_array_equal(found.outsiders, scan.pts[own.shape[0] :])
    assert not moving.any()


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(8, 150), k=st.integers(1, 8))
def test_split_for_move_equals_numpy(seed, n, k):
    rng, xyz, _, reps, labels, dist, members, _, _ = _state(seed, n, k)
    j = int(rng.integers(k))
    own = members[j]
    x = own[rng.integers(own.shape[0])]
    others = np.setdiff1d(np.arange(k), [j])
    nbr = others[rng.random(others.shape[0]) < 0.7]
    which, d_other = nearest_of_list(xyz, own, reps[nbr])
    outsiders = np.concatenate([members[c] for c in others] + [[]]).astype(np.int64)
    stay, d_x, move_in, d_out = split_for_move(
        xyz, own, x, which, d_other, reps[nbr], outsiders, dist, labels, reps
    )
    want_d_x = angles_to(xyz, own, x)
    other_site = _rival_sites(which, reps[nbr])
    want_stay = (want_d_x < d_other) | ((want_d_x == d_other) & (x < other_site))
    want_stay[own == x] = True
    want_d_out = angles_to(xyz, outsiders, x)
    cur = dist[outsiders]
    want_in = (want_d_out < cur) | ((want_d_out == cur) & (x < reps[labels[outsiders]]))
    assert_array_equal(stay, want_stay)
    assert_array_equal(d_x, want_d_x)
    assert_array_equal(move_in, want_in)
    assert_array_equal(d_out, want_d_out)


@given(seed=st.integers(0, 2**31 - 1), n_sites=st.integers(1, 4))
def test_mark_dirty_near_matches_the_dense_rule(seed, n_sites):
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
    clusters = Clusters(reps, alive, radius, spans, np.empty(0), np.empty(0))
    mark_dirty_near(xyz, sites, radii, clusters, dirty)
    np.testing.assert_array_equal(dirty, expected)
