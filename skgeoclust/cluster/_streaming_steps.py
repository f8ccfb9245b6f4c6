"""Private helpers of StreamingMiniBatchKMeans: block iteration, steps, refinement."""
# SPDX-License-Identifier: BSD-3-Clause

import time

import numpy as np

from skgeoclust._kernels.kmeans import (
    MiniBatchBuffers,
    accumulate_cluster_sums,
    first_nonfinite_row,
    minibatch_run,
    minibatch_step,
)
from skgeoclust.cluster._kmeans_core import assign, farthest_rows, lloyd_centers

#: Default size of the warm-start pool (rows; the usual streaming recipe's).
DEFAULT_INIT_SIZE = 25_600
#: Rows per read in the exact passes (Lloyd refinement, evaluation, labelling).
_BLOCK_ROWS = 65_536
_POOL_MAX_ITER = 100


def _float_dtype(dtype):
    return np.float32 if np.dtype(dtype) == np.float32 else np.float64


def _raise_nonfinite(row_text):
    """Refuse the NaN/inf row that ``row_text`` names (source, batch, row, origin)."""
    raise ValueError(
        f"{row_text} contains NaN or infinity; clean or drop it before clustering "
        "(every row must get a label)."
    )


def _check_range(X, where, row_offset=0, origin=None):
    """Refuse values whose squared distances overflow (k-means would silently
    compare NaN and infinite distances); NaN is left to the finiteness checks."""
    if X.size == 0:
        return
    limit = np.sqrt(np.finfo(X.dtype).max / (4.0 * X.shape[1]))
    if X.max() <= limit and X.min() >= -limit:  # False with NaN or inf
        return
    with np.errstate(invalid="ignore"):
        big = np.isfinite(X) & (np.abs(X) > limit)  # NaN and inf: other checks
    if not big.any():
        return
    row, col = np.argwhere(big)[0]
    row_text = f"row {row_offset + row}{origin(row_offset + row) if origin else ''}"
    raise ValueError(
        f"{where}: {row_text}, column {col} holds {float(X[row, col]):g}; squared "
        f"distances of values beyond {limit:.3g} overflow ({X.shape[1]} features, "
        f"{X.dtype}): rescale the data."
    )


def _check_finite(X, where, row_offset=0):
    bad = first_nonfinite_row(X)
    if bad >= 0:
        _raise_nonfinite(f"{where}: row {row_offset + bad}")
    _check_range(X, where, row_offset)


def _first_row(block_info):
    """Global row of a Dask block's first row (``map_blocks`` block_info)."""
    if not block_info or 0 not in block_info:
        return 0
    return int(block_info[0]["array-location"][0][0])


def _predict_block(block, centers, block_info=None):
    """Labels of one Dask block (module level so it pickles to workers)."""
    block = np.ascontiguousarray(block, dtype=centers.dtype)
    _check_finite(block, "Dask array", _first_row(block_info))
    return assign(block, centers).labels


def _transform_block(block, centers, block_info=None):
    block = np.ascontiguousarray(block, dtype=centers.dtype)
    _check_finite(block, "Dask array", _first_row(block_info))
    return _distances(block, centers)


def _distances(X, centers):
    d2 = (
        np.einsum("ij,ij->i", X, X)[:, None]
        - 2.0 * X @ centers.T
        + np.einsum("ij,ij->i", centers, centers)[None, :]
    )
    return np.sqrt(np.maximum(d2, 0.0))


def _lloyd_on_pool(pool, centers, tol_abs):
    """Lloyd iterations on the in-memory pool; return centres, sizes, inertia."""
    k, d = centers.shape
    centers = centers.astype(pool.dtype, copy=True)
    for _ in range(_POOL_MAX_ITER):
        now = assign(pool, centers)
        sums, counts = np.zeros((k, d)), np.zeros(k)
        accumulate_cluster_sums(pool, now.labels, sums, counts)
        far = pool[farthest_rows(now.sq_dist, np.count_nonzero(counts == 0))]
        new = lloyd_centers(sums, counts, centers, far)
        shift = float(((new - centers) ** 2).sum())
        centers = new.astype(pool.dtype)
        if shift <= tol_abs:
            break
    now = assign(pool, centers)
    sizes = np.bincount(now.labels, minlength=k).astype(np.float64)
    return centers, sizes, now.inertia


class _MiniBatchState:
    """Running state of the mini-batch loop, shared by ``fit`` and ``partial_fit``."""

    def __init__(self, centers, weight_sums, rng, n_since_reassign, ratio):
        self.centers = np.array(centers, copy=True)
        self.centers_new = np.empty_like(self.centers)
        self.weight_sums = np.array(weight_sums, dtype=np.float64, copy=True)
        k, d = self.centers.shape
        self.batch_sums = np.zeros((k, d))
        self.batch_counts = np.zeros(k)
        self.to_reassign = np.zeros(k, dtype=bool)
        self.labels = np.empty(0, dtype=np.int32)
        self.min_sq = np.empty(0)
        self.rng = rng
        self.n_since_reassign = n_since_reassign
        self.ratio = float(ratio)
        self.n_steps = 0
        self.n_reassigned = 0

    def step(self, X, where, row_offset=0):
        """One step on the batch ``X``; ``where()`` names it in error messages."""
        n = X.shape[0]
        if self.labels.shape[0] < n:
            self.labels = np.empty(n, dtype=np.int32)
            self.min_sq = np.empty(n)
        inertia, bad, n_flagged = minibatch_step(
            X,
            self.centers,
            self.centers_new,
            self.weight_sums,
            self.labels[:n],
            self.min_sq[:n],
            self.batch_sums,
            self.batch_counts,
            self.ratio,
            self.to_reassign,
        )
        if bad >= 0:  # the kernel wrote nothing
            _raise_nonfinite(f"{where()}: row {row_offset + bad}")
        # Periodic random reassignment of small centres, as in scikit-learn: every
        # 10 * n_clusters rows, or at once when a centre has never been fed.
        self.n_since_reassign += n
        k = self.centers.shape[0]
        if self.n_since_reassign >= 10 * k or (self.weight_sums == 0).any():
            self.n_since_reassign = 0
            if n_flagged and self.ratio > 0:
                self._reassign(X)
        self.centers, self.centers_new = self.centers_new, self.centers
        self.n_steps += 1
        return inertia

    def run_block(self, block, batch_size, skip, where, row0=0, origin=None):
        """Steps over every batch of ``block`` not flagged in ``skip`` (one kernel
        call, back in Python only to draw reassigned rows); ``origin(row)`` says
        where a bad row is stored."""
        if self.labels.shape[0] < batch_size:
            self.labels = np.empty(batch_size, dtype=np.int32)
            self.min_sq = np.empty(batch_size)
        k = self.centers.shape[0]
        counters = np.array([self.n_since_reassign, 10 * k, 0], dtype=np.int64)
        start = 0
        buffers = MiniBatchBuffers(
            self.centers,
            self.centers_new,
            self.weight_sums,
            self.labels,
            self.min_sq,
            self.batch_sums,
            self.batch_counts,
            self.to_reassign,
        )
        while True:
            stop, status, bad = minibatch_run(
                block, batch_size, skip, start, buffers, self.ratio, counters
            )
            self.n_since_reassign = int(counters[0])
            self.n_steps += int(counters[2])
            counters[2] = 0
            if status == 2:
                row = row0 + bad
                _raise_nonfinite(
                    f"{where(stop)}: row {row}{origin(row) if origin else ''}"
                )
            if status == 0:
                return
            lo = stop * batch_size
            self._reassign(block[lo : lo + batch_size])
            self.centers[:, :] = self.centers_new
            start = stop + 1

    def _reassign(self, X):
        to = self.to_reassign.copy()
        if to.all():
            to[np.argmax(self.weight_sums)] = False
        cap = int(0.5 * X.shape[0])
        if to.sum() > cap:
            to[np.argsort(self.weight_sums)[cap:]] = False
        n_re = int(to.sum())
        if n_re == 0:
            return
        rows = self.rng.choice(X.shape[0], size=n_re, replace=False)
        self.centers_new[to] = X[rows]
        self.weight_sums[to] = self.weight_sums[~to].min()
        self.n_reassigned += n_re


class _Progress:
    """Rows/s progress for long passes: tqdm when installed, else one line per pass."""

    def __init__(self, verbose, total, desc):
        self.verbose, self.desc, self.n, self.bar = verbose, desc, 0, None
        self.t0 = time.perf_counter()
        if verbose:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=total, desc=desc, unit="rows", unit_scale=True)
            except ImportError:
                pass

    def update(self, n):
        self.n += n
        if self.bar is not None:
            self.bar.update(n)

    def close(self, extra=""):
        if self.bar is not None:
            self.bar.set_postfix_str(extra)
            self.bar.close()
        elif self.verbose:
            dt = max(time.perf_counter() - self.t0, 1e-9)
            print(
                f"{self.desc}: {self.n} rows in {dt:.2f} s "
                f"({self.n / dt:,.0f} rows/s) {extra}"
            )


def _iter_blocks(source, batch_size, dtype):
    """Yield ``(first_batch, first_row, block)``; blocks hold whole batches."""
    m = max(1, _BLOCK_ROWS // batch_size)
    row = 0
    for b, block in enumerate(source.iter_batches(batch_size * m)):
        block = np.ascontiguousarray(block, dtype=dtype)
        _check_range(block, repr(source), row, source.row_origin)
        yield b * m, row, block
        row += block.shape[0]


def _batch_flags(is_test, b0, n_rows, batch_size):
    """Per-row test flags of a block starting at batch ``b0`` (None: no test rows)."""
    if is_test is None:
        return None
    flags = is_test[b0 : b0 + -(-n_rows // batch_size)]
    if not flags.any():
        return None
    return np.repeat(flags, batch_size)[:n_rows]


def _where(b0, row0, batch_size, row):
    return f"batch {b0 + row // batch_size}, source row {row0 + row}"


def _check_block_finite(source, b0, row0, batch_size, block):
    """Refuse a block of ``source`` (batch ``b0``, row ``row0``) with a NaN/inf row."""
    bad = first_nonfinite_row(block)
    if bad >= 0:
        _raise_nonfinite(
            f"{source!r}, {_where(b0, row0, batch_size, bad)}"
            f"{source.row_origin(row0 + bad)}"
        )
