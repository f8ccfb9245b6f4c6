"""Sorted k-distance graph with its knee, to choose DBSCAN's eps."""
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral
from typing import NamedTuple

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, validate_params


class KDistanceGraph(NamedTuple):
    """Sorted k-distances and the knee of the curve, as :func:`k_distance_graph`
    returns them.

    Attributes
    ----------
    distances : ndarray of shape (n_samples,)
        Distance of every sample to its k-th nearest neighbour, increasing.
    knee_index : int
        Position of the knee in ``distances``.
    knee_distance : float
        ``distances[knee_index]``, a candidate DBSCAN ``eps``.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.metrics import k_distance_graph
    >>> X = np.r_[np.zeros((5, 2)), np.eye(2), [[9.0, 9.0]]]
    >>> graph = k_distance_graph(X, k=2)
    >>> graph.distances.round(2).tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 12.04]
    >>> bool(graph.knee_distance == graph.distances[graph.knee_index])
    True
    """

    distances: np.ndarray
    knee_index: int
    knee_distance: float


@validate_params(
    {
        "X": ["array-like"],
        "k": [Interval(Integral, 1, None, closed="left")],
        "metric": [str],
    },
    prefer_skip_nested_validation=True,
)
def k_distance_graph(X, k=4, *, metric="euclidean"):
    """Distance of every sample to its k-th nearest neighbour, sorted, with the knee.

    The sorted k-distance graph of Ester et al. (1996): a radius ``eps`` near the
    knee, with ``min_samples = k + 1`` (DBSCAN counts the sample itself), separates
    the samples of dense regions from noise. The knee is the point of the
    normalised increasing curve farthest below its chord (the Kneedle rule).

    Read more in the :ref:`User Guide <seismicity_metrics>`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Samples; more than ``k``.
    k : int, default=4
        Neighbour rank, the sample itself not counted.
    metric : str, default="euclidean"
        Any metric of :class:`~sklearn.neighbors.NearestNeighbors`.

    Returns
    -------
    graph : KDistanceGraph
        Named tuple ``(distances, knee_index, knee_distance)``; ``distances`` is
        increasing, of shape (n_samples,).

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.metrics import k_distance_graph
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 0.1, (200, 2)), rng.uniform(-5, 5, (20, 2))]
    >>> graph = k_distance_graph(X, k=4)
    >>> graph.distances.shape, 0.05 < graph.knee_distance < 1.0
    ((220,), True)
    """
    X = check_array(X, dtype=np.float64)
    if X.shape[0] <= k:
        raise ValueError(f"k={k} needs more than {k} samples, got {X.shape[0]}.")
    dist, _ = NearestNeighbors(n_neighbors=k + 1, metric=metric).fit(X).kneighbors(X)
    distances = np.sort(dist[:, -1])
    span = distances[-1] - distances[0]
    if span <= 0:
        return KDistanceGraph(distances, 0, float(distances[0]))
    x = np.linspace(0.0, 1.0, distances.size)
    y = (distances - distances[0]) / span
    knee = int(np.argmax(x - y))
    return KDistanceGraph(distances, knee, float(distances[knee]))
