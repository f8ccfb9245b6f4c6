"""The swap scan of one cluster: its context, the best span-respecting swap, the
split of a move, and which clusters a change makes dirty.

A scan reads its state through named bundles (fast_hdbscan passes its trees and
disjoint sets the same way): the clustering (:class:`Clusters`), the clusters'
members (:class:`MemberPool`) and hulls (:class:`HullPool`) in flat pools, the
clusters it reads (:class:`Neighbours`) and the events a swap can affect
(:class:`ScanPoints`). :func:`scan_cluster` runs a whole scan in one call and
hands back a :class:`ScanOutcome`.
"""
# SPDX-License-Identifier: BSD-3-Clause

from typing import NamedTuple

import numpy as np
from numba import njit

from skgeoclust._kernels.spans import (
    CONVEX_CAP_MAX_RAD,
    all_within,
    hull_or_all,
    hull_vertices,
    span_of,
    within_reach,
)
from skgeoclust._kernels.sphere import (
    angle_between,
    angle_of_chord,
    nearest_of_list,
    tangent_towards,
)
from skgeoclust.utils._config import NUMBA_CACHE

#: Span limits up to this (radians, 637 km) keep every distance a scan or a merge
#: measures far below 90 degrees: the convexity bound of :func:`best_swap` holds,
#: and neighbours' events are filtered by their reach to a cluster's hull.
NARROW_SPAN_RAD = 0.1


class Clusters(NamedTuple):
    """The clustering of a group as the scan kernels read it (arrays updated in
    place by the caller between scans)."""

    reps: np.ndarray  # (k,) representative site of each cluster
    alive: np.ndarray  # (k,) bool
    radius: np.ndarray  # (k,) largest distance of a member to its representative
    spans: np.ndarray  # (k,) span of each cluster
    labels: np.ndarray  # (n_sites,) cluster of each site
    dist: np.ndarray  # (n_sites,) central angle of each site to its representative


class MemberPool(NamedTuple):
    """Members of the clusters of a group in one flat pool with room to append:
    cluster ``c`` of ``k`` holds ``sites[bounds[c] : bounds[k + c]]``."""

    sites: np.ndarray  # (pool size,) int64, stale copies in between
    bounds: np.ndarray  # (2 k,) int64


class HullPool(NamedTuple):
    """Hull vertices of clusters, appended as they are computed: cluster ``c``'s are
    ``sites[bounds[c] : bounds[k + c]]``, with ``bounds[c] = -1`` while unknown."""

    sites: np.ndarray  # (pool size,) int64
    bounds: np.ndarray  # (2 k,) int64
    end: np.ndarray  # (1,) int64: first free slot of sites


class Neighbours(NamedTuple):
    """The clusters a swap scan of cluster j reads (position ``t`` is cluster
    ``ids[t]``), with their members and hull vertices in CSR form."""

    ids: np.ndarray  # (r,)
    indptr: np.ndarray  # (r + 1,)
    members: np.ndarray  # of ids[t]: members[indptr[t] : indptr[t + 1]]
    hull_indptr: np.ndarray  # (r + 1,)
    hull_sites: np.ndarray  # of ids[t]: hull_sites[hull_indptr[t] : hull_indptr[t + 1]]


class ScanPoints(NamedTuple):
    """The events a new representative of cluster j can affect, j's own first."""

    pts: np.ndarray  # (p,) sites: cluster j's n_own events, then neighbours' events
    caps: np.ndarray  # (p,) c_i in radians (inf allowed), see best_swap
    rivals: np.ndarray  # (p,) site of the representative realising c_i, -1: none
    n_own: int
    receiver: np.ndarray  # (n_own,) Neighbours position of each own event's rival
    cand: np.ndarray  # (q,) positions in pts of the candidate representatives


class ScanOutcome(NamedTuple):
    """What a swap scan of cluster j found, for the move that follows."""

    x: int  # site of the best span-respecting improving candidate, -1: none
    n_refused: int  # improving candidates refused for a span
    nbr_ids: np.ndarray  # (r,) the neighbouring clusters (Neighbours.ids)
    receiver: np.ndarray  # (n_own,) position in nbr_ids of each member's rival
    caps_own: np.ndarray  # (n_own,) each member's distance to its rival
    outsiders: np.ndarray  # neighbours' events the new representative may take


@njit(cache=NUMBA_CACHE, nogil=True)
def mark_dirty_near(xyz, sites, radii, clusters, dirty):
    """Set ``dirty[c]`` for every alive cluster ``c`` whose representative
    ``reps[c]`` lies within ``max(2 radii[t], spans[c]) + radius[c]`` of some
    ``sites[t]`` (relative tolerance 1e-9); other entries are left as they are."""
    reps, spans, radius, alive = (
        clusters.reps,
        clusters.spans,
        clusters.radius,
        clusters.alive,
    )
    for c in range(reps.shape[0]):
        if not alive[c] or dirty[c]:
            continue
        for t in range(sites.shape[0]):
            reach = max(2.0 * radii[t], spans[c]) + radius[c]
            if angle_between(xyz, sites[t], reps[c]) <= reach * (1.0 + 1e-9) + 1e-12:
                dirty[c] = True
                break


@njit(cache=NUMBA_CACHE, nogil=True)
def _wins(x, d, cap, rival):
    """Whether representative ``x`` at distance ``d`` beats ``rival`` at ``cap``."""
    return d < cap or (d == cap and (rival < 0 or x < rival))


@njit(cache=NUMBA_CACHE, nogil=True)
def _own_fits(xyz, scan, own_hull, x, dist, added, max_span_rad):
    """Whether cluster j keeps its span once ``added`` join it (and its events that
    ``x`` loses leave). ``own_hull`` are the positions in ``scan.pts`` of the hull
    vertices of cluster j: an added event within the limit of every vertex is
    within it of the whole cluster (a cap narrower than 90 degrees is convex)."""
    pts, caps, rivals = scan.pts, scan.caps, scan.rivals
    use_hull = max_span_rad < CONVEX_CAP_MAX_RAD
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
    base = np.empty(scan.n_own, dtype=np.int64)
    for i in range(scan.n_own):
        if _wins(x, dist[i], caps[i], rivals[i]):
            base[n_base] = pts[i]
            n_base += 1
    # Against the staying events' own hull (all of them when the set is wide);
    # the pairs of added events were checked above.
    if use_hull:
        return all_within(xyz, hull_vertices(xyz, base[:n_base]), added, max_span_rad)
    return all_within(xyz, base[:n_base], added, max_span_rad)


@njit(cache=NUMBA_CACHE, nogil=True)
def _receivers_fit(xyz, scan, nbrs, x, dist, incoming, moving, max_span_rad):
    """Whether every neighbouring cluster still fits once it gains the events that
    leave cluster j (``incoming`` leave the neighbours for j). Checked against the
    neighbour's hull vertices first; when a vertex that is too far is itself
    leaving, against the hull of the neighbour's remaining members."""
    pts, caps, rivals, receiver = scan.pts, scan.caps, scan.rivals, scan.receiver
    nbr_indptr, nbr_members = nbrs.indptr, nbrs.members
    hull_indptr, hull_sites = nbrs.hull_indptr, nbrs.hull_sites
    leaving = np.empty(scan.n_own, dtype=np.int64)
    n_leave = 0
    for i in range(scan.n_own):
        if not _wins(x, dist[i], caps[i], rivals[i]):
            leaving[n_leave] = i
            n_leave += 1
    if n_leave == 0:
        return True
    # Leaving events all come from cluster j, so they are within the span of each
    # other; only their distances to the receivers' members matter.
    for s in range(incoming.shape[0]):
        moving[incoming[s]] = True
    use_hull = max_span_rad < CONVEX_CAP_MAX_RAD
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
def best_swap(
    xyz, w, scan, own_hull, nbrs, order, threshold, max_span_rad, moving, max_refused
):
    """Scan candidate representatives of cluster j for the one that lowers M(C) most.

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
    are skipped. For ``max_span_rad <= NARROW_SPAN_RAD`` a sharper bound holds near
    ``x``: within a radius r, a term with ``d(i, x) + r <= c_i`` is the plain
    distance, geodesically convex below 90 degrees, and one with
    ``d(i, x) - r >= c_i`` is the constant ``c_i``, so
    ``g(q) >= g(x) - (|grad| + W_r) d(x, q)`` for ``d(x, q) <= r``, with ``grad``
    the gradient at ``x`` of the plain-distance terms and ``W_r`` the weight of the
    other non-constant terms, on 8 radii r from ``max_span_rad / 4**7`` to
    ``max_span_rad``. Near the optimum the gradient is small, which keeps the
    number of evaluations low in dense clusters; otherwise the radius of
    :func:`_prune_radius` is used. An improving candidate is accepted only if
    cluster j, with the events that would join it, and every neighbouring cluster
    with the events that would leave j for it, still span at most
    ``max_span_rad``; each accepted candidate lowers the threshold to its ``g``, so
    the scan ends with the best one.

    Parameters
    ----------
    xyz : ndarray of shape (n_sites, 3)
    w : ndarray of shape (n_sites,)
    scan : ScanPoints
        The affected events, their caps and rivals, and the candidates.
    own_hull : ndarray
        Positions in ``scan.pts`` of the hull vertices of cluster j.
    nbrs : Neighbours
        The neighbouring clusters (``scan.receiver`` indexes them).
    order : ndarray of shape (q,)
        Visiting order over ``scan.cand``.
    threshold : float
        Improvement means ``g < threshold``.
    max_span_rad : float
        Span limit.
    moving : ndarray of shape (n_sites,), bool
        Scratch flags, all False on entry and on return.
    max_refused : int
        Stop scanning once this many improving candidates were refused for a span
        (the best accepted one so far is returned).

    Returns
    -------
    t : int
        Position in ``order`` of the best improving, span-respecting candidate, -1
        if none.
    g : float
        Its ``g``.
    n_refused : int
        Improving candidates refused for a span.
    """
    pts, caps, cand = scan.pts, scan.caps, scan.cand
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
    if max_span_rad > NARROW_SPAN_RAD:
        n_levels = 0
    added = np.empty(p, dtype=np.int64)
    slack = np.empty(p)
    slack_w = np.empty(p)
    lower = np.zeros(q)  # lower bounds of g per candidate
    best_t = -1
    best_g = 0.0
    n_refused = 0
    for t in range(q):
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
            d = angle_of_chord(x0 - coords[0, i], x1 - coords[1, i], x2 - coords[2, i])
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
            tx, ty, tz, tn = tangent_towards(
                x0, x1, x2, coords[0, i], coords[1, i], coords[2, i]
            )
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
        for i in range(scan.n_own, p):
            if _wins(x, dist[i], caps[i], scan.rivals[i]):
                added[n_added] = pts[i]
                n_added += 1
        ok = _own_fits(xyz, scan, own_hull, x, dist, added[:n_added], max_span_rad)
        if ok:
            ok = _receivers_fit(
                xyz, scan, nbrs, x, dist, added[:n_added], moving, max_span_rad
            )
        if ok:
            best_t = t
            best_g = g
            threshold = g
            continue
        n_refused += 1
        if n_refused >= max_refused:
            break
    return best_t, best_g, n_refused


@njit(cache=NUMBA_CACHE, nogil=True)
def scan_clusters(xyz, clusters, j, rival_reach, max_span_rad, members, hulls):
    """The clusters a swap scan of cluster ``j`` reads (other alive ones within
    3 ``max_span_rad`` of its representative, in id order).

    The hulls of the neighbours not known yet are computed and appended to
    ``hulls`` (which must have room for every member of the neighbours).

    Parameters
    ----------
    xyz : ndarray of shape (n_sites, 3)
    clusters : Clusters
    j : int
        The scanned cluster.
    rival_reach : float
        Clusters within this of ``reps[j]`` may hold a member's rival.
    max_span_rad : float
    members : MemberPool
    hulls : HullPool
        Updated in place.

    Returns
    -------
    nbrs : Neighbours
        Clusters within ``rival_reach`` (rivals of members a candidate could lose).
    gathered : ndarray
        Members of the clusters ``c`` within ``2 radius[c] + radius[j]`` (whose
        events could move in), cluster by cluster.
    """
    reps, alive, radius = clusters.reps, clusters.alive, clusters.radius
    pool, start = members.sites, members.bounds
    hull_pool, hull_start = hulls.sites, hulls.bounds
    hull_end = hulls.end[0]
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
            h = hull_or_all(xyz, nbr_members[nbr_indptr[t] : nbr_indptr[t + 1]])
            hull_pool[hull_end : hull_end + h.shape[0]] = h
            hull_start[c] = hull_end
            hull_end += h.shape[0]
            hull_start[n + c] = hull_end
        hull_indptr[t + 1] = hull_indptr[t] + hull_start[n + c] - hull_start[c]
    hulls.end[0] = hull_end
    hull_sites = np.empty(hull_indptr[n_nbr], dtype=np.int64)
    for t in range(n_nbr):
        c = nbr[t]
        hull_sites[hull_indptr[t] : hull_indptr[t + 1]] = hull_pool[
            hull_start[c] : hull_start[n + c]
        ]
    nbrs = Neighbours(
        nbr[:n_nbr].copy(), nbr_indptr, nbr_members, hull_indptr, hull_sites
    )
    return nbrs, gathered


@njit(cache=NUMBA_CACHE, nogil=True)
def scan_points(xyz, w, clusters, own, rep, r_j, nbr_reps, gathered, hull_min):
    """The events a new representative of the cluster with members ``own``
    (representative ``rep``, members within ``r_j`` of it) can affect, for
    :func:`best_swap`.

    ``gathered`` are the events of the clusters whose events could move in; only
    those within their distance plus ``r_j`` of ``rep`` are kept, and when more
    than ``hull_min`` remain, only those within their distance of the hull of
    ``own`` (:func:`within_reach`). An own event's cap is its distance to the
    nearest of ``nbr_reps`` (its rival), a kept event's its current distance
    (its rival, its own representative).

    Returns
    -------
    scan : ScanPoints
        Members then kept events, with caps, rivals (-1: none), the position in
        ``nbr_reps`` of each member's rival, and the candidates (all members but
        ``rep``).
    current : float
        The objective ``M`` of the members and the kept events now.
    """
    reps, labels, dist = clusters.reps, clusters.labels, clusters.dist
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
    scan = ScanPoints(pts, caps, rivals, n_own, which, cand[:n_cand].copy())
    return scan, current


@njit(cache=NUMBA_CACHE, nogil=True)
def scan_cluster(
    xyz,
    w,
    clusters,
    j,
    members,
    hulls,
    own_hull,
    order,
    max_span_rad,
    hull_min,
    moving,
    max_refused,
):
    """A whole swap scan of cluster ``j``: :func:`scan_clusters`,
    :func:`scan_points`, then :func:`best_swap` against the current objective (less
    a relative tolerance of 1e-10).

    Rivals (nearest other representatives) matter only for members that some
    candidate, at most the span away, could lose, so neighbours are the clusters
    within ``radius[j] + spans[j]``; events of cluster c can move in only if c's
    representative is within ``2 radius[c] + radius[j]`` of j's, and then only if
    within their distance plus ``radius[j]`` of it (next to a dense cluster, and
    with more than ``hull_min`` of them, sharper: within their distance of the
    hull of j).

    Parameters
    ----------
    xyz : ndarray of shape (n_sites, 3)
    w : ndarray of shape (n_sites,)
    clusters : Clusters
    j : int
    members : MemberPool
    hulls : HullPool
        Must have room for the hulls of every other cluster; updated in place.
    own_hull : ndarray
        Positions of cluster j's hull vertices in its sorted members.
    order : ndarray of shape (n_members - 1,)
        Visiting order over the candidates (the members but the representative).
    max_span_rad : float
    hull_min : int
    moving : ndarray of shape (n_sites,), bool
        Scratch flags, all False on entry and on return.
    max_refused : int
        See :func:`best_swap`.

    Returns
    -------
    ScanOutcome
    """
    k = clusters.reps.shape[0]
    own = members.sites[members.bounds[j] : members.bounds[k + j]]
    rep = clusters.reps[j]
    r_j = clusters.radius[j]
    nbrs, gathered = scan_clusters(
        xyz, clusters, j, r_j + clusters.spans[j], max_span_rad, members, hulls
    )
    nbr_reps = clusters.reps[nbrs.ids]
    scan, current = scan_points(
        xyz, w, clusters, own, rep, r_j, nbr_reps, gathered, hull_min
    )
    if scan.cand.shape[0] != order.shape[0]:
        raise ValueError("order must visit every member but the representative")
    threshold = current - (1e-10 * current + 1e-300)
    t, _, n_refused = best_swap(
        xyz,
        w,
        scan,
        own_hull,
        nbrs,
        order,
        threshold,
        max_span_rad,
        moving,
        max_refused,
    )
    x = scan.pts[scan.cand[order[t]]] if t >= 0 else -1
    n_own = scan.n_own
    return ScanOutcome(
        x,
        n_refused,
        nbrs.ids,
        scan.receiver,
        scan.caps[:n_own],
        scan.pts[n_own:],
    )


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
