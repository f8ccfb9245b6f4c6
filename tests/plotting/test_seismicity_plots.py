"""Smoke and content tests of the seismicity figures (matplotlib, Agg backend)."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.cluster import DBSCAN  # noqa: E402

from skgeoclust.metrics import (  # noqa: E402
    ClusterSweep,
    depth_mixtures,
    morisita_slope,
)
from skgeoclust.plotting import (  # noqa: E402
    plot_ari_matrix,
    plot_depth_mixtures,
    plot_morisita,
    plot_partition_map,
    plot_silhouette_sweep,
)


@pytest.fixture
def sweep_and_data(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = np.r_[
        rng.normal(0, 0.05, (80, 2)),
        rng.normal(1, 0.05, (80, 2)),
        rng.uniform(-1, 2, (20, 2)),
    ]
    sweep = ClusterSweep(
        DBSCAN(), {"eps": [0.05, 0.1, 0.3], "min_samples": [3, 10]}
    ).fit(X)
    return sweep, X


def test_plots_draw_what_they_should(sweep_and_data):
    sweep, X = sweep_and_data
    _, axes = plt.subplots(2, 3)
    ax = plot_morisita(morisita_slope(X, range(1, 15)), ax=axes[0, 0], label="data")
    assert len(ax.lines) == 2 and ax.get_xscale() == "log"
    ax = plot_silhouette_sweep(sweep, ax=axes[0, 1])
    assert (
        len(ax.collections[0].get_offsets()) == sweep.results_.silhouette.notna().sum()
    )
    ari = sweep.ari_matrix([0, 1, 2])
    ax = plot_ari_matrix(ari, ax=axes[0, 2])
    assert len(ax.texts) == 9
    labels = sweep.labels_[1]
    ax = plot_partition_map(X[:, 0], 45 + X[:, 1], labels, ax=axes[1, 0])
    assert len(ax.collections) == len(np.unique(labels))
    depth = np.abs(X[:, 0]) * 10 + 5
    table = depth_mixtures(depth, labels, random_state=0)
    ax = plot_depth_mixtures(depth, labels, table, ax=axes[1, 1])
    assert len(ax.patches) > 0 and len(ax.lines) == 2 * len(table)
    plot_silhouette_sweep(sweep, color="min_samples")
    plt.close("all")
