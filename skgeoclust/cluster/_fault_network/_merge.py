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
    local_logliks,
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
#: after a merge, a global gain is re-evaluated only if some point changed its
#: mixture density by more than this fraction both in that merge and in the pair's
#: own candidate merge (elsewhere the gain moves by less than about its square per
#: point); the chosen pair's gain is always recomputed exactly before it is
#: merged, and every pass starts from exact gains
_RELATIVE_CHANGE_TOL = 1e-3


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
    reg_covar, overlap_factor : float
    verbose : int
    """

    def __init__(self, X, sample_weight, atoms, *, reg_covar, overlap_factor, verbose=0):
        self.X = X
        self.s = sample_weight
        self.n, self.d = X.shape
        self.N = float(sample_weight.sum())
        self.log_n = np.log(self.N) if self.N > 1 else 0.0
        self.P = n_kernel_parameters(self.d)
        self.reg = reg_covar
        self.factor = overlap_factor
        self.verbose = verbose
        self.tree = cKDTree(X)
        self.all_points = np.arange(self.n, dtype=np.int32)
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
        self._reset_pairs()

    # ------------------------------------------------------------------ kernels
    def _box_members(self, center, axes, half):
        proj = np.abs((self.X - center) @ axes.T)
        inside = np.all(proj <= half * (1.0 + 1e-9) + 1e-12, axis=1)
        return np.flatnonzero(inside).astype(np.int64)

    def _query_support(self, mean, chol, log_norm, radius):
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
    def _reset_pairs(self):
        self.pair_a = np.zeros(0, dtype=np.int64)
        self.pair_b = np.zeros(0, dtype=np.int64)
        self.pair_gain = np.zeros(0)
        self.pair_alive = np.zeros(0, dtype=bool)
        self.pair_center = np.zeros((0, self.d))
        self.pair_radius = np.zeros(0)
        self.pair_cache = []
        self.pair_core = []
        self.n_pairs = 0
        live = self._live()
        if live.shape[0] < 2:
            return
        half_diag = np.linalg.norm(self.box_half[live], axis=1)
        tree = cKDTree(self.means[live])
        pairs = tree.query_pairs(2.0 * half_diag.max() * (1 + 1e-9) + 1e-12,
                                 output_type="ndarray")
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
        self._add_pairs(pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64),
                        compute_gain=False)

    def _grow_pairs(self, extra):
        need = self.n_pairs + extra
        if need <= self.pair_a.shape[0]:
            return
        cap = max(need, 2 * self.pair_a.shape[0], 64)
        for name in ("pair_a", "pair_b", "pair_gain", "pair_alive", "pair_radius"):
            old = getattr(self, name)
            new = np.zeros(cap, dtype=old.dtype)
            new[: old.shape[0]] = old
            setattr(self, name, new)
        new = np.zeros((cap, self.d))
        new[: self.pair_center.shape[0]] = self.pair_center
        self.pair_center = new

    def _add_pairs(self, A, B, compute_gain=True):
        """Candidate mergers of kernels ``A[t]`` and ``B[t]``: moment-matched
        Gaussians (vectorised), their supports, and their gains."""
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
        cov = (fa[:, None, None] * (self.cov_raw[A] + da[:, :, None] * da[:, None, :])
               + fb[:, None, None] * (self.cov_raw[B] + db[:, :, None] * db[:, None, :]))
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
        q0 = self.n_pairs
        self.pair_a[q0 : q0 + m] = A
        self.pair_b[q0 : q0 + m] = B
        self.pair_alive[q0 : q0 + m] = True
        self.pair_center[q0 : q0 + m] = mean
        self.pair_radius[q0 : q0 + m] = np.maximum(reach, radius)
        for t in range(m):
            geometry = (cov_reg[t], chol[t], log_norm[t], axes[t], half[t], radius[t])
            support = self._query_support(mean[t], chol[t], log_norm[t], radius[t])
            self.pair_cache.append((w[t], mean[t], cov[t], geometry, support))
            self.pair_core.append(None)
        self.n_pairs += m
        for q in range(q0, q0 + m):
            self.pair_gain[q] = self._gain(q) if compute_gain else -np.inf

    def _gain(self, q):
        a, b = self.pair_a[q], self.pair_b[q]
        w, mean, cov, geometry, support = self.pair_cache[q]
        chol, log_norm = geometry[1], geometry[2]
        if self.criterion == "global":
            change, n_core = global_loglik_change(
                self.s, self.p,
                self.support[a], self.phi[a], self.weights[a],
                self.support[b], self.phi[b], self.weights[b],
                support[0], support[1], w, self.delta, self.seen, self._new_stamp(),
                _RELATIVE_CHANGE_TOL, self.core_buffer,
            )
            self.pair_core[q] = self.core_buffer[:n_core].copy()
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
            self.X, self.s, members, frac_a,
            self.means[a], self.chols[a], self.log_norms[a],
            self.means[b], self.chols[b], self.log_norms[b],
            mean, chol, log_norm, CUTOFF_SQ,
        )
        n_local = max(n_local, 1.0)
        return mrg - sep + 0.5 * self.P * np.log(n_local)

    def _refresh_all_gains(self):
        for q in np.flatnonzero(self.pair_alive[: self.n_pairs]):
            self.pair_gain[q] = self._gain(q)

    # ------------------------------------------------------------------ merging
    def _merge(self, q):
        i, j = int(self.pair_a[q]), int(self.pair_b[q])
        w, mean, cov, geometry, support = self.pair_cache[q]
        supp_i, supp_j = self.support[i], self.support[j]
        phi_i, phi_j = self.phi[i], self.phi[j]
        k = self._add_kernel(mean, cov, w, geometry=geometry, support=support)
        self.alive[i] = self.alive[j] = False
        self.support[i] = self.support[j] = None
        self.phi[i] = self.phi[j] = None
        # pairs involving i or j are gone
        n = self.n_pairs
        dead = (self.pair_a[:n] == i) | (self.pair_a[:n] == j)
        dead |= (self.pair_b[:n] == i) | (self.pair_b[:n] == j)
        for t in np.flatnonzero(dead & self.pair_alive[:n]):
            self.pair_cache[t] = None
            self.pair_core[t] = None
        self.pair_alive[:n] &= ~dead

        # mixture density and labels where it changed
        S = np.unique(np.concatenate([supp_i, supp_j, support[0]]))
        center, radius = mean, self.pair_radius[q]
        self.n_marks += 1
        stamp = self.n_marks
        self.loglik += replace_pair_density(
            self.s, self.p, S, supp_i, phi_i, self.weights[i],
            supp_j, phi_j, self.weights[j], support[0], support[1], w, self.delta,
            self.mark, stamp, _RELATIVE_CHANGE_TOL,
        )
        old_labels = self.labels[S].copy()
        if self.criterion == "global":
            self._labels_stale = True
        else:
            relabel_after_merge(
                self.X, S, i, j, k, self._near(center, radius), self.means,
                self.chols, self.log_norms, self.weights, CUTOFF_SQ,
                self.bkg_centers, self.bkg_axes, self.bkg_half,
                self.bkg_weights / self.bkg_volume, self.best, self.labels,
            )
        self.n_merges += 1
        self.bic_path.append(self.bic())

        # gains that changed
        if self.criterion == "global":
            n = self.n_pairs
            live_q = np.flatnonzero(self.pair_alive[:n])
            dist = np.linalg.norm(self.pair_center[live_q] - center, axis=1)
            cand = live_q[dist <= self.pair_radius[live_q] + radius]
            for t in cand:
                if any_marked(self.pair_core[t], self.mark, stamp):
                    self.pair_gain[t] = self._gain(t)
        else:
            new_labels = self.labels[S]
            moved = new_labels != old_labels
            changed = np.unique(np.concatenate([old_labels[moved], new_labels[moved]]))
            changed = changed[changed >= 0]
            if changed.shape[0]:
                n = self.n_pairs
                hit = np.isin(self.pair_a[:n], changed) | np.isin(self.pair_b[:n], changed)
                for t in np.flatnonzero(hit & self.pair_alive[:n]):
                    self.pair_gain[t] = self._gain(t)

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
            self._add_pairs(others, np.full(others.shape[0], k, dtype=np.int64))
        return i, j, k

    def merge_pass(self, criterion):
        """Merge the best positive-gain pair until none is left; returns the count."""
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
                break
            if self.criterion == "global":
                # the stored gain may lag by the density changes below the marking
                # tolerance: merge only on the exact, fresh gain
                exact = self._gain(q)
                self.pair_gain[q] = exact
                gains[q] = -np.inf
                if not exact > 0 or exact < gains.max():
                    continue
            i, j, _ = self._merge(q)
            count += 1
            if self.verbose == 1 and count % 1000 == 0:
                print(f"  {count} merges, {self.n_components()} kernels, "
                      f"{int(self.pair_alive[: self.n_pairs].sum())} candidate pairs")
            if self.verbose > 1:
                print(f"merge {i}+{j}: gain {gains[q]:.3f}, BIC {self.bic_path[-1]:.3f}")
        return count

    # ------------------------------------------------------------------ weights
    def _em_weights(self, max_iter, tol):
        live = self._live()
        for _ in range(max_iter):
            old = self.loglik
            resp = np.array([
                accumulate_responsibility(
                    self.s, self.p, self.support[k], self.phi[k], self.weights[k]
                ) for k in live
            ]).reshape(-1)
            bkg_resp = np.array([
                self.s[m][self.p[m] > 0] @ (
                    self.bkg_weights[b] / self.bkg_volume[b] / self.p[m][self.p[m] > 0]
                ) for b, m in enumerate(self.bkg_members)
            ]).reshape(-1)
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
                    np.log(np.maximum(p_new, 1e-300)) - np.log(np.maximum(p_old, 1e-300))
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
                    print(f"{criterion}: {merged} merges, {self.n_components()} "
                          f"kernels, BIC {self.bic_path[-1]:.3f}")
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
            self.bkg_centers, self.bkg_axes, self.bkg_half, self.bkg_weights.copy(),
        )

