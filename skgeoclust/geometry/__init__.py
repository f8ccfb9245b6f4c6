"""Spherical geometry: unit vectors, great-circle distances, local km frames.

Every km value uses the mean Earth radius ``EARTH_RADIUS_KM = 6371.0``.
"""
# SPDX-License-Identifier: BSD-3-Clause

from skgeoclust.geometry._spherical import (
    EARTH_RADIUS_KM,
    geodetic_to_local_km,
    haversine_km,
    latlon_to_unit_vectors,
    local_km_to_geodetic,
    pairwise_haversine_km,
    spherical_mean,
    unit_vectors_to_latlon,
)

__all__ = [
    "EARTH_RADIUS_KM",
    "geodetic_to_local_km",
    "haversine_km",
    "latlon_to_unit_vectors",
    "local_km_to_geodetic",
    "pairwise_haversine_km",
    "spherical_mean",
    "unit_vectors_to_latlon",
]
