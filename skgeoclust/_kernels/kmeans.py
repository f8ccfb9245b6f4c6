"""k-means kernels: nearest-centre assignment, mini-batch and Lloyd centre updates."""
# SPDX-License-Identifier: BSD-3-Clause

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from skgeoclust.utils._config import NUMBA_CACHE

#: Rows per task of the threaded assignment kernels.
_CHUNK = 2048


class MiniBatchBuffers(NamedTuple):
    """The running state and scratch buffers of :func:`minibatch_run` (see
    :func:`minibatch_step` for each)."""

    centers: np.ndarray
    centers_new: np.ndarray
    weight_sums: np.ndarray
    labels: np.ndarray
    min_sq_dist: np.ndarray
    batch_sums: np.ndarray
    batch_counts: np.ndarray
    to_reassign: np.ndarray


@njit(cache=NUMBA_CACHE, nogil=True)
def first_nonfinite_row(X):
    """Index of the first row of ``X`` holding a NaN or an infinity, or -1.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    """
    for i in range(X.shape[0]):
        for f in range(X.shape[1]):
            if not np.isfinite(X[i, f]):
                return i
    return -1


@njit(cache=NUMBA_CACHE, nogil=True, inline="always")
def _squared_distances(X, i, centers_t, dist):
    """``dist[j]``: squared distance from row ``i`` to centre ``j``, in float64.

    The inner loop runs over the contiguous centre axis of ``centers_t``
    (n_features, n_clusters) so that it vectorises; each sum runs over the features
    in order, as a row-by-row loop would.
    """
    n_features, n_clusters = centers_t.shape
    for j in range(n_clusters):
        dist[j] = 0.0
    for f in range(n_features):
        xf = np.float64(X[i, f])
        for j in range(n_clusters):
            t = xf - centers_t[f, j]
            dist[j] += t * t


@njit(cache=NUMBA_CACHE, nogil=True)
def _assign_rows(X, start, stop, centers_t, labels, min_sq_dist):
    """Assign rows ``start:stop``; ties go to the lowest centre index. Returns the
    sum of their squared distances, in row order."""
    n_clusters = centers_t.shape[1]
    dist = np.empty(n_clusters)
    inertia = 0.0
    for i in range(start, stop):
        _squared_distances(X, i, centers_t, dist)
        best = dist[0]
        best_j = 0
        for j in range(1, n_clusters):
            if dist[j] < best:
                best = dist[j]
                best_j = j
        labels[i] = best_j
        min_sq_dist[i] = best
        inertia += best
    return inertia


@njit(cache=NUMBA_CACHE, nogil=True)
def _transposed(centers):
    centers_t = np.empty((centers.shape[1], centers.shape[0]))
    for j in range(centers.shape[0]):
        for f in range(centers.shape[1]):
            centers_t[f, j] = centers[j, f]
    return centers_t


@njit(cache=NUMBA_CACHE, nogil=True)
def assign_labels(X, centers, labels, min_sq_dist):
    """Label each row with its nearest centre (squared Euclidean); return the inertia.

    .. math::

        \\ell_i = \\arg\\min_j \\lVert x_i - c_j \\rVert^2, \\qquad
        I = \\sum_i \\lVert x_i - c_{\\ell_i} \\rVert^2

    Distances are accumulated in float64 whatever the input dtype; ties go to the
    lowest centre index. Serial: for the small batches of the mini-batch loop,
    where threads cost more than they save.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_clusters, n_features)
    labels : ndarray of shape (n_samples,), int32
        Output buffer.
    min_sq_dist : ndarray of shape (n_samples,), float64
        Output buffer: squared distance of each row to its centre.
    """
    return _assign_rows(X, 0, X.shape[0], _transposed(centers), labels, min_sq_dist)


@njit(cache=NUMBA_CACHE, nogil=True, parallel=True)
def assign_labels_parallel(X, centers, labels, min_sq_dist):
    """Same as :func:`assign_labels`, with a ``prange`` over chunks of rows; the
    inertia is summed in row order afterwards, so both give identical results."""
    n = X.shape[0]
    centers_t = _transposed(centers)
    for c in prange((n + _CHUNK - 1) // _CHUNK):
        start = c * _CHUNK
        _assign_rows(X, start, min(n, start + _CHUNK), centers_t, labels, min_sq_dist)
    inertia = 0.0
    for i in range(n):
        inertia += min_sq_dist[i]
    return inertia


@njit(cache=NUMBA_CACHE, nogil=True)
def _nearest_two_rows(X, start, stop, centers_t, first, second, sq_dist):
    """Nearest and second-nearest centre of rows ``start:stop`` (ties: the lower
    index; -1 as second with a single centre)."""
    n_clusters = centers_t.shape[1]
    dist = np.empty(n_clusters)
    for i in range(start, stop):
        _squared_distances(X, i, centers_t, dist)
        best = -1
        runner = -1
        best_d = np.inf
        runner_d = np.inf
        for j in range(n_clusters):
            d = dist[j]
            if d < best_d:
                runner, runner_d = best, best_d
                best, best_d = j, d
            elif d < runner_d:
                runner, runner_d = j, d
        first[i] = best
        second[i] = runner
        sq_dist[i] = best_d


@njit(cache=NUMBA_CACHE, nogil=True)
def nearest_two_centers(X, centers, first, second, sq_dist):
    """Nearest and second-nearest centre of every row (exact squared distances).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_clusters, n_features)
    first : ndarray of shape (n_samples,), int64
        Output: the nearest centre (lowest index on ties).
    second : ndarray of shape (n_samples,), int64
        Output: the second-nearest centre (-1 with a single centre).
    sq_dist : ndarray of shape (n_samples,), float64
        Output: squared Euclidean distance to the nearest centre.
    """
    _nearest_two_rows(X, 0, X.shape[0], _transposed(centers), first, second, sq_dist)


@njit(cache=NUMBA_CACHE, nogil=True, parallel=True)
def nearest_two_centers_parallel(X, centers, first, second, sq_dist):
    """Same as :func:`nearest_two_centers`, with a ``prange`` over chunks of rows."""
    n = X.shape[0]
    centers_t = _transposed(centers)
    for c in prange((n + _CHUNK - 1) // _CHUNK):
        start = c * _CHUNK
        stop = min(n, start + _CHUNK)
        _nearest_two_rows(X, start, stop, centers_t, first, second, sq_dist)


@njit(cache=NUMBA_CACHE, nogil=True)
def accumulate_cluster_sums(X, labels, sums, counts):
    """Add each row of ``X`` to the running sum and count of its cluster (in place).

    One pass of this over every batch, followed by ``sums / counts``, is one exact
    Lloyd iteration however the data are split into batches.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    labels : ndarray of shape (n_samples,), int32
    sums : ndarray of shape (n_clusters, n_features), float64
        Updated in place.
    counts : ndarray of shape (n_clusters,), float64
        Updated in place.
    """
    for i in range(X.shape[0]):
        j = labels[i]
        counts[j] += 1.0
        for f in range(X.shape[1]):
            sums[j, f] += X[i, f]


@njit(cache=NUMBA_CACHE, nogil=True)
def minibatch_step(
    X,
    centers,
    centers_new,
    weight_sums,
    labels,
    min_sq_dist,
    batch_sums,
    batch_counts,
    reassignment_ratio,
    to_reassign,
):
    """One mini-batch k-means step (Sculley 2010) with per-centre learning rates.

    Rows are assigned to the current ``centers``; then every centre ``j`` that got
    ``m_j`` rows with sum ``s_j`` moves to the running mean

    .. math::

        c_j' = \\frac{v_j c_j + s_j}{v_j + m_j}, \\qquad v_j \\leftarrow v_j + m_j

    which is Sculley's per-sample update with learning rate :math:`1 / v_j`, applied
    to the whole batch as in scikit-learn's ``MiniBatchKMeans``. Centres with no rows
    are copied unchanged. Finally ``to_reassign[j]`` flags centres whose count is
    below ``reassignment_ratio`` times the largest count (the caller decides whether
    to act on it, and draws the replacement rows).

    The batch is checked for NaN and infinity before anything is written, so a bad
    batch leaves every buffer untouched.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_clusters, n_features)
        Centres before the step (read only).
    centers_new : ndarray of shape (n_clusters, n_features)
        Output buffer: centres after the step.
    weight_sums : ndarray of shape (n_clusters,), float64
        Rows seen so far per centre, updated in place.
    labels : ndarray of shape (n_samples,), int32
        Output buffer: labels against ``centers``.
    min_sq_dist : ndarray of shape (n_samples,), float64
        Output buffer.
    batch_sums : ndarray of shape (n_clusters, n_features), float64
        Scratch buffer.
    batch_counts : ndarray of shape (n_clusters,), float64
        Scratch buffer.
    reassignment_ratio : float
    to_reassign : ndarray of shape (n_clusters,), bool
        Output buffer.

    Returns
    -------
    inertia : float
        Sum of squared distances of the batch to ``centers`` (NaN on a bad batch).
    bad_row : int
        First row with a NaN or infinity, or -1.
    n_to_reassign : int
        Number of flagged centres.
    """
    bad = first_nonfinite_row(X)
    if bad >= 0:
        return np.nan, bad, 0
    inertia = assign_labels(X, centers, labels, min_sq_dist)
    batch_sums[:, :] = 0.0
    batch_counts[:] = 0.0
    accumulate_cluster_sums(X, labels, batch_sums, batch_counts)
    n_clusters, n_features = centers.shape
    for j in range(n_clusters):
        if batch_counts[j] > 0.0:
            total = weight_sums[j] + batch_counts[j]
            for f in range(n_features):
                centers_new[j, f] = (
                    np.float64(centers[j, f]) * weight_sums[j] + batch_sums[j, f]
                ) / total
            weight_sums[j] = total
        else:
            for f in range(n_features):
                centers_new[j, f] = centers[j, f]
    w_max = 0.0
    for j in range(n_clusters):
        w_max = max(w_max, weight_sums[j])
    n_to_reassign = 0
    for j in range(n_clusters):
        to_reassign[j] = weight_sums[j] < reassignment_ratio * w_max
        if to_reassign[j]:
            n_to_reassign += 1
    return inertia, -1, n_to_reassign


@njit(cache=NUMBA_CACHE, nogil=True)
def minibatch_run(X, batch_size, skip, start, buffers, reassignment_ratio, counters):
    """Consecutive :func:`minibatch_step` calls over the batches of one block.

    Batch ``b`` is ``X[b * batch_size:(b + 1) * batch_size]``; batches with
    ``skip[b]`` are passed over. After each step the centres are copied from
    ``centers_new`` to ``centers``. The loop stops early when the caller has work to
    do: a starved centre must be reassigned (the caller draws the rows, then copies
    ``centers_new`` to ``centers`` and resumes at ``stop + 1``), or a batch holds a
    NaN or infinity (nothing of that batch was written).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    batch_size : int
    skip : ndarray of shape (n_batches,), bool
    start : int
        First batch to process.
    buffers : MiniBatchBuffers
        As in :func:`minibatch_step` (``labels`` and ``min_sq_dist`` hold at least
        ``batch_size`` entries); ``centers`` and ``weight_sums`` are updated.
    reassignment_ratio : float
    counters : ndarray of shape (3,), int64
        ``[rows since the last reassignment check, rows between checks, steps]``,
        updated in place.

    Returns
    -------
    stop : int
        Batch where the loop stopped (``n_batches`` when it ran to the end).
    status : int
        0 finished, 1 reassignment needed at ``stop``, 2 bad row.
    bad_row : int
        Row of ``X`` with a NaN or infinity (status 2), else -1.
    """
    centers, centers_new = buffers.centers, buffers.centers_new
    weight_sums = buffers.weight_sums
    n = X.shape[0]
    n_batches = (n + batch_size - 1) // batch_size
    n_clusters = centers.shape[0]
    for b in range(start, n_batches):
        if skip[b]:
            continue
        lo = b * batch_size
        hi = min(n, lo + batch_size)
        _, bad, n_flagged = minibatch_step(
            X[lo:hi],
            centers,
            centers_new,
            weight_sums,
            buffers.labels[: hi - lo],
            buffers.min_sq_dist[: hi - lo],
            buffers.batch_sums,
            buffers.batch_counts,
            reassignment_ratio,
            buffers.to_reassign,
        )
        if bad >= 0:
            return b, 2, lo + bad
        counters[2] += 1
        counters[0] += hi - lo
        trigger = counters[0] >= counters[1]
        if not trigger:
            for j in range(n_clusters):
                if weight_sums[j] == 0.0:
                    trigger = True
                    break
        if trigger:
            counters[0] = 0
            if n_flagged > 0 and reassignment_ratio > 0:
                return b, 1, -1
        centers[:, :] = centers_new
    return n_batches, 0, -1
