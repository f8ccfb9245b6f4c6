"""
Morisita index, a DBSCAN sweep and depth mixtures on a synthetic catalog
========================================================================

The procedure of Skurativskyi et al. (Azerbaijan hypocentres) on a generated
catalog: check that the hypocentres cluster (Morisita index and its slope), sweep
DBSCAN over a grid with silhouettes, keep the best partition per number of clusters,
compare partitions with the Adjusted Rand Index, and fit a mixture of two normals
to the depths of each cluster.
"""

# %%
# A clumped catalog: 8 clusters of 25 km radius and 20 % background.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.preprocessing import MinMaxScaler

from skgeoclust.datasets import make_seismicity_catalog
from skgeoclust.metrics import ClusterSweep, depth_mixtures, morisita_slope
from skgeoclust.plotting import (
    plot_ari_matrix,
    plot_depth_mixtures,
    plot_morisita,
    plot_partition_map,
    plot_silhouette_sweep,
)

catalog, _ = make_seismicity_catalog(
    3000,
    n_clusters=8,
    cluster_radius_km=25.0,
    region=(38, 42, 45, 50),
    depth_range_km=(0, 80),
    cluster_depth_std_km=4.0,
    random_state=0,
)
lat, lon, depth = catalog.T
X = MinMaxScaler().fit_transform(np.c_[lon, lat, depth])  # the unit cube, eq. (2)

# %%
# Morisita index: above 1 at every scale, slope p and dimension D = E + p.
fit2 = morisita_slope(X[:, :2], range(2, 61))
fit3 = morisita_slope(X, range(2, 31))
ax = plot_morisita(fit2, label="2-D epicentres")
plot_morisita(fit3, ax=ax, label="3-D hypocentres")
print(
    f"2-D: p = {fit2.slope:.3f}, D = {fit2.dimension:.2f}; "
    f"3-D: p = {fit3.slope:.3f}, D = {fit3.dimension:.2f}"
)

# %%
# DBSCAN over eps x min_samples: one neighbour query, one MST per min_samples and
# one pass for all silhouettes (noise counted as a cluster, the paper's rule).
grid = {"eps": np.round(np.arange(1, 16) * 0.01, 2), "min_samples": range(10, 81, 10)}
sweep = ClusterSweep(DBSCAN(), grid, n_jobs=2).fit(X)
best = sweep.best_partitions(top=2)
print(best[["eps", "min_samples", "n_clusters", "noise_fraction", "silhouette"]])
plot_silhouette_sweep(sweep, color="eps")

# %%
# How similar are the best partitions?
plot_ari_matrix(sweep.ari_matrix(best.index))

# %%
# The partition with the highest silhouette, on the map and in depth.
chosen = best["silhouette"].idxmax()
labels = sweep.labels_[chosen]
plot_partition_map(lon, lat, labels, show_noise=False)
table = depth_mixtures(depth, labels, random_state=0)
print(table[["n_samples", "weight_1", "mean_1", "sigma_1", "mean_2", "modes"]].round(2))
plot_depth_mixtures(depth, labels, table)
plt.show()
