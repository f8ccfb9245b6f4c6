"""The metrics the sweep kernels compute, by the names scikit-learn gives them."""
# SPDX-License-Identifier: BSD-3-Clause

from typing import NamedTuple

import numpy as np

from skgeoclust._kernels import sweep_distances as codes


def _unchanged(values):
    return np.ascontiguousarray(values, dtype=np.float64)


class SweepMetric(NamedTuple):
    """A distance of the sweep kernels and its cheaper order-preserving proxy.

    Neighbour searches and radii run on the proxy (no square root in the loop);
    ``from_proxy`` turns a proxy value back into the distance and ``to_proxy`` a
    radius into the proxy (pynndescent's ``fast_distance_alternatives``).
    """

    name: str  # scikit-learn's name (NearestNeighbors, silhouette)
    distance: int  # kernel code of the distance
    proxy: int  # kernel code of the proxy
    to_proxy: object  # distance -> proxy, elementwise
    from_proxy: object  # proxy -> distance, elementwise


EUCLIDEAN = SweepMetric(
    "euclidean", codes.EUCLIDEAN, codes.SQEUCLIDEAN, np.square, np.sqrt
)
MANHATTAN = SweepMetric(
    "manhattan", codes.MANHATTAN, codes.MANHATTAN, _unchanged, _unchanged
)

#: Every name scikit-learn accepts for a metric the sweep kernels compute.
SWEEP_METRICS = {
    "euclidean": EUCLIDEAN,
    "l2": EUCLIDEAN,
    "manhattan": MANHATTAN,
    "l1": MANHATTAN,
    "cityblock": MANHATTAN,
}
#: Minkowski exponents ``p`` with a sweep metric.
MINKOWSKI_P = {2: EUCLIDEAN, 1: MANHATTAN}


def sweep_metric(metric, p=None):
    """The :class:`SweepMetric` of a clusterer's ``metric`` (and Minkowski ``p``),
    or None when the kernels do not compute it (a callable, ``"precomputed"``,
    another name)."""
    if not isinstance(metric, str):
        return None
    if metric == "minkowski":
        return MINKOWSKI_P.get(2 if p is None else p)
    return SWEEP_METRICS.get(metric)
