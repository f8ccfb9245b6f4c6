"""ClusterSweep: a clusterer over a parameter grid, every partition scored."""
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.cluster import DBSCAN, HDBSCAN
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import ParameterGrid
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from skgeoclust._kernels.dbscan import (
    dbscan_labels_over_eps,
    knn_reduced_distances,
    mutual_reachability_mst,
)
from skgeoclust.metrics._partition_scores import (
    NOISE_OPTIONS,
    ch_db_scores,
    silhouette_batch,
)
from skgeoclust.metrics._sweep_metrics import SWEEP_METRICS, sweep_metric

try:  # HDBSCAN's tree condensation and cluster selection, reused as they are
    from sklearn.cluster._hdbscan._linkage import MST_edge_dtype
    from sklearn.cluster._hdbscan._tree import tree_to_labels
    from sklearn.cluster._hdbscan.hdbscan import _process_mst
except ImportError:  # pragma: no cover - private API moved: use the generic path
    tree_to_labels = None


def _fit_labels(estimator, X):
    """Fit one clusterer and return its training labels."""
    if hasattr(estimator, "fit_predict"):
        return np.asarray(estimator.fit_predict(X))
    estimator.fit(X)
    if hasattr(estimator, "labels_"):
        return np.asarray(estimator.labels_)
    return np.asarray(estimator.predict(X))


def _dbscan_metric(params):
    """The sweep metric of DBSCAN parameters, or None (no fast path)."""
    if params["metric_params"] is not None:
        return None
    return sweep_metric(params["metric"], params["p"])


def _dbscan_group(X, knn_idx, knn_rd, min_samples, eps_values, metric):
    """Labels of DBSCAN at one min_samples and several eps, sharing one MST.

    ``knn_rd`` and the MST are in ``metric``'s proxy (squared Euclidean for
    Euclidean), and so are the radii.
    """
    n = X.shape[0]
    eps_rd = metric.to_proxy(np.asarray(eps_values, dtype=np.float64))
    order = np.argsort(eps_rd, kind="stable")
    if min_samples > knn_rd.shape[1]:
        core_rd = np.full(n, np.inf)
    else:
        core_rd = np.ascontiguousarray(knn_rd[:, min_samples - 1])
    # Only points that are core at the largest radius can carry an MST edge used.
    cand = np.flatnonzero(core_rd <= eps_rd.max())
    u = np.empty(0, dtype=np.int64)
    v = np.empty(0, dtype=np.int64)
    w = np.empty(0)
    if cand.size > 1:
        m = cand.size - 1
        u, v, w = np.empty(m, dtype=np.int64), np.empty(m, dtype=np.int64), np.empty(m)
        mutual_reachability_mst(
            np.ascontiguousarray(X[cand]), core_rd[cand], metric.proxy, u, v, w
        )
        srt = np.argsort(w, kind="stable")
        u, v, w = cand[u[srt]], cand[v[srt]], w[srt]
    out = np.empty((eps_rd.size, n), dtype=np.int64)
    dbscan_labels_over_eps(core_rd, u, v, w, knn_idx, knn_rd, eps_rd[order], out)
    labels = np.empty_like(out)
    labels[order] = out
    return labels


def _hdbscan_plan(estimator, grid, n_samples):
    """(sweep metric, min_samples, params) per grid point, or None (generic path)."""
    if tree_to_labels is None or type(estimator) is not HDBSCAN:
        return None
    base = estimator.get_params()
    plan = []
    for p in grid:
        params = {**base, **p}
        name = params["metric"]  # (minkowski: not taken, p is in metric_params)
        metric = SWEEP_METRICS.get(name) if isinstance(name, str) else None
        min_samples = params["min_samples"] or params["min_cluster_size"]
        if (
            metric is None
            or params["metric_params"]
            or params["algorithm"] not in ("auto", "kd_tree", "ball_tree")
            or params["alpha"] != 1.0
            or not 1 <= min_samples <= n_samples
        ):
            return None
        plan.append((metric, int(min_samples), params))
    return plan


def _hdbscan_group(X, knn_idx, knn_rd, min_samples, params_list, metric):
    """Labels of HDBSCAN for grid points sharing the metric and min_samples.

    The mutual-reachability MST is built edge for edge as scikit-learn builds it
    (same core distances, same Prim order and ties), then scikit-learn's own
    single-linkage, condensation and selection turn it into labels. (Only the
    core distances of the neighbour query are used, not ``knn_idx``.)
    """
    n = X.shape[0]
    core = metric.from_proxy(knn_rd[:, min_samples - 1])
    u, v, w = np.empty(n - 1, np.int64), np.empty(n - 1, np.int64), np.empty(n - 1)
    mutual_reachability_mst(X, core, metric.distance, u, v, w)
    mst = np.empty(n - 1, dtype=MST_edge_dtype)
    mst["current_node"], mst["next_node"], mst["distance"] = u, v, w
    tree = _process_mst(mst)
    out = []
    for params in params_list:
        labels, _ = tree_to_labels(
            tree,
            params["min_cluster_size"],
            params["cluster_selection_method"],
            params["allow_single_cluster"],
            params["cluster_selection_epsilon"],
            params["max_cluster_size"],
        )
        out.append(labels)
    return out


def _shared_knn(X, k, metric):
    """Sorted k nearest neighbours (self included) with their proxy distances."""
    knn_idx = NearestNeighbors(n_neighbors=k, metric=metric.name).fit(X)
    knn_idx = knn_idx.kneighbors(X, return_distance=False).astype(np.int64)
    knn_rd = np.empty(knn_idx.shape)
    knn_reduced_distances(X, knn_idx, metric.proxy, knn_rd)
    return knn_idx, knn_rd


def adjusted_rand_matrix(labelings, names=None):
    """Adjusted Rand Index between every pair of partitions.

    Read more in the :ref:`User Guide <seismicity_metrics>`.

    Parameters
    ----------
    labelings : sequence of array-like of shape (n_samples,)
        Partitions of the same samples; noise (``-1``) counts as one more label, as
        when ``sklearn.metrics.adjusted_rand_score`` is given raw DBSCAN labels.
    names : sequence of str, default=None
        Row and column names; ``0 .. n - 1`` when None.

    Returns
    -------
    ari : pandas.DataFrame of shape (n_partitions, n_partitions)
        Symmetric, with unit diagonal.

    Examples
    --------
    >>> from skgeoclust.metrics import adjusted_rand_matrix
    >>> adjusted_rand_matrix([[0, 0, 1, 1], [1, 1, 0, 0], [0, 1, 0, 1]],
    ...                      names=["a", "b", "c"]).round(2)
         a    b    c
    a  1.0  1.0 -0.5
    b  1.0  1.0 -0.5
    c -0.5 -0.5  1.0
    """
    rows = [np.asarray(lab) for lab in labelings]
    if len({r.shape for r in rows}) > 1:
        raise ValueError("labelings must all have the same number of samples.")
    n = len(rows)
    if names is None:
        names = list(range(n))
    if len(names) != n:
        raise ValueError(f"names has {len(names)} entries for {n} labelings.")
    ari = np.eye(n)
    for a in range(n):
        for b in range(a + 1, n):
            ari[a, b] = ari[b, a] = adjusted_rand_score(rows[a], rows[b])
    return pd.DataFrame(ari, index=list(names), columns=list(names))


class ClusterSweep(BaseEstimator):
    """Run a clusterer over a parameter grid and score every partition.

    Each grid point's partition is recorded with its parameters, number of
    clusters, noise fraction, silhouette (overall and per cluster),
    Calinski-Harabasz and Davies-Bouldin indices; the best partitions per cluster
    count can then be compared with the Adjusted Rand Index. This is the
    procedure of Skurativskyi et al. for DBSCAN and HDBSCAN on a hypocentre
    catalog, as one object.

    Three things make it fast where the naive loop is slow, with identical results:

    - for :class:`sklearn.cluster.DBSCAN` with Euclidean or Manhattan metrics and
      a grid over ``eps``, ``min_samples`` (and ``metric``), one k-nearest-neighbour
      structure serves the whole grid and one minimum spanning tree of the
      mutual-reachability graph serves every ``eps`` at a given ``min_samples``;
    - for :class:`sklearn.cluster.HDBSCAN` (Euclidean or Manhattan, tree-based
      algorithm, ``alpha=1``), one neighbour query serves all core distances and
      one MST serves every grid point sharing ``min_samples`` (the tree is then
      condensed by scikit-learn's own code);
    - all silhouettes are computed in one pass over the pairwise distances,
      each distance row feeding every partition at once (identical partitions
      are scored once).

    Any other clusterer (HDBSCAN, KMeans, skgeoclust estimators) is fitted once
    per grid point, in parallel with joblib.

    Read more in the :ref:`User Guide <seismicity_metrics>`.

    Parameters
    ----------
    estimator : estimator instance
        Clusterer with ``fit_predict`` or ``fit`` and ``labels_``; noise is ``-1``.
    param_grid : dict or list of dicts
        Grid as for :class:`~sklearn.model_selection.ParameterGrid`.
    metric : {"euclidean", "manhattan"}, default="euclidean"
        Distance of the silhouette (the clusterer's own metric is a parameter of
        the clusterer).
    noise : {"cluster", "exclude", "zero"}, default="cluster"
        How noise samples (label ``-1``) enter the silhouette, Calinski-Harabasz
        and Davies-Bouldin scores. ``"cluster"`` treats the noise as one more
        cluster: this is what ``sklearn.metrics.silhouette_score(X,
        dbscan.labels_)`` does and what the paper's code does. ``"exclude"``
        scores the clustered samples only; ``"zero"`` also leaves noise out of
        every cluster but averages it in with silhouette 0 (penalising noise).
        Per-cluster silhouettes never include noise samples.
    method : {"auto", "naive"}, default="auto"
        ``"naive"`` fits a clone per grid point even for DBSCAN (the reference
        the fast path is tested against).
    n_jobs : int, default=None
        Parallel jobs (joblib): processes for fitting clones, threads for the
        DBSCAN and silhouette kernels. ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context.

    Attributes
    ----------
    results_ : pandas.DataFrame
        One row per grid point, in grid order: the grid's parameters, then
        ``n_clusters`` (excluding noise), ``noise_fraction``, ``silhouette``,
        ``calinski_harabasz``, ``davies_bouldin`` (NaN where undefined: fewer
        than two groups).
    cluster_results_ : pandas.DataFrame
        One row per cluster of every partition: ``partition``, ``cluster``,
        ``size`` and ``silhouette`` (mean over the cluster's samples, the paper's
        :math:`SI(C_i)`).
    labels_ : ndarray of shape (n_partitions, n_samples)
        Labels of every partition.
    silhouette_samples_ : ndarray of shape (n_partitions, n_samples)
        Silhouette of every sample in every partition (NaN when left out).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X has string column names.

    See Also
    --------
    adjusted_rand_matrix : ARI between any list of partitions.
    silhouette_scorer : The same silhouette as a GridSearchCV scorer.

    Notes
    -----
    The DBSCAN path relies on DBSCAN's labels depending only on the order of the
    core samples: clusters are the connected components of core samples within
    ``eps`` (equivalently, of the mutual-reachability MST with weights up to
    ``eps``), numbered by their smallest core index, and a border sample joins
    the lowest-numbered cluster among its core neighbours. The MST is built by
    Prim's algorithm on the fly, :math:`O(n^2)` time per ``min_samples`` and
    :math:`O(n k)` memory, :math:`k = \\max` ``min_samples``. The silhouette pass
    is :math:`O(n^2 P)` additions for :math:`P` distinct partitions and never
    stores an :math:`n \\times n` matrix.

    Relative to the paper's procedure and its authors' code: ``n_clusters``
    counts the non-noise labels (their code's ``len(set(labels)) - 1``
    undercounts partitions without noise); the silhouette with the default
    ``noise="cluster"`` is theirs (``silhouette_score`` on raw labels) and is
    what reproduces their Table 1; the ARI treats noise as one more label, as
    ``adjusted_rand_score`` on raw labels does. The HDBSCAN fast path follows
    scikit-learn's HDBSCAN; the ``hdbscan`` package the authors used does not
    count a sample in its own ``min_samples`` (its default equals scikit-learn's
    ``min_samples=min_cluster_size + 1``).

    References
    ----------
    Skurativskyi S., Mykulyak S., Semenova Y., Skurativska K., Cluster analysis of
    earthquake hypocenters in Azerbaijan and surrounding territories.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.cluster import DBSCAN, HDBSCAN
    >>> from skgeoclust.metrics import ClusterSweep
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10], [50, 50]])
    >>> sweep = ClusterSweep(DBSCAN(), {"eps": [1.5, 20], "min_samples": [2]}).fit(X)
    >>> sweep.results_[["eps", "n_clusters", "noise_fraction"]]
        eps  n_clusters  noise_fraction
    0   1.5           2        0.142857
    1  20.0           1        0.142857
    >>> sweep.labels_[0].tolist()
    [0, 0, 0, 1, 1, 1, -1]
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "param_grid": [dict, list],
        "metric": [StrOptions(set(SWEEP_METRICS))],
        "noise": [StrOptions(NOISE_OPTIONS)],
        "method": [StrOptions({"auto", "naive"})],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        estimator,
        param_grid,
        *,
        metric="euclidean",
        noise="cluster",
        method="auto",
        n_jobs=None,
    ):
        self.estimator = estimator
        self.param_grid = param_grid
        self.metric = metric
        self.noise = noise
        self.method = method
        self.n_jobs = n_jobs

    def _fast_dbscan_plan(self, grid):
        """(sweep metric, min_samples, eps) per grid point, or None."""
        if self.method != "auto" or type(self.estimator) is not DBSCAN:
            return None
        free = {"eps", "min_samples", "metric", "p", "algorithm", "leaf_size", "n_jobs"}
        base = self.estimator.get_params()
        plan = []
        for p in grid:
            params = {**base, **p}
            metric = _dbscan_metric(params)
            if not set(p) <= free or metric is None:
                return None
            plan.append((metric, int(params["min_samples"]), float(params["eps"])))
        return plan

    def _planned_labels(self, X, plan, run_group):
        """Labels of every grid point of a fast-path plan of (sweep metric,
        min_samples, setting) triples: one neighbour query per metric, then one
        ``run_group(X, knn_idx, knn_rd, min_samples, settings, metric)`` per
        (metric, min_samples), in parallel threads."""
        labels = np.empty((len(plan), X.shape[0]), dtype=np.int64)
        for metric in sorted({metric for metric, _, _ in plan}):
            k = min(max(m for on, m, _ in plan if on == metric), X.shape[0])
            knn_idx, knn_rd = _shared_knn(X, k, metric)
            groups = {}
            for q, (on, m, setting) in enumerate(plan):
                if on == metric:
                    groups.setdefault(m, []).append((q, setting))
            results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(run_group)(X, knn_idx, knn_rd, m, [s for _, s in items], metric)
                for m, items in groups.items()
            )
            for items, block in zip(groups.values(), results):
                for (q, _), row in zip(items, block):
                    labels[q] = row
        return labels

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Cluster ``X`` at every grid point and score the partitions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Feature matrix (for a catalog: scaled lon, lat, depth).
        y : None
            Ignored.

        Returns
        -------
        self : ClusterSweep
            Fitted sweep.
        """
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        X = np.ascontiguousarray(X)
        grid = list(ParameterGrid(self.param_grid))
        if not grid:
            raise ValueError("param_grid is empty: there is nothing to sweep.")
        dbscan_plan = self._fast_dbscan_plan(grid)
        hdbscan_plan = (
            _hdbscan_plan(self.estimator, grid, X.shape[0])
            if self.method == "auto" and dbscan_plan is None
            else None
        )
        if dbscan_plan is not None or hdbscan_plan is not None:
            # The fast paths never fit the estimator: check every grid point's
            # parameters as its fit would.
            for p in grid:
                clone(self.estimator).set_params(**p)._validate_params()
        labels = None
        if dbscan_plan is not None:
            labels = self._planned_labels(X, dbscan_plan, _dbscan_group)
        elif hdbscan_plan is not None:
            try:
                labels = self._planned_labels(X, hdbscan_plan, _hdbscan_group)
            except TypeError:  # pragma: no cover - private sklearn API changed
                labels = None
        if labels is None:
            fitted = Parallel(n_jobs=self.n_jobs)(
                delayed(_fit_labels)(clone(self.estimator).set_params(**p), X)
                for p in grid
            )
            labels = np.array(fitted).reshape(len(grid), X.shape[0])
        samples, silhouettes = silhouette_batch(
            X, labels, noise=self.noise, metric=self.metric, n_jobs=self.n_jobs
        )
        rows, cluster_rows = [], []
        for q, params in enumerate(grid):
            lab = labels[q]
            clusters = np.unique(lab[lab != -1])
            ch, db = ch_db_scores(X, lab, self.noise)
            rows.append(
                {
                    **params,
                    "n_clusters": clusters.size,
                    "noise_fraction": float(np.mean(lab == -1)),
                    "silhouette": silhouettes[q],
                    "calinski_harabasz": ch,
                    "davies_bouldin": db,
                }
            )
            for c in clusters:
                member = lab == c
                s = samples[q, member]
                cluster_rows.append(
                    {
                        "partition": q,
                        "cluster": int(c),
                        "size": int(member.sum()),
                        "silhouette": float(np.mean(s))
                        if np.isfinite(s).all()
                        else np.nan,
                    }
                )
        self.labels_ = labels
        self.silhouette_samples_ = samples
        self.results_ = pd.DataFrame(rows)
        self.cluster_results_ = pd.DataFrame(
            cluster_rows, columns=["partition", "cluster", "size", "silhouette"]
        )
        return self

    def best_partitions(self, *, n_clusters=None, top=1, min_silhouette=None):
        """Partitions with the highest silhouette for each number of clusters.

        Parameters
        ----------
        n_clusters : int or sequence of int, default=None
            Keep only these cluster counts; all when None.
        top : int, default=1
            How many partitions to keep per cluster count.
        min_silhouette : float, default=None
            Drop partitions whose silhouette is lower.

        Returns
        -------
        table : pandas.DataFrame
            Rows of :attr:`results_` (index = partition number), sorted by
            ``n_clusters`` then decreasing silhouette.
        """
        check_is_fitted(self)
        res = self.results_.dropna(subset=["silhouette"])
        if n_clusters is not None:
            res = res[res["n_clusters"].isin(np.atleast_1d(n_clusters))]
        if min_silhouette is not None:
            res = res[res["silhouette"] >= min_silhouette]
        res = res.sort_values(
            ["n_clusters", "silhouette"], ascending=[True, False], kind="stable"
        )
        return res.groupby("n_clusters", sort=True).head(top)

    def ari_matrix(self, partitions=None, names=None):
        """Adjusted Rand Index between partitions of this sweep.

        Parameters
        ----------
        partitions : sequence of int, default=None
            Partition numbers (rows of :attr:`results_`); all when None.
        names : sequence of str, default=None
            Labels of the rows and columns; the partition numbers when None.

        Returns
        -------
        ari : pandas.DataFrame
            Symmetric matrix with unit diagonal.
        """
        check_is_fitted(self)
        if partitions is None:
            partitions = range(self.labels_.shape[0])
        partitions = [int(p) for p in partitions]
        return adjusted_rand_matrix(
            [self.labels_[p] for p in partitions],
            names=partitions if names is None else names,
        )
