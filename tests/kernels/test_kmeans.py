"""Kernels of skgeoclust._kernels.kmeans against numpy oracles."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from skgeoclust._kernels.kmeans import (
    MiniBatchBuffers,
    accumulate_cluster_sums,
    assign_labels,
    assign_labels_parallel,
    first_nonfinite_row,
    minibatch_run,
    minibatch_step,
    nearest_two_centers,
    nearest_two_centers_parallel,
)


def _oracle_sq_dist(X, centers):
    X = X.astype(np.float64)
    centers = centers.astype(np.float64)
    return ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)


def _buffers(n):
    return np.empty(n, dtype=np.int32), np.empty(n)


def _oracle_minibatch(X, centers, weight_sums):
    """scikit-learn's _mini_batch_step update, written out in numpy."""
    labels = _oracle_sq_dist(X, centers).argmin(axis=1)
    new = centers.astype(np.float64).copy()
    w = weight_sums.copy()
    for j in range(centers.shape[0]):
        mask = labels == j
        if mask.any():
            total = w[j] + mask.sum()
            new[j] = (centers[j] * w[j] + X[mask].sum(axis=0)) / total
            w[j] = total
    return labels, new, w


# 1. results by hand -----------------------------------------------------------
def test_assign_labels_by_hand():
    X = np.array([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0]])
    centers = np.array([[0.0, 0.0], [10.0, 0.0]])
    labels, d2 = _buffers(3)
    inertia = assign_labels(X, centers, labels, d2)
    assert_array_equal(labels, [0, 0, 1])
    assert_allclose(d2, [0.0, 25.0, 0.0])
    assert inertia == 25.0


def test_minibatch_step_by_hand():
    # centre 0 has seen 2 rows, gets rows 1 and 3 -> (0*2 + 1 + 3) / 4 = 1
    X = np.array([[1.0], [3.0], [9.0]])
    centers = np.array([[0.0], [10.0]])
    new = np.empty_like(centers)
    w = np.array([2.0, 0.0])
    labels, d2 = _buffers(3)
    to_re = np.zeros(2, dtype=bool)
    out = minibatch_step(
        X, centers, new, w, labels, d2, np.zeros((2, 1)), np.zeros(2), 0.2, to_re
    )
    assert out == (1.0 + 9.0 + 1.0, -1, 0)
    assert_allclose(new, [[1.0], [9.0]])
    assert_allclose(w, [4.0, 1.0])
    assert not to_re.any()


# 2. equivalence ---------------------------------------------------------------
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(1, 40), st.just(3)),
        elements=st.floats(-1e3, 1e3),
    ),
    k=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_assign_labels_matches_oracle(X, k, seed):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-1e3, 1e3, size=(k, 3))
    labels, d2 = _buffers(X.shape[0])
    inertia = assign_labels(X, centers, labels, d2)
    oracle = _oracle_sq_dist(X, centers)
    assert ((labels >= 0) & (labels < k)).all()
    best = oracle.min(axis=1)
    assert_allclose(oracle[np.arange(X.shape[0]), labels], best, rtol=1e-12, atol=1e-9)
    assert_allclose(d2, best, rtol=1e-12, atol=1e-9)
    assert_allclose(inertia, best.sum(), rtol=1e-10, atol=1e-9)


def test_serial_and_parallel_assignment_agree(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.normal(size=(5000, 6))
    centers = rng.normal(size=(9, 6))
    l1, d1 = _buffers(5000)
    l2, d2 = _buffers(5000)
    i1 = assign_labels(X, centers, l1, d1)
    i2 = assign_labels_parallel(X, centers, l2, d2)
    assert_array_equal(l1, l2)
    assert_array_equal(d1, d2)
    assert i1 == i2  # summed in row order by both


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_minibatch_step_matches_sklearn_update(global_random_seed, dtype, rtol):
    rng = np.random.default_rng(global_random_seed)
    X = rng.normal(size=(300, 4)).astype(dtype)
    centers = rng.normal(size=(6, 4)).astype(dtype)
    w = rng.integers(0, 50, size=6).astype(np.float64)
    labels_ref, new_ref, w_ref = _oracle_minibatch(X, centers, w)
    new = np.empty_like(centers)
    labels, d2 = _buffers(300)
    to_re = np.zeros(6, dtype=bool)
    _, bad, n_re = minibatch_step(
        X, centers, new, w, labels, d2, np.zeros((6, 4)), np.zeros(6), 0.01, to_re
    )
    assert bad == -1
    assert_array_equal(labels, labels_ref)
    assert_allclose(new, new_ref, rtol=rtol, atol=rtol)
    assert_allclose(w, w_ref)
    assert n_re == int((w_ref < 0.01 * w_ref.max()).sum())


def test_accumulate_cluster_sums_matches_add_at(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    labels = rng.integers(0, 4, size=200).astype(np.int32)
    sums, counts = np.ones((4, 3)), np.ones(4)
    accumulate_cluster_sums(X, labels, sums, counts)
    ref_sums, ref_counts = np.ones((4, 3)), np.ones(4)
    np.add.at(ref_sums, labels, X.astype(np.float64))
    np.add.at(ref_counts, labels, 1.0)
    assert_allclose(sums, ref_sums, rtol=1e-6)
    assert_array_equal(counts, ref_counts)


# 3. edge cases ----------------------------------------------------------------
def test_ties_go_to_the_lowest_centre():
    X = np.array([[0.0, 0.0]])
    centers = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    labels, d2 = _buffers(1)
    assign_labels(X, centers, labels, d2)
    assert labels[0] == 0


def test_centres_without_rows_are_copied_and_flagged():
    X = np.zeros((5, 2))
    centers = np.array([[0.0, 0.0], [100.0, 100.0]])
    new = np.full_like(centers, np.nan)
    w = np.array([10.0, 0.0])
    labels, d2 = _buffers(5)
    to_re = np.zeros(2, dtype=bool)
    _, _, n_re = minibatch_step(
        X, centers, new, w, labels, d2, np.zeros((2, 2)), np.zeros(2), 0.01, to_re
    )
    assert_array_equal(new[1], centers[1])
    assert n_re == 1 and to_re[1] and not to_re[0]


# 4. errors --------------------------------------------------------------------
@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_bad_batch_leaves_buffers_untouched(bad_value):
    X = np.ones((4, 2))
    X[2, 1] = bad_value
    centers = np.array([[0.0, 0.0], [2.0, 2.0]])
    new = np.full_like(centers, 7.0)
    w = np.array([1.0, 2.0])
    labels, d2 = _buffers(4)
    inertia, bad, n_re = minibatch_step(
        X,
        centers,
        new,
        w,
        labels,
        d2,
        np.zeros((2, 2)),
        np.zeros(2),
        0.01,
        np.zeros(2, dtype=bool),
    )
    assert np.isnan(inertia) and bad == 2 and n_re == 0
    assert_array_equal(new, 7.0)
    assert_array_equal(w, [1.0, 2.0])
    assert first_nonfinite_row(X) == 2
    assert first_nonfinite_row(np.ones((3, 2))) == -1


def test_minibatch_run_equals_repeated_steps(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.normal(size=(1000, 3))
    bs = 64
    skip = np.zeros(16, dtype=bool)
    skip[[2, 7, 15]] = True
    centers0 = rng.normal(size=(5, 3))
    w0 = np.full(5, 10.0)

    def buffers():
        return (
            np.empty(bs, dtype=np.int32),
            np.empty(bs),
            np.zeros((5, 3)),
            np.zeros(5),
            0.0,
            np.zeros(5, dtype=bool),
        )

    centers, w = centers0.copy(), w0.copy()
    new = np.empty_like(centers)
    for b in range(16):
        if not skip[b]:
            labels, d2, s, c, ratio, tr = buffers()
            n = min(bs, 1000 - b * bs)
            minibatch_step(
                X[b * bs : b * bs + bs],
                centers,
                new,
                w,
                labels[:n],
                d2[:n],
                s,
                c,
                ratio,
                tr,
            )
            centers, new = new, centers
    run_centers, run_w = centers0.copy(), w0.copy()
    counters = np.array([0, 10**9, 0], dtype=np.int64)
    labels, d2, s, c, ratio, tr = buffers()
    run = MiniBatchBuffers(
        run_centers, np.empty_like(run_centers), run_w, labels, d2, s, c, tr
    )
    out = minibatch_run(X, bs, skip, 0, run, ratio, counters)
    assert out == (16, 0, -1)
    assert counters[2] == 13 and counters[0] == 1000 - 2 * 64 - 40  # rows stepped
    assert_allclose(run_centers, centers, rtol=1e-12)
    assert_allclose(run_w, w)
    X[500, 1] = np.nan  # in batch 7, which is skipped (held out)
    X[600, 1] = np.nan  # in batch 9
    run = MiniBatchBuffers(
        centers0.copy(), np.empty_like(centers0), w0.copy(), labels, d2, s, c, tr
    )
    out = minibatch_run(X, bs, skip, 0, run, ratio, counters)
    assert out == (9, 2, 600)


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
def test_nearest_two_centers_equals_numpy(X, codebook):
    n = X.shape[0]
    bmu, second, sq = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n)
    nearest_two_centers(X, codebook, bmu, second, sq)
    d2 = ((X[:, None, :] - codebook[None]) ** 2).sum(-1)
    assert_allclose(sq, d2.min(axis=1), rtol=1e-12, atol=1e-9)
    assert_allclose(d2[np.arange(n), bmu], d2.min(axis=1), rtol=1e-12, atol=1e-9)
    masked = d2.copy()
    masked[np.arange(n), bmu] = np.inf
    assert_allclose(d2[np.arange(n), second], masked.min(axis=1), rtol=1e-12, atol=1e-9)
    assert np.all(bmu != second)


def test_a_single_centre_has_no_second():
    bmu, second, sq = np.empty(2, np.int64), np.empty(2, np.int64), np.empty(2)
    nearest_two_centers(np.zeros((2, 2)), np.ones((1, 2)), bmu, second, sq)
    assert_array_equal(bmu, [0, 0])
    assert_array_equal(second, [-1, -1])
    assert_allclose(sq, [2.0, 2.0])


def test_serial_and_parallel_nearest_two_agree_with_the_assignment():
    rng = np.random.default_rng(0)
    X, codebook = rng.normal(size=(5000, 7)), rng.normal(size=(25, 7))
    out = [
        (np.empty(5000, np.int64), np.empty(5000, np.int64), np.empty(5000))
        for _ in range(2)
    ]
    nearest_two_centers(X, codebook, *out[0])
    nearest_two_centers_parallel(X, codebook, *out[1])
    for a, b in zip(*out):
        assert_array_equal(a, b)
    labels, d2 = _buffers(5000)
    assign_labels(X, codebook, labels, d2)
    assert_array_equal(out[0][0], labels)
    assert_array_equal(out[0][2], d2)
