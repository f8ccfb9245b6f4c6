"""ProfileKMeans: tslearn equivalence, Kneedle choice of k, DTW, errors."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.model_selection import GridSearchCV
from tslearn.clustering import TimeSeriesKMeans

from skgeoclust.cluster import ProfileKMeans
from skgeoclust.cluster._knee import box_smooth, knee_point
from skgeoclust.preprocessing import extract_profiles


# -- results by hand --------------------------------------------------------------
def test_toy_two_groups(two_profile_groups):
    X = two_profile_groups
    km = ProfileKMeans(2, random_state=0).fit(X)
    a, b = km.labels_[0], km.labels_[2]
    assert_array_equal(km.labels_, [a, a, b, b, b, a])
    assert_allclose(km.cluster_centers_[a], X[[0, 1, 5]].mean(axis=0))
    expected = ((X[[0, 1, 5]] - X[[0, 1, 5]].mean(0)) ** 2).sum() + (
        (X[2:5] - X[2:5].mean(0)) ** 2
    ).sum()
    assert km.inertia_ == pytest.approx(expected)
    assert km.score(X) == pytest.approx(-expected)
    assert_allclose(
        km.transform(X).min(axis=1) ** 2,
        ((X - km.cluster_centers_[km.labels_]) ** 2).sum(1),
    )


def test_knee_point_by_hand():
    assert knee_point([1, 2, 3, 4, 5, 6], [100, 40, 12, 10, 9, 8]) == 3.0
    assert knee_point([1, 2, 3, 4], [4, 3, 2, 1]) is None  # straight line
    assert knee_point([1, 2], [2, 1]) is None


def test_box_smooth_matches_seisgo_for_width_3():
    d = np.array([9.0, 5.0, 3.0, 2.5, 2.0, 1.9])
    seisgo = np.convolve(d, np.ones(3) / 3, mode="same")
    seisgo[0], seisgo[-1] = d[0], d[-1]
    assert_allclose(box_smooth(d, 3), seisgo)
    # width 5: SeisGo's zero padding drags index 1 toward zero; ours averages 4 values.
    assert box_smooth(d, 5)[1] == pytest.approx(d[:4].mean())


# -- equivalence with tslearn and kneed ------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_partition_as_tslearn_euclidean(seed, province_profiles):
    X, truth = province_profiles(4, random_state=seed, n_lat=20, n_lon=25)
    ours = ProfileKMeans(4, random_state=seed).fit(X)
    ts = TimeSeriesKMeans(4, random_state=seed).fit(X[:, :, None])
    assert adjusted_rand_score(ours.labels_, ts.labels_) == 1.0
    assert ours.inertia_ == pytest.approx(ts.inertia_ * X.shape[0], rel=1e-9)
    assert adjusted_rand_score(truth, ours.labels_) >= adjusted_rand_score(
        truth, ts.labels_
    )


@settings(max_examples=25)
@given(
    drops=st.lists(st.floats(0.01, 10.0), min_size=3, max_size=15),
    decay=st.floats(0.2, 0.95),
)
def test_knee_point_agrees_with_kneed(drops, decay):
    kneed = pytest.importorskip("kneed")
    # Decreasing convex curve: each step drops by a geometrically shrinking amount.
    steps = np.array(drops) * decay ** np.arange(len(drops))
    y = 100.0 - np.concatenate(([0.0], np.cumsum(np.sort(steps)[::-1])))
    x = np.arange(2, 2 + y.size)
    expected = kneed.KneeLocator(
        x, y, S=1.0, curve="convex", direction="decreasing"
    ).knee
    ours = knee_point(x, y)
    assert (ours is None and expected is None) or ours == expected


@pytest.mark.parametrize("n_provinces", [3, 4, 5])
def test_auto_k_picks_the_province_count(n_provinces, province_profiles):
    X, truth = province_profiles(
        n_provinces, random_state=n_provinces, n_lat=14, n_lon=16
    )
    km = ProfileKMeans(
        None, n_clusters_range=range(2, 12), n_init=10, random_state=0
    ).fit(X)
    assert km.n_clusters_ == n_provinces
    assert adjusted_rand_score(truth, km.labels_) == 1.0
    assert km.distortions_.shape == (10,)
    assert np.all(np.diff(km.distortions_[:n_provinces]) < 0)
    assert_array_equal(km.n_clusters_range_, np.arange(2, 12))


def test_refit_with_a_fixed_k_drops_the_previous_curve(province_profiles):
    X, _ = province_profiles(3, random_state=3, n_lat=8, n_lon=9)
    km = ProfileKMeans(None, n_clusters_range=range(2, 6), random_state=0).fit(X)
    assert km.distortions_.shape == (4,)
    km.set_params(n_clusters=2).fit(X)
    assert not hasattr(km, "distortions_")
    assert not hasattr(km, "n_clusters_range_")
    assert km.n_clusters_ == 2


def test_auto_k_with_smoothing_matches_seisgo_evaluation(province_profiles):
    kneed = pytest.importorskip("kneed")
    X, _ = province_profiles(4, random_state=4, n_lat=14, n_lon=16)
    ks = np.arange(2, 12)
    km = ProfileKMeans(None, n_clusters_range=ks, knee_smoothing=3, random_state=0).fit(
        X
    )
    dist = np.array(
        [
            TimeSeriesKMeans(int(k), random_state=0).fit(X[:, :, None]).inertia_
            for k in ks
        ]
    )
    assert_allclose(km.distortions_ / X.shape[0], dist, rtol=1e-8)
    ys = np.convolve(dist, np.ones(3) / 3, mode="same")
    ys[0], ys[-1] = dist[0], dist[-1]
    seisgo = kneed.KneeLocator(
        ks, ys, S=1, curve="convex", direction="decreasing"
    ).all_knees[0]
    assert km.n_clusters_ == seisgo


def test_dtw_delegates_to_tslearn(province_profiles):
    X, _ = province_profiles(3, random_state=1, n_lat=6, n_lon=7, n_depth=12)
    ours = ProfileKMeans(3, metric="dtw", max_iter=5, random_state=0).fit(X)
    ts = TimeSeriesKMeans(3, metric="dtw", max_iter=5, random_state=0).fit(
        X[:, :, None]
    )
    assert_array_equal(ours.labels_, ts.labels_)
    assert_allclose(ours.cluster_centers_, ts.cluster_centers_[:, :, 0])
    assert_array_equal(ours.predict(X), ours.labels_)
    soft = ProfileKMeans(
        3,
        metric="softdtw",
        max_iter=3,
        max_iter_barycenter=5,
        metric_params={"gamma": 0.1},
        random_state=0,
    ).fit(X)
    assert_array_equal(soft.predict(X), soft.labels_)


def test_float32_and_float64_agree(province_profiles):
    X, _ = province_profiles(n_lat=20, n_lon=25)
    a = ProfileKMeans(4, random_state=0).fit(X)
    b = ProfileKMeans(4, random_state=0).fit(X.astype(np.float32))
    assert_array_equal(a.labels_, b.labels_)


def test_pickle_and_predict_equals_labels(province_profiles):
    X, _ = province_profiles(n_lat=20, n_lon=25)
    km = pickle.loads(pickle.dumps(ProfileKMeans(4, n_init=3, random_state=2).fit(X)))
    assert_array_equal(km.predict(X), km.labels_)
    assert km.get_feature_names_out().tolist() == [
        f"profilekmeans{i}" for i in range(4)
    ]


def test_grid_search_over_n_clusters_with_silhouette(province_profiles):
    X, _ = province_profiles(4, random_state=4, n_lat=20, n_lon=25)

    def silhouette(est, X, y=None):
        return silhouette_score(X, est.predict(X))

    search = GridSearchCV(
        ProfileKMeans(n_init=5, random_state=0),
        {"n_clusters": [2, 3, 4, 6, 8]},
        scoring=silhouette,
        cv=2,
    ).fit(X)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and np.all(scores > 0.3)
    assert search.best_params_["n_clusters"] == [2, 3, 4, 6, 8][int(np.argmax(scores))]
    assert search.best_estimator_.n_clusters_ == search.best_params_["n_clusters"]


@settings(max_examples=20)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 6))
def test_inertia_never_increases_with_iterations(seed, k):
    X = np.random.default_rng(seed).normal(size=(60, 5))
    inertias = [
        ProfileKMeans(k, max_iter=m, random_state=seed).fit(X).inertia_
        for m in (1, 2, 3, 5, 300)
    ]
    assert np.all(np.diff(inertias) <= 1e-9 * inertias[0])
    km = ProfileKMeans(k, random_state=seed).fit(X)
    assert set(km.labels_.tolist()) <= set(range(k))
    assert_array_equal(km.predict(X), km.labels_)


# -- edge cases and errors ------------------------------------------------------------
def test_n_clusters_equal_n_samples():
    X = np.arange(12.0).reshape(4, 3)
    km = ProfileKMeans(4, random_state=0).fit(X)
    assert sorted(km.labels_.tolist()) == [0, 1, 2, 3]
    assert km.inertia_ == pytest.approx(0.0)


def test_no_knee_warns_and_still_labels():
    # Evenly spaced points on a line: distortion ~ 1/k^2 is smooth; with only three
    # k values around it the Kneedle test finds no knee.
    X = np.linspace(0, 1, 60)[:, None] * np.ones((1, 3))
    with pytest.warns(UserWarning, match="No knee found"):
        km = ProfileKMeans(None, n_clusters_range=[20, 30, 40], random_state=0).fit(X)
    assert km.n_clusters_ in (20, 30, 40)
    assert km.labels_.shape == (60,)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_clusters": 50}, "n_clusters=50 exceeds n_samples=10"),
        ({"n_clusters": None, "n_clusters_range": [2, 3]}, "at least 3 values"),
        ({"n_clusters": None, "n_clusters_range": [2, 3, 11]}, "holds 11, outside"),
        ({"n_clusters": None, "n_clusters_range": [4, 3, 2]}, "strictly increasing"),
        ({"n_clusters": None, "n_clusters_range": [2.5, 3, 4]}, "sequence of ints"),
    ],
)
def test_bad_cluster_counts(params, match):
    X = np.random.default_rng(0).normal(size=(10, 4))
    with pytest.raises(ValueError, match=match), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ProfileKMeans(**params).fit(X)


# -- real data -------------------------------------------------------------------------
def test_s362anim_same_partition_as_tslearn(s362anim_velocity_model):
    m = s362anim_velocity_model
    p = extract_profiles(
        m["lat"], m["lon"], m["depth"], m["vs"], spacing=2, zrange=(25, 700), dz=25.0
    )
    ours = ProfileKMeans(6, random_state=0).fit(p.X)
    # tslearn stops once the mean inertia moves by < tol; with tol=0 it iterates to
    # the same fixed point as our Lloyd run (labels stable).
    ts = TimeSeriesKMeans(6, max_iter=300, tol=0.0, random_state=0).fit(p.X[:, :, None])
    assert adjusted_rand_score(ours.labels_, ts.labels_) == 1.0
    assert ours.inertia_ == pytest.approx(ts.inertia_ * p.X.shape[0], rel=1e-9)
    default = TimeSeriesKMeans(6, random_state=0).fit(p.X[:, :, None])
    assert ours.inertia_ <= default.inertia_ * p.X.shape[0] * (1 + 1e-12)


def test_values_whose_squared_distances_overflow_are_refused():
    # issue 16 #11 (same defect as ProfileSOM): NaN distances, silent labels
    X = np.random.default_rng(0).normal(size=(30, 4))
    with pytest.raises(ValueError, match=r"X holds .*e\+199 at row 0, column 0"):
        ProfileKMeans(3, random_state=0).fit(X * 1e200)
    km = ProfileKMeans(3, random_state=0).fit(X)
    for method in (km.predict, km.transform):
        with pytest.raises(ValueError, match="squared distances of values beyond"):
            method(X * 1e200)


def test_fewer_distinct_profiles_than_clusters_warns():
    # issue 16 #12: n_clusters_ = 5 with one label used, silently
    with pytest.warns(ConvergenceWarning, match=r"distinct clusters \(1\).*\(5\)"):
        km = ProfileKMeans(5, random_state=0).fit(np.ones((20, 4)))
    assert km.n_clusters_ == 5 and np.unique(km.labels_).size == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ProfileKMeans(3, random_state=0).fit(np.repeat(np.eye(3), 4, axis=0))
