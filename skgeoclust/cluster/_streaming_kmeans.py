"""StreamingMiniBatchKMeans: out-of-core mini-batch k-means over batch sources."""
# SPDX-License-Identifier: BSD-3-Clause

import os
import tempfile
import time
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.cluster import kmeans_plusplus
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import (
    _get_feature_names,
    check_is_fitted,
    validate_data,
)

from skgeoclust._kernels.kmeans import accumulate_cluster_sums, first_nonfinite_row
from skgeoclust.cluster._kmeans_core import (
    FarthestRows,
    assign,
    lloyd_centers,
    numba_threads,
)
from skgeoclust.cluster._streaming_steps import (
    _BLOCK_ROWS,
    DEFAULT_INIT_SIZE,
    _batch_flags,
    _check_block_finite,
    _check_finite,
    _check_range,
    _distances,
    _float_dtype,
    _iter_blocks,
    _lloyd_on_pool,
    _MiniBatchState,
    _predict_block,
    _Progress,
    _raise_nonfinite,
    _transform_block,
)
from skgeoclust.streams._sources import (
    ArraySource,
    BatchSource,
    DaskArraySource,
    as_batch_source,
    is_dask_array,
)
from skgeoclust.utils._validation import naming_conversion_errors


def _check_label_dtype(dtype, n_clusters):
    """A ValueError when an ``out`` of ``dtype`` cannot hold labels 0..n_clusters-1."""
    if dtype is None:
        return
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        fits = np.iinfo(dtype).max >= n_clusters - 1
    elif dtype.kind == "f":
        fits = n_clusters - 1 <= 2 ** np.finfo(dtype).nmant
    else:
        fits = dtype.kind == "O"
    if not fits:
        raise ValueError(
            f"out has dtype {dtype}, which cannot hold the labels 0..{n_clusters - 1} "
            f"of n_clusters={n_clusters}; use an int32 (or wider) array."
        )


class StreamingMiniBatchKMeans(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """Out-of-core mini-batch k-means over a stream of batches, with exact refinement.

    Fits k-means on data that need not fit in memory: an array, a ``numpy.memmap``,
    a Dask array or any :mod:`skgeoclust.streams` batch source (``.npy`` shards,
    Parquet). The fit follows the usual streaming recipe (a warm start on the first
    batches, then mini-batch updates over every batch) and then makes it exact:

    1. warm start: k-means++ (best of ``n_init``) and Lloyd iterations on a pool of
       ``init_size`` training rows (the first batches, or a uniform sample);
    2. ``n_passes`` passes of mini-batch updates (Sculley 2010) over every training
       batch, with per-centre learning rates and reassignment of starved centres;
    3. up to ``refine_max_iter`` out-of-core Lloyd passes, each one accumulating
       per-centre sums and counts over all training batches, i.e. one exact k-means
       iteration, until the centres move less than ``tol``;
    4. one evaluation pass giving the exact ``inertia_`` (and ``test_inertia_``).

    Memory stays at one block of rows plus the pool, whatever the number of rows.

    Read more in the :ref:`User Guide <streaming_kmeans>`.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    init : {"k-means++", "random"} or array-like of shape (n_clusters, n_features), \
default="k-means++"
        Seeding of the warm start on the pool; an array gives the centres directly.
    n_init : int, default=3
        Seedings tried on the pool; the one with the lowest pool inertia is kept.
        Ignored when ``init`` is an array.
    batch_size : int, default=256
        Rows per mini-batch step, and the unit of the train/test split.
    init_size : int, default=None
        Rows in the warm-start pool. None means ``min(25_600, n_train_rows)``; an
        explicit value larger than the training set warns and uses every row.
    init_sample : {"head", "uniform"}, default="head"
        ``"head"`` takes the pool from the first training batches (the usual recipe,
        no extra read); ``"uniform"`` draws it uniformly from all training rows at
        the cost of one extra read of the data (use it for sorted data).
    n_passes : int, default=1
        Mini-batch passes over the training batches.
    refine_max_iter : int, default=10
        Maximum number of exact out-of-core Lloyd passes after the mini-batch
        passes. 0 keeps the mini-batch centres.
    tol : float, default=1e-4
        Lloyd passes (on the pool and out-of-core) stop when the summed squared
        centre shift is at most ``tol`` times the mean feature variance of the pool.
    reassignment_ratio : float, default=0.01
        A centre whose count is below this fraction of the largest count is moved
        to a random row of the current batch (checked every ``10 * n_clusters``
        rows, as in :class:`sklearn.cluster.MiniBatchKMeans`).
    test_size : float or int, default=None
        Batches held out from training: a fraction of the batches (float in (0, 1))
        or a number of batches. They are labelled and scored (``test_inertia_``)
        but never update the centres.
    random_state : int, RandomState instance or None, default=None
        Draws the test batches, the pool, the seeding and the reassigned rows.
    n_jobs : int, default=None
        Threads for the assignment of large blocks (exact passes, evaluation,
        ``predict``, ``label_to``); None means 1, -1 all Numba threads. The
        mini-batch steps are always single-threaded. Threads help on an idle
        machine and hurt on an oversubscribed one (see the user guide).
    verbose : int, default=0
        Progress with rows/s for every pass (tqdm when installed).

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Final centres.
    labels_ : ndarray of shape (n_samples,)
        Label of every row, set only when ``X`` is an array or memory map (never
        for sources and Dask arrays: use :meth:`label_to`). After
        :meth:`partial_fit`, the labels of the last batch.
    inertia_ : float
        Sum of squared distances of the training rows to their closest centre
        (after :meth:`partial_fit`: of the last batch).
    test_inertia_ : float or None
        The same over the held-out batches; None without ``test_size``.
    cluster_sizes_ : ndarray of shape (n_clusters,)
        Training rows per cluster.
    n_empty_clusters_ : int
        Clusters without a training row at the end of the fit.
    n_steps_ : int
        Mini-batch steps performed.
    n_iter_ : int
        Exact Lloyd passes performed.
    n_reassigned_ : int
        Centres moved by the reassignment of starved centres.
    init_size_ : int
        Rows in the warm-start pool.
    test_batches_ : ndarray of int
        Indices of the held-out batches (empty without ``test_size``).
    n_rows_ : int
        Rows read from the source (train and test).
    timings_ : dict
        Wall-clock seconds of the fit phases: ``"warm_start"``, ``"mini_batch"``
        (all passes), ``"refine"`` (Lloyd passes) and ``"evaluate"``.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit`, for DataFrame input.

    See Also
    --------
    sklearn.cluster.MiniBatchKMeans : In-memory mini-batch k-means.
    sklearn.cluster.KMeans : Full-batch Lloyd/Elkan k-means.
    skgeoclust.streams : Batch sources.

    Notes
    -----
    One mini-batch step costs ``O(batch_size * n_clusters * n_features)``. In
    :meth:`fit`, all the batches of a block run in one single-threaded Numba call
    with no validation beyond a finiteness check (Python is re-entered only to draw
    reassigned rows), which is what makes small batches fast; :meth:`partial_fit`
    validates its batch like any scikit-learn method. Each exact pass costs
    ``O(n_rows * n_clusters * n_features)`` and reads the data once; memory is
    ``O(block * n_features + init_size * n_features)`` with blocks of about
    65,536 rows.

    Departures from the usual recipe: the warm start runs Lloyd to convergence on
    the pool (the recipe fits MiniBatchKMeans on it) and seeds the per-centre counts
    with the pool cluster sizes; the exact Lloyd passes are an addition, because
    mini-batch updates alone end 10-20 % above full-batch inertia. An empty cluster
    in a Lloyd pass moves to one of the rows farthest from their centre, without
    removing that row from its donor cluster's sums.

    References
    ----------
    D. Sculley, "Web-scale k-means clustering", WWW 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.cluster import StreamingMiniBatchKMeans
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1],
    ...               [5.0, 5.0], [5.1, 5.0], [5.0, 5.1]])
    >>> km = StreamingMiniBatchKMeans(2, batch_size=2, random_state=0).fit(X)
    >>> km.cluster_centers_[np.argsort(km.cluster_centers_[:, 0])].round(3)
    array([[0.033, 0.033],
           [5.033, 5.033]])
    >>> bool((km.predict(X) == km.labels_).all()), round(km.inertia_, 4)
    (True, 0.0267)
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random"}), "array-like"],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "init_size": [Interval(Integral, 1, None, closed="left"), None],
        "init_sample": [StrOptions({"head", "uniform"})],
        "n_passes": [Interval(Integral, 0, None, closed="left")],
        "refine_max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "reassignment_ratio": [Interval(Real, 0, None, closed="left")],
        "test_size": [
            Interval(RealNotInt, 0, 1, closed="neither"),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init=3,
        batch_size=256,
        init_size=None,
        init_sample="head",
        n_passes=1,
        refine_max_iter=10,
        tol=1e-4,
        reassignment_ratio=0.01,
        test_size=None,
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.batch_size = batch_size
        self.init_size = init_size
        self.init_sample = init_sample
        self.n_passes = n_passes
        self.refine_max_iter = refine_max_iter
        self.tol = tol
        self.reassignment_ratio = reassignment_ratio
        self.test_size = test_size
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers
    def _source_for_fit(self, X):
        """(source, in_memory, feature_names); arrays are checked here, sources per
        batch. Nothing is set on the estimator until the fit has succeeded."""
        if isinstance(X, BatchSource):
            return X, False, None
        if is_dask_array(X):
            return DaskArraySource(X), False, None
        if isinstance(X, np.memmap):
            if X.ndim != 2 or not np.issubdtype(X.dtype, np.number):
                raise ValueError(
                    f"a memory-mapped X must be 2-D and numeric, got shape {X.shape} "
                    f"and dtype {X.dtype}."
                )
            return ArraySource(X), True, None
        names = _get_feature_names(X)
        with naming_conversion_errors("X"):
            X = check_array(
                X,
                dtype=[np.float64, np.float32],
                ensure_all_finite=False,
                estimator=self,
            )
        return ArraySource(X), True, names

    def _check_init_array(self, n_features, dtype):
        centers = np.asarray(self.init, dtype=np.float64)
        if centers.shape != (self.n_clusters, n_features):
            raise ValueError(
                f"init array has shape {centers.shape}, expected "
                f"(n_clusters={self.n_clusters}, n_features={n_features})."
            )
        if not np.isfinite(centers).all():
            raise ValueError("init array contains NaN or infinity.")
        return centers.astype(dtype)

    def _warm_start(self, pool, rng):
        """Seed and polish the centres on the pool; return centres, counts, tol."""
        k = self.n_clusters
        tol_abs = self.tol * float(np.mean(np.var(pool, axis=0))) if pool.size else 0.0
        if isinstance(self.init, str):
            candidates = []
            for _ in range(self.n_init):
                if self.init == "k-means++":
                    seeds, _ = kmeans_plusplus(pool, k, random_state=rng)
                else:
                    seeds = pool[rng.choice(pool.shape[0], size=k, replace=False)]
                candidates.append(seeds)
        else:
            candidates = [self._check_init_array(pool.shape[1], pool.dtype)]
        best = None
        for seeds in candidates:
            result = _lloyd_on_pool(pool, seeds, tol_abs)
            if best is None or result[2] < best[2]:
                best = result
        return best[0], best[1], tol_abs

    def _split(self, n_batches, rng):
        if self.test_size is None:
            return None, np.empty(0, dtype=np.intp)
        if isinstance(self.test_size, Integral):
            n_test = int(self.test_size)
        else:
            n_test = max(1, round(self.test_size * n_batches))
        if n_test >= n_batches:
            raise ValueError(
                f"test_size={self.test_size} holds out {n_test} of {n_batches} batches "
                f"(batch_size={self.batch_size}), leaving none to train on."
            )
        test = np.sort(rng.choice(n_batches, size=n_test, replace=False))
        is_test = np.zeros(n_batches, dtype=bool)
        is_test[test] = True
        return is_test, test

    def _collect_pool(self, source, is_test, n_train, dtype, rng):
        bs = self.batch_size
        if self.init_size is None:
            size = min(DEFAULT_INIT_SIZE, n_train)
        else:
            size = int(self.init_size)
            if size > n_train:
                warnings.warn(
                    f"init_size={size} is larger than the {n_train} training rows; "
                    "the warm start uses every training row.",
                    UserWarning,
                    stacklevel=3,
                )
                size = n_train
        pick = None
        if self.init_sample == "uniform":
            pick = np.sort(rng.choice(n_train, size=size, replace=False))
        parts, n_got, train_row = [], 0, 0
        for b0, row0, block in _iter_blocks(source, bs, dtype):
            _check_block_finite(source, b0, row0, bs, block)
            flags = _batch_flags(is_test, b0, block.shape[0], bs)
            train = block if flags is None else block[~flags]
            if pick is None:
                part = train[: size - n_got]
            else:
                lo, hi = np.searchsorted(pick, [train_row, train_row + train.shape[0]])
                part = train[pick[lo:hi] - train_row]
            train_row += train.shape[0]
            parts.append(np.array(part))
            n_got += part.shape[0]
            if n_got >= size:
                break
        return np.concatenate(parts)

    def _exact_pass(self, source, is_test, centers, dtype, progress, labels_out=None):
        """One read of the data: train sums/counts/inertia, test inertia, far rows."""
        k, d = centers.shape
        bs = self.batch_size
        sums, counts = np.zeros((k, d)), np.zeros(k)
        train_inertia = test_inertia = 0.0
        far = FarthestRows(k, d)
        for b0, row0, block in _iter_blocks(source, bs, dtype):
            _check_block_finite(source, b0, row0, bs, block)
            labels, min_sq, _ = assign(block, centers, numba_threads(self.n_jobs))
            if labels_out is not None:
                labels_out[row0 : row0 + block.shape[0]] = labels
            flags = _batch_flags(is_test, b0, block.shape[0], bs)
            if flags is None:
                train_inertia += float(min_sq.sum())
                accumulate_cluster_sums(block, labels, sums, counts)
                far.add(block, min_sq, row0)
            else:
                test_inertia += float(min_sq[flags].sum())
                train_inertia += float(min_sq[~flags].sum())
                train = np.ascontiguousarray(block[~flags])
                accumulate_cluster_sums(train, labels[~flags], sums, counts)
                far.add(train, min_sq[~flags], rows=row0 + np.flatnonzero(~flags))
            progress.update(block.shape[0])
        return sums, counts, train_inertia, test_inertia, far.rows

    # ---------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the centres on an array, memory map, Dask array or batch source.

        Parameters
        ----------
        X : array-like, numpy.memmap, dask.array.Array or BatchSource
            Training data, shape (n_samples, n_features). Sources and Dask arrays
            are read one block at a time.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        source, in_memory, feature_names = self._source_for_fit(X)
        if source.n_rows == 0:
            raise ValueError(f"the source {source!r} is empty (0 rows).")
        dtype = _float_dtype(source.dtype)
        bs = self.batch_size
        rng = check_random_state(self.random_state)
        n_batches = -(-source.n_rows // bs)
        is_test, test_batches = self._split(n_batches, rng)
        n_test_rows = 0
        if is_test is not None:
            n_test_rows = int(is_test.sum()) * bs
            if is_test[-1]:
                n_test_rows -= n_batches * bs - source.n_rows
        n_train = source.n_rows - n_test_rows
        if n_train < self.n_clusters:
            raise ValueError(
                f"n_samples={n_train} training rows should be >= "
                f"n_clusters={self.n_clusters}."
            )

        t_start = time.perf_counter()
        pool = self._collect_pool(source, is_test, n_train, dtype, rng)
        centers, counts, tol_abs = self._warm_start(pool, rng)
        init_size = pool.shape[0]
        del pool

        t_warm = time.perf_counter()
        state = _MiniBatchState(centers, counts, rng, 0, self.reassignment_ratio)
        for p in range(self.n_passes):
            progress = _Progress(self.verbose, n_train, f"mini-batch pass {p + 1}")
            for b0, row0, block in _iter_blocks(source, bs, dtype):
                n_b = -(-block.shape[0] // bs)
                if is_test is None:
                    skip = np.zeros(n_b, dtype=bool)
                else:
                    skip = np.ascontiguousarray(is_test[b0 : b0 + n_b])
                state.run_block(
                    block,
                    bs,
                    skip,
                    lambda b, b0=b0: f"{source!r}, batch {b0 + b}, source",
                    row0,
                    source.row_origin,
                )
                flags = _batch_flags(is_test, b0, block.shape[0], bs)
                progress.update(block.shape[0] - (0 if flags is None else flags.sum()))
            progress.close(f"{state.n_reassigned} reassigned")
        centers = state.centers
        t_mini = time.perf_counter()

        n_iter = 0
        for it in range(self.refine_max_iter):
            progress = _Progress(self.verbose, source.n_rows, f"Lloyd pass {it + 1}")
            sums, cnt, inertia, _, far = self._exact_pass(
                source, is_test, centers, dtype, progress
            )
            new = lloyd_centers(sums, cnt, centers, far).astype(dtype)
            shift = float(((new - centers.astype(np.float64)) ** 2).sum())
            progress.close(f"inertia {inertia:.6g}, shift {shift:.3g}")
            centers = new
            n_iter += 1
            if shift <= tol_abs:
                break

        t_refine = time.perf_counter()
        labels = np.empty(source.n_rows, dtype=np.int32) if in_memory else None
        progress = _Progress(self.verbose, source.n_rows, "evaluation pass")
        _, sizes, inertia, test_inertia, _ = self._exact_pass(
            source, is_test, centers, dtype, progress, labels_out=labels
        )
        progress.close(f"inertia {inertia:.6g}")
        t_end = time.perf_counter()

        self.n_features_in_ = source.n_features
        if feature_names is not None:
            self.feature_names_in_ = feature_names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        if labels is not None:
            self.labels_ = labels
        elif hasattr(self, "labels_"):
            del self.labels_
        self.cluster_centers_ = centers
        self.inertia_ = inertia
        self.test_inertia_ = test_inertia if is_test is not None else None
        self.cluster_sizes_ = sizes.astype(np.int64)
        self.n_empty_clusters_ = int((sizes == 0).sum())
        self.n_steps_ = state.n_steps
        self.n_iter_ = n_iter
        self.n_reassigned_ = state.n_reassigned
        self.init_size_ = init_size
        self.test_batches_ = test_batches
        self.n_rows_ = source.n_rows
        self.timings_ = {
            "warm_start": t_warm - t_start,
            "mini_batch": t_mini - t_warm,
            "refine": t_refine - t_mini,
            "evaluate": t_end - t_refine,
        }
        self._counts = state.weight_sums
        self._n_since_last_reassign = state.n_since_reassign
        self._random_state = rng
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """One mini-batch step on the batch ``X`` (the first call also warm-starts).

        The running state (centres, per-centre counts, random state) is held in
        the estimator, so a model pickled between calls and restored continues to
        exactly the centres an uninterrupted run reaches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One batch.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            Updated estimator.
        """
        first = not hasattr(self, "cluster_centers_")
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            reset=first,
            ensure_all_finite=False,
        )
        X = np.ascontiguousarray(X)
        _check_range(X, "partial_fit batch")
        if first:
            if X.shape[0] < self.n_clusters:
                raise ValueError(
                    f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters} "
                    "for the first partial_fit call (it seeds the centres)."
                )
            _check_finite(X, "partial_fit batch")
            rng = check_random_state(self.random_state)
            size = (
                X.shape[0]
                if self.init_size is None
                else min(self.init_size, X.shape[0])
            )
            centers, counts, _ = self._warm_start(X[:size], rng)
            state = _MiniBatchState(centers, counts, rng, 0, self.reassignment_ratio)
            n_steps = n_reassigned = 0
        else:
            state = _MiniBatchState(
                self.cluster_centers_.astype(X.dtype),
                self._counts,
                self._random_state,
                self._n_since_last_reassign,
                self.reassignment_ratio,
            )
            n_steps, n_reassigned = self.n_steps_, self.n_reassigned_
        state.step(X, lambda: "partial_fit batch")
        labels, _, inertia = assign(X, state.centers)
        self.cluster_centers_ = state.centers
        self._counts = state.weight_sums
        self._n_since_last_reassign = state.n_since_reassign
        self._random_state = state.rng
        self.n_steps_ = n_steps + state.n_steps
        self.n_reassigned_ = n_reassigned + state.n_reassigned
        self.labels_ = labels
        self.inertia_ = inertia
        return self

    # ------------------------------------------------------------------ predict
    def _check_stream_source(self, X):
        source = as_batch_source(X)
        if source.n_features != self.n_features_in_:
            raise ValueError(
                f"X has {source.n_features} features, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input."
            )
        return source

    def predict(self, X):
        """Index of the closest centre for each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or dask.array.Array
            A Dask array gives a lazy Dask array of labels (``map_blocks``), so the
            labelling runs on the Dask scheduler or cluster.

        Returns
        -------
        labels : ndarray of shape (n_samples,), int32, or dask.array.Array
        """
        check_is_fitted(self)
        if is_dask_array(X):
            X = self._check_dask(X)
            return X.map_blocks(
                _predict_block,
                self.cluster_centers_,
                dtype=np.int32,
                drop_axis=1,
                meta=np.empty((0,), dtype=np.int32),
            )
        if isinstance(X, BatchSource):
            raise TypeError(
                "predict takes arrays; use predict_stream or label_to for a source."
            )
        X = self._validate_predict_X(X, "predict")
        return assign(X, self.cluster_centers_, numba_threads(self.n_jobs)).labels

    def _validate_predict_X(self, X, method):
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            reset=False,
            ensure_all_finite=False,
        )
        X = np.ascontiguousarray(X, dtype=self.cluster_centers_.dtype)
        _check_finite(X, f"{method}: X")
        return X

    def _check_dask(self, X):
        self._check_stream_source(DaskArraySource(X))
        return X.rechunk({1: -1}) if len(X.chunks[1]) > 1 else X

    def transform(self, X):
        """Euclidean distance of each row to every centre.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or dask.array.Array

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters), or dask.array.Array
        """
        check_is_fitted(self)
        centers = self.cluster_centers_
        if is_dask_array(X):
            X = self._check_dask(X)
            return X.map_blocks(
                _transform_block,
                centers,
                dtype=centers.dtype,
                chunks=(X.chunks[0], (centers.shape[0],)),
            )
        return _distances(self._validate_predict_X(X, "transform"), centers)

    def score(self, X, y=None):
        """Opposite of the inertia of ``X`` (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        X = self._validate_predict_X(X, "score")
        return -assign(X, self.cluster_centers_, numba_threads(self.n_jobs)).inertia

    def fit_predict(self, X, y=None):
        """Fit, then return the label of every row.

        Parameters
        ----------
        X : array-like, numpy.memmap, dask.array.Array or BatchSource
            Training data, shape (n_samples, n_features).
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        labels : ndarray of shape (n_samples,), or dask.array.Array
            ``labels_`` for arrays, a lazy Dask array for a Dask array, and for a
            source all its labels gathered in memory (use :meth:`label_to` to
            write them to disk instead).
        """
        self.fit(X)
        if hasattr(self, "labels_"):
            return self.labels_
        if is_dask_array(X):
            return self.predict(X)
        return np.concatenate(list(self.predict_stream(X, batch_size=_BLOCK_ROWS)))

    def predict_stream(self, X, batch_size=None):
        """Yield the labels of a source (or array) one batch at a time.

        Parameters
        ----------
        X : BatchSource, dask.array.Array or array-like of shape (n_samples, n_features)
        batch_size : int, default=None
            Rows per yielded batch; None uses ``batch_size``.

        Yields
        ------
        labels : ndarray of shape (n_batch,), int32
        """
        check_is_fitted(self)
        source = self._check_stream_source(X)
        centers = self.cluster_centers_
        n_threads = numba_threads(self.n_jobs)
        row = 0
        for batch in source.iter_batches(batch_size or self.batch_size):
            batch = np.ascontiguousarray(batch, dtype=centers.dtype)
            bad = first_nonfinite_row(batch)
            if bad >= 0:
                _raise_nonfinite(
                    f"{source!r}: row {row + bad}{source.row_origin(row + bad)}"
                )
            _check_range(batch, repr(source), row, source.row_origin)
            row += batch.shape[0]
            yield assign(batch, centers, n_threads).labels

    def label_to(self, X, out, batch_size=_BLOCK_ROWS):
        """Write the label of every row of ``X`` to ``out`` without holding them all.

        Parameters
        ----------
        X : BatchSource, dask.array.Array or array-like of shape (n_samples, n_features)
        out : str, path, or array-like of shape (n_samples,)
            A path creates an ``.npy`` file of int32 labels, written sequentially
            (no memory map, so resident memory stays at one block) under a
            temporary name in the same folder and moved to ``out`` once complete:
            a failed run leaves no file (and an existing ``out`` untouched). An
            array, a ``numpy.memmap`` or a Zarr array is filled in place; its dtype
            must hold the labels ``0 .. n_clusters - 1``.
        batch_size : int, default=65536
            Rows per read.

        Returns
        -------
        out : numpy.memmap or array-like
            The labels (a read-only memory map when ``out`` is a path).
        """
        check_is_fitted(self)
        source = self._check_stream_source(X)
        n = source.n_rows
        is_path = isinstance(out, (str, os.PathLike))
        if is_path:
            # write under a temporary name and move it into place at the end, so
            # a failed run leaves no file of zero labels at ``out``
            path = os.fspath(out)
            folder, name = os.path.split(os.path.abspath(path))
            fd, partial = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
            os.close(fd)
            try:
                mm = np.lib.format.open_memmap(
                    partial, mode="w+", dtype=np.int32, shape=(n,)
                )
                offset = mm.offset
                del mm
                sink = open(partial, "r+b")
            except BaseException:
                os.remove(partial)
                raise
            sink.seek(offset)
        else:
            if tuple(getattr(out, "shape", ())) != (n,):
                raise ValueError(
                    f"out must have shape ({n},) to hold one label per row, got "
                    f"{getattr(out, 'shape', None)}."
                )
            _check_label_dtype(getattr(out, "dtype", None), self.n_clusters)
        written = 0
        try:
            for labels in self.predict_stream(source, batch_size=batch_size):
                if is_path:
                    sink.write(labels.tobytes())
                else:
                    out[written : written + labels.shape[0]] = labels
                written += labels.shape[0]
        except BaseException:
            if is_path:
                sink.close()
                os.remove(partial)
            raise
        if is_path:
            sink.close()
            os.replace(partial, path)
        if written != n:  # pragma: no cover - the source checks its own count
            raise RuntimeError(f"wrote {written} labels for {n} rows.")
        if is_path:
            return np.load(path, mmap_mode="r")
        return out
