"""Unsupervised clustering scorers with explicit noise handling, for GridSearchCV."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import check_array

from skgeoclust.metrics._partition_scores import (
    NOISE_OPTIONS,
    SILHOUETTE_METRICS,
    ch_db_scores,
    silhouette_batch,
)

_SCORES = {
    # name: (sign so that greater is better, worst value of the signed score)
    "silhouette": (1.0, -1.0),
    "calinski_harabasz": (1.0, 0.0),
    "davies_bouldin": (-1.0, -np.inf),
}


def _labels_of(estimator, X):
    labels = getattr(estimator, "labels_", None)
    if labels is not None and len(labels) == X.shape[0]:
        return np.asarray(labels)
    if hasattr(estimator, "predict"):
        return np.asarray(estimator.predict(X))
    raise ValueError(
        f"{type(estimator).__name__} has no predict and its labels_ do not match the "
        f"{X.shape[0]} scored samples: an unsupervised scorer needs the training "
        "samples themselves, e.g. GridSearchCV(..., cv=[(all, all)])."
    )


class ClusteringScorer:
    """Score a fitted clusterer on the samples it clustered: ``scorer(est, X, y=None)``.

    The signature is that of a scikit-learn scorer, so an instance can be passed as
    ``scoring=`` to :class:`~sklearn.model_selection.GridSearchCV` together with
    ``cv=[(all, all)]`` (train and score on every sample), for any clusterer
    exposing ``labels_`` (DBSCAN, HDBSCAN, skgeoclust estimators) or ``predict``.

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
        self, score, *, noise="cluster", metric="euclidean", degenerate_score=None
    ):
        if score not in _SCORES:
            raise ValueError(f"score must be one of {sorted(_SCORES)}, got {score!r}.")
        if noise not in NOISE_OPTIONS:
            raise ValueError(
                f"noise must be one of {sorted(NOISE_OPTIONS)}, got {noise!r}."
            )
        if metric not in SILHOUETTE_METRICS:
            raise ValueError(
                f"metric must be one of {sorted(SILHOUETTE_METRICS)}, got {metric!r}."
            )
        self.score = score
        self.noise = noise
        self.metric = metric
        self.degenerate_score = degenerate_score

    def __repr__(self):
        return (
            f"ClusteringScorer({self.score!r}, noise={self.noise!r}, "
            f"metric={self.metric!r})"
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
            Its ``labels_`` are used when they cover ``X``, else ``predict(X)``.
        X : array-like of shape (n_samples, n_features)
            The samples the estimator was fitted on.
        y : None
            Ignored.

        Returns
        -------
        score : float
            Greater is better.
        """
        X = check_array(X, dtype=np.float64)
        return self.score_labels(X, _labels_of(estimator, X))


#: Silhouette, noise as one more cluster (the paper's convention).
silhouette_scorer = ClusteringScorer("silhouette")
#: Calinski-Harabasz, noise as one more cluster.
calinski_harabasz_scorer = ClusteringScorer("calinski_harabasz")
#: Negated Davies-Bouldin (greater is better), noise as one more cluster.
davies_bouldin_scorer = ClusteringScorer("davies_bouldin")
