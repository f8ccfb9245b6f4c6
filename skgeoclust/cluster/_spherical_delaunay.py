"""Edges of the spherical Delaunay tessellation of unit vectors, with fallbacks."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.spatial import ConvexHull, Delaunay, QhullError, cKDTree

#: Point sets within this angle (radians, 60 degrees) of their mean direction are
#: triangulated in the plane after a stereographic projection, which keeps full
#: relative precision for catalogs a few km across; wider sets use the 3-D hull.
_STEREOGRAPHIC_CAP_RAD = np.radians(60.0)


def chord_length(angle_rad):
    """Chord length of a central angle, for Euclidean queries on unit vectors."""
    return 2.0 * np.sin(0.5 * min(float(angle_rad), np.pi))


def _simplex_edges(simplices):
    simplices = np.asarray(simplices, dtype=np.int64)
    src = np.concatenate([simplices[:, 0], simplices[:, 1], simplices[:, 0]])
    dst = np.concatenate([simplices[:, 1], simplices[:, 2], simplices[:, 2]])
    return src, dst


def _attach_missing(xyz, src, dst):
    """Join each point Qhull left out (precision) to its nearest triangulated point."""
    used = np.zeros(xyz.shape[0], dtype=bool)
    used[src] = True
    used[dst] = True
    if used.all():
        return src, dst
    missing = np.flatnonzero(~used)
    kept = np.flatnonzero(used)
    _, nearest = cKDTree(xyz[kept]).query(xyz[missing])
    return np.concatenate([src, missing]), np.concatenate([dst, kept[nearest]])


def _tangent_basis(c):
    ref = np.array([0.0, 0.0, 1.0]) if abs(c[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    e1 = np.cross(c, ref)
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(c, e1)


def _stereographic_edges(xyz, c):
    """Delaunay edges in the plane of the stereographic projection from ``-c``.

    The projection maps circles on the sphere to circles in the plane and the cap
    of a triangle's circumcircle (when it avoids ``-c``) to the inside of the planar
    circumcircle, so the planar Delaunay triangles are spherical Delaunay triangles.
    """
    e1, e2 = _tangent_basis(c)
    denom = 1.0 + xyz @ c
    uv = np.column_stack([(xyz @ e1) / denom, (xyz @ e2) / denom])
    uv -= uv.mean(axis=0)
    return _simplex_edges(Delaunay(uv).simplices)


def _circle_edges(xyz, basis):
    """Consecutive neighbours around the circle for points on one plane.

    Points on one (great or small) circle: the chord, hence the great-circle
    distance, grows with the angle along the circle, so each point's nearest
    neighbours are its two neighbours in angular order.
    """
    centred = xyz - xyz.mean(axis=0)
    theta = np.arctan2(centred @ basis[1], centred @ basis[0])
    order = np.argsort(theta, kind="stable")
    return order, np.roll(order, -1)


def _radius_edges(xyz, max_span_rad):
    chord = chord_length(max_span_rad) * (1.0 + 1e-12)
    pairs = cKDTree(xyz).query_pairs(chord, output_type="ndarray")
    return pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)


def spherical_delaunay_edges(xyz, max_span_rad):
    """Edges of the spherical Delaunay tessellation of distinct unit vectors.

    Parameters
    ----------
    xyz : ndarray of shape (n, 3)
        Distinct unit vectors.
    max_span_rad : float
        Used only by the last-resort fallback, which keeps the edges no longer
        than this.

    Returns
    -------
    src, dst : ndarray of shape (n_edges,)
        Edge end points (possibly repeated). The graph contains the minimum spanning
        tree, so its components under a length threshold are single-linkage groups.
    method : str
        ``"complete"`` (fewer than 4 points: all pairs), ``"stereographic"``
        (planar Delaunay of the stereographic projection, for sets within 60
        degrees of their mean direction), ``"convex_hull"`` (3-D convex hull of the
        unit vectors, which is their spherical Delaunay tessellation),
        ``"circle"`` (all points on one plane, e.g. one great circle, where Qhull
        cannot triangulate: neighbours in order around the circle) or ``"radius"``
        (Qhull failed otherwise: every pair closer than ``max_span_rad``).
    """
    n = xyz.shape[0]
    if n < 4:
        src, dst = np.triu_indices(n, k=1)
        return src.astype(np.int64), dst.astype(np.int64), "complete"
    mean = xyz.mean(axis=0)
    norm = np.linalg.norm(mean)
    try:
        if norm > 0.0 and np.min(xyz @ (mean / norm)) >= np.cos(_STEREOGRAPHIC_CAP_RAD):
            src, dst = _stereographic_edges(xyz, mean / norm)
            method = "stereographic"
        else:
            src, dst = _simplex_edges(ConvexHull(xyz).simplices)
            method = "convex_hull"
        return (*_attach_missing(xyz, src, dst), method)
    except QhullError:
        pass
    _, sing, vt = np.linalg.svd(xyz - mean, full_matrices=False)
    if sing[2] <= 1e-10 * sing[0]:
        return (*_circle_edges(xyz, vt[:2]), "circle")
    return (*_radius_edges(xyz, max_span_rad), "radius")
