"""
Clustering shards on disk with StreamingMiniBatchKMeans
=======================================================

Write a feature matrix as ``.npy`` shards, fit
:class:`~skgeoclust.cluster.StreamingMiniBatchKMeans` on them one batch at a time
with a held-out test split, compare the inertia with in-memory
:class:`sklearn.cluster.KMeans`, and write every label to disk with ``label_to``.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans

from skgeoclust.cluster import StreamingMiniBatchKMeans
from skgeoclust.streams import NpyShardSource

rng = np.random.default_rng(0)
means = rng.normal(size=(12, 6)) * 3.0
X = np.concatenate([m + rng.normal(size=(2500, 6)) for m in means])
X = X[rng.permutation(X.shape[0])].astype(np.float32)

folder = Path(tempfile.mkdtemp())
for i, shard in enumerate(np.array_split(X, 6)):
    np.save(folder / f"part{i}.npy", shard)
source = NpyShardSource(folder)
print(source)

# %%
# Fit on the shards: warm start on 25,600 rows at most, one mini-batch pass, exact
# Lloyd passes, and 10 % of the batches held out.
km = StreamingMiniBatchKMeans(12, batch_size=256, test_size=0.1, random_state=0)
km.fit(source)
print(f"train inertia {km.inertia_:.1f}, held-out inertia {km.test_inertia_:.1f}")
print(f"{km.n_steps_} mini-batch steps, {km.n_iter_} Lloyd passes")
print({phase: round(t, 3) for phase, t in km.timings_.items()})

full = KMeans(12, n_init=1, random_state=0).fit(X)
print(
    f"in-memory KMeans inertia on all rows {full.inertia_:.1f}, "
    f"ours {km.inertia_ + km.test_inertia_:.1f}"
)

# %%
# Label every row without holding the labels in memory.
labels = km.label_to(source, folder / "labels.npy")
print(labels.shape, np.bincount(labels))

fig, ax = plt.subplots(figsize=(5, 5))
ax.scatter(X[::10, 0], X[::10, 1], c=labels[::10], s=3, cmap="tab20")
ax.scatter(*km.cluster_centers_[:, :2].T, c="k", marker="x", s=60)
ax.set(xlabel="feature 0", ylabel="feature 1", title="Streaming k-means on shards")
plt.show()
