"""SeisGo's ``seisgo.clustering`` functions with the same names and arguments."""
# SPDX-License-Identifier: BSD-3-Clause

from skgeoclust.compat._seisgo_clustering import (
    vpcluster_evaluate_kmean,
    vpcluster_kmean,
    vpcluster_som,
)

__all__ = ["vpcluster_evaluate_kmean", "vpcluster_kmean", "vpcluster_som"]
