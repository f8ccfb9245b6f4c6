"""SOM kernels against minisom and a numpy oracle."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from minisom import MiniSom
from numpy.testing import assert_allclose

from skgeoclust._kernels.som import asymptotic_decay, train_online


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
