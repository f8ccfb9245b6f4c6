"""Transformers that bring geographic catalogs into clusterer-ready frames."""
# SPDX-License-Identifier: BSD-3-Clause

from skgeoclust.preprocessing._condensation import CondensedCatalog, condense_catalog
from skgeoclust.preprocessing._geo_to_cartesian import GeoToCartesian
from skgeoclust.preprocessing._obspy import catalog_from_obspy
from skgeoclust.preprocessing._profiles import extract_profiles

__all__ = [
    "CondensedCatalog",
    "GeoToCartesian",
    "catalog_from_obspy",
    "condense_catalog",
    "extract_profiles",
]
