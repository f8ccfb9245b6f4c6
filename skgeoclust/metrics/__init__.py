"""Spatial-clustering diagnostics and scorers."""
# SPDX-License-Identifier: BSD-3-Clause

# -- one import line per module, below this line --
from skgeoclust.metrics._depth_mixture import depth_mixtures, mixture_modes
from skgeoclust.metrics._kdistance import KDistanceGraph, k_distance_graph
from skgeoclust.metrics._morisita import (
    MorisitaFit,
    morisita_curve,
    morisita_index,
    morisita_slope,
)
from skgeoclust.metrics._scorers import (
    ClusteringScorer,
    calinski_harabasz_scorer,
    davies_bouldin_scorer,
    silhouette_scorer,
)
from skgeoclust.metrics._sweep import ClusterSweep, adjusted_rand_matrix

__all__ = [
    # -- one name per line, below this line --
    "ClusterSweep",
    "ClusteringScorer",
    "KDistanceGraph",
    "MorisitaFit",
    "adjusted_rand_matrix",
    "calinski_harabasz_scorer",
    "davies_bouldin_scorer",
    "depth_mixtures",
    "k_distance_graph",
    "mixture_modes",
    "morisita_curve",
    "morisita_index",
    "morisita_slope",
    "silhouette_scorer",
]
