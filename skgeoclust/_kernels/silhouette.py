"""Silhouette sums for many partitions of one point set in a single distance pass."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit

from skgeoclust.utils._config import NUMBA_CACHE

#: Metric codes shared by the sweep kernels.
EUCLIDEAN = 0
MANHATTAN = 1


@njit(cache=NUMBA_CACHE, nogil=True)
def reduced_distance(X, i, j, metric):
    """Order-preserving distance proxy: squared Euclidean, or Manhattan.

    .. math::

        r_{ij} = \\sum_f (x_{if} - x_{jf})^2 \\quad\\text{or}\\quad
        \\sum_f |x_{if} - x_{jf}|
    """
    acc = 0.0
    if metric == EUCLIDEAN:
        for f in range(X.shape[1]):
            t = X[i, f] - X[j, f]
            acc += t * t
    else:
        for f in range(X.shape[1]):
            acc += abs(X[i, f] - X[j, f])
    return acc


@njit(cache=NUMBA_CACHE, nogil=True)
def true_distance(X, i, j, metric):
    """Euclidean or Manhattan distance between rows ``i`` and ``j`` of ``X``."""
    r = reduced_distance(X, i, j, metric)
    if metric == EUCLIDEAN:
        return np.sqrt(r)
    return r


@njit(cache=NUMBA_CACHE, nogil=True)
def distance_row(X, i, metric, out):
    """Fill ``out[j]`` with the distance from row ``i`` of ``X`` to every row ``j``."""
    n_samples, n_features = X.shape
    out[:] = 0.0
    if metric == EUCLIDEAN:
        for f in range(n_features):
            xi = X[i, f]
            for j in range(n_samples):
                t = xi - X[j, f]
                out[j] += t * t
        for j in range(n_samples):
            out[j] = np.sqrt(out[j])
    else:
        for f in range(n_features):
            xi = X[i, f]
            for j in range(n_samples):
                out[j] += abs(xi - X[j, f])
    return out


@njit(cache=NUMBA_CACHE, nogil=True)
def silhouette_samples_batch(X, slots, counts, metric, start, stop, out):
    """Silhouette of samples ``start:stop`` under every partition, one distance pass.

    For sample :math:`i` and partition :math:`p` with label :math:`\\ell`,

    .. math::

        a = \\frac{\\sum_{j \\in C_\\ell} d_{ij}}{|C_\\ell| - 1}, \\quad
        b = \\min_{k \\ne \\ell} \\frac{\\sum_{j \\in C_k} d_{ij}}{|C_k|}, \\quad
        s = \\frac{b - a}{\\max(a, b)},

    with :math:`s = 0` in a singleton cluster or when :math:`\\max(a, b) = 0`
    (scikit-learn's ``silhouette_samples`` conventions). Each row of distances
    :math:`d_{i\\cdot}` is computed once and added to the per-cluster sums of all
    partitions.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Points.
    slots : ndarray of shape (n_samples, n_partitions), int
        ``p * max_labels + label`` for a sample of partition ``p``, or
        ``n_partitions * max_labels`` (a discard slot) for a sample left out.
    counts : ndarray of shape (n_partitions, max_labels), int
        Size of every cluster.
    metric : int
        ``EUCLIDEAN`` or ``MANHATTAN``.
    start, stop : int
        Rows to score.
    out : ndarray of shape (n_partitions, n_samples)
        Receives :math:`s`; NaN where the sample is left out.
    """
    n_samples = X.shape[0]
    n_part, max_labels = counts.shape
    discard = n_part * max_labels
    # Rows are scored in blocks so that each pass over ``slots`` serves them all.
    block = 8
    sums = np.zeros((discard + 1, block))
    drow = np.empty((block, n_samples))
    dcol = np.zeros((n_samples, block))
    for i0 in range(start, stop, block):
        nb = min(block, stop - i0)
        sums[:] = 0.0
        for b in range(nb):
            distance_row(X, i0 + b, metric, drow[b])
        for j in range(n_samples):
            for b in range(block):
                dcol[j, b] = drow[b, j] if b < nb else 0.0
        for j in range(n_samples):
            for p in range(n_part):
                slot = slots[j, p]
                for b in range(block):
                    sums[slot, b] += dcol[j, b]
        for b in range(nb):
            i = i0 + b
            for p in range(n_part):
                slot = slots[i, p]
                if slot == discard:
                    out[p, i] = np.nan
                    continue
                own = slot - p * max_labels
                size = counts[p, own]
                if size <= 1:
                    out[p, i] = 0.0
                    continue
                a = sums[slot, b] / (size - 1)
                bmin = np.inf
                for k in range(max_labels):
                    c = counts[p, k]
                    if k != own and c > 0:
                        v = sums[p * max_labels + k, b] / c
                        if v < bmin:
                            bmin = v
                denom = max(a, bmin)
                if denom > 0.0 and np.isfinite(bmin):
                    out[p, i] = (bmin - a) / denom
                else:
                    out[p, i] = 0.0
    return out
