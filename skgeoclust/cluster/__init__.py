"""Clustering estimators for seismic catalogs and velocity models."""
# SPDX-License-Identifier: BSD-3-Clause

# -- one import line per estimator module, below this line --
from skgeoclust.cluster._fault_network import FaultNetworkAgglomerative
from skgeoclust.cluster._profile_kmeans import ProfileKMeans
from skgeoclust.cluster._profile_som import ProfileSOM
from skgeoclust.cluster._spherical_kmedoids import SphericalKMedoids
from skgeoclust.cluster._streaming_kmeans import StreamingMiniBatchKMeans

__all__ = [
    # -- one name per line, below this line --
    "FaultNetworkAgglomerative",
    "ProfileKMeans",
    "ProfileSOM",
    "SphericalKMedoids",
    "StreamingMiniBatchKMeans",
]
