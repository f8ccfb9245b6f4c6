"""The returned fault-network model as a density: plane kernels, background tails
(issue 14, items 4-5)."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import integrate, special
from sklearn.metrics import adjusted_rand_score

from skgeoclust._kernels.planes import (
    label_and_score,
    label_and_score_serial,
    log_box_tail,
    log_ndtr,
    log_normal_interval,
    log_smoothed_box,
)
from skgeoclust.cluster import FaultNetworkAgglomerative
from skgeoclust.cluster._fault_network import _density
from skgeoclust.datasets import make_fault_network


def _random_covariance(rng, scales):
    q, _ = np.linalg.qr(rng.normal(size=(len(scales), len(scales))))
    return (q * np.square(scales)) @ q.T


def _single_kernel(cov, is_plane=True, n_events=300.0):
    d = cov.shape[0]
    return _density.build_density(
        np.zeros((1, d)),
        cov[None],
        np.ones(1),
        np.zeros((0, d)),
        np.zeros((0, d, d)),
        np.zeros((0, d)),
        np.zeros(0),
        is_plane=np.array([is_plane]),
        n_effective=n_events,
    )


@pytest.fixture(scope="module")
def scattered_network():
    return make_fault_network(
        6,
        density=0.6,
        background_fraction=0.1,
        location_error_km=0.5,
        scatter="normal",
        return_faults=True,
        random_state=2,
    )


@pytest.fixture(scope="module")
def scattered_models(scattered_network):
    X = scattered_network[0]
    return {k: FaultNetworkAgglomerative(kernel=k).fit(X) for k in _density.KERNELS}


# ---------------------------------------------------------------- special functions
@given(z=st.floats(-1e4, 30.0))
def test_log_ndtr_matches_scipy(z):
    assert log_ndtr(z) == pytest.approx(special.log_ndtr(z), rel=1e-12, abs=1e-300)


@settings(max_examples=200)
@given(
    centre=st.floats(-60.0, 60.0),
    width=st.floats(2e-6, 20.0),
)
def test_log_normal_interval_is_exact_in_the_tails(centre, width):
    lower, upper = centre - width, centre + width
    got = log_normal_interval(lower, upper)
    # reference: the difference of the tail probabilities on the side away from 0
    if lower > 0:
        lower, upper = -upper, -lower
    if upper <= 0:
        lu, ll = special.log_ndtr(upper), special.log_ndtr(lower)
        ref = lu + np.log(-np.expm1(ll - lu))
    else:
        ref = np.log(special.ndtr(upper) - special.ndtr(lower))
    assert np.isfinite(got)
    assert got == pytest.approx(ref, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    "half, soft", [(3.0, 0.2), (0.5, 1.0), (1e-9, 0.7), (0.0, 2.0)]
)
def test_smoothed_box_is_a_density_with_the_stated_variance(half, soft):
    reach = half + 40 * soft

    def pdf(y):
        return np.exp(log_smoothed_box(y, half, soft))

    points = [-half, half] if half > 0 else None
    total = integrate.quad(pdf, -reach, reach, points=points, limit=200)[0]
    var = integrate.quad(lambda y: y * y * pdf(y), -reach, reach, points=points)[0]
    assert total == pytest.approx(1.0, abs=1e-9)
    assert var == pytest.approx(half**2 / 3 + soft**2, rel=1e-7)


@pytest.mark.parametrize("tail", [2.0, 5.5, 300.0])
def test_background_tail_integrates_to_one(tail):
    half = 7.0

    def pdf(y):
        return np.exp(log_box_tail(y, half, tail))

    total = 2 * (integrate.quad(pdf, 0, half)[0] + integrate.quad(pdf, half, np.inf)[0])
    assert total == pytest.approx(1.0, abs=1e-8)
    # flat inside, continuous at the edge, decreasing outside
    assert pdf(0.0) == pytest.approx(pdf(half))
    assert pdf(half) > pdf(half + 1.0) > pdf(half + 100.0) > 0


# ---------------------------------------------------------------- plane kernel
@pytest.mark.parametrize("scales", [(12.0, 4.0, 0.3), (5.0, 5.0, 0.5), (2.0, 0.2, 0.2)])
def test_plane_kernel_has_the_kernel_covariance(scales):
    rng = np.random.default_rng(0)
    cov = _random_covariance(rng, np.array(scales))
    axes, half, soft = _density.kernel_shapes(cov[None], np.array([True]), [300.0])
    # per axis: uniform half-side a and Gaussian s give variance a^2 / 3 + s^2
    per_axis = half[0] ** 2 / 3 + soft[0] ** 2
    assert_allclose(axes[0].T @ np.diag(per_axis) @ axes[0], cov, atol=1e-12)
    assert half[0, -1] == 0.0
    # thin planes: half-sides close to the uniform rectangle's sqrt(3) sigma
    if scales[0] / scales[2] > 10:
        assert_allclose(half[0, :2], np.sqrt(3) * np.array(scales[:2]), rtol=0.05)
    # and the samples of the density have that covariance
    density = _single_kernel(cov)
    draws, _ = _density.sample(density, 200_000, rng)
    assert_allclose(np.cov(draws.T), cov, atol=0.02 * scales[0] ** 2)


def test_plane_kernel_integrates_to_one_3d():
    rng = np.random.default_rng(1)
    cov = _random_covariance(rng, np.array([6.0, 2.0, 0.2]))
    density = _single_kernel(cov)
    reach = np.sqrt(np.diag(cov)) * 6
    # Monte Carlo over a box around the kernel, half the draws from the kernel
    m = 200_000
    uniform = rng.uniform(-reach, reach, size=(m, 3))
    draws = np.vstack([uniform, _density.sample(density, m, rng)[0]])
    p = np.exp(_density.labels_and_log_density(density, draws)[1])
    inside = np.all(np.abs(draws) <= reach, axis=1)
    q = 0.5 * inside / np.prod(2 * reach) + 0.5 * p
    assert np.mean(p / q) == pytest.approx(1.0, abs=0.01)
    # and the density of the samples is its own: uniform draws alone agree
    plain = np.mean(p[:m]) * np.prod(2 * reach)
    assert plain == pytest.approx(1.0, abs=0.05)


def test_gaussian_shape_is_the_normal_density():
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(2)
    cov = _random_covariance(rng, np.array([3.0, 1.0, 0.1]))
    density = _single_kernel(cov, is_plane=False)
    X = rng.normal(size=(500, 3)) * 4
    got = _density.labels_and_log_density(density, X)[1]
    assert_allclose(got, multivariate_normal(np.zeros(3), cov).logpdf(X), rtol=1e-10)


def test_serial_and_parallel_scores_agree(scattered_models, scattered_network):
    X = scattered_network[0]
    density = scattered_models["auto"]._density
    out = []
    for fill in (label_and_score, label_and_score_serial):
        labels = np.empty(X.shape[0], dtype=np.int64)
        log_p = np.empty(X.shape[0])
        fill(X, *density.arrays(), labels, log_p)
        out.append((labels, log_p))
    assert_array_equal(out[0][0], out[1][0])
    assert_allclose(out[0][1], out[1][1], rtol=0, atol=0)


# ---------------------------------------------------------------- the estimator
@pytest.mark.parametrize("kernel", _density.KERNELS)
def test_predict_labels_proba_and_scores_agree(
    kernel, scattered_models, scattered_network
):
    X = scattered_network[0]
    model = scattered_models[kernel]
    assert_array_equal(model.predict(X), model.labels_)
    proba = model.predict_proba(X)
    assert proba.shape == (X.shape[0], model.n_components_)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # the full matrix and the fused reduction give the same log density
    lp = model._estimate_weighted_log_prob(X)
    assert_allclose(special.logsumexp(lp, axis=1), model.score_samples(X), rtol=1e-12)
    best = np.argmax(proba, axis=1)
    n_k = model.means_.shape[0]
    fault = model.labels_ >= 0
    assert_array_equal(best[fault], model.labels_[fault])
    assert (best[~fault] >= n_k).all()
    # bic_ is the paper's equation on the returned model, and ends the path
    k = 10 * model.n_components_ - 1
    assert_allclose(
        model.bic_, -model.score_samples(X).sum() + 0.5 * k * np.log(len(X))
    )
    assert model.bic_path_[-1] == model.bic_


@pytest.mark.parametrize("kernel", _density.KERNELS)
def test_score_samples_finite_everywhere(kernel, scattered_models):
    model = scattered_models[kernel]
    far = np.array(
        [
            [1e3, -1e3, 50.0],
            [-1e6, 0.0, 0.0],
            [0.0, 0.0, 1e12],
            [1e200, -1e200, 1e200],
            [110.0, 75.0, 15.0],
        ]
    )
    scores = model.score_samples(far)
    assert np.isfinite(scores).all()
    assert scores[0] > scores[1] > scores[2] > scores[3]
    assert_allclose(model.predict_proba(far).sum(axis=1), 1.0)


def test_model_density_integrates_to_one_with_the_tails():
    X, _ = make_fault_network(
        4, n_samples=400, background_fraction=0.2, location_error_km=0.3, random_state=7
    )
    model = FaultNetworkAgglomerative(kernel="auto", random_state=0).fit(X)
    rng = np.random.default_rng(3)
    # a proposal with heavy tails of its own: half the model, half a wide box
    lo, hi = X.min(axis=0) - 60, X.max(axis=0) + 60
    m = 100_000
    draws = np.vstack([rng.uniform(lo, hi, size=(m, 3)), model.sample(m)[0]])
    p = np.exp(model.score_samples(draws))
    inside = np.all((draws >= lo) & (draws <= hi), axis=1)
    q = 0.5 * inside / np.prod(hi - lo) + 0.5 * p
    assert np.mean(p / q) == pytest.approx(1.0, abs=0.01)
    # the samples reach past the boxes, as the density does
    assert not np.all((model.sample(20_000)[0] >= X.min(axis=0)).all(axis=1))


def test_pickle_round_trip_keeps_the_density(scattered_models, scattered_network):
    X = scattered_network[0]
    model = scattered_models["auto"]
    clone = pickle.loads(pickle.dumps(model))
    assert_array_equal(clone.predict(X), model.labels_)
    assert_array_equal(clone.score_samples(X), model.score_samples(X))
    assert_array_equal(clone.is_plane_, model.is_plane_)


def test_kernels_share_the_merged_model(scattered_models):
    gauss, plane, auto = (scattered_models[k] for k in ("gaussian", "plane", "auto"))
    for model in (plane, auto):
        assert model.holding_capacity_ == gauss.holding_capacity_
        assert_allclose(np.sort(model.weights_), np.sort(gauss.weights_))
    assert not gauss.is_plane_.any() and plane.is_plane_.all()
    # auto takes a shape only where it raises the likelihood
    assert auto.bic_ <= gauss.bic_ + 1e-6


def _bayes_labels(X, faults):
    """Maximum-posterior generating component (as in the accuracy benchmark)."""
    n, counts, sigma = len(X), faults["n_events"], faults["location_error_km"]
    columns = []
    for j in range(len(counts)):
        offset = X - faults["centers"][j]
        on_plane = (
            np.abs(offset @ faults["along_strike"][j]) <= faults["length"][j] / 2
        ) & (np.abs(offset @ faults["down_dip"][j]) <= faults["width"][j] / 2)
        with np.errstate(divide="ignore"):
            columns.append(
                np.log(counts[j] / n / (faults["length"][j] * faults["width"][j]))
                + np.log(on_plane)
                - 0.5 * (offset @ faults["normals"][j] / sigma) ** 2
                - np.log(sigma)
                - 0.5 * np.log(2 * np.pi)
            )
    in_domain = np.all((X >= 0) & (X <= faults["domain"]), axis=1)
    with np.errstate(divide="ignore"):
        columns.append(
            np.log(in_domain)
            + np.log((n - counts.sum()) / n / np.prod(faults["domain"]))
        )
    best = np.argmax(np.column_stack(columns), axis=1)
    return np.where(best == len(counts), -1, best)


@pytest.mark.parametrize("seed", [0, 1])
def test_plane_kernels_approach_the_bayes_labelling(seed):
    """A fast case of benchmarks/bench_fault_network_accuracy.py: 10 planes,
    1 event / km^2, 0.5 km scatter along the normals, 10 % background."""
    X, y, faults = make_fault_network(
        10,
        density=1.0,
        background_fraction=0.1,
        location_error_km=0.5,
        scatter="normal",
        return_faults=True,
        random_state=seed,
    )
    bayes = adjusted_rand_score(y, _bayes_labels(X, faults))
    gap = {
        k: bayes
        - adjusted_rand_score(y, FaultNetworkAgglomerative(kernel=k).fit(X).labels_)
        for k in ("gaussian", "auto")
    }
    # measured: gaussian 0.0084 / 0.0048, auto 0.0013 / 0.0011
    assert gap["auto"] < 0.003
    assert gap["gaussian"] - gap["auto"] > 0.002


def test_landers_kernels(landers_hypocentres):
    X = landers_hypocentres
    gauss = FaultNetworkAgglomerative(kernel="gaussian").fit(X)
    auto = FaultNetworkAgglomerative().fit(X)
    # the paper's path: same merged model; the returned one only adds the tails
    assert gauss.holding_capacity_ == 394 and 18 <= gauss.means_.shape[0] <= 26
    # (ordered by their labelled events, which the shapes move)
    assert_allclose(np.sort(auto.means_, axis=0), np.sort(gauss.means_, axis=0))
    assert 0 < gauss.bic_ - gauss.bic_path_[-2] < 3 * 2 * 3
    # measured: 5 of 24 kernels are planes, BIC 29352 against 29391
    assert 0 < auto.is_plane_.sum() < auto.means_.shape[0]
    assert auto.bic_ < gauss.bic_ - 20


@pytest.mark.parametrize("seed", [0, 2])
def test_exact_planes_stay_exact(seed):
    # events exactly on the planes: measured ARI 1.0 / 0.998 (gaussian 1.0 / 1.0)
    X, y = make_fault_network(
        10, density=0.5, background_fraction=0.1, random_state=seed
    )
    model = FaultNetworkAgglomerative().fit(X)
    assert adjusted_rand_score(y, model.labels_) >= 0.99


def test_spatial_blocks_give_the_unblocked_labels_densities_and_shapes(monkeypatch):
    from skgeoclust.cluster._fault_network import _density

    X, _ = make_fault_network(
        12,
        n_samples=3000,
        background_fraction=0.1,
        location_error_km=0.5,
        random_state=4,
    )
    model = FaultNetworkAgglomerative(kernel="auto").fit(X)
    merged = (
        model.means_,
        model.covariances_,
        model.weights_,
        model.backgrounds_["center"],
        model.backgrounds_["axes"],
        model.backgrounds_["half_extents"],
        model.backgrounds_["weight"],
    )
    whole = _density.labels_and_log_density(model._density, X)
    shapes = _density.choose_plane_kernels("auto", X, np.ones(3000), merged, 3000.0)
    monkeypatch.setattr(_density, "_SPATIAL_BLOCK", 100)
    assert len(_density._spatial_blocks(X)) > 10
    blocked = _density.labels_and_log_density(model._density, X)
    assert_array_equal(blocked[0], whole[0])
    assert_array_equal(blocked[1], whole[1])
    assert_array_equal(
        _density.choose_plane_kernels("auto", X, np.ones(3000), merged, 3000.0), shapes
    )
