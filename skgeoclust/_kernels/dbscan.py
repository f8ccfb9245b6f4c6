"""DBSCAN over an (eps, min_samples) grid from one mutual-reachability MST each."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit

from skgeoclust._kernels.sweep_distances import distances_to_columns, row_distance
from skgeoclust._kernels.unionfind import find_root
from skgeoclust.utils._config import NUMBA_CACHE


@njit(cache=NUMBA_CACHE, nogil=True)
def knn_reduced_distances(X, knn_idx, metric, out_rd):
    """Distances ``metric`` (a proxy such as ``SQEUCLIDEAN``) to given neighbours,
    each row sorted increasingly in place.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    knn_idx : ndarray of shape (n_samples, k), int
        Neighbour indices (self included); reordered along with the distances.
    metric : int
        Code of :mod:`skgeoclust._kernels.sweep_distances`.
    out_rd : ndarray of shape (n_samples, k)
        Receives the sorted reduced distances.
    """
    for i in range(X.shape[0]):
        for q in range(knn_idx.shape[1]):
            out_rd[i, q] = row_distance(X, i, knn_idx[i, q], metric)
        order = np.argsort(out_rd[i], kind="mergesort")
        out_rd[i] = out_rd[i][order]
        knn_idx[i] = knn_idx[i][order]
    return out_rd


@njit(cache=NUMBA_CACHE, nogil=True)
def mutual_reachability_mst(X, core_rd, metric, mst_u, mst_v, mst_w):
    """Prim's minimum spanning tree of the mutual-reachability graph, O(n^2).

    .. math::

        w_{ij} = \\max(c_i, c_j, r_{ij})

    with :math:`c` the reduced core distances and :math:`r` the reduced metric,
    computed on the fly (no n x n matrix). The vertices not yet in the tree are
    kept in a compact array so that every step scans only them; ties go to the
    lowest vertex index and, per vertex, to the earliest tree vertex, which makes
    the tree edge for edge that of scikit-learn's ``mst_from_data_matrix``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), C-contiguous
    core_rd : ndarray of shape (n_samples,)
        Core distances in the units of ``metric``.
    metric : int
        Code of :mod:`skgeoclust._kernels.sweep_distances` (the metric of
        ``core_rd``).
    mst_u, mst_v : ndarray of shape (n_samples - 1,), int
        Receive the edge end points (row numbers of ``X``), in Prim's order.
    mst_w : ndarray of shape (n_samples - 1,)
        Receives the edge weights.
    """
    n, n_features = X.shape
    # Vertices not in the tree, compacted: ids, feature-major coordinates, core
    # distances, best weight so far and its tree end point. Each step is two
    # branch-free passes (update, then min and lowest index at the min), which
    # the compiler vectorises.
    remaining = np.arange(1, n)
    coords = np.ascontiguousarray(X[1:].T)
    core = core_rd[1:].copy()
    best = np.full(n - 1, np.inf)
    src = np.zeros(n - 1, dtype=np.int64)
    w = np.empty(n - 1)
    n_left = n - 1
    current = 0
    for e in range(n - 1):
        c_cur = core_rd[current]
        distances_to_columns(X[current], coords, n_left, metric, w)
        low = np.inf
        for q in range(n_left):
            v = max(w[q], c_cur, core[q])
            better = v < best[q]
            src[q] = current if better else src[q]
            b = v if better else best[q]
            best[q] = b
            low = min(low, b)
        # ties go to the lowest vertex index, as in scikit-learn
        first = n
        for q in range(n_left):
            idx = remaining[q] if best[q] == low else n
            first = min(first, idx)
        nxt_pos = 0
        for q in range(n_left):
            if remaining[q] == first:
                nxt_pos = q
                break
        current = first
        mst_u[e] = src[nxt_pos]
        mst_v[e] = current
        mst_w[e] = low
        n_left -= 1
        remaining[nxt_pos] = remaining[n_left]
        best[nxt_pos] = best[n_left]
        src[nxt_pos] = src[n_left]
        core[nxt_pos] = core[n_left]
        for f in range(n_features):
            coords[f, nxt_pos] = coords[f, n_left]
    return mst_w


@njit(cache=NUMBA_CACHE, nogil=True)
def dbscan_labels_over_eps(core_rd, mst_u, mst_v, mst_w, knn_idx, knn_rd, eps_rd, out):
    """DBSCAN labels for increasing radii at one ``min_samples``.

    A sample is core when its reduced core distance is within the radius; cores
    joined by MST edges of weight within the radius form one cluster; clusters are
    numbered by their smallest core index and a border sample takes the smallest
    label among its core neighbours, exactly as scikit-learn's DBSCAN, which
    expands clusters from the cores in index order.

    Parameters
    ----------
    core_rd : ndarray of shape (n_samples,)
        Reduced distance to the ``min_samples``-th neighbour (self included).
    mst_u, mst_v, mst_w : ndarray of shape (n_samples - 1,)
        Mutual-reachability MST, edges sorted by increasing ``mst_w``.
    knn_idx, knn_rd : ndarray of shape (n_samples, k)
        Sorted neighbour lists with ``k >= min_samples``.
    eps_rd : ndarray of shape (n_eps,)
        Reduced radii, increasing.
    out : ndarray of shape (n_eps, n_samples), int
        Receives the labels (``-1`` for noise).
    """
    n = core_rd.shape[0]
    parent = np.arange(n)
    comp = np.empty(n, dtype=np.int64)
    e = 0
    n_edges = mst_w.shape[0]
    for t in range(eps_rd.shape[0]):
        r = eps_rd[t]
        while e < n_edges and mst_w[e] <= r:
            a = find_root(parent, mst_u[e])
            b = find_root(parent, mst_v[e])
            if a != b:
                parent[max(a, b)] = min(a, b)
            e += 1
        comp[:] = -1
        n_labels = 0
        lab = out[t]
        for i in range(n):
            if core_rd[i] <= r:
                root = find_root(parent, i)
                if comp[root] < 0:
                    comp[root] = n_labels
                    n_labels += 1
                lab[i] = comp[root]
            else:
                lab[i] = -1
        for i in range(n):
            if core_rd[i] <= r:
                continue
            found = -1
            for q in range(knn_rd.shape[1]):
                if knn_rd[i, q] > r:
                    break
                j = knn_idx[i, q]
                if core_rd[j] <= r:
                    if found < 0 or lab[j] < found:
                        found = lab[j]
            lab[i] = found
    return out
