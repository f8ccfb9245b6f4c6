"""
Catalogs in degrees, clusterers in km
=====================================

Project a generated catalog to local (east, north, down) km with
:class:`~skgeoclust.preprocessing.GeoToCartesian`, cluster it with a Cartesian
clusterer in a pipeline, and map the cluster centres back to degrees.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans
from sklearn.pipeline import make_pipeline

from skgeoclust.datasets import make_seismicity_catalog
from skgeoclust.preprocessing import GeoToCartesian

X, y = make_seismicity_catalog(
    1500,
    n_clusters=6,
    cluster_radius_km=40.0,
    background_fraction=0.0,
    region=(35.0, 42.0, 20.0, 30.0),
    random_state=0,
)
pipe = make_pipeline(GeoToCartesian(), KMeans(6, n_init=5, random_state=0))
labels = pipe.fit_predict(X)

# %%
# The centres live in km; ``inverse_transform`` brings them back to (lat, lon, depth).
to_km, kmeans = pipe.named_steps.values()
centres = to_km.inverse_transform(kmeans.cluster_centers_)
print(np.round(centres, 2))

fig, ax = plt.subplots(figsize=(6, 4.5))
ax.scatter(X[:, 1], X[:, 0], c=labels, s=6, cmap="tab10")
ax.scatter(centres[:, 1], centres[:, 0], marker="x", c="k", s=60, label="centres")
ax.set_xlabel("longitude (degrees)")
ax.set_ylabel("latitude (degrees)")
ax.legend()
ax.set_title("KMeans in local km, shown in degrees")
plt.show()
