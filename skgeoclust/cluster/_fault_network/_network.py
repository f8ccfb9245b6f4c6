"""The fit of a fault network from start to end: subsets, their atomization and
merging, and the pass over the whole catalog (Kamer et al. 2020, §3.1 and §4.3)."""
# SPDX-License-Identifier: BSD-3-Clause

from typing import NamedTuple

import numpy as np
from joblib import Parallel, delayed

from skgeoclust.cluster._fault_network._atomize import Atoms, atomize, ward_tree
from skgeoclust.cluster._fault_network._merge import MergeEngine
from skgeoclust.cluster._fault_network._progress import progress
from skgeoclust.cluster._fault_network._subsets import auto_subsets, ward_groups

#: each level of groups of subsets may hold this many times the events of the
#: level below (the first level: ``max_subset_size``)
_GROUP_FACTOR = 2


class MergeSettings(NamedTuple):
    """The estimator's parameters that shape atomization and merging."""

    criteria: tuple  # merge criteria in turn, e.g. ("local", "global")
    min_points: int
    reg_covar: float
    overlap_factor: float
    refit: bool
    lazy: bool


class PartModel(NamedTuple):
    """Kernels and background boxes of a part of the catalog (a subset, or a group
    of subsets) after its own merging; weights and densities are on the scale of
    the whole catalog (fractions of its weight)."""

    means: np.ndarray  # (k, d)
    covariances: np.ndarray  # (k, d, d), without reg_covar
    weights: np.ndarray  # (k,)
    bkg_centers: np.ndarray  # (b, d)
    bkg_axes: np.ndarray  # (b, d, d)
    bkg_half_extents: np.ndarray  # (b, d)
    bkg_weights: np.ndarray  # (b,)
    holding_capacity: int
    n_merges: int
    n_pruned: int
    density: np.ndarray  # (n_part,), the mixture density at the part's events


class NetworkFit(NamedTuple):
    """The fitted mixture and what the fit learned about the training events."""

    means: np.ndarray  # (k, d)
    covariances: np.ndarray  # (k, d, d), reg_covar included
    weights: np.ndarray  # (k,)
    bkg_centers: np.ndarray  # (b, d)
    bkg_axes: np.ndarray  # (b, d, d)
    bkg_half_extents: np.ndarray  # (b, d)
    bkg_weights: np.ndarray  # (b,)
    labels: np.ndarray  # (n,), index into means, -1 for background
    log_density: np.ndarray  # (n,), log of the mixture density
    bic: float
    bic_path: np.ndarray
    holding_capacity: int
    n_merges: int
    n_pruned: int
    subset_of_sample: np.ndarray  # (n,)


def _run_engine(
    X,
    sample_weight,
    atoms,
    settings,
    *,
    total_weight=None,
    reference_density=None,
    final_refit=False,
    verbose=0,
):
    """Run an engine to the end of its merging.

    A subset's (or a single catalog's) engine alternates merge passes and weight
    refits until a pass changes nothing (``settings.refit``). An engine that joins
    parts (``reference_density`` given) makes one merge pass per criterion without
    refits: a refit moves every weight a little and would thaw every kernel, while
    the parts' own refits have already set the weights away from the borders;
    ``final_refit`` then re-estimates the weights once at its end (the pass over
    the whole catalog).
    """
    joining = reference_density is not None
    engine = MergeEngine(
        X,
        sample_weight,
        atoms,
        reg_covar=settings.reg_covar,
        overlap_factor=settings.overlap_factor,
        verbose=verbose,
        lazy=settings.lazy,
        total_weight=total_weight,
        reference_density=reference_density,
    )
    engine.run(
        settings.criteria,
        refit=settings.refit and not joining,
        min_count=settings.min_points,
    )
    if joining and final_refit and settings.refit:
        engine.n_pruned += engine.refit_weights(settings.min_points)
    return engine


def _coincident_atoms(X, sample_weight, settings):
    """Atoms of events that all lie within the model's resolution
    (``sqrt(12 reg_covar)``, the background's minimum side): one Gaussian with
    their moments if there are ``min_points`` of them, else only the background.
    Their Ward tree would cost O(n^2) to say the same."""
    n, d = X.shape
    total = sample_weight.sum()
    mean = sample_weight @ X / total
    centred = X - mean
    cov = (centred * sample_weight[:, None]).T @ centred / total
    kernel = n >= settings.min_points
    side = np.sqrt(12.0 * settings.reg_covar)
    return Atoms(
        means=mean[None] if kernel else np.empty((0, d)),
        covariances=cov[None] if kernel else np.empty((0, d, d)),
        weights=np.ones(1 if kernel else 0),
        atom_of_sample=np.zeros(n, dtype=np.int64) if kernel else np.full(n, -1),
        subset_of_sample=np.zeros(n, dtype=np.int64),
        bkg_centers=mean[None],
        bkg_axes=np.eye(d)[None],
        bkg_half_extents=np.maximum(0.5 * np.ptp(X, axis=0), 0.5 * side)[None],
        bkg_weights=np.array([0.0 if kernel else 1.0]),
        capacity_per_subset=np.array([int(kernel)]),
        clusters_per_subset=np.array([1]),
    )


def _atomize_subset(X, sample_weight, settings):
    if np.ptp(X, axis=0).max() <= np.sqrt(12.0 * settings.reg_covar):
        return _coincident_atoms(X, sample_weight, settings)
    return atomize(
        X,
        sample_weight,
        ward_tree(X),
        n_subsets=1,
        min_points=settings.min_points,
        min_side=np.sqrt(12.0 * settings.reg_covar),
    )


def _part_model(engine, share, capacity, n_merges=0, n_pruned=0):
    """What an engine over a part of the catalog leaves, rescaled from the part's
    weight to the catalog's (``share``: the part's fraction of it)."""
    live = engine._live()
    return PartModel(
        means=engine.means[live].copy(),
        covariances=engine.cov_raw[live].copy(),
        weights=engine.weights[live] * share,
        bkg_centers=engine.bkg_centers.copy(),
        bkg_axes=engine.bkg_axes.copy(),
        bkg_half_extents=engine.bkg_half.copy(),
        bkg_weights=engine.bkg_weights * share,
        holding_capacity=int(capacity),
        n_merges=n_merges + int(engine.n_merges),
        n_pruned=n_pruned + int(engine.n_pruned),
        density=engine.p * share,
    )


def merge_subset(X, sample_weight, total_weight, settings):
    """Atomize one subset on its own Ward tree and merge its kernels, with the
    BIC penalty of the whole catalog (``total_weight``). A joblib task.

    Returns
    -------
    model : PartModel
    """
    atoms = _atomize_subset(X, sample_weight, settings)
    engine = _run_engine(X, sample_weight, atoms, settings, total_weight=total_weight)
    share = sample_weight.sum() / total_weight
    return _part_model(engine, share, atoms.means.shape[0])


def merge_group(X, sample_weight, total_weight, settings, parts, reference):
    """Merge the kernels of several parts over the union of their events, with
    the BIC penalty of the whole catalog; kernels untouched by the union stay
    frozen (see ``MergeEngine``'s ``reference_density``). A joblib task.

    Parameters
    ----------
    X, sample_weight : the union's events (in the order of ``reference``)
    total_weight : float
    settings : MergeSettings
    parts : list of PartModel
        Catalog-scale weights.
    reference : ndarray of shape (n_union,)
        Each event's density at the end of its part's merging, catalog scale.

    Returns
    -------
    model : PartModel
    """
    share = sample_weight.sum() / total_weight
    atoms = _join_parts(parts, X.shape[1], scale=1.0 / share)
    engine = _run_engine(
        X,
        sample_weight,
        atoms,
        settings,
        total_weight=total_weight,
        reference_density=reference / share,
    )
    return _part_model(
        engine,
        share,
        sum(p.holding_capacity for p in parts),
        sum(p.n_merges for p in parts),
        sum(p.n_pruned for p in parts),
    )


def _join_parts(parts, d, scale=1.0):
    """The kernels and backgrounds of several parts as one set of atoms, weights
    multiplied by ``scale``."""
    return Atoms(
        means=np.concatenate([p.means for p in parts]).reshape(-1, d),
        covariances=np.concatenate([p.covariances for p in parts]).reshape(-1, d, d),
        weights=np.concatenate([p.weights for p in parts]) * scale,
        atom_of_sample=None,
        subset_of_sample=None,
        bkg_centers=np.concatenate([p.bkg_centers for p in parts]).reshape(-1, d),
        bkg_axes=np.concatenate([p.bkg_axes for p in parts]).reshape(-1, d, d),
        bkg_half_extents=np.concatenate([p.bkg_half_extents for p in parts]).reshape(
            -1, d
        ),
        bkg_weights=np.concatenate([p.bkg_weights for p in parts]) * scale,
        capacity_per_subset=np.array([p.holding_capacity for p in parts]),
        clusters_per_subset=None,
    )


def fit_network(
    X, sample_weight, settings, *, n_subsets, max_subset_size, n_jobs=None, verbose=0
):
    """Fit the fault network of a catalog.

    ``n_subsets="auto"``: subsets of at most ``max_subset_size`` events
    (:func:`auto_subsets`), each atomized on its own Ward tree and merged on its
    own (joblib tasks, so a Dask backend spreads them over a cluster), then one
    pass merges all their kernels over the whole catalog: the pairs that straddle
    subset borders, and any others the whole mixture now favours. A catalog of at
    most ``max_subset_size`` events is one subset and gets no second pass.

    ``n_subsets`` an integer: the paper's §4.3, one Ward tree of the catalog cut
    into that many subsets, each atomized on its subtree, all atoms merged together.

    Returns
    -------
    fit : NetworkFit
    """
    n, d = X.shape
    total = float(sample_weight.sum())
    extent = float(np.ptp(X, axis=0).max()) if n else 0.0
    resolution = np.sqrt(12.0 * settings.reg_covar)
    if extent <= resolution:
        n_subsets = 1  # one location: no tree to cut
    if n_subsets == "auto":
        subset = auto_subsets(
            X,
            max_subset_size,
            max(max_subset_size // 16, 4 * settings.min_points),
            resolution,
        )
        n_parts = int(subset.max()) + 1
        if n_parts == 1:
            atoms = _atomize_subset(X, sample_weight, settings)
            capacity, n_merges, n_pruned = int(atoms.means.shape[0]), 0, 0
            reference = None
        else:
            members = [np.flatnonzero(subset == s) for s in range(n_parts)]
            tasks = (
                delayed(merge_subset)(X[idx], sample_weight[idx], total, settings)
                for idx in members
            )
            parts = _run_tasks(tasks, n_parts, "subsets", n_jobs, verbose)
            members, parts = _merge_levels(
                X,
                sample_weight,
                settings,
                members,
                parts,
                max_subset_size,
                n_jobs,
                verbose,
            )
            atoms = _join_parts(parts, d)
            reference = np.empty(n)
            for idx, part in zip(members, parts):
                reference[idx] = part.density
            capacity = int(sum(p.holding_capacity for p in parts))
            n_merges = int(sum(p.n_merges for p in parts))
            n_pruned = int(sum(p.n_pruned for p in parts))
    else:
        atoms = (
            _coincident_atoms(X, sample_weight, settings)
            if extent <= resolution
            else atomize(
                X,
                sample_weight,
                ward_tree(X),
                n_subsets=n_subsets,
                min_points=settings.min_points,
                min_side=np.sqrt(12.0 * settings.reg_covar),
                n_jobs=n_jobs,
            )
        )
        subset = atoms.subset_of_sample
        capacity, n_merges, n_pruned = int(atoms.means.shape[0]), 0, 0
        reference = None
    if verbose:
        print(
            f"{capacity} kernels at the holding capacity, {atoms.means.shape[0]} "
            f"to merge over {n} events"
        )
    engine = _run_engine(
        X,
        sample_weight,
        atoms,
        settings,
        reference_density=reference,
        final_refit=True,
        verbose=verbose,
    )
    return _network_fit(engine, capacity, n_merges, n_pruned, subset)


def _run_tasks(tasks, n_tasks, desc, n_jobs, verbose):
    return list(
        progress(
            Parallel(n_jobs=n_jobs, return_as="generator")(tasks),
            total=n_tasks,
            desc=desc,
            enabled=verbose > 0,
        )
    )


def _merge_levels(X, sample_weight, settings, members, parts, size, n_jobs, verbose):
    """Merge neighbouring parts level by level, each level's groups holding up to
    ``_GROUP_FACTOR`` times the events of the level below, until two parts are
    left for the pass over the whole catalog. Each level sees only the borders
    between its groups' parts; kernels elsewhere stay frozen."""
    while len(parts) > 2:
        size *= _GROUP_FACTOR
        if size >= X.shape[0]:
            break
        members, parts = _merge_groups(
            X, sample_weight, settings, members, parts, size, n_jobs, verbose
        )
    return members, parts


def _merge_groups(
    X, sample_weight, settings, members, parts, max_size, n_jobs, verbose
):
    """Merge neighbouring parts in groups of at most ``max_size`` events (the Ward
    tree of the parts' centroids cut from the top), so that the pass over the
    whole catalog sees only the borders between groups. One joblib task per
    group of two or more parts; returns the groups' members and models."""
    counts = np.array([idx.shape[0] for idx in members])
    if counts.sum() <= max_size:
        return members, parts
    centroids = np.array([X[idx].mean(axis=0) for idx in members])
    _, group = np.unique(ward_groups(centroids, counts, max_size), return_inverse=True)
    joined = [np.flatnonzero(group == g) for g in range(group.max() + 1)]
    if all(ids.shape[0] == 1 for ids in joined):
        return members, parts
    total = float(sample_weight.sum())
    reference = np.empty(X.shape[0])
    for idx, part in zip(members, parts):
        reference[idx] = part.density
    union = [np.sort(np.concatenate([members[i] for i in ids])) for ids in joined]
    tasks = (
        delayed(merge_group)(
            X[idx],
            sample_weight[idx],
            total,
            settings,
            [parts[i] for i in ids],
            reference[idx],
        )
        for idx, ids in zip(union, joined)
        if ids.shape[0] > 1
    )
    merged = iter(
        _run_tasks(
            tasks, sum(ids.shape[0] > 1 for ids in joined), "groups", n_jobs, verbose
        )
    )
    groups = [next(merged) if ids.shape[0] > 1 else parts[ids[0]] for ids in joined]
    return union, groups


def _network_fit(engine, capacity, n_merges, n_pruned, subset):
    if engine._labels_stale:
        engine._recompute_density()
    live = engine._live()
    slot = np.full(engine.n_kernels + 1, -1, dtype=np.int64)
    slot[live] = np.arange(live.shape[0])
    labels = np.full(engine.labels.shape[0], -1, dtype=np.int64)
    on_kernel = engine.labels >= 0
    labels[on_kernel] = slot[engine.labels[on_kernel]]
    with np.errstate(divide="ignore"):
        log_density = np.log(engine.p)
    keep = engine.bkg_weights > 0
    return NetworkFit(
        means=engine.means[live].copy(),
        covariances=engine.cov_reg[live].copy(),
        weights=engine.weights[live].copy(),
        bkg_centers=engine.bkg_centers[keep],
        bkg_axes=engine.bkg_axes[keep],
        bkg_half_extents=engine.bkg_half[keep],
        bkg_weights=engine.bkg_weights[keep].copy(),
        labels=labels,
        log_density=log_density,
        bic=float(engine.bic()),
        bic_path=np.asarray(engine.bic_path),
        holding_capacity=capacity,
        n_merges=n_merges + int(engine.n_merges),
        n_pruned=n_pruned + int(engine.n_pruned),
        subset_of_sample=subset,
    )
