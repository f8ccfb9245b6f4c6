"""BIC-driven merging of Gaussian kernels (Kamer et al. 2020, §3.1 step iv).

The mixture is kept as truncated Gaussians (zero beyond a squared Mahalanobis
distance ``cutoff_sq``) plus uniform boxes, so every kernel touches only the points
of its *support*. Merging two kernels changes the mixture density only on the union
of the supports of the two kernels and their merger; candidate gains are updated
only where that set meets them.
"""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.spatial import cKDTree

from skgeoclust._kernels.boxes import filter_overlapping_pairs, overlapping_partners
from skgeoclust._kernels.gaussians import (
    accumulate_responsibility,
    add_density_and_label,
    any_marked,
    global_loglik_change,
    grid_support_densities,
    local_logliks,
    reaches_changed,
    relabel_after_merge,
    replace_pair_density,
    support_densities,
)
from skgeoclust.cluster._fault_network._boxes import gaussian_box

#: densities below exp(-CUTOFF_SQ / 2) of a kernel's peak are treated as zero
CUTOFF_SQ = 60.0
#: below this many samples a support is found by scanning every point in a Numba
#: loop (about 20 ns a point), which beats a KD-tree ball query whose ball around
#: an elongated kernel holds most of a small catalog anyway
_BRUTE_FORCE_SAMPLES = 8192
#: above that, supports of 3-D kernels are found through a uniform grid with about
#: this many cells per point (at most _GRID_MAX_CELLS): only the cells that meet the
#: bounding box of the truncation ellipsoid are scanned
_GRID_CELLS_PER_POINT = 4
_GRID_MAX_CELLS = 1 << 23
#: dead candidate pairs are dropped from the pair arrays when they outnumber the live
#: ones and this count, so per-merge scans stay proportional to the live pairs
_COMPACT_MIN_DEAD = 4096
#: after a merge, a global gain is re-evaluated only if some point changed its
#: mixture density by more than this fraction both in that merge and in the pair's
#: own candidate merge (elsewhere the gain moves by less than about its square per
#: point); the chosen pair's gain is always recomputed exactly before it is
#: merged, and every pass starts from exact gains
_RELATIVE_CHANGE_TOL = 1e-3
#: candidate mergers keep their supports and cores (point indices) for their next
#: evaluations while all those kept hold fewer than this many entries in all;
#: beyond it they are found again when needed (a core then counts as touched by
#: every nearby merge). About 16 bytes an entry.
_PAIR_CACHE_ENTRIES = 40_000_000


def n_kernel_parameters(n_features):
    """Free parameters of one kernel: mean, covariance, weight (10 in 3-D)."""
    return n_features + n_features * (n_features + 1) // 2 + 1


def regularized_cholesky(cov, reg_covar):
    """Lower Cholesky factor and log normalisation of ``cov + reg_covar * I``."""
    d = cov.shape[0]
    cov_reg = cov + reg_covar * np.eye(d)
    try:
        chol = np.linalg.cholesky(cov_reg)
    except np.linalg.LinAlgError:
        eigval, eigvec = np.linalg.eigh(cov)
        eigval = np.clip(eigval, 0.0, None) + reg_covar
        cov_reg = (eigvec * eigval) @ eigvec.T
        chol = np.linalg.cholesky(cov_reg)
    log_norm = -0.5 * d * np.log(2.0 * np.pi) - np.log(np.diag(chol)).sum()
    return cov_reg, chol, log_norm


class MergeEngine:
    """State of the mixture during merging. Private; used by the estimator.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    sample_weight : ndarray of shape (n_samples,)
    atoms : Atoms
        Initial kernels and background boxes (only ``means``, ``covariances``,
        ``weights`` and the ``bkg_*`` fields are read).
    reg_covar, overlap_factor : float
    verbose : int
    lazy : bool
    total_weight : float, default=None
        Weight of the whole catalog, whose log is the BIC penalty per parameter;
        ``None``: the weight of ``X``. A subset's engine gets the catalog's, so
        that its gains are those of the whole mixture restricted to its events.
    reference_density : ndarray of shape (n_samples,), default=None
        The density each event had at the end of its subset's own merging (scaled
        to the whole catalog), when the atoms are the kernels those mergings left.
        Their pairs are then known to have no positive gain where nothing has
        changed: a kernel is *frozen* while its weight is its subset's and it
        reaches no event (``w phi > tol p`` there) whose density differs from the
        reference by more than ``tol`` relatively (``tol`` the marking tolerance
        of the lazy gains), and a pair of two frozen kernels is not scored. New
        kernels are never frozen; frozen ones thaw when their surroundings change,
        at the start of every pass. ``None``: no kernel is frozen.
    """

    def __init__(
        self,
        X,
        sample_weight,
        atoms,
        *,
        reg_covar,
        overlap_factor,
        verbose=0,
        lazy=True,
        total_weight=None,
        reference_density=None,
    ):
        self.X = X
        self.s = sample_weight
        self.n, self.d = X.shape
        self.N = float(sample_weight.sum())
        # the BIC penalty counts the whole catalog's weight, also when the engine
        # merges one subset of it
        n_penalty = self.N if total_weight is None else float(total_weight)
        self.log_n = np.log(n_penalty) if n_penalty > 1 else 0.0
        self.P = n_kernel_parameters(self.d)
        self.reg = reg_covar
        self.factor = overlap_factor
        self.verbose = verbose
        self.tree = cKDTree(X)
        self.all_points = np.arange(self.n, dtype=np.int32)
        self._build_grid()
        n_atoms = atoms.means.shape[0]
        cap = 2 * n_atoms + 1
        d = self.d
        self.means = np.zeros((cap, d))
        self.cov_raw = np.zeros((cap, d, d))
        self.cov_reg = np.zeros((cap, d, d))
        self.chols = np.tile(np.eye(d), (cap, 1, 1))
        self.log_norms = np.zeros(cap)
        self.weights = np.zeros(cap)
        self.box_axes = np.tile(np.eye(d), (cap, 1, 1))
        self.box_half = np.zeros((cap, d))
        self.radius = np.zeros(cap)
        self.alive = np.zeros(cap, dtype=bool)
        self.support = [None] * cap
        self.phi = [None] * cap
        self.n_kernels = 0
        for k in range(n_atoms):
            self._add_kernel(atoms.means[k], atoms.covariances[k], atoms.weights[k])
        self.reference_density = reference_density
        self.reference_weights = self.weights.copy()
        self.frozen = np.zeros(cap, dtype=bool)
        self.frozen[:n_atoms] = reference_density is not None

        keep = atoms.bkg_weights > 0
        self.bkg_centers = np.ascontiguousarray(atoms.bkg_centers[keep])
        self.bkg_axes = np.ascontiguousarray(atoms.bkg_axes[keep])
        self.bkg_half = np.ascontiguousarray(atoms.bkg_half_extents[keep])
        self.bkg_volume = np.prod(2.0 * self.bkg_half, axis=1)
        self.bkg_weights = atoms.bkg_weights[keep].copy()
        self.bkg_members = [
            self._box_members(self.bkg_centers[b], self.bkg_axes[b], self.bkg_half[b])
            for b in range(self.bkg_weights.shape[0])
        ]
        self.p = np.zeros(self.n)
        self.labels = np.full(self.n, -1, dtype=np.int64)
        self.seen = np.zeros(self.n, dtype=np.int64)
        self.delta = np.zeros(self.n)
        self.mark = np.zeros(self.n, dtype=np.int64)  # points whose density changed
        self.core_buffer = np.empty(self.n, dtype=np.int32)
        self.n_marks = 0
        self.stamp = 0
        self._recompute_density()
        self.bic_path = [self.bic()]
        self.n_merges = 0
        self.n_pruned = 0
        self.criterion = "global"
        self.lazy = lazy
        self.n_evaluations = 0
        self._reset_pairs()

    # ------------------------------------------------------------------ kernels
    def _box_members(self, center, axes, half):
        proj = np.abs((self.X - center) @ axes.T)
        inside = np.all(proj <= half * (1.0 + 1e-9) + 1e-12, axis=1)
        return np.flatnonzero(inside).astype(np.int64)

    def _build_grid(self):
        """Uniform grid of cubic cells over the points (3-D, large ``n``): about
        ``_GRID_CELLS_PER_POINT`` cells per point over the bounding box, at most
        ``_GRID_MAX_CELLS``."""
        self.grid = None
        if self.d != 3 or self.n <= _BRUTE_FORCE_SAMPLES:
            return
        lower = self.X.min(axis=0)
        extent = np.maximum(self.X.max(axis=0) - lower, 1e-9)
        n_cells = min(_GRID_CELLS_PER_POINT * self.n, _GRID_MAX_CELLS)
        cell = max(float(np.prod(extent) / n_cells) ** (1.0 / 3.0), 1e-6)
        dims = (np.floor(extent / cell) + 1).astype(np.int64)
        while np.prod(dims) > _GRID_MAX_CELLS:
            cell *= 1.25
            dims = (np.floor(extent / cell) + 1).astype(np.int64)
        ijk = np.minimum(np.floor((self.X - lower) / cell).astype(np.int64), dims - 1)
        key = (ijk[:, 0] * dims[1] + ijk[:, 1]) * dims[2] + ijk[:, 2]
        order = np.argsort(key, kind="stable")
        cell_start = np.searchsorted(key[order], np.arange(np.prod(dims) + 1))
        self.grid = (
            np.ascontiguousarray(self.X[order]),
            order.astype(np.int32),
            cell_start.astype(np.int64),
            lower,
            cell,
            dims,
        )

    def _query_support(self, mean, chol, log_norm, radius):
        if self.grid is not None:
            return grid_support_densities(*self.grid, mean, chol, log_norm, CUTOFF_SQ)
        if self.n <= _BRUTE_FORCE_SAMPLES:
            cand = self.all_points
        else:
            cand = self.tree.query_ball_point(mean, radius * (1.0 + 1e-9) + 1e-12)
            cand = np.asarray(cand, dtype=np.int32)
        return support_densities(self.X, cand, mean, chol, log_norm, CUTOFF_SQ)

    def _kernel_geometry(self, mean, cov):
        cov_reg, chol, log_norm = regularized_cholesky(cov, self.reg)
        axes, half, eigval = gaussian_box(cov_reg, self.factor)
        radius = np.sqrt(CUTOFF_SQ * eigval[0])
        return cov_reg, chol, log_norm, axes, half, radius

    def _add_kernel(self, mean, cov, weight, geometry=None, support=None):
        k = self.n_kernels
        if geometry is None:
            geometry = self._kernel_geometry(mean, cov)
        cov_reg, chol, log_norm, axes, half, radius = geometry
        self.means[k] = mean
        self.cov_raw[k] = cov
        self.cov_reg[k] = cov_reg
        self.chols[k] = chol
        self.log_norms[k] = log_norm
        self.weights[k] = weight
        self.box_axes[k] = axes
        self.box_half[k] = half
        self.radius[k] = radius
        self.alive[k] = True
        if support is None:
            support = self._query_support(mean, chol, log_norm, radius)
        self.support[k], self.phi[k] = support
        self.n_kernels += 1
        return k

    def _live(self):
        return np.flatnonzero(self.alive[: self.n_kernels])

    def _near(self, center, radius):
        live = self._live()
        dist = np.linalg.norm(self.means[live] - center, axis=1)
        return live[dist <= self.radius[live] + radius]

    def _new_stamp(self):
        self.stamp += 1
        return self.stamp

    # ------------------------------------------------------------------ density
    def _recompute_density(self):
        """Mixture density and hard labels at every point, from the supports."""
        p = np.zeros(self.n)
        best = np.full(self.n, -np.inf)
        labels = np.full(self.n, -1, dtype=np.int64)
        for b in range(self.bkg_weights.shape[0]):
            members = self.bkg_members[b]
            dens = self.bkg_weights[b] / self.bkg_volume[b]
            p[members] += dens
            better = dens > best[members]
            labels[members[better]] = -1 - b
            best[members[better]] = dens
        for k in self._live():
            add_density_and_label(
                self.support[k], self.phi[k], self.weights[k], k, p, best, labels
            )
        self.p = p
        self.labels = labels
        self.best = best
        self._labels_stale = False
        self.loglik = float(self.s @ np.log(np.maximum(p, 1e-300)))

    def n_components(self):
        return int(self.alive[: self.n_kernels].sum()) + int(
            (self.bkg_weights > 0).sum()
        )

    def bic(self):
        k = self.P * self.n_components() - 1
        return -self.loglik + 0.5 * k * self.log_n

    # ------------------------------------------------------------------ pairs
    _PAIR_ARRAYS = (
        ("pair_a", np.int64, ()),
        ("pair_b", np.int64, ()),
        ("pair_gain", np.float64, ()),
        ("pair_alive", np.bool_, ()),
        ("pair_stale", np.bool_, ()),
        ("pair_center", np.float64, (1,)),
        ("pair_radius", np.float64, ()),
        ("pair_w", np.float64, ()),
        ("pair_cov", np.float64, (1, 1)),
        ("pair_cov_reg", np.float64, (1, 1)),
        ("pair_chol", np.float64, (1, 1)),
        ("pair_log_norm", np.float64, ()),
        ("pair_axes", np.float64, (1, 1)),
        ("pair_half", np.float64, (1,)),
        ("pair_kernel_radius", np.float64, ()),
    )

    def _pair_shape(self, tail):
        return tuple(self.d for _ in tail)

    def _thaw(self):
        """Unfreeze the kernels whose surroundings or weight have changed since
        their subset's merging (see ``reference_density``)."""
        frozen = np.flatnonzero(
            self.frozen[: self.n_kernels] & self.alive[: self.n_kernels]
        )
        if frozen.shape[0] == 0:
            return
        tol = _RELATIVE_CHANGE_TOL
        changed = np.abs(self.p - self.reference_density) > tol * self.p
        moved = np.abs(self.weights[frozen] - self.reference_weights[frozen]) > (
            tol * self.reference_weights[frozen]
        )
        for t, k in enumerate(frozen):
            if moved[t] or reaches_changed(
                self.support[k], self.phi[k], self.weights[k], self.p, changed, tol
            ):
                self.frozen[k] = False

    def _reset_pairs(self):
        for name, dtype, tail in self._PAIR_ARRAYS:
            setattr(self, name, np.zeros((0, *self._pair_shape(tail)), dtype=dtype))
        # per pair: (support, densities) of the merged kernel, found on first use,
        # and the points through which other merges can move its global gain
        self.pair_support = []
        self.pair_core = []
        self.cached_entries = 0
        self.n_pairs = 0
        live = self._live()
        if live.shape[0] < 2:
            return
        half_diag = np.linalg.norm(self.box_half[live], axis=1)
        tree = cKDTree(self.means[live])
        pairs = tree.query_pairs(
            2.0 * half_diag.max() * (1 + 1e-9) + 1e-12, output_type="ndarray"
        )
        if pairs.shape[0] == 0:
            return
        pairs = live[pairs]
        dist = np.linalg.norm(self.means[pairs[:, 0]] - self.means[pairs[:, 1]], axis=1)
        reach = np.linalg.norm(self.box_half[pairs[:, 0]], axis=1) + np.linalg.norm(
            self.box_half[pairs[:, 1]], axis=1
        )
        pairs = pairs[dist <= reach * (1 + 1e-9) + 1e-12]
        keep = filter_overlapping_pairs(
            np.ascontiguousarray(pairs), self.means, self.box_axes, self.box_half
        )
        pairs = pairs[keep]
        if self.reference_density is not None:
            self._thaw()
            pairs = pairs[~(self.frozen[pairs[:, 0]] & self.frozen[pairs[:, 1]])]
        self._add_pairs(
            pairs[:, 0].astype(np.int64),
            pairs[:, 1].astype(np.int64),
            compute_gain=False,
        )

    def _grow_pairs(self, extra):
        need = self.n_pairs + extra
        if need <= self.pair_a.shape[0]:
            return
        n_live = int(self.pair_alive[: self.n_pairs].sum())
        if self.n_pairs - n_live > max(n_live, _COMPACT_MIN_DEAD):
            self._compact_pairs()
            need = self.n_pairs + extra
            if need <= self.pair_a.shape[0]:
                return
        cap = max(need, 2 * self.pair_a.shape[0], 64)
        for name, _, _ in self._PAIR_ARRAYS:
            old = getattr(self, name)
            new = np.zeros((cap, *old.shape[1:]), dtype=old.dtype)
            new[: self.n_pairs] = old[: self.n_pairs]
            setattr(self, name, new)

    def _compact_pairs(self):
        """Drop dead pairs so per-merge scans stay O(live pairs)."""
        keep = np.flatnonzero(self.pair_alive[: self.n_pairs])
        for name, _, _ in self._PAIR_ARRAYS:
            old = getattr(self, name)
            new = np.zeros_like(old)
            new[: keep.shape[0]] = old[keep]
            setattr(self, name, new)
        self.pair_support = [self.pair_support[q] for q in keep]
        self.pair_core = [self.pair_core[q] for q in keep]
        self.n_pairs = keep.shape[0]

    def _add_pairs(self, A, B, compute_gain=True, estimate=None):
        """Candidate mergers of kernels ``A[t]`` and ``B[t]``: moment-matched
        Gaussians (vectorised) and their gains.

        With ``estimate`` (lazy gains), pairs with a finite estimate
        store it as a stale gain, evaluated exactly only if it reaches the top;
        the others are evaluated now.
        """
        m = A.shape[0]
        if m == 0:
            return
        self._grow_pairs(m)
        d = self.d
        wa, wb = self.weights[A], self.weights[B]
        w = wa + wb
        fa = np.where(w > 0, wa / np.where(w > 0, w, 1.0), 0.5)
        fb = 1.0 - fa
        mean = fa[:, None] * self.means[A] + fb[:, None] * self.means[B]
        da, db = self.means[A] - mean, self.means[B] - mean
        cov = fa[:, None, None] * (
            self.cov_raw[A] + da[:, :, None] * da[:, None, :]
        ) + fb[:, None, None] * (self.cov_raw[B] + db[:, :, None] * db[:, None, :])
        cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
        cov_reg = cov + self.reg * np.eye(d)
        eigval, eigvec = np.linalg.eigh(cov_reg)
        try:
            chol = np.linalg.cholesky(cov_reg)
        except np.linalg.LinAlgError:
            chol = np.array([regularized_cholesky(c, self.reg)[1] for c in cov])
        log_norm = -0.5 * d * np.log(2.0 * np.pi) - np.log(
            np.diagonal(chol, axis1=1, axis2=2)
        ).sum(axis=1)
        eigval = np.clip(eigval[:, ::-1], 0.0, None)
        axes = np.swapaxes(eigvec[:, :, ::-1], 1, 2)
        half = self.factor * np.sqrt(eigval)
        radius = np.sqrt(CUTOFF_SQ * eigval[:, 0])
        reach = np.maximum(
            np.linalg.norm(self.means[A] - mean, axis=1) + self.radius[A],
            np.linalg.norm(self.means[B] - mean, axis=1) + self.radius[B],
        )
        sl = slice(self.n_pairs, self.n_pairs + m)
        self.pair_a[sl] = A
        self.pair_b[sl] = B
        self.pair_alive[sl] = True
        self.pair_stale[sl] = True
        self.pair_gain[sl] = -np.inf
        self.pair_center[sl] = mean
        self.pair_radius[sl] = np.maximum(reach, radius)
        self.pair_w[sl] = w
        self.pair_cov[sl] = cov
        self.pair_cov_reg[sl] = cov_reg
        self.pair_chol[sl] = chol
        self.pair_log_norm[sl] = log_norm
        self.pair_axes[sl] = axes
        self.pair_half[sl] = half
        self.pair_kernel_radius[sl] = radius
        self.pair_support.extend([None] * m)
        self.pair_core.extend([None] * m)
        q0 = self.n_pairs
        self.n_pairs += m
        if not compute_gain:
            return
        for t in range(m):
            q = q0 + t
            if estimate is not None and np.isfinite(estimate[t]):
                self.pair_gain[q] = estimate[t]
            else:
                self._evaluate(q)

    def _cache(self, entries):
        """Whether ``entries`` more cached point indices fit the budget (then they
        are counted)."""
        if self.cached_entries + entries > _PAIR_CACHE_ENTRIES:
            return False
        self.cached_entries += entries
        return True

    def _drop_cache(self, q):
        for cached in (self.pair_support[q], self.pair_core[q]):
            if cached is not None:
                size = (
                    cached[0].shape[0] if isinstance(cached, tuple) else cached.shape[0]
                )
                self.cached_entries -= size
        self.pair_support[q] = None
        self.pair_core[q] = None

    def _pair_support(self, q):
        if self.pair_support[q] is None:
            support = self._query_support(
                self.pair_center[q],
                self.pair_chol[q],
                self.pair_log_norm[q],
                self.pair_kernel_radius[q],
            )
            if not self._cache(support[0].shape[0]):
                return support
            self.pair_support[q] = support
        return self.pair_support[q]

    def _evaluate(self, q):
        """Exact gain of pair ``q``, stored; the pair is fresh afterwards."""
        self.pair_gain[q] = self._gain(q)
        self.pair_stale[q] = False
        self.n_evaluations += 1
        return self.pair_gain[q]

    def _gain(self, q):
        a, b = self.pair_a[q], self.pair_b[q]
        if self.criterion == "global":
            support = self._pair_support(q)
            change, n_core = global_loglik_change(
                self.s,
                self.p,
                self.support[a],
                self.phi[a],
                self.weights[a],
                self.support[b],
                self.phi[b],
                self.weights[b],
                support[0],
                support[1],
                self.pair_w[q],
                self.delta,
                self.seen,
                self._new_stamp(),
                _RELATIVE_CHANGE_TOL,
                self.core_buffer,
            )
            if self.pair_core[q] is not None:
                self.cached_entries -= self.pair_core[q].shape[0]
            self.pair_core[q] = (
                self.core_buffer[:n_core].copy() if self._cache(n_core) else None
            )
            return change + 0.5 * self.P * self.log_n
        supp_a, supp_b = self.support[a], self.support[b]
        members = np.concatenate(
            [supp_a[self.labels[supp_a] == a], supp_b[self.labels[supp_b] == b]]
        )
        n_local = self.s[members].sum()
        if members.shape[0] == 0 or n_local <= 0:
            return -np.inf
        frac_a = self.s[supp_a[self.labels[supp_a] == a]].sum() / n_local
        sep, mrg = local_logliks(
            self.X,
            self.s,
            members,
            frac_a,
            self.means[a],
            self.chols[a],
            self.log_norms[a],
            self.means[b],
            self.chols[b],
            self.log_norms[b],
            self.pair_center[q],
            self.pair_chol[q],
            self.pair_log_norm[q],
            CUTOFF_SQ,
        )
        n_local = max(n_local, 1.0)
        return mrg - sep + 0.5 * self.P * np.log(n_local)

    def _refresh_all_gains(self):
        for q in np.flatnonzero(self.pair_alive[: self.n_pairs]):
            self._evaluate(q)

    # ------------------------------------------------------------------ merging
    def _merge(self, q):
        i, j = int(self.pair_a[q]), int(self.pair_b[q])
        w = self.pair_w[q]
        mean, cov = self.pair_center[q].copy(), self.pair_cov[q].copy()
        geometry = (
            self.pair_cov_reg[q].copy(),
            self.pair_chol[q].copy(),
            self.pair_log_norm[q],
            self.pair_axes[q].copy(),
            self.pair_half[q].copy(),
            self.pair_kernel_radius[q],
        )
        support = self._pair_support(q)
        center, radius = mean, self.pair_radius[q]
        supp_i, supp_j = self.support[i], self.support[j]
        phi_i, phi_j = self.phi[i], self.phi[j]
        k = self._add_kernel(mean, cov, w, geometry=geometry, support=support)
        self.alive[i] = self.alive[j] = False
        self.support[i] = self.support[j] = None
        self.phi[i] = self.phi[j] = None
        # pairs involving i or j are gone; their gains seed the estimates of the
        # new kernel's pairs with the same partners (lazy gains)
        n = self.n_pairs
        pa, pb = self.pair_a[:n], self.pair_b[:n]
        hit_a = (pa == i) | (pa == j)
        hit_b = (pb == i) | (pb == j)
        dead = np.flatnonzero((hit_a | hit_b) & self.pair_alive[:n])
        estimate = None
        if self.lazy:
            estimate = np.full(self.n_kernels, np.nan)
            partner = np.where(hit_a[dead], pb[dead], pa[dead])
            ok = (partner != i) & (partner != j)
            np.fmax.at(estimate, partner[ok], self.pair_gain[dead[ok]])
        for t in dead:
            self._drop_cache(t)
        self.pair_alive[dead] = False

        # mixture density and labels where it changed
        S = np.unique(np.concatenate([supp_i, supp_j, support[0]]))
        self.n_marks += 1
        stamp = self.n_marks
        self.loglik += replace_pair_density(
            self.s,
            self.p,
            S,
            supp_i,
            phi_i,
            self.weights[i],
            supp_j,
            phi_j,
            self.weights[j],
            support[0],
            support[1],
            w,
            self.delta,
            self.mark,
            stamp,
            _RELATIVE_CHANGE_TOL,
        )
        old_labels = self.labels[S].copy()
        if self.criterion == "global":
            self._labels_stale = True
        else:
            relabel_after_merge(
                self.X,
                S,
                i,
                j,
                k,
                self._near(center, radius),
                self.means,
                self.chols,
                self.log_norms,
                self.weights,
                CUTOFF_SQ,
                self.bkg_centers,
                self.bkg_axes,
                self.bkg_half,
                self.bkg_weights / self.bkg_volume,
                self.best,
                self.labels,
            )
        self.n_merges += 1
        self.bic_path.append(self.bic())

        # gains that changed
        n = self.n_pairs
        if self.criterion == "global":
            live_q = np.flatnonzero(self.pair_alive[:n] & ~self.pair_stale[:n])
            dist = np.linalg.norm(self.pair_center[live_q] - center, axis=1)
            cand = live_q[dist <= self.pair_radius[live_q] + radius]
            for t in cand:
                core = self.pair_core[t]
                if core is None or any_marked(core, self.mark, stamp):
                    if self.lazy:
                        self.pair_stale[t] = True
                    else:
                        self._evaluate(t)
        else:
            new_labels = self.labels[S]
            moved = new_labels != old_labels
            changed = np.unique(np.concatenate([old_labels[moved], new_labels[moved]]))
            changed = changed[changed >= 0]
            if changed.shape[0]:
                hit = np.isin(self.pair_a[:n], changed)
                hit |= np.isin(self.pair_b[:n], changed)
                for t in np.flatnonzero(hit & self.pair_alive[:n]):
                    if self.lazy:
                        self.pair_stale[t] = True
                    else:
                        self._evaluate(t)

        # candidate pairs of the new kernel
        live = self._live()
        live = live[live != k]
        if live.shape[0]:
            reach = np.linalg.norm(self.box_half[live], axis=1) + np.linalg.norm(
                self.box_half[k]
            )
            dist = np.linalg.norm(self.means[live] - mean, axis=1)
            close = live[dist <= reach * (1 + 1e-9) + 1e-12]
            others = overlapping_partners(
                k, close, self.means, self.box_axes, self.box_half
            )
            self._add_pairs(
                others,
                np.full(others.shape[0], k, dtype=np.int64),
                estimate=None if estimate is None else estimate[others],
            )
        return i, j, k

    def merge_pass(self, criterion):
        """Merge the best positive-gain pair until none is left; returns the count.

        A merge is made only on a fresh, exact gain that is at least every other
        stored gain (global gains are re-evaluated before every merge, for the
        marking tolerance of their updates). With ``lazy``, gains moved by a merge (and
        the gains of the new kernel's pairs, seeded from its parents' pairs with
        the same partner) are stale estimates, evaluated exactly only when they
        reach the top; a pass ends only when every gain is fresh and none is
        positive.
        """
        self.criterion = criterion
        if criterion == "local" and self._labels_stale:
            self._recompute_density()
        self._refresh_all_gains()
        count = 0
        while True:
            n = self.n_pairs
            if n == 0:
                break
            gains = np.where(self.pair_alive[:n], self.pair_gain[:n], -np.inf)
            q = int(np.argmax(gains))
            if not gains[q] > 0:
                stale = np.flatnonzero(self.pair_alive[:n] & self.pair_stale[:n])
                if stale.shape[0]:
                    for t in stale:
                        self._evaluate(t)
                    continue
                break
            if self.criterion == "global" or self.pair_stale[q]:
                # the stored gain may lag by the density changes below the marking
                # tolerance (global) or be a stale estimate: merge only on the
                # exact, fresh gain
                exact = self._evaluate(q)
                gains[q] = -np.inf
                if not exact > 0 or exact < gains.max():
                    continue
            i, j, _ = self._merge(q)
            count += 1
            if self.verbose == 1 and count % 1000 == 0:
                print(
                    f"  {count} merges, {self.n_components()} kernels, "
                    f"{int(self.pair_alive[: self.n_pairs].sum())} candidate pairs, "
                    f"{self.n_evaluations} gain evaluations"
                )
            if self.verbose > 1:
                print(
                    f"merge {i}+{j}: gain {gains[q]:.3f}, BIC {self.bic_path[-1]:.3f}"
                )
        return count

    # ------------------------------------------------------------------ weights
    def _em_weights(self, max_iter, tol):
        live = self._live()
        for _ in range(max_iter):
            old = self.loglik
            resp = np.array(
                [
                    accumulate_responsibility(
                        self.s, self.p, self.support[k], self.phi[k], self.weights[k]
                    )
                    for k in live
                ]
            ).reshape(-1)
            bkg_resp = np.array(
                [
                    self.s[m][self.p[m] > 0]
                    @ (
                        self.bkg_weights[b]
                        / self.bkg_volume[b]
                        / self.p[m][self.p[m] > 0]
                    )
                    for b, m in enumerate(self.bkg_members)
                ]
            ).reshape(-1)
            self.weights[live] = resp / self.N
            self.bkg_weights = bkg_resp / self.N
            gone = live[self.weights[live] <= 0]
            if gone.shape[0]:
                self.alive[gone] = False
                live = self._live()
            self._recompute_density()
            if abs(self.loglik - old) <= tol * max(abs(old), 1.0):
                break

    def _prune(self, min_count):
        """Delete Gaussians expected to hold fewer than ``min_count`` points when
        the deletion lowers the BIC (the rest of the mixture is renormalised).

        Returns the number deleted.
        """
        removed = 0
        while True:
            live = self._live()
            small = live[self.weights[live] * self.N < min_count]
            best_gain, best_k = 0.0, -1
            for k in small:
                supp, w = self.support[k], self.weights[k]
                if w >= 1.0:
                    continue
                p_old = self.p[supp]
                p_new = np.maximum(p_old - w * self.phi[k], 0.0)
                change = self.s[supp] @ (
                    np.log(np.maximum(p_new, 1e-300))
                    - np.log(np.maximum(p_old, 1e-300))
                ) - self.N * np.log1p(-w)
                gain = change + 0.5 * self.P * self.log_n
                if gain > best_gain:
                    best_gain, best_k = gain, k
            if best_k < 0:
                return removed
            scale = 1.0 / (1.0 - self.weights[best_k])
            self.alive[best_k] = False
            self.weights[: self.n_kernels] *= scale
            self.bkg_weights = self.bkg_weights * scale
            self._recompute_density()
            self.bic_path.append(self.bic())
            removed += 1

    def refit_weights(self, min_count, max_iter=100, tol=1e-8):
        """EM on the mixture weights with kernel shapes fixed, then deletion of
        Gaussians expected to hold fewer than ``min_count`` points where that
        lowers the BIC; repeated until nothing is deleted. Never raises the BIC.

        Returns the number of Gaussians deleted.
        """
        removed = 0
        while True:
            self._em_weights(max_iter, tol)
            self.bic_path.append(self.bic())
            gone = self._prune(min_count)
            removed += gone
            if gone == 0:
                break
        self._reset_pairs()
        return removed

    def run(self, criteria, refit=True, min_count=4, max_rounds=50):
        """Merge passes (one per criterion in turn) alternated with weight refits
        until a pass merges nothing."""
        for criterion in criteria:
            for _ in range(max_rounds):
                merged = self.merge_pass(criterion)
                if self.verbose:
                    print(
                        f"{criterion}: {merged} merges, {self.n_components()} "
                        f"kernels, BIC {self.bic_path[-1]:.3f}"
                    )
                if not refit:
                    break
                removed = self.refit_weights(min_count)
                self.n_pruned += removed
                if merged == 0 and removed == 0:
                    break

    def result(self):
        live = self._live()
        return (
            self.means[live].copy(),
            self.cov_reg[live].copy(),
            self.weights[live].copy(),
            self.bkg_centers,
            self.bkg_axes,
            self.bkg_half,
            self.bkg_weights.copy(),
        )
