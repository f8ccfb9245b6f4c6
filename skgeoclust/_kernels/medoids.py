"""Kernels of span-constrained spherical k-medoids (angles in radians, unit vectors).

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
_HULL_CAP_RAD = 0.6981317007977318
#: Below this size a brute-force span is cheaper than the hull.
_SMALL_SET = 48


@njit(cache=NUMBA_CACHE, nogil=True, inline="always")
def chord_angle(dx, dy, dz):
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
    return chord_angle(
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


@njit(cache=NUMBA_CACHE, nogil=True)
def _cross2(ou, ov, au, av, bu, bv):
    return (au - ou) * (bv - ov) - (av - ov) * (bu - ou)


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
    for s in range(m):
        p = order[s]
        while k >= 2 and (
            _cross2(
                u[hull[k - 2]],
                v[hull[k - 2]],
                u[hull[k - 1]],
                v[hull[k - 1]],
                u[p],
                v[p],
            )
            <= 0.0
        ):
            k -= 1
        hull[k] = p
        k += 1
    lower = k + 1
    for s in range(m - 2, -1, -1):
        p = order[s]
        while k >= lower and (
            _cross2(
                u[hull[k - 2]],
                v[hull[k - 2]],
                u[hull[k - 1]],
                v[hull[k - 1]],
                u[p],
                v[p],
            )
            <= 0.0
        ):
            k -= 1
        hull[k] = p
        k += 1
    n_hull = max(k - 1, 1)
    vertices = np.empty(n_hull, dtype=np.int64)
    for s in range(n_hull):
        vertices[s] = idx[hull[s]]
    return vertices


@njit(cache=NUMBA_CACHE, nogil=True)
def _mean_direction(xyz, idx):
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
    return cx, cy, cz, min_dot >= np.cos(_HULL_CAP_RAD)


@njit(cache=NUMBA_CACHE, nogil=True)
def hull_vertices(xyz, idx):
    """Sites of ``idx`` that can realise a largest distance to any point.

    For a set within 40 degrees of its mean direction these are the vertices of its
    spherical convex hull (for any point within 40 degrees too, the farthest member
    is a vertex); otherwise all of ``idx``.
    """
    return _hull_or_all(xyz, idx)


@njit(cache=NUMBA_CACHE, nogil=True)
def _hull_or_all(xyz, idx):
    # hull_vertices for kernels: a cached kernel calling the dispatcher
    # hull_vertices made later Python calls of it fail to box their result
    # ("NRT_adapt_ndarray_to_python: descr is NULL", numba 0.68 with cache=True).
    if idx.shape[0] <= 3:
        return idx.copy()
    cx, cy, cz, narrow = _mean_direction(xyz, idx)
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
    cx, cy, cz, narrow = _mean_direction(xyz, idx)
    if narrow:
        s, a, b = _brute_force_span(xyz, _hull_vertices(xyz, idx, cx, cy, cz))
        return s, a, b, True
    # Wide set: double sweep for a lower bound, exact brute force only if needed.
    a = idx[0]
    b = idx[0]
    best = -1.0
    for s in range(m):
        d = angle_between(xyz, a, idx[s])
        if d > best:
            best = d
            b = idx[s]
    best = -1.0
    for s in range(m):
        d = angle_between(xyz, b, idx[s])
        if d > best:
            best = d
            a = idx[s]
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
    narrow = _mean_direction(xyz, idx)[3]
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
            d = chord_angle(x0 - coords[0, r], x1 - coords[1, r], x2 - coords[2, r])
            dist[r] = d
            f += ws[r] * d
            if narrow and d > 0.0:
                # Unit tangent at p towards site r, weighted (minus the gradient).
                dot = x0 * coords[0, r] + x1 * coords[1, r] + x2 * coords[2, r]
                tx = coords[0, r] - dot * x0
                ty = coords[1, r] - dot * x1
                tz = coords[2, r] - dot * x2
                tn = np.sqrt(tx * tx + ty * ty + tz * tz)
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
    which = np.full(m, -1, dtype=np.int64)
    dist = np.full(m, np.inf)
    for s in range(m):
        best_site = -1
        for c in range(reps.shape[1]):
            r = reps[s, c]
            if r < 0:
                continue
            d = angle_between(xyz, sites[s], r)
            if d < dist[s] or (d == dist[s] and r < best_site):
                dist[s] = d
                which[s] = c
                best_site = r
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
    which = np.full(m, -1, dtype=np.int64)
    dist = np.full(m, np.inf)
    for s in range(m):
        best_site = -1
        for c in range(reps.shape[0]):
            d = angle_between(xyz, sites[s], reps[c])
            if d < dist[s] or (d == dist[s] and reps[c] < best_site):
                dist[s] = d
                which[s] = c
                best_site = reps[c]
    return which, dist


@njit(cache=NUMBA_CACHE, nogil=True)
def angles_to(xyz, sites, target):
    """Central angle from each of ``sites`` to the site ``target``, shape (m,)."""
    out = np.empty(sites.shape[0])
    for s in range(sites.shape[0]):
        out[s] = angle_between(xyz, sites[s], target)
    return out


@njit(cache=NUMBA_CACHE, nogil=True)
def within_reach_of_sites(xyz, sites, radii, reps, spans, radius, alive, dirty):
    """Set ``dirty[c]`` for every alive cluster ``c`` whose representative
    ``reps[c]`` lies within ``max(2 radii[t], spans[c]) + radius[c]`` of some
    ``sites[t]`` (relative tolerance 1e-9); other entries are left as they are."""
    for c in range(reps.shape[0]):
        if not alive[c] or dirty[c]:
            continue
        for t in range(sites.shape[0]):
            reach = max(2.0 * radii[t], spans[c]) + radius[c]
            if angle_between(xyz, sites[t], reps[c]) <= reach * (1.0 + 1e-9) + 1e-12:
                dirty[c] = True
                break


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
    if max_span_rad < 0.5 * np.pi:
        return _all_within(xyz, hull_vertices(xyz, base), added, max_span_rad)
    return _all_within(xyz, base, added, max_span_rad)


@njit(cache=NUMBA_CACHE, nogil=True)
def fits_with_hull(xyz, base_hull, added, max_span_rad):
    """:func:`fits_after_adding` given the hull vertices of ``base`` (from
    :func:`hull_vertices`) instead of ``base``, for ``max_span_rad`` below 90
    degrees."""
    if added.shape[0] == 0:
        return True
    if added.shape[0] > 1 and span_of(xyz, added, max_span_rad)[0] > max_span_rad:
        return False
    return _all_within(xyz, base_hull, added, max_span_rad)


@njit(cache=NUMBA_CACHE, nogil=True)
def _all_within(xyz, first, second, max_span_rad):
    """Whether every site of ``first`` is within ``max_span_rad`` of every site of
    ``second``."""
    for s in range(first.shape[0]):
        for t in range(second.shape[0]):
            if angle_between(xyz, first[s], second[t]) > max_span_rad:
                return False
    return True


@njit(cache=NUMBA_CACHE, nogil=True)
def _wins(x, d, cap, rival):
    """Whether representative ``x`` at distance ``d`` beats ``rival`` at ``cap``."""
    return d < cap or (d == cap and (rival < 0 or x < rival))


@njit(cache=NUMBA_CACHE, nogil=True)
def _own_fits(xyz, pts, caps, rivals, n_own, x, dist, own_hull, added, max_span_rad):
    """Whether cluster j keeps its span once ``added`` join it (and its events that
    ``x`` loses leave). ``own_hull`` are the positions in ``pts`` of the hull
    vertices of cluster j: an added event within the limit of every vertex is
    within it of the whole cluster (a cap narrower than 90 degrees is convex)."""
    use_hull = max_span_rad < 0.5 * np.pi
    inconclusive = not use_hull
    if use_hull:
        for s in range(added.shape[0]):
            a = added[s]
            for h in own_hull:
                if angle_between(xyz, a, pts[h]) > max_span_rad:
                    if _wins(x, dist[h], caps[h], rivals[h]):
                        return False
                    inconclusive = True
    # Pairs of added events: none can be too far apart if all are within half the
    # limit of x.
    reach = 0.0
    for s in range(added.shape[0]):
        d = angle_between(xyz, x, added[s])
        if d > reach:
            reach = d
    if 2.0 * reach > max_span_rad and added.shape[0] > 1:
        if span_of(xyz, added, max_span_rad)[0] > max_span_rad:
            return False
    if not inconclusive:
        return True
    n_base = 0
    base = np.empty(n_own, dtype=np.int64)
    for i in range(n_own):
        if _wins(x, dist[i], caps[i], rivals[i]):
            base[n_base] = pts[i]
            n_base += 1
    # Against the staying events' own hull (all of them when the set is wide);
    # the pairs of added events were checked above.
    if use_hull:
        return _all_within(xyz, hull_vertices(xyz, base[:n_base]), added, max_span_rad)
    return _all_within(xyz, base[:n_base], added, max_span_rad)


@njit(cache=NUMBA_CACHE, nogil=True)
def _receivers_fit(
    xyz,
    pts,
    caps,
    rivals,
    n_own,
    x,
    dist,
    receiver,
    nbr_indptr,
    nbr_members,
    hull_indptr,
    hull_sites,
    incoming,
    moving,
    max_span_rad,
):
    """Whether every neighbouring cluster still fits once it gains the events that
    leave cluster j (``incoming`` leave the neighbours for j). Checked against the
    neighbour's hull vertices first; when a vertex that is too far is itself
    leaving, against the hull of the neighbour's remaining members."""
    leaving = np.empty(n_own, dtype=np.int64)
    n_leave = 0
    for i in range(n_own):
        if not _wins(x, dist[i], caps[i], rivals[i]):
            leaving[n_leave] = i
            n_leave += 1
    if n_leave == 0:
        return True
    # Leaving events all come from cluster j, so they are within the span of each
    # other; only their distances to the receivers' members matter.
    for s in range(incoming.shape[0]):
        moving[incoming[s]] = True
    use_hull = max_span_rad < 0.5 * np.pi
    n_nbr = nbr_indptr.shape[0] - 1
    recheck = np.zeros(max(n_nbr, 1), dtype=np.bool_)
    ok = True
    for a in range(n_leave):
        r = receiver[leaving[a]]
        b = pts[leaving[a]]
        if not use_hull:
            recheck[r] = True
            continue
        for s in range(hull_indptr[r], hull_indptr[r + 1]):
            m = hull_sites[s]
            if angle_between(xyz, b, m) > max_span_rad:
                if not moving[m]:
                    ok = False
                    break
                recheck[r] = True
        if not ok:
            break
    if ok:
        for r in range(n_nbr):
            if not recheck[r]:
                continue
            base = np.empty(nbr_indptr[r + 1] - nbr_indptr[r], dtype=np.int64)
            n_base = 0
            for s in range(nbr_indptr[r], nbr_indptr[r + 1]):
                if not moving[nbr_members[s]]:
                    base[n_base] = nbr_members[s]
                    n_base += 1
            if use_hull:
                vertices = hull_vertices(xyz, base[:n_base])
            else:
                vertices = base[:n_base]
            for a in range(n_leave):
                if receiver[leaving[a]] != r:
                    continue
                for v in vertices:
                    if angle_between(xyz, pts[leaving[a]], v) > max_span_rad:
                        ok = False
                        break
                if not ok:
                    break
            if not ok:
                break
    for s in range(incoming.shape[0]):
        moving[incoming[s]] = False
    return ok


@njit(cache=NUMBA_CACHE, nogil=True)
def _prune_radius(w, pts, caps, dist, gap, slack, slack_w):
    """Largest ``r`` such that no candidate within ``r`` of ``x`` can lower ``g`` by
    ``gap`` (``g(x) - threshold``).

    Moving ``x`` by ``r`` lowers an uncapped term ``w_i min(d_i, c_i)`` by at most
    ``w_i r`` and a capped one (``d_i = c_i + e_i``, ``e_i > 0``) by at most
    ``w_i max(0, r - e_i)``; the total ``Phi(r)`` is convex piecewise linear, and
    the radius solves ``Phi(r) = gap``. Far tighter than ``gap / W`` when most
    events are capped (neighbours' events beyond ``x``'s reach).
    """
    active = 0.0
    for i in range(pts.shape[0]):
        if dist[i] <= caps[i]:
            active += w[pts[i]]
    limit = gap / active if active > 0.0 else np.inf
    m = 0
    for i in range(pts.shape[0]):
        e = dist[i] - caps[i]
        if e > 0.0 and e < limit and w[pts[i]] > 0.0:
            slack[m] = e
            slack_w[m] = w[pts[i]]
            m += 1
    if m == 0:
        return limit
    order = np.argsort(slack[:m])
    slope = active
    value = 0.0
    at = 0.0
    for k in range(m):
        e = slack[order[k]]
        reach = value + slope * (e - at)
        if reach >= gap:
            return at + (gap - value) / slope
        value = reach
        at = e
        slope += slack_w[order[k]]
    return at + (gap - value) / slope


@njit(cache=NUMBA_CACHE, nogil=True)
def first_improving_swap(
    xyz,
    w,
    pts,
    caps,
    rivals,
    n_own,
    cand,
    order,
    start,
    threshold,
    lower,
    max_span_rad,
    receiver,
    nbr_indptr,
    nbr_members,
    moving,
    own_hull,
    hull_indptr,
    hull_sites,
    max_rejected,
    steepest,
):
    """Scan candidate representatives of one cluster for the first that lowers M(C).

    Making site ``x`` the representative of cluster j changes the objective of the
    affected events ``pts`` to

    .. math:: g(x) = \\sum_{i} w_i \\min(d(i, x), c_i)

    where ``c_i`` (``caps``) is, for an event of cluster j (the first ``n_own`` of
    ``pts``), its distance to the nearest other representative (events of type b,
    which stay in j or leave it) and, for an event of a neighbouring cluster, its
    current distance (events of type a move into j only when ``x`` is closer). So
    ``delta M = g(x) - g(current)``; the caller passes
    ``threshold = g(current) - tol``. ``g`` is W-Lipschitz (``W = sum_i w_i``), so
    each evaluation also bounds every other candidate,
    ``g(q) >= g(x) - W d(x, q)``, and candidates whose bound reaches the threshold
    are skipped. For ``max_span_rad <= 0.1`` a sharper bound holds near ``x``:
    within a radius r, a term with ``d(i, x) + r <= c_i`` is the plain distance,
    geodesically convex below 90 degrees, and one with ``d(i, x) - r >= c_i`` is the
    constant ``c_i``, so ``g(q) >= g(x) - (|grad| + W_r) d(x, q)`` for
    ``d(x, q) <= r``, with ``grad`` the gradient at ``x`` of the plain-distance terms
    and ``W_r`` the weight of the other non-constant terms, on 8 radii r from
    ``max_span_rad / 4**7`` to ``max_span_rad``. Near the optimum the gradient is
    small, which keeps the number of evaluations low in dense clusters; otherwise
    the radius of :func:`_prune_radius` is used. An improving candidate is returned
    only if cluster j, with the
    events that would join it, and every neighbouring cluster with the events that
    would leave j for it, still span at most ``max_span_rad``.

    Parameters
    ----------
    xyz : ndarray of shape (n_sites, 3)
    w : ndarray of shape (n_sites,)
    pts : ndarray of shape (p,)
        Affected event sites, cluster j's first.
    caps : ndarray of shape (p,)
        ``c_i`` in radians (inf allowed).
    rivals : ndarray of shape (p,)
        Site of the representative realising ``c_i`` (ties go to the smaller site;
        -1 when none).
    n_own : int
        Number of cluster j's events at the start of ``pts``.
    cand : ndarray of shape (q,)
        Positions in ``pts`` of the candidates.
    order : ndarray of shape (q,)
        Visiting order over ``cand``.
    start : int
        Position in ``order`` to start from.
    threshold : float
        Improvement means ``g < threshold``.
    lower : ndarray of shape (q,)
        Lower bounds of ``g`` per candidate, updated in place (zeros at first).
    max_span_rad : float
        Span limit.
    receiver : ndarray of shape (n_own,)
        Neighbouring cluster (index into ``nbr_indptr``) an own event would leave
        for, -1 if none.
    nbr_indptr, nbr_members : ndarray
        CSR members of the neighbouring clusters.
    moving : ndarray of shape (n_sites,), bool
        Scratch flags, all False on entry and on return.
    own_hull : ndarray
        Positions in ``pts`` of the hull vertices of cluster j.
    hull_indptr, hull_sites : ndarray
        CSR hull vertices (sites) of the neighbouring clusters.
    max_rejected : int
        Give up (return -1) after this many improving candidates were refused for
        a span.
    steepest : bool
        Return the first improving candidate (False) or scan on for the best one,
        each improvement lowering the threshold (True).

    Returns
    -------
    t : int
        Position in ``order`` of the first (or best) improving, span-respecting
        candidate, -1 if none.
    g : float
        Its ``g``.
    n_rejected : int
        Improving candidates rejected for a span.
    """
    p = pts.shape[0]
    q = cand.shape[0]
    # Contiguous copies of the affected events (the distance loop streams them).
    coords = np.empty((3, p))
    pw = np.empty(p)
    W = 0.0
    for i in range(p):
        coords[0, i] = xyz[pts[i], 0]
        coords[1, i] = xyz[pts[i], 1]
        coords[2, i] = xyz[pts[i], 2]
        pw[i] = w[pts[i]]
        W += pw[i]
    dist = np.empty(p)
    # Radii about an evaluated candidate within which the convexity bound is used.
    n_levels = 8
    levels = np.empty(n_levels)
    for level in range(n_levels):
        levels[level] = max_span_rad * 0.25 ** (n_levels - 1 - level)
    grad = np.zeros((n_levels, 3))
    capped_w = np.zeros(n_levels)
    slope = np.empty(n_levels)
    # Distances from x to the affected events stay far below 90 degrees.
    use_convexity = max_span_rad <= 0.1
    if not use_convexity:
        n_levels = 0
    added = np.empty(p, dtype=np.int64)
    slack = np.empty(p)
    slack_w = np.empty(p)
    best_t = -1
    best_g = 0.0
    n_rejected = 0
    for t in range(start, q):
        k = order[t]
        if lower[k] >= threshold:
            continue
        x = pts[cand[k]]
        x0 = xyz[x, 0]
        x1 = xyz[x, 1]
        x2 = xyz[x, 2]
        g = 0.0
        grad[:] = 0.0
        capped_w[:] = 0.0
        for i in range(p):
            # angle_between(xyz, x, pts[i]), on the contiguous copy.
            d = chord_angle(x0 - coords[0, i], x1 - coords[1, i], x2 - coords[2, i])
            dist[i] = d
            g += pw[i] * min(d, caps[i])
            if d == 0.0:
                continue  # x itself: its term only grows away from x
            # Within levels[l] of x, a term with d + levels[l] <= cap is the plain
            # distance (convex), one with d - levels[l] >= cap is the constant cap,
            # any other changes by at most its weight per unit distance.
            room = caps[i] - d
            level = n_levels
            if room < 0.0:
                while level > 0 and levels[level - 1] > -room:
                    level -= 1
                if level < n_levels:
                    capped_w[level] += pw[i]
                continue
            while level > 0 and levels[level - 1] > room:
                level -= 1
            if level < n_levels:
                capped_w[level] += pw[i]
            if level == 0:
                continue
            # Tangent at x pointing towards the event (minus the distance gradient).
            dot = x0 * coords[0, i] + x1 * coords[1, i] + x2 * coords[2, i]
            tx = coords[0, i] - dot * x0
            ty = coords[1, i] - dot * x1
            tz = coords[2, i] - dot * x2
            tn = np.sqrt(tx * tx + ty * ty + tz * tz)
            if tn > 0.0:
                f = pw[i] / tn
                grad[level - 1, 0] += f * tx
                grad[level - 1, 1] += f * ty
                grad[level - 1, 2] += f * tz
            else:
                capped_w[0] += pw[i]
        # slope[l]: a Lipschitz constant of g within levels[l] of x, from the
        # convexity of the distance (below 90 degrees) for the terms that are plain
        # distances there, and 1 per unit weight for the others.
        gx = 0.0
        gy = 0.0
        gz = 0.0
        cw = 0.0
        for level in range(n_levels - 1, -1, -1):
            gx += grad[level, 0]
            gy += grad[level, 1]
            gz += grad[level, 2]
        for level in range(n_levels):
            cw += capped_w[level]
            slope[level] = np.sqrt(gx * gx + gy * gy + gz * gz) + cw
            gx -= grad[level, 0]
            gy -= grad[level, 1]
            gz -= grad[level, 2]
        for kk in range(q):
            if lower[kk] >= threshold:
                continue  # already skipped (the threshold only decreases)
            dq = dist[cand[kk]]
            bound = g - W * dq
            for level in range(n_levels):
                if dq <= levels[level]:
                    b = g - slope[level] * dq
                    if b > bound:
                        bound = b
                    break
            if bound > lower[kk]:
                lower[kk] = bound
        if g >= threshold:
            if n_levels == 0:
                radius = _prune_radius(
                    w, pts, caps, dist, g - threshold, slack, slack_w
                )
                for kk in range(q):
                    if dist[cand[kk]] <= radius and lower[kk] < threshold:
                        lower[kk] = threshold
            continue
        n_added = 0
        for i in range(n_own, p):
            if _wins(x, dist[i], caps[i], rivals[i]):
                added[n_added] = pts[i]
                n_added += 1
        ok = _own_fits(
            xyz,
            pts,
            caps,
            rivals,
            n_own,
            x,
            dist,
            own_hull,
            added[:n_added],
            max_span_rad,
        )
        if ok:
            ok = _receivers_fit(
                xyz,
                pts,
                caps,
                rivals,
                n_own,
                x,
                dist,
                receiver,
                nbr_indptr,
                nbr_members,
                hull_indptr,
                hull_sites,
                added[:n_added],
                moving,
                max_span_rad,
            )
        if ok:
            if not steepest:
                return t, g, n_rejected
            best_t = t
            best_g = g
            threshold = g
            continue
        n_rejected += 1
        if n_rejected >= max_rejected:
            break
    return best_t, best_g, n_rejected


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
    cx, cy, cz, narrow = _mean_direction(xyz, own)
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


@njit(cache=NUMBA_CACHE, nogil=True)
def scan_clusters(
    xyz,
    reps,
    alive,
    radius,
    j,
    rival_reach,
    max_span_rad,
    pool,
    start,
    hull_pool,
    hull_start,
    hull_end,
):
    """Clusters that a swap scan of cluster ``j`` reads (all other alive ones within
    3 ``max_span_rad`` of its representative, in id order).

    Cluster ``c``'s members are ``pool[start[c] : start[c + 1]]`` here for
    ``start`` of shape (2 k,), the end of cluster ``c`` at ``start[k + c]``; its
    hull vertices likewise in ``hull_pool`` and ``hull_start`` (-1: not known yet).
    The hulls of ``nbr`` not known yet are computed and appended at ``hull_end``
    (``hull_pool`` must have room for every member of ``nbr``).

    Returns
    -------
    nbr, nbr_indptr, nbr_members : ndarray
        Those within ``rival_reach`` (rivals of members a candidate could lose),
        and their members in CSR form.
    gathered : ndarray
        Members of those ``c`` within ``2 radius[c] + radius[j]`` (whose events
        could move in), cluster by cluster.
    hull_indptr, hull_sites : ndarray
        Hull vertices of ``nbr`` in CSR form.
    hull_end : int
        New end of ``hull_pool``.
    """
    rep = reps[j]
    n = reps.shape[0]
    nbr = np.empty(n, dtype=np.int64)
    sources = np.empty(n, dtype=np.int64)
    n_nbr = 0
    n_src = 0
    size_nbr = 0
    size_src = 0
    near = 3.0 * max_span_rad * (1.0 + 1e-9)
    rival = rival_reach * (1.0 + 1e-9) + 1e-12
    r_j = radius[j]
    for c in range(n):
        if c == j or not alive[c]:
            continue
        gap = angle_between(xyz, reps[c], rep)
        if not gap <= near:
            continue
        if gap <= rival:
            nbr[n_nbr] = c
            n_nbr += 1
            size_nbr += start[n + c] - start[c]
        if gap <= (2.0 * radius[c] + r_j) * (1.0 + 1e-9) + 1e-12:
            sources[n_src] = c
            n_src += 1
            size_src += start[n + c] - start[c]
    nbr_indptr = np.empty(n_nbr + 1, dtype=np.int64)
    nbr_members = np.empty(size_nbr, dtype=np.int64)
    nbr_indptr[0] = 0
    for t in range(n_nbr):
        c = nbr[t]
        lo = nbr_indptr[t]
        nbr_indptr[t + 1] = lo + start[n + c] - start[c]
        nbr_members[lo : nbr_indptr[t + 1]] = pool[start[c] : start[n + c]]
    gathered = np.empty(size_src, dtype=np.int64)
    lo = 0
    for t in range(n_src):
        c = sources[t]
        gathered[lo : lo + start[n + c] - start[c]] = pool[start[c] : start[n + c]]
        lo += start[n + c] - start[c]
    hull_indptr = np.empty(n_nbr + 1, dtype=np.int64)
    hull_indptr[0] = 0
    for t in range(n_nbr):
        c = nbr[t]
        if hull_start[c] < 0:
            h = _hull_or_all(xyz, nbr_members[nbr_indptr[t] : nbr_indptr[t + 1]])
            hull_pool[hull_end : hull_end + h.shape[0]] = h
            hull_start[c] = hull_end
            hull_end += h.shape[0]
            hull_start[n + c] = hull_end
        hull_indptr[t + 1] = hull_indptr[t] + hull_start[n + c] - hull_start[c]
    hull_sites = np.empty(hull_indptr[n_nbr], dtype=np.int64)
    for t in range(n_nbr):
        c = nbr[t]
        hull_sites[hull_indptr[t] : hull_indptr[t + 1]] = hull_pool[
            hull_start[c] : hull_start[n + c]
        ]
    return (
        nbr[:n_nbr].copy(),
        nbr_indptr,
        nbr_members,
        gathered,
        hull_indptr,
        hull_sites,
        hull_end,
    )


@njit(cache=NUMBA_CACHE, nogil=True)
def scan_points(
    xyz, w, reps, labels, dist, own, rep, r_j, nbr_reps, gathered, hull_min
):
    """Points, caps and rivals of a swap scan of the cluster with members ``own``
    (representative ``rep``, members within ``r_j`` of it), for
    :func:`first_improving_swap`.

    ``gathered`` are the events of the clusters whose events could move in; only
    those within their distance plus ``r_j`` of ``rep`` are kept, and when more
    than ``hull_min`` remain, only those within their distance of the hull of
    ``own`` (:func:`within_reach`). Returns ``(which, caps_own, outsiders, pts, caps,
    rivals, current, cand)``: the nearest of ``nbr_reps`` to each member and its
    distance, the kept events, the points and caps (members first), the
    rival sites (-1: none), the objective ``M`` of members and kept events, and
    the positions in ``own`` of the candidates (all but ``rep``).
    """
    n_own = own.shape[0]
    which, caps_own = nearest_of_list(xyz, own, nbr_reps)
    m = gathered.shape[0]
    keep = np.empty(m, dtype=np.bool_)
    n_out = 0
    for s in range(m):
        keep[s] = (
            angle_between(xyz, gathered[s], rep) <= dist[gathered[s]] + r_j + 1e-12
        )
        n_out += keep[s]
    outsiders = gathered[keep]
    d_out = dist[outsiders]
    if n_out > hull_min:
        reach = within_reach(xyz, own, outsiders, d_out, 1e-9)
        outsiders = outsiders[reach]
        d_out = d_out[reach]
        n_out = outsiders.shape[0]
    n = n_own + n_out
    pts = np.empty(n, dtype=np.int64)
    caps = np.empty(n)
    rivals = np.empty(n, dtype=np.int64)
    w_own = np.empty(n_own)
    d_own = np.empty(n_own)
    cand = np.empty(n_own, dtype=np.int64)
    n_cand = 0
    for s in range(n_own):
        i = own[s]
        pts[s] = i
        caps[s] = caps_own[s]
        rivals[s] = nbr_reps[which[s]] if which[s] >= 0 else -1
        w_own[s] = w[i]
        d_own[s] = dist[i]
        if i != rep:
            cand[n_cand] = s
            n_cand += 1
    w_out = np.empty(n_out)
    for s in range(n_out):
        i = outsiders[s]
        pts[n_own + s] = i
        caps[n_own + s] = d_out[s]
        rivals[n_own + s] = reps[labels[i]]
        w_out[s] = w[i]
    # np.dot as in numpy (the same BLAS sum), so the threshold is bit-identical.
    current = np.dot(w_own, d_own) + np.dot(w_out, d_out)
    return which, caps_own, outsiders, pts, caps, rivals, current, cand[:n_cand].copy()


@njit(cache=NUMBA_CACHE, nogil=True)
def split_for_move(
    xyz, own, x, which, d_other, nbr_reps, outsiders, dist, labels, reps
):
    """Who keeps or joins a cluster whose representative becomes ``x``.

    Returns ``(stay, d_x, move_in, d_out)``: which of ``own`` are closer to ``x``
    than to their nearest other representative ``nbr_reps[which]`` at ``d_other``
    (``x`` itself always; ties: smaller site) and their angles to ``x``, and which
    of ``outsiders`` are closer to ``x`` than to their own representative
    (``dist``, ``reps[labels]``; same ties) and their angles to ``x``.
    """
    n = own.shape[0]
    stay = np.empty(n, dtype=np.bool_)
    d_x = np.empty(n)
    for s in range(n):
        d = angle_between(xyz, own[s], x)
        d_x[s] = d
        other = nbr_reps[which[s]] if which[s] >= 0 else -1
        stay[s] = d < d_other[s] or (d == d_other[s] and x < other) or own[s] == x
    m = outsiders.shape[0]
    move_in = np.empty(m, dtype=np.bool_)
    d_out = np.empty(m)
    for s in range(m):
        i = outsiders[s]
        d = angle_between(xyz, i, x)
        d_out[s] = d
        move_in[s] = d < dist[i] or (d == dist[i] and x < reps[labels[i]])
    return stay, d_x, move_in, d_out
