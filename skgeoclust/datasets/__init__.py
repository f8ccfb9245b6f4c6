"""Synthetic catalogs, fault networks and velocity models (``make_*``)."""
# SPDX-License-Identifier: BSD-3-Clause

from skgeoclust.datasets._fault_network import make_fault_network
from skgeoclust.datasets._seismicity import make_seismicity_catalog
from skgeoclust.datasets._velocity_model import make_velocity_model

__all__ = ["make_fault_network", "make_seismicity_catalog", "make_velocity_model"]
