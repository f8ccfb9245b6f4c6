"""Great-circle distance kernels on the sphere (angles in radians)."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit, prange

from skgeoclust.utils._config import NUMBA_CACHE


@njit(cache=NUMBA_CACHE, nogil=True)
def _half_angle_terms(points_rad):
    """Per-point sin/cos of half latitude and longitude, and cos latitude."""
    n = points_rad.shape[0]
    terms = np.empty((n, 5), dtype=np.float64)
    for i in range(n):
        half_lat = 0.5 * points_rad[i, 0]
        half_lon = 0.5 * points_rad[i, 1]
        terms[i, 0] = np.sin(half_lat)
        terms[i, 1] = np.cos(half_lat)
        terms[i, 2] = np.sin(half_lon)
        terms[i, 3] = np.cos(half_lon)
        terms[i, 4] = np.cos(points_rad[i, 0])
    return terms


@njit(cache=NUMBA_CACHE, nogil=True, parallel=True)
def pairwise_haversine(a_rad, b_rad, out):
    """Fill ``out[i, j]`` with the central angle between ``a_rad[i]`` and ``b_rad[j]``.

    The half-angle sines of differences come from per-point terms,
    :math:`\\sin\\frac{a-b}{2} = \\sin\\frac{a}{2}\\cos\\frac{b}{2}
    - \\cos\\frac{a}{2}\\sin\\frac{b}{2}`, so the inner loop has no
    trigonometric call but the final arcsine.

    Parameters
    ----------
    a_rad : ndarray of shape (n_a, 2)
        (lat, lon) in radians.
    b_rad : ndarray of shape (n_b, 2)
        (lat, lon) in radians.
    out : ndarray of shape (n_a, n_b)
        Output buffer, in radians.
    """
    ta = _half_angle_terms(a_rad)
    tb = _half_angle_terms(b_rad)
    for i in prange(a_rad.shape[0]):
        for j in range(b_rad.shape[0]):
            s_lat = ta[i, 0] * tb[j, 1] - ta[i, 1] * tb[j, 0]
            s_lon = ta[i, 2] * tb[j, 3] - ta[i, 3] * tb[j, 2]
            h = s_lat * s_lat + ta[i, 4] * tb[j, 4] * s_lon * s_lon
            if h > 1.0:
                h = 1.0
            out[i, j] = 2.0 * np.arcsin(np.sqrt(h))
    return out
