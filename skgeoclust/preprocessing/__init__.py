"""Transformers that bring geographic catalogs into clusterer-ready frames."""
# SPDX-License-Identifier: BSD-3-Clause

from skgeoclust.preprocessing._geo_to_cartesian import GeoToCartesian

__all__ = ["GeoToCartesian"]
