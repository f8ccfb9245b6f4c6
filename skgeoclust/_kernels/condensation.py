"""Catalog condensation (Kamer et al. 2015): weight transfer between Gaussian
location PDFs, and the maximum-likelihood assignment of events to the condensed
kernels.

Both steps ask, for many sample points ``x``, which of a list of weighted
Gaussians ``w_k N(x; mu_k, C_k)`` is largest. The candidates of a list are
grouped by width class (half-octaves of the standard deviation along their widest
axis) and sorted by the distance ``D_k`` of their means from the sampled
Gaussian's mean; with ``rho = |x - mean|``, a candidate of group ``g`` is below
the best value ``B`` found so far whenever

.. math:: D_k - \\rho > \\sqrt{2 \\Lambda_g (P_g - B)},

``P_g`` the largest ``log w_k - log det L_k`` of the group and ``Lambda_g`` the
largest eigenvalue of its class, since ``(x - mu_k)^T C_k^{-1} (x - mu_k) >=
|x - mu_k|^2 / lambda_max`` and ``|x - mu_k| >= D_k - rho``. The rest of the
group is then skipped: the answer is exact, ties included.
"""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit, prange

from skgeoclust.utils._config import NUMBA_CACHE

#: Samples between two checks of an event's vote count for an early stop.
_CHECK_EVERY = 50


@njit(cache=NUMBA_CACHE, nogil=True)
def log_peak_density(x, means, inv_chol, log_peak, k, scratch):
    """``log_peak[k] - |L_k^{-1} (x - mean_k)|^2 / 2``: the log of ``w_k N_k(x)``
    up to the common ``(2 pi)^(-d/2)``.

    Parameters
    ----------
    x : ndarray of shape (n_features,)
    means : ndarray of shape (n_gaussians, n_features)
    inv_chol : ndarray of shape (n_gaussians, n_features, n_features)
        Inverses ``L^{-1}`` of the lower Cholesky factors (lower triangular).
    log_peak : ndarray of shape (n_gaussians,)
        ``log w - log det L``.
    k : int
        The Gaussian.
    scratch : ndarray of shape (n_features,)
        Work space (unused for three features).
    """
    d = x.shape[0]
    if d == 3:
        a = inv_chol[k]
        u0 = x[0] - means[k, 0]
        u1 = x[1] - means[k, 1]
        u2 = x[2] - means[k, 2]
        y0 = a[0, 0] * u0
        y1 = a[1, 0] * u0 + a[1, 1] * u1
        y2 = a[2, 0] * u0 + a[2, 1] * u1 + a[2, 2] * u2
        return log_peak[k] - 0.5 * (y0 * y0 + y1 * y1 + y2 * y2)
    for r in range(d):
        scratch[r] = x[r] - means[k, r]
    total = 0.0
    for r in range(d):
        acc = 0.0
        for c in range(r + 1):
            acc += inv_chol[k, r, c] * scratch[c]
        total += acc * acc
    return log_peak[k] - 0.5 * total


@njit(cache=NUMBA_CACHE, nogil=True)
def sort_candidates(centre, candidates, m, means, width_class, log_peak, order, dist):
    """Sort ``candidates[:m]`` by (width class, distance from ``centre``) in place,
    the distances into ``dist[:m]`` (``order`` is work space).

    Returns
    -------
    group_start : ndarray of shape (n_groups + 1,)
        Start of each width-class group in the sorted list.
    group_class : ndarray of shape (n_groups,)
        Width class of each group.
    group_peak : ndarray of shape (n_groups,)
        Largest ``log_peak`` of each group.
    """
    d = centre.shape[0]
    max_dist = 0.0
    for j in range(m):
        t = candidates[j]
        acc = 0.0
        for r in range(d):
            diff = means[t, r] - centre[r]
            acc += diff * diff
        dist[j] = np.sqrt(acc)
        max_dist = max(max_dist, dist[j])
    span = max_dist + 1.0
    key = np.empty(m)
    for j in range(m):
        key[j] = width_class[candidates[j]] * span + dist[j]
    perm = np.argsort(key)
    for j in range(m):
        order[j] = candidates[perm[j]]
    for j in range(m):
        candidates[j] = order[j]
        key[j] = dist[perm[j]]
    for j in range(m):
        dist[j] = key[j]
    n_groups = 0
    for j in range(m):
        if j == 0 or width_class[candidates[j]] != width_class[candidates[j - 1]]:
            n_groups += 1
    group_start = np.empty(n_groups + 1, dtype=np.int64)
    group_class = np.empty(n_groups, dtype=np.int64)
    group_peak = np.full(n_groups, -np.inf)
    g = -1
    for j in range(m):
        t = candidates[j]
        if j == 0 or width_class[t] != width_class[candidates[j - 1]]:
            g += 1
            group_start[g] = j
            group_class[g] = width_class[t]
        group_peak[g] = max(group_peak[g], log_peak[t])
    group_start[n_groups] = m
    return group_start, group_class, group_peak


@njit(cache=NUMBA_CACHE, nogil=True)
def transfer_weights(
    sources,
    indptr,
    indices,
    means,
    chol,
    inv_chol,
    log_peak,
    variance,
    width_class,
    class_var,
    event,
    weight,
    z,
):
    """Move each source component's weight onto the lower-variance components that
    explain its samples best.

    Sources are processed in the given order, which must be by non-increasing
    ``variance``: a source's current weight then already holds everything it
    will receive.

    Parameters
    ----------
    sources : ndarray of shape (n_sources,)
        Component indices, by non-increasing isotropic variance.
    indptr, indices : ndarray
        CSR lists of the components near each source (``indices[indptr[a]:
        indptr[a + 1]]`` for ``sources[a]``); only those of smaller ``variance``
        take part.
    means : ndarray of shape (n_components, n_features)
    chol, inv_chol : ndarray of shape (n_components, n_features, n_features)
        Lower Cholesky factors of the covariances and their inverses.
    log_peak : ndarray of shape (n_components,)
        ``log(w0_j) - log det(L_j)``: the log of a candidate's initial weight
        times its Gaussian normalisation (the common ``(2 pi)^(-d/2)`` dropped).
    variance : ndarray of shape (n_components,)
        Isotropic variance (trace of the covariance): the ranking key.
    width_class : ndarray of shape (n_components,)
        Width class of each component's largest standard deviation.
    class_var : ndarray of shape (n_width_classes,)
        Largest eigenvalue of the covariances in each width class.
    event : ndarray of shape (n_components,)
        Event of each component; a source never gives weight to its own event.
    weight : ndarray of shape (n_components,)
        Current weights, updated in place.
    z : ndarray of shape (n_draws, n_features)
        Standard normal draws; source ``s`` is sampled at ``mean_s + L_s z``.

    Notes
    -----
    Each sample ``x`` of source ``s`` goes to the largest of ``w_s N_s(x)`` (the
    source's current weight) and ``w0_t N_t(x)`` over the candidates ``t``
    (their initial weights). Samples won by the source or by a component of its
    own event stay with the source; the others move ``w_s / n_draws`` each to
    their winner. Exact ties split the sample equally.
    """
    n_draws, d = z.shape
    x = np.empty(d)
    scratch = np.empty(d)
    norm_sq = np.empty(n_draws)
    for k in range(n_draws):
        norm_sq[k] = np.sum(z[k] * z[k])
    max_degree = 0
    for a in range(sources.shape[0]):
        max_degree = max(max_degree, indptr[a + 1] - indptr[a])
    candidates = np.empty(max_degree, dtype=np.int64)
    order = np.empty(max_degree, dtype=np.int64)
    dist = np.empty(max_degree)
    share = np.empty(max_degree)
    tied = np.empty(max_degree + 1, dtype=np.int64)
    for a in range(sources.shape[0]):
        s = sources[a]
        m = 0
        for p in range(indptr[a], indptr[a + 1]):
            t = indices[p]
            if variance[t] < variance[s]:
                candidates[m] = t
                m += 1
        if m == 0:
            continue
        group_start, group_class, group_peak = sort_candidates(
            means[s], candidates, m, means, width_class, log_peak, order, dist
        )
        w_s = weight[s]
        own = np.log(w_s) - np.sum(np.log(np.diag(chol[s])))
        share[:m] = 0.0
        kept = 0.0
        for k in range(n_draws):
            rho_sq = 0.0
            for r in range(d):
                acc = 0.0
                for c in range(r + 1):
                    acc += chol[s, r, c] * z[k, c]
                x[r] = means[s, r] + acc
                rho_sq += acc * acc
            rho = np.sqrt(rho_sq)
            best = own - 0.5 * norm_sq[k]
            n_tied = 1
            tied[0] = -1  # the source
            for g in range(group_start.shape[0] - 1):
                if group_peak[g] < best:
                    continue
                bound = 2.0 * class_var[group_class[g]]
                for j in range(group_start[g], group_start[g + 1]):
                    reach = dist[j] - rho
                    if reach > 0.0 and reach * reach > bound * (group_peak[g] - best):
                        break
                    value = log_peak_density(
                        x, means, inv_chol, log_peak, candidates[j], scratch
                    )
                    if value > best:
                        best = value
                        n_tied = 1
                        tied[0] = j
                    elif value == best:
                        tied[n_tied] = j
                        n_tied += 1
            part = 1.0 / n_tied
            for q in range(n_tied):
                j = tied[q]
                if j < 0 or event[candidates[j]] == event[s]:
                    kept += part
                else:
                    share[j] += part
        for j in range(m):
            if share[j] > 0.0:
                weight[candidates[j]] += w_s * share[j] / n_draws
        weight[s] = w_s * kept / n_draws


@njit(cache=NUMBA_CACHE, nogil=True)
def _assign_event_range(
    start,
    stop,
    event_ptr,
    event_components,
    draw_counts,
    means,
    chol,
    cand_ptr,
    cand_idx,
    kernel_means,
    kernel_inv_chol,
    kernel_log_peak,
    kernel_class,
    class_var,
    z,
    out,
):
    """:func:`assign_events` for events ``start:stop`` (own work space)."""
    d = z.shape[1]
    x = np.empty(d)
    scratch = np.empty(d)
    max_degree = 0
    for e in range(start, stop):
        for p in range(event_ptr[e], event_ptr[e + 1]):
            c = event_components[p]
            max_degree = max(max_degree, cand_ptr[c + 1] - cand_ptr[c])
    order = np.empty(max_degree, dtype=np.int64)
    dist = np.empty(max_degree)
    tied = np.empty(max_degree, dtype=np.int64)
    for e in range(start, stop):
        total = 0
        for p in range(event_ptr[e], event_ptr[e + 1]):
            c = event_components[p]
            total += cand_ptr[c + 1] - cand_ptr[c]
        ids = np.empty(total, dtype=np.int64)
        votes = np.zeros(total)
        offset = 0
        row = 0
        single = event_ptr[e + 1] - event_ptr[e] == 1
        for p in range(event_ptr[e], event_ptr[e + 1]):
            c = event_components[p]
            lo, hi = cand_ptr[c], cand_ptr[c + 1]
            m = hi - lo
            candidates = ids[offset : offset + m]
            candidates[:] = cand_idx[lo:hi]
            group_start, group_class, group_peak = sort_candidates(
                means[c],
                candidates,
                m,
                kernel_means,
                kernel_class,
                kernel_log_peak,
                order,
                dist,
            )
            for i in range(draw_counts[c]):
                if single and i > 0 and i % _CHECK_EVERY == 0:
                    # exact early stop: the leader can no longer be overtaken
                    first = 0.0
                    second = 0.0
                    for j in range(m):
                        v = votes[j]
                        if v > first:
                            second = first
                            first = v
                        elif v > second:
                            second = v
                    if first - second > draw_counts[c] - i:
                        break
                rho_sq = 0.0
                for r in range(d):
                    acc = 0.0
                    for q in range(r + 1):
                        acc += chol[c, r, q] * z[row, q]
                    x[r] = means[c, r] + acc
                    rho_sq += acc * acc
                rho = np.sqrt(rho_sq)
                row += 1
                best = -np.inf
                n_tied = 0
                for g in range(group_start.shape[0] - 1):
                    if group_peak[g] < best:
                        continue
                    bound = 2.0 * class_var[group_class[g]]
                    for j in range(group_start[g], group_start[g + 1]):
                        reach = dist[j] - rho
                        if reach > 0.0 and reach * reach > bound * (
                            group_peak[g] - best
                        ):
                            break
                        value = log_peak_density(
                            x,
                            kernel_means,
                            kernel_inv_chol,
                            kernel_log_peak,
                            candidates[j],
                            scratch,
                        )
                        if value > best:
                            best = value
                            n_tied = 1
                            tied[0] = offset + j
                        elif value == best:
                            tied[n_tied] = offset + j
                            n_tied += 1
                for q in range(n_tied):
                    votes[tied[q]] += 1.0 / n_tied
            offset += m
        # the same kernel may be near several components of one event
        perm = np.argsort(ids)
        most = -1.0
        q = 0
        while q < total:
            k = ids[perm[q]]
            v = 0.0
            while q < total and ids[perm[q]] == k:
                v += votes[perm[q]]
                q += 1
            most = max(most, v)
        # equal votes: the kernel of largest weighted density at the event's
        # (first component's) mean, then the lower index
        centre = means[event_components[event_ptr[e]]]
        winner = -1
        win_value = -np.inf
        q = 0
        while q < total:
            k = ids[perm[q]]
            v = 0.0
            while q < total and ids[perm[q]] == k:
                v += votes[perm[q]]
                q += 1
            if v == most:
                value = log_peak_density(
                    centre, kernel_means, kernel_inv_chol, kernel_log_peak, k, scratch
                )
                if winner < 0 or value > win_value:
                    winner = k
                    win_value = value
        out[e] = winner


@njit(cache=NUMBA_CACHE, nogil=True)
def assign_events(
    event_ptr,
    event_components,
    draw_counts,
    means,
    chol,
    cand_ptr,
    cand_idx,
    kernel_means,
    kernel_inv_chol,
    kernel_log_peak,
    kernel_class,
    class_var,
    z,
    out,
):
    """Assign each event to the condensed kernel of largest likelihood for most of
    its samples.

    Parameters
    ----------
    event_ptr, event_components : ndarray
        CSR lists of the components of each event.
    draw_counts : ndarray of shape (n_components,)
        Samples drawn from each component (the event's samples split over its
        components by their weights).
    means, chol : ndarray
        Components' means and lower Cholesky factors.
    cand_ptr, cand_idx : ndarray
        CSR lists of the condensed kernels near each component.
    kernel_means, kernel_inv_chol : ndarray
        The condensed kernels' means and inverse Cholesky factors.
    kernel_log_peak : ndarray of shape (n_kernels,)
        ``log(w_k) - log det(L_k)``.
    kernel_class : ndarray of shape (n_kernels,)
        Width class of each kernel's largest standard deviation.
    class_var : ndarray of shape (n_width_classes,)
        Largest eigenvalue of the kernels' covariances in each width class.
    z : ndarray of shape (n_draws, n_features)
        Standard normal draws; an event's samples use rows ``0, 1, ...`` in turn
        over its components.
    out : ndarray of shape (n_events,)
        The chosen kernel of each event.

    Notes
    -----
    A sample votes for the kernel maximising ``w_k N_k(x)`` (exact ties split
    the vote). The event goes to the kernel with most votes; equal votes go to
    the kernel of largest ``w_k N_k`` at the event's mean, then to the lower
    index. The sampling of a single-Gaussian event stops once the leading
    kernel's lead exceeds the samples left, which cannot change the winner.
    """
    _assign_event_range(
        0,
        event_ptr.shape[0] - 1,
        event_ptr,
        event_components,
        draw_counts,
        means,
        chol,
        cand_ptr,
        cand_idx,
        kernel_means,
        kernel_inv_chol,
        kernel_log_peak,
        kernel_class,
        class_var,
        z,
        out,
    )


@njit(cache=NUMBA_CACHE, nogil=True, parallel=True)
def assign_events_parallel(
    event_ptr,
    event_components,
    draw_counts,
    means,
    chol,
    cand_ptr,
    cand_idx,
    kernel_means,
    kernel_inv_chol,
    kernel_log_peak,
    kernel_class,
    class_var,
    z,
    out,
):
    """Same as :func:`assign_events`, with a ``prange`` over chunks of events
    (each event's result depends on nothing else, so both give identical
    results)."""
    n = event_ptr.shape[0] - 1
    chunk = 256
    for c in prange((n + chunk - 1) // chunk):
        _assign_event_range(
            c * chunk,
            min(n, (c + 1) * chunk),
            event_ptr,
            event_components,
            draw_counts,
            means,
            chol,
            cand_ptr,
            cand_idx,
            kernel_means,
            kernel_inv_chol,
            kernel_log_peak,
            kernel_class,
            class_var,
            z,
            out,
        )
