"""Spatial-clustering diagnostics and scorers."""
# SPDX-License-Identifier: BSD-3-Clause

# -- one import line per module, below this line --

__all__ = [
    # -- one name per line, below this line --
]
