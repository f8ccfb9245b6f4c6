"""Oriented boxes: minimum-volume bounding boxes and the sigma*sqrt(12) kernel boxes."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.spatial import ConvexHull, QhullError


def _box_on_axes(points, axes):
    """Bounding box of ``points`` on the orthonormal rows of ``axes``."""
    proj = points @ axes.T
    lo, hi = proj.min(axis=0), proj.max(axis=0)
    center = 0.5 * (lo + hi) @ axes
    return center, axes, 0.5 * (hi - lo)


def _pca_axes(points):
    centred = points - points.mean(axis=0)
    if centred.shape[0] < centred.shape[1]:
        centred = np.vstack([centred, np.zeros((centred.shape[1], centred.shape[1]))])
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return vt


def _min_area_rectangle_axes(points2d):
    """Orthonormal 2-D axes of the minimum-area enclosing rectangle (rotating
    calipers: one side of the optimum is collinear with a hull edge)."""
    try:
        hull = ConvexHull(points2d)
    except (QhullError, ValueError):
        return _pca_axes(points2d)
    vertices = points2d[hull.vertices]
    edges = np.roll(vertices, -1, axis=0) - vertices
    angles = np.arctan2(edges[:, 1], edges[:, 0])
    cos, sin = np.cos(angles), np.sin(angles)
    # projections of every hull vertex on every candidate direction and its normal
    u = vertices[:, 0][None, :] * cos[:, None] + vertices[:, 1][None, :] * sin[:, None]
    v = -vertices[:, 0][None, :] * sin[:, None] + vertices[:, 1][None, :] * cos[:, None]
    area = np.ptp(u, axis=1) * np.ptp(v, axis=1)
    best = int(np.argmin(area))
    return np.array([[cos[best], sin[best]], [-sin[best], cos[best]]])


def _volume(half):
    return float(np.prod(2.0 * half))


def min_volume_box(points, min_side):
    """Small-volume oriented bounding box of ``points``.

    In 3-D, every distinct facet normal of the convex hull is tried as one box axis,
    with the minimum-area rectangle of the points projected on that facet's plane
    for the two others (the optimal box has a face flush with a hull facet in most
    cases; O'Rourke's exact algorithm also tries edge-edge contacts, which this
    search skips); the principal axes are tried too. In 2-D the rotating-calipers
    rectangle is exact. Other dimensions use the principal axes.

    Parameters
    ----------
    points : ndarray of shape (n_points, n_features)
    min_side : float
        Every side is at least this long (flat or empty point sets still get a
        finite density).

    Returns
    -------
    center : ndarray of shape (n_features,)
    axes : ndarray of shape (n_features, n_features)
        Orthonormal rows.
    half_extents : ndarray of shape (n_features,)
    """
    points = np.asarray(points, dtype=np.float64)
    d = points.shape[1]
    if points.shape[0] == 1:
        best = (points[0].copy(), np.eye(d), np.zeros(d))
    else:
        best = _box_on_axes(points, _pca_axes(points))
        if d == 2:
            cand = _box_on_axes(points, _min_area_rectangle_axes(points))
            if _volume(cand[2]) < _volume(best[2]):
                best = cand
        elif d == 3 and points.shape[0] >= 4:
            try:
                hull = ConvexHull(points)
            except (QhullError, ValueError):
                hull = None
            if hull is not None:
                vertices = points[hull.vertices]
                normals = np.unique(np.round(hull.equations[:, :3], 10), axis=0)
                for normal in normals:
                    normal = normal / np.linalg.norm(normal)
                    helper = np.eye(3)[int(np.argmin(np.abs(normal)))]
                    e1 = np.cross(normal, helper)
                    e1 /= np.linalg.norm(e1)
                    e2 = np.cross(normal, e1)
                    plane = np.stack([e1, e2])
                    rect = _min_area_rectangle_axes(vertices @ plane.T)
                    axes = np.vstack([normal, rect @ plane])
                    cand = _box_on_axes(vertices, axes)
                    if _volume(cand[2]) < _volume(best[2]):
                        best = cand
    center, axes, half = best
    half = np.maximum(half, 0.5 * min_side)
    return center, axes, half


def gaussian_box(cov, factor):
    """Box of a Gaussian on its principal axes, ``mean +- factor * sigma`` along
    each axis (half side ``factor * sigma``).

    Returns
    -------
    axes : ndarray of shape (n_features, n_features)
        Eigenvectors as rows, largest variance first.
    half_extents : ndarray of shape (n_features,)
    eigenvalues : ndarray of shape (n_features,)
        Descending.
    """
    eigval, eigvec = np.linalg.eigh(cov)
    eigval = np.clip(eigval[::-1], 0.0, None)
    axes = eigvec[:, ::-1].T
    return axes, factor * np.sqrt(eigval), eigval
