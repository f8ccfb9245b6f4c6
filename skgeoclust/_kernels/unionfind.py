"""Union-find (disjoint sets) over integer nodes: connected components of a graph."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from numba import njit

from skgeoclust.utils._config import NUMBA_CACHE


@njit(cache=NUMBA_CACHE, nogil=True)
def find_root(parent, i):
    """Root of ``i``, halving the path on the way (``parent`` is updated in place)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=NUMBA_CACHE, nogil=True)
def connected_components(n_nodes, src, dst, keep):
    """Connected components of the edges ``(src[e], dst[e])`` that have ``keep[e]``.

    Parameters
    ----------
    n_nodes : int
        Nodes are ``0 .. n_nodes - 1``.
    src, dst : ndarray of shape (n_edges,)
        Edge end points.
    keep : ndarray of shape (n_edges,), bool
        Which edges count.

    Returns
    -------
    labels : ndarray of shape (n_nodes,)
        Component id per node. Ids are numbered in the order of each component's
        smallest node, so they do not depend on the order of the edges.
    """
    parent = np.arange(n_nodes)
    for e in range(src.shape[0]):
        if not keep[e]:
            continue
        a = find_root(parent, src[e])
        b = find_root(parent, dst[e])
        if a == b:
            continue
        # The smaller node becomes the root: roots are component minima.
        if a < b:
            parent[b] = a
        else:
            parent[a] = b
    labels = np.empty(n_nodes, dtype=np.int64)
    n_components = 0
    for i in range(n_nodes):
        r = find_root(parent, i)
        if r == i:
            labels[i] = n_components
            n_components += 1
        else:
            labels[i] = labels[r]
    return labels
