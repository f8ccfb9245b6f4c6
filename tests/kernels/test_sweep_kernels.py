"""Sweep kernels (silhouette, mutual-reachability MST, DBSCAN labels) vs oracles."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial.distance import cdist
from sklearn.cluster import DBSCAN
from sklearn.metrics import silhouette_samples

from skgeoclust._kernels.dbscan import (
    dbscan_labels_over_eps,
    knn_reduced_distances,
    mutual_reachability_mst,
)
from skgeoclust._kernels.silhouette import silhouette_samples_batch
from skgeoclust._kernels.sweep_distances import (
    EUCLIDEAN,
    MANHATTAN,
    SQEUCLIDEAN,
    distance_row,
    row_distance,
)


def _inputs(labels_rows):
    n_part = labels_rows.shape[0]
    max_labels = int(labels_rows.max()) + 1
    counts = np.array(
        [np.bincount(r[r >= 0], minlength=max_labels) for r in labels_rows]
    )
    keyed = np.where(labels_rows >= 0, labels_rows, max_labels)
    order = np.argsort(keyed, axis=1, kind="stable").astype(np.int32)
    offsets = np.zeros((n_part, max_labels + 1), dtype=np.int64)
    offsets[:, 1:] = np.cumsum(counts, axis=1)
    return labels_rows.astype(np.int32), order, offsets


@pytest.mark.parametrize(
    "metric, name",
    [(EUCLIDEAN, "euclidean"), (MANHATTAN, "cityblock"), (SQEUCLIDEAN, "sqeuclidean")],
)
def test_distance_row_matches_cdist(global_random_seed, metric, name):
    X = np.random.default_rng(global_random_seed).normal(size=(50, 3))
    out = np.empty(50)
    distance_row(X, 7, metric, out)
    want = cdist(X[7:8], X, metric=name)[0]
    assert_allclose(out, want, rtol=1e-13, atol=1e-15)
    # The pairwise kernel computes the same sums in the same order.
    assert_array_equal([row_distance(X, 7, j, metric) for j in range(50)], out)


@pytest.mark.parametrize(
    "metric, name", [(EUCLIDEAN, "euclidean"), (MANHATTAN, "manhattan")]
)
def test_silhouette_batch_matches_sklearn(global_random_seed, metric, name):
    rng = np.random.default_rng(global_random_seed)
    X = rng.normal(size=(70, 3))
    rows = rng.integers(0, 4, size=(5, 70))
    rows[1, :3] = 9  # a singleton-free extra label; label 4..8 empty
    rows[2, 0] = 10  # a singleton cluster
    codes, order, offsets = _inputs(rows)
    out = np.empty(rows.shape, dtype=np.float64)
    # two calls over different row ranges fill the whole output
    silhouette_samples_batch(X, codes, order, offsets, metric, 0, 37, out)
    silhouette_samples_batch(X, codes, order, offsets, metric, 37, 70, out)
    for p in range(rows.shape[0]):
        assert_allclose(out[p], silhouette_samples(X, rows[p], metric=name), atol=1e-13)
    # left-out samples are NaN and do not count in the others' sums
    rows[0, :10] = -1
    codes, order, offsets = _inputs(rows)
    silhouette_samples_batch(X, codes, order, offsets, metric, 0, 70, out)
    assert np.isnan(out[0, :10]).all()
    assert_allclose(out[0, 10:], silhouette_samples(X[10:], rows[0, 10:], metric=name))


def test_knn_reduced_distances_sorted(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.normal(size=(40, 2))
    idx = np.tile(rng.permutation(40)[:10], (40, 1)).astype(np.int64)
    rd = np.empty(idx.shape)
    knn_reduced_distances(X, idx, SQEUCLIDEAN, rd)
    assert np.all(np.diff(rd, axis=1) >= 0)
    assert_allclose(rd, ((X[:, None, :] - X[idx]) ** 2).sum(-1))


@pytest.mark.parametrize(
    "metric, name",
    [(SQEUCLIDEAN, "sqeuclidean"), (MANHATTAN, "cityblock"), (EUCLIDEAN, "euclidean")],
)
def test_mst_total_weight_matches_scipy(global_random_seed, metric, name):
    rng = np.random.default_rng(global_random_seed)
    X = rng.normal(size=(60, 2))
    d = cdist(X, X, name)
    core = np.sort(d, axis=1)[:, 4]
    mr = np.maximum(d, np.maximum(core[:, None], core[None, :]))
    np.fill_diagonal(mr, 0.0)
    u, v, w = np.empty(59, np.int64), np.empty(59, np.int64), np.empty(59)
    mutual_reachability_mst(X, core, metric, u, v, w)
    assert_allclose(w.sum(), minimum_spanning_tree(mr).sum())
    assert_allclose(w, mr[u, v])
    assert len(set(v.tolist())) == 59 and 0 not in set(v.tolist())


def test_dbscan_labels_over_eps_matches_sklearn(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = np.r_[
        rng.normal(0, 0.3, (60, 2)),
        rng.normal(3, 0.3, (60, 2)),
        rng.uniform(-2, 5, (20, 2)),
    ]
    n, m = len(X), 6
    d2 = cdist(X, X, "sqeuclidean")
    idx = np.argsort(d2, axis=1, kind="stable")[:, :m].astype(np.int64)
    rd = np.empty(idx.shape)
    knn_reduced_distances(X, idx, SQEUCLIDEAN, rd)
    core = rd[:, m - 1].copy()
    u, v, w = np.empty(n - 1, np.int64), np.empty(n - 1, np.int64), np.empty(n - 1)
    mutual_reachability_mst(X, core, SQEUCLIDEAN, u, v, w)
    srt = np.argsort(w, kind="stable")
    eps = np.array([0.1, 0.3, 0.5, 1.0])
    out = np.empty((eps.size, n), dtype=np.int64)
    dbscan_labels_over_eps(core, u[srt], v[srt], w[srt], idx, rd, eps**2, out)
    for t, e in enumerate(eps):
        assert_array_equal(out[t], DBSCAN(eps=e, min_samples=m).fit(X).labels_)
