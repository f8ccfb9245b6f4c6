"""ProfileSOM: minisom equivalence, compact labels, two-level clustering, errors."""

import math
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from minisom import MiniSom
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.model_selection import GridSearchCV

from skgeoclust.cluster import ProfileSOM
from skgeoclust.preprocessing import extract_profiles


def _minisom(
    X, grid, seed, n_iterations, *, sigma=0.3, lr=0.1, init="random", random_order=False
):
    som = MiniSom(
        grid[0], grid[1], X.shape[1], sigma=sigma, learning_rate=lr, random_seed=seed
    )
    som.pca_weights_init(X) if init == "pca" else som.random_weights_init(X)
    som.train(X, n_iterations, random_order=random_order)
    return som


def _purity(nodes, truth):
    """Fraction of samples in the majority class of their node."""
    total = 0
    for node in np.unique(nodes):
        total += np.bincount(truth[nodes == node]).max()
    return total / truth.size


# -- results by hand --------------------------------------------------------------
def test_toy_two_groups(two_profile_groups):
    X = two_profile_groups
    som = ProfileSOM((2, 2), n_clusters=2, n_iterations=200, random_state=0).fit(X)
    assert adjusted_rand_score([0, 0, 1, 1, 1, 0], som.labels_) == 1.0
    assert_allclose(som.cluster_centers_[som.labels_[0]], X[[0, 1, 5]].mean(axis=0))


def test_default_grid_is_fourth_root_per_side(province_profiles):
    X, _ = province_profiles()
    som = ProfileSOM(n_iterations=100, random_state=0).fit(X)
    side = math.ceil(math.sqrt(math.sqrt(X.shape[0])))
    assert som.grid_shape_ == (side, side)
    assert som.codebook_.shape == (side, side, X.shape[1])


# -- equivalence with minisom -----------------------------------------------------
@pytest.mark.parametrize(
    "grid, sigma, init, random_order",
    [
        ((5, 5), 0.3, "random", False),
        ((4, 6), 1.5, "random", True),
        ((3, 7), 1.0, "pca", False),
    ],
)
def test_codebook_equals_minisom(grid, sigma, init, random_order, province_profiles):
    X, _ = province_profiles()
    som = _minisom(X, grid, 7, 3000, sigma=sigma, init=init, random_order=random_order)
    ours = ProfileSOM(
        grid,
        n_iterations=3000,
        sigma=sigma,
        init=init,
        random_order=random_order,
        random_state=7,
    ).fit(X)
    assert_allclose(ours.codebook_, som.get_weights(), rtol=0, atol=1e-10)
    via_minisom = ProfileSOM(
        grid,
        n_iterations=3000,
        sigma=sigma,
        init=init,
        random_order=random_order,
        algorithm="minisom",
        random_state=7,
    ).fit(X)
    assert_array_equal(via_minisom.codebook_, som.get_weights())


def test_labels_and_measures_match_minisom(province_profiles):
    X, truth = province_profiles()
    grid = (6, 6)
    som = _minisom(X, grid, 3, 4000)
    ours = ProfileSOM(grid, n_iterations=4000, random_state=3).fit(X)
    winners = np.array([np.ravel_multi_index(som.winner(x), grid) for x in X])
    assert_array_equal(ours.bmu_, winners)
    populated = np.unique(winners)  # increasing flat index = label order
    assert_array_equal(ours.labels_, np.searchsorted(populated, winners))
    assert_array_equal(ours.node_counts_, som.activation_response(X))
    assert_allclose(ours.quantization_error_, som.quantization_error(X), rtol=1e-9)
    assert ours.topographic_error_ == pytest.approx(som.topographic_error(X))
    assert _purity(ours.labels_, truth) >= _purity(winners, truth)
    for k in range(ours.n_clusters_):
        assert_allclose(ours.cluster_centers_[k], X[ours.labels_ == k].mean(axis=0))
    assert_array_equal(ours.node_labels_.ravel()[populated], np.arange(populated.size))
    assert np.all(
        ours.node_labels_.ravel()[np.setdiff1d(np.arange(36), populated)] == -1
    )


def test_to_minisom_round_trip(province_profiles):
    X, _ = province_profiles()
    ours = ProfileSOM((4, 4), n_iterations=500, random_state=0).fit(X)
    som = ours.to_minisom()
    assert_array_equal(som.get_weights(), ours.codebook_)
    assert som.winner(X[0]) == np.unravel_index(ours.bmu_[0], (4, 4))


# -- properties ----------------------------------------------------------------------
@settings(max_examples=15)
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(2, 40), st.integers(1, 5)),
        elements=st.floats(-5, 5),
    ),
    seed=st.integers(0, 1000),
)
def test_bmus_in_grid_and_labels_in_range(X, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        som = ProfileSOM(n_iterations=50, random_state=seed).fit(X)
    gx, gy = som.grid_shape_
    assert np.all((som.bmu_ >= 0) & (som.bmu_ < gx * gy))
    assert set(som.labels_.tolist()) == set(range(som.n_clusters_))
    assert_array_equal(som.predict(X), som.labels_)
    assert som.node_counts_.sum() == X.shape[0]


def test_predict_new_profiles_go_to_populated_nodes(province_profiles):
    X, _ = province_profiles()
    som = ProfileSOM((8, 8), n_iterations=2000, random_state=0).fit(X[::3])
    pred = som.predict(X)
    assert pred.min() >= 0 and pred.max() < som.n_clusters_
    assert_array_equal(som.predict(X[::3]), som.labels_)


def test_reproducible_and_pickles(province_profiles):
    X, _ = province_profiles()
    a = ProfileSOM(n_iterations=1000, random_state=5).fit(X)
    b = pickle.loads(pickle.dumps(ProfileSOM(n_iterations=1000, random_state=5))).fit(X)
    assert_array_equal(a.codebook_, b.codebook_)
    c = pickle.loads(pickle.dumps(a))
    assert_array_equal(c.predict(X), a.labels_)


def test_float32_and_float64_agree(province_profiles):
    X, _ = province_profiles()
    a = ProfileSOM(n_iterations=1000, random_state=1).fit(X)
    b = ProfileSOM(n_iterations=1000, random_state=1).fit(X.astype(np.float32))
    assert_allclose(a.codebook_, b.codebook_, atol=1e-5)


# -- two-level clustering --------------------------------------------------------------
@pytest.mark.parametrize("n_provinces", [3, 4, 5])
def test_ward_on_codebook_recoversprovince_profiles(n_provinces, province_profiles):
    X, truth = province_profiles(n_provinces, random_state=n_provinces)
    som = ProfileSOM(n_clusters=n_provinces, n_iterations=20_000, random_state=0).fit(X)
    raw = ProfileSOM(n_iterations=20_000, random_state=0).fit(X)
    assert som.n_clusters_ == n_provinces
    assert raw.n_clusters_ > n_provinces  # raw nodes split provinces
    assert adjusted_rand_score(truth, som.labels_) > 0.95
    assert_array_equal(som.bmu_, raw.bmu_)


def test_grid_search_over_grid_size_with_silhouette(province_profiles):
    X, _ = province_profiles(3, random_state=1)

    def silhouette(est, X, y=None):
        return silhouette_score(X, est.predict(X))

    search = GridSearchCV(
        ProfileSOM(n_clusters=3, n_iterations=3000, random_state=0),
        {"grid_size": [3, 5, (4, 6)]},
        scoring=silhouette,
        cv=2,
    ).fit(X)
    assert search.best_params_["grid_size"] in (3, 5, (4, 6))
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


# -- edge cases and errors ------------------------------------------------------------
def test_one_node_map():
    X = np.random.default_rng(0).normal(size=(10, 3))
    som = ProfileSOM((1, 1), n_iterations=20, random_state=0).fit(X)
    assert_array_equal(som.labels_, np.zeros(10))
    assert np.isnan(som.topographic_error_)


def test_too_many_clusters_for_populated_nodes():
    X = np.repeat(np.eye(3), 4, axis=0)
    with pytest.raises(ValueError, match="n_clusters=5 exceeds the 3 populated nodes"):
        ProfileSOM((3, 3), n_clusters=5, n_iterations=100, random_state=0).fit(X)


@pytest.mark.parametrize("grid_size", [(3, 0), (2, 2, 2), (2.5, 3)])
def test_bad_grid_size(grid_size):
    with pytest.raises(ValueError, match="grid_size"):
        ProfileSOM(grid_size, n_iterations=10).fit(np.ones((5, 2)))


def test_pca_init_needs_two_features():
    with pytest.raises(ValueError, match="init='pca' needs at least 2 features"):
        ProfileSOM(init="pca", n_iterations=10).fit(np.ones((5, 1)))


# -- real data -------------------------------------------------------------------------
def test_s362anim_codebook_equals_minisom(s362anim_velocity_model):
    m = s362anim_velocity_model
    p = extract_profiles(
        m["lat"], m["lon"], m["depth"], m["vs"], spacing=3, zrange=(25, 800)
    )
    som = _minisom(p.X, (7, 7), 11, 5000)
    ours = ProfileSOM((7, 7), n_clusters=6, n_iterations=5000, random_state=11).fit(p.X)
    assert_allclose(ours.codebook_, som.get_weights(), rtol=0, atol=1e-10)
    assert ours.n_clusters_ == 6


def test_values_whose_squared_distances_overflow_are_refused():
    # issue 16 #11: values of 1e200 gave "'list' argument must have no negative
    # elements" (NaN distances)
    X = np.random.default_rng(0).normal(size=(30, 4))
    with pytest.raises(ValueError, match=r"X holds .*e\+199 at row 0, column 0"):
        ProfileSOM(random_state=0).fit(X * 1e200)
    som = ProfileSOM(random_state=0).fit(X)
    for method in (som.predict, som.quantization_error):
        with pytest.raises(ValueError, match="squared distances of values beyond"):
            method(X * 1e200)
