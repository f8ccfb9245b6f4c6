"""Fault-network reconstruction by agglomerative merging of Gaussian kernels."""
# SPDX-License-Identifier: BSD-3-Clause

from skgeoclust.cluster._fault_network._estimator import FaultNetworkAgglomerative

__all__ = ["FaultNetworkAgglomerative"]
