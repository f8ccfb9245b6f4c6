"""Span-constrained k-medoids of one event group (medial-axis start, swaps, merges)."""
# SPDX-License-Identifier: BSD-3-Clause

from typing import NamedTuple

import numpy as np
from scipy.spatial import cKDTree

from skgeoclust._kernels.medoid import weighted_medoid
from skgeoclust._kernels.spans import (
    CONVEX_CAP_MAX_RAD,
    fits_after_adding,
    fits_with_hull,
    hull_vertices,
    medial_side,
    span_of,
    spans_of_clusters,
    within_reach,
)
from skgeoclust._kernels.sphere import (
    angles_to,
    nearest_of_list,
    nearest_representative,
)
from skgeoclust._kernels.swap_scan import (
    NARROW_SPAN_RAD,
    Clusters,
    HullPool,
    MemberPool,
    mark_dirty_near,
    scan_cluster,
    split_for_move,
)
from skgeoclust.cluster._spherical_delaunay import chord_length

_EMPTY = np.empty(0, dtype=np.int64)
#: A cluster's candidate scan ends after this many improving candidates were refused
#: because a span would exceed the limit (they are re-evaluated in every scan).
_MAX_REFUSED = 32
#: Representatives tried for a merged cluster (its medoid, then the nearest members).
_MERGE_CANDIDATES = 64
#: A swap scan (or merge) with more neighbouring events in rough reach than this
#: keeps only those within reach of the cluster's hull (span limits up to
#: NARROW_SPAN_RAD).
_HULL_REACH_MIN = 1024


class GroupResult(NamedTuple):
    """Clusters of one group, in local site indices, numbered by representative."""

    labels: np.ndarray  # (m,) cluster of each site
    representatives: np.ndarray  # (k,) increasing local sites
    spans: np.ndarray  # (k,) span of each cluster, radians
    distances: np.ndarray  # (m,) central angle of each site to its representative
    n_iter: int  # optimisation passes run


class ConsistentClustering(NamedTuple):
    """Every site assigned to its nearest representative, every span within the
    limit (see :func:`consistent_clustering`)."""

    representatives: np.ndarray  # (k,) increasing sites
    labels: np.ndarray  # (m,) position in representatives
    distances: np.ndarray  # (m,) central angle to the representative
    indptr: np.ndarray  # (k + 1,) cluster c: members[indptr[c] : indptr[c + 1]]
    members: np.ndarray  # (m,) sites by cluster, increasing within each
    spans: np.ndarray  # (k,) radians


def medial_axis_split(xyz, idx, max_span_rad):
    """Split ``idx`` recursively along medial axes until every part's span fits.

    Returns
    -------
    list of ndarray
        Parts (sorted site indices), each of span <= ``max_span_rad``.
    """
    parts = []
    stack = [idx]
    while stack:
        sites = stack.pop()
        span, a, b, _ = span_of(xyz, sites, max_span_rad)
        if span <= max_span_rad:
            parts.append(sites)
            continue
        side = medial_side(xyz, sites, a, b)
        stack.append(sites[~side])
        stack.append(sites[side])
    return parts


def assign_to_nearest(xyz, sites, rep_sites):
    """Nearest representative of every site (ties: smaller representative site).

    Returns
    -------
    labels : ndarray of shape (len(sites),)
        Position in ``rep_sites``.
    dist : ndarray of shape (len(sites),)
        Central angle to it.
    """
    n_candidates = min(rep_sites.shape[0], 8)
    _, nearest = cKDTree(xyz[rep_sites]).query(xyz[sites], k=n_candidates)
    nearest = np.asarray(nearest, dtype=np.int64).reshape(sites.shape[0], n_candidates)
    which, dist = nearest_representative(xyz, sites, rep_sites[nearest])
    return nearest[np.arange(sites.shape[0]), which], dist


def _csr(labels, n_clusters):
    order = np.argsort(labels, kind="stable").astype(np.int64)
    indptr = np.zeros(n_clusters + 1, dtype=np.int64)
    np.cumsum(np.bincount(labels, minlength=n_clusters), out=indptr[1:])
    return indptr, order


def consistent_clustering(xyz, w, priority, rep_sites, max_span_rad):
    """Assign every site to its nearest representative; split any cluster whose
    span then exceeds the limit (medial axis again, a medoid per part) and repeat.

    Each round adds representatives, so this ends (at worst with every site its own
    cluster).

    Parameters
    ----------
    xyz : ndarray of shape (m, 3)
    w, priority : ndarray of shape (m,)
        Weights and the medoid search's visiting keys.
    rep_sites : ndarray of shape (k,)
        Increasing representative sites.
    max_span_rad : float

    Returns
    -------
    ConsistentClustering
    """
    sites = np.arange(xyz.shape[0], dtype=np.int64)
    rep_sites = np.asarray(rep_sites, dtype=np.int64)
    while True:
        labels, dist = assign_to_nearest(xyz, sites, rep_sites)
        labels[rep_sites] = np.arange(rep_sites.shape[0])
        dist[rep_sites] = 0.0
        indptr, order = _csr(labels, rep_sites.shape[0])
        spans, _ = spans_of_clusters(xyz, indptr, order, max_span_rad)
        bad = np.flatnonzero(spans > max_span_rad)
        if bad.size == 0:
            return ConsistentClustering(rep_sites, labels, dist, indptr, order, spans)
        keep = np.ones(rep_sites.shape[0], dtype=bool)
        keep[bad] = False
        new = [rep_sites[keep]]
        for c in bad:
            members = order[indptr[c] : indptr[c + 1]]
            for part in medial_axis_split(xyz, members, max_span_rad):
                new.append([weighted_medoid(xyz, w, part, priority)[0]])
        rep_sites = np.sort(np.concatenate(new).astype(np.int64))


class _Group:
    """Mutable clustering of one group; every change keeps it consistent."""

    def __init__(self, xyz, w, max_span_rad, priority, start):
        """State of the clustering ``start`` (a :class:`ConsistentClustering`)."""
        n_sites = xyz.shape[0]
        k = start.representatives.shape[0]
        self.xyz = xyz
        self.w = w
        self.max_span_rad = max_span_rad
        self.priority = priority
        # Clusters: representative site, alive, span, largest distance of a member
        # to the representative; sites: cluster and distance to its representative.
        self.reps = start.representatives.copy()
        self.alive = np.ones(k, dtype=bool)
        self.spans = start.spans.copy()
        self.labels = start.labels
        self.dist = start.distances
        self.radius = np.zeros(k)
        np.maximum.at(self.radius, self.labels, self.dist)
        self._clusters = Clusters(
            self.reps, self.alive, self.radius, self.spans, self.labels, self.dist
        )
        # Members of each cluster (sorted), also kept in one flat pool for the
        # scan kernels.
        self.members = [
            start.members[start.indptr[c] : start.indptr[c + 1]] for c in range(k)
        ]
        self._pool, self._pool_end = self._pooled_members()
        # Hull vertices (cached until the cluster changes), and their positions in
        # the sorted members.
        self._hulls = HullPool(
            np.empty(2 * n_sites + 64, dtype=np.int64),
            np.full(2 * k, -1, dtype=np.int64),
            np.zeros(1, dtype=np.int64),
        )
        self._hull_positions = {}
        # Clusters whose surroundings changed since their last full candidate scan.
        self.dirty = np.ones(k, dtype=bool)
        # Membership versions; the pairs (with versions) whose union is too wide,
        # the merges refused in an unchanged neighbourhood, and the medoid and
        # candidates of unions.
        self.version = np.zeros(k, dtype=np.int64)
        self._too_wide = set()
        self._blocked = set()
        self._union_medoids = {}
        # Scratch flags of the kernels (all False between calls).
        self._flag = np.zeros(n_sites, dtype=bool)

    # -- helpers ------------------------------------------------------------------
    def _pooled_members(self, room=0):
        """``self.members`` copied into one flat pool with room to append to, and
        the end of the copies."""
        k = len(self.members)
        sizes = np.array([m.shape[0] for m in self.members], dtype=np.int64)
        bounds = np.zeros(2 * k, dtype=np.int64)
        np.cumsum(sizes[:-1], out=bounds[1:k])
        bounds[k:] = bounds[:k] + sizes
        end = int(sizes.sum())
        sites = np.empty(4 * (end + room) + 64, dtype=np.int64)
        if k:
            np.concatenate(self.members, out=sites[:end])
        return MemberPool(sites, bounds), end

    def _set_members(self, c, members):
        """Make ``members`` (sorted) cluster ``c``'s events."""
        self.members[c] = members
        n = members.shape[0]
        end = self._pool_end
        if end + n > self._pool.sites.shape[0]:
            self._pool, self._pool_end = self._pooled_members(n)
            return
        self._pool.sites[end : end + n] = members
        self._pool.bounds[c] = end
        self._pool.bounds[len(self.members) + c] = end + n
        self._pool_end = end + n

    def _forget_hull(self, c):
        self._hulls.bounds[c] = -1
        self._hull_positions[c] = None

    def hull(self, c):
        """Hull vertices of cluster ``c`` (cached until the cluster changes)."""
        bounds = self._hulls.bounds
        k = len(self.members)
        if bounds[c] < 0:
            h = hull_vertices(self.xyz, self.members[c])
            self._hull_room(h.shape[0])
            end = int(self._hulls.end[0])
            self._hulls.sites[end : end + h.shape[0]] = h
            bounds[c] = end
            bounds[k + c] = self._hulls.end[0] = end + h.shape[0]
            return h
        return self._hulls.sites[bounds[c] : bounds[k + c]]

    def _hull_room(self, n):
        """Make room for ``n`` more hull vertices (a new pool of the known hulls;
        arrays handed out before stay valid)."""
        if self._hulls.end[0] + n <= self._hulls.sites.shape[0]:
            return
        k = len(self.members)
        bounds = self._hulls.bounds
        known = np.flatnonzero(bounds[:k] >= 0)
        parts = [self._hulls.sites[bounds[c] : bounds[k + c]] for c in known]
        sizes = np.array([p.shape[0] for p in parts], dtype=np.int64)
        total = int(sizes.sum())
        n_sites = self.xyz.shape[0]
        sites = np.empty(2 * (total + n) + 2 * n_sites + 64, dtype=np.int64)
        if parts:
            np.concatenate(parts, out=sites[:total])
        bounds[known] = np.cumsum(sizes) - sizes
        bounds[k + known] = bounds[known] + sizes
        self._hulls = HullPool(sites, bounds, np.array([total], dtype=np.int64))

    def hull_positions(self, c):
        """Positions of cluster ``c``'s hull vertices in its sorted members."""
        if self._hull_positions.get(c) is None:
            self._hull_positions[c] = np.searchsorted(self.members[c], self.hull(c))
        return self._hull_positions[c]

    def neighbours(self, site, radius_rad, exclude):
        """Alive clusters (ids) whose representative lies within ``radius_rad``."""
        diff = self.xyz[self.reps] - self.xyz[site]
        close = np.einsum("ij,ij->i", diff, diff) <= chord_length(radius_rad) ** 2 * (
            1.0 + 1e-9
        )
        close &= self.alive
        close[list(exclude)] = False
        return np.flatnonzero(close)

    def _gather(self, clusters):
        if len(clusters) == 0:
            return _EMPTY
        return np.concatenate([self.members[c] for c in clusters])

    def try_move(self, j, x, own, nbr, dead=None, *, nearest=None, outsiders=None):
        """Make ``x`` the representative of cluster ``j``, reassign consistently and
        accept only if no affected cluster's span exceeds the limit.

        ``own`` are the events to redistribute between ``j`` and the neighbouring
        clusters ``nbr`` (cluster j's events for a swap, the union for a merge of
        ``j`` and ``dead``); events of ``nbr`` move into ``j`` when ``x`` is closer.
        ``nearest`` (position in ``nbr`` and distance of each own event's nearest
        other representative) and ``outsiders`` (the events of ``nbr`` that can
        reach ``x``) may be passed when already known.

        Returns
        -------
        n_moved : int or None
            Events that changed cluster; None when the move is refused.
        """
        xyz, limit, reps = self.xyz, self.max_span_rad, self.reps
        nbr_reps = reps[nbr]
        if nearest is None:
            nearest = nearest_of_list(xyz, own, nbr_reps)
        which, d_other = nearest
        if outsiders is None:
            outsiders = self._gather(nbr)
        stay, d_x, move_in, d_out = split_for_move(
            xyz,
            own,
            x,
            which,
            d_other,
            nbr_reps,
            outsiders,
            self.dist,
            self.labels,
            reps,
        )
        incoming = outsiders[move_in]
        if dead is None:
            # A swap: what stays is part of cluster j, already within the span.
            if stay.all() and limit < CONVEX_CAP_MAX_RAD:
                fits = fits_with_hull(xyz, self.hull(j), incoming, limit)
            else:
                fits = fits_after_adding(xyz, own[stay], incoming, limit)
            if not fits:
                return None
            new_j = np.sort(np.concatenate([own[stay], incoming]))
            span_j = None
        else:
            new_j = np.sort(np.concatenate([own[stay], incoming]))
            span_j = span_of(xyz, new_j, limit)[0]
            if span_j > limit:
                return None
        leaving = own[~stay]
        leaving_to = nbr[which[~stay]]
        flag = self._flag
        flag[incoming] = True
        changed = {}
        # (a handful of clusters: a sorted Python set is cheaper than np.unique)
        for c in sorted(set(leaving_to.tolist()) | set(self.labels[incoming].tolist())):
            members = self.members[c]
            kept = ~flag[members]
            added = leaving[leaving_to == c]
            if kept.all() and limit < CONVEX_CAP_MAX_RAD:
                # Nothing leaves c: its cached hull vertices stand for it.
                fits = fits_with_hull(xyz, self.hull(c), added, limit)
            else:
                members = members[kept]
                fits = fits_after_adding(xyz, members, added, limit)
            if not fits:
                flag[incoming] = False
                return None
            changed[c] = np.sort(np.concatenate([members, added]))
        flag[incoming] = False
        # Accept.
        self.labels[own[stay]] = j
        self.dist[own[stay]] = d_x[stay]
        self.labels[leaving] = leaving_to
        self.dist[leaving] = d_other[~stay]
        self.labels[incoming] = j
        self.dist[incoming] = d_out[move_in]
        # (site, radius) of every changed cluster before and after the move.
        touched = [(reps[j], self.radius[j])]
        self._forget_hull(j)
        self.version[j] += 1
        for c, members in changed.items():
            self._forget_hull(c)
            self.version[c] += 1
            self._set_members(c, members)
            self.spans[c] = span_of(xyz, members, limit)[0]
            old_radius = self.radius[c]
            self.radius[c] = self.dist[members].max()
            touched.append((reps[c], max(old_radius, self.radius[c])))
        self._set_members(j, new_j)
        self.spans[j] = span_of(xyz, new_j, limit)[0] if span_j is None else span_j
        self.radius[j] = self.dist[new_j].max()
        touched.append((x, self.radius[j]))
        reps[j] = x
        if dead is not None:
            touched.append((reps[dead], self.radius[dead]))
            self.alive[dead] = False
            self._set_members(dead, _EMPTY)
        sites, radii = zip(*touched)
        self.mark_dirty(np.array(sites), np.array(radii))
        self.dirty[j] = True
        return leaving.shape[0] + incoming.shape[0]

    def mark_dirty(self, sites, radii):
        """Flag for a new scan every cluster whose scan a change at ``sites`` can
        affect: a cluster ``c`` with representative ``sites[t]`` and members within
        ``radii[t]`` of it (before or after the change).

        The scan of cluster k (representative r_k, members within R_k of it, span
        s_k) reads the events of other clusters that some member of k is closer to
        than their own representative, which lie within 2 R_c + R_k of r_k, and the
        representatives nearest to its members when one of its candidates could lose
        them, which lie within s_k + R_k of r_k; nothing else.
        """
        mark_dirty_near(self.xyz, sites, radii, self._clusters, self.dirty)

    # -- k-medoid swaps -----------------------------------------------------------
    def optimise_cluster(self, j, rng):
        """Test the members of cluster ``j`` as its representative and make the
        best span-respecting swap that lowers M(C); returns whether one was made."""
        own = self.members[j]
        if own.shape[0] < 2:
            return False
        xyz, limit = self.xyz, self.max_span_rad
        own_hull = self.hull_positions(j)
        # (room for the hulls of all neighbours, computed in the kernel when unknown)
        self._hull_room(xyz.shape[0])
        found = scan_cluster(
            xyz,
            self.w,
            self._clusters,
            j,
            self._pool,
            self._hulls,
            own_hull,
            rng.permutation(own.shape[0] - 1),
            limit,
            _HULL_REACH_MIN if limit <= NARROW_SPAN_RAD else xyz.shape[0],
            self._flag,
            _MAX_REFUSED,
        )
        if found.x < 0:
            return False
        n_moved = self.try_move(
            j,
            found.x,
            own,
            found.nbr_ids,
            nearest=(found.receiver, found.caps_own),
            outsiders=found.outsiders,
        )
        if n_moved is None:
            return False
        if n_moved == 0 and found.n_refused < _MAX_REFUSED:
            # No event changed cluster, so cluster j's scan context is the same
            # and x was its best candidate: a new scan would find nothing.
            self.dirty[j] = False
        return True

    def swap_pass(self, rng):
        changed = False
        for j in range(self.reps.shape[0]):
            # Swap cluster j's representative until no member improves M(C).
            while self.alive[j] and self.dirty[j]:
                self.dirty[j] = False
                if not self.optimise_cluster(j, rng):
                    break
                changed = True
        return changed

    # -- merges -------------------------------------------------------------------
    def merge_pass(self):
        """Merge adjacent clusters whose union spans no more than the limit."""
        xyz, limit = self.xyz, self.max_span_rad
        ids = np.flatnonzero(self.alive)
        if ids.shape[0] < 2:
            return False
        pairs = cKDTree(xyz[self.reps[ids]]).query_pairs(
            chord_length(limit) * (1.0 + 1e-9), output_type="ndarray"
        )
        if pairs.shape[0] == 0:
            return False
        pairs = ids[pairs]
        diff = xyz[self.reps[pairs[:, 0]]] - xyz[self.reps[pairs[:, 1]]]
        gaps = np.einsum("ij,ij->i", diff, diff)
        pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0], gaps))]
        merged = False
        for a, b in pairs:
            if not (self.alive[a] and self.alive[b]):
                continue
            key = (a, b, self.version[a], self.version[b])
            if key in self._too_wide:
                continue
            if limit <= NARROW_SPAN_RAD:
                # The farthest pair of the union is a pair of hull vertices of a or b.
                ends = np.concatenate([self.hull(a), self.hull(b)])
            else:
                ends = np.concatenate([self.members[a], self.members[b]])
            if span_of(xyz, ends, limit)[0] > limit:
                self._too_wide.add(key)
                continue
            union = np.sort(np.concatenate([self.members[a], self.members[b]]))
            # A merge refused for consistency is retried only once something within
            # reach (4 limit of a's representative) has changed.
            around = self.neighbours(self.reps[a], 4.0 * limit, [])
            state = (a, b, hash(tuple(self.version[around])), hash(tuple(around)))
            if state in self._blocked:
                continue
            # The union's medoid first; if consistency would then push some span
            # over the limit, the members nearest to it in turn.
            # The union's medoid and candidate order depend on the two clusters
            # alone, so they are kept until one of them changes.
            cached = self._union_medoids.get(key)
            if cached is None:
                medoid = weighted_medoid(xyz, self.w, union, self.priority)[0]
                near = np.argsort(angles_to(xyz, union, medoid), kind="stable")
                cached = (medoid, union[near[:_MERGE_CANDIDATES]])
                self._union_medoids[key] = cached
            medoid, reps_to_try = cached
            # Every candidate is within the limit of the medoid, so the clusters
            # within 4 limit of it cover each candidate's 3 limit neighbourhood.
            around = self.neighbours(medoid, 4.0 * limit, [a, b])
            gap = angles_to(xyz, self.reps[around], medoid)
            reach_u = float(angles_to(xyz, union, medoid).max())
            reach_x = float(angles_to(xyz, reps_to_try, medoid).max())
            # As in a swap scan: rivals within reach_u + limit of the medoid (a union
            # member that a candidate could lose), events of clusters within
            # 2 R_c + reach_x (events that could move to a candidate).
            nbr = around[gap <= (reach_u + limit) * (1.0 + 1e-9) + 1e-12]
            sources = around[
                gap <= (2.0 * self.radius[around] + reach_x) * (1.0 + 1e-9) + 1e-12
            ]
            nearest = nearest_of_list(xyz, union, self.reps[nbr])
            outsiders = self._gather(sources)
            if outsiders.shape[0] > _HULL_REACH_MIN and limit <= NARROW_SPAN_RAD:
                # Only events within their distance of the union's hull can move in.
                outsiders = outsiders[
                    within_reach(xyz, union, outsiders, self.dist[outsiders], 1e-9)
                ]
            for rep in reps_to_try:
                moved = self.try_move(
                    a, rep, union, nbr, dead=b, nearest=nearest, outsiders=outsiders
                )
                if moved is not None:
                    merged = True
                    break
            else:
                self._blocked.add(state)
        return merged


def fit_group(xyz, w, max_span_rad, max_iter, seed):
    """Cluster one event group whose span exceeds the limit.

    Steps: medial-axis subdivision, medoid of each part, consistency (with the
    fix-up split of any cluster it makes too wide), then passes of representative
    swaps and merges until a pass changes nothing or ``max_iter`` passes, then the
    consistency fix-up once more.

    Parameters
    ----------
    xyz : ndarray of shape (m, 3)
        Distinct unit vectors of the group, in canonical order.
    w : ndarray of shape (m,)
        Weights.
    max_span_rad : float
        Span limit (central angle).
    max_iter : int
        Largest number of optimisation passes.
    seed : int
        Seed of the candidate visiting orders.

    Returns
    -------
    GroupResult
    """
    rng = np.random.default_rng(seed)
    priority = rng.random(xyz.shape[0])
    sites = np.arange(xyz.shape[0], dtype=np.int64)
    parts = medial_axis_split(xyz, sites, max_span_rad)
    reps = [weighted_medoid(xyz, w, part, priority)[0] for part in parts]
    start = consistent_clustering(
        xyz, w, priority, np.sort(np.asarray(reps, dtype=np.int64)), max_span_rad
    )
    group = _Group(xyz, w, max_span_rad, priority, start)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        changed = group.swap_pass(rng)
        changed |= group.merge_pass()
        if not changed:
            break
    # Final fix-up: re-derive the assignment from the representatives alone.
    final = consistent_clustering(
        xyz, w, priority, np.sort(group.reps[group.alive]), max_span_rad
    )
    return GroupResult(
        final.labels, final.representatives, final.spans, final.distances, n_iter
    )
