"""StreamingMiniBatchKMeans: results, equivalences, sources, Dask, checkpoints."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.cluster import KMeans

from skgeoclust.cluster import StreamingMiniBatchKMeans
from skgeoclust.streams import ArraySource, NpyShardSource, ParquetSource


def _mixture(seed, n=6000, d=5, k=8, spread=3.0):
    """Overlapping anisotropic Gaussian clusters, shuffled."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, d)) * spread
    X = np.concatenate(
        [
            c + rng.normal(size=(n // k, d)) @ rng.normal(size=(d, d)) * 0.7
            for c in centers
        ]
    )
    return X[rng.permutation(X.shape[0])]


def _oracle_labels(X, centers):
    return ((X[:, None, :] - centers[None]) ** 2).sum(axis=2).argmin(axis=1)


def _oracle_inertia(X, centers):
    return float(((X[:, None, :] - centers[None]) ** 2).sum(axis=2).min(axis=1).sum())


def _fitted_state(km):
    return {k: v for k, v in vars(km).items() if k.endswith("_") or k.startswith("_c")}


# 1. results by hand ---------------------------------------------------------------
def test_two_groups_by_hand():
    X = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 2.0]])
    km = StreamingMiniBatchKMeans(2, batch_size=3, random_state=0).fit(X)
    order = np.argsort(km.cluster_centers_[:, 0])
    assert_allclose(km.cluster_centers_[order], [[0.0, 1.0], [10.0, 1.0]])
    assert km.inertia_ == pytest.approx(4.0)
    assert_array_equal(km.cluster_sizes_[order], [2, 2])
    assert km.labels_[0] == km.labels_[1] != km.labels_[2] == km.labels_[3]
    assert_allclose(km.transform([[0.0, 1.0]])[0, order], [0.0, 10.0])
    assert km.score(X) == pytest.approx(-4.0)


# 2. equivalences ------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_fit_is_within_one_percent_of_kmeans(seed):
    X = _mixture(seed, n=5000, d=6, k=10)
    km = KMeans(10, n_init=1, random_state=seed).fit(X)
    ours = StreamingMiniBatchKMeans(10, random_state=seed).fit(X)
    assert ours.inertia_ <= 1.01 * km.inertia_
    assert ours.inertia_ == pytest.approx(_oracle_inertia(X, ours.cluster_centers_))
    assert_array_equal(ours.labels_, ours.predict(X))


def test_one_exact_pass_is_one_lloyd_iteration_for_any_batch_size():
    X = _mixture(3, n=2000)
    init = X[:8] + 0.1
    labels = _oracle_labels(X, init)
    expected = np.array([X[labels == j].mean(axis=0) for j in range(8)])
    for batch_size in (7, 256, 5000):
        km = StreamingMiniBatchKMeans(
            8,
            init=init,
            n_passes=0,
            refine_max_iter=1,
            init_size=8,
            batch_size=batch_size,
        ).fit(X)
        assert km.n_steps_ == 0 and km.n_iter_ == 1
        # the pool is only the 8 first rows: Lloyd on it moves nothing we rely on,
        # so compare with the pool-polished start instead of init
        pool_centers = (
            StreamingMiniBatchKMeans(
                8,
                init=init,
                n_passes=0,
                refine_max_iter=0,
                init_size=8,
                batch_size=batch_size,
            )
            .fit(X)
            .cluster_centers_
        )
        labels = _oracle_labels(X, pool_centers)
        expected = np.array([X[labels == j].mean(axis=0) for j in range(8)])
        assert_allclose(km.cluster_centers_, expected, rtol=1e-10)


def test_converged_refinement_is_a_kmeans_fixed_point():
    X = _mixture(4, n=3000)
    ours = StreamingMiniBatchKMeans(8, refine_max_iter=100, tol=0.0, random_state=0)
    ours.fit(X)
    assert ours.n_iter_ < 100
    km = KMeans(8, init=ours.cluster_centers_, n_init=1, max_iter=5).fit(X)
    assert_allclose(km.cluster_centers_, ours.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert km.inertia_ == pytest.approx(ours.inertia_, rel=1e-9)


def test_float32_and_float64_agree():
    X = _mixture(5, n=3000)
    a = StreamingMiniBatchKMeans(8, random_state=1).fit(X)
    b = StreamingMiniBatchKMeans(8, random_state=1).fit(X.astype(np.float32))
    assert b.cluster_centers_.dtype == np.float32
    assert b.inertia_ == pytest.approx(a.inertia_, rel=1e-3)


def test_every_source_gives_the_same_model(tmp_path):
    da = pytest.importorskip("dask.array")
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    X = _mixture(6, n=1600)
    params = dict(
        n_clusters=4, batch_size=64, init_size=500, test_size=0.2, random_state=3
    )
    ref = StreamingMiniBatchKMeans(**params).fit(X)
    for i, part in enumerate(np.array_split(X, 3)):
        np.save(tmp_path / f"s{i}.npy", part)
        pq.write_table(
            pa.table({f"c{j}": part[:, j] for j in range(5)}),
            tmp_path / f"s{i}.parquet",
        )
    np.save(tmp_path / "all.npy", X)
    inputs = [
        np.load(tmp_path / "all.npy", mmap_mode="r"),
        ArraySource(X),
        NpyShardSource(str(tmp_path / "s*.npy")),
        ParquetSource(str(tmp_path / "s*.parquet")),
        da.from_array(X, chunks=(300, 5)),
    ]
    for X_in in inputs:
        km = StreamingMiniBatchKMeans(**params).fit(X_in)
        assert_allclose(km.cluster_centers_, ref.cluster_centers_, rtol=1e-12)
        assert km.inertia_ == pytest.approx(ref.inertia_, rel=1e-12)
        assert km.test_inertia_ == pytest.approx(ref.test_inertia_, rel=1e-12)
        assert hasattr(km, "labels_") == isinstance(X_in, np.ndarray)


def test_partial_fit_checkpoint_resumes_to_the_same_centres():
    X = _mixture(7, n=4000)
    batches = np.array_split(X, 40)
    whole = StreamingMiniBatchKMeans(
        8, init_size=400, random_state=0, reassignment_ratio=0.2
    )
    for batch in batches:
        whole.partial_fit(batch)
    first = StreamingMiniBatchKMeans(
        8, init_size=400, random_state=0, reassignment_ratio=0.2
    )
    for batch in batches[:17]:
        first.partial_fit(batch)
    resumed = pickle.loads(pickle.dumps(first))
    for batch in batches[17:]:
        resumed.partial_fit(batch)
    assert_array_equal(resumed.cluster_centers_, whole.cluster_centers_)
    assert resumed.n_steps_ == whole.n_steps_ == 40
    assert resumed.n_reassigned_ == whole.n_reassigned_
    assert_array_equal(resumed.predict(X), whole.predict(X))


def test_partial_fit_over_batches_matches_fit_mini_batch_phase():
    X = _mixture(8, n=2048)
    fit = StreamingMiniBatchKMeans(
        8, batch_size=256, init_size=256, refine_max_iter=0, random_state=0
    ).fit(X)
    pf = StreamingMiniBatchKMeans(8, init_size=256, random_state=0)
    pf.partial_fit(X[:256])  # seeds on the first batch, then one step on it
    for start in range(256, 2048, 256):
        pf.partial_fit(X[start : start + 256])
    # fit steps on all 8 batches after seeding on the same 256 rows
    assert fit.n_steps_ == pf.n_steps_ == 8
    assert_allclose(fit.cluster_centers_, pf.cluster_centers_, rtol=1e-12)


# test split, predict_stream, label_to ---------------------------------------------
def test_test_batches_never_move_the_centres():
    X = _mixture(9, n=2000)
    params = dict(n_clusters=6, batch_size=100, test_size=5, random_state=2)
    a = StreamingMiniBatchKMeans(**params).fit(X)
    test_rows = np.concatenate(
        [np.arange(b * 100, b * 100 + 100) for b in a.test_batches_]
    )
    assert a.test_batches_.shape == (5,)
    X2 = X.copy()
    X2[test_rows] += 50.0  # anything in the held-out batches
    b = StreamingMiniBatchKMeans(**params).fit(X2)
    assert_array_equal(a.test_batches_, b.test_batches_)
    assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-12)
    train = np.setdiff1d(np.arange(2000), test_rows)
    assert a.inertia_ == pytest.approx(_oracle_inertia(X[train], a.cluster_centers_))
    assert a.test_inertia_ == pytest.approx(
        _oracle_inertia(X[test_rows], a.cluster_centers_)
    )
    assert a.labels_.shape == (2000,) and a.cluster_sizes_.sum() == train.size


def test_predict_stream_and_label_to_cover_every_row(tmp_path):
    X = _mixture(10, n=1000)
    km = StreamingMiniBatchKMeans(5, batch_size=64, random_state=0).fit(X)
    expected = km.predict(X)
    chunks = list(km.predict_stream(X, batch_size=300))
    assert [c.shape[0] for c in chunks] == [300, 300, 300, 100]
    assert_array_equal(np.concatenate(chunks), expected)
    for i, part in enumerate(np.array_split(X, 4)):
        np.save(tmp_path / f"p{i}.npy", part)
    source = NpyShardSource(tmp_path)
    out = km.label_to(source, tmp_path / "labels.npy", batch_size=77)
    assert isinstance(out, np.memmap) and out.dtype == np.int32
    assert_array_equal(out, expected)
    assert_array_equal(np.load(tmp_path / "labels.npy"), expected)
    into = np.lib.format.open_memmap(
        tmp_path / "m.npy", mode="w+", dtype=np.int64, shape=(1000,)
    )
    assert km.label_to(source, into) is into
    assert_array_equal(into, expected)


def test_dask_predict_is_lazy_and_runs_on_a_local_cluster():
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    X = _mixture(11, n=3000)
    dX = da.from_array(X, chunks=(700, 3))  # column chunks are merged
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        km = StreamingMiniBatchKMeans(6, batch_size=128, random_state=0).fit(dX)
        labels = km.predict(dX)
        assert isinstance(labels, da.Array) and labels.dtype == np.int32
        assert labels.chunks == (dX.chunks[0],)
        assert_array_equal(labels.compute(), _oracle_labels(X, km.cluster_centers_))
        dist = km.transform(dX)
        assert_allclose(dist.compute(), km.transform(X), rtol=1e-10)
    ref = StreamingMiniBatchKMeans(6, batch_size=128, random_state=0).fit(X)
    assert_allclose(km.cluster_centers_, ref.cluster_centers_, rtol=1e-12)


# properties ----------------------------------------------------------------------
@settings(max_examples=15)
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(4, 60), st.integers(1, 4)),
        elements=st.floats(-100, 100),
    ),
    k=st.integers(1, 4),
    batch_size=st.integers(1, 20),
    seed=st.integers(0, 1000),
)
def test_labels_in_range_one_per_row_and_reproducible(X, k, batch_size, seed):
    params = dict(n_clusters=k, batch_size=batch_size, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # k-means++ on duplicated points
        a = StreamingMiniBatchKMeans(**params).fit(X)
        b = StreamingMiniBatchKMeans(**params).fit(X)
    assert a.labels_.shape == (X.shape[0],)
    assert ((a.labels_ >= 0) & (a.labels_ < k)).all()
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    d2 = ((X[:, None, :] - a.cluster_centers_[None]) ** 2).sum(axis=2)
    assert_allclose(
        d2[np.arange(X.shape[0]), a.predict(X)], d2.min(axis=1), rtol=1e-9, atol=1e-9
    )
    assert_array_equal(a.predict(X), a.labels_)


# 3. edge cases ------------------------------------------------------------------
def test_n_clusters_equal_to_n_samples():
    X = np.arange(12.0).reshape(6, 2)
    km = StreamingMiniBatchKMeans(6, batch_size=2, random_state=0).fit(X)
    assert km.inertia_ == pytest.approx(0.0)
    assert sorted(km.labels_) == list(range(6))


def test_duplicate_points_give_a_finite_model():
    X = np.ones((50, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = StreamingMiniBatchKMeans(3, batch_size=8, random_state=0).fit(X)
    assert np.isfinite(km.cluster_centers_).all()
    assert km.inertia_ == 0.0
    assert km.n_empty_clusters_ == 2


def test_starved_centre_is_reassigned():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 2))
    X[5] = 1e3  # an outlier in the pool captures a centre that then starves
    km = StreamingMiniBatchKMeans(
        3,
        init_size=100,
        batch_size=100,
        n_init=1,
        reassignment_ratio=0.1,
        refine_max_iter=0,
        random_state=0,
    ).fit(X)
    assert km.n_reassigned_ >= 1
    assert np.abs(km.cluster_centers_).max() < 10


# 4. errors and warnings ---------------------------------------------------------
def test_nan_row_is_named_and_leaves_the_model_unchanged(tmp_path):
    X = _mixture(12, n=1000)
    km = StreamingMiniBatchKMeans(4, batch_size=50, random_state=0).fit(X)
    before = pickle.dumps(_fitted_state(km))
    bad = X.copy()
    bad[733, 2] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    with pytest.raises(
        ValueError, match=r"source row 733 \(row 733 of shard '.*bad\.npy', 0-based\)"
    ):
        km.fit(NpyShardSource([tmp_path / "bad.npy"]))
    with pytest.raises(ValueError, match="row 3 contains NaN"):
        km.partial_fit(bad[730:740])
    assert pickle.dumps(_fitted_state(km)) == before
    with pytest.raises(ValueError, match="row 733 contains NaN"):
        list(km.predict_stream(bad))
    with pytest.raises(ValueError, match="NaN"):
        km.fit(np.load(tmp_path / "bad.npy", mmap_mode="r"))


def test_wrong_number_of_features(tmp_path):
    X = _mixture(13, n=500)
    km = StreamingMiniBatchKMeans(4, random_state=0).fit(X)
    with pytest.raises(ValueError, match="X has 3 features, but StreamingMiniBatch"):
        km.partial_fit(X[:, :3])
    with pytest.raises(ValueError, match="X has 3 features"):
        km.label_to(X[:, :3], tmp_path / "l.npy")
    with pytest.raises(ValueError, match="out must have shape"):
        km.label_to(X, np.empty(10))


def test_empty_and_too_small_sources(tmp_path):
    np.save(tmp_path / "empty.npy", np.zeros((0, 3)))
    with pytest.raises(ValueError, match="empty"):
        StreamingMiniBatchKMeans(2).fit(NpyShardSource([tmp_path / "empty.npy"]))
    with pytest.raises(ValueError, match="n_samples=3 training rows should be >= n_cl"):
        StreamingMiniBatchKMeans(4).fit(np.ones((3, 2)))
    X = _mixture(14, n=400)
    with pytest.warns(UserWarning, match="init_size=1000 is larger than the 400"):
        km = StreamingMiniBatchKMeans(3, init_size=1000, random_state=0).fit(X)
    assert km.init_size_ == 400


def test_bad_parameters():
    X = _mixture(15, n=400)
    with pytest.raises(ValueError, match="leaving none to train on"):
        StreamingMiniBatchKMeans(2, batch_size=100, test_size=4).fit(X)
    with pytest.raises(ValueError, match="init array has shape"):
        StreamingMiniBatchKMeans(2, init=np.zeros((3, 5))).fit(X)
    with pytest.raises(ValueError, match="test_size"):
        StreamingMiniBatchKMeans(2, test_size=1.5).fit(X)
    km = StreamingMiniBatchKMeans(2).fit(X)
    with pytest.raises(TypeError, match="predict_stream or label_to"):
        km.predict(ArraySource(X))


def test_verbose_reports_rows_per_second(capsys):
    X = _mixture(16, n=600)
    km = StreamingMiniBatchKMeans(3, batch_size=64, verbose=1, random_state=0).fit(X)
    err = capsys.readouterr()
    text = err.out + err.err
    assert "mini-batch pass 1" in text and "evaluation pass" in text
    assert "rows" in text
    assert set(km.timings_) == {"warm_start", "mini_batch", "refine", "evaluate"}


def test_threaded_assignment_gives_the_same_model():
    X = _mixture(17, n=20000, d=3, k=4)
    params = dict(batch_size=4096, init_size=2000, refine_max_iter=2, random_state=0)
    a = StreamingMiniBatchKMeans(4, **params).fit(X)
    b = StreamingMiniBatchKMeans(4, n_jobs=2, **params).fit(X)
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert_array_equal(a.labels_, b.labels_)
    assert b.inertia_ == pytest.approx(a.inertia_, rel=1e-12)
    with pytest.raises(ValueError, match="n_jobs == 0"):
        StreamingMiniBatchKMeans(5, n_jobs=0).fit(X[:100])


def test_uniform_pool_sees_sorted_data_that_the_head_misses():
    rng = np.random.default_rng(18)
    X = np.concatenate([rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2)) + 20])
    params = dict(
        n_clusters=2, init_size=200, n_passes=0, refine_max_iter=0, random_state=0
    )
    head = StreamingMiniBatchKMeans(**params).fit(X)
    uniform = StreamingMiniBatchKMeans(init_sample="uniform", **params).fit(X)
    assert head.init_size_ == uniform.init_size_ == 200
    assert (head.cluster_centers_ < 10).all()  # the pool only saw the first group
    assert sorted(uniform.cluster_centers_[:, 0].round(-1)) == [0.0, 20.0]


def test_random_init_and_several_passes():
    X = _mixture(19, n=3000)
    km = StreamingMiniBatchKMeans(
        8, init="random", n_passes=3, batch_size=100, random_state=0
    ).fit(X)
    assert km.n_steps_ == 90
    ref = KMeans(8, n_init=1, random_state=0).fit(X)
    assert km.inertia_ <= 1.05 * ref.inertia_


def test_failed_fit_keeps_the_previous_feature_count():
    X = _mixture(20, n=500)
    km = StreamingMiniBatchKMeans(3, random_state=0).fit(X)
    bad = np.ones((500, 2))
    bad[7, 1] = np.inf
    with pytest.raises(ValueError, match="source row 7 contains NaN or infinity"):
        km.fit(bad)
    assert km.n_features_in_ == 5
    assert km.predict(X).shape == (X.shape[0],)


def test_fit_predict_on_every_kind_of_input():
    da = pytest.importorskip("dask.array")
    X = _mixture(21, n=800)
    params = dict(n_clusters=4, batch_size=64, random_state=0)
    expected = StreamingMiniBatchKMeans(**params).fit_predict(X)
    from_source = StreamingMiniBatchKMeans(**params).fit_predict(ArraySource(X))
    from_dask = StreamingMiniBatchKMeans(**params).fit_predict(
        da.from_array(X, chunks=(300, 5))
    )
    assert_array_equal(from_source, expected)
    assert isinstance(from_dask, da.Array)
    assert_array_equal(from_dask.compute(), expected)


def test_fit_and_partial_fit_agree_through_reassignments():
    rng = np.random.default_rng(22)
    X = rng.normal(size=(3000, 2))
    X[[3, 40, 90]] = [[50.0, 50.0], [-60.0, 40.0], [45.0, -55.0]]  # starving outliers
    params = dict(init_size=100, n_init=1, reassignment_ratio=0.2, random_state=0)
    fit = StreamingMiniBatchKMeans(6, batch_size=100, refine_max_iter=0, **params)
    fit.fit(X)
    pf = StreamingMiniBatchKMeans(6, **params)
    for start in range(0, 3000, 100):
        pf.partial_fit(X[start : start + 100])
    assert fit.n_reassigned_ == pf.n_reassigned_ > 0
    assert fit.n_steps_ == pf.n_steps_ == 30
    assert_allclose(fit.cluster_centers_, pf.cluster_centers_, rtol=1e-12)


def _fitted_200(seed=0):
    X = np.random.default_rng(seed).normal(size=(5000, 2))
    return X, StreamingMiniBatchKMeans(200, batch_size=1024, random_state=0).fit(X)


def test_label_to_refuses_a_dtype_that_cannot_hold_the_labels():
    # issue 16 #10: label_to into an int8 array wrapped the labels of k = 200
    X, km = _fitted_200()
    with pytest.raises(ValueError, match=r"dtype int8, which cannot hold the labels"):
        km.label_to(X, np.zeros(5000, dtype=np.int8))
    with pytest.raises(ValueError, match="dtype bool"):
        km.label_to(X, np.zeros(5000, dtype=bool))
    for dtype in (np.uint8, np.int16, np.float32, np.int64):
        out = km.label_to(X, np.zeros(5000, dtype=dtype))
        assert_array_equal(out, km.labels_)


def test_failed_label_to_path_leaves_no_file(tmp_path):
    # issue 16 #10: a failed label_to(path) left a full-length file of label 0
    X, km = _fitted_200()
    bad = X.copy()
    bad[3000, 1] = np.nan
    path = tmp_path / "labels.npy"
    with pytest.raises(ValueError, match="row 3000 contains NaN"):
        km.label_to(bad, path)
    assert list(tmp_path.iterdir()) == []
    np.save(path, np.arange(3))  # an existing file is replaced only on success
    with pytest.raises(ValueError, match="row 3000 contains NaN"):
        km.label_to(bad, path)
    assert_array_equal(np.load(path), np.arange(3))
    assert_array_equal(km.label_to(X, path), km.labels_)
    assert [p.name for p in tmp_path.iterdir()] == ["labels.npy"]


def test_lazy_dask_predict_names_the_global_row():
    # issue 16 #10: a NaN at row 3000 was reported as "row 0" of a Dask block
    da = pytest.importorskip("dask.array")
    X, km = _fitted_200()
    bad = X.copy()
    bad[3000, 0] = np.nan
    lazy = da.from_array(bad, chunks=(700, 2))
    for method in (km.predict, km.transform):
        with pytest.raises(ValueError, match=r"Dask array: row 3000 contains NaN"):
            method(lazy).compute()
    assert_array_equal(km.predict(da.from_array(X, chunks=(700, 2))), km.labels_)


def test_values_whose_squared_distances_overflow_are_refused(tmp_path):
    # found by tests/test_bad_inputs.py: 1e300 gave overflow warnings and labels
    # from infinite distances
    X = _mixture(14, n=200, d=2)
    X[57, 1] = 1e300
    match = r"row 57, column 1 holds 1e\+300; squared distances"
    with pytest.raises(ValueError, match=match):
        StreamingMiniBatchKMeans(2, batch_size=8).fit(X)
    np.save(tmp_path / "a.npy", X)
    with pytest.raises(ValueError, match=r"row 57 \(row 57 of shard .*a\.npy"):
        StreamingMiniBatchKMeans(2, batch_size=8).fit(NpyShardSource(tmp_path))
    km = StreamingMiniBatchKMeans(2, random_state=0).fit(np.delete(X, 57, axis=0))
    for call in (km.predict, km.partial_fit, lambda Z: list(km.predict_stream(Z))):
        with pytest.raises(ValueError, match=match):
            call(X)
