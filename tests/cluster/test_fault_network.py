"""FaultNetworkAgglomerative (Kamer, Ouillon & Sornette 2020)."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.cluster.hierarchy import cut_tree, linkage
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import KernelDensity

from skgeoclust.cluster import FaultNetworkAgglomerative
from skgeoclust.cluster._fault_network._planes import plane_orientation
from skgeoclust.datasets import make_fault_network
from skgeoclust.datasets._fault_network import _plane_axes


@pytest.fixture(scope="module")
def five_planes():
    """§3.1: five planes, 640 points, 20 % background, points exactly on planes."""
    return make_fault_network(
        n_faults=5,
        n_samples=640,
        background_fraction=0.2,
        return_faults=True,
        random_state=0,
    )


@pytest.fixture(scope="module")
def five_planes_models(five_planes):
    X = five_planes[0]
    return {c: FaultNetworkAgglomerative(c).fit(X) for c in ("global", "local")}


# ---------------------------------------------------------------- toy results
def test_holding_capacity_on_hand_built_groups():
    rng = np.random.default_rng(0)
    groups = [
        rng.normal(c, 0.01, size=(5, 3)) for c in ([0, 0, 0], [10, 0, 0], [0, 10, 0])
    ]
    X = np.vstack([*groups, [[50.0, 50.0, 5.0]], [[-40.0, 30.0, 2.0]]])
    model = FaultNetworkAgglomerative().fit(X)
    assert model.holding_capacity_ == 3
    # the two isolated events are background; each group is one kernel
    assert_array_equal(model.labels_[-2:], [-1, -1])
    assert len(set(model.labels_[:15])) == 3 and (model.labels_[:15] >= 0).all()


def test_holding_capacity_is_the_best_cut_of_the_ward_tree(global_random_seed):
    X = np.random.default_rng(global_random_seed).normal(size=(70, 3))
    model = FaultNetworkAgglomerative().fit(X)
    Z = linkage(X, method="ward")
    counts = [
        (np.bincount(cut_tree(Z, n_clusters=c).ravel()) >= 4).sum()
        for c in range(1, 71)
    ]
    assert model.holding_capacity_ == max(counts)


def test_bic_is_the_papers_equation(five_planes_models, five_planes):
    X = five_planes[0]
    model = five_planes_models["global"]
    log_p = model.score_samples(X)
    k = 10 * model.n_components_ - 1
    expected = -log_p.sum() + 0.5 * k * np.log(len(X))
    assert_allclose(model.bic_, expected, rtol=1e-10)
    assert_allclose(model.bic(X), expected, rtol=1e-10)
    assert_allclose(model.bic_path_[-1], model.bic_, rtol=1e-8)
    assert model.n_components_ == model.means_.shape[0] + len(
        model.backgrounds_["weight"]
    )
    total = model.weights_.sum() + model.backgrounds_["weight"].sum()
    assert_allclose(total, 1.0, rtol=1e-9)


# ---------------------------------------------------------------- the paper
def test_section_3_1_global_recovers_five_faults(five_planes, five_planes_models):
    _X, y, faults = five_planes
    model = five_planes_models["global"]
    assert model.means_.shape[0] == 5 and model.n_components_ == 6
    assert adjusted_rand_score(y, model.labels_) > 0.95
    assert model.holding_capacity_ > 50
    # the local criterion gives at least as many kernels (paper Fig. 4: 11 vs 6)
    assert five_planes_models["local"].means_.shape[0] >= 5
    # fault planes: each recovered normal matches a true plane's normal
    planes = model.fault_planes()
    for k in range(5):
        true = np.argmin(
            np.linalg.norm(faults["centers"] - planes["center"][k], axis=1)
        )
        assert abs(planes["normal"][k] @ faults["normals"][true]) > 0.99
        assert_allclose(planes["length"][k], faults["length"][true], rtol=0.15)
        assert_allclose(planes["width"][k], faults["width"][true], rtol=0.2)
        assert planes["thickness"][k] < 0.05


@pytest.mark.parametrize(
    "location_error_km, kernel, background_fraction",
    [(0.0, "rectangle", 0.1), (0.5, "rectangle", 0.2), (0.5, "gaussian", 0.05)],
)
def test_section_3_2_sensitivity_subset(location_error_km, kernel, background_fraction):
    # fast subset of benchmarks/sweep_fault_network.py (density 0.5 / km^2)
    X, y = make_fault_network(
        20,
        density=0.5,
        background_fraction=background_fraction,
        location_error_km=location_error_km,
        kernel=kernel,
        random_state=1,
    )
    model = FaultNetworkAgglomerative().fit(X)
    assert adjusted_rand_score(y, model.labels_) >= 0.95


def test_landers_reproduces_the_paper(landers_hypocentres):
    X = landers_hypocentres
    model = FaultNetworkAgglomerative("global").fit(X)
    assert model.holding_capacity_ == 394  # paper §4.1
    # paper: 22 kernels, background ~5 %
    assert 18 <= model.means_.shape[0] <= 30
    assert 0.02 <= model.backgrounds_["weight"].sum() <= 0.08
    assert np.all(np.diff(model.bic_path_[:-1]) <= 1e-6)
    local = FaultNetworkAgglomerative("local").fit(X)
    assert local.holding_capacity_ == 394
    assert local.means_.shape[0] > model.means_.shape[0]
    assert local.bic_ > model.bic_  # the global model has the lower BIC (§4.3)


def test_spatial_forecast_beats_triples_and_uniform_box(ncal_dd_catalog):
    """§5 / Fig. 12 on the Calaveras fault area: fit on 2012-2015 events, score
    the M >= 2 events of 2016-2023."""
    from skgeoclust.preprocessing import GeoToCartesian

    df = ncal_dd_catalog
    df = df[
        df.lat.between(37.2, 37.6) & df.lon.between(-121.9, -121.5) & (df.depth_km < 20)
    ]
    train = df[(df.time >= "2012") & (df.time < "2016")][["lat", "lon", "depth_km"]]
    target = df[(df.time >= "2016") & (df.mag >= 2.0)][["lat", "lon", "depth_km"]]
    to_km = GeoToCartesian().fit(train)
    train, target = to_km.transform(train), to_km.transform(target)
    assert len(train) > 1000 and len(target) > 200
    model = FaultNetworkAgglomerative().fit(train)
    scores = model.score_samples(target)
    # a normalised density, finite outside the background box too
    assert np.isfinite(scores).all()
    fault_network = scores.mean()
    both = np.vstack([train, target])
    uniform = -np.log(np.prod(both.max(axis=0) - both.min(axis=0)))
    # TripleS: isotropic KDE with the bandwidth tuned on the target set itself
    triples = max(
        KernelDensity(bandwidth=h).fit(train).score_samples(target).mean()
        for h in np.geomspace(0.1, 10.0, 15)
    )
    assert fault_network > triples + 0.5
    assert triples > uniform


# ---------------------------------------------------------------- properties
@settings(max_examples=8)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(1, 60),
    criterion=st.sampled_from(["global", "local", "local_global"]),
)
def test_responsibilities_sum_to_one_and_labels_agree(seed, n, criterion):
    X = np.random.default_rng(seed).normal(size=(n, 3)) * [5.0, 5.0, 1.0]
    model = FaultNetworkAgglomerative(criterion).fit(X)
    proba = model.predict_proba(X)
    assert proba.shape == (n, model.n_components_)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-10)
    assert_array_equal(model.predict(X), model.labels_)
    n_g = model.means_.shape[0]
    best = np.argmax(proba, axis=1)
    assert_array_equal(
        np.where(best < n_g, best, -1)[model.labels_ >= 0],
        model.labels_[model.labels_ >= 0],
    )
    assert np.isfinite(model.score_samples(X)).all()


@settings(max_examples=8)
@given(seed=st.integers(0, 2**31 - 1))
def test_bic_path_decreases_with_the_global_criterion(seed):
    X, _ = make_fault_network(
        4,
        n_samples=300,
        background_fraction=0.1,
        location_error_km=0.3,
        random_state=seed,
    )
    model = FaultNetworkAgglomerative("global").fit(X)
    assert len(model.bic_path_) >= model.n_merges_ + 2
    # the merging path decreases; the last step is the returned model
    merging = model.bic_path_[:-1]
    assert np.all(np.diff(merging) <= 1e-6 * np.abs(merging[:-1]))
    # the tracked path ends at the BIC recomputed from scratch
    assert_allclose(model.bic_path_[-1], model.bic(X), rtol=1e-8)


@pytest.mark.parametrize("d", [1, 2, 4])
def test_other_dimensions_track_the_bic_exactly(d):
    rng = np.random.default_rng(d)
    X = np.vstack([rng.normal(c, 0.3, size=(60, d)) for c in (0.0, 3.0, 6.0)])
    model = FaultNetworkAgglomerative().fit(X)
    assert_allclose(model.bic_path_[-1], model.bic(X), rtol=1e-8)
    # the last step is the returned model (kernel shapes, background tails)
    merging = model.bic_path_[:-1]
    assert np.all(np.diff(merging) <= 1e-6 * np.abs(merging[:-1]))
    assert adjusted_rand_score(np.repeat([0, 1, 2], 60), model.labels_) > 0.9


def test_score_samples_integrates_to_one_2d_monte_carlo():
    rng = np.random.default_rng(0)
    X = np.vstack(
        [
            rng.normal([0, 0], [3, 0.3], size=(150, 2)),
            rng.normal([5, 5], [0.3, 2], size=(150, 2)),
            rng.uniform(-10, 15, size=(40, 2)),
        ]
    )
    model = FaultNetworkAgglomerative(random_state=0).fit(X)
    lo, hi = X.min(axis=0) - 20, X.max(axis=0) + 20
    U = rng.uniform(lo, hi, size=(400_000, 2))
    # plain Monte Carlo over a box around everything (a few % noise on thin kernels)
    integral = np.exp(model.score_samples(U)).mean() * np.prod(hi - lo)
    assert integral == pytest.approx(1.0, abs=0.05)
    # importance sampling with half the draws from the model itself (1 % noise)
    draws = np.vstack([U[:100_000], model.sample(100_000)[0]])
    p = np.exp(model.score_samples(draws))
    q = 0.5 / np.prod(hi - lo) * np.all((draws >= lo) & (draws <= hi), axis=1) + 0.5 * p
    assert np.mean(p / q) == pytest.approx(1.0, abs=0.01)


def test_score_samples_integrates_to_one_3d_importance_sampling():
    X, _ = make_fault_network(
        5, n_samples=500, background_fraction=0.2, location_error_km=0.3, random_state=3
    )
    model = FaultNetworkAgglomerative(random_state=0).fit(X)
    rng = np.random.default_rng(1)
    lo, hi = X.min(axis=0) - 10, X.max(axis=0) + 10
    volume = np.prod(hi - lo)
    # proposal: half uniform on a box around everything, half the model itself
    m = 100_000
    draws = np.vstack([rng.uniform(lo, hi, size=(m, 3)), model.sample(m)[0]])
    p = np.exp(model.score_samples(draws))
    inside = np.all((draws >= lo) & (draws <= hi), axis=1)
    q = 0.5 * inside / volume + 0.5 * p
    assert np.mean(p / q) == pytest.approx(1.0, abs=0.01)


def test_pickle_round_trip(five_planes_models, five_planes):
    X = five_planes[0]
    model = five_planes_models["global"]
    clone = pickle.loads(pickle.dumps(model))
    assert_array_equal(clone.predict(X), model.labels_)
    assert_allclose(clone.score_samples(X), model.score_samples(X))


def test_sample_is_reproducible_and_labelled(five_planes_models):
    model = five_planes_models["global"]
    model.set_params(random_state=0)
    a, la = model.sample(200)
    b, lb = model.sample(200)
    assert_array_equal(a, b) and assert_array_equal(la, lb)
    assert a.shape == (200, 3)
    assert set(np.unique(la)) <= set(
        range(-len(model.backgrounds_["weight"]), model.means_.shape[0])
    )


# ---------------------------------------------------------------- features
def test_fault_plane_convention_matches_generator():
    for strike, dip in [(30.0, 60.0), (-70.0, 45.0), (120.0, 89.0), (10.0, 80.0)]:
        _, _, normal = _plane_axes(strike, dip)
        got_strike, got_dip = plane_orientation(normal)
        assert got_dip == pytest.approx(dip, abs=1e-9)
        assert got_strike == pytest.approx(strike % 360.0, abs=1e-9)
        got_strike, got_dip = plane_orientation(-normal)  # sign of normal is free
        assert got_strike == pytest.approx(strike % 360.0, abs=1e-9)
    assert plane_orientation([0.0, 0.0, 1.0]) == (0.0, 0.0)


def test_n_subsets_gives_one_background_per_subset_and_jobs_agree():
    X, _ = make_fault_network(
        8,
        n_samples=900,
        background_fraction=0.15,
        location_error_km=0.3,
        random_state=5,
    )
    one = FaultNetworkAgglomerative(n_subsets=4, n_jobs=1).fit(X)
    two = FaultNetworkAgglomerative(n_subsets=4, n_jobs=2).fit(X)
    assert 1 <= len(one.backgrounds_["weight"]) <= 4
    assert_array_equal(one.labels_, two.labels_)
    assert_allclose(one.bic_path_, two.bic_path_)


def test_sample_weight_ones_equals_no_weight_and_weights_matter(five_planes):
    X = five_planes[0]
    plain = FaultNetworkAgglomerative().fit(X)
    ones = FaultNetworkAgglomerative().fit(X, sample_weight=np.ones(len(X)))
    assert_allclose(plain.bic_path_, ones.bic_path_)
    w = np.where(plain.labels_ == 0, 5.0, 1.0)
    heavy = FaultNetworkAgglomerative().fit(X, sample_weight=w)
    # the up-weighted fault carries about 5 * 160 / 1280 of the mass
    on_fault = [
        k
        for k in range(heavy.means_.shape[0])
        if np.mean(plain.labels_[heavy.labels_ == k] == 0) > 0.5
    ]
    assert heavy.weights_[on_fault].sum() > 0.5 > plain.weights_[0]


# ---------------------------------------------------------------- degenerate
@pytest.mark.parametrize("shape", ["coplanar", "collinear", "duplicates", "few", "one"])
def test_degenerate_inputs_give_a_valid_model(shape):
    rng = np.random.default_rng(0)
    if shape == "coplanar":
        X = np.column_stack([rng.uniform(0, 10, (200, 2)), np.zeros(200)])
    elif shape == "collinear":
        X = np.outer(rng.uniform(0, 10, 100), [1.0, 2.0, 0.5])
    elif shape == "duplicates":
        X = np.tile([[1.0, 2.0, 3.0]], (30, 1))
    elif shape == "few":
        X = rng.normal(size=(3, 3))
    else:
        X = np.array([[1.0, 2.0, 3.0]])
    model = FaultNetworkAgglomerative().fit(X)
    assert np.isfinite(model.score_samples(X)).all()
    assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)
    assert_array_equal(model.predict(X), model.labels_)
    if shape in ("few", "one"):
        assert model.holding_capacity_ == 0 and (model.labels_ == -1).all()
    else:
        assert model.means_.shape[0] >= 1


# ---------------------------------------------------------------- errors
def test_errors():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="criterion"):
        FaultNetworkAgglomerative("median").fit(X)
    with pytest.raises(ValueError, match="min_kernel_points"):
        FaultNetworkAgglomerative(min_kernel_points=1).fit(X)
    with pytest.raises(ValueError, match=r"(?i)sample.weight"):
        FaultNetworkAgglomerative().fit(X, sample_weight=np.zeros(20))
    with pytest.raises(ValueError, match="3-D"):
        FaultNetworkAgglomerative().fit(X[:, :2]).fault_planes()
    with pytest.raises(ValueError, match="n_samples"):
        FaultNetworkAgglomerative().fit(X).sample(0)


# ---------------------------------------------------------------- merge engine
def _engine(X, **params):
    from skgeoclust.cluster._fault_network._atomize import atomize, ward_tree
    from skgeoclust.cluster._fault_network._merge import MergeEngine

    s = np.ones(X.shape[0])
    atoms = atomize(
        X, s, ward_tree(X), n_subsets=1, min_points=4, min_side=np.sqrt(12e-6)
    )
    return MergeEngine(
        np.ascontiguousarray(X),
        s,
        atoms,
        reg_covar=1e-6,
        overlap_factor=np.sqrt(12.0),
        **params,
    )


def test_lazy_pass_ends_with_every_gain_exact_and_none_positive():
    X, _ = make_fault_network(
        6, n_samples=700, background_fraction=0.1, location_error_km=0.3, random_state=3
    )
    engine = _engine(X, lazy=True)
    merged = engine.merge_pass("global")
    assert merged > 0
    live = np.flatnonzero(engine.pair_alive[: engine.n_pairs])
    assert not engine.pair_stale[live].any()
    stored = engine.pair_gain[live].copy()
    # the stored gains are the exact gains of the final mixture (up to the marking
    # tolerance of the incremental updates): recompute each from scratch
    fresh = np.array([engine._gain(q) for q in live])
    assert (fresh <= 1e-6).all()
    assert_allclose(stored, fresh, atol=0.05 * 5 * np.log(X.shape[0]))
    # and the tracked log-likelihood is the one of the final mixture
    loglik = engine.loglik
    engine._recompute_density()
    assert_allclose(loglik, engine.loglik, rtol=1e-9)


def test_lazy_local_pass_ends_on_exact_local_gains_and_argmax_labels():
    X, _ = make_fault_network(
        6, n_samples=700, background_fraction=0.1, location_error_km=0.3, random_state=3
    )
    engine = _engine(X, lazy=True)
    engine._recompute_density()
    merged = engine.merge_pass("local")
    assert merged > 0
    live = np.flatnonzero(engine.pair_alive[: engine.n_pairs])
    assert not engine.pair_stale[live].any()
    stored = engine.pair_gain[live].copy()
    labels = engine.labels.copy()
    # the labels kept up to date merge by merge are the maximum-responsibility ones
    engine._recompute_density()
    assert_array_equal(labels, engine.labels)
    # local gains depend only on those labels: the stored ones are exact, none > 0
    fresh = np.array([engine._gain(q) for q in live])
    assert (fresh <= 0).all()
    assert_allclose(stored, fresh, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lazy_and_eager_gains_reach_the_same_model_on_planes(seed):
    X, _ = make_fault_network(
        5,
        n_samples=640,
        background_fraction=0.2,
        location_error_km=0.2,
        random_state=seed,
    )
    lazy = FaultNetworkAgglomerative(lazy_gains=True).fit(X)
    eager = FaultNetworkAgglomerative(lazy_gains=False).fit(X)
    assert lazy.means_.shape[0] == eager.means_.shape[0]
    assert_allclose(lazy.bic_, eager.bic_, rtol=1e-3)
    assert adjusted_rand_score(lazy.labels_, eager.labels_) > 0.95


def test_grid_supports_give_the_same_fit(monkeypatch, five_planes):
    from skgeoclust.cluster._fault_network import _merge

    X = five_planes[0]
    plain = FaultNetworkAgglomerative().fit(X)
    monkeypatch.setattr(_merge, "_BRUTE_FORCE_SAMPLES", 100)  # grid from 100 points
    gridded = FaultNetworkAgglomerative().fit(X)
    assert_array_equal(gridded.labels_, plain.labels_)
    assert_allclose(gridded.bic_path_, plain.bic_path_, rtol=1e-10)
    assert_allclose(gridded.means_, plain.means_, rtol=1e-10, atol=1e-12)


def test_compacting_the_pair_arrays_changes_nothing(monkeypatch):
    from skgeoclust.cluster._fault_network import _merge

    X, _ = make_fault_network(
        6, n_samples=700, background_fraction=0.1, location_error_km=0.3, random_state=4
    )
    plain = FaultNetworkAgglomerative().fit(X)
    monkeypatch.setattr(_merge, "_COMPACT_MIN_DEAD", 0)  # compact at every growth
    calls = []
    original = _merge.MergeEngine._compact_pairs

    def counted(self):
        calls.append(self.n_pairs)
        original(self)

    monkeypatch.setattr(_merge.MergeEngine, "_compact_pairs", counted)
    compacted = FaultNetworkAgglomerative().fit(X)
    assert calls
    assert_array_equal(compacted.labels_, plain.labels_)
    assert_allclose(compacted.bic_path_, plain.bic_path_, rtol=1e-12)
