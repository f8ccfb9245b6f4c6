"""Kernels of the fault-network mixture against NumPy/SciPy references."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.cluster.hierarchy import cut_tree, linkage
from scipy.optimize import linprog
from scipy.stats import multivariate_normal, special_ortho_group

from skgeoclust._kernels.boxes import boxes_overlap
from skgeoclust._kernels.gaussians import (
    accumulate_responsibility,
    add_density_and_label,
    gaussian_log_density_matrix,
    gaussian_log_density_matrix_serial,
    global_loglik_change,
    grid_support_densities,
    local_logliks,
    mahalanobis_sq,
    replace_pair_density,
    support_densities,
)
from skgeoclust._kernels.hierarchy import (
    holding_capacity_levels,
    node_sizes,
    representatives,
)

CUTOFF = 60.0


def _random_gaussian(rng, d, scale=1.0):
    a = rng.normal(size=(d, d)) * scale
    cov = a @ a.T + 0.1 * np.eye(d)
    chol = np.linalg.cholesky(cov)
    log_norm = -0.5 * d * np.log(2 * np.pi) - np.log(np.diag(chol)).sum()
    return rng.normal(size=d), cov, chol, log_norm


def _truncated_pdf(X, mean, cov):
    d2 = np.einsum("ij,jk,ik->i", X - mean, np.linalg.inv(cov), X - mean)
    return np.where(d2 <= CUTOFF, multivariate_normal(mean, cov).pdf(X), 0.0)


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_mahalanobis_and_log_density_match_scipy(d):
    rng = np.random.default_rng(d)
    mean, cov, chol, log_norm = _random_gaussian(rng, d)
    X = rng.normal(size=(200, d)) * 2
    d2 = np.einsum("ij,jk,ik->i", X - mean, np.linalg.inv(cov), X - mean)
    assert_allclose([mahalanobis_sq(x, mean, chol) for x in X], d2, rtol=1e-10)
    out = np.empty((200, 1))
    gaussian_log_density_matrix(
        X, mean[None], chol[None], np.array([log_norm]), CUTOFF, out
    )
    inside = d2 <= CUTOFF
    assert_allclose(
        out[inside, 0], multivariate_normal(mean, cov).logpdf(X[inside]), rtol=1e-10
    )
    assert np.isneginf(out[~inside, 0]).all()


def test_log_density_matrix_serial_equals_parallel_and_truncates():
    rng = np.random.default_rng(0)
    gaussians = [_random_gaussian(rng, 3, 0.3) for _ in range(4)]
    means = np.array([g[0] for g in gaussians])
    chols = np.array([g[2] for g in gaussians])
    log_norms = np.array([g[3] for g in gaussians])
    X = rng.normal(size=(300, 3)) * 4
    a, b = np.empty((300, 4)), np.empty((300, 4))
    gaussian_log_density_matrix(X, means, chols, log_norms, CUTOFF, a)
    gaussian_log_density_matrix_serial(X, means, chols, log_norms, CUTOFF, b)
    assert_allclose(a, b)
    assert np.isneginf(a).any() and np.isfinite(a).any()


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_support_densities_is_the_truncated_pdf(d):
    rng = np.random.default_rng(1)
    mean, cov, chol, log_norm = _random_gaussian(rng, d, 0.5)
    X = rng.normal(size=(500, d)) * 6
    supp, phi = support_densities(X, np.arange(500), mean, chol, log_norm, CUTOFF)
    pdf = _truncated_pdf(X, mean, cov)
    assert_allclose(np.sort(supp), np.flatnonzero(pdf > 0))
    assert_allclose(phi, pdf[supp], rtol=1e-10)


def _supports(rng, X, k):
    out = []
    for _ in range(k):
        mean, cov, chol, log_norm = _random_gaussian(rng, 3, 0.6)
        supp, phi = support_densities(
            X, np.arange(len(X)), mean, chol, log_norm, CUTOFF
        )
        out.append((supp, phi, cov, mean))
    return out


def test_global_change_and_density_replacement_match_dense_numpy():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 3)) * 2
    s = rng.uniform(0.5, 2.0, size=400)
    (sa, pa, *_), (sb, pb, *_), (sab, pab, *_) = _supports(rng, X, 3)
    w_a, w_b, w_ab = 0.2, 0.3, 0.5
    p = np.full(400, 1e-3)
    p[sa] += w_a * pa
    p[sb] += w_b * pb
    dense = lambda supp, phi: np.bincount(supp, weights=phi, minlength=400)  # noqa: E731
    p_new = p - w_a * dense(sa, pa) - w_b * dense(sb, pb) + w_ab * dense(sab, pab)
    expected = s @ (np.log(np.maximum(p_new, 1e-300)) - np.log(p))
    delta = np.zeros(400)
    seen = np.zeros(400, dtype=np.int64)
    core = np.empty(400, dtype=np.int64)
    change, n_core = global_loglik_change(
        s, p, sa, pa, w_a, sb, pb, w_b, sab, pab, w_ab, delta, seen, 1, 1e-3, core
    )
    assert_allclose(change, expected, rtol=1e-9)
    assert not delta.any()
    rel = np.abs(p_new - p) / p
    assert set(core[:n_core]) == set(np.flatnonzero(rel > 1e-3))

    S = np.unique(np.concatenate([sa, sb, sab]))
    mark = np.zeros(400, dtype=np.int64)
    p2 = p.copy()
    change2 = replace_pair_density(
        s, p2, S, sa, pa, w_a, sb, pb, w_b, sab, pab, w_ab, delta, mark, 7, 1e-3
    )
    assert_allclose(change2, expected, rtol=1e-9)
    assert_allclose(p2, np.maximum(p_new, 0.0), rtol=1e-9, atol=1e-15)
    assert set(np.flatnonzero(mark == 7)) == set(np.flatnonzero(rel > 1e-3))


def test_local_logliks_responsibility_and_labels():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3))
    s = np.ones(300)
    ga, gb, gab = (_random_gaussian(rng, 3, 0.8) for _ in range(3))
    members = np.arange(0, 300, 3)
    sep, mrg = local_logliks(
        X,
        s,
        members,
        0.3,
        ga[0],
        ga[2],
        ga[3],
        gb[0],
        gb[2],
        gb[3],
        gab[0],
        gab[2],
        gab[3],
        CUTOFF,
    )
    pa, pb, pab = (_truncated_pdf(X[members], g[0], g[1]) for g in (ga, gb, gab))
    assert_allclose(sep, np.log(0.3 * pa + 0.7 * pb).sum(), rtol=1e-10)
    assert_allclose(mrg, np.log(pab).sum(), rtol=1e-10)

    supp, phi = support_densities(X, np.arange(300), ga[0], ga[2], ga[3], CUTOFF)
    p = np.full(300, 0.01)
    best = np.full(300, 0.01)
    labels = np.full(300, -1)
    add_density_and_label(supp, phi, 0.4, 5, p, best, labels)
    assert_allclose(p[supp], 0.01 + 0.4 * phi)
    assert np.array_equal(labels == 5, np.isin(np.arange(300), supp[0.4 * phi > 0.01]))
    r = accumulate_responsibility(s, p, supp, phi, 0.4)
    assert_allclose(r, (0.4 * phi / p[supp]).sum())


def _overlap_by_lp(ca, Aa, ha, cb, Ab, hb):
    """Boxes intersect iff the linear constraints of both have a common point."""
    A_ub = np.vstack([Aa, -Aa, Ab, -Ab])
    b_ub = np.concatenate([ha + Aa @ ca, ha - Aa @ ca, hb + Ab @ cb, hb - Ab @ cb])
    res = linprog(
        np.zeros(3), A_ub=A_ub, b_ub=b_ub, bounds=[(None, None)] * 3, method="highs"
    )
    return res.status == 0


@settings(max_examples=60)
@given(seed=st.integers(0, 2**31 - 1), spread=st.floats(0.5, 4.0))
def test_separating_axis_test_matches_linear_programme(seed, spread):
    rng = np.random.default_rng(seed)
    Aa = special_ortho_group.rvs(3, random_state=rng)
    Ab = special_ortho_group.rvs(3, random_state=rng)
    ha = rng.uniform(0.05, 2.0, 3)
    hb = rng.uniform(0.05, 2.0, 3)
    ca = np.zeros(3)
    cb = rng.normal(size=3) * spread
    got = boxes_overlap(ca, Aa, ha, cb, Ab, hb)
    assert got == _overlap_by_lp(ca, Aa, ha, cb, Ab, hb)


def test_crossing_slabs_overlap_without_a_corner_inside():
    # an X of two thin slabs: no corner of either lies inside the other
    A = np.eye(3)
    rot = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    h = np.array([10.0, 0.1, 5.0])
    assert boxes_overlap(np.zeros(3), A, h, np.zeros(3), rot, h)
    assert not boxes_overlap(np.zeros(3), A, h, np.array([0, 0, 10.5]), rot, h)


def test_holding_capacity_matches_brute_force_cuts():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(80, 3))
    Z = linkage(X, method="ward")
    n = len(X)
    children = Z[:, :2].astype(np.int64)
    sizes = node_sizes(children, n)
    threshold, capacity = holding_capacity_levels(
        children, sizes, n, np.zeros(n - 1, dtype=np.int64), 1, np.array([n]), 4
    )
    counts = [
        (np.bincount(cut_tree(Z, n_clusters=c).ravel()) >= 4).sum()
        for c in range(1, n + 1)
    ]
    assert capacity[0] == max(counts)
    # the chosen cut is the finest among the maxima, and its labels agree
    c_best = max(c for c in range(1, n + 1) if counts[c - 1] == max(counts))
    done = np.arange(n - 1) < threshold[0]
    rep = representatives(children, n, done)[:n]
    assert len(np.unique(rep)) == c_best
    ref = cut_tree(Z, n_clusters=c_best).ravel()
    _, a = np.unique(rep, return_inverse=True)
    # same partition up to renaming
    assert len(set(zip(a, ref))) == c_best


def _grid(X, cell):
    lower = X.min(axis=0)
    dims = (np.floor((X.max(axis=0) - lower) / cell) + 1).astype(np.int64)
    ijk = np.minimum(np.floor((X - lower) / cell).astype(np.int64), dims - 1)
    key = (ijk[:, 0] * dims[1] + ijk[:, 1]) * dims[2] + ijk[:, 2]
    order = np.argsort(key, kind="stable")
    start = np.searchsorted(key[order], np.arange(np.prod(dims) + 1)).astype(np.int64)
    X_sorted = np.ascontiguousarray(X[order])
    return X_sorted, order.astype(np.int32), start, lower, cell, dims


@pytest.mark.parametrize("cell", [0.3, 1.0, 7.0])
def test_grid_support_equals_the_scan_of_every_point(cell):
    rng = np.random.default_rng(int(cell * 10))
    # clustered points: a dense blob, a sheet and a sparse cloud
    X = np.vstack(
        [
            rng.normal(scale=0.2, size=(300, 3)),
            np.c_[rng.uniform(-8, 8, 300), rng.uniform(-3, 3, 300), np.zeros(300)],
            rng.uniform(-15, 15, size=(300, 3)),
        ]
    )
    grid = _grid(X, cell)
    everyone = np.arange(X.shape[0], dtype=np.int32)
    for trial in range(40):
        # thin, broad, far-away and flat kernels
        mean, cov, _, _ = _random_gaussian(rng, 3, scale=[0.05, 0.5, 3.0][trial % 3])
        mean = mean * [1, 5, 30, 1][trial % 4]
        if trial % 5 == 0:
            cov = np.diag([4.0, 1.0, 1e-6])
        chol = np.linalg.cholesky(cov)
        log_norm = -1.5 * np.log(2 * np.pi) - np.log(np.diag(chol)).sum()
        idx, dens = grid_support_densities(*grid, mean, chol, log_norm, CUTOFF)
        ref_idx, ref_dens = support_densities(X, everyone, mean, chol, log_norm, CUTOFF)
        order = np.argsort(idx)
        assert_allclose(idx[order], ref_idx)
        assert_allclose(dens[order], ref_dens, rtol=1e-13)
