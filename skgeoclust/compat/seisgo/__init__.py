"""SeisGo-compatible entry points.

``from skgeoclust.compat.seisgo import clustering`` replaces
``from seisgo import clustering``.
"""
# SPDX-License-Identifier: BSD-3-Clause

from skgeoclust.compat.seisgo import clustering

__all__ = ["clustering"]
