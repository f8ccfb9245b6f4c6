"""Figures for skgeoclust results (matplotlib: ``pip install skgeoclust[plot]``)."""
# SPDX-License-Identifier: BSD-3-Clause

# -- one import line per module, below this line --
from skgeoclust.plotting._seismicity import (
    plot_ari_matrix,
    plot_depth_mixtures,
    plot_morisita,
    plot_partition_map,
    plot_silhouette_sweep,
)

__all__ = [
    # -- one name per line, below this line --
    "plot_ari_matrix",
    "plot_depth_mixtures",
    "plot_morisita",
    "plot_partition_map",
    "plot_silhouette_sweep",
]
