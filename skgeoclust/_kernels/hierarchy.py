"""Walks over a linkage tree (scipy ``Z`` layout): cluster counts per cut, labels."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit

from skgeoclust.utils._config import NUMBA_CACHE


@njit(cache=NUMBA_CACHE, nogil=True)
def node_sizes(children, n_leaves):
    """Number of leaves under every node: ndarray of shape (2 n - 1,) of int64."""
    sizes = np.ones(2 * n_leaves - 1, dtype=np.int64)
    for t in range(children.shape[0]):
        sizes[n_leaves + t] = sizes[children[t, 0]] + sizes[children[t, 1]]
    return sizes


@njit(cache=NUMBA_CACHE, nogil=True)
def representatives(children, n_leaves, done):
    """Top node of the cluster holding each node when only merges with
    ``done[t]`` are applied.

    Parameters
    ----------
    children : ndarray of shape (n - 1, 2) of int64
        Merge ``t`` joins nodes ``children[t]`` into node ``n + t``.
    done : ndarray of shape (n - 1,) of bool
        Must be closed downward (a done merge's child merges are done).

    Returns
    -------
    rep : ndarray of shape (2 n - 1,) of int64
    """
    n_nodes = 2 * n_leaves - 1
    parent = np.full(n_nodes, -1, dtype=np.int64)
    for t in range(children.shape[0]):
        parent[children[t, 0]] = n_leaves + t
        parent[children[t, 1]] = n_leaves + t
    rep = np.arange(n_nodes)
    for node in range(n_nodes - 1, -1, -1):
        p = parent[node]
        if p >= 0 and done[p - n_leaves]:
            rep[node] = rep[p]
    return rep


@njit(cache=NUMBA_CACHE, nogil=True)
def holding_capacity_levels(
    children,
    sizes,
    n_leaves,
    subset_of_merge,
    n_subsets,
    root_sizes,
    min_points,
    first_cut=0,
):
    """Per subset, the cut with the most clusters of at least ``min_points`` leaves.

    Undoes the subset's merges from the last (coarsest) to the first, keeping a
    running count of clusters with at least ``min_points`` leaves: undoing merge
    ``t`` removes its node and adds its two children.

    Parameters
    ----------
    children : ndarray of shape (n - 1, 2) of int64
    sizes : ndarray of shape (2 n - 1,) of int64
    subset_of_merge : ndarray of shape (n - 1,) of int64
        Subset of each merge, ``-1`` for merges above the subset cut.
    root_sizes : ndarray of shape (n_subsets,) of int64
        Leaves per subset.
    min_points : int
    first_cut : int, default=0
        Merges ``t < first_cut`` are always applied (a cut never separates the
        leaves they join).

    Returns
    -------
    threshold : ndarray of shape (n_subsets,) of int64
        Merges ``t < threshold[s]`` of subset ``s`` are applied at its best cut
        (ties go to the finer cut).
    capacity : ndarray of shape (n_subsets,) of int64
        Number of kernels at that cut.
    """
    count = np.zeros(n_subsets, dtype=np.int64)
    for s in range(n_subsets):
        count[s] = 1 if root_sizes[s] >= min_points else 0
    best = count.copy()
    threshold = np.full(n_subsets, children.shape[0] + 1, dtype=np.int64)
    for t in range(children.shape[0] - 1, first_cut - 1, -1):
        s = subset_of_merge[t]
        if s < 0:
            continue
        c = count[s]
        if sizes[n_leaves + t] >= min_points:
            c -= 1
        if sizes[children[t, 0]] >= min_points:
            c += 1
        if sizes[children[t, 1]] >= min_points:
            c += 1
        count[s] = c
        if c >= best[s]:
            best[s] = c
            threshold[s] = t
    return threshold, best


@njit(cache=NUMBA_CACHE, nogil=True)
def _ward_cost(centroids, sizes, a, b):
    """Increase of the within-cluster sum of squares when ``a`` and ``b`` merge."""
    total = 0.0
    for r in range(centroids.shape[1]):
        diff = centroids[a, r] - centroids[b, r]
        total += diff * diff
    return sizes[a] * sizes[b] / (sizes[a] + sizes[b]) * total


@njit(cache=NUMBA_CACHE, nogil=True)
def weighted_ward_tree(centroids, sizes):
    """Ward tree of weighted points by the nearest-neighbour chain.

    Each input row is a cluster already (a centroid and the number of points it
    stands for), so a few thousand cells can stand for a catalog of any size;
    merging ``a`` and ``b`` costs ``n_a n_b / (n_a + n_b) |c_a - c_b|^2``, the
    increase of the within-cluster sum of squares. Ward's criterion is reducible,
    so the chain's merges are those of the greedy algorithm. O(m^2) time, O(m)
    memory.

    Parameters
    ----------
    centroids : ndarray of shape (m, n_features)
    sizes : ndarray of shape (m,)
        Positive.

    Returns
    -------
    children : ndarray of shape (m - 1, 2) of int64
        Merge ``t`` joins nodes ``children[t]`` into node ``m + t``; nodes below
        ``m`` are the input rows. Merges are in the chain's order, not sorted by
        cost, but a node always comes after its children, and the last merge is
        the root.
    cost : ndarray of shape (m - 1,)
        The merge costs.
    """
    m = centroids.shape[0]
    c = centroids.copy()
    w = sizes.astype(np.float64).copy()
    active = np.ones(m, dtype=np.bool_)
    node = np.arange(m)
    chain = np.empty(m, dtype=np.int64)
    children = np.empty((max(m - 1, 0), 2), dtype=np.int64)
    cost = np.empty(max(m - 1, 0))
    top = 0
    first = 0
    for t in range(m - 1):
        while True:
            if top == 0:
                while not active[first]:
                    first += 1
                chain[0] = first
                top = 1
            a = chain[top - 1]
            prev = chain[top - 2] if top >= 2 else -1
            # the previous chain element wins ties, so the chain cannot cycle
            best = np.inf
            nearest = -1
            if prev >= 0:
                best = _ward_cost(c, w, a, prev)
                nearest = prev
            for j in range(m):
                if active[j] and j != a:
                    v = _ward_cost(c, w, a, j)
                    if v < best:
                        best = v
                        nearest = j
            if nearest != prev:
                chain[top] = nearest
                top += 1
                continue
            top -= 2
            children[t, 0] = node[prev]
            children[t, 1] = node[a]
            cost[t] = best
            total = w[a] + w[prev]
            for r in range(c.shape[1]):
                c[a, r] = (w[a] * c[a, r] + w[prev] * c[prev, r]) / total
            w[a] = total
            active[prev] = False
            node[a] = m + t
            break
    return children, cost
