"""Great-circle distance kernels on the sphere (angles in radians)."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit, prange

from skgeoclust.utils._config import NUMBA_CACHE


@njit(cache=NUMBA_CACHE, nogil=True)
def haversine_rad(lat1_rad, lon1_rad, lat2_rad, lon2_rad):
    """Central angle between two points, in radians.

    .. math::

        \\theta = 2 \\arcsin \\sqrt{\\sin^2 \\frac{\\Delta\\phi}{2}
        + \\cos\\phi_1 \\cos\\phi_2 \\sin^2 \\frac{\\Delta\\lambda}{2}}
    """
    s_lat = np.sin(0.5 * (lat2_rad - lat1_rad))
    s_lon = np.sin(0.5 * (lon2_rad - lon1_rad))
    h = s_lat * s_lat + np.cos(lat1_rad) * np.cos(lat2_rad) * s_lon * s_lon
    if h > 1.0:
        h = 1.0
    return 2.0 * np.arcsin(np.sqrt(h))


@njit(cache=NUMBA_CACHE, nogil=True, parallel=True)
def pairwise_haversine(a_rad, b_rad, out):
    """Fill ``out[i, j]`` with the central angle between ``a_rad[i]`` and ``b_rad[j]``.

    Parameters
    ----------
    a_rad : ndarray of shape (n_a, 2)
        (lat, lon) in radians.
    b_rad : ndarray of shape (n_b, 2)
        (lat, lon) in radians.
    out : ndarray of shape (n_a, n_b)
        Output buffer, in radians.
    """
    for i in prange(a_rad.shape[0]):
        for j in range(b_rad.shape[0]):
            out[i, j] = haversine_rad(a_rad[i, 0], a_rad[i, 1], b_rad[j, 0], b_rad[j, 1])
    return out


@njit(cache=NUMBA_CACHE, nogil=True, parallel=True)
def rowwise_haversine(a_rad, b_rad, out):
    """Fill ``out[i]`` with the central angle between ``a_rad[i]`` and ``b_rad[i]``.

    Parameters
    ----------
    a_rad, b_rad : ndarray of shape (n, 2)
        (lat, lon) in radians.
    out : ndarray of shape (n,)
        Output buffer, in radians.
    """
    for i in prange(a_rad.shape[0]):
        out[i] = haversine_rad(a_rad[i, 0], a_rad[i, 1], b_rad[i, 0], b_rad[i, 1])
    return out
