"""skgeoclust: scikit-learn compatible clustering for seismology and geoscience."""
# SPDX-License-Identifier: BSD-3-Clause

from skgeoclust._show_versions import show_versions

# -- estimators and scorers: one import line each, below this line --
from skgeoclust.cluster import (
    FaultNetworkAgglomerative,
    ProfileKMeans,
    ProfileSOM,
    SphericalKMedoids,
    StreamingMiniBatchKMeans,
)
from skgeoclust.datasets import (
    make_fault_network,
    make_seismicity_catalog,
    make_velocity_model,
)
from skgeoclust.geometry import EARTH_RADIUS_KM, haversine_km, pairwise_haversine_km
from skgeoclust.metrics import (
    ClusteringScorer,
    ClusterSweep,
    adjusted_rand_matrix,
    calinski_harabasz_scorer,
    davies_bouldin_scorer,
    depth_mixtures,
    k_distance_graph,
    morisita_curve,
    morisita_index,
    morisita_slope,
    silhouette_scorer,
)
from skgeoclust.preprocessing import (
    GeoToCartesian,
    catalog_from_obspy,
    condense_catalog,
    extract_profiles,
)
from skgeoclust.utils import check_catalog

__version__ = "0.1.0.dev0"

__all__ = [
    "EARTH_RADIUS_KM",
    "ClusterSweep",
    "ClusteringScorer",
    # -- one name per line, below this line --
    "FaultNetworkAgglomerative",
    "GeoToCartesian",
    "ProfileKMeans",
    "ProfileSOM",
    "SphericalKMedoids",
    "StreamingMiniBatchKMeans",
    "__version__",
    "adjusted_rand_matrix",
    "calinski_harabasz_scorer",
    "catalog_from_obspy",
    "check_catalog",
    "condense_catalog",
    "davies_bouldin_scorer",
    "depth_mixtures",
    "extract_profiles",
    "haversine_km",
    "k_distance_graph",
    "make_fault_network",
    "make_seismicity_catalog",
    "make_velocity_model",
    "morisita_curve",
    "morisita_index",
    "morisita_slope",
    "pairwise_haversine_km",
    "show_versions",
    "silhouette_scorer",
]
