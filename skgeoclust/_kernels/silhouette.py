"""Silhouette sums for many partitions of one point set in a single distance pass."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit

from skgeoclust._kernels.sweep_distances import distance_row
from skgeoclust.utils._config import NUMBA_CACHE


@njit(cache=NUMBA_CACHE, nogil=True)
def silhouette_samples_batch(X, codes, order, offsets, metric, start, stop, out):
    """Silhouette of samples ``start:stop`` under every partition, one distance pass.

    For sample :math:`i` and partition :math:`p` with label :math:`\\ell`,

    .. math::

        a = \\frac{\\sum_{j \\in C_\\ell} d_{ij}}{|C_\\ell| - 1}, \\quad
        b = \\min_{k \\ne \\ell} \\frac{\\sum_{j \\in C_k} d_{ij}}{|C_k|}, \\quad
        s = \\frac{b - a}{\\max(a, b)},

    with :math:`s = 0` in a singleton cluster or when :math:`\\max(a, b) = 0`
    (scikit-learn's ``silhouette_samples`` conventions). Rows are taken in blocks
    of 16: their distances to every sample are computed once, stored sample-major,
    and each cluster sum of each partition is a gather over the cluster's members
    (``order``), 16 rows at a time, with no scattered writes.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Points.
    codes : ndarray of shape (n_partitions, n_samples), int
        Label ``0 .. max_labels - 1`` of each sample in each partition, ``-1`` for
        a sample left out (neither scored nor summed).
    order : ndarray of shape (n_partitions, n_samples), int
        Samples of each partition sorted by label (left-out samples last).
    offsets : ndarray of shape (n_partitions, max_labels + 1), int
        Cluster ``k`` of partition ``p`` is
        ``order[p, offsets[p, k]:offsets[p, k + 1]]``.
    metric : int
        Code of :mod:`skgeoclust._kernels.sweep_distances` (``EUCLIDEAN`` or
        ``MANHATTAN`` for the silhouette).
    start, stop : int
        Rows to score.
    out : ndarray of shape (n_partitions, n_samples)
        Receives :math:`s`; NaN where the sample is left out.
    """
    n_samples = X.shape[0]
    n_part = codes.shape[0]
    max_labels = offsets.shape[1] - 1
    block = 16
    drow = np.empty(n_samples)
    dcol = np.zeros((n_samples, block))
    sums = np.zeros((max_labels, block))
    for i0 in range(start, stop, block):
        nb = min(block, stop - i0)
        for b in range(block):
            if b < nb:
                distance_row(X, i0 + b, metric, drow)
                for j in range(n_samples):
                    dcol[j, b] = drow[j]
            else:
                for j in range(n_samples):
                    dcol[j, b] = 0.0
        for p in range(n_part):
            for k in range(max_labels):
                # one scalar accumulator per row of the block, kept in registers
                a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = a8 = a9 = a10 = a11 = a12 = (
                    a13
                ) = a14 = a15 = 0.0
                for t in range(offsets[p, k], offsets[p, k + 1]):
                    j = order[p, t]
                    a0 += dcol[j, 0]
                    a1 += dcol[j, 1]
                    a2 += dcol[j, 2]
                    a3 += dcol[j, 3]
                    a4 += dcol[j, 4]
                    a5 += dcol[j, 5]
                    a6 += dcol[j, 6]
                    a7 += dcol[j, 7]
                    a8 += dcol[j, 8]
                    a9 += dcol[j, 9]
                    a10 += dcol[j, 10]
                    a11 += dcol[j, 11]
                    a12 += dcol[j, 12]
                    a13 += dcol[j, 13]
                    a14 += dcol[j, 14]
                    a15 += dcol[j, 15]
                sums[k, 0] = a0
                sums[k, 1] = a1
                sums[k, 2] = a2
                sums[k, 3] = a3
                sums[k, 4] = a4
                sums[k, 5] = a5
                sums[k, 6] = a6
                sums[k, 7] = a7
                sums[k, 8] = a8
                sums[k, 9] = a9
                sums[k, 10] = a10
                sums[k, 11] = a11
                sums[k, 12] = a12
                sums[k, 13] = a13
                sums[k, 14] = a14
                sums[k, 15] = a15
            for b in range(nb):
                i = i0 + b
                own = codes[p, i]
                if own < 0:
                    out[p, i] = np.nan
                    continue
                size = offsets[p, own + 1] - offsets[p, own]
                if size <= 1:
                    out[p, i] = 0.0
                    continue
                a = sums[own, b] / (size - 1)
                bmin = np.inf
                for k in range(max_labels):
                    c = offsets[p, k + 1] - offsets[p, k]
                    if k != own and c > 0:
                        v = sums[k, b] / c
                        if v < bmin:
                            bmin = v
                denom = max(a, bmin)
                if denom > 0.0 and np.isfinite(bmin):
                    out[p, i] = (bmin - a) / denom
                else:
                    out[p, i] = 0.0
    return out
