"""Log densities of the fitted fault-network mixture: finite-plane (or Gaussian)
kernels and background boxes with power-law tails, in log space for any point."""
# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np
from numba import njit, prange

from skgeoclust.utils._config import NUMBA_CACHE

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
#: below this ratio of half-side to softening an axis is the Gaussian limit
#: (relative error of the density under ``1e-12 * (y / soft)**2``)
_GAUSSIAN_LIMIT = 1e-6
#: a component whose upper bound is this many nats below the best term so far
#: is skipped by the reductions (it moves the log density by less than 1e-17)
PRUNE_NATS = 40.0


@njit(cache=NUMBA_CACHE, nogil=True)
def log_ndtr(z):
    """``log Phi(z)``, the log of the standard normal CDF, accurate for any ``z``.

    ``log1p(-erfc(z / sqrt 2) / 2)`` above 0, ``log(erfc(-z / sqrt 2) / 2)``
    down to ``z = -20``; below, the asymptotic series
    ``Phi(z) = phi(z) / |z| * (1 - 1/z^2 + 3/z^4 - ...)`` (ten terms: the
    truncation error is below 1e-16 there).
    """
    if z > 0.0:
        return math.log1p(-0.5 * math.erfc(z / math.sqrt(2.0)))
    if z > -20.0:
        return math.log(0.5 * math.erfc(-z / math.sqrt(2.0)))
    inv = 1.0 / (z * z)
    term = 1.0
    total = 1.0
    for k in range(1, 11):
        term *= -(2.0 * k - 1.0) * inv
        total += term
    return -0.5 * z * z - math.log(-z) - LOG_SQRT_2PI + math.log(total)


@njit(cache=NUMBA_CACHE, nogil=True)
def log_normal_interval(lower, upper):
    """``log(Phi(upper) - Phi(lower))`` for ``lower < upper``, without cancellation.

    Both bounds on one side of zero: the difference of the two tail
    probabilities on the negative side, as ``log Phi(u) + log(-expm1(log Phi(l)
    - log Phi(u)))``; straddling zero: ``(erf(u / sqrt 2) + erf(-l / sqrt 2)) / 2``,
    a sum of two positive numbers.
    """
    if lower > 0.0:
        lower, upper = -upper, -lower
    if upper <= 0.0:
        log_u = log_ndtr(upper)
        if log_u == -np.inf:  # |upper| beyond 1e154: the square overflows
            return -np.inf
        log_l = log_ndtr(lower)
        return log_u + math.log(-math.expm1(log_l - log_u))
    return math.log(
        0.5 * (math.erf(upper / math.sqrt(2.0)) + math.erf(-lower / math.sqrt(2.0)))
    )


@njit(cache=NUMBA_CACHE, nogil=True)
def log_smoothed_box(y, half, soft):
    """Log density at ``y`` of ``U(-half, half)`` convolved with ``N(0, soft^2)``.

    .. math::

        p(y) = \\frac{\\Phi((y + a) / s) - \\Phi((y - a) / s)}{2 a}

    It integrates to one exactly and has variance ``a^2 / 3 + s^2``. With
    ``half = 0`` (or ``half < 1e-6 soft``) it is the normal density ``N(0, s^2)``.
    """
    if half <= _GAUSSIAN_LIMIT * soft:
        z = y / soft
        return -0.5 * z * z - math.log(soft) - LOG_SQRT_2PI
    return log_normal_interval((y - half) / soft, (y + half) / soft) - math.log(
        2.0 * half
    )


@njit(cache=NUMBA_CACHE, nogil=True)
def log_box_tail(y, half, tail):
    """Log density at ``y`` of the posterior predictive of a uniform distribution
    on an unknown interval, observed to span ``[-half, half]`` with ``tail``
    events (scale-invariant prior on the interval's length ``R = 2 half``).

    .. math::

        p(y) = \\frac{m - 1}{(m + 1) R}
        \\left(1 + \\frac{\\max(|y| - R/2, 0)}{R}\\right)^{-m}

    It integrates to one exactly for ``m > 1``.
    """
    r = 2.0 * half
    return (
        math.log((tail - 1.0) / (tail + 1.0)) - math.log(r) + _tail_term(y, half, tail)
    )


@njit(cache=NUMBA_CACHE, nogil=True)
def _tail_term(y, half, tail):
    t = abs(y) - half
    if t > 0.0:
        return -tail * math.log1p(t / (2.0 * half))
    return 0.0


@njit(cache=NUMBA_CACHE, nogil=True)
def _project(X, n, centers, axes, k, a):
    """``(X[n] - centers[k]) . axes[k, a]``, indexing in place (slices in the
    inner loops cost reference counting)."""
    proj = 0.0
    for c in range(X.shape[1]):
        proj += (X[n, c] - centers[k, c]) * axes[k, a, c]
    return proj


@njit(cache=NUMBA_CACHE, nogil=True)
def kernel_log_norm(half, soft):
    """Constant part of :func:`kernel_log_density`: ``-log(2 a)`` per plane axis,
    ``-log(s sqrt(2 pi))`` per Gaussian axis."""
    total = 0.0
    for a in range(half.shape[0]):
        if half[a] <= _GAUSSIAN_LIMIT * soft[a]:
            total -= math.log(soft[a]) + LOG_SQRT_2PI
        else:
            total -= math.log(2.0 * half[a])
    return total


@njit(cache=NUMBA_CACHE, nogil=True)
def kernel_log_density(X, n, means, axes, half, soft, log_norms, k, floor):
    """Log density of kernel ``k`` at ``X[n]``: along each of its orthonormal
    ``axes[k]`` (rows) an independent :func:`log_smoothed_box`; ``-inf`` as soon
    as an upper bound of it falls below ``floor``.

    A finite plane has ``half > 0`` on its in-plane axes and ``0`` across; a
    Gaussian has ``half = 0`` everywhere and ``soft`` its standard deviations.
    ``log_norms[k]`` is :func:`kernel_log_norm` of the shape. The bound is exact on
    Gaussian axes and ``-((|y| - a)_+ / s)^2 / 2`` on plane axes (the density of
    a smoothed box is at most ``phi((|y| - a) / s) / s`` and ``1 / 2a``), so the
    special functions run only for kernels that can matter.
    """
    bound = log_norms[k]
    n_plane = 0
    for a in range(X.shape[1]):
        y = _project(X, n, means, axes, k, a)
        s = soft[k, a]
        h = half[k, a]
        if h <= _GAUSSIAN_LIMIT * s:
            z = y / s
            bound -= 0.5 * z * z
        else:
            n_plane += 1
            out = abs(y) - h
            if out > 0.0:
                z = out / s
                bound -= 0.5 * z * z
        if bound < floor:
            return -np.inf
    if n_plane == 0:
        return bound
    total = log_norms[k]
    for a in range(X.shape[1]):
        y = _project(X, n, means, axes, k, a)
        s = soft[k, a]
        h = half[k, a]
        if h <= _GAUSSIAN_LIMIT * s:
            z = y / s
            total -= 0.5 * z * z
        else:
            total += log_normal_interval((y - h) / s, (y + h) / s)
    return total


@njit(cache=NUMBA_CACHE, nogil=True)
def background_log_density(X, n, centers, axes, half, tail, log_norms, b):
    """Log density of background box ``b`` at ``X[n]``: :func:`log_box_tail`
    along each axis (``log_norms[b]`` is the sum of their constant parts)."""
    total = log_norms[b]
    for a in range(X.shape[1]):
        total += _tail_term(_project(X, n, centers, axes, b, a), half[b, a], tail[b])
    return total


@njit(cache=NUMBA_CACHE, nogil=True)
def _score_point(
    X,
    n,
    log_weights,
    means,
    axes,
    half,
    soft,
    log_norms,
    bkg_log_weights,
    bkg_centers,
    bkg_axes,
    bkg_half,
    bkg_tail,
    bkg_log_norms,
):
    """Label (``-1 - b`` for background ``b``) and log mixture density at ``X[n]``."""
    best = -np.inf
    label = -1
    total = 0.0  # sum of exp(term - best)
    for b in range(bkg_log_weights.shape[0]):
        t = bkg_log_weights[b] + background_log_density(
            X, n, bkg_centers, bkg_axes, bkg_half, bkg_tail, bkg_log_norms, b
        )
        if t == -np.inf:
            continue
        if t > best:
            total = total * math.exp(best - t) + 1.0 if best > -np.inf else 1.0
            best = t
            label = -1 - b
        else:
            total += math.exp(t - best)
    for k in range(log_weights.shape[0]):
        floor = best - PRUNE_NATS - log_weights[k]
        t = log_weights[k] + kernel_log_density(
            X, n, means, axes, half, soft, log_norms, k, floor
        )
        if t == -np.inf:
            continue
        if t > best:
            total = total * math.exp(best - t) + 1.0 if best > -np.inf else 1.0
            best = t
            label = k
        else:
            total += math.exp(t - best)
    if best == -np.inf:
        return label, -np.inf
    return label, best + math.log(total)


@njit(cache=NUMBA_CACHE, nogil=True, parallel=True)
def label_and_score(
    X,
    log_weights,
    means,
    axes,
    half,
    soft,
    log_norms,
    bkg_log_weights,
    bkg_centers,
    bkg_axes,
    bkg_half,
    bkg_tail,
    bkg_log_norms,
    labels,
    log_density,
):
    """Component of largest weighted density and log mixture density of every
    point, without an (n_samples x n_components) matrix.

    Backgrounds are visited first and win ties. A kernel whose upper bound lies
    more than 40 nats below the best term so far is skipped: it cannot be the
    label and changes the log density by less than ``n_components * exp(-40)``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    log_weights : ndarray of shape (n_kernels,)
    means : ndarray of shape (n_kernels, n_features)
    axes : ndarray of shape (n_kernels, n_features, n_features)
        Orthonormal rows.
    half, soft : ndarray of shape (n_kernels, n_features)
        Half-side of the uniform part and standard deviation of the Gaussian
        part along each axis (see :func:`log_smoothed_box`).
    log_norms : ndarray of shape (n_kernels,)
        :func:`kernel_log_norm` of each kernel.
    bkg_log_weights : ndarray of shape (n_backgrounds,)
    bkg_centers : ndarray of shape (n_backgrounds, n_features)
    bkg_axes : ndarray of shape (n_backgrounds, n_features, n_features)
    bkg_half : ndarray of shape (n_backgrounds, n_features)
    bkg_tail : ndarray of shape (n_backgrounds,)
        Exponent ``m`` of each box's tails (see :func:`log_box_tail`).
    bkg_log_norms : ndarray of shape (n_backgrounds,)
        Sum over the axes of ``log((m - 1) / ((m + 1) 2 h))``.
    labels : ndarray of shape (n_samples,) of int64
        Output: kernel index, or ``-1 - b`` for background ``b``.
    log_density : ndarray of shape (n_samples,)
        Output.
    """
    for n in prange(X.shape[0]):
        labels[n], log_density[n] = _score_point(
            X,
            n,
            log_weights,
            means,
            axes,
            half,
            soft,
            log_norms,
            bkg_log_weights,
            bkg_centers,
            bkg_axes,
            bkg_half,
            bkg_tail,
            bkg_log_norms,
        )


@njit(cache=NUMBA_CACHE, nogil=True)
def label_and_score_serial(
    X,
    log_weights,
    means,
    axes,
    half,
    soft,
    log_norms,
    bkg_log_weights,
    bkg_centers,
    bkg_axes,
    bkg_half,
    bkg_tail,
    bkg_log_norms,
    labels,
    log_density,
):
    """Serial twin of :func:`label_and_score` (same output)."""
    for n in range(X.shape[0]):
        labels[n], log_density[n] = _score_point(
            X,
            n,
            log_weights,
            means,
            axes,
            half,
            soft,
            log_norms,
            bkg_log_weights,
            bkg_centers,
            bkg_axes,
            bkg_half,
            bkg_tail,
            bkg_log_norms,
        )


@njit(cache=NUMBA_CACHE, nogil=True, parallel=True)
def weighted_log_densities(
    X,
    log_weights,
    means,
    axes,
    half,
    soft,
    log_norms,
    bkg_log_weights,
    bkg_centers,
    bkg_axes,
    bkg_half,
    bkg_tail,
    bkg_log_norms,
    out,
):
    """``out[n, k] = log w_k + log p_k(x_n)``: the kernels, then the backgrounds.

    Same arguments as :func:`label_and_score`; ``out`` has shape
    ``(n_samples, n_kernels + n_backgrounds)`` (callers pass row blocks).
    """
    n_k = log_weights.shape[0]
    for n in prange(X.shape[0]):
        for k in range(n_k):
            out[n, k] = log_weights[k] + kernel_log_density(
                X, n, means, axes, half, soft, log_norms, k, -np.inf
            )
        for b in range(bkg_log_weights.shape[0]):
            out[n, n_k + b] = bkg_log_weights[b] + background_log_density(
                X, n, bkg_centers, bkg_axes, bkg_half, bkg_tail, bkg_log_norms, b
            )


@njit(cache=NUMBA_CACHE, nogil=True, parallel=True)
def plane_shape_gains(
    X,
    sample_weight,
    log_density,
    log_weights,
    means,
    axes,
    gauss_soft,
    gauss_log_norms,
    plane_half,
    plane_soft,
    plane_log_norms,
    gains,
):
    """Change of the weighted log-likelihood if kernel ``k`` alone took its plane
    shape instead of its Gaussian one, for every ``k``.

    .. math::

        \\Delta_k = \\sum_n s_n \\log\\left(1 + \\frac{w_k q_k(x_n)
        - w_k g_k(x_n)}{p(x_n)}\\right)

    Terms where both shapes are more than 40 nats below ``p(x_n)`` are skipped.
    The points are cut into fixed blocks of 4096 summed in order, so the result
    does not depend on the number of threads.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    sample_weight, log_density : ndarray of shape (n_samples,)
        ``log p(x_n)`` of the mixture with every kernel Gaussian.
    log_weights, means, axes
        As in :func:`label_and_score`.
    gauss_soft : ndarray of shape (n_kernels, n_features)
        Standard deviations of the Gaussian shapes along ``axes``.
    gauss_log_norms : ndarray of shape (n_kernels,)
    plane_half, plane_soft : ndarray of shape (n_kernels, n_features)
        The plane shapes.
    plane_log_norms : ndarray of shape (n_kernels,)
    gains : ndarray of shape (n_kernels,)
        Output (overwritten).
    """
    gauss_half = np.zeros_like(plane_half)
    n_k = log_weights.shape[0]
    n_blocks = (X.shape[0] + 4095) // 4096
    partial = np.zeros((n_blocks, n_k))
    for block in prange(n_blocks):
        _block_shape_gains(
            X,
            sample_weight,
            log_density,
            log_weights,
            means,
            axes,
            gauss_half,
            gauss_soft,
            gauss_log_norms,
            plane_half,
            plane_soft,
            plane_log_norms,
            block * 4096,
            min(block * 4096 + 4096, X.shape[0]),
            partial[block],
        )
    gains[:] = 0.0
    for block in range(n_blocks):
        for k in range(n_k):
            gains[k] += partial[block, k]


@njit(cache=NUMBA_CACHE, nogil=True)
def _block_shape_gains(
    X,
    sample_weight,
    log_density,
    log_weights,
    means,
    axes,
    gauss_half,
    gauss_soft,
    gauss_log_norms,
    plane_half,
    plane_soft,
    plane_log_norms,
    start,
    stop,
    gains,
):
    for n in range(start, stop):
        lp = log_density[n]
        for k in range(log_weights.shape[0]):
            floor = lp - PRUNE_NATS - log_weights[k]
            g = kernel_log_density(
                X, n, means, axes, gauss_half, gauss_soft, gauss_log_norms, k, floor
            )
            q = kernel_log_density(
                X, n, means, axes, plane_half, plane_soft, plane_log_norms, k, floor
            )
            if g == -np.inf and q == -np.inf:
                continue
            ratio = math.exp(log_weights[k] + q - lp) - math.exp(
                log_weights[k] + g - lp
            )
            gains[k] += sample_weight[n] * math.log(max(1.0 + ratio, 1e-300))
