"""Tests for ClusterSweep and adjusted_rand_matrix."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.cluster import DBSCAN, HDBSCAN, KMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,
    silhouette_score,
)
from sklearn.model_selection import ParameterGrid
from sklearn.preprocessing import MinMaxScaler

from skgeoclust.metrics import ClusterSweep, adjusted_rand_matrix

from .conftest import PAPER_BOUNDS


def _blobs(seed, n=300, n_features=3):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 1, (4, n_features))
    X = centres[rng.integers(0, 4, n)] + rng.normal(0, 0.04, (n, n_features))
    return np.r_[X, rng.uniform(0, 1, (n // 5, n_features))]


def _naive(X, grid_points, metric="euclidean"):
    return np.array(
        [
            DBSCAN(eps=e, min_samples=m, metric=metric).fit(X).labels_
            for e, m in grid_points
        ]
    )


# 1. toy results -------------------------------------------------------------------
def test_toy_sweep_results():
    X = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10], [50, 50.0]])
    sweep = ClusterSweep(DBSCAN(), {"eps": [1.5, 20], "min_samples": [2, 8]}).fit(X)
    res = sweep.results_
    assert list(res.columns[:2]) == ["eps", "min_samples"]
    assert res["n_clusters"].tolist() == [2, 0, 1, 0]
    assert_array_equal(sweep.labels_[0], [0, 0, 0, 1, 1, 1, -1])
    assert_array_equal(sweep.labels_[1], [-1] * 7)
    # noise as a third cluster, as silhouette_score(X, labels) does
    assert res.loc[0, "silhouette"] == pytest.approx(
        silhouette_score(X, sweep.labels_[0])
    )
    assert np.isnan(res.loc[1, "silhouette"])  # all noise: one group only
    cl = sweep.cluster_results_
    assert cl[cl.partition == 0][["cluster", "size"]].to_numpy().tolist() == [
        [0, 3],
        [1, 3],
    ]


# 2. equivalence with the naive loop -----------------------------------------------
@pytest.mark.parametrize("metric", ["euclidean", "manhattan"])
def test_dbscan_fast_path_equals_naive_loop(global_random_seed, metric):
    X = _blobs(global_random_seed)
    grid = {"eps": [0.02, 0.05, 0.08, 0.12, 0.3, 1.5], "min_samples": [1, 2, 5, 17, 60]}
    fast = ClusterSweep(DBSCAN(metric=metric), grid, n_jobs=2).fit(X)
    naive = ClusterSweep(DBSCAN(metric=metric), grid, method="naive").fit(X)
    points = [(p["eps"], p["min_samples"]) for p in fast.results_.to_dict("records")]
    reference = _naive(X, points, metric)
    assert_array_equal(fast.labels_, reference)
    assert_array_equal(naive.labels_, reference)
    for q, lab in enumerate(reference):
        if len(set(lab)) >= 2:
            assert fast.results_.loc[q, "silhouette"] == pytest.approx(
                silhouette_score(X, lab), abs=1e-9
            )


def test_dbscan_metric_in_grid_uses_fast_path(global_random_seed):
    X = _blobs(global_random_seed, n=200)
    grid = {
        "eps": [0.05, 0.1],
        "min_samples": [4, 9],
        "metric": ["euclidean", "manhattan"],
    }
    sweep = ClusterSweep(DBSCAN(), grid).fit(X)
    assert sweep._fast_dbscan_plan(list(ParameterGrid(grid))) is not None
    for q, p in enumerate(sweep.results_[list(grid)].to_dict("records")):
        assert_array_equal(sweep.labels_[q], DBSCAN(**p).fit(X).labels_)


def test_dbscan_ties_and_duplicates():
    # Integer lattice: many distances equal eps exactly; duplicated points.
    g = (
        np.stack(np.meshgrid(np.arange(6), np.arange(6)), -1)
        .reshape(-1, 2)
        .astype(float)
    )
    X = np.r_[g, g[:5], [[20.0, 20.0]]]
    grid = {"eps": [1.0, np.sqrt(2.0), 2.0], "min_samples": [2, 3, 5, 6, 9]}
    for metric in ("euclidean", "manhattan"):
        fast = ClusterSweep(DBSCAN(metric=metric), grid).fit(X)
        points = [
            (p["eps"], p["min_samples"]) for p in fast.results_.to_dict("records")
        ]
        assert_array_equal(fast.labels_, _naive(X, points, metric))


@settings(max_examples=25)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(3, 40), st.integers(1, 3)),
        elements=st.integers(0, 8).map(float),
    ),
    st.lists(
        st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0]), min_size=1, max_size=3, unique=True
    ),
    st.lists(st.integers(1, 8), min_size=1, max_size=3, unique=True),
)
def test_dbscan_fast_path_property(X, eps_list, ms_list):
    sweep = ClusterSweep(DBSCAN(), {"eps": eps_list, "min_samples": ms_list}).fit(X)
    points = [(p["eps"], p["min_samples"]) for p in sweep.results_.to_dict("records")]
    assert_array_equal(sweep.labels_, _naive(X, points))


def test_generic_path_kmeans(global_random_seed):
    X = _blobs(global_random_seed, n=200)
    grid = {"n_clusters": [2, 3, 5]}
    sweep = ClusterSweep(KMeans(n_init=2, random_state=0), grid, n_jobs=2).fit(X)
    for q, k in enumerate([2, 3, 5]):
        ref = KMeans(k, n_init=2, random_state=0).fit(X).labels_
        assert_array_equal(sweep.labels_[q], ref)
        assert sweep.results_.loc[q, "silhouette"] == pytest.approx(
            silhouette_score(X, ref), abs=1e-9
        )
        assert sweep.results_.loc[q, "calinski_harabasz"] == pytest.approx(
            calinski_harabasz_score(X, ref)
        )
        assert sweep.results_.loc[q, "davies_bouldin"] == pytest.approx(
            davies_bouldin_score(X, ref)
        )


def test_skgeoclust_estimator_in_sweep_and_gridsearch(global_random_seed):
    from sklearn.model_selection import GridSearchCV

    from skgeoclust.cluster import StreamingMiniBatchKMeans
    from skgeoclust.metrics import silhouette_scorer

    X = _blobs(global_random_seed, n=150)
    est = StreamingMiniBatchKMeans(batch_size=16, n_init=1, random_state=0)
    grid = {"n_clusters": [2, 3, 4]}
    sweep = ClusterSweep(est, grid).fit(X)
    rows = np.arange(len(X))
    search = GridSearchCV(est, grid, scoring=silhouette_scorer, cv=[(rows, rows)])
    search.fit(X)
    assert_allclose(
        sweep.results_["silhouette"], search.cv_results_["mean_test_score"], atol=1e-12
    )


@pytest.mark.parametrize("metric", ["euclidean", "manhattan"])
def test_hdbscan_fast_path_equals_sklearn(global_random_seed, metric):
    X = _blobs(global_random_seed, n=250)
    grid = {
        "min_cluster_size": [5, 15, 40],
        "min_samples": [None, 5],
        "cluster_selection_method": ["eom", "leaf"],
    }
    est = HDBSCAN(metric=metric, copy=True)
    sweep = ClusterSweep(est, grid, n_jobs=2).fit(X)
    for q, params in enumerate(sweep.results_[list(grid)].to_dict("records")):
        params = {
            k: (None if k == "min_samples" and np.isnan(v) else v)
            for k, v in params.items()
        }
        if params["min_samples"] is not None:
            params["min_samples"] = int(params["min_samples"])
        ref = HDBSCAN(metric=metric, copy=True, **params).fit(X).labels_
        assert_array_equal(sweep.labels_[q], ref)
    # brute force is not the Prim path: the sweep falls back to fitting clones
    brute = ClusterSweep(
        HDBSCAN(algorithm="brute", copy=True), {"min_cluster_size": [10]}
    ).fit(X)
    assert_array_equal(
        brute.labels_[0],
        HDBSCAN(algorithm="brute", min_cluster_size=10, copy=True).fit(X).labels_,
    )


def test_n_jobs_does_not_change_results(global_random_seed):
    X = _blobs(global_random_seed, n=200)
    grid = {"eps": [0.05, 0.1], "min_samples": [3, 10]}
    one = ClusterSweep(DBSCAN(), grid, n_jobs=1).fit(X)
    two = ClusterSweep(DBSCAN(), grid, n_jobs=2).fit(X)
    assert_array_equal(one.labels_, two.labels_)
    assert_allclose(one.silhouette_samples_, two.silhouette_samples_, rtol=0, atol=0)


@pytest.mark.parametrize("noise", ["exclude", "zero"])
def test_noise_conventions(global_random_seed, noise):
    X = _blobs(global_random_seed, n=200)
    sweep = ClusterSweep(
        DBSCAN(eps=0.06, min_samples=6), {"eps": [0.06]}, noise=noise
    ).fit(X)
    lab = sweep.labels_[0]
    keep = lab != -1
    assert (~keep).any() and len(set(lab[keep])) >= 2
    s = silhouette_samples(X[keep], lab[keep])
    expected = s.mean() if noise == "exclude" else s.sum() / len(lab)
    assert sweep.results_.loc[0, "silhouette"] == pytest.approx(expected, abs=1e-9)
    assert sweep.results_.loc[0, "calinski_harabasz"] == pytest.approx(
        calinski_harabasz_score(X[keep], lab[keep])
    )
    per = sweep.cluster_results_.set_index("cluster")["silhouette"]
    for c in np.unique(lab[keep]):
        assert per[c] == pytest.approx(s[lab[keep] == c].mean(), abs=1e-9)


def test_noise_and_singleton_are_not_merged_in_dedup():
    # Same grouping up to renaming, except that sample 0 is noise in one and a
    # cluster of its own in the other: two different partitions when noise is
    # excluded.
    from skgeoclust.metrics._partition_scores import silhouette_batch

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    a = np.r_[-1, np.zeros(14, int), np.ones(15, int)]
    b = np.r_[2, np.zeros(14, int), np.ones(15, int)]
    _, scores = silhouette_batch(X, np.array([a, b]), noise="exclude")
    keep = a != -1
    assert scores[0] == pytest.approx(silhouette_score(X[keep], a[keep]))
    assert scores[1] == pytest.approx(silhouette_score(X, b))
    # renamed labels are still recognised as the same partition
    _, renamed = silhouette_batch(X, np.array([b, (b + 1) % 3 * 5]), noise="exclude")
    assert renamed[0] == renamed[1]


def test_per_cluster_silhouette_noise_as_cluster(global_random_seed):
    X = _blobs(global_random_seed, n=200)
    sweep = ClusterSweep(DBSCAN(), {"eps": [0.06], "min_samples": [6]}).fit(X)
    lab = sweep.labels_[0]
    s = silhouette_samples(X, lab)
    assert_allclose(sweep.silhouette_samples_[0], s, atol=1e-12)
    per = sweep.cluster_results_.set_index("cluster")["silhouette"]
    assert -1 not in per.index
    for c in per.index:
        assert per[c] == pytest.approx(s[lab == c].mean(), abs=1e-12)


def test_best_partitions_and_ari_matrix(global_random_seed):
    X = _blobs(global_random_seed)
    grid = {"eps": [0.03, 0.05, 0.08, 0.12], "min_samples": [3, 10, 30]}
    sweep = ClusterSweep(DBSCAN(), grid).fit(X)
    best = sweep.best_partitions()
    res = sweep.results_.dropna(subset=["silhouette"])
    for k, row in best.iterrows():
        same = res[res.n_clusters == row.n_clusters]
        assert row.silhouette == same.silhouette.max()
    top2 = sweep.best_partitions(top=2, min_silhouette=0.0)
    assert (top2.silhouette >= 0).all()
    assert top2.groupby("n_clusters").size().max() <= 2
    ari = sweep.ari_matrix(best.index)
    assert_allclose(ari.to_numpy(), ari.to_numpy().T)
    assert_allclose(np.diag(ari), 1.0)
    a, b = best.index[:2]
    assert ari.loc[a, b] == pytest.approx(
        adjusted_rand_score(sweep.labels_[a], sweep.labels_[b])
    )


@given(
    st.lists(arrays(np.int64, 12, elements=st.integers(-1, 3)), min_size=1, max_size=5)
)
def test_ari_matrix_symmetric_unit_diagonal(labelings):
    ari = adjusted_rand_matrix(labelings).to_numpy()
    assert_allclose(ari, ari.T)
    assert_allclose(np.diag(ari), 1.0)
    assert np.all(ari <= 1.0 + 1e-12)
    perm = adjusted_rand_matrix([labelings[0], (labelings[0] + 7) * 3])
    assert_allclose(perm.to_numpy(), 1.0)


def test_pickle_and_clone(global_random_seed):
    X = _blobs(global_random_seed, n=100)
    sweep = ClusterSweep(DBSCAN(), {"eps": [0.1]}).fit(X)
    again = pickle.loads(pickle.dumps(sweep))
    assert_array_equal(again.labels_, sweep.labels_)


# 3. the Azerbaijan catalog -------------------------------------------------------
def test_azerbaijan_dbscan_grid_subset(azerbaijan_catalog):
    """The paper's features (min-max scaled lon, lat, depth) on part of its grid."""
    X = MinMaxScaler().fit_transform(azerbaijan_catalog[["lon", "lat", "depth_km"]])
    grid = {"eps": [0.03, 0.09], "min_samples": [80, 190]}
    sweep = ClusterSweep(DBSCAN(), grid, n_jobs=2).fit(X)
    points = [(p["eps"], p["min_samples"]) for p in sweep.results_.to_dict("records")]
    reference = _naive(X, points)
    assert_array_equal(sweep.labels_, reference)
    for q in (0, 3):
        assert sweep.results_.loc[q, "silhouette"] == pytest.approx(
            silhouette_score(X, reference[q]), abs=1e-9
        )
    # Table 1's 2-cluster parameters (eps 0.09, min_samples 190) give one cluster
    # on these features: the published table is not reproduced (see the user guide).
    row = sweep.results_.query("eps == 0.09 and min_samples == 190").iloc[0]
    assert row.n_clusters == 1


def test_azerbaijan_table1_reproduced(azerbaijan_paper_box):
    """Table 1: the best-silhouette DBSCAN partition per cluster count.

    Features: the 6,194 events of the paper's box scaled with its equation (2)
    bounds; grid eps 0.01..0.20 x min_samples 80..200; silhouette with the noise
    as one more cluster (the authors' code). Every Table 1 entry is the argmax.
    """
    X = (azerbaijan_paper_box - PAPER_BOUNDS[0]) / (PAPER_BOUNDS[1] - PAPER_BOUNDS[0])
    grid = {
        "eps": np.round(np.arange(1, 21) * 0.01, 2).tolist(),
        "min_samples": list(range(80, 201, 10)),
    }
    sweep = ClusterSweep(DBSCAN(), grid, n_jobs=2).fit(X)
    best = sweep.best_partitions(n_clusters=range(2, 8))
    table1 = {
        2: (0.09, 190),
        3: (0.07, 120),
        4: (0.08, 200),
        5: (0.06, 150),
        6: (0.05, 80),
        7: (0.05, 90),
    }
    got = {int(r.n_clusters): (r.eps, int(r.min_samples)) for r in best.itertuples()}
    assert got == table1
    # the silhouette maximum falls as clusters are added (Fig. 3a), 6 vs 5 aside
    assert_allclose(
        best.silhouette, [0.3972, 0.3332, 0.2710, 0.1546, 0.1578, 0.1479], atol=1e-4
    )


def test_azerbaijan_ari_db192_hdb15(azerbaijan_paper_box):
    """Section 5: ARI("db 192", "hdb 15") = 0.48 (noise as a label, as the paper)."""
    X = (azerbaijan_paper_box - PAPER_BOUNDS[0]) / (PAPER_BOUNDS[1] - PAPER_BOUNDS[0])
    db192 = DBSCAN(eps=0.05, min_samples=80).fit(X).labels_
    hdb15 = HDBSCAN(min_cluster_size=100, min_samples=101, copy=True).fit(X).labels_
    ari = adjusted_rand_matrix([db192, hdb15], names=["db 192", "hdb 15"])
    assert ari.loc["db 192", "hdb 15"] == pytest.approx(0.48, abs=0.005)


# 4. errors ------------------------------------------------------------------------
def test_errors():
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match="noise"):
        ClusterSweep(DBSCAN(), {"eps": [0.1]}, noise="drop").fit(X)
    with pytest.raises(ValueError, match="metric"):
        ClusterSweep(DBSCAN(), {"eps": [0.1]}, metric="cosine").fit(X)
    with pytest.raises(ValueError, match="param_grid is empty"):
        ClusterSweep(DBSCAN(), []).fit(X)
    with pytest.raises(ValueError, match="estimator"):
        ClusterSweep("DBSCAN", {"eps": [0.1]}).fit(X)
    with pytest.raises(ValueError, match="NaN"):
        ClusterSweep(DBSCAN(), {"eps": [0.1]}).fit(np.r_[X, [[np.nan, 0.0]]])
    with pytest.raises(ValueError, match="eps"):
        ClusterSweep(DBSCAN(), {"eps": [0.1, -1.0]}).fit(X)
    with pytest.raises(ValueError, match="min_cluster_size"):
        ClusterSweep(HDBSCAN(), {"min_cluster_size": [1]}).fit(X)
    with pytest.raises(ValueError, match="same number of samples"):
        adjusted_rand_matrix([[0, 1], [0, 1, 1]])
