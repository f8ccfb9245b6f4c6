"""Truncated Gaussian and uniform-box densities, and the BIC-gain pieces of the
fault-network mixture (Kamer et al. 2020)."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit, prange

from skgeoclust.utils._config import NUMBA_CACHE


@njit(cache=NUMBA_CACHE, nogil=True)
def mahalanobis_sq(x, mean, chol):
    """Squared Mahalanobis distance of ``x`` from a Gaussian.

    Parameters
    ----------
    x, mean : ndarray of shape (n_features,)
    chol : ndarray of shape (n_features, n_features)
        Lower Cholesky factor ``L`` of the covariance, ``Sigma = L L^T``.

    .. math:: d^2 = \\lVert L^{-1} (x - \\mu) \\rVert^2

    Forward substitution without allocation for up to three features (the
    hypocentre case); a scratch vector otherwise.
    """
    d = x.shape[0]
    if d == 3:
        y0 = (x[0] - mean[0]) / chol[0, 0]
        y1 = (x[1] - mean[1] - chol[1, 0] * y0) / chol[1, 1]
        y2 = (x[2] - mean[2] - chol[2, 0] * y0 - chol[2, 1] * y1) / chol[2, 2]
        return y0 * y0 + y1 * y1 + y2 * y2
    if d == 2:
        y0 = (x[0] - mean[0]) / chol[0, 0]
        y1 = (x[1] - mean[1] - chol[1, 0] * y0) / chol[1, 1]
        return y0 * y0 + y1 * y1
    if d == 1:
        y0 = (x[0] - mean[0]) / chol[0, 0]
        return y0 * y0
    y = np.empty(d)
    total = 0.0
    for r in range(d):
        acc = x[r] - mean[r]
        for c in range(r):
            acc -= chol[r, c] * y[c]
        y[r] = acc / chol[r, r]
        total += y[r] * y[r]
    return total


@njit(cache=NUMBA_CACHE, nogil=True)
def gaussian_density(x, mean, chol, log_norm, cutoff_sq):
    """Truncated Gaussian density: ``exp(log_norm - d^2 / 2)`` if ``d^2 <= cutoff_sq``,
    else 0."""
    d2 = mahalanobis_sq(x, mean, chol)
    if d2 > cutoff_sq:
        return 0.0
    return np.exp(log_norm - 0.5 * d2)


@njit(cache=NUMBA_CACHE, nogil=True)
def box_contains(x, center, axes, half_extents):
    """Whether ``x`` lies in the oriented box (rows of ``axes`` are its unit axes)."""
    d = x.shape[0]
    for a in range(d):
        proj = 0.0
        for c in range(d):
            proj += (x[c] - center[c]) * axes[a, c]
        if abs(proj) > half_extents[a] * (1.0 + 1e-9) + 1e-12:
            return False
    return True


@njit(cache=NUMBA_CACHE, nogil=True)
def mark_points(idx, mark, stamp):
    """Set ``mark[idx] = stamp``."""
    for t in range(idx.shape[0]):
        mark[idx[t]] = stamp


@njit(cache=NUMBA_CACHE, nogil=True)
def any_marked(idx, mark, stamp):
    """Whether any ``mark[idx] == stamp``."""
    for t in range(idx.shape[0]):
        if mark[idx[t]] == stamp:
            return True
    return False


@njit(cache=NUMBA_CACHE, nogil=True)
def _log_floor(v):
    return np.log(v) if v > 1e-300 else np.log(1e-300)


@njit(cache=NUMBA_CACHE, nogil=True)
def local_logliks(
    X,
    sample_weight,
    members,
    frac_a,
    mean_a,
    chol_a,
    lnorm_a,
    mean_b,
    chol_b,
    lnorm_b,
    mean_ab,
    chol_ab,
    lnorm_ab,
    cutoff_sq,
):
    """Log-likelihoods of the points hard-assigned to ``a`` or ``b`` under the
    two-kernel model (weights ``frac_a``, ``1 - frac_a``) and under the merged kernel
    alone (local criterion).

    Returns
    -------
    separate, merged : float
    """
    sep = 0.0
    mrg = 0.0
    for t in range(members.shape[0]):
        i = members[t]
        x = X[i]
        s = sample_weight[i]
        v = frac_a * gaussian_density(x, mean_a, chol_a, lnorm_a, cutoff_sq)
        v += (1.0 - frac_a) * gaussian_density(x, mean_b, chol_b, lnorm_b, cutoff_sq)
        sep += s * _log_floor(v)
        mrg += s * _log_floor(
            gaussian_density(x, mean_ab, chol_ab, lnorm_ab, cutoff_sq)
        )
    return sep, mrg


@njit(cache=NUMBA_CACHE, nogil=True, parallel=True)
def gaussian_log_density_matrix(X, means, chols, log_norms, cutoff_sq, out):
    """``out[n, k] = log phi_k(x_n)`` for truncated Gaussians (``-inf`` beyond the
    cutoff).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    means : ndarray of shape (n_kernels, n_features)
    chols : ndarray of shape (n_kernels, n_features, n_features)
    log_norms : ndarray of shape (n_kernels,)
    out : ndarray of shape (n_samples, n_kernels)
    """
    for n in prange(X.shape[0]):
        for k in range(means.shape[0]):
            d2 = mahalanobis_sq(X[n], means[k], chols[k])
            if d2 > cutoff_sq:
                out[n, k] = -np.inf
            else:
                out[n, k] = log_norms[k] - 0.5 * d2


@njit(cache=NUMBA_CACHE, nogil=True)
def gaussian_log_density_matrix_serial(X, means, chols, log_norms, cutoff_sq, out):
    """Serial twin of :func:`gaussian_log_density_matrix` (same output)."""
    for n in range(X.shape[0]):
        for k in range(means.shape[0]):
            d2 = mahalanobis_sq(X[n], means[k], chols[k])
            if d2 > cutoff_sq:
                out[n, k] = -np.inf
            else:
                out[n, k] = log_norms[k] - 0.5 * d2


@njit(cache=NUMBA_CACHE, nogil=True)
def relabel_after_merge(
    X,
    S,
    a,
    b,
    k,
    kernel_ids,
    means,
    chols,
    log_norms,
    weights,
    cutoff_sq,
    bkg_centers,
    bkg_axes,
    bkg_half,
    bkg_density,
    best,
    labels,
):
    """Hard labels on ``S`` after kernels ``a`` and ``b`` merged into ``k``.

    Points labelled ``a`` or ``b`` are re-labelled from scratch over the
    backgrounds and ``kernel_ids`` (ascending, backgrounds first on ties, as
    :func:`mixture_density_at`), unless ``k`` strictly beats their old best (then
    it beats every other kernel, whose densities did not change); the others
    switch to ``k`` only if it beats their current best weighted density.
    ``best`` holds that density per point.
    """
    for t in range(S.shape[0]):
        i = S[t]
        x = X[i]
        if labels[i] == a or labels[i] == b:
            # every other kernel's weighted density is at most best[i] (that of a or
            # b): if k beats it strictly, k is the new label without the full scan
            v = weights[k] * gaussian_density(
                x, means[k], chols[k], log_norms[k], cutoff_sq
            )
            if v > best[i]:
                best[i] = v
                labels[i] = k
                continue
            top = -1.0
            top_label = -1
            for q in range(bkg_density.shape[0]):
                if bkg_density[q] > 0.0 and box_contains(
                    x, bkg_centers[q], bkg_axes[q], bkg_half[q]
                ):
                    if bkg_density[q] > top:
                        top = bkg_density[q]
                        top_label = -1 - q
            for u in range(kernel_ids.shape[0]):
                c = kernel_ids[u]
                v = weights[c] * gaussian_density(
                    x, means[c], chols[c], log_norms[c], cutoff_sq
                )
                if v > top:
                    top = v
                    top_label = c
            best[i] = top
            labels[i] = top_label
        else:
            v = weights[k] * gaussian_density(
                x, means[k], chols[k], log_norms[k], cutoff_sq
            )
            if v > best[i]:
                best[i] = v
                labels[i] = k


@njit(cache=NUMBA_CACHE, nogil=True)
def support_densities(X, candidates, mean, chol, log_norm, cutoff_sq):
    """Points among ``candidates`` within the truncation cutoff, and the Gaussian
    density at each.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    candidates : ndarray of shape (n_candidates,) of int

    Returns
    -------
    support : ndarray of shape (n_support,) of int32
        (int32 halves the memory of the many cached supports.)
    density : ndarray of shape (n_support,)
        ``phi(x)`` (unweighted).
    """
    keep = np.empty(candidates.shape[0], dtype=np.int32)
    dens = np.empty(candidates.shape[0])
    n_keep = 0
    d = X.shape[1]
    if d == 3:
        # hoist the reciprocal diagonal: no division in the loop
        r0, r1, r2 = 1.0 / chol[0, 0], 1.0 / chol[1, 1], 1.0 / chol[2, 2]
        l10, l20, l21 = chol[1, 0], chol[2, 0], chol[2, 1]
        m0, m1, m2 = mean[0], mean[1], mean[2]
        for t in range(candidates.shape[0]):
            i = candidates[t]
            y0 = (X[i, 0] - m0) * r0
            y1 = (X[i, 1] - m1 - l10 * y0) * r1
            y2 = (X[i, 2] - m2 - l20 * y0 - l21 * y1) * r2
            d2 = y0 * y0 + y1 * y1 + y2 * y2
            if d2 <= cutoff_sq:
                keep[n_keep] = i
                dens[n_keep] = np.exp(log_norm - 0.5 * d2)
                n_keep += 1
        return keep[:n_keep].copy(), dens[:n_keep].copy()
    for t in range(candidates.shape[0]):
        i = candidates[t]
        d2 = mahalanobis_sq(X[i], mean, chol)
        if d2 <= cutoff_sq:
            keep[n_keep] = i
            dens[n_keep] = np.exp(log_norm - 0.5 * d2)
            n_keep += 1
    return keep[:n_keep].copy(), dens[:n_keep].copy()


@njit(cache=NUMBA_CACHE, nogil=True)
def _scatter_merge_delta(
    supp_a, phi_a, w_a, supp_b, phi_b, w_b, supp_ab, phi_ab, w_ab, delta
):
    for t in range(supp_a.shape[0]):
        delta[supp_a[t]] -= w_a * phi_a[t]
    for t in range(supp_b.shape[0]):
        delta[supp_b[t]] -= w_b * phi_b[t]
    for t in range(supp_ab.shape[0]):
        delta[supp_ab[t]] += w_ab * phi_ab[t]


@njit(cache=NUMBA_CACHE, nogil=True)
def _log_ratio(p_old, d):
    """``log(max(p_old + d, 0)) - log(p_old)`` with both floored at 1e-300."""
    p_new = p_old + d
    if p_old > 1e-300 and p_new > 1e-300:
        return np.log1p(d / p_old)
    if p_new < 0.0:
        p_new = 0.0
    return _log_floor(p_new) - _log_floor(p_old)


@njit(cache=NUMBA_CACHE, nogil=True)
def global_loglik_change(
    sample_weight,
    p,
    supp_a,
    phi_a,
    w_a,
    supp_b,
    phi_b,
    w_b,
    supp_ab,
    phi_ab,
    w_ab,
    delta,
    seen,
    stamp,
    rel_tol,
    core,
):
    """Change of the weighted log-likelihood when kernels ``a`` and ``b`` are
    replaced by their merger ``ab`` (global criterion).

    Only the union of the three supports is touched: elsewhere the three weighted
    densities are zero, so the mixture density ``p`` does not change.

    .. math::

        \\Delta = \\sum_n s_n \\left[\\log\\left(p_n - w_a\\phi_a(x_n)
        - w_b\\phi_b(x_n) + w_{ab}\\phi_{ab}(x_n)\\right) - \\log p_n\\right]

    Parameters
    ----------
    sample_weight, p : ndarray of shape (n_samples,)
    supp_a, phi_a : ndarray of shape (n_a,)
        Support of ``a`` and its (unweighted) densities there; same for ``b``
        and ``ab``.
    w_a, w_b, w_ab : float
        Mixture weights.
    delta : ndarray of shape (n_samples,)
        Scratch, all zeros on entry and on exit.
    seen : ndarray of shape (n_samples,) of int64
        Scratch for de-duplication; ``stamp`` must not occur in it yet.
    rel_tol : float
    core : ndarray of shape (>= n_a + n_b + n_ab,) of int32
        Receives the points where the merge changes the density by more than
        ``rel_tol`` relatively (the points through which later density changes
        can move this gain).

    Returns
    -------
    change : float
    n_core : int
        Number of entries written to ``core``.
    """
    _scatter_merge_delta(
        supp_a, phi_a, w_a, supp_b, phi_b, w_b, supp_ab, phi_ab, w_ab, delta
    )
    total = 0.0
    n_core = 0
    for which in range(3):
        supp = supp_a if which == 0 else (supp_b if which == 1 else supp_ab)
        for t in range(supp.shape[0]):
            i = supp[t]
            if seen[i] == stamp:
                continue
            seen[i] = stamp
            d = delta[i]
            total += sample_weight[i] * _log_ratio(p[i], d)
            if abs(d) > rel_tol * p[i]:
                core[n_core] = i
                n_core += 1
            delta[i] = 0.0
    return total, n_core


@njit(cache=NUMBA_CACHE, nogil=True)
def replace_pair_density(
    sample_weight,
    p,
    S,
    supp_a,
    phi_a,
    w_a,
    supp_b,
    phi_b,
    w_b,
    supp_ab,
    phi_ab,
    w_ab,
    delta,
    mark,
    stamp,
    rel_tol,
):
    """Apply a merge to the mixture density: ``p += w_ab phi_ab - w_a phi_a -
    w_b phi_b`` on ``S``, the sorted union of the three supports.

    Points whose density changed by more than ``rel_tol`` relatively get
    ``mark[i] = stamp`` (the gains that see them must be re-evaluated).

    Returns
    -------
    change : float
        Change of the weighted log-likelihood.
    """
    _scatter_merge_delta(
        supp_a, phi_a, w_a, supp_b, phi_b, w_b, supp_ab, phi_ab, w_ab, delta
    )
    total = 0.0
    for t in range(S.shape[0]):
        i = S[t]
        d = delta[i]
        total += sample_weight[i] * _log_ratio(p[i], d)
        if abs(d) > rel_tol * p[i]:
            mark[i] = stamp
        p_new = p[i] + d
        p[i] = p_new if p_new > 0.0 else 0.0
        delta[i] = 0.0
    return total


@njit(cache=NUMBA_CACHE, nogil=True)
def add_density_and_label(supp, phi, weight, k, p, best, labels):
    """``p[supp] += weight * phi``; label ``k`` where that weighted density beats
    ``best`` (strictly, so earlier kernels win ties)."""
    for t in range(supp.shape[0]):
        i = supp[t]
        v = weight * phi[t]
        p[i] += v
        if v > best[i]:
            best[i] = v
            labels[i] = k


@njit(cache=NUMBA_CACHE, nogil=True)
def accumulate_responsibility(sample_weight, p, supp, phi, weight):
    """Weighted sum of one kernel's responsibilities over its support,
    ``sum_n s_n w phi(x_n) / p_n`` (the E-step count of the weight update)."""
    total = 0.0
    for t in range(supp.shape[0]):
        i = supp[t]
        if p[i] > 0.0:
            total += sample_weight[i] * weight * phi[t] / p[i]
    return total


@njit(cache=NUMBA_CACHE, nogil=True)
def grid_support_densities(
    X_sorted, order, cell_start, lower, cell, dims, mean, chol, log_norm, cutoff_sq
):
    """Same output as :func:`support_densities` over all points (3-D only), found
    through a uniform grid of cubic cells instead of a candidate list.

    Only the cells that meet the axis-aligned bounding box of the truncation
    ellipsoid (half-width ``sqrt(cutoff_sq * Sigma_ee)`` along axis ``e``) are
    scanned; the points of a cell are contiguous in ``X_sorted``.

    Parameters
    ----------
    X_sorted : ndarray of shape (n_samples, 3)
        The points ordered by cell.
    order : ndarray of shape (n_samples,) of int32
        Original index of each row of ``X_sorted``.
    cell_start : ndarray of shape (n_cells + 1,) of int64
        Rows of cell ``c`` are ``cell_start[c]:cell_start[c + 1]``; cell of
        integer coordinates ``(i, j, l)`` is ``(i * dims[1] + j) * dims[2] + l``.
    lower : ndarray of shape (3,)
        Lower corner of the grid.
    cell : float
        Side of a cell.
    dims : ndarray of shape (3,) of int64
    mean, chol, log_norm, cutoff_sq
        The truncated Gaussian, as in :func:`support_densities`.

    Returns
    -------
    support : ndarray of shape (n_support,) of int32
    density : ndarray of shape (n_support,)
    """
    lo = np.empty(3, dtype=np.int64)
    hi = np.empty(3, dtype=np.int64)
    for e in range(3):
        var = 0.0
        for c in range(e + 1):
            var += chol[e, c] * chol[e, c]
        hw = np.sqrt(cutoff_sq * var) * (1.0 + 1e-9) + 1e-12
        a = np.floor((mean[e] - hw - lower[e]) / cell)
        b = np.floor((mean[e] + hw - lower[e]) / cell)
        lo[e] = max(int(a), 0) if a > -1e18 else 0
        hi[e] = min(int(b), dims[e] - 1) if b < 1e18 else dims[e] - 1
        if lo[e] > hi[e]:
            return np.empty(0, dtype=np.int32), np.empty(0)
    n_cand = 0
    for i in range(lo[0], hi[0] + 1):
        for j in range(lo[1], hi[1] + 1):
            base = (i * dims[1] + j) * dims[2]
            n_cand += cell_start[base + hi[2] + 1] - cell_start[base + lo[2]]
    keep = np.empty(n_cand, dtype=np.int32)
    dens = np.empty(n_cand)
    n_keep = 0
    r0, r1, r2 = 1.0 / chol[0, 0], 1.0 / chol[1, 1], 1.0 / chol[2, 2]
    l10, l20, l21 = chol[1, 0], chol[2, 0], chol[2, 1]
    m0, m1, m2 = mean[0], mean[1], mean[2]
    for i in range(lo[0], hi[0] + 1):
        for j in range(lo[1], hi[1] + 1):
            base = (i * dims[1] + j) * dims[2]
            # cells (i, j, lo[2]..hi[2]) are consecutive: one contiguous run of rows
            for t in range(cell_start[base + lo[2]], cell_start[base + hi[2] + 1]):
                y0 = (X_sorted[t, 0] - m0) * r0
                y1 = (X_sorted[t, 1] - m1 - l10 * y0) * r1
                y2 = (X_sorted[t, 2] - m2 - l20 * y0 - l21 * y1) * r2
                d2 = y0 * y0 + y1 * y1 + y2 * y2
                if d2 <= cutoff_sq:
                    keep[n_keep] = order[t]
                    dens[n_keep] = np.exp(log_norm - 0.5 * d2)
                    n_keep += 1
    return keep[:n_keep].copy(), dens[:n_keep].copy()


@njit(cache=NUMBA_CACHE, nogil=True)
def reaches_changed(supp, phi, weight, p, changed, rel_tol):
    """Whether a kernel holds more than ``rel_tol`` of the density at some point
    flagged in ``changed``: ``weight * phi > rel_tol * p`` there.

    Parameters
    ----------
    supp, phi : ndarray of shape (n_support,)
        The kernel's support and its (unweighted) densities there.
    weight : float
    p : ndarray of shape (n_samples,)
        Mixture density.
    changed : ndarray of shape (n_samples,) of bool
    rel_tol : float
    """
    for t in range(supp.shape[0]):
        i = supp[t]
        if changed[i] and weight * phi[t] > rel_tol * p[i]:
            return True
    return False
