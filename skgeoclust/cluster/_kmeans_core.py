"""The k-means core of ProfileKMeans, StreamingMiniBatchKMeans and ProfileSOM.

Nearest-centre assignment (with one rule for when to use threads), the rows that
re-seed empty clusters, and the Lloyd update of the centres. Arrays are validated
by the estimators; nothing here touches an estimator.
"""
# SPDX-License-Identifier: BSD-3-Clause

from typing import NamedTuple

import numba
import numpy as np

from skgeoclust._kernels.kmeans import (
    assign_labels,
    assign_labels_parallel,
    nearest_two_centers,
    nearest_two_centers_parallel,
)

#: A pass over the rows goes threaded only when it holds at least this many
#: multiply-adds (rows x centres x features): waking Numba's thread pool costs tens
#: of microseconds on an idle machine and up to a scheduler tick (tens of
#: milliseconds) on an oversubscribed one, more than a smaller pass takes serially.
PARALLEL_WORK = 8_000_000


class Assignment(NamedTuple):
    """Nearest centre of every row."""

    labels: np.ndarray  # (n_samples,) int32
    sq_dist: np.ndarray  # (n_samples,) float64, squared distance to it
    inertia: float  # their sum, in row order


class NearestTwo(NamedTuple):
    """Nearest and second-nearest centre of every row."""

    first: np.ndarray  # (n_samples,) int64
    second: np.ndarray  # (n_samples,) int64, -1 with a single centre
    sq_dist: np.ndarray  # (n_samples,) float64, squared distance to the first


def numba_threads(n_jobs):
    """Numba threads for ``n_jobs`` (None -> 1, negative counts from the maximum)."""
    if n_jobs is None:
        return 1
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, a positive or -1.")
    max_threads = numba.config.NUMBA_NUM_THREADS
    if n_jobs < 0:
        return max(1, max_threads + 1 + n_jobs)
    return min(n_jobs, max_threads)


def _run(serial, threaded, X, centers, n_threads, *out):
    """One of the two kernels, by the rule of :data:`PARALLEL_WORK`.

    ``n_threads=None`` allows every Numba thread (the estimators without a thread
    parameter). The kernels give identical results, so the rule changes only the
    time taken.
    """
    work = X.shape[0] * centers.shape[0] * X.shape[1]
    allowed = numba.get_num_threads() if n_threads is None else n_threads
    if allowed <= 1 or work < PARALLEL_WORK:
        return serial(X, centers, *out)
    previous = numba.get_num_threads()
    numba.set_num_threads(min(allowed, numba.config.NUMBA_NUM_THREADS))
    try:
        return threaded(X, centers, *out)
    finally:
        numba.set_num_threads(previous)


def assign(X, centers, n_threads=1):
    """Nearest centre (squared Euclidean, ties to the lower index) of every row.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), C-contiguous
    centers : ndarray of shape (n_clusters, n_features)
    n_threads : int or None, default=1
        Threads allowed; None allows every Numba thread.

    Returns
    -------
    Assignment
    """
    n = X.shape[0]
    labels = np.empty(n, dtype=np.int32)
    sq_dist = np.empty(n)
    inertia = _run(
        assign_labels, assign_labels_parallel, X, centers, n_threads, labels, sq_dist
    )
    return Assignment(labels, sq_dist, float(inertia))


def nearest_two(X, centers, n_threads=None):
    """Nearest and second-nearest centre of every row (the SOM's winners), a
    :class:`NearestTwo`; arguments as :func:`assign`, every Numba thread allowed
    by default."""
    n = X.shape[0]
    first = np.empty(n, dtype=np.int64)
    second = np.empty(n, dtype=np.int64)
    sq_dist = np.empty(n)
    _run(
        nearest_two_centers,
        nearest_two_centers_parallel,
        X,
        centers,
        n_threads,
        first,
        second,
        sq_dist,
    )
    return NearestTwo(first, second, sq_dist)


def farthest_rows(sq_dist, m):
    """Positions of the ``m`` rows farthest from their centres, farthest first (ties:
    the later row first), without sorting all the rows."""
    n = sq_dist.shape[0]
    m = min(m, n)
    if m == 0:
        return np.empty(0, dtype=np.intp)
    top = np.argpartition(sq_dist, n - m)[n - m :]
    kth = sq_dist[top].min()
    n_tied = np.count_nonzero(sq_dist == kth)
    if n_tied != np.count_nonzero(sq_dist[top] == kth):
        # argpartition chose among rows tied at the cut: take the later ones.
        above = np.flatnonzero(sq_dist > kth)
        tied = np.flatnonzero(sq_dist == kth)[::-1][: m - above.size]
        top = np.concatenate([above, tied])
    return top[np.lexsort((-top, -sq_dist[top]))]


class FarthestRows:
    """The ``m`` rows farthest from their centres over blocks read in turn, where a
    Lloyd pass re-seeds its empty clusters (farthest first; ties: the later row)."""

    def __init__(self, m, n_features):
        self.m = m
        self.sq_dist = np.empty(0)
        self.index = np.empty(0, dtype=np.int64)
        self.rows = np.empty((0, n_features))

    def add(self, X, sq_dist, first_row=0, rows=None):
        """Offer the rows of a block: global rows ``first_row + 0 .. len(X) - 1``,
        or ``rows`` when given (a block with rows left out)."""
        pick = farthest_rows(sq_dist, self.m)
        where = first_row + pick if rows is None else rows[pick]
        sq = np.concatenate([self.sq_dist, sq_dist[pick]])
        index = np.concatenate([self.index, where.astype(np.int64)])
        rows = np.concatenate([self.rows, np.asarray(X[pick], dtype=np.float64)])
        keep = np.lexsort((-index, -sq))[: self.m]
        self.sq_dist, self.index, self.rows = sq[keep], index[keep], rows[keep]
        return self


def lloyd_centers(sums, counts, centers, far_rows):
    """Cluster means (float64); the empty clusters move to ``far_rows`` in turn (an
    empty cluster left over keeps its centre).

    Parameters
    ----------
    sums : ndarray of shape (n_clusters, n_features)
    counts : ndarray of shape (n_clusters,)
    centers : ndarray of shape (n_clusters, n_features)
        The centres the rows were assigned to.
    far_rows : ndarray of shape (m, n_features)
        Rows farthest from their centres, farthest first.
    """
    new = np.array(centers, dtype=np.float64)
    full = counts > 0
    new[full] = sums[full] / counts[full, None]
    empty = np.flatnonzero(~full)[: far_rows.shape[0]]
    new[empty] = far_rows[: empty.shape[0]]
    return new
