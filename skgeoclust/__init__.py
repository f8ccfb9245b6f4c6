"""skgeoclust: scikit-learn compatible clustering for seismology and geoscience."""
# SPDX-License-Identifier: BSD-3-Clause

from skgeoclust._show_versions import show_versions
# -- estimators and scorers: one import line each, below this line --
from skgeoclust.cluster import FaultNetworkAgglomerative
from skgeoclust.metrics import ClusterSweep, ClusteringScorer, adjusted_rand_matrix
from skgeoclust.metrics import calinski_harabasz_scorer, davies_bouldin_scorer
from skgeoclust.metrics import depth_mixtures, k_distance_graph, silhouette_scorer
from skgeoclust.metrics import morisita_curve, morisita_index, morisita_slope
from skgeoclust.cluster import ProfileKMeans
from skgeoclust.cluster import ProfileSOM
from skgeoclust.preprocessing import extract_profiles
from skgeoclust.cluster import SphericalKMedoids
from skgeoclust.cluster import StreamingMiniBatchKMeans
from skgeoclust.datasets import (
    make_fault_network,
    make_seismicity_catalog,
    make_velocity_model,
)
from skgeoclust.geometry import EARTH_RADIUS_KM, haversine_km, pairwise_haversine_km
from skgeoclust.preprocessing import GeoToCartesian
from skgeoclust.utils import check_catalog

__version__ = "0.1.0.dev0"

__all__ = [
    # -- one name per line, below this line --
    "FaultNetworkAgglomerative",
    "ClusterSweep",
    "ClusteringScorer",
    "adjusted_rand_matrix",
    "calinski_harabasz_scorer",
    "davies_bouldin_scorer",
    "depth_mixtures",
    "k_distance_graph",
    "morisita_curve",
    "morisita_index",
    "morisita_slope",
    "silhouette_scorer",
    "ProfileKMeans",
    "ProfileSOM",
    "extract_profiles",
    "SphericalKMedoids",
    "StreamingMiniBatchKMeans",
    "EARTH_RADIUS_KM",
    "GeoToCartesian",
    "__version__",
    "check_catalog",
    "haversine_km",
    "make_fault_network",
    "make_seismicity_catalog",
    "make_velocity_model",
    "pairwise_haversine_km",
    "show_versions",
]
