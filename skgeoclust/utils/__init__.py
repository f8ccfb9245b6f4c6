"""Input validation shared by every skgeoclust estimator."""
# SPDX-License-Identifier: BSD-3-Clause

from skgeoclust.utils._validation import (
    CATALOG_COLUMN_ALIASES,
    check_catalog,
    check_catalog_values,
    check_distance_range,
    select_catalog_columns,
    validate_catalog_data,
    wrap_longitude,
)

__all__ = [
    "CATALOG_COLUMN_ALIASES",
    "check_catalog",
    "check_catalog_values",
    "check_distance_range",
    "select_catalog_columns",
    "validate_catalog_data",
    "wrap_longitude",
]
