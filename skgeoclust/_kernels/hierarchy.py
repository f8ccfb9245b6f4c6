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
    children, sizes, n_leaves, subset_of_merge, n_subsets, root_sizes, min_points
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
    for t in range(children.shape[0] - 1, -1, -1):
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
