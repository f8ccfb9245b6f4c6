"""Subsets of a catalog for the fault network (Kamer et al. 2020, §4.3): the
paper's cut of the Ward tree into a given number of subsets, or an automatic cut
into subsets of bounded size."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.spatial import cKDTree

from skgeoclust._kernels.hierarchy import representatives, weighted_ward_tree

#: octree cells hold at most this fraction of ``max_size`` points, so that the Ward
#: tree of the cells can be cut close to the size bound
_CELLS_PER_SUBSET = 16
#: deepest octree level (cells of 2**-40 of the catalog's extent)
_MAX_DEPTH = 40


def octree_cells(X, leaf_size, resolution):
    """Cells of an octree over the bounding cube of ``X``, split while they hold
    more than ``leaf_size`` points and their side exceeds ``resolution``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 3)
    leaf_size : int
    resolution : float
        Cells this small are not split, whatever they hold.

    Returns
    -------
    cell_of_sample : ndarray of shape (n_samples,) of int64
        Cells numbered from 0. A cell holds more than ``leaf_size`` points only
        when its side is at most ``resolution``.
    """
    n = X.shape[0]
    lower = X.min(axis=0)
    side = max(float(np.ptp(X, axis=0).max()), 1e-12) * (1.0 + 1e-9)
    max_depth = int(
        np.clip(np.ceil(np.log2(side / max(resolution, 1e-300))), 0, _MAX_DEPTH)
    )
    unit = (X - lower) / side  # in [0, 1)
    code = np.zeros(n, dtype=np.int64)
    cell = np.full(n, -1, dtype=np.int64)
    pending = np.arange(n)
    n_cells = 0
    for depth in range(max_depth + 1):
        _, inverse, counts = np.unique(
            code[pending], return_inverse=True, return_counts=True
        )
        done = counts[inverse] <= leaf_size
        if depth == max_depth:
            done[:] = True
        if done.any():
            _, local = np.unique(inverse[done], return_inverse=True)
            cell[pending[done]] = n_cells + local
            n_cells += int(local.max()) + 1
        pending = pending[~done]
        if pending.shape[0] == 0:
            break
        # renumber the open cells compactly, then append the child octant
        _, compact = np.unique(inverse[~done], return_inverse=True)
        bits = (unit[pending] * float(1 << (depth + 1))).astype(np.int64) & 1
        code[pending] = compact * 8 + bits[:, 0] * 4 + bits[:, 1] * 2 + bits[:, 2]
    return cell


def auto_subsets(X, max_size, min_size, resolution):
    """Split a catalog into subsets of at most ``max_size`` events, following its
    Ward tree from the top.

    The events are first grouped into octree cells of at most ``max_size / 16``
    events; the Ward tree of the cells (each a weighted centroid) is cut from the
    root down, splitting only the nodes with more than ``max_size`` events, so a
    cut falls where Ward's criterion puts its largest merges, between clumps of
    seismicity rather than through them. Subsets with fewer than ``min_size``
    events join the subset of the nearest event outside them. Events in one cell
    of side ``resolution`` stay together, whatever their number.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 3)
    max_size, min_size : int
    resolution : float

    Returns
    -------
    subset_of_sample : ndarray of shape (n_samples,) of int64
        Subsets numbered from 0, in the order of their first event.
    """
    n = X.shape[0]
    if n <= max_size:
        return np.zeros(n, dtype=np.int64)
    cell = octree_cells(X, max(max_size // _CELLS_PER_SUBSET, 1), resolution)
    counts = np.bincount(cell)
    centroids = np.zeros((counts.shape[0], X.shape[1]))
    np.add.at(centroids, cell, X)
    centroids /= counts[:, None]
    subset = ward_groups(centroids, counts, max_size)[cell]
    subset = _join_small_subsets(X, subset, min_size, max_size)
    _, first, inverse = np.unique(subset, return_index=True, return_inverse=True)
    rank = np.empty(first.shape[0], dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.shape[0])
    return rank[inverse]


def ward_groups(centroids, counts, max_size):
    """Group weighted points by cutting their Ward tree from the root down,
    splitting only the nodes that hold more than ``max_size`` (a point heavier
    than that is a group of its own).

    Parameters
    ----------
    centroids : ndarray of shape (m, n_features)
    counts : ndarray of shape (m,) of int
    max_size : int

    Returns
    -------
    group : ndarray of shape (m,) of int64
        A node id per point, equal for points of one group (not consecutive).
    """
    m = counts.shape[0]
    if m == 1 or counts.sum() <= max_size:
        return np.zeros(m, dtype=np.int64)
    children, _ = weighted_ward_tree(centroids, counts.astype(np.float64))
    # the chain's merge order puts a node after its children, which is all that
    # representatives needs
    sizes = np.empty(2 * m - 1, dtype=np.int64)
    sizes[:m] = counts
    for t in range(m - 1):
        sizes[m + t] = sizes[children[t, 0]] + sizes[children[t, 1]]
    kept = sizes[m:] <= max_size  # closed downward: children are smaller
    return representatives(children, m, kept)[:m]


def _join_small_subsets(X, subset, min_size, max_size):
    """Move each subset of fewer than ``min_size`` events into the subset of the
    event nearest to its centroid among the subsets of ``min_size`` to
    ``max_size`` events (never into a larger one: those are cells of coinciding
    events, which get no Ward tree)."""
    labels, counts = np.unique(subset, return_counts=True)
    small = labels[counts < min_size]
    target = labels[(counts >= min_size) & (counts <= max_size)]
    if small.shape[0] == 0 or target.shape[0] == 0:
        return subset
    large_idx = np.flatnonzero(np.isin(subset, target))
    tree = cKDTree(X[large_idx])
    out = subset.copy()
    for label in small:
        members = np.flatnonzero(subset == label)
        _, nearest = tree.query(X[members].mean(axis=0))
        out[members] = subset[large_idx[nearest]]
    return out
