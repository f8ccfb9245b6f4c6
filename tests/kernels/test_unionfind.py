"""Union-find kernels against scipy."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components as scipy_components

from skgeoclust._kernels.unionfind import connected_components


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), n_edges=st.integers(0, 80))
def test_connected_components_equal_scipy(seed, n, n_edges):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, n_edges)
    dst = rng.integers(0, n, n_edges)
    keep = rng.random(n_edges) < 0.7
    labels = connected_components(n, src, dst, keep)
    graph = coo_matrix((np.ones(keep.sum()), (src[keep], dst[keep])), shape=(n, n))
    n_ref, ref = scipy_components(graph, directed=False)
    assert labels.max() + 1 == n_ref
    # Same partition, numbered by each component's smallest node.
    first = np.array([np.flatnonzero(labels == c)[0] for c in range(n_ref)])
    assert np.all(np.diff(first) > 0)
    for c in range(n_ref):
        assert np.unique(ref[labels == c]).size == 1
