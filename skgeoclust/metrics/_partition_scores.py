"""Silhouette, Calinski-Harabasz, Davies-Bouldin of many partitions, noise rules."""
# SPDX-License-Identifier: BSD-3-Clause

from itertools import pairwise

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from skgeoclust._kernels.silhouette import silhouette_samples_batch
from skgeoclust.metrics._sweep_metrics import SWEEP_METRICS

#: How noise samples (label -1) enter the scores.
NOISE_OPTIONS = {"cluster", "exclude", "zero"}


def encode_labels(labels, noise):
    """Labels ``0 .. n_groups - 1`` for scoring, ``-1`` for samples left out.

    ``noise="cluster"`` makes the noise samples one more group (what
    ``sklearn.metrics.silhouette_score(X, labels)`` does with raw DBSCAN labels);
    ``"exclude"`` and ``"zero"`` leave them out of every cluster.
    """
    labels = np.asarray(labels)
    is_noise = labels == -1
    if noise == "cluster":
        _, codes = np.unique(labels, return_inverse=True)
        return codes.astype(np.int64)
    codes = np.full(labels.shape, -1, dtype=np.int64)
    if (~is_noise).any():
        _, codes[~is_noise] = np.unique(labels[~is_noise], return_inverse=True)
    return codes


def _n_groups_ok(codes):
    used = codes >= 0
    n_groups = np.unique(codes[used]).size
    return 2 <= n_groups <= used.sum() - 1


def silhouette_batch(
    X, label_rows, *, noise="cluster", metric="euclidean", n_jobs=None
):
    """Per-sample and mean silhouettes of several partitions of ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float64, C-contiguous
    label_rows : ndarray of shape (n_partitions, n_samples), int
        Raw labels; ``-1`` is noise.
    noise : {"cluster", "exclude", "zero"}
        ``"cluster"``: noise is one more cluster (the paper's convention);
        ``"exclude"``: noise samples are dropped; ``"zero"``: noise samples are
        dropped from every cluster but count with silhouette 0 in the mean.
    metric : {"euclidean", "manhattan"}
    n_jobs : int, default=None
        Threads over blocks of samples (joblib).

    Returns
    -------
    samples : ndarray of shape (n_partitions, n_samples)
        Silhouette of every sample; NaN for a sample left out.
    scores : ndarray of shape (n_partitions,)
        Mean silhouette; NaN when the partition has fewer than 2 or more than
        ``n_used - 1`` groups (scikit-learn raises there).
    """
    label_rows = np.asarray(label_rows)
    n_part, n_samples = label_rows.shape
    codes = np.array([encode_labels(row, noise) for row in label_rows]).reshape(
        n_part, n_samples
    )
    # Identical partitions (up to renaming) are scored once; a left-out sample
    # (-1) stays -1 in the key, so it never matches a cluster.
    keys = {}
    first = np.empty(n_part, dtype=np.int64)
    for p in range(n_part):
        used = codes[p] >= 0
        canon = np.full(n_samples, -1, dtype=np.int64)
        if used.any():
            _, idx, inv = np.unique(
                codes[p][used], return_index=True, return_inverse=True
            )
            canon[used] = np.argsort(np.argsort(idx))[inv]
        first[p] = keys.setdefault(canon.tobytes(), p)
    unique = np.unique(first)
    valid = np.array([_n_groups_ok(codes[p]) for p in unique], dtype=bool)
    todo = unique[valid]
    samples = np.full((n_part, n_samples), np.nan)
    if todo.size:
        sub = codes[todo]
        max_labels = int(sub.max()) + 1
        counts = np.zeros((todo.size, max_labels), dtype=np.int64)
        for q, row in enumerate(sub):
            counts[q] = np.bincount(row[row >= 0], minlength=max_labels)
        # Samples of each partition sorted by label; left-out samples (-1) last.
        keyed = np.where(sub >= 0, sub, max_labels)
        order = np.ascontiguousarray(np.argsort(keyed, axis=1, kind="stable"), np.int32)
        offsets = np.zeros((todo.size, max_labels + 1), dtype=np.int64)
        offsets[:, 1:] = np.cumsum(counts, axis=1)
        codes32 = np.ascontiguousarray(sub, dtype=np.int32)
        out = np.empty((todo.size, n_samples))
        n_blocks = max(1, min(effective_n_jobs(n_jobs), n_samples))
        bounds = np.linspace(0, n_samples, n_blocks + 1).astype(np.int64)
        Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(silhouette_samples_batch)(
                X,
                codes32,
                order,
                offsets,
                SWEEP_METRICS[metric].distance,
                int(a),
                int(b),
                out,
            )
            for a, b in pairwise(bounds)
            if b > a
        )
        samples[todo] = out
    samples = samples[first]
    scores = np.full(n_part, np.nan)
    ok = np.isin(first, todo)
    if noise == "zero":
        filled = np.where(np.isnan(samples), 0.0, samples)
        scores[ok] = filled[ok].mean(axis=1)
        samples = np.where((label_rows == -1) & ok[:, None], 0.0, samples)
    else:
        scores[ok] = np.nanmean(samples[ok], axis=1)
    return samples, scores


def _ch_db(X, codes):
    """Calinski-Harabasz and Davies-Bouldin of labels ``codes`` (0 .. K-1) on ``X``.

    The formulas of ``sklearn.metrics.calinski_harabasz_score`` and
    ``davies_bouldin_score``, vectorised over clusters (no per-cluster Python loop,
    no input validation).
    """
    n_samples, n_features = X.shape
    n_labels = int(codes.max()) + 1
    counts = np.bincount(codes, minlength=n_labels).astype(np.float64)
    sums = np.stack(
        [
            np.bincount(codes, weights=X[:, f], minlength=n_labels)
            for f in range(n_features)
        ],
        axis=1,
    )
    centroids = sums / counts[:, None]
    diff = X - centroids[codes]
    sq = np.einsum("ij,ij->i", diff, diff)
    extra = float(np.sum(counts * np.sum((centroids - X.mean(axis=0)) ** 2, axis=1)))
    intra = float(np.sum(sq))
    ch = (
        1.0
        if intra == 0.0
        else extra * (n_samples - n_labels) / (intra * (n_labels - 1.0))
    )
    intra_dists = np.bincount(codes, weights=np.sqrt(sq), minlength=n_labels) / counts
    gaps = centroids[:, None, :] - centroids[None, :, :]
    centroid_distances = np.sqrt(np.einsum("ijk,ijk->ij", gaps, gaps))
    if np.allclose(intra_dists, 0.0) or np.allclose(centroid_distances, 0.0):
        return ch, 0.0
    centroid_distances[centroid_distances == 0] = np.inf
    combined = intra_dists[:, None] + intra_dists[None, :]
    return ch, float(np.mean(np.max(combined / centroid_distances, axis=1)))


def ch_db_scores(X, labels, noise):
    """Calinski-Harabasz and Davies-Bouldin of one partition (NaN when undefined).

    ``noise="zero"`` is treated as ``"exclude"``: both indices are defined on
    cluster members only.
    """
    codes = encode_labels(labels, "cluster" if noise == "cluster" else "exclude")
    if not _n_groups_ok(codes):
        return np.nan, np.nan
    used = codes >= 0
    return _ch_db(X[used], codes[used])
