"""Distances of the sweep kernels between rows of one point set, by metric code.

A code names the quantity a kernel computes. ``SQEUCLIDEAN`` is the
order-preserving proxy of ``EUCLIDEAN`` (no square root in the loop); the names
users give map to codes in :mod:`skgeoclust.metrics._sweep_metrics`.
"""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit

from skgeoclust.utils._config import NUMBA_CACHE

#: Squared Euclidean distance.
SQEUCLIDEAN = 0
#: Manhattan (city-block) distance.
MANHATTAN = 1
#: Euclidean distance.
EUCLIDEAN = 2


@njit(cache=NUMBA_CACHE, nogil=True)
def row_distance(X, i, j, metric):
    """Distance ``metric`` between rows ``i`` and ``j`` of ``X``.

    .. math::

        \\sum_f (x_{if} - x_{jf})^2, \\quad \\sum_f |x_{if} - x_{jf}|
        \\quad\\text{or}\\quad \\sqrt{\\sum_f (x_{if} - x_{jf})^2}
    """
    acc = 0.0
    if metric == MANHATTAN:
        for f in range(X.shape[1]):
            acc += abs(X[i, f] - X[j, f])
        return acc
    for f in range(X.shape[1]):
        t = X[i, f] - X[j, f]
        acc += t * t
    return np.sqrt(acc) if metric == EUCLIDEAN else acc


@njit(cache=NUMBA_CACHE, nogil=True)
def distance_row(X, i, metric, out):
    """Fill ``out[j]`` with the distance ``metric`` from row ``i`` of ``X`` to every
    row ``j``."""
    return distances_to_columns(X[i], X.T, X.shape[0], metric, out)


@njit(cache=NUMBA_CACHE, nogil=True)
def distances_to_columns(x, columns, n, metric, out):
    """Fill ``out[:n]`` with the distance ``metric`` from the point ``x`` to each of
    the first ``n`` points held column by column in ``columns`` (n_features, >= n):
    feature-major loops, which vectorise over the points."""
    n_features = columns.shape[0]
    out[:n] = 0.0
    if metric == MANHATTAN:
        for f in range(n_features):
            xf = x[f]
            for j in range(n):
                out[j] += abs(xf - columns[f, j])
        return out
    for f in range(n_features):
        xf = x[f]
        for j in range(n):
            t = xf - columns[f, j]
            out[j] += t * t
    if metric == EUCLIDEAN:
        for j in range(n):
            out[j] = np.sqrt(out[j])
    return out
