"""Drop-in replacements for other tools' functions, backed by skgeoclust estimators.

``from skgeoclust.compat.seisgo import clustering`` stands in for
``from seisgo import clustering``; :class:`ProfileClusteringResult` holds profile
clusters as SeisGo reports them.
"""
# SPDX-License-Identifier: BSD-3-Clause

from skgeoclust.compat._profile_results import ProfileClusteringResult

__all__ = ["ProfileClusteringResult"]
