"""Tests for the clustering scorers and the k-distance graph."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.cluster import DBSCAN, HDBSCAN, AgglomerativeClustering, KMeans
from sklearn.metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import MinMaxScaler

from skgeoclust.metrics import (
    ClusteringScorer,
    calinski_harabasz_scorer,
    davies_bouldin_scorer,
    k_distance_graph,
    silhouette_scorer,
)


def _data(seed, n=150):
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [3, 0], [0, 3.0]])
    X = centres[rng.integers(0, 3, n)] + rng.normal(0, 0.3, (n, 2))
    return np.r_[X, rng.uniform(-2, 5, (15, 2))]


# 1. toy results -------------------------------------------------------------------
def test_scorers_match_sklearn_with_noise_as_cluster(global_random_seed):
    X = _data(global_random_seed)
    est = DBSCAN(eps=0.4, min_samples=5).fit(X)
    lab = est.labels_
    assert (lab == -1).any()
    assert silhouette_scorer(est, X) == pytest.approx(
        silhouette_score(X, lab), abs=1e-12
    )
    assert calinski_harabasz_scorer(est, X) == pytest.approx(
        calinski_harabasz_score(X, lab)
    )
    assert davies_bouldin_scorer(est, X) == pytest.approx(-davies_bouldin_score(X, lab))


def test_exclude_and_zero_noise(global_random_seed):
    X = _data(global_random_seed)
    est = DBSCAN(eps=0.4, min_samples=5).fit(X)
    lab = est.labels_
    keep = lab != -1
    sub = silhouette_score(X[keep], lab[keep])
    assert ClusteringScorer("silhouette", noise="exclude")(est, X) == pytest.approx(sub)
    zero = ClusteringScorer("silhouette", noise="zero")(est, X)
    assert zero == pytest.approx(sub * keep.mean())
    ch = ClusteringScorer("calinski_harabasz", noise="exclude")(est, X)
    assert ch == pytest.approx(calinski_harabasz_score(X[keep], lab[keep]))


def test_manhattan_silhouette(global_random_seed):
    X = _data(global_random_seed)
    est = KMeans(3, n_init=2, random_state=0).fit(X)
    scorer = ClusteringScorer("silhouette", metric="manhattan")
    assert scorer(est, X) == pytest.approx(
        silhouette_score(X, est.labels_, metric="manhattan"), abs=1e-12
    )


def test_ch_db_degenerate_values_match_sklearn():
    # clusters of repeated points: zero within-cluster dispersion
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 2.0], [5.0, 1.0]]), 4, axis=0)
    lab = np.repeat([0, 1, 2], 4)
    est = KMeans(3, n_init=1, random_state=0).fit(X)
    est.labels_ = lab
    assert calinski_harabasz_scorer(est, X) == calinski_harabasz_score(X, lab) == 1.0
    assert davies_bouldin_scorer(est, X) == -davies_bouldin_score(X, lab) == 0.0


def test_degenerate_partitions():
    X = np.arange(10.0).reshape(5, 2)
    all_noise = DBSCAN(eps=0.1, min_samples=3).fit(X)
    assert silhouette_scorer(all_noise, X) == -1.0
    assert calinski_harabasz_scorer(all_noise, X) == 0.0
    assert davies_bouldin_scorer(all_noise, X) == -np.inf
    assert ClusteringScorer("silhouette", degenerate_score=-7)(all_noise, X) == -7.0
    # noise as a cluster: one real cluster plus noise is scored
    one = DBSCAN(eps=3.0, min_samples=2).fit(np.r_[X, [[100.0, 100.0]]])
    assert silhouette_scorer(one, np.r_[X, [[100.0, 100.0]]]) > 0.5
    assert (
        ClusteringScorer("silhouette", noise="exclude")(one, np.r_[X, [[100.0, 100.0]]])
        == -1.0
    )


# 2. GridSearchCV --------------------------------------------------------------------
@pytest.mark.parametrize(
    "scorer, ref",
    [
        (silhouette_scorer, silhouette_score),
        (calinski_harabasz_scorer, calinski_harabasz_score),
        (davies_bouldin_scorer, lambda X, lab: -davies_bouldin_score(X, lab)),
    ],
)
def test_gridsearchcv_all_all(global_random_seed, scorer, ref):
    X = _data(global_random_seed)
    rows = np.arange(len(X))
    grid = {"eps": [0.2, 0.4, 0.8], "min_samples": [3, 8]}
    search = GridSearchCV(DBSCAN(), grid, scoring=scorer, cv=[(rows, rows)]).fit(X)
    scores = []
    for params in search.cv_results_["params"]:
        lab = DBSCAN(**params).fit(X).labels_
        scores.append(ref(X, lab) if len(set(lab)) > 1 else np.nan)
    assert_allclose(search.cv_results_["mean_test_score"], scores, rtol=1e-10)
    assert (
        search.best_params_ == search.cv_results_["params"][int(np.nanargmax(scores))]
    )


def test_gridsearchcv_multimetric_hdbscan(global_random_seed):
    X = MinMaxScaler().fit_transform(_data(global_random_seed))
    rows = np.arange(len(X))
    scoring = {"sil": silhouette_scorer, "ch": calinski_harabasz_scorer}
    search = GridSearchCV(
        HDBSCAN(copy=True),
        {"min_cluster_size": [5, 20]},
        scoring=scoring,
        refit="sil",
        cv=[(rows, rows)],
    ).fit(X)
    assert set(search.cv_results_) >= {"mean_test_sil", "mean_test_ch"}


def _three_blobs(seed):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    return rng.permutation(np.repeat(centres, 300, axis=0) + rng.normal(size=(900, 2)))


def test_cross_validation_scores_predicted_test_labels(global_random_seed):
    # issue 16 #2: a test fold of the training fold's length was scored with the
    # training labels_ ([0.009, -0.04, ...] and the wrong k)
    rng = np.random.default_rng(global_random_seed)
    for seed in rng.integers(0, 2**31, size=3):
        X = _three_blobs(seed)
        search = GridSearchCV(
            KMeans(n_init=1, random_state=0),
            {"n_clusters": [2, 3, 4, 5]},
            scoring=silhouette_scorer,
            cv=KFold(2),
        ).fit(X)
        assert search.best_params_ == {"n_clusters": 3}
        train, test = next(KFold(2).split(X))
        est = KMeans(3, n_init=1, random_state=0).fit(X[train])
        assert search.cv_results_["split0_test_score"][1] == pytest.approx(
            silhouette_score(X[test], est.predict(X[test])), abs=1e-12
        )
        assert search.cv_results_["mean_test_score"][1] > 0.7


def test_estimators_without_predict_are_scored_only_on_their_samples():
    X = _three_blobs(0)
    rows = np.arange(len(X))
    kfold = GridSearchCV(
        DBSCAN(), {"eps": [1.0]}, scoring=silhouette_scorer, cv=KFold(2),
        error_score="raise",
    )  # fmt: skip
    with pytest.raises(ValueError, match="not the samples DBSCAN was fitted on"):
        kfold.fit(X)
    in_sample = GridSearchCV(
        DBSCAN(), {"eps": [1.0]}, scoring=silhouette_scorer, cv=[(rows, rows)]
    ).fit(X)
    lab = DBSCAN(eps=1.0).fit(X).labels_
    assert in_sample.best_score_ == pytest.approx(silhouette_score(X, lab))
    with pytest.raises(ValueError, match="not the samples HDBSCAN was fitted on"):
        silhouette_scorer(HDBSCAN(copy=True).fit(X[:450]), X[450:])
    agglo = AgglomerativeClustering(3).fit(X)
    with pytest.raises(ValueError, match="labels_from='fit'"):
        silhouette_scorer(agglo, X)
    in_sample = ClusteringScorer("silhouette", labels_from="fit")
    assert in_sample(agglo, X) == pytest.approx(silhouette_score(X, agglo.labels_))
    with pytest.raises(ValueError, match="fitted on 900 samples, not on the 450"):
        in_sample(agglo, X[:450])
    with pytest.raises(ValueError, match="has no predict"):
        ClusteringScorer("silhouette", labels_from="predict")(agglo, X)
    with pytest.raises(ValueError, match="labels_from must be one of"):
        ClusteringScorer("silhouette", labels_from="train")


@given(st.permutations(list(range(4))), st.integers(0, 3))
def test_scores_invariant_to_label_permutation(perm, seed):
    X = _data(seed, n=60)
    lab = KMeans(4, n_init=1, random_state=seed).fit(X).labels_
    lab = np.where(np.arange(len(lab)) % 7 == 0, -1, lab)
    relabelled = np.where(lab == -1, -1, np.array(perm)[lab])
    for score in ("silhouette", "calinski_harabasz", "davies_bouldin"):
        for noise in ("cluster", "exclude"):
            scorer = ClusteringScorer(score, noise=noise)
            assert scorer.score_labels(X, relabelled) == pytest.approx(
                scorer.score_labels(X, lab), rel=1e-12
            )


# 3. k-distance graph -----------------------------------------------------------------
def test_k_distance_graph_values_and_knee(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    dense = rng.normal(0, 0.05, (400, 2))
    sparse = rng.uniform(-10, 10, (40, 2))
    X = np.r_[dense, sparse]
    graph = k_distance_graph(X, k=4)
    ref = np.sort(NearestNeighbors(n_neighbors=5).fit(X).kneighbors(X)[0][:, 4])
    assert_allclose(graph.distances, ref)
    assert np.all(np.diff(graph.distances) >= 0)
    # the knee separates the dense cloud's distances from the sparse points'
    assert 300 <= graph.knee_index <= 440
    assert graph.knee_distance < 1.0
    assert graph.knee_distance == graph.distances[graph.knee_index]


def test_k_distance_graph_azerbaijan(azerbaijan_catalog):
    X = MinMaxScaler().fit_transform(azerbaijan_catalog[["lon", "lat", "depth_km"]])
    knees = [k_distance_graph(X, k=k).knee_distance for k in (4, 70, 160)]
    # Appendix A: the knees of k = 4, 70, 160 lie in the eps range [0.01, 0.2]
    assert all(0.005 < d < 0.2 for d in knees)
    assert knees[0] < knees[1] < knees[2]


# 4. errors ---------------------------------------------------------------------------
def test_errors():
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match="score must be one of"):
        ClusteringScorer("dunn")
    with pytest.raises(ValueError, match="noise must be one of"):
        ClusteringScorer("silhouette", noise="drop")
    with pytest.raises(ValueError, match="metric must be one of"):
        ClusteringScorer("silhouette", metric="cosine")
    est = DBSCAN(eps=3.0, min_samples=2).fit(X)
    with pytest.raises(ValueError, match="cv=\\[\\(all_rows, all_rows\\)\\]"):
        silhouette_scorer(est, X[:4])
    with pytest.raises(ValueError, match="labels has shape"):
        silhouette_scorer.score_labels(X, [0, 1])
    with pytest.raises(ValueError, match="needs more than 6 samples"):
        k_distance_graph(X, k=6)
