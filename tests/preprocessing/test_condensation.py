"""condense_catalog: hand-computed transfers, invariants and bad inputs."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from skgeoclust.datasets import make_fault_network
from skgeoclust.preprocessing import CondensedCatalog, condense_catalog


def _share_won_by_narrow(offset, sigma_wide, sigma_narrow):
    """Probability that a sample of N(0, sigma_wide^2 I) lies where
    N(offset, sigma_narrow^2 I) is the larger density (equal weights, 3-D): a
    ball, so a noncentral chi-square probability."""
    a, b = 1.0 / sigma_narrow**2, 1.0 / sigma_wide**2
    k = 6.0 * np.log(sigma_wide / sigma_narrow)
    centre = a * offset / (a - b)
    radius_sq = (k - a * offset @ offset) / (a - b) + centre @ centre
    return stats.ncx2.cdf(radius_sq / sigma_wide**2, 3, centre @ centre / sigma_wide**2)


def _random_catalog(rng, n, box=6.0):
    return rng.uniform(0.0, box, (n, 3)), rng.lognormal(np.log(0.6), 0.6, n)


# hand-computed results ------------------------------------------------------------


@pytest.mark.parametrize("offset", [[0.0, 0.0, 0.0], [0.2, 0.0, 0.0], [1.0, 0.5, 0.3]])
def test_two_events_transfer_the_overlap(offset):
    offset = np.array(offset)
    X = np.array([np.zeros(3), offset])
    cc = condense_catalog(X, [2.0, 0.5], n_overlap_samples=20000, random_state=0)
    moved = _share_won_by_narrow(offset, 2.0, 0.5)
    assert_allclose(cc.component_weights, [1.0 - moved, 1.0 + moved], atol=0.01)
    assert cc.component_weights.sum() == pytest.approx(2.0, rel=1e-12)
    # both keep weight, so both are kernels; each event is its own best kernel
    assert_array_equal(cc.kernel_components, [0, 1])
    assert_array_equal(cc.event_kernels, [0, 1])


def test_the_narrow_event_gives_nothing_to_the_wide_one():
    X = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    cc = condense_catalog(X, [0.5, 2.0], n_overlap_samples=4000, random_state=1)
    assert cc.component_weights[0] > 1.05 and cc.component_weights[1] < 0.95


def test_weights_scale_the_competition():
    # a heavier narrow target wins a larger ball of the wide source
    X = np.zeros((2, 3))
    light = condense_catalog(X, [2.0, 0.5], n_overlap_samples=8000, random_state=0)
    heavy = condense_catalog(
        X,
        [2.0, 0.5],
        component_weights=[1.0, 5.0],
        n_overlap_samples=8000,
        random_state=0,
    )
    assert heavy.component_weights[1] - 5.0 > light.component_weights[1] - 1.0
    assert heavy.component_weights.sum() == pytest.approx(6.0, rel=1e-12)


def test_far_apart_events_keep_their_weights():
    X = np.array([[0.0, 0.0, 0.0], [100.0, 0.0, 0.0], [0.0, 100.0, 0.0]])
    cc = condense_catalog(X, [1.0, 2.0, 3.0], random_state=0)
    assert_array_equal(cc.component_weights, [1.0, 1.0, 1.0])
    assert_array_equal(cc.event_kernels, [0, 1, 2])


def test_a_covered_event_is_discarded_and_assigned_to_its_absorber():
    # a 1 km event inside a swarm of 0.3 km events that covers its whole PDF
    rng = np.random.default_rng(0)
    swarm = rng.normal(0.0, 1.5, (400, 3))
    X = np.vstack([swarm, [[0.0, 0.0, 0.0]]])
    sigma = np.r_[np.full(400, 0.3), 1.0]
    cc = condense_catalog(X, sigma, random_state=0)
    assert cc.component_weights[400] == 0.0
    assert 400 not in cc.kernel_components
    assert cc.weights.sum() == pytest.approx(401.0, rel=1e-12)
    assert cc.kernel_components[cc.event_kernels[400]] < 400


def test_a_wide_event_keeps_the_tails_nobody_covers():
    # the same swarm under a 3 km event: most of its samples lie outside it
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0.0, 1.0, (200, 3)), [[0.0, 0.0, 0.0]]])
    cc = condense_catalog(X, np.r_[np.full(200, 0.3), 3.0], random_state=0)
    assert 0.5 < cc.component_weights[200] < 1.0


# the intra-event rule and ties ------------------------------------------------------


def test_no_transfer_within_an_event_and_ties_split():
    # a: wide, b and c: narrow, identical, all at one place.
    X = np.zeros((3, 3))
    sigma = [2.0, 0.5, 0.5]
    # b and c are separate events: a's samples are tied between them, split equally
    apart = condense_catalog(X, sigma, n_overlap_samples=2000, random_state=0)
    assert apart.component_weights[1] == apart.component_weights[2] > 1.0
    # a and b are one event: b competes for a's samples but receives nothing
    together = condense_catalog(
        X,
        sigma,
        component_weights=[0.5, 0.5, 1.0],
        event_ids=["E1", "E1", "E2"],
        n_overlap_samples=2000,
        random_state=0,
    )
    assert together.component_weights[1] == 0.5
    assert together.component_weights[2] > 1.0
    assert together.component_weights.sum() == pytest.approx(2.0, rel=1e-12)
    assert_array_equal(together.event_ids, ["E1", "E2"])


def test_mixture_events_alone_never_change():
    # every event is a mixture of nested components; events far apart
    rng = np.random.default_rng(3)
    centres = rng.uniform(0, 1000, (30, 3))
    X = np.repeat(centres, 3, axis=0) + rng.normal(0, 0.3, (90, 3))
    sigma = np.tile([2.0, 1.0, 0.5], 30)
    weights = np.tile([0.2, 0.3, 0.5], 30)
    cc = condense_catalog(
        X,
        sigma,
        component_weights=weights,
        event_ids=np.repeat(np.arange(30), 3),
        random_state=0,
    )
    assert_array_equal(cc.component_weights, weights)
    # each event is assigned to one of its own components
    assert_array_equal(cc.kernel_components[cc.event_kernels] // 3, np.arange(30))


def test_equal_variances_do_not_exchange_weight():
    X = np.array([[0.0, 0.0, 0.0], [0.1, 0.0, 0.0]])
    cc = condense_catalog(X, [1.0, 1.0], random_state=0)
    assert_array_equal(cc.component_weights, [1.0, 1.0])


# invariants ---------------------------------------------------------------------


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 120))
def test_total_weight_kept_and_every_event_assigned(seed, n):
    rng = np.random.default_rng(seed)
    X, sigma = _random_catalog(rng, n)
    weights = rng.uniform(0.5, 2.0, n)
    cc = condense_catalog(
        X,
        sigma,
        component_weights=weights,
        n_assignment_samples=50,
        random_state=seed,
    )
    assert cc.weights.sum() == pytest.approx(weights.sum(), rel=1e-12)
    assert np.all(cc.weights > 0) and cc.n_kernels >= 1
    assert cc.event_kernels.shape == (n,)
    assert np.all((cc.event_kernels >= 0) & (cc.event_kernels < cc.n_kernels))
    assert cc.event_counts.sum() == n
    assert_array_equal(cc.means, X[cc.kernel_components])
    assert_array_equal(cc.weights, cc.component_weights[cc.kernel_components])


def test_weight_only_flows_to_smaller_variance():
    rng = np.random.default_rng(5)
    X, sigma = _random_catalog(rng, 300, box=4.0)
    cc = condense_catalog(X, sigma, random_state=0)
    gained = cc.component_weights > 1.0
    lost = cc.component_weights < 1.0
    # the best-located event can only gain; the worst can only lose
    assert not lost[np.argmin(sigma)] and not gained[np.argmax(sigma)]
    assert cc.n_kernels < 300


@pytest.mark.parametrize("seed", [0, 1])
def test_permutation_invariance(seed):
    rng = np.random.default_rng(seed)
    n = 250
    X, sigma = _random_catalog(rng, n, box=5.0)
    ref = condense_catalog(X, sigma, random_state=7)
    perm = rng.permutation(n)
    out = condense_catalog(X[perm], sigma[perm], random_state=7)
    assert_allclose(out.component_weights, ref.component_weights[perm], rtol=1e-12)
    # the same kernel (as an original row) for every event
    ref_rows = ref.kernel_components[ref.event_kernels]
    out_rows = perm[out.kernel_components[out.event_kernels]]
    assert_array_equal(out_rows, ref_rows[perm])


def test_reproducible_with_random_state():
    rng = np.random.default_rng(2)
    X, sigma = _random_catalog(rng, 80)
    a = condense_catalog(X, sigma, random_state=3)
    b = condense_catalog(X, sigma, random_state=3)
    assert_array_equal(a.component_weights, b.component_weights)
    assert_array_equal(a.event_kernels, b.event_kernels)


def test_full_covariances_and_per_axis_errors_agree():
    rng = np.random.default_rng(4)
    X, _ = _random_catalog(rng, 60)
    axes = rng.uniform(0.2, 1.5, (60, 3))
    cov = np.einsum("ni,ij->nij", axes**2, np.eye(3))
    a = condense_catalog(X, axes, random_state=0)
    b = condense_catalog(X, cov, random_state=0)
    assert_allclose(a.component_weights, b.component_weights, rtol=1e-12)


def test_other_dimensions():
    rng = np.random.default_rng(6)
    X = rng.uniform(0, 3, (50, 2))
    cc = condense_catalog(X, rng.uniform(0.2, 1.0, 50), random_state=0)
    assert cc.means.shape[1] == 2
    assert cc.weights.sum() == pytest.approx(50.0)


def test_event_labels_map_kernel_labels_back():
    X = np.array([[0.0, 0.0, 5.0], [0.2, 0.0, 5.0], [30.0, 0.0, 8.0]])
    cc = condense_catalog(X, [2.0, 0.5, 1.0], random_state=0)
    assert isinstance(cc, CondensedCatalog)
    labels = cc.event_labels(np.arange(cc.n_kernels) * 10)
    assert_array_equal(labels, 10 * cc.event_kernels)
    with pytest.raises(ValueError, match="one label per condensed kernel"):
        cc.event_labels([1, 2, 3, 4])


def test_condenses_a_fault_network_with_errors():
    X, _, sigma = make_fault_network(
        n_faults=3, density=4.0, event_error_km=0.6, random_state=0
    )
    cc = condense_catalog(X, sigma, n_assignment_samples=200, random_state=0)
    assert cc.n_kernels < X.shape[0]
    assert cc.weights.sum() == pytest.approx(X.shape[0], rel=1e-12)
    # weight moved to the better-located events
    gained = cc.component_weights > 1.0
    assert np.median(sigma[gained]) < np.median(sigma) < np.median(sigma[~gained])
    # most events are assigned to a kernel at least as well located as they are
    kernel_sigma = np.sqrt(cc.covariances[cc.event_kernels, 0, 0])
    assert np.mean(kernel_sigma <= sigma * (1 + 1e-12)) > 0.9


def test_parallel_assignment_matches_serial():
    rng = np.random.default_rng(8)
    X, sigma = _random_catalog(rng, 1500, box=8.0)
    serial = condense_catalog(X, sigma, n_assignment_samples=100, random_state=0)
    threaded = condense_catalog(
        X, sigma, n_assignment_samples=100, n_jobs=2, random_state=0
    )
    assert_array_equal(serial.event_kernels, threaded.event_kernels)
    assert_array_equal(serial.component_weights, threaded.component_weights)


# bad inputs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"location_error_km": [1.0, 0.0, 1.0]}, "row 1 holds a zero standard"),
        ({"location_error_km": [1.0, -1.0, 1.0]}, "row 1 holds a negative"),
        ({"location_error_km": [1.0, 1.0]}, "has 2 rows but there are 3 events"),
        ({"location_error_km": [1.0, np.nan, 1.0]}, "row 1 holds NaN"),
        ({"component_weights": [1.0, 0.0, 1.0]}, "component_weights row 1 is 0.0"),
        ({"component_weights": [1.0, 1.0]}, r"component_weights has shape \(2,\)"),
        ({"event_ids": [1, 2]}, r"event_ids has shape \(2,\)"),
        ({"n_overlap_samples": 0}, "n_overlap_samples"),
        ({"search_radius_sigma": 0.0}, "search_radius_sigma"),
    ],
)
def test_bad_inputs(kwargs, message):
    args = {"location_error_km": [1.0, 1.0, 1.0], **kwargs}
    with pytest.raises(ValueError, match=message):
        condense_catalog(np.zeros((3, 3)), **args)


def test_singular_covariance_is_refused():
    cov = np.tile(np.eye(3), (2, 1, 1))
    cov[1, 2, 2] = 0.0
    with pytest.raises(ValueError, match="row 1 is not positive definite"):
        condense_catalog(np.zeros((2, 3)), cov)
