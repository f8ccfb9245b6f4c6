"""SOM kernels against minisom and a numpy oracle."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from minisom import MiniSom
from numpy.testing import assert_allclose, assert_array_equal

from skgeoclust._kernels.som import (
    asymptotic_decay,
    best_matching_units,
    best_matching_units_parallel,
    train_online,
)


def test_asymptotic_decay_is_minisoms():
    som = MiniSom(2, 2, 1)
    for t, n in [(0, 10), (3, 10), (999, 1000)]:
        assert asymptotic_decay(0.3, t, n) == som._asymptotic_decay(0.3, t, n)


@settings(max_examples=10)
@given(
    seed=st.integers(0, 2**16),
    grid=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    sigma=st.floats(0.1, 3.0),
    order_seed=st.integers(0, 100),
)
def test_train_online_equals_minisom_update_rule(seed, grid, sigma, order_seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, 4))
    som = MiniSom(*grid, 4, sigma=sigma, learning_rate=0.5, random_seed=seed)
    w0 = som.get_weights().copy()
    order = np.random.default_rng(order_seed).integers(0, 30, 400)
    for t, i in enumerate(order):  # minisom's own update, step by step
        som.update(X[i], som.winner(X[i]), t, order.size)
    weights_t = np.ascontiguousarray(w0.reshape(-1, 4).T)
    train_online(X, order, weights_t, grid[1], sigma, 0.5)
    assert_allclose(
        weights_t.T.reshape(*grid, 4), som.get_weights(), rtol=0, atol=1e-10
    )


@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(1, 30), st.just(3)),
        elements=st.floats(-100, 100),
    ),
    codebook=arrays(
        np.float64,
        st.tuples(st.integers(2, 9), st.just(3)),
        elements=st.floats(-100, 100),
    ),
)
def test_best_matching_units_equals_numpy(X, codebook):
    n = X.shape[0]
    bmu, second, sq = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n)
    best_matching_units(X, codebook, bmu, second, sq)
    d2 = ((X[:, None, :] - codebook[None]) ** 2).sum(-1)
    assert_allclose(sq, d2.min(axis=1), rtol=1e-12, atol=1e-9)
    assert_allclose(d2[np.arange(n), bmu], d2.min(axis=1), rtol=1e-12, atol=1e-9)
    masked = d2.copy()
    masked[np.arange(n), bmu] = np.inf
    assert_allclose(d2[np.arange(n), second], masked.min(axis=1), rtol=1e-12, atol=1e-9)
    assert np.all(bmu != second)


def test_single_node_has_no_second():
    bmu, second, sq = np.empty(2, np.int64), np.empty(2, np.int64), np.empty(2)
    best_matching_units(np.zeros((2, 2)), np.ones((1, 2)), bmu, second, sq)
    assert_array_equal(bmu, [0, 0])
    assert_array_equal(second, [-1, -1])
    assert_allclose(sq, [2.0, 2.0])


def test_serial_and_parallel_winner_search_agree():
    rng = np.random.default_rng(0)
    X, codebook = rng.normal(size=(3000, 7)), rng.normal(size=(25, 7))
    out = [
        (np.empty(3000, np.int64), np.empty(3000, np.int64), np.empty(3000))
        for _ in range(2)
    ]
    best_matching_units(X, codebook, *out[0])
    best_matching_units_parallel(X, codebook, *out[1])
    for a, b in zip(*out):
        assert_array_equal(a, b)
