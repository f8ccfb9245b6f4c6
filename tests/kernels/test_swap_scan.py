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
    first_improving_swap,
    scan_clusters,
    scan_points,
    split_for_move,
    within_reach_of_sites,
)
from skgeoclust.geometry import latlon_to_unit_vectors


def _cap(rng, n, center_lat, center_lon, radius_deg):
    """n unit vectors scattered about a centre (radius in degrees of lat/lon)."""
    lat = np.clip(center_lat + rng.uniform(-radius_deg, radius_deg, n), -90, 90)
    lon = center_lon + rng.uniform(-radius_deg, radius_deg, n)
    return latlon_to_unit_vectors(lat, lon)


def _chord_angles(xyz):
    diff = xyz[:, None, :] - xyz[None, :, :]
    return 2.0 * np.arcsin(np.minimum(np.linalg.norm(diff, axis=2) / 2.0, 1.0))


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


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(8, 120),
    k=st.integers(1, 8),
    limit=st.sampled_from([0.01, 0.03, 0.1]),
)
def test_scan_clusters_equals_numpy(seed, n, k, limit):
    rng, xyz, _, reps, _, _, members, radius, alive = _state(seed, n, k)
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
    nbr, nbr_indptr, nbr_members, gathered, hull_indptr, hull_sites, end = (
        scan_clusters(
            xyz,
            reps,
            alive,
            radius,
            j,
            rival_reach,
            limit,
            pool,
            bounds,
            hull_pool,
            hull_bounds,
            end,
        )
    )
    gap = angles_to(xyz, reps, reps[j])
    near = (gap <= 3.0 * limit * (1.0 + 1e-9)) & alive
    near[j] = False
    around = near.nonzero()[0]
    gap = gap[around]
    want_nbr = around[gap <= rival_reach * (1.0 + 1e-9) + 1e-12]
    sources = around[gap <= (2.0 * radius[around] + radius[j]) * (1.0 + 1e-9) + 1e-12]
    assert_array_equal(nbr, want_nbr)
    sizes = [members[c].shape[0] for c in want_nbr]
    assert_array_equal(nbr_indptr, np.concatenate([[0], np.cumsum(sizes)]))
    assert_array_equal(
        nbr_members, np.concatenate([members[c] for c in want_nbr] + [[]])
    )
    assert_array_equal(gathered, np.concatenate([members[c] for c in sources] + [[]]))
    hulls = [hull_vertices(xyz, members[c]) for c in want_nbr]
    assert_array_equal(hull_indptr, np.cumsum([0] + [h.shape[0] for h in hulls]))
    assert_array_equal(hull_sites, np.concatenate([*hulls, []]))
    for c, h in zip(want_nbr, hulls):
        assert_array_equal(hull_pool[hull_bounds[c] : hull_bounds[k + c]], h)
        assert hull_bounds[k + c] <= end


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(8, 150),
    k=st.integers(2, 8),
    hull_min=st.sampled_from([0, 5, 10**6]),
)
def test_scan_points_equals_numpy(seed, n, k, hull_min):
    rng, xyz, w, reps, labels, dist, members, radius, _ = _state(seed, n, k)
    j = int(rng.integers(k))
    own, rep = members[j], reps[j]
    others = np.setdiff1d(np.arange(k), [j])
    nbr = others[rng.random(others.shape[0]) < 0.7]
    gathered = np.concatenate([members[c] for c in others] + [[]]).astype(np.int64)
    got = scan_points(
        xyz, w, reps, labels, dist, own, rep, radius[j], reps[nbr], gathered, hull_min
    )
    which, caps_own = nearest_of_list(xyz, own, reps[nbr])
    d_out = dist[gathered]
    reach = angles_to(xyz, gathered, rep) <= d_out + radius[j] + 1e-12
    outsiders, d_out = gathered[reach], d_out[reach]
    if outsiders.shape[0] > hull_min:
        reach = within_reach(xyz, own, outsiders, d_out, 1e-9)
        outsiders, d_out = outsiders[reach], d_out[reach]
    own_rivals = _rival_sites(which, reps[nbr])
    current = float(w[own] @ dist[own] + w[outsiders] @ d_out)
    assert_array_equal(got[0], which)
    assert_array_equal(got[1], caps_own)
    assert_array_equal(got[2], outsiders)
    assert_array_equal(got[3], np.concatenate([own, outsiders]))
    assert_array_equal(got[4], np.concatenate([caps_own, d_out]))
    assert_array_equal(got[5], np.concatenate([own_rivals, reps[labels[outsiders]]]))
    assert got[6] == current
    assert_array_equal(got[7], (own != rep).nonzero()[0])


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
