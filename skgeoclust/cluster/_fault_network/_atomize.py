"""Ward tree, holding capacity and atomization into Gaussian proto-clusters plus
uniform background boxes (Kamer et al. 2020, §3.1 steps i-iii and §4.3)."""
# SPDX-License-Identifier: BSD-3-Clause

from typing import NamedTuple

import fastcluster
import numpy as np
from joblib import Parallel, delayed

from skgeoclust._kernels.hierarchy import (
    holding_capacity_levels,
    node_sizes,
    representatives,
)
from skgeoclust.cluster._fault_network._boxes import min_volume_box


def ward_tree(X):
    """Ward linkage of ``X`` in O(n) memory (``fastcluster.linkage_vector``, the
    nearest-neighbour-chain algorithm on the raw vectors; no distance matrix).

    Returns
    -------
    Z : ndarray of shape (n_samples - 1, 4)
        scipy linkage layout: children, Ward distance, size.
    """
    if X.shape[0] < 2:
        return np.empty((0, 4))
    return fastcluster.linkage_vector(np.ascontiguousarray(X), method="ward")


class Atoms(NamedTuple):
    """Result of the atomization."""

    means: np.ndarray  # (n_atoms, d)
    covariances: np.ndarray  # (n_atoms, d, d), unregularised
    weights: np.ndarray  # (n_atoms,), fraction of the total sample weight
    atom_of_sample: np.ndarray  # (n_samples,), -1 = background
    subset_of_sample: np.ndarray  # (n_samples,)
    bkg_centers: np.ndarray  # (n_subsets, d)
    bkg_axes: np.ndarray  # (n_subsets, d, d)
    bkg_half_extents: np.ndarray  # (n_subsets, d)
    bkg_weights: np.ndarray  # (n_subsets,)
    capacity_per_subset: np.ndarray  # (n_subsets,)
    clusters_per_subset: np.ndarray  # (n_subsets,) number of clusters at the cut


def _cluster_moments(X, sample_weight, members):
    """Weighted mean and covariance of one cluster (``members`` index array).

    The covariance is the weighted second moment scaled by ``n / (n - 1)`` with
    ``n`` the number of points, which is the usual unbiased (ddof=1) estimate for
    unit weights.
    """
    pts = X[members]
    s = sample_weight[members]
    total = s.sum()
    mean = s @ pts / total
    centred = pts - mean
    n = members.shape[0]
    cov = (centred * s[:, None]).T @ centred / total * (n / (n - 1.0))
    return mean, cov, total


def _atomize_subset(X, sample_weight, points, cluster_of_point, min_points, min_side):
    """Kernels and background box of one subset."""
    clusters, inverse, counts = np.unique(
        cluster_of_point, return_inverse=True, return_counts=True
    )
    order = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(counts)])
    means, covs, weights, kernel_members = [], [], [], []
    background = []
    for c in range(clusters.shape[0]):
        members = points[order[bounds[c] : bounds[c + 1]]]
        if counts[c] >= min_points and sample_weight[members].sum() > 0:
            mean, cov, total = _cluster_moments(X, sample_weight, members)
            means.append(mean)
            covs.append(cov)
            weights.append(total)
            kernel_members.append(members)
        else:
            background.append(members)
    bkg = np.concatenate(background) if background else np.empty(0, dtype=np.int64)
    box = min_volume_box(X[points], min_side)
    return means, covs, weights, kernel_members, bkg, box


def atomize(X, sample_weight, Z, *, n_subsets, min_points, min_side, n_jobs=None):
    """Cut the Ward tree at its holding capacity, per subset.

    With ``n_subsets > 1`` the tree is first cut into that many subsets (§4.3);
    each subset's own subtree is then cut where it holds the most clusters of at
    least ``min_points`` points, those clusters become Gaussian kernels and every
    other point of the subset goes to the subset's background box (the
    small-volume bounding box of all the subset's points).

    Returns
    -------
    atoms : Atoms
    """
    n, d = X.shape
    total_weight = sample_weight.sum()
    children = Z[:, :2].astype(np.int64)
    n_subsets = min(n_subsets, n)
    sizes = node_sizes(children, n)
    n_sub_merges = n - n_subsets
    merge_ids = np.arange(n - 1)
    done_sub = merge_ids < n_sub_merges
    rep_sub = representatives(children, n, done_sub)
    roots, subset_of_sample = np.unique(rep_sub[:n], return_inverse=True)
    subset_of_sample = subset_of_sample.astype(np.int64)
    subset_of_merge = np.full(n - 1, -1, dtype=np.int64)
    if n_sub_merges > 0:
        subset_of_merge[:n_sub_merges] = np.searchsorted(
            roots, rep_sub[n : n + n_sub_merges]
        )
    # events closer than the model's resolution (the background's minimum side)
    # are one location: no cut separates them (duplicates would otherwise fill
    # the holding capacity with identical kernels)
    inseparable = int(np.searchsorted(Z[:, 2], min_side, side="right"))
    threshold, capacity = holding_capacity_levels(
        children,
        sizes,
        n,
        subset_of_merge,
        roots.shape[0],
        sizes[roots],
        min_points,
        inseparable,
    )
    done = np.zeros(n - 1, dtype=bool)
    if n_sub_merges > 0:
        done[:n_sub_merges] = (
            merge_ids[:n_sub_merges] < threshold[subset_of_merge[:n_sub_merges]]
        )
    cluster_of_sample = representatives(children, n, done)[:n]
    first = np.unique(cluster_of_sample, return_index=True)[1]
    n_clusters = np.bincount(subset_of_sample[first], minlength=roots.shape[0])

    order = np.argsort(subset_of_sample, kind="stable")
    bounds = np.concatenate(
        [[0], np.cumsum(np.bincount(subset_of_sample, minlength=roots.shape[0]))]
    )
    subsets = [order[bounds[s] : bounds[s + 1]] for s in range(roots.shape[0])]
    results = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_atomize_subset)(
            X, sample_weight, pts, cluster_of_sample[pts], min_points, min_side
        )
        for pts in subsets
    )

    means, covs, weights = [], [], []
    atom_of_sample = np.full(n, -1, dtype=np.int64)
    bkg_c, bkg_a, bkg_h, bkg_w = [], [], [], []
    for s_means, s_covs, s_weights, s_members, s_bkg, box in results:
        start = len(weights)
        for k, members in enumerate(s_members):
            atom_of_sample[members] = start + k
        means.extend(s_means)
        covs.extend(s_covs)
        weights.extend(s_weights)
        bkg_c.append(box[0])
        bkg_a.append(box[1])
        bkg_h.append(box[2])
        bkg_w.append(sample_weight[s_bkg].sum())
    means = np.array(means, dtype=np.float64).reshape(-1, d)
    covs = np.array(covs, dtype=np.float64).reshape(-1, d, d)
    weights = np.array(weights, dtype=np.float64) / total_weight
    return Atoms(
        means=means,
        covariances=covs,
        weights=weights,
        atom_of_sample=atom_of_sample,
        subset_of_sample=subset_of_sample,
        bkg_centers=np.array(bkg_c).reshape(-1, d),
        bkg_axes=np.array(bkg_a).reshape(-1, d, d),
        bkg_half_extents=np.array(bkg_h).reshape(-1, d),
        bkg_weights=np.array(bkg_w) / total_weight,
        capacity_per_subset=np.asarray(capacity),
        clusters_per_subset=np.asarray(n_clusters),
    )
