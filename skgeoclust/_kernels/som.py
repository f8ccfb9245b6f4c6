"""Self-organising map kernel: minisom's online training rule.

The batch winner search is the k-means assignment with its runner-up
(``nearest_two_centers`` in :mod:`skgeoclust._kernels.kmeans`).
"""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit

from skgeoclust.utils._config import NUMBA_CACHE

#: Neighbourhood gains below this are treated as zero (see ``train_online``).
_TINY = 1e-20


@njit(cache=NUMBA_CACHE, nogil=True)
def asymptotic_decay(value, t, n_iterations):
    """minisom's ``asymptotic_decay``: ``value / (1 + t / (n_iterations / 2))``."""
    return value / (1.0 + t / (n_iterations / 2.0))


@njit(cache=NUMBA_CACHE, nogil=True)
def train_online(data, order, weights_t, grid_y, sigma, learning_rate):
    """Online SOM training with minisom's update rule, in place on ``weights_t``.

    At step ``t`` the sample ``x = data[order[t]]`` picks its best-matching unit
    ``c`` (smallest Euclidean distance, first index on ties) and every node moves:

    .. math::

        w_{ij} \\leftarrow w_{ij} + \\eta(t)\\, e^{-(i-c_x)^2 / 2\\sigma(t)^2}
        e^{-(j-c_y)^2 / 2\\sigma(t)^2} (x - w_{ij}),

    with ``eta(t) = learning_rate / (1 + t / (T/2))`` and
    ``sigma(t) = sigma / (1 + t / (T/2))``, ``T = len(order)`` (minisom's
    ``train(data, T)`` with the default gaussian neighbourhood, rectangular topology,
    Euclidean activation and asymptotic decay of both parameters).

    Parameters
    ----------
    data : ndarray of shape (n_samples, n_features)
        Training samples.
    order : ndarray of shape (n_iterations,), int
        Sample index used at each step.
    weights_t : ndarray of shape (n_features, grid_x * grid_y)
        Codebook, transposed (node ``i * grid_y + j`` in column ``i * grid_y + j``)
        so the node loops vectorise; updated in place.
    grid_y : int
        Number of map columns.
    sigma, learning_rate : float
        Initial neighbourhood radius and learning rate.

    Returns
    -------
    weights_t : ndarray of shape (n_features, grid_x * grid_y)
        The same buffer, trained.
    """
    n_features, n_nodes = weights_t.shape
    grid_x = n_nodes // grid_y
    n_iterations = order.shape[0]
    dist = np.empty(n_nodes, dtype=weights_t.dtype)
    gain = np.empty(n_nodes, dtype=weights_t.dtype)
    gx = np.empty(grid_x, dtype=weights_t.dtype)
    gy = np.empty(grid_y, dtype=weights_t.dtype)
    for t in range(n_iterations):
        x = data[order[t]]
        dist[:] = 0.0
        for k in range(n_features):
            xk = x[k]
            row = weights_t[k]
            for n in range(n_nodes):
                d = xk - row[n]
                dist[n] += d * d
        best = 0
        best_d = dist[0]
        for n in range(1, n_nodes):
            if dist[n] < best_d:
                best_d = dist[n]
                best = n
        cx = best // grid_y
        cy = best - cx * grid_y
        eta = asymptotic_decay(learning_rate, t, n_iterations)
        sig = asymptotic_decay(sigma, t, n_iterations)
        two_sig2 = 2.0 * sig * sig
        for i in range(grid_x):
            di = float(i - cx)
            gx[i] = np.exp(-(di * di) / two_sig2)
            if gx[i] < _TINY:
                gx[i] = 0.0
        for j in range(grid_y):
            dj = float(j - cy)
            gy[j] = np.exp(-(dj * dj) / two_sig2)
            if gy[j] < _TINY:
                gy[j] = 0.0
        # Neighbourhood factors below _TINY are set to zero and the update is
        # restricted to the box of nodes with a non-zero gain. A skipped step would
        # move a weight by less than 1e-20 * |x - w|, which for weights of order one
        # is far below half an ulp (so the float result is unchanged); keeping those
        # steps would spend most of the time in subnormal arithmetic, which is very
        # slow on x86 (gains of a radius-0.1 gaussian reach 1e-300 two nodes away).
        i0, i1, j0, j1 = grid_x, -1, grid_y, -1
        for i in range(grid_x):
            for j in range(grid_y):
                g = (gx[i] * gy[j]) * eta
                if g < _TINY:
                    g = 0.0
                else:
                    i0 = min(i0, i)
                    i1 = max(i1, i)
                    j0 = min(j0, j)
                    j1 = max(j1, j)
                gain[i * grid_y + j] = g
        for k in range(n_features):
            xk = x[k]
            row = weights_t[k]
            for i in range(i0, i1 + 1):
                base = i * grid_y
                for n in range(base + j0, base + j1 + 1):
                    row[n] += gain[n] * (xk - row[n])
    return weights_t
