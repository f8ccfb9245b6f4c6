"""The fit of a fault network from start to end: subsets, their atomization and
merging, and the pass over the whole catalog (Kamer et al. 2020, §3.1 and §4.3)."""
# SPDX-License-Identifier: BSD-3-Clause

from typing import NamedTuple

import numpy as np
from joblib import Parallel, delayed

from skgeoclust.cluster._fault_network._atomize import Atoms, atomize, ward_tree
from skgeoclust.cluster._fault_network._merge import MergeEngine
from skgeoclust.cluster._fault_network._progress import progress
from skgeoclust.cluster._fault_network._subsets import auto_subsets


class MergeSettings(NamedTuple):
    """The estimator's parameters that shape atomization and merging."""

    criteria: tuple  # merge criteria in turn, e.g. ("local", "global")
    min_points: int
    reg_covar: float
    overlap_factor: float
    refit: bool
    lazy: bool


class SubsetModel(NamedTuple):
    """Kernels and background box of one subset after its own merging; weights
    are fractions of the whole catalog's weight."""

    means: np.ndarray  # (k, d)
    covariances: np.ndarray  # (k, d, d), without reg_covar
    weights: np.ndarray  # (k,)
    bkg_center: np.ndarray  # (d,)
    bkg_axes: np.ndarray  # (d, d)
    bkg_half_extents: np.ndarray  # (d,)
    bkg_weight: float
    holding_capacity: int
    n_merges: int
    n_pruned: int
    density: np.ndarray  # (n_subset,), the mixture density at the subset's events


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
    verbose=0,
):
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
    engine.run(settings.criteria, refit=settings.refit, min_count=settings.min_points)
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


def merge_subset(X, sample_weight, total_weight, settings):
    """Atomize one subset on its own Ward tree and merge its kernels, with the
    BIC penalty of the whole catalog (``total_weight``). A joblib task.

    Returns
    -------
    model : SubsetModel
    """
    atoms = _atomize_subset(X, sample_weight, settings)
    engine = _run_engine(X, sample_weight, atoms, settings, total_weight=total_weight)
    live = engine._live()
    share = sample_weight.sum() / total_weight
    return SubsetModel(
        means=engine.means[live].copy(),
        covariances=engine.cov_raw[live].copy(),
        weights=engine.weights[live] * share,
        bkg_center=atoms.bkg_centers[0],
        bkg_axes=atoms.bkg_axes[0],
        bkg_half_extents=atoms.bkg_half_extents[0],
        bkg_weight=float(engine.bkg_weights[0] * share)
        if engine.bkg_weights.size
        else 0.0,
        holding_capacity=int(atoms.means.shape[0]),
        n_merges=int(engine.n_merges),
        n_pruned=int(engine.n_pruned),
        density=engine.p * share,
    )


def _join_subsets(models, d):
    """The kernels and backgrounds of all subsets as one set of atoms."""
    return Atoms(
        means=np.concatenate([m.means for m in models]).reshape(-1, d),
        covariances=np.concatenate([m.covariances for m in models]).reshape(-1, d, d),
        weights=np.concatenate([m.weights for m in models]),
        atom_of_sample=None,
        subset_of_sample=None,
        bkg_centers=np.array([m.bkg_center for m in models]),
        bkg_axes=np.array([m.bkg_axes for m in models]),
        bkg_half_extents=np.array([m.bkg_half_extents for m in models]),
        bkg_weights=np.array([m.bkg_weight for m in models]),
        capacity_per_subset=np.array([m.holding_capacity for m in models]),
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
                delayed(merge_subset)(
                    X[idx],
                    sample_weight[idx],
                    total,
                    settings,
                )
                for idx in members
            )
            models = list(
                progress(
                    Parallel(n_jobs=n_jobs, return_as="generator")(tasks),
                    total=n_parts,
                    desc="subsets",
                    enabled=verbose > 0,
                )
            )
            atoms = _join_subsets(models, d)
            reference = np.empty(n)
            for idx, model in zip(members, models):
                reference[idx] = model.density
            capacity = int(sum(m.holding_capacity for m in models))
            n_merges = int(sum(m.n_merges for m in models))
            n_pruned = int(sum(m.n_pruned for m in models))
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
        X, sample_weight, atoms, settings, reference_density=reference, verbose=verbose
    )
    return _network_fit(engine, capacity, n_merges, n_pruned, subset)


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
