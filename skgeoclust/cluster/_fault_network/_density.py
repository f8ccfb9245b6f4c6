"""The fitted fault-network mixture as a density over all space: kernel shapes
(Gaussian or finite plane), background boxes with power-law tails; labels, log
densities, responsibilities and samples."""
# SPDX-License-Identifier: BSD-3-Clause

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numba
import numpy as np

from skgeoclust._kernels.planes import (
    PRUNE_NATS,
    kernel_log_norm,
    label_and_score,
    label_and_score_serial,
    plane_shape_gains,
    weighted_log_densities,
)

#: floor of the standard deviation of the Gaussian that softens a plane kernel's
#: edges, as a fraction of the half-side (on top of the kernel's thickness and the
#: sampling error of the edge)
EDGE_SOFTENING = 0.05
#: variance of a half-side estimated from the second moment of n uniform points,
#: relative to its square, times n: Var(x^2) / E[x^2]^2 / 4 = (4/45) / (1/9) / 4
_EDGE_SAMPLING_VARIANCE = 0.2
#: fewest background events the tails of a box assume (two make the posterior
#: predictive proper; a box of one event is otherwise improper)
MIN_TAIL_EVENTS = 2.0
#: below this many points the reductions run serially (thread start-up dominates)
_SERIAL_SAMPLES = 4096
#: rows per block of the (n_samples x n_components) matrices: about 32 MB of float64
_BLOCK_VALUES = 1 << 22
#: events per spatial block of the labelling passes (octree cells): each block
#: visits only the kernels that can come within PRUNE_NATS of its backgrounds
_SPATIAL_BLOCK = 4096

KERNELS = ("auto", "gaussian", "plane")


class MixtureDensity(NamedTuple):
    """Everything the evaluation kernels need (see ``skgeoclust._kernels.planes``)."""

    log_weights: np.ndarray  # (n_kernels,)
    means: np.ndarray  # (n_kernels, d)
    axes: np.ndarray  # (n_kernels, d, d), orthonormal rows, largest variance first
    half: np.ndarray  # (n_kernels, d), half-side of the uniform part per axis
    soft: np.ndarray  # (n_kernels, d), std of the Gaussian part per axis
    log_norms: np.ndarray  # (n_kernels,), constant part of each log density
    bkg_log_weights: np.ndarray  # (n_bkg,)
    bkg_centers: np.ndarray  # (n_bkg, d)
    bkg_axes: np.ndarray  # (n_bkg, d, d)
    bkg_half: np.ndarray  # (n_bkg, d)
    bkg_tail: np.ndarray  # (n_bkg,), exponent m of the tails
    bkg_log_norms: np.ndarray  # (n_bkg,), log density inside the box

    def arrays(self):
        return tuple(np.ascontiguousarray(a) for a in self)


def kernel_shapes(covariances, is_plane, n_events, edge_softening=EDGE_SOFTENING):
    """Axes and per-axis (uniform half-side, Gaussian std) of each kernel, with
    exactly the covariance it is given.

    With eigenvalues ``l_1 >= ... >= l_d`` of the covariance:

    * Gaussian: half-sides 0, standard deviations ``sqrt(l_i)``;
    * plane: across the plane (last axis) the Gaussian ``N(0, l_d)``; along
      each in-plane axis a uniform ``[-a_i, a_i]`` convolved with ``N(0, s_i^2)``,
      ``s_i^2 = l_d + (f a_i)^2`` (the thickness, plus a fraction ``f`` of the
      half-side for the uncertain edge) and
      ``a_i = sqrt((l_i - l_d) / (1/3 + f^2))``, so that the variance
      ``a_i^2 / 3 + s_i^2`` is ``l_i``. For a thin plane ``a_i`` is about
      ``sqrt(3 l_i)``, the half-side of the uniform rectangle with the same
      second moment; where ``l_i = l_d`` the axis is Gaussian. The edge
      fraction is ``f^2 = f_0^2 + 0.2 / n``: a floor ``f_0`` (the merged kernel is
      not an exact rectangle) and the relative sampling variance of a half-side
      estimated from the second moment of ``n`` uniform points (``0.2 / n``).

    Parameters
    ----------
    covariances : ndarray of shape (n_kernels, d, d)
    is_plane : ndarray of shape (n_kernels,) of bool
        Which kernels take the plane shape (the others are Gaussian).
    n_events : ndarray of shape (n_kernels,)
        Expected number of events of each kernel (``N w_k``).
    edge_softening : float
        ``f_0``.

    Returns
    -------
    axes : ndarray of shape (n_kernels, d, d)
    half, soft : ndarray of shape (n_kernels, d)
    """
    n, d = covariances.shape[0], covariances.shape[-1]
    eigval, eigvec = np.linalg.eigh(covariances.reshape(n, d, d))
    eigval = np.clip(eigval[:, ::-1], np.finfo(np.float64).tiny, None)
    axes = np.ascontiguousarray(np.swapaxes(eigvec[:, :, ::-1], 1, 2))
    half = np.zeros((n, d))
    soft = np.sqrt(eigval)
    plane = np.asarray(is_plane, dtype=bool).reshape(n) & (d > 1)
    if plane.any():
        f_sq = edge_softening**2 + _EDGE_SAMPLING_VARIANCE / np.maximum(
            np.asarray(n_events, dtype=np.float64).reshape(n, 1)[plane], 1.0
        )
        thickness = eigval[plane, -1:]
        in_plane = np.clip(eigval[plane, :-1] - thickness, 0.0, None)
        plane_half = np.sqrt(in_plane / (1.0 / 3.0 + f_sq))
        half[plane, :-1] = plane_half
        soft[plane, :-1] = np.sqrt(thickness + f_sq * plane_half**2)
    return axes, half, soft


def log_norms_of(half, soft):
    """:func:`~skgeoclust._kernels.planes.kernel_log_norm` of every kernel."""
    return np.array([kernel_log_norm(h, s) for h, s in zip(half, soft)])


def background_log_norms(bkg_half, bkg_tail):
    """Log density inside each box: ``sum_i log((m - 1) / ((m + 1) 2 h_i))``."""
    m = np.asarray(bkg_tail)[:, None]
    return np.log((m - 1.0) / (m + 1.0) / (2.0 * bkg_half)).sum(axis=1)


def background_tails(bkg_weights, n_effective):
    """Tail exponent ``m`` of each background box: its expected number of events
    ``N w_b`` (at least :data:`MIN_TAIL_EVENTS`)."""
    return np.maximum(np.asarray(bkg_weights) * n_effective, MIN_TAIL_EVENTS)


def build_density(
    means,
    covariances,
    weights,
    bkg_centers,
    bkg_axes,
    bkg_half,
    bkg_weights,
    *,
    is_plane,
    n_effective,
):
    """The :class:`MixtureDensity` of a fitted model."""
    d = bkg_centers.shape[1] if means.size == 0 else means.shape[1]
    means = means.reshape(-1, d)
    axes, half, soft = kernel_shapes(
        covariances.reshape(-1, d, d), is_plane, np.asarray(weights) * n_effective
    )
    with np.errstate(divide="ignore"):
        log_weights = np.log(weights)
        bkg_log_weights = np.log(bkg_weights)
    bkg_half = bkg_half.reshape(-1, d)
    bkg_tail = background_tails(bkg_weights, n_effective)
    return MixtureDensity(
        log_weights=log_weights,
        means=means,
        axes=axes,
        half=half,
        soft=soft,
        log_norms=log_norms_of(half, soft),
        bkg_log_weights=bkg_log_weights,
        bkg_centers=bkg_centers.reshape(-1, d),
        bkg_axes=bkg_axes.reshape(-1, d, d),
        bkg_half=bkg_half,
        bkg_tail=bkg_tail,
        bkg_log_norms=background_log_norms(bkg_half, bkg_tail),
    )


def choose_plane_kernels(kernel, X, sample_weight, density_args, n_effective):
    """Which kernels take the plane shape.

    ``"gaussian"``: none; ``"plane"``: all (in one dimension a plane is a point:
    none); ``"auto"``: from the model with every kernel Gaussian, each kernel whose
    plane shape alone raises the weighted log-likelihood of the training data
    (:func:`~skgeoclust._kernels.planes.plane_shape_gains`, one pass over ``X``).
    Both shapes have the kernel's mean and covariance, so the choice adds no
    continuous parameter.

    Parameters
    ----------
    kernel : {"auto", "gaussian", "plane"}
    X : ndarray of shape (n_samples, n_features)
    sample_weight : ndarray of shape (n_samples,)
    density_args : tuple
        ``(means, covariances, weights, bkg_centers, bkg_axes, bkg_half,
        bkg_weights)``.
    n_effective : float

    Returns
    -------
    is_plane : ndarray of shape (n_kernels,) of bool
    """
    covariances, weights = density_args[1:3]
    n_k = np.asarray(weights).shape[0]
    if kernel == "gaussian" or n_k == 0 or X.shape[1] < 2:
        return np.zeros(n_k, dtype=bool)
    if kernel == "plane":
        return np.ones(n_k, dtype=bool)
    gauss = build_density(
        *density_args, is_plane=np.zeros(n_k, dtype=bool), n_effective=n_effective
    )
    _, log_p = labels_and_log_density(gauss, X)
    _, plane_half, plane_soft = kernel_shapes(
        covariances.reshape(n_k, X.shape[1], X.shape[1]),
        np.ones(n_k, dtype=bool),
        np.asarray(weights) * n_effective,
    )
    X = np.ascontiguousarray(X, dtype=np.float64)
    sample_weight = np.ascontiguousarray(sample_weight, dtype=np.float64)
    plane = gauss._replace(
        half=np.ascontiguousarray(plane_half),
        soft=np.ascontiguousarray(plane_soft),
        log_norms=log_norms_of(plane_half, plane_soft),
    )
    blocks = _spatial_blocks(X)
    if blocks is None:
        gains = _shape_gains(X, sample_weight, log_p, gauss, plane)
        return gains > 0.0
    reach = _KernelReach.of(gauss, plane)
    parts = [None] * len(blocks)

    def one(b):
        rows = blocks[b]
        Xb = X[rows]
        kept = reach.candidates(Xb, _background_floor(gauss, Xb))
        g, q = _restrict(gauss, kept), _restrict(plane, kept)
        parts[b] = (kept, _shape_gains(Xb, sample_weight[rows], log_p[rows], g, q))

    _map_blocks(one, range(len(blocks)))
    gains = np.zeros(n_k)
    for kept, block_gains in parts:  # in block order: the same sums every run
        gains[kept] += block_gains
    return gains > 0.0


def _shape_gains(X, sample_weight, log_p, gauss, plane):
    """:func:`~skgeoclust._kernels.planes.plane_shape_gains` of two densities that
    differ only in their kernels' shapes."""
    gains = np.empty(gauss.log_weights.shape[0])
    plane_shape_gains(
        X,
        sample_weight,
        log_p,
        gauss.log_weights,
        gauss.means,
        gauss.axes,
        gauss.soft,
        gauss.log_norms,
        plane.half,
        plane.soft,
        plane.log_norms,
        gains,
    )
    return gains


def background_plateau(density):
    """Density of each background inside its box: ``w_b prod_i (m - 1) / ((m + 1)
    2 h_i)``."""
    return np.exp(density.bkg_log_weights + density.bkg_log_norms)


def labels_and_log_density(density, X):
    """Hard label (``-1`` for every background) and log density of each point.

    Returns
    -------
    labels : ndarray of shape (n_samples,) of int64
    log_density : ndarray of shape (n_samples,)
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    labels = np.empty(X.shape[0], dtype=np.int64)
    log_density = np.empty(X.shape[0])
    blocks = _spatial_blocks(X)
    if blocks is None:
        fill = (
            label_and_score_serial if X.shape[0] < _SERIAL_SAMPLES else label_and_score
        )
        fill(X, *density.arrays(), labels, log_density)
    else:
        reach = _KernelReach.of(density)

        def one(rows):
            Xb = X[rows]
            kept = reach.candidates(Xb, _background_floor(density, Xb))
            lab = np.empty(rows.shape[0], dtype=np.int64)
            lp = np.empty(rows.shape[0])
            label_and_score_serial(Xb, *_restrict(density, kept).arrays(), lab, lp)
            on_kernel = lab >= 0
            lab[on_kernel] = kept[lab[on_kernel]]
            labels[rows] = lab
            log_density[rows] = lp

        _map_blocks(one, blocks)
    labels[labels < 0] = -1
    return labels, log_density


class _KernelReach(NamedTuple):
    """A bound on each kernel's weighted log density by the distance to its mean:
    ``peak - ((dist - spread)_+ / scale)^2 / 2``. Along a kernel's axis with
    half-side ``a`` and softening ``s`` the log density is at most its constant
    part minus ``((|y| - a)_+ / s)^2 / 2`` (see ``kernel_log_density``); summed
    over the ``d`` axes that is at least ``(|y| - sum a)_+^2 / (d s_max^2)``."""

    means: np.ndarray
    peak: np.ndarray
    spread: np.ndarray
    scale: np.ndarray

    @classmethod
    def of(cls, *densities):
        """The loosest bound over kernel shapes with the same means and weights."""
        d = densities[0].means.shape[1]
        return cls(
            means=densities[0].means,
            peak=np.max([m.log_weights + m.log_norms for m in densities], axis=0),
            spread=np.max([m.half.sum(axis=1) for m in densities], axis=0),
            scale=np.max([m.soft.max(axis=1) for m in densities], axis=0) * np.sqrt(d),
        )

    def candidates(self, Xb, floor):
        """Kernels whose bound over the bounding box of ``Xb`` reaches ``floor``."""
        if not np.isfinite(floor):
            return np.arange(self.means.shape[0])
        lo, hi = Xb.min(axis=0), Xb.max(axis=0)
        gap = np.maximum(np.maximum(lo - self.means, self.means - hi), 0.0)
        excess = np.maximum(np.linalg.norm(gap, axis=1) - self.spread, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = self.peak - 0.5 * (excess / self.scale) ** 2
        return np.flatnonzero(~(bound < floor))


def _spatial_blocks(X):
    """Index arrays of octree cells of at most ``_SPATIAL_BLOCK`` events, or None
    when one block will do (small or not 3-D)."""
    if X.shape[0] <= 2 * _SPATIAL_BLOCK or X.shape[1] != 3:
        return None
    from skgeoclust.cluster._fault_network._subsets import octree_cells

    cell = octree_cells(X, _SPATIAL_BLOCK, 0.0)
    order = np.argsort(cell, kind="stable")
    bounds = np.flatnonzero(np.diff(cell[order])) + 1
    return np.split(order, bounds)


def _map_blocks(func, blocks):
    """Run ``func`` on every block, on the Numba threads (the kernels release the
    GIL)."""
    n_threads = max(1, numba.get_num_threads())
    if n_threads == 1:
        for rows in blocks:
            func(rows)
        return
    with ThreadPoolExecutor(n_threads) as pool:
        for _ in pool.map(func, blocks):
            pass


def _restrict(density, kept):
    """The density with only the kernels ``kept`` (and every background)."""
    return density._replace(
        log_weights=density.log_weights[kept],
        means=density.means[kept],
        axes=density.axes[kept],
        half=density.half[kept],
        soft=density.soft[kept],
        log_norms=density.log_norms[kept],
    )


def _background_floor(density, Xb):
    """The smallest, over the events of ``Xb``, best weighted background log
    density, less ``PRUNE_NATS``: a kernel below it anywhere in the block can be
    no event's label and moves no log density by more than ``exp(-PRUNE_NATS)``
    relatively, so the kernels skip it there anyway."""
    if density.bkg_log_weights.shape[0] == 0:
        return -np.inf
    terms = np.empty((Xb.shape[0], density.bkg_log_weights.shape[0]))
    weighted_log_densities(
        Xb, *_restrict(density, np.empty(0, dtype=np.int64)).arrays(), terms
    )
    return float(terms.max(axis=1).min()) - PRUNE_NATS


def _row_blocks(n_samples, n_columns):
    step = max(1, _BLOCK_VALUES // max(n_columns, 1))
    return [slice(i, min(i + step, n_samples)) for i in range(0, n_samples, step)]


def weighted_log_prob(density, X):
    """``log(w_c p_c(x))`` of every component: kernels, then backgrounds.

    Returns
    -------
    ndarray of shape (n_samples, n_kernels + n_backgrounds)
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    n_cols = density.log_weights.shape[0] + density.bkg_log_weights.shape[0]
    out = np.empty((X.shape[0], n_cols))
    arrays = density.arrays()
    for rows in _row_blocks(X.shape[0], n_cols):
        weighted_log_densities(X[rows], *arrays, out[rows])
    return out


def responsibilities(density, X):
    """Posterior probability of every component (rows sum to one).

    The block is normalised in place, so only the output matrix is allocated.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    n_cols = density.log_weights.shape[0] + density.bkg_log_weights.shape[0]
    out = np.empty((X.shape[0], n_cols))
    arrays = density.arrays()
    for rows in _row_blocks(X.shape[0], n_cols):
        block = out[rows]
        weighted_log_densities(X[rows], *arrays, block)
        block -= block.max(axis=1, keepdims=True)
        np.exp(block, out=block)
        block /= block.sum(axis=1, keepdims=True)
    return out


def sample(density, n_samples, rng):
    """Draw from the mixture.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    component : ndarray of shape (n_samples,)
        Kernel index, or ``-1 - b`` for background ``b``.
    """
    n_k = density.log_weights.shape[0]
    weights = np.exp(np.r_[density.log_weights, density.bkg_log_weights])
    comp = rng.choice(weights.shape[0], size=n_samples, p=weights / weights.sum())
    d = density.bkg_centers.shape[1] if n_k == 0 else density.means.shape[1]
    X = np.empty((n_samples, d))
    for c in np.unique(comp):
        idx = np.flatnonzero(comp == c)
        m = idx.shape[0]
        if c < n_k:
            half, soft = density.half[c], density.soft[c]
            y = rng.uniform(-1.0, 1.0, size=(m, d)) * half
            y += rng.standard_normal((m, d)) * soft
            X[idx] = density.means[c] + y @ density.axes[c]
            continue
        b = c - n_k
        half, tail = density.bkg_half[b], density.bkg_tail[b]
        # per axis: the plateau with probability (m - 1) / (m + 1), else a tail
        # side, where 1 + t / R is Pareto with exponent m - 1
        y = rng.uniform(-1.0, 1.0, size=(m, d)) * half
        in_tail = rng.uniform(size=(m, d)) >= (tail - 1.0) / (tail + 1.0)
        u = rng.uniform(size=(m, d))
        t = 2.0 * half * (u ** (-1.0 / (tail - 1.0)) - 1.0)
        side = rng.choice([-1.0, 1.0], size=(m, d))
        y = np.where(in_tail, side * (half + t), y)
        X[idx] = density.bkg_centers[b] + y @ density.bkg_axes[b]
    return X, np.where(comp < n_k, comp, n_k - 1 - comp)
