"""Spherical convex hulls and spans of site sets, and span-limit checks."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit

from skgeoclust._kernels.sphere import angle_between, mean_direction
from skgeoclust.utils._config import NUMBA_CACHE

#: Below this size a brute-force span is cheaper than the hull.
_SMALL_SET = 48
#: Below this span limit (90 degrees) a cap of that radius is convex: a site within
#: the limit of every hull vertex of a set is within it of the whole set.
CONVEX_CAP_MAX_RAD = 0.5 * np.pi


@njit(cache=NUMBA_CACHE, nogil=True)
def _brute_force_span(xyz, idx):
    best = 0.0
    a = idx[0]
    b = idx[0]
    for s in range(idx.shape[0]):
        for t in range(s + 1, idx.shape[0]):
            d = angle_between(xyz, idx[s], idx[t])
            if d > best:
                best = d
                a = idx[s]
                b = idx[t]
    return best, a, b


@njit(cache=NUMBA_CACHE, nogil=True, inline="always")
def _farthest_of(xyz, site, idx):
    """Largest central angle from ``site`` to the sites ``idx`` and the first site
    at it."""
    best = -1.0
    far = idx[0]
    for s in range(idx.shape[0]):
        d = angle_between(xyz, site, idx[s])
        if d > best:
            best = d
            far = idx[s]
    return best, far


@njit(cache=NUMBA_CACHE, nogil=True)
def _cross2(ou, ov, au, av, bu, bv):
    return (au - ou) * (bv - ov) - (av - ov) * (bu - ou)


@njit(cache=NUMBA_CACHE, nogil=True, inline="always")
def _push_left_turn(u, v, hull, k, floor, p):
    """Append point ``p`` to the chain ``hull[:k]`` of a monotone-chain hull, first
    dropping its last points while they do not turn left (at least ``floor - 1``
    stay); returns the new length."""
    while k >= floor and (
        _cross2(
            u[hull[k - 2]], v[hull[k - 2]], u[hull[k - 1]], v[hull[k - 1]], u[p], v[p]
        )
        <= 0.0
    ):
        k -= 1
    hull[k] = p
    return k + 1


@njit(cache=NUMBA_CACHE, nogil=True)
def _outside_octagon(u, v):
    """Positions of the points not strictly inside the convex polygon spanned by the
    extreme points in the directions of u, u + v, v, v - u, -u, -u - v, -v, u - v.

    A point strictly inside the convex hull of other points is not a hull vertex, so
    the planar hull of the kept points is the hull of all of them.
    """
    m = u.shape[0]
    ext = np.zeros(8, dtype=np.int64)
    best = np.full(8, -np.inf)
    for s in range(m):
        a = u[s]
        b = v[s]
        vals = (a, a + b, b, b - a, -a, -a - b, -b, a - b)
        for k in range(8):
            if vals[k] > best[k]:
                best[k] = vals[k]
                ext[k] = s
    out = np.empty(m, dtype=np.int64)
    n_out = 0
    for s in range(m):
        inside = False
        for k in range(8):
            p = ext[k]
            q = ext[(k + 1) % 8]
            if u[p] == u[q] and v[p] == v[q]:
                continue
            if _cross2(u[p], v[p], u[q], v[q], u[s], v[s]) > 0.0:
                inside = True
            else:
                inside = False
                break
        if not inside:
            out[n_out] = s
            n_out += 1
    return out[:n_out]


@njit(cache=NUMBA_CACHE, nogil=True)
def _hull_vertices(xyz, idx, cx, cy, cz):
    """Vertices of the spherical convex hull of a set within 40 degrees of ``c``.

    The gnomonic projection about ``c`` maps great circles to straight lines, so
    the spherical convex hull maps to the planar hull (Andrew's monotone chain).
    The distance to a fixed point along a great-circle arc shorter than 180
    degrees is largest at an arc end unless the arc reaches 90 degrees away, so
    the farthest pair is a pair of hull vertices.
    """
    m = idx.shape[0]
    # Tangent basis (e1, e2) at c.
    if abs(cz) < 0.9:
        rx, ry, rz = 0.0, 0.0, 1.0
    else:
        rx, ry, rz = 1.0, 0.0, 0.0
    e1x = ry * cz - rz * cy
    e1y = rz * cx - rx * cz
    e1z = rx * cy - ry * cx
    n1 = np.sqrt(e1x * e1x + e1y * e1y + e1z * e1z)
    e1x /= n1
    e1y /= n1
    e1z /= n1
    e2x = cy * e1z - cz * e1y
    e2y = cz * e1x - cx * e1z
    e2z = cx * e1y - cy * e1x
    u = np.empty(m)
    v = np.empty(m)
    for s in range(m):
        i = idx[s]
        t = xyz[i, 0] * cx + xyz[i, 1] * cy + xyz[i, 2] * cz
        u[s] = (xyz[i, 0] * e1x + xyz[i, 1] * e1y + xyz[i, 2] * e1z) / t
        v[s] = (xyz[i, 0] * e2x + xyz[i, 1] * e2y + xyz[i, 2] * e2z) / t
    # Akl-Toussaint: drop the points strictly inside the polygon of the extreme
    # points in 8 directions (never hull vertices), then sort only the rest.
    keep = _outside_octagon(u, v)
    # Lexicographic (u, v) order from two stable sorts.
    by_v = keep[np.argsort(v[keep], kind="mergesort")]
    order = by_v[np.argsort(u[by_v], kind="mergesort")]
    m = order.shape[0]
    hull = np.empty(2 * m, dtype=np.int64)
    k = 0
    for s in range(m):  # lower chain
        k = _push_left_turn(u, v, hull, k, 2, order[s])
    lower = k + 1
    for s in range(m - 2, -1, -1):  # upper chain
        k = _push_left_turn(u, v, hull, k, lower, order[s])
    n_hull = max(k - 1, 1)
    vertices = np.empty(n_hull, dtype=np.int64)
    for s in range(n_hull):
        vertices[s] = idx[hull[s]]
    return vertices


@njit(cache=NUMBA_CACHE, nogil=True)
def hull_vertices(xyz, idx):
    """Sites of ``idx`` that can realise a largest distance to any point.

    For a set within 40 degrees of its mean direction these are the vertices of its
    spherical convex hull (for any point within 40 degrees too, the farthest member
    is a vertex); otherwise all of ``idx``.
    """
    return hull_or_all(xyz, idx)


@njit(cache=NUMBA_CACHE, nogil=True)
def hull_or_all(xyz, idx):
    # hull_vertices for kernels: a cached kernel calling the dispatcher
    # hull_vertices made later Python calls of it fail to box their result
    # ("NRT_adapt_ndarray_to_python: descr is NULL", numba 0.68 with cache=True).
    if idx.shape[0] <= 3:
        return idx.copy()
    cx, cy, cz, narrow = mean_direction(xyz, idx)
    if not narrow:
        return idx.copy()
    return _hull_vertices(xyz, idx, cx, cy, cz)


@njit(cache=NUMBA_CACHE, nogil=True)
def span_of(xyz, idx, max_span_rad):
    """Span (largest pairwise central angle) of the sites ``idx`` and its end points.

    Parameters
    ----------
    xyz : ndarray of shape (n_sites, 3)
        Unit vectors.
    idx : ndarray of shape (m,)
        Site indices, m >= 1.
    max_span_rad : float
        Only used for sets wider than 80 degrees, see Returns.

    Returns
    -------
    span : float
        The exact span in radians; for a set spreading more than 40 degrees from its
        mean direction whose double-sweep lower bound already exceeds
        ``max_span_rad``, that lower bound instead (the set then has to be split
        anyway, and the bound's pair serves as the split axis).
    a, b : int
        Site indices of the pair realising ``span``.
    exact : bool
        Whether ``span`` is exact.
    """
    m = idx.shape[0]
    if m == 1:
        return 0.0, idx[0], idx[0], True
    if m <= _SMALL_SET:
        s, a, b = _brute_force_span(xyz, idx)
        return s, a, b, True
    cx, cy, cz, narrow = mean_direction(xyz, idx)
    if narrow:
        s, a, b = _brute_force_span(xyz, _hull_vertices(xyz, idx, cx, cy, cz))
        return s, a, b, True
    # Wide set: double sweep for a lower bound, exact brute force only if needed.
    _, b = _farthest_of(xyz, idx[0], idx)
    best, a = _farthest_of(xyz, b, idx)
    if best > max_span_rad:
        return best, a, b, False
    s, a, b = _brute_force_span(xyz, idx)
    return s, a, b, True


@njit(cache=NUMBA_CACHE, nogil=True)
def spans_of_clusters(xyz, indptr, sites, max_span_rad):
    """Span of every cluster of a CSR layout (``sites[indptr[c]:indptr[c + 1]]``).

    Returns
    -------
    spans : ndarray of shape (n_clusters,)
        Radians, as :func:`span_of`.
    ends : ndarray of shape (n_clusters, 2)
        The pair realising each span.
    """
    k = indptr.shape[0] - 1
    spans = np.empty(k)
    ends = np.empty((k, 2), dtype=np.int64)
    for c in range(k):
        s, a, b, _ = span_of(xyz, sites[indptr[c] : indptr[c + 1]], max_span_rad)
        spans[c] = s
        ends[c, 0] = a
        ends[c, 1] = b
    return spans, ends


@njit(cache=NUMBA_CACHE, nogil=True)
def medial_side(xyz, idx, a, b):
    """Which side of the medial axis of the span ``(a, b)`` each site lies on.

    The medial axis is the great circle through the span's midpoint ``m``
    orthogonal to the span; site ``p`` is on ``a``'s side when the scalar triple
    product ``p . (m x (a x b))`` is positive. For unit vectors
    ``m x (a x b) = (a - b)(1 + a . b) / |a + b|``, so the test is ``p . (a - b) > 0``.

    Returns
    -------
    ndarray of shape (m,), bool
        True on ``a``'s side.
    """
    nx = xyz[a, 0] - xyz[b, 0]
    ny = xyz[a, 1] - xyz[b, 1]
    nz = xyz[a, 2] - xyz[b, 2]
    out = np.empty(idx.shape[0], dtype=np.bool_)
    for s in range(idx.shape[0]):
        i = idx[s]
        out[s] = xyz[i, 0] * nx + xyz[i, 1] * ny + xyz[i, 2] * nz > 0.0
    for s in range(idx.shape[0]):
        if idx[s] == a:
            out[s] = True
        elif idx[s] == b:
            out[s] = False
    return out


@njit(cache=NUMBA_CACHE, nogil=True)
def fits_after_adding(xyz, base, added, max_span_rad):
    """Whether ``base`` plus ``added`` still spans at most ``max_span_rad``.

    ``base`` must already span at most ``max_span_rad``, so only the pairs with an
    added site are measured: the added sites' own span (exact, or a decisive lower
    bound, see :func:`span_of`), then each added site against the hull vertices of
    ``base`` (a cap narrower than 90 degrees is convex, so within the limit of every
    vertex means within it of the whole set).
    """
    if added.shape[0] == 0:
        return True
    if added.shape[0] > 1 and span_of(xyz, added, max_span_rad)[0] > max_span_rad:
        return False
    if base.shape[0] == 0:
        return True
    if max_span_rad < CONVEX_CAP_MAX_RAD:
        return all_within(xyz, hull_vertices(xyz, base), added, max_span_rad)
    return all_within(xyz, base, added, max_span_rad)


@njit(cache=NUMBA_CACHE, nogil=True)
def fits_with_hull(xyz, base_hull, added, max_span_rad):
    """:func:`fits_after_adding` given the hull vertices of ``base`` (from
    :func:`hull_vertices`) instead of ``base``, for ``max_span_rad`` below 90
    degrees."""
    if added.shape[0] == 0:
        return True
    if added.shape[0] > 1 and span_of(xyz, added, max_span_rad)[0] > max_span_rad:
        return False
    return all_within(xyz, base_hull, added, max_span_rad)


@njit(cache=NUMBA_CACHE, nogil=True)
def all_within(xyz, first, second, max_span_rad):
    """Whether every site of ``first`` is within ``max_span_rad`` of every site of
    ``second``."""
    for s in range(first.shape[0]):
        for t in range(second.shape[0]):
            if angle_between(xyz, first[s], second[t]) > max_span_rad:
                return False
    return True


@njit(cache=NUMBA_CACHE, nogil=True)
def within_reach(xyz, own, outsiders, d_out, slack_rad):
    """Which ``outsiders`` may lie within ``d_out`` (+ ``slack_rad``) of a member of
    ``own``: a necessary condition, from two lower bounds of the distance to the
    spherical convex hull of ``own`` (which holds every member).

    The bounds are the distance to the cap about the mean direction that holds the
    members, and the largest distance to one of the hemispheres bounded by the great
    circles of the hull's edges (the hull of :func:`hull_vertices`, for ``own``
    within 40 degrees of its mean direction). When ``own`` is too wide or its hull
    degenerate (fewer than 3 vertices), only the cap is used.

    Returns
    -------
    ndarray of shape (len(outsiders),), bool
    """
    n = outsiders.shape[0]
    keep = np.ones(n, dtype=np.bool_)
    if own.shape[0] < 3:
        return keep
    cx, cy, cz, narrow = mean_direction(xyz, own)
    if not narrow:
        return keep
    # Cap about c holding every member (radius from the smallest cosine).
    min_dot = 1.0
    for s in range(own.shape[0]):
        i = own[s]
        d = xyz[i, 0] * cx + xyz[i, 1] * cy + xyz[i, 2] * cz
        if d < min_dot:
            min_dot = d
    cap_rad = np.arccos(min(max(min_dot, -1.0), 1.0))
    hull = _hull_vertices(xyz, own, cx, cy, cz)
    h = hull.shape[0]
    if h < 3:
        h = 0
    # Unit edge normals, oriented so that the mean direction is on their positive
    # side (the hull lies in each such hemisphere).
    normals = np.empty((max(h, 1), 3))
    for k in range(h):
        a = hull[k]
        b = hull[(k + 1) % h]
        nx = xyz[a, 1] * xyz[b, 2] - xyz[a, 2] * xyz[b, 1]
        ny = xyz[a, 2] * xyz[b, 0] - xyz[a, 0] * xyz[b, 2]
        nz = xyz[a, 0] * xyz[b, 1] - xyz[a, 1] * xyz[b, 0]
        norm = np.sqrt(nx * nx + ny * ny + nz * nz)
        if nx * cx + ny * cy + nz * cz < 0.0:
            norm = -norm
        normals[k, 0] = nx / norm
        normals[k, 1] = ny / norm
        normals[k, 2] = nz / norm
    for s in range(n):
        p = outsiders[s]
        reach = d_out[s] + slack_rad
        if reach >= 0.5 * np.pi:
            continue
        px = xyz[p, 0]
        py = xyz[p, 1]
        pz = xyz[p, 2]
        to_c = px * cx + py * cy + pz * cz
        if to_c <= 0.0:
            continue  # another hemisphere: keep
        if np.arccos(min(to_c, 1.0)) - cap_rad > reach:
            keep[s] = False
            continue
        outside = 0.0
        for k in range(h):
            v = -(px * normals[k, 0] + py * normals[k, 1] + pz * normals[k, 2])
            if v > outside:
                outside = v
        # Distance to the farthest-away edge hemisphere is asin(outside).
        if outside > np.sin(reach):
            keep[s] = False
    return keep
