"""Exact weighted medoids of site sets on the sphere (trimed pruning)."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit

from skgeoclust._kernels.sphere import angle_of_chord, mean_direction, tangent_towards
from skgeoclust.utils._config import NUMBA_CACHE


@njit(cache=NUMBA_CACHE, nogil=True)
def weighted_medoid(xyz, w, idx, priority):
    """Member of ``idx`` minimising the summed weighted distance to the others.

    Exact, with the triangle-inequality pruning of the trimed algorithm (Newling
    and Fleuret, 2017): once ``f(p) = sum_q w_q d(p, q)`` is known,
    ``f(q) >= |f(p) - W d(p, q)|`` for every ``q`` (``W = sum w``), and a candidate
    whose bound reaches the best value so far is skipped. Candidates are visited
    from the one nearest the weighted mean direction, then by ``priority``.

    Parameters
    ----------
    xyz : ndarray of shape (n_sites, 3)
    w : ndarray of shape (n_sites,)
        Non-negative weights.
    idx : ndarray of shape (m,)
        Site indices.
    priority : ndarray of shape (n_sites,)
        Visiting order key (random numbers drawn by the caller).

    Returns
    -------
    medoid : int
        Site index.
    cost : float
        Its summed weighted central angle.
    """
    m = idx.shape[0]
    if m == 1:
        return idx[0], 0.0
    W = 0.0
    cx = 0.0
    cy = 0.0
    cz = 0.0
    for s in range(m):
        i = idx[s]
        W += w[i]
        cx += w[i] * xyz[i, 0]
        cy += w[i] * xyz[i, 1]
        cz += w[i] * xyz[i, 2]
    keys = np.empty(m)
    for s in range(m):
        keys[s] = priority[idx[s]]
    order = np.argsort(keys, kind="mergesort")
    first = 0
    best_dot = -2.0
    for s in range(m):
        i = idx[s]
        d = xyz[i, 0] * cx + xyz[i, 1] * cy + xyz[i, 2] * cz
        if d > best_dot:
            best_dot = d
            first = s
    lower = np.zeros(m)
    dist = np.empty(m)
    coords = np.empty((3, m))
    ws = np.empty(m)
    for r in range(m):
        coords[0, r] = xyz[idx[r], 0]
        coords[1, r] = xyz[idx[r], 1]
        coords[2, r] = xyz[idx[r], 2]
        ws[r] = w[idx[r]]
    narrow = mean_direction(xyz, idx)[3]
    slack = 0.0
    best = np.inf
    best_site = idx[first]
    for t in range(m + 1):
        if t == 0:
            s = first
        else:
            s = order[t - 1]
            if s == first:
                continue
        if lower[s] >= best:
            continue
        p = idx[s]
        x0 = xyz[p, 0]
        x1 = xyz[p, 1]
        x2 = xyz[p, 2]
        f = 0.0
        gx = 0.0
        gy = 0.0
        gz = 0.0
        for r in range(m):
            # angle_between(xyz, p, idx[r]), on the contiguous copy.
            d = angle_of_chord(x0 - coords[0, r], x1 - coords[1, r], x2 - coords[2, r])
            dist[r] = d
            f += ws[r] * d
            if narrow and d > 0.0:
                # Unit tangent at p towards site r, weighted (minus the gradient).
                tx, ty, tz, tn = tangent_towards(
                    x0, x1, x2, coords[0, r], coords[1, r], coords[2, r]
                )
                if tn > 0.0:
                    gx += ws[r] * tx / tn
                    gy += ws[r] * ty / tn
                    gz += ws[r] * tz / tn
                else:
                    slack += ws[r]
        # In a set within 40 degrees of its mean direction every distance is below
        # 90 degrees, where it is geodesically convex: f(q) >= f(p) - |grad| d(p, q).
        slope = np.sqrt(gx * gx + gy * gy + gz * gz) + slack if narrow else W
        slack = 0.0
        for r in range(m):
            bound = abs(f - W * dist[r])
            convex = f - slope * dist[r]
            if convex > bound:
                bound = convex
            if bound > lower[r]:
                lower[r] = bound
        if f < best:
            best = f
            best_site = p
    return best_site, best


@njit(cache=NUMBA_CACHE, nogil=True)
def medoids_of_clusters(xyz, w, indptr, sites, priority):
    """:func:`weighted_medoid` of every cluster of a CSR layout.

    Returns
    -------
    medoids : ndarray of shape (n_clusters,)
        Site indices.
    """
    k = indptr.shape[0] - 1
    out = np.empty(k, dtype=np.int64)
    for c in range(k):
        out[c], _ = weighted_medoid(xyz, w, sites[indptr[c] : indptr[c + 1]], priority)
    return out
