"""
Provinces of a velocity model from its depth profiles
=====================================================

Extract one Vs depth profile per map node with
:func:`~skgeoclust.preprocessing.extract_profiles`, let
:class:`~skgeoclust.cluster.ProfileKMeans` choose the number of clusters from the knee
of its distortion curve, compare with a self-organising map merged into the same
number of clusters (:class:`~skgeoclust.cluster.ProfileSOM`), and draw the SeisGo-style
profile and map figures.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.metrics import adjusted_rand_score

from skgeoclust.cluster import ProfileKMeans, ProfileSOM
from skgeoclust.compat import ProfileClusteringResult
from skgeoclust.datasets import make_velocity_model
from skgeoclust.preprocessing import extract_profiles

lat, lon, depth, vs, provinces = make_velocity_model(
    40, 50, 41, n_provinces=5, nan_fraction=0.02, random_state=1
)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    p = extract_profiles(lat, lon, depth, vs, zrange=(0, 180), dz=5.0)
print(caught[0].message)
print("profiles:", p.X.shape, "excluded:", p.excluded.lat.size)
truth = provinces[p.lat_index, p.lon_index]

# %%
# k-means with the number of clusters chosen by Kneedle.
km = ProfileKMeans(
    n_clusters=None, n_clusters_range=range(2, 13), n_init=10, random_state=0
).fit(p.X)
print(
    "knee at k =",
    km.n_clusters_,
    "; ARI vs provinces:",
    round(adjusted_rand_score(truth, km.labels_), 3),
)

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(km.n_clusters_range_, km.distortions_, "o-")
ax.axvline(km.n_clusters_, color="red")
ax.set_xlabel("number of clusters")
ax.set_ylabel("inertia")
fig.tight_layout()

# %%
# A SOM on the same profiles: its populated nodes are merged by Ward into as many
# clusters (two-level SOM clustering).
som = ProfileSOM(n_clusters=km.n_clusters_, random_state=0).fit(p.X)
print(
    "SOM grid",
    som.grid_shape_,
    "->",
    int((som.node_counts_ > 0).sum()),
    "populated nodes ->",
    som.n_clusters_,
    "clusters; ARI vs provinces:",
    round(adjusted_rand_score(truth, som.labels_), 3),
)

# %%
# The result object carries SeisGo's fields and draws its two figures.
res = ProfileClusteringResult("k-means", km, p, source="synthetic", tag="Vs (km/s)")
res.plot_profiles()
res.plot_cluster_map()
plt.show()
