"""Automatic subsets of FaultNetworkAgglomerative: the partition, the per-subset
merging and its parallel (joblib, Dask) runs."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.cluster.hierarchy import linkage

from skgeoclust._kernels.hierarchy import weighted_ward_tree
from skgeoclust.cluster import FaultNetworkAgglomerative
from skgeoclust.cluster._fault_network._subsets import auto_subsets, octree_cells
from skgeoclust.datasets import make_fault_network


def _network(n_samples=2400, seed=3):
    X, y = make_fault_network(
        12,
        n_samples=n_samples,
        background_fraction=0.1,
        location_error_km=0.3,
        random_state=seed,
    )
    return X, y


def _same_model(a, b):
    assert_array_equal(a.labels_, b.labels_)
    assert_allclose(a.means_, b.means_)
    assert_allclose(a.weights_, b.weights_)
    assert_allclose(a.bic_path_, b.bic_path_)
    assert a.bic_ == b.bic_


# ---------------------------------------------------------------- the partition
def test_weighted_ward_tree_of_unit_weights_is_scipys_ward_tree():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    children, cost = weighted_ward_tree(X, np.ones(60))
    Z = linkage(X, method="ward")
    # scipy's height is sqrt(2 * cost); same merges, listed in cost order there
    assert_allclose(np.sort(np.sqrt(2.0 * cost)), Z[:, 2], rtol=1e-10)
    # every node comes after its children and the last merge is the root
    assert (children < 60 + np.arange(59)[:, None]).all()
    assert np.bincount(children.ravel(), minlength=119)[:118].tolist() == [1] * 118


def test_weighted_ward_tree_counts_the_weights():
    # a heavy point pulls its merges: (0, 1) is cheaper than (1, 2) only unweighted
    X = np.array([[0.0, 0, 0], [1.0, 0, 0], [2.1, 0, 0]])
    children, _ = weighted_ward_tree(X, np.ones(3))
    assert sorted(children[0]) == [0, 1]
    children, _ = weighted_ward_tree(X, np.array([50.0, 1.0, 1.0]))
    assert sorted(children[0]) == [1, 2]


def test_octree_cells_hold_at_most_leaf_size_points_unless_they_coincide():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(size=(3000, 3)), np.full((500, 3), 7.0)])
    cell = octree_cells(X, 100, 1e-6)
    counts = np.bincount(cell)
    assert counts.sum() == 3500
    big = np.flatnonzero(counts > 100)
    assert big.shape[0] == 1 and counts[big[0]] == 500
    assert (X[cell == big[0]] == 7.0).all()


@pytest.mark.parametrize("max_size", [300, 1000, 5000])
def test_auto_subsets_respect_the_bounds_and_label_every_event(max_size):
    X, _ = _network(4000)
    subset = auto_subsets(X, max_size, max_size // 16, 1e-3)
    counts = np.bincount(subset)
    assert subset.shape == (4000,) and counts.min() > 0
    if max_size >= 4000:
        assert counts.tolist() == [4000]
    else:
        # joining the small ones can exceed the bound by at most max_size / 16
        assert counts.max() <= max_size + max_size // 16
        assert counts.min() >= max_size // 16
    # numbered in the order of first appearance
    _, first = np.unique(subset, return_index=True)
    assert (np.diff(first) > 0).all()


def test_auto_subsets_do_not_depend_on_the_order_of_the_events():
    X, _ = _network(3000)
    perm = np.random.default_rng(2).permutation(3000)
    a = auto_subsets(X, 500, 31, 1e-3)
    b = auto_subsets(X[perm], 500, 31, 1e-3)
    # the same partition, up to the numbering
    pairs = set(zip(a[perm].tolist(), b.tolist()))
    assert len(pairs) == len(np.unique(a)) == len(np.unique(b))


# ---------------------------------------------------------------- the fit
def test_one_subset_is_the_papers_single_tree():
    X, _ = _network(1500)
    auto = FaultNetworkAgglomerative().fit(X)
    single = FaultNetworkAgglomerative(n_subsets=1).fit(X)
    assert auto.n_subsets_ == 1
    _same_model(auto, single)


def test_subsets_give_a_network_as_good_as_one_tree():
    from sklearn.metrics import adjusted_rand_score

    X, y = _network(2400)
    one = FaultNetworkAgglomerative().fit(X)
    many = FaultNetworkAgglomerative(max_subset_size=500).fit(X)
    assert many.n_subsets_ >= 4
    assert len(many.backgrounds_["weight"]) <= many.n_subsets_
    assert_array_equal(np.unique(many.subset_labels_), np.arange(many.n_subsets_))
    ari_one = adjusted_rand_score(y, one.labels_)
    ari_many = adjusted_rand_score(y, many.labels_)
    assert ari_many > 0.9 and ari_many > ari_one - 0.03
    # the last pass is over the whole catalog: labels are its argmax
    assert_array_equal(many.predict(X), many.labels_)


def test_subsets_in_parallel_give_the_same_model():
    X, _ = _network(2400)
    serial = FaultNetworkAgglomerative(max_subset_size=500, n_jobs=1).fit(X)
    parallel = FaultNetworkAgglomerative(max_subset_size=500, n_jobs=2).fit(X)
    _same_model(serial, parallel)
    _same_model(serial, pickle.loads(pickle.dumps(serial)))


def test_subsets_on_a_dask_cluster_give_the_same_model():
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_backend

    X, _ = _network(2400)
    serial = FaultNetworkAgglomerative(max_subset_size=500, n_jobs=1).fit(X)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        parallel_backend("dask"),
        distributed.get_task_stream(client) as tasks,
    ):
        on_dask = FaultNetworkAgglomerative(max_subset_size=500).fit(X)
        workers = set(client.scheduler_info()["workers"])
    # one task per subset ran on the cluster's workers
    assert len(tasks.data) >= on_dask.n_subsets_
    assert {t["worker"] for t in tasks.data} <= workers
    _same_model(serial, on_dask)


def test_progress_bar_or_lines_with_verbose(capsys):
    X, _ = _network(1200)
    FaultNetworkAgglomerative(max_subset_size=300, verbose=1).fit(X)
    err = capsys.readouterr().err
    assert "subsets" in err


# ---------------------------------------------------------------- awkward catalogs
@pytest.mark.parametrize(
    "shape", ["duplicates", "near_duplicates", "plane", "line", "one_point"]
)
def test_awkward_catalogs_split_into_subsets_give_a_valid_model(shape):
    rng = np.random.default_rng(7)
    if shape == "duplicates":
        # three locations repeated 20,000 times each, and a scatter around them
        repeated = np.repeat(rng.normal(size=(3, 3)) * 10, 20_000, axis=0)
        X = np.vstack([repeated, rng.uniform(-20, 20, (400, 3))])
    elif shape == "near_duplicates":
        X = np.repeat(rng.normal(size=(3, 3)), 1500, axis=0)
        X += rng.normal(scale=1e-9, size=X.shape)
    elif shape == "plane":
        X = np.column_stack([rng.uniform(0, 40, (3000, 2)), np.zeros(3000)])
    elif shape == "line":
        X = np.outer(rng.uniform(0, 50, 3000), [1.0, 2.0, 0.5])
    else:
        X = np.tile([[1.0, 2.0, 3.0]], (50_000, 1))
    model = FaultNetworkAgglomerative(max_subset_size=1000).fit(X)
    assert model.labels_.shape == (X.shape[0],)
    assert np.isfinite(model.bic_) and model.means_.shape[0] >= 1
    if shape in ("duplicates", "near_duplicates", "one_point"):
        # a location repeated beyond the model's resolution is one kernel, each
        # event of it labelled with that kernel
        n_locations = {"duplicates": 3, "near_duplicates": 3, "one_point": 1}[shape]
        on_repeats = model.labels_[: n_locations * 1000]
        assert len(set(on_repeats.tolist())) <= n_locations and (on_repeats >= 0).all()
    assert_array_equal(model.predict(X[:5000]), model.labels_[:5000])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e300])
def test_non_finite_or_huge_coordinates_name_their_row(bad):
    X, _ = _network(300)
    X[123, 1] = bad
    with pytest.raises(ValueError, match=r"row 123 \(column 1\)"):
        FaultNetworkAgglomerative().fit(X)


def test_groups_of_subsets_before_the_whole_catalog(monkeypatch):
    from sklearn.metrics import adjusted_rand_score

    from skgeoclust.cluster._fault_network import _network as pipeline

    X, y = _network(3000)
    flat = FaultNetworkAgglomerative(max_subset_size=400).fit(X)
    monkeypatch.setattr(pipeline, "_GROUP_FACTOR", 3)
    calls = []
    merge_group = pipeline.merge_group

    def counted(*args, **kwargs):
        calls.append(args[0].shape[0])
        return merge_group(*args, **kwargs)

    monkeypatch.setattr(pipeline, "merge_group", counted)
    grouped = FaultNetworkAgglomerative(max_subset_size=400).fit(X)
    # groups of at most 3 x 400 events (plus what small subsets joined) ran
    assert calls and max(calls) <= 1200 + 3 * 25
    assert grouped.n_subsets_ == flat.n_subsets_
    assert adjusted_rand_score(y, grouped.labels_) > 0.9
    assert abs(grouped.bic_ - flat.bic_) < 0.002 * abs(flat.bic_)
