"""ProfileKMeans: k-means on depth profiles, with knee (Kneedle) selection of k."""
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.cluster import kmeans_plusplus
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skgeoclust._kernels.kmeans import accumulate_cluster_sums
from skgeoclust.cluster._kmeans_core import assign, farthest_rows, lloyd_centers
from skgeoclust.cluster._knee import box_smooth, knee_point
from skgeoclust.utils._seeds import integer_seed
from skgeoclust.utils._validation import validate_profile_data


class _KMeansResult(NamedTuple):
    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int


def _euclidean_cdist(X, centers, metric_params, n_jobs):
    return euclidean_distances(X, centers)


def _dtw_cdist(X, centers, metric_params, n_jobs):
    from tslearn.metrics import cdist_dtw

    return cdist_dtw(X[:, :, None], centers[:, :, None], n_jobs=n_jobs, **metric_params)


def _softdtw_cdist(X, centers, metric_params, n_jobs):
    from tslearn.metrics import cdist_soft_dtw

    return cdist_soft_dtw(
        X[:, :, None], centers[:, :, None], n_jobs=n_jobs, **metric_params
    )


#: Distance of every profile to every centre, per metric.
_CDIST = {"euclidean": _euclidean_cdist, "dtw": _dtw_cdist, "softdtw": _softdtw_cdist}


def _lloyd(X, centers, max_iter):
    """Exact Lloyd iterations until the labels stop changing (or ``max_iter``).

    An empty cluster is re-seeded at the profile farthest from its centre, as
    scikit-learn does. Threads (every Numba thread) only for large passes.
    """
    n_clusters = centers.shape[0]
    labels = np.full(X.shape[0], -1, dtype=np.int32)
    now = assign(X, centers, n_threads=None)
    n_iter = 0
    while n_iter < max_iter and not np.array_equal(labels, now.labels):
        labels = now.labels
        sums = np.zeros_like(centers)
        counts = np.zeros(n_clusters)
        accumulate_cluster_sums(X, labels, sums, counts)
        n_empty = np.count_nonzero(counts == 0)
        far = X[farthest_rows(now.sq_dist, n_empty)]
        centers = lloyd_centers(sums, counts, centers, far)
        now = assign(X, centers, n_threads=None)
        n_iter += 1
    return _KMeansResult(centers, now.labels.astype(np.int64), now.inertia, n_iter)


def _fit_euclidean(X, n_clusters, seed, n_init, max_iter):
    """Lloyd k-means from k-means++ seeds, run to a fixed point of the labels.

    The seeds are drawn exactly as tslearn's TimeSeriesKMeans draws them (sklearn's
    k-means++ on a generator seeded with ``seed``), so both start alike.
    """
    rng = check_random_state(seed)
    best = None
    for _ in range(n_init):
        init, _ = kmeans_plusplus(X, n_clusters, random_state=rng)
        result = _lloyd(X, np.array(init, dtype=np.float64), max_iter)
        if best is None or result.inertia < best.inertia:
            best = result
    return best


def _fit_tslearn(
    X,
    n_clusters,
    seed,
    n_init,
    max_iter,
    tol,
    metric,
    max_iter_barycenter,
    metric_params,
    n_jobs,
):
    """DTW / soft-DTW k-means through tslearn's TimeSeriesKMeans."""
    from tslearn.clustering import TimeSeriesKMeans

    model = TimeSeriesKMeans(
        n_clusters=n_clusters,
        max_iter=max_iter,
        tol=tol,
        n_init=n_init,
        metric=metric,
        max_iter_barycenter=max_iter_barycenter,
        metric_params=metric_params,
        n_jobs=n_jobs,
        random_state=seed,
    ).fit(X[:, :, None])
    if model.cluster_centers_ is None:
        raise ValueError(
            f"tslearn TimeSeriesKMeans found an empty cluster in every attempt with "
            f"n_clusters={n_clusters}; use fewer clusters."
        )
    # tslearn reports the mean squared distance; scale to a sum like sklearn.
    return _KMeansResult(
        np.ascontiguousarray(model.cluster_centers_[:, :, 0], dtype=np.float64),
        np.asarray(model.labels_, dtype=np.int64),
        float(model.inertia_) * X.shape[0],
        int(model.n_iter_),
    )


class ProfileKMeans(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """k-means clustering of depth profiles, with automatic choice of k.

    ``metric="euclidean"`` runs exact Lloyd iterations (Numba kernels) from k-means++
    seeds drawn as tslearn's ``TimeSeriesKMeans`` draws them,
    so with the same ``random_state`` both reach the same partition;
    ``"dtw"``/``"softdtw"`` use ``TimeSeriesKMeans`` with DTW barycentre averaging.
    With ``n_clusters=None`` every k in ``n_clusters_range`` is fitted and k is the
    knee (Kneedle) of the distortion curve, optionally box-smoothed, as in SeisGo's
    ``vpcluster_evaluate_kmean``.

    Read more in the :ref:`User Guide <profile_clustering>`.

    Parameters
    ----------
    n_clusters : int or None, default=5
        Number of clusters; None chooses it by the knee of the distortion curve.
    metric : {"euclidean", "dtw", "softdtw"}, default="euclidean"
        Distance between profiles.
    n_clusters_range : array-like of int, default=None
        The k values tried when ``n_clusters=None`` (at least 3 values, each at most
        ``n_samples``). None means ``2 .. min(20, n_samples - 1)`` (SeisGo's range).
    knee_smoothing : int or None, default=None
        Box-smooth the distortion curve over this many points before locating the
        knee (SeisGo's ``smooth_n``); None does not smooth.
    n_init : int, default=1
        Number of k-means++ initialisations; the run with the lowest inertia wins.
    max_iter : int, default=300
        Maximum Lloyd iterations (euclidean) or k-means iterations (DTW).
    tol : float, default=1e-6
        DTW / soft-DTW only: stop when the mean inertia changes by less (tslearn's
        rule). The euclidean path iterates until the labels stop changing.
    max_iter_barycenter : int, default=100
        Iterations of the DTW / soft-DTW barycentre computation.
    metric_params : dict, default=None
        Extra arguments of tslearn's DTW / soft-DTW (``gamma``,
        ``sakoe_chiba_radius``, ...).
    random_state : int, RandomState instance or None, default=None
        Seed of the k-means++ initialisation. An int gives the same seeds as
        ``TimeSeriesKMeans(random_state=int)``; each k of the sweep starts from the
        same seed, as in SeisGo.
    n_jobs : int, default=None
        Parallel jobs over the k values of the sweep, and for tslearn's DTW.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (`n_clusters_`, n_features)
        Centroid (or DTW barycentre) profiles.
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training profile.
    inertia_ : float
        Sum over profiles of the squared distance to their centre (tslearn's
        ``inertia_`` times ``n_samples``).
    n_iter_ : int
        Iterations run.
    n_clusters_ : int
        Number of clusters used (the knee when ``n_clusters=None``).
    distortions_ : ndarray of shape (n_k,)
        Inertia for each k in ``n_clusters_range`` (only when ``n_clusters=None``).
    n_clusters_range_ : ndarray of shape (n_k,)
        The k values tried (only when ``n_clusters=None``).
    n_features_in_ : int
        Number of depths per profile.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in :meth:`fit`, for DataFrame input.

    See Also
    --------
    ProfileSOM : Self-organising-map clustering of profiles.
    skgeoclust.preprocessing.extract_profiles : Profiles from a 3-D model.
    tslearn.clustering.TimeSeriesKMeans : The DTW engine.

    Notes
    -----
    Euclidean: O(n_samples * n_clusters * n_features) per iteration and no n x n
    matrix; the k sweep multiplies this by the number of k values. DTW costs
    O(n_features^2) per pair instead of O(n_features).

    When no knee is found (for example a straight distortion line) the k with the
    largest Kneedle difference is used and a warning is raised; SeisGo fails with an
    IndexError there. In the euclidean path an empty cluster is re-seeded at the
    profile farthest from its centre (as in scikit-learn); tslearn retries with a new
    initialisation.

    References
    ----------
    .. [1] Satopaa, V., Albrecht, J., Irwin, D. and Raghavan, B. (2011). Finding a
       "Kneedle" in a haystack: detecting knee points in system behavior. ICDCS
       Workshops, 166-171.
    .. [2] Petitjean, F., Ketterlin, A. and Gancarski, P. (2011). A global averaging
       method for dynamic time warping. Pattern Recognition 44(3), 678-693.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.cluster import ProfileKMeans
    >>> X = np.array([[4.0, 4.5, 4.6], [4.1, 4.5, 4.7], [3.0, 3.5, 4.4],
    ...               [3.1, 3.4, 4.4], [3.0, 3.6, 4.5], [4.0, 4.4, 4.6]])
    >>> km = ProfileKMeans(n_clusters=2, random_state=0).fit(X)
    >>> km.labels_.tolist(), km.cluster_centers_.shape
    ([1, 1, 0, 0, 0, 1], (2, 3))
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left"), None],
        "metric": [StrOptions({"euclidean", "dtw", "softdtw"})],
        "n_clusters_range": ["array-like", None],
        "knee_smoothing": [Interval(Integral, 1, None, closed="left"), None],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter_barycenter": [Interval(Integral, 1, None, closed="left")],
        "metric_params": [dict, None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        n_clusters=5,
        *,
        metric="euclidean",
        n_clusters_range=None,
        knee_smoothing=None,
        n_init=1,
        max_iter=300,
        tol=1e-6,
        max_iter_barycenter=100,
        metric_params=None,
        random_state=None,
        n_jobs=None,
    ):
        self.n_clusters = n_clusters
        self.metric = metric
        self.n_clusters_range = n_clusters_range
        self.knee_smoothing = knee_smoothing
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.max_iter_barycenter = max_iter_barycenter
        self.metric_params = metric_params
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _fit_k(self, X, k, seed):
        if self.metric == "euclidean":
            return _fit_euclidean(X, k, seed, self.n_init, self.max_iter)
        return _fit_tslearn(
            X,
            k,
            seed,
            self.n_init,
            self.max_iter,
            self.tol,
            self.metric,
            self.max_iter_barycenter,
            self.metric_params,
            self.n_jobs,
        )

    def _k_range(self, n_samples):
        if self.n_clusters_range is None:
            return np.arange(2, min(20, n_samples - 1) + 1)
        ks = np.asarray(self.n_clusters_range)
        if ks.ndim != 1 or not np.issubdtype(ks.dtype, np.integer):
            raise ValueError(
                f"n_clusters_range must be a 1-D sequence of ints, got "
                f"{self.n_clusters_range!r}."
            )
        bad = ks[(ks < 1) | (ks > n_samples)]
        if bad.size:
            raise ValueError(
                f"n_clusters_range holds {int(bad[0])}, outside [1, n_samples="
                f"{n_samples}]."
            )
        if np.any(np.diff(ks) <= 0):
            raise ValueError("n_clusters_range must be strictly increasing.")
        return ks

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Cluster profiles.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Profiles, one per row (a column per depth).
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : ProfileKMeans
            Fitted estimator.
        """
        X = validate_profile_data(self, X, reset=True)
        n_samples = X.shape[0]
        seed = integer_seed(self.random_state)
        if self.n_clusters is not None:
            if self.n_clusters > n_samples:
                raise ValueError(
                    f"n_clusters={self.n_clusters} exceeds n_samples={n_samples}."
                )
            result = self._fit_k(X, int(self.n_clusters), seed)
            n_clusters = int(self.n_clusters)
            ks = distortions = None
        else:
            ks = self._k_range(n_samples)
            if ks.size < 3:
                raise ValueError(
                    f"Choosing n_clusters needs at least 3 values in n_clusters_range; "
                    f"got {ks.tolist()} (n_samples={n_samples})."
                )
            results = Parallel(n_jobs=self.n_jobs if self.metric == "euclidean" else 1)(
                delayed(self._fit_k)(X, int(k), seed) for k in ks
            )
            distortions = np.array([r.inertia for r in results])
            curve = (
                distortions
                if self.knee_smoothing is None
                else box_smooth(distortions, self.knee_smoothing)
            )
            knee = knee_point(ks, curve)
            if knee is None:
                span = np.ptp(curve) or 1.0
                score = (curve.max() - curve) / span - (ks - ks.min()) / np.ptp(ks)
                knee = ks[int(np.argmax(score))]
                warnings.warn(
                    f"No knee found in the distortion curve over k={ks.tolist()}; "
                    f"using k={int(knee)}, the largest Kneedle difference.",
                    UserWarning,
                    stacklevel=2,
                )
            n_clusters = int(knee)
            result = results[int(np.flatnonzero(ks == n_clusters)[0])]
        n_used = np.unique(result.labels).size
        if n_used < n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({n_used}) found smaller than "
                f"n_clusters ({n_clusters}): the profiles hold fewer distinct rows "
                f"than clusters (duplicates?), so labels_ use {n_used} of the "
                f"{n_clusters} centres.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.cluster_centers_ = result.centers
        self.labels_ = result.labels
        self.inertia_ = result.inertia
        self.n_iter_ = result.n_iter
        self.n_clusters_ = n_clusters
        self._n_features_out = n_clusters
        if ks is None:  # a fixed k: no curve, not even a previous fit's
            self.__dict__.pop("distortions_", None)
            self.__dict__.pop("n_clusters_range_", None)
        else:
            self.distortions_ = distortions
            self.n_clusters_range_ = ks
        return self

    def _transform(self, X):
        params = {} if self.metric_params is None else dict(self.metric_params)
        return _CDIST[self.metric](X, self.cluster_centers_, params, self.n_jobs)

    def predict(self, X):
        """Nearest centre of each profile.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Profiles.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster index of each profile.
        """
        check_is_fitted(self)
        X = validate_profile_data(self, X, reset=False)
        X = np.ascontiguousarray(X, dtype=np.float64)
        if self.metric == "euclidean":
            # The kernel that labelled the training profiles: predict(X) == labels_.
            labels = assign(X, self.cluster_centers_, n_threads=None).labels
            return labels.astype(np.int64)
        return np.argmin(self._transform(X), axis=1)

    def transform(self, X):
        """Distance of each profile to each centre, in the chosen metric.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Profiles.

        Returns
        -------
        distances : ndarray of shape (n_samples, `n_clusters_`)
        """
        check_is_fitted(self)
        X = validate_profile_data(self, X, reset=False)
        return self._transform(np.asarray(X, dtype=np.float64))

    def score(self, X, y=None):
        """Opposite of the sum of squared distances to the nearest centre.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Profiles.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        score : float
        """
        return -float(np.sum(np.min(self.transform(X), axis=1) ** 2))
