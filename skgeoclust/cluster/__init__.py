"""Clustering estimators for seismic catalogs and velocity models."""
# SPDX-License-Identifier: BSD-3-Clause

__all__: list[str] = []
