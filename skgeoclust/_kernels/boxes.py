"""Oriented-box overlap (separating-axis theorem)."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit

from skgeoclust.utils._config import NUMBA_CACHE


@njit(cache=NUMBA_CACHE, nogil=True)
def _separated_on(axis, delta, axes_a, half_a, axes_b, half_b):
    norm = 0.0
    for c in range(axis.shape[0]):
        norm += axis[c] * axis[c]
    if norm < 1e-24:
        return False  # degenerate axis (parallel edges): not a separating axis
    dist = 0.0
    for c in range(axis.shape[0]):
        dist += delta[c] * axis[c]
    radius = 0.0
    for r in range(axes_a.shape[0]):
        proj = 0.0
        for c in range(axis.shape[0]):
            proj += axes_a[r, c] * axis[c]
        radius += half_a[r] * abs(proj)
    for r in range(axes_b.shape[0]):
        proj = 0.0
        for c in range(axis.shape[0]):
            proj += axes_b[r, c] * axis[c]
        radius += half_b[r] * abs(proj)
    return abs(dist) > radius * (1.0 + 1e-12) + 1e-12 * np.sqrt(norm)


@njit(cache=NUMBA_CACHE, nogil=True)
def boxes_overlap(center_a, axes_a, half_a, center_b, axes_b, half_b):
    """Whether two oriented boxes intersect (separating-axis theorem).

    Parameters
    ----------
    center_a : ndarray of shape (n_features,)
    axes_a : ndarray of shape (n_features, n_features)
        Rows are the box's orthonormal axes.
    half_a : ndarray of shape (n_features,)
        Half side lengths along those axes.
    center_b, axes_b, half_b : same for the second box.

    Notes
    -----
    In 1-D, 2-D and 3-D the test is exact: the candidate separating axes are the
    face normals of both boxes and, in 3-D, the nine cross products of their edge
    directions. In more dimensions only the face normals are tried, which can
    report an overlap for separated boxes (never the reverse).
    """
    d = center_a.shape[0]
    delta = center_b - center_a
    for r in range(d):
        if _separated_on(axes_a[r], delta, axes_a, half_a, axes_b, half_b):
            return False
        if _separated_on(axes_b[r], delta, axes_a, half_a, axes_b, half_b):
            return False
    if d == 3:
        axis = np.empty(3)
        for r in range(3):
            u = axes_a[r]
            for q in range(3):
                v = axes_b[q]
                axis[0] = u[1] * v[2] - u[2] * v[1]
                axis[1] = u[2] * v[0] - u[0] * v[2]
                axis[2] = u[0] * v[1] - u[1] * v[0]
                if _separated_on(axis, delta, axes_a, half_a, axes_b, half_b):
                    return False
    return True


@njit(cache=NUMBA_CACHE, nogil=True)
def overlapping_partners(k, others, centers, axes, halves):
    """The ids in ``others`` whose box overlaps the box of kernel ``k``.

    Parameters
    ----------
    k : int
    others : ndarray of shape (m,) of int64
    centers, axes, halves : per-kernel box tables, shapes (n, d), (n, d, d), (n, d)
    """
    keep = np.empty(others.shape[0], dtype=np.int64)
    n_keep = 0
    for t in range(others.shape[0]):
        j = others[t]
        if boxes_overlap(
            centers[k], axes[k], halves[k], centers[j], axes[j], halves[j]
        ):
            keep[n_keep] = j
            n_keep += 1
    return keep[:n_keep].copy()


@njit(cache=NUMBA_CACHE, nogil=True)
def filter_overlapping_pairs(pairs, centers, axes, halves):
    """Rows of ``pairs`` (m, 2) whose two boxes overlap."""
    keep = np.zeros(pairs.shape[0], dtype=np.bool_)
    for t in range(pairs.shape[0]):
        a = pairs[t, 0]
        b = pairs[t, 1]
        keep[t] = boxes_overlap(
            centers[a], axes[a], halves[a], centers[b], axes[b], halves[b]
        )
    return keep
