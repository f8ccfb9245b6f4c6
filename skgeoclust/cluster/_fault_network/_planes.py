"""Fault-plane parameters (strike, dip, length, width, thickness) of 3-D Gaussians."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np


def plane_orientation(normal):
    """Strike and dip in degrees of the plane with unit ``normal``.

    Coordinates are (east, north, down). Strike is clockwise from north in
    [0, 360) and the plane dips to the right of the strike direction (right-hand
    rule); dip is in [0, 90]. A horizontal plane gets strike 0.
    """
    normal = np.asarray(normal, dtype=np.float64)
    normal = normal / np.linalg.norm(normal)
    if normal[2] > 0:
        normal = -normal  # upward normal: (along, down-dip, normal) right-handed
    down = np.array([0.0, 0.0, 1.0])
    along = np.cross(down, normal)
    norm = np.linalg.norm(along)
    if norm < 1e-12:
        return 0.0, 0.0
    along /= norm
    down_dip = np.cross(normal, along)
    if down_dip[2] < 0:
        along = -along
        down_dip = -down_dip
    strike = np.degrees(np.arctan2(along[0], along[1])) % 360.0
    dip = np.degrees(np.arcsin(np.clip(down_dip[2], 0.0, 1.0)))
    return float(strike), float(dip)


def fault_planes_from_gaussians(means, covariances):
    """Plane parameters of each Gaussian from its eigen-decomposition.

    Returns
    -------
    dict of ndarray
        ``center`` (n, 3); ``strike``, ``dip`` in degrees; ``length``, ``width``,
        ``thickness`` = ``sqrt(12 * eigenvalue)`` in descending order (the sides of
        the uniform slab with the same second moments); ``normal`` (n, 3), the
        eigenvector of the smallest eigenvalue.
    """
    n = means.shape[0]
    out = {
        "center": means.copy(),
        "strike": np.zeros(n),
        "dip": np.zeros(n),
        "length": np.zeros(n),
        "width": np.zeros(n),
        "thickness": np.zeros(n),
        "normal": np.zeros((n, 3)),
    }
    for k in range(n):
        eigval, eigvec = np.linalg.eigh(covariances[k])
        eigval = np.clip(eigval, 0.0, None)
        normal = eigvec[:, 0]
        if normal[2] > 0 or (normal[2] == 0 and normal[0] < 0):
            normal = -normal
        out["normal"][k] = normal
        out["strike"][k], out["dip"][k] = plane_orientation(normal)
        side = np.sqrt(12.0 * eigval)
        out["length"][k], out["width"][k], out["thickness"][k] = (
            side[2],
            side[1],
            side[0],
        )
    return out
