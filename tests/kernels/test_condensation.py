"""Condensation kernels against brute-force numpy oracles (no pruning)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.neighbors import KDTree

from skgeoclust._kernels.condensation import (
    assign_events,
    assign_events_parallel,
    transfer_weights,
)
from skgeoclust.preprocessing._condensation import (
    _csr,
    _factors,
    _kernel_candidates,
    _standard_normal_draws,
    _width_classes,
)


def _catalog(seed, n, d=3):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 4.0, (n, d))
    A = rng.normal(size=(n, d, d)) * rng.lognormal(np.log(0.4), 0.5, (n, 1, 1))
    cov = A @ np.swapaxes(A, 1, 2) + 0.01 * np.eye(d)
    w0 = rng.uniform(0.5, 1.5, n)
    return rng, X, cov, w0


def _log_values(x, X, cov, w0, idx):
    """log(w N(x)) + d/2 log(2 pi) of the Gaussians ``idx`` at the points x."""
    chol = np.linalg.cholesky(cov[idx])
    diff = x[:, None, :] - X[idx][None, :, :]
    y = np.linalg.solve(chol[None], diff[..., None])[..., 0]
    log_det = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    return np.log(w0[idx]) - log_det - 0.5 * np.sum(y**2, axis=2)


def _oracle_transfer(X, cov, w0, event, z, radius):
    variance = np.trace(cov, axis1=1, axis2=2)
    weight = w0.copy()
    for s in np.argsort(-variance, kind="stable"):
        box = np.max(np.abs(X - X[s]), axis=1) <= radius * np.sqrt(variance[s])
        cand = np.flatnonzero(box & (variance < variance[s]))
        if cand.size == 0:
            continue
        x = X[s] + z @ np.linalg.cholesky(cov[s]).T
        # the source competes with its current weight
        own = np.log(weight[s]) - np.log(w0[s]) + _log_values(x, X, cov, w0, [s])
        values = np.column_stack([own, _log_values(x, X, cov, w0, cand)])
        winner = np.argmax(values, axis=1)
        moved = np.bincount(winner, minlength=cand.size + 1)[1:].astype(float)
        moved[event[cand] == event[s]] = 0.0
        weight[cand] += weight[s] * moved / len(z)
        weight[s] *= 1.0 - moved.sum() / len(z)
    return weight


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_transfer_weights_matches_oracle(seed):
    n = 150
    rng, X, cov, w0 = _catalog(seed, n)
    event = rng.integers(0, 100, n)  # some events have several components
    z = _standard_normal_draws(64, 3, rng)
    chol, inv_chol, log_peak = _factors(cov, w0)
    variance = np.trace(cov, axis1=1, axis2=2)
    width_class, class_var = _width_classes(np.linalg.eigvalsh(cov)[:, -1])
    sources = np.argsort(-variance, kind="stable")
    tree = KDTree(X, metric="chebyshev")
    indptr, indices = _csr(
        tree.query_radius(X[sources], r=4.0 * np.sqrt(variance[sources]))
    )
    weight = w0.copy()
    transfer_weights(
        sources,
        indptr,
        indices,
        X,
        chol,
        inv_chol,
        log_peak,
        variance,
        width_class,
        class_var,
        event,
        weight,
        z,
    )
    expected = _oracle_transfer(X, cov, w0, event, z, 4.0)
    assert_allclose(weight, expected, rtol=1e-10, atol=1e-12)
    assert weight.sum() == pytest.approx(w0.sum(), rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_assign_events_matches_oracle(seed):
    n = 200
    rng, X, cov, _ = _catalog(seed, n)
    kernels = np.sort(rng.choice(n, 60, replace=False))
    weights = rng.uniform(0.2, 3.0, kernels.size)
    z = _standard_normal_draws(300, 3, rng)  # the early stop checks every 50
    chol, _, _ = _factors(cov, np.ones(n))
    _, k_inv_chol, k_log_peak = _factors(cov[kernels], weights)
    largest = np.linalg.eigvalsh(cov)[:, -1]
    k_class, k_class_var = _width_classes(largest[kernels])
    sd = np.sqrt(largest)
    cand_ptr, cand_idx = _kernel_candidates(
        X[kernels], sd[kernels], k_class, X, sd, 4.0
    )
    event_ptr = np.arange(n + 1)
    args = (
        event_ptr,
        np.arange(n),
        np.full(n, z.shape[0]),
        X,
        chol,
        cand_ptr,
        cand_idx,
        np.ascontiguousarray(X[kernels]),
        k_inv_chol,
        k_log_peak,
        k_class,
        k_class_var,
        z,
    )
    out = np.empty(n, dtype=np.int64)
    assign_events(*args, out)
    parallel = np.empty(n, dtype=np.int64)
    assign_events_parallel(*args, parallel)
    assert_array_equal(out, parallel)
    # oracle: every kernel evaluated at every sample
    expected = np.empty(n, dtype=np.int64)
    for e in range(n):
        x = X[e] + z @ np.linalg.cholesky(cov[e]).T
        values = _log_values(x, X[kernels], cov[kernels], weights, np.arange(60))
        votes = np.bincount(np.argmax(values, axis=1), minlength=60)
        best = np.flatnonzero(votes == votes.max())
        at_mean = _log_values(X[e][None], X[kernels], cov[kernels], weights, best)
        expected[e] = best[np.argmax(at_mean[0])]
    assert_array_equal(out, expected)
