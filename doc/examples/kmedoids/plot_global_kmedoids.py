"""
Event groups and span-constrained clusters of a global catalog
==============================================================

A global catalog of about 23,000 shallow and intermediate events, tessellated on
the sphere, split into event groups (Delaunay edges no longer than 0.5 degree =
55.6 km) and clustered by :class:`~skgeoclust.cluster.SphericalKMedoids` so that no
cluster spans more than 55.6 km: the setting of the method's original global
example. The zoom is the Aegean.

The example reads the USGS significant-earthquake catalog (M >= 5.5, 1965-2016) from
``../shared/data/global_significant`` when it is there, and otherwise generates a
clumped global catalog of the same size with
:func:`~skgeoclust.datasets.make_seismicity_catalog`.
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import Ellipse
from scipy.spatial import ConvexHull

from skgeoclust.cluster import SphericalKMedoids
from skgeoclust.datasets import make_seismicity_catalog
from skgeoclust.geometry import (
    EARTH_RADIUS_KM,
    haversine_km,
    latlon_to_unit_vectors,
)

try:  # doc/examples/kmedoids/ -> the folder beside the repository
    here = Path(__file__).resolve().parent
except NameError:
    here = Path.cwd()
shared = Path(
    os.environ.get("SKGEOCLUST_SHARED_DATA", here.parents[3] / "shared" / "data")
)
path = shared / "global_significant" / "catalog.csv.gz"
if path.exists():
    import pandas as pd

    X = pd.read_csv(path, usecols=["lat", "lon"]).to_numpy()
    source = "USGS significant earthquakes 1965-2016"
else:
    X, _ = make_seismicity_catalog(
        22766,
        n_clusters=400,
        cluster_radius_km=60.0,
        background_fraction=0.3,
        random_state=0,
    )
    X = X[:, :2]
    source = "make_seismicity_catalog"

km = SphericalKMedoids(max_span_km=55.6, random_state=0).fit(X)
sizes = np.bincount(km.groups_)
print(
    f"{source}: {X.shape[0]} events, {km.n_groups_} event groups "
    f"({np.sum(sizes == 1)} isolated events), {km.n_clusters_} clusters, "
    f"largest span {km.spans_.max():.1f} km"
)

# %%
# Figure 8: the spherical Delaunay tessellation (convex hull of the unit vectors),
# and Figure 9: the edges no longer than 55.6 km, which link the event groups.
xyz = latlon_to_unit_vectors(X[:, 0], X[:, 1])
_, first = np.unique(xyz, axis=0, return_index=True)
simplices = ConvexHull(xyz[first]).simplices
edges = np.unique(
    np.sort(
        np.vstack([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]]),
        axis=1,
    ),
    axis=0,
)
a, b = first[edges[:, 0]], first[edges[:, 1]]
length = haversine_km(X[a, 0], X[a, 1], X[b, 0], X[b, 1])

zoom = (33.0, 43.0, 18.0, 32.0)  # lat_min, lat_max, lon_min, lon_max


def in_zoom(i):
    return (
        (X[i, 0] >= zoom[0])
        & (X[i, 0] <= zoom[1])
        & (X[i, 1] >= zoom[2])
        & (X[i, 1] <= zoom[3])
    )


fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
for ax, keep, title in [
    (axes[0], in_zoom(a) & in_zoom(b), "Fig. 8: Delaunay edges"),
    (axes[1], in_zoom(a) & in_zoom(b) & (length <= 55.6), "Fig. 9: edges <= 55.6 km"),
]:
    segments = np.stack([X[a[keep]][:, ::-1], X[b[keep]][:, ::-1]], axis=1)
    ax.add_collection(LineCollection(segments, colors="0.6", linewidths=0.5))
    inside = in_zoom(np.arange(X.shape[0]))
    ax.scatter(
        X[inside, 1],
        X[inside, 0],
        c=km.groups_[inside] % 20,
        cmap="tab20",
        s=6,
        zorder=3,
    )
    ax.set_xlim(zoom[2], zoom[3])
    ax.set_ylim(zoom[0], zoom[1])
    ax.set_aspect(1.0 / np.cos(np.radians(38.0)))
    ax.set_xlabel("longitude (degrees)")
    ax.set_title(title)
axes[0].set_ylabel("latitude (degrees)")
fig.tight_layout()

# %%
# Figures 10-11: the clusters. Medoids are white circles, isolated events white
# diamonds; each multi-event cluster gets a red circle of diameter 55.6 km centred
# on the midpoint of its span.
inside = in_zoom(np.arange(X.shape[0]))
counts = np.bincount(km.labels_)
fig, ax = plt.subplots(figsize=(7, 5))
ax.set_facecolor("0.15")
ax.scatter(X[inside, 1], X[inside, 0], c=km.labels_[inside] % 20, cmap="tab20", s=8)
km_per_deg = EARTH_RADIUS_KM * np.pi / 180.0
for c in np.unique(km.labels_[inside]):
    members = np.flatnonzero(km.labels_ == c)
    medoid = km.cluster_centers_[c]
    if counts[c] == 1:
        ax.scatter(
            medoid[1], medoid[0], marker="D", facecolor="none", edgecolor="w", s=25
        )
        continue
    pts = X[members]
    d = haversine_km(pts[:, None, 0], pts[:, None, 1], pts[None, :, 0], pts[None, :, 1])
    i, j = np.unravel_index(np.argmax(d), d.shape)
    mid = (pts[i] + pts[j]) / 2
    diameter = 55.6 / km_per_deg  # degrees of latitude
    ax.add_patch(
        Ellipse(
            (mid[1], mid[0]),
            diameter / np.cos(np.radians(mid[0])),
            diameter,
            fill=False,
            color="r",
            lw=0.8,
        )
    )
    ax.scatter(medoid[1], medoid[0], facecolor="none", edgecolor="w", s=30)
ax.set_xlim(zoom[2], zoom[3])
ax.set_ylim(zoom[0], zoom[1])
ax.set_aspect(1.0 / np.cos(np.radians(38.0)))
ax.set_xlabel("longitude (degrees)")
ax.set_ylabel("latitude (degrees)")
ax.set_title("Fig. 10-11: clusters of span <= 55.6 km and their medoids")
plt.show()
