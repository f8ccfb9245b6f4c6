"""Span-constrained k-medoids of one event group (medial-axis start, swaps, merges)."""
# SPDX-License-Identifier: BSD-3-Clause

from typing import NamedTuple

import numpy as np
from scipy.spatial import cKDTree

from skgeoclust._kernels.medoid import weighted_medoid
from skgeoclust._kernels.spans import (
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
    first_improving_swap,
    scan_clusters,
    scan_points,
    split_for_move,
    within_reach_of_sites,
)

_EMPTY = np.empty(0, dtype=np.int64)
#: A cluster's candidate scan ends after this many improving candidates were refused
#: because a span would exceed the limit (they are re-evaluated in every scan).
_MAX_REFUSED = 32
#: Representatives tried for a merged cluster (its medoid, then the nearest members).
_MERGE_CANDIDATES = 64
#: A swap scan (or merge) with more neighbouring events in rough reach than this
#: keeps only those within reach of the cluster's hull (spans up to 0.1 rad, 637 km).
_HULL_REACH_MIN = 1024
_HULL_REACH_MAX_SPAN_RAD = 0.1


class GroupResult(NamedTuple):
    """Clusters of one group, in local site indices."""

    labels: np.ndarray  # (m,) cluster id, ids ordered by representative site
    representatives: np.ndarray  # (k,) local site of each cluster's representative
    n_iter: int  # optimisation passes run
    n_swaps: int  # accepted representative swaps
    n_merges: int  # accepted merges


def chord_of(angle_rad):
    """Chord length of a central angle, for Euclidean queries on unit vectors."""
    return 2.0 * np.sin(0.5 * min(float(angle_rad), np.pi))


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


class _Group:
    """Mutable clustering of one group; every change keeps it consistent."""

    def __init__(self, xyz, w, max_span_rad, priority):
        self.xyz = xyz
        self.w = w
        self.D = max_span_rad
        self.priority = priority
        self.sites = np.arange(xyz.shape[0], dtype=np.int64)
        self._flag = np.zeros(xyz.shape[0], dtype=bool)
        self.n_swaps = 0
        self.n_merges = 0

    # -- consistency and fix-up ---------------------------------------------------
    def make_consistent(self, rep_sites):
        """Assign every event to its nearest representative; split any cluster whose
        span then exceeds the limit (medial axis again) and repeat. Each round adds
        representatives, so this ends (at worst with every event its own cluster)."""
        xyz, D = self.xyz, self.D
        rep_sites = np.asarray(rep_sites, dtype=np.int64)
        while True:
            labels, dist = assign_to_nearest(xyz, self.sites, rep_sites)
            labels[rep_sites] = np.arange(rep_sites.shape[0])
            dist[rep_sites] = 0.0
            indptr, order = _csr(labels, rep_sites.shape[0])
            spans, _ = spans_of_clusters(xyz, indptr, order, D)
            bad = np.flatnonzero(spans > D)
            if bad.size == 0:
                break
            keep = np.ones(rep_sites.shape[0], dtype=bool)
            keep[bad] = False
            new = [rep_sites[keep]]
            for c in bad:
                for part in medial_axis_split(xyz, order[indptr[c] : indptr[c + 1]], D):
                    new.append([weighted_medoid(xyz, self.w, part, self.priority)[0]])
            rep_sites = np.sort(np.concatenate(new).astype(np.int64))
        self.reps = rep_sites.copy()
        self.alive = np.ones(rep_sites.shape[0], dtype=bool)
        self.labels = labels
        self.dist = dist
        self.members = [order[indptr[c] : indptr[c + 1]] for c in range(len(rep_sites))]
        self._repool()
        self.spans = spans.copy()
        # Largest distance from each representative to its members.
        self.radius = np.zeros(rep_sites.shape[0])
        np.maximum.at(self.radius, labels, dist)
        # Clusters whose surroundings changed since their last full candidate scan.
        self.dirty = np.ones(rep_sites.shape[0], dtype=bool)
        # Hull vertices of cluster c: _hull_pool[_hull_bounds[c] : _hull_bounds[k + c]]
        # (-1: not known yet), appended as they are computed.
        self._hull_bounds = np.full(2 * rep_sites.shape[0], -1, dtype=np.int64)
        self._hull_pool = np.empty(2 * self.sites.shape[0] + 64, dtype=np.int64)
        self._hull_end = 0
        self._hull_positions = {}
        # Membership versions, and the pairs (with versions) whose union is too wide.
        self.version = np.zeros(rep_sites.shape[0], dtype=np.int64)
        self._too_wide = set()
        self._blocked = set()
        self._union_medoids = {}

    # -- helpers ------------------------------------------------------------------
    def _repool(self, room=0):
        """Copy ``self.members`` into one flat pool (with room to append to): cluster
        ``c`` at ``_pool[_bounds[c] : _bounds[k + c]]``, for the scan kernels."""
        k = len(self.members)
        sizes = np.array([m.shape[0] for m in self.members], dtype=np.int64)
        self._bounds = np.zeros(2 * k, dtype=np.int64)
        np.cumsum(sizes[:-1], out=self._bounds[1:k])
        self._bounds[k:] = self._bounds[:k] + sizes
        self._pool_end = int(sizes.sum())
        self._pool = np.empty(4 * (self._pool_end + room) + 64, dtype=np.int64)
        if k:
            np.concatenate(self.members, out=self._pool[: self._pool_end])

    def _set_members(self, c, members):
        """Make ``members`` (sorted) cluster ``c``'s events."""
        self.members[c] = members
        n = members.shape[0]
        end = self._pool_end
        if end + n > self._pool.shape[0]:
            self._repool(n)
            return
        self._pool[end : end + n] = members
        self._bounds[c] = end
        self._bounds[len(self.members) + c] = end + n
        self._pool_end = end + n

    def hull(self, c):
        """Hull vertices of cluster ``c`` (cached until the cluster changes)."""
        bounds = self._hull_bounds
        if bounds[c] < 0:
            h = hull_vertices(self.xyz, self.members[c])
            self._hull_room(h.shape[0])
            end = self._hull_end
            self._hull_pool[end : end + h.shape[0]] = h
            bounds[c] = end
            self._hull_end = bounds[len(self.members) + c] = end + h.shape[0]
            return h
        return self._hull_pool[bounds[c] : bounds[len(self.members) + c]]

    def _hull_room(self, n):
        """Make room for ``n`` more hull vertices (a new pool of the known hulls;
        arrays handed out before stay valid)."""
        if self._hull_end + n <= self._hull_pool.shape[0]:
            return
        k = len(self.members)
        bounds = self._hull_bounds
        known = np.flatnonzero(bounds[:k] >= 0)
        parts = [self._hull_pool[bounds[c] : bounds[k + c]] for c in known]
        sizes = np.array([p.shape[0] for p in parts], dtype=np.int64)
        total = int(sizes.sum())
        pool = np.empty(2 * (total + n) + 2 * self.sites.shape[0] + 64, dtype=np.int64)
        if parts:
            np.concatenate(parts, out=pool[:total])
        bounds[known] = np.cumsum(sizes) - sizes
        bounds[k + known] = bounds[known] + sizes
        self._hull_pool = pool
        self._hull_end = total

    def hull_positions(self, c):
        """Positions of cluster ``c``'s hull vertices in its sorted members."""
        if self._hull_positions.get(c) is None:
            self._hull_positions[c] = np.searchsorted(self.members[c], self.hull(c))
        return self._hull_positions[c]

    def neighbours(self, site, radius_rad, exclude):
        """Alive clusters (ids) whose representative lies within ``radius_rad``."""
        diff = self.xyz[self.reps] - self.xyz[site]
        close = np.einsum("ij,ij->i", diff, diff) <= chord_of(radius_rad) ** 2 * (
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
        """
        xyz, D, reps = self.xyz, self.D, self.reps
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
            if stay.all() and D < 0.5 * np.pi:
                fits = fits_with_hull(xyz, self.hull(j), incoming, D)
            else:
                fits = fits_after_adding(xyz, own[stay], incoming, D)
            if not fits:
                return False
            new_j = np.sort(np.concatenate([own[stay], incoming]))
            span_j = None
        else:
            new_j = np.sort(np.concatenate([own[stay], incoming]))
            span_j = span_of(xyz, new_j, D)[0]
            if span_j > D:
                return False
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
            if kept.all() and D < 0.5 * np.pi:
                # Nothing leaves c: its cached hull vertices stand for it.
                fits = fits_with_hull(xyz, self.hull(c), added, D)
            else:
                members = members[kept]
                fits = fits_after_adding(xyz, members, added, D)
            if not fits:
                flag[incoming] = False
                return False
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
        self._hull_bounds[j] = -1
        self._hull_positions[j] = None
        self.version[j] += 1
        for c, members in changed.items():
            self._hull_bounds[c] = -1
            self._hull_positions[c] = None
            self.version[c] += 1
            self._set_members(c, members)
            self.spans[c] = span_of(xyz, members, D)[0]
            old_radius = self.radius[c]
            self.radius[c] = self.dist[members].max()
            touched.append((reps[c], max(old_radius, self.radius[c])))
        self._set_members(j, new_j)
        self.spans[j] = span_of(xyz, new_j, D)[0] if span_j is None else span_j
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
        self._moved_none = leaving.shape[0] == 0 and incoming.shape[0] == 0
        return True

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
        within_reach_of_sites(
            self.xyz,
            sites,
            radii,
            self.reps,
            self.spans,
            self.radius,
            self.alive,
            self.dirty,
        )

    # -- k-medoid swaps -----------------------------------------------------------
    def optimise_cluster(self, j, rng):
        """Test the members of cluster ``j`` as its representative and make the
        best span-respecting swap that lowers M(C); returns whether one was made."""
        own = self.members[j]
        if own.shape[0] < 2:
            return False
        xyz, w, D = self.xyz, self.w, self.D
        rep = self.reps[j]
        # Clusters within 3 D of rep. Rivals (nearest other representatives) matter
        # only for members that some candidate, at most the span away, could lose:
        # within radius + span of rep. Events of cluster c can move in only if c's
        # representative is within 2 R_c + radius of rep (R_c: largest distance of
        # c's events to it; self.radius[j] is the largest of dist[own]).
        radius = self.radius[j]
        # (room for the hulls of all neighbours, computed in the kernel when unknown)
        self._hull_room(self.sites.shape[0])
        (
            nbr,
            nbr_indptr,
            nbr_members,
            gathered,
            hull_indptr,
            hull_sites,
            self._hull_end,
        ) = scan_clusters(
            xyz,
            self.reps,
            self.alive,
            self.radius,
            j,
            radius + self.spans[j],
            D,
            self._pool,
            self._bounds,
            self._hull_pool,
            self._hull_bounds,
            self._hull_end,
        )
        # An event of a neighbour moves in only if some member x is closer than its
        # current distance, and d(i, x) >= d(i, rep) - (radius of j). Next to a
        # dense cluster, sharper: within d_out of the spherical convex hull of j.
        which, caps_own, outsiders, pts, caps, rivals, current, cand = scan_points(
            xyz,
            w,
            self.reps,
            self.labels,
            self.dist,
            own,
            rep,
            radius,
            self.reps[nbr],
            gathered,
            _HULL_REACH_MIN if D <= _HULL_REACH_MAX_SPAN_RAD else xyz.shape[0],
        )
        nearest = (which, caps_own)
        threshold = current - (1e-10 * current + 1e-300)
        receiver = nearest[0]
        own_hull = self.hull_positions(j)
        order = rng.permutation(cand.shape[0])
        lower = np.zeros(cand.shape[0])
        t, _, n_refused = first_improving_swap(
            xyz,
            w,
            pts,
            caps,
            rivals,
            own.shape[0],
            cand,
            order,
            0,
            threshold,
            lower,
            D,
            receiver,
            nbr_indptr,
            nbr_members,
            self._flag,
            own_hull,
            hull_indptr,
            hull_sites,
            _MAX_REFUSED,
            True,
        )
        if t < 0:
            return False
        x = own[cand[order[t]]]
        if self.try_move(j, x, own, nbr, nearest=nearest, outsiders=outsiders):
            self.n_swaps += 1
            if self._moved_none and n_refused < _MAX_REFUSED:
                # No event changed cluster, so cluster j's scan context is the same
                # and x was its best candidate: a new scan would find nothing.
                self.dirty[j] = False
            return True
        return False

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
        xyz, D = self.xyz, self.D
        ids = np.flatnonzero(self.alive)
        if ids.shape[0] < 2:
            return False
        pairs = cKDTree(xyz[self.reps[ids]]).query_pairs(
            chord_of(D) * (1.0 + 1e-9), output_type="ndarray"
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
            if D <= _HULL_REACH_MAX_SPAN_RAD:
                # The farthest pair of the union is a pair of hull vertices of a or b.
                ends = np.concatenate([self.hull(a), self.hull(b)])
            else:
                ends = np.concatenate([self.members[a], self.members[b]])
            if span_of(xyz, ends, D)[0] > D:
                self._too_wide.add(key)
                continue
            union = np.sort(np.concatenate([self.members[a], self.members[b]]))
            # A merge refused for consistency is retried only once something within
            # reach (4 D of a's representative) has changed.
            around = self.neighbours(self.reps[a], 4.0 * D, [])
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
            # Every candidate is within D of the medoid, so the clusters within 4 D
            # of it cover each candidate's 3 D neighbourhood.
            around = self.neighbours(medoid, 4.0 * D, [a, b])
            gap = angles_to(xyz, self.reps[around], medoid)
            reach_u = float(angles_to(xyz, union, medoid).max())
            reach_x = float(angles_to(xyz, reps_to_try, medoid).max())
            # As in a swap scan: rivals within reach_u + D of the medoid (a union
            # member that a candidate could lose), events of clusters within
            # 2 R_c + reach_x (events that could move to a candidate).
            nbr = around[gap <= (reach_u + D) * (1.0 + 1e-9) + 1e-12]
            sources = around[
                gap <= (2.0 * self.radius[around] + reach_x) * (1.0 + 1e-9) + 1e-12
            ]
            nearest = nearest_of_list(xyz, union, self.reps[nbr])
            outsiders = self._gather(sources)
            if outsiders.shape[0] > _HULL_REACH_MIN and D <= _HULL_REACH_MAX_SPAN_RAD:
                # Only events within their distance of the union's hull can move in.
                outsiders = outsiders[
                    within_reach(xyz, union, outsiders, self.dist[outsiders], 1e-9)
                ]
            for rep in reps_to_try:
                if self.try_move(
                    a, rep, union, nbr, dead=b, nearest=nearest, outsiders=outsiders
                ):
                    self.n_merges += 1
                    merged = True
                    break
            else:
                self._blocked.add(state)
        return merged

    def result(self, n_iter):
        ids = np.flatnonzero(self.alive)
        ids = ids[np.argsort(self.reps[ids], kind="stable")]
        relabel = np.full(self.reps.shape[0], -1, dtype=np.int64)
        relabel[ids] = np.arange(ids.shape[0])
        return GroupResult(
            relabel[self.labels], self.reps[ids], n_iter, self.n_swaps, self.n_merges
        )


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
    group = _Group(xyz, w, max_span_rad, priority)
    parts = medial_axis_split(xyz, group.sites, max_span_rad)
    reps = [weighted_medoid(xyz, w, part, priority)[0] for part in parts]
    group.make_consistent(np.sort(np.asarray(reps, dtype=np.int64)))
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        changed = group.swap_pass(rng)
        changed |= group.merge_pass()
        if not changed:
            break
    # Final fix-up: re-derive the assignment from the representatives alone.
    group.make_consistent(np.sort(group.reps[group.alive]))
    return group.result(n_iter)
