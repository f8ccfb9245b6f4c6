"""Drop-in replacements for other tools' functions, backed by skgeoclust estimators.

``from skgeoclust.compat.seisgo import clustering`` stands in for
``from seisgo import clustering``.
"""
# SPDX-License-Identifier: BSD-3-Clause
