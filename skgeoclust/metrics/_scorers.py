"""Unsupervised clustering scorers with explicit noise handling, for GridSearchCV."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.neighbors import BallTree
from sklearn.utils import check_array

from skgeoclust.metrics._partition_scores import (
    NOISE_OPTIONS,
    ch_db_scores,
    silhouette_batch,
)
from skgeoclust.metrics._sweep_metrics import SWEEP_METRICS

_SCORES = {
    # name: (sign so that greater is better, worst value of the signed score)
    "silhouette": (1.0, -1.0),
    "calinski_harabasz": (1.0, 0.0),
    "davies_bouldin": (-1.0, -np.inf),
}


#: Where a scorer takes the labels of the scored samples from.
LABELS_FROM = ("auto", "fit", "predict")


def _dbscan_fitted_on(estimator, X):
    """Whether a fitted DBSCAN's core samples are rows of ``X`` (None: unknown)."""
    core = np.asarray(estimator.core_sample_indices_)
    components = np.asarray(estimator.components_)
    if core.size:
        if core.max() >= X.shape[0] or components.shape != (core.size, X.shape[1]):
            return False
        return bool(np.array_equal(X[core], components))
    # No core sample: labels_ are all noise, which is also what this DBSCAN gives X
    # if X has no core sample either (then the labels are right whatever X is).
    params = estimator.metric_params or {}
    try:
        if estimator.metric == "precomputed":
            counts = (X <= estimator.eps).sum(axis=1)
        else:
            if estimator.metric == "minkowski":
                params = {"p": 2 if estimator.p is None else estimator.p, **params}
            tree = BallTree(X, metric=estimator.metric, **params)
            counts = tree.query_radius(X, estimator.eps, count_only=True)
    except (TypeError, ValueError):  # a metric BallTree cannot compute
        return None
    return bool((counts < estimator.min_samples).all())


def _fitted_on(estimator, X):
    """Whether ``X`` is the sample set ``estimator`` was fitted on.

    True or False where the estimator keeps evidence of its training samples
    (DBSCAN: its core samples; HDBSCAN: its data), None where it keeps none.
    """
    labels = getattr(estimator, "labels_", None)
    if labels is None or len(labels) != X.shape[0]:
        return False
    if hasattr(estimator, "core_sample_indices_") and hasattr(estimator, "components_"):
        return _dbscan_fitted_on(estimator, X)
    raw = getattr(estimator, "_raw_data", None)  # sklearn's HDBSCAN keeps its data
    if isinstance(raw, np.ndarray) and raw.ndim == 2:
        return raw.shape == X.shape and bool(np.array_equal(raw, X, equal_nan=True))
    return None


def _labels_of(estimator, X, labels_from):
    """The labels ``estimator`` gives the samples ``X`` (see ``labels_from``)."""
    name = type(estimator).__name__
    can_predict = hasattr(estimator, "predict")
    if labels_from == "predict" or (labels_from == "auto" and can_predict):
        if labels_from == "auto" and _fitted_on(estimator, X):
            return np.asarray(estimator.labels_)
        if not can_predict:
            raise ValueError(
                f"labels_from='predict', but {name} has no predict method: it cannot "
                "label samples it was not fitted on."
            )
        return np.asarray(estimator.predict(X))
    labels = getattr(estimator, "labels_", None)
    if labels is None:
        raise ValueError(f"{name} has neither labels_ nor predict: nothing to score.")
    if len(labels) != X.shape[0]:
        raise ValueError(
            f"{name} was fitted on {len(labels)} samples, not on the {X.shape[0]} "
            f"scored samples, and it has no predict method to label new samples. An "
            "unsupervised scorer of such an estimator scores its training samples: "
            "use cv=[(all_rows, all_rows)] in GridSearchCV."
        )
    fitted_on = _fitted_on(estimator, X)
    if fitted_on is False:
        raise ValueError(
            f"The {X.shape[0]} scored samples are not the samples {name} was fitted "
            "on, and it has no predict method to label new samples (a "
            "cross-validation test fold?). Score it on its training samples: "
            "cv=[(all_rows, all_rows)] in GridSearchCV."
        )
    if fitted_on is None and labels_from == "auto":
        raise ValueError(
            f"{name} has no predict method, and the scorer cannot tell whether the "
            f"{X.shape[0]} scored samples are the samples it was fitted on (a "
            "cross-validation test fold of the same length would be scored with the "
            "training labels). If they are (cv=[(all_rows, all_rows)]), say so with "
            "ClusteringScorer(..., labels_from='fit')."
        )
    return np.asarray(labels)


class ClusteringScorer:
    """Score the labels a fitted clusterer gives ``X``: ``scorer(est, X, y=None)``.

    The signature is that of a scikit-learn scorer, so an instance can be passed as
    ``scoring=`` to :class:`~sklearn.model_selection.GridSearchCV`. The scorer
    scores the labels the estimator gives the scored samples: ``predict(X)`` for a
    clusterer that can label new samples (KMeans, skgeoclust estimators), so any
    ``cv`` works; the fitted ``labels_`` for one that cannot (DBSCAN, HDBSCAN,
    AgglomerativeClustering), which then must be scored on its training samples,
    ``cv=[(all, all)]``. Training labels are never used for other samples: where
    the scored samples are not the training samples, or the scorer cannot tell
    (see ``labels_from``), it raises a ``ValueError``.

    Read more in the :ref:`User Guide <seismicity_metrics>`.

    Parameters
    ----------
    score : {"silhouette", "calinski_harabasz", "davies_bouldin"}
        Index to compute. Davies-Bouldin (lower is better) is returned negated so
        that greater is always better.
    noise : {"cluster", "exclude", "zero"}, default="cluster"
        Noise (label ``-1``) handling: one more cluster (the convention of
        ``sklearn.metrics.silhouette_score`` on raw DBSCAN labels and of
        Skurativskyi et al.), left out, or (silhouette only, else as
        ``"exclude"``) left out of the clusters and averaged in as 0.
    metric : {"euclidean", "manhattan"}, default="euclidean"
        Distance of the silhouette.
    degenerate_score : float, default=None
        Returned when the index is undefined (fewer than two groups, e.g. all
        noise). None means the worst value: -1 for the silhouette, 0 for
        Calinski-Harabasz, ``-inf`` for negated Davies-Bouldin.
    labels_from : {"auto", "fit", "predict"}, default="auto"
        Where the labels of the scored samples come from.

        - ``"auto"``: ``labels_`` when the estimator's own evidence shows that
          ``X`` is its training set (DBSCAN: its core samples, HDBSCAN: its data),
          else ``predict(X)``; an estimator without ``predict`` and without such
          evidence (AgglomerativeClustering, OPTICS) is refused with a
          ``ValueError``, since a test fold of the training fold's length would
          otherwise be scored with the training labels;
        - ``"fit"``: ``X`` is the training set (``cv=[(all, all)]``), score
          ``labels_`` (refused when their length differs, or when the estimator's
          evidence shows other samples);
        - ``"predict"``: always ``predict(X)``.

    See Also
    --------
    ClusterSweep : The same scores for a whole grid, much faster.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.cluster import DBSCAN
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skgeoclust.metrics import silhouette_scorer
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10.]])
    >>> all_rows = np.arange(len(X))
    >>> search = GridSearchCV(DBSCAN(min_samples=2), {"eps": [0.5, 2.0]},
    ...                       scoring=silhouette_scorer, cv=[(all_rows, all_rows)])
    >>> search.fit(X).best_params_
    {'eps': 2.0}
    >>> round(float(search.best_score_), 2)
    0.92
    """

    def __init__(
        self,
        score,
        *,
        noise="cluster",
        metric="euclidean",
        degenerate_score=None,
        labels_from="auto",
    ):
        if score not in _SCORES:
            raise ValueError(f"score must be one of {sorted(_SCORES)}, got {score!r}.")
        if noise not in NOISE_OPTIONS:
            raise ValueError(
                f"noise must be one of {sorted(NOISE_OPTIONS)}, got {noise!r}."
            )
        if metric not in SWEEP_METRICS:
            raise ValueError(
                f"metric must be one of {sorted(SWEEP_METRICS)}, got {metric!r}."
            )
        if labels_from not in LABELS_FROM:
            raise ValueError(
                f"labels_from must be one of {list(LABELS_FROM)}, got {labels_from!r}."
            )
        self.score = score
        self.noise = noise
        self.metric = metric
        self.degenerate_score = degenerate_score
        self.labels_from = labels_from

    def __repr__(self):
        extra = (
            "" if self.labels_from == "auto" else f", labels_from={self.labels_from!r}"
        )
        return (
            f"ClusteringScorer({self.score!r}, noise={self.noise!r}, "
            f"metric={self.metric!r}{extra})"
        )

    def score_labels(self, X, labels):
        """The signed score of given labels (noise ``-1``) on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        labels : array-like of shape (n_samples,)
            Cluster labels, ``-1`` for noise.

        Returns
        -------
        score : float
            Greater is better.
        """
        X = np.ascontiguousarray(check_array(X, dtype=np.float64))
        labels = np.asarray(labels)
        if labels.shape != (X.shape[0],):
            raise ValueError(
                f"labels has shape {labels.shape}, expected ({X.shape[0]},)."
            )
        sign, worst = _SCORES[self.score]
        if self.score == "silhouette":
            value = silhouette_batch(
                X, labels[None, :], noise=self.noise, metric=self.metric
            )[1][0]
        else:
            ch, db = ch_db_scores(X, labels, self.noise)
            value = ch if self.score == "calinski_harabasz" else db
        if np.isnan(value):
            return (
                worst if self.degenerate_score is None else float(self.degenerate_score)
            )
        return float(sign * value)

    def __call__(self, estimator, X, y=None):
        """Score the labels of a fitted clusterer on ``X``.

        Parameters
        ----------
        estimator : fitted clusterer
            Labels ``X`` with ``predict``, or with its ``labels_`` when ``X`` is
            its training set (see ``labels_from``).
        X : array-like of shape (n_samples, n_features)
            The scored samples.
        y : None
            Ignored.

        Returns
        -------
        score : float
            Greater is better.
        """
        X = check_array(X, dtype=np.float64)
        return self.score_labels(X, _labels_of(estimator, X, self.labels_from))


#: Silhouette, noise as one more cluster (the paper's convention).
silhouette_scorer = ClusteringScorer("silhouette")
#: Calinski-Harabasz, noise as one more cluster.
calinski_harabasz_scorer = ClusteringScorer("calinski_harabasz")
#: Negated Davies-Bouldin (greater is better), noise as one more cluster.
davies_bouldin_scorer = ClusteringScorer("davies_bouldin")
