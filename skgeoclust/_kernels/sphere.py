"""Central angles between unit vectors, mean directions and nearest sites.

Every distance here is the central angle between unit vectors ``p`` and ``q``,
``2 asin(|p - q| / 2)``, which is exact to rounding at every scale (unlike
``acos(p . q)`` for nearby points) and exactly symmetric. All kernels take site
indices into one ``xyz`` array of shape (n_sites, 3) so that no coordinates are
copied, and none allocates an n x n matrix.
"""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit

from skgeoclust.utils._config import NUMBA_CACHE

#: Sets whose points all lie within this angle (radians, 40 degrees) of their mean
#: direction get the exact convex-hull span; every pair in them is closer than 90
#: degrees, which is what the hull argument needs.
NARROW_CAP_RAD = 0.6981317007977318


@njit(cache=NUMBA_CACHE, nogil=True, inline="always")
def angle_of_chord(dx, dy, dz):
    """Central angle of the chord ``(dx, dy, dz)`` between two unit vectors.

    .. math:: \\theta = 2 \\arcsin(\\lVert p - q \\rVert / 2)
    """
    h = 0.5 * np.sqrt(dx * dx + dy * dy + dz * dz)
    if h > 1.0:
        h = 1.0
    return 2.0 * np.arcsin(h)


@njit(cache=NUMBA_CACHE, nogil=True)
def angle_between(xyz, i, j):
    """Central angle in radians between unit vectors ``xyz[i]`` and ``xyz[j]``."""
    return angle_of_chord(
        xyz[i, 0] - xyz[j, 0], xyz[i, 1] - xyz[j, 1], xyz[i, 2] - xyz[j, 2]
    )


@njit(cache=NUMBA_CACHE, nogil=True)
def edge_angles(xyz, src, dst):
    """Central angles of the edges ``(src[e], dst[e])``, shape (n_edges,)."""
    out = np.empty(src.shape[0])
    for e in range(src.shape[0]):
        out[e] = angle_between(xyz, src[e], dst[e])
    return out


@njit(cache=NUMBA_CACHE, nogil=True)
def angles_to(xyz, sites, target):
    """Central angle from each of ``sites`` to the site ``target``, shape (m,)."""
    out = np.empty(sites.shape[0])
    for s in range(sites.shape[0]):
        out[s] = angle_between(xyz, sites[s], target)
    return out


@njit(cache=NUMBA_CACHE, nogil=True)
def angles_to_representatives(xyz, indptr, sites, reps):
    """Central angle of every site of a CSR layout to its cluster's representative:
    ``out[s]`` for ``sites[s]`` of cluster ``c`` (``indptr[c] <= s < indptr[c + 1]``)
    is the angle to ``reps[c]``, shape (len(sites),)."""
    out = np.empty(sites.shape[0])
    for c in range(indptr.shape[0] - 1):
        for s in range(indptr[c], indptr[c + 1]):
            out[s] = angle_between(xyz, sites[s], reps[c])
    return out


@njit(cache=NUMBA_CACHE, nogil=True)
def mean_direction(xyz, idx):
    """Normalised mean direction and whether every site is within 40 degrees of it."""
    m = idx.shape[0]
    cx = 0.0
    cy = 0.0
    cz = 0.0
    for s in range(m):
        cx += xyz[idx[s], 0]
        cy += xyz[idx[s], 1]
        cz += xyz[idx[s], 2]
    norm = np.sqrt(cx * cx + cy * cy + cz * cz)
    if norm <= 1e-9 * m:
        return 0.0, 0.0, 0.0, False
    cx /= norm
    cy /= norm
    cz /= norm
    min_dot = 1.0
    for s in range(m):
        i = idx[s]
        d = xyz[i, 0] * cx + xyz[i, 1] * cy + xyz[i, 2] * cz
        if d < min_dot:
            min_dot = d
    return cx, cy, cz, min_dot >= np.cos(NARROW_CAP_RAD)


@njit(cache=NUMBA_CACHE, nogil=True, inline="always")
def tangent_towards(x0, x1, x2, y0, y1, y2):
    """Tangent at the unit vector ``x`` pointing towards ``y`` (``y`` minus its
    projection on ``x``: minus the gradient of the angle to ``y``, times its sine),
    and its length."""
    dot = x0 * y0 + x1 * y1 + x2 * y2
    tx = y0 - dot * x0
    ty = y1 - dot * x1
    tz = y2 - dot * x2
    return tx, ty, tz, np.sqrt(tx * tx + ty * ty + tz * tz)


@njit(cache=NUMBA_CACHE, nogil=True, inline="always")
def _nearest_of(xyz, site, candidates):
    """Position in ``candidates`` (-1 entries skipped) of the one closest to
    ``site`` and its angle; ties go to the smaller candidate site (-1, inf: none)."""
    which = -1
    dist = np.inf
    best_site = -1
    for c in range(candidates.shape[0]):
        r = candidates[c]
        if r < 0:
            continue
        d = angle_between(xyz, site, r)
        if d < dist or (d == dist and r < best_site):
            dist = d
            which = c
            best_site = r
    return which, dist


@njit(cache=NUMBA_CACHE, nogil=True)
def nearest_representative(xyz, sites, reps):
    """Closest of ``reps`` to each site; ties go to the smaller representative site.

    Parameters
    ----------
    sites : ndarray of shape (m,)
        Site indices.
    reps : ndarray of shape (m, r)
        Candidate representative sites per site; -1 pads unused slots.

    Returns
    -------
    which : ndarray of shape (m,)
        Column of ``reps`` chosen (-1 when a row has no candidate).
    dist : ndarray of shape (m,)
        Its central angle (inf when none).
    """
    m = sites.shape[0]
    which = np.empty(m, dtype=np.int64)
    dist = np.empty(m)
    for s in range(m):
        which[s], dist[s] = _nearest_of(xyz, sites[s], reps[s])
    return which, dist


@njit(cache=NUMBA_CACHE, nogil=True)
def nearest_of_list(xyz, sites, reps):
    """Closest site of the list ``reps`` to each of ``sites`` (ties: smaller site).

    Returns
    -------
    which : ndarray of shape (m,)
        Position in ``reps`` (-1 if ``reps`` is empty).
    dist : ndarray of shape (m,)
        Central angle (inf if ``reps`` is empty).
    """
    m = sites.shape[0]
    which = np.empty(m, dtype=np.int64)
    dist = np.empty(m)
    for s in range(m):
        which[s], dist[s] = _nearest_of(xyz, sites[s], reps)
    return which, dist
