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
_PRUNE_NATS = 40.0


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
def log_smoothed_box_bound(y, half, soft):
    """Upper bound of :func:`log_smoothed_box`, cheap (no special function).

    The density is at most ``min(1 / 2a, 1 / (s sqrt(2 pi)))`` and, for
    ``|y| > a``, at most ``phi((|y| - a) / s) / s``.
    """
    if half <= _GAUSSIAN_LIMIT * soft:
        z = y / soft
        return -0.5 * z * z - math.log(soft) - LOG_SQRT_2PI
    peak = min(-math.log(2.0 * half), -math.log(soft) - LOG_SQRT_2PI)
    out = abs(y) - half
    if out > 0.0:
        z = out / soft
        peak -= 0.5 * z * z
    return peak


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
    out = math.log((tail - 1.0) / (tail + 1.0)) - math.log(r)
    t = abs(y) - half
    if t > 0.0:
        out -= tail * math.log1p(t / r)
    return out


@njit(cache=NUMBA_CACHE, nogil=True)
def _project(x, center, axes, a):
    proj = 0.0
    for c in range(x.shape[0]):
        proj += (x[c] - center[c]) * axes[a, c]
    return proj


@njit(cache=NUMBA_CACHE, nogil=True)
def kernel_log_density(x, mean, axes, half, soft):
    """Log density of one kernel: along each of its orthonormal ``axes`` (rows)
    an independent :func:`log_smoothed_box`.

    A finite plane has ``half > 0`` on its in-plane axes and ``0`` across; a
    Gaussian has ``half = 0`` everywhere and ``soft`` its standard deviations.
    """
    total = 0.0
    for a in range(axes.shape[0]):
        total += log_smoothed_box(_project(x, mean, axes, a), half[a], soft[a])
    return total


@njit(cache=NUMBA_CACHE, nogil=True)
def kernel_log_density_bound(x, mean, axes, half, soft):
    """Upper bound of :func:`kernel_log_density` (exact on Gaussian axes)."""
    total = 0.0
    for a in range(axes.shape[0]):
        total += log_smoothed_box_bound(_project(x, mean, axes, a), half[a], soft[a])
    return total


@njit(cache=NUMBA_CACHE, nogil=True)
def background_log_density(x, center, axes, half, tail):
    """Log density of one background box: :func:`log_box_tail` along each axis."""
    total = 0.0
    for a in range(axes.shape[0]):
        total += log_box_tail(_project(x, center, axes, a), half[a], tail)
    return total


@njit(cache=NUMBA_CACHE, nogil=True)
def _score_point(
    x,
    log_weights,
    means,
    axes,
    half,
    soft,
    bkg_log_weights,
    bkg_centers,
    bkg_axes,
    bkg_half,
    bkg_tail,
):
    """Label (``-1 - b`` for background ``b``) and log mixture density at ``x``."""
    best = -np.inf
    label = -1
    total = 0.0  # sum of exp(term - best)
    for b in range(bkg_log_weights.shape[0]):
        t = bkg_log_weights[b] + background_log_density(
            x, bkg_centers[b], bkg_axes[b], bkg_half[b], bkg_tail[b]
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
        if best > -np.inf:
            bound = log_weights[k] + kernel_log_density_bound(
                x, means[k], axes[k], half[k], soft[k]
            )
            if bound < best - _PRUNE_NATS:
                continue
        t = log_weights[k] + kernel_log_density(x, means[k], axes[k], half[k], soft[k])
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
    bkg_log_weights,
    bkg_centers,
    bkg_axes,
    bkg_half,
    bkg_tail,
    labels,
    log_density,
):
    """Component of largest weighted density and log mixture density of every
    point, without an (n_samples x n_components) matrix.

    Backgrounds are visited first and win ties. Kernels whose upper bound
    (:func:`kernel_log_density_bound`) lies more than 40 nats below the best
    term so far are skipped: they cannot be the label and change the log
    density by less than ``n_components * exp(-40)``.

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
    bkg_log_weights : ndarray of shape (n_backgrounds,)
    bkg_centers : ndarray of shape (n_backgrounds, n_features)
    bkg_axes : ndarray of shape (n_backgrounds, n_features, n_features)
    bkg_half : ndarray of shape (n_backgrounds, n_features)
    bkg_tail : ndarray of shape (n_backgrounds,)
        Exponent ``m`` of each box's tails (see :func:`log_box_tail`).
    labels : ndarray of shape (n_samples,) of int64
        Output: kernel index, or ``-1 - b`` for background ``b``.
    log_density : ndarray of shape (n_samples,)
        Output.
    """
    for n in prange(X.shape[0]):
        labels[n], log_density[n] = _score_point(
            X[n],
            log_weights,
            means,
            axes,
            half,
            soft,
            bkg_log_weights,
            bkg_centers,
            bkg_axes,
            bkg_half,
            bkg_tail,
        )


@njit(cache=NUMBA_CACHE, nogil=True)
def label_and_score_serial(
    X,
    log_weights,
    means,
    axes,
    half,
    soft,
    bkg_log_weights,
    bkg_centers,
    bkg_axes,
    bkg_half,
    bkg_tail,
    labels,
    log_density,
):
    """Serial twin of :func:`label_and_score` (same output)."""
    for n in range(X.shape[0]):
        labels[n], log_density[n] = _score_point(
            X[n],
            log_weights,
            means,
            axes,
            half,
            soft,
            bkg_log_weights,
            bkg_centers,
            bkg_axes,
            bkg_half,
            bkg_tail,
        )


@njit(cache=NUMBA_CACHE, nogil=True, parallel=True)
def weighted_log_densities(
    X,
    log_weights,
    means,
    axes,
    half,
    soft,
    bkg_log_weights,
    bkg_centers,
    bkg_axes,
    bkg_half,
    bkg_tail,
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
                X[n], means[k], axes[k], half[k], soft[k]
            )
        for b in range(bkg_log_weights.shape[0]):
            out[n, n_k + b] = bkg_log_weights[b] + background_log_density(
                X[n], bkg_centers[b], bkg_axes[b], bkg_half[b], bkg_tail[b]
            )


@njit(cache=NUMBA_CACHE, nogil=True)
def plane_shape_gains(
    X,
    sample_weight,
    log_density,
    log_weights,
    means,
    axes,
    gauss_soft,
    plane_half,
    plane_soft,
    gains,
):
    """Change of the weighted log-likelihood if kernel ``k`` alone took its plane
    shape instead of its Gaussian one, for every ``k``.

    .. math::

        \\Delta_k = \\sum_n s_n \\log\\left(1 + \\frac{w_k q_k(x_n)
        - w_k g_k(x_n)}{p(x_n)}\\right)

    Points where both shapes are more than 40 nats below ``p(x_n)`` are skipped.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    sample_weight, log_density : ndarray of shape (n_samples,)
        ``log p(x_n)`` of the mixture with every kernel Gaussian.
    log_weights, means, axes
        As in :func:`label_and_score`.
    gauss_soft : ndarray of shape (n_kernels, n_features)
        Standard deviations of the Gaussian shapes along ``axes``.
    plane_half, plane_soft : ndarray of shape (n_kernels, n_features)
        The plane shapes.
    gains : ndarray of shape (n_kernels,)
        Output (overwritten).
    """
    zero = np.zeros(X.shape[1])
    gains[:] = 0.0
    for n in range(X.shape[0]):
        x = X[n]
        lp = log_density[n]
        for k in range(log_weights.shape[0]):
            g = log_weights[k] + kernel_log_density(
                x, means[k], axes[k], zero, gauss_soft[k]
            )
            q_bound = log_weights[k] + kernel_log_density_bound(
                x, means[k], axes[k], plane_half[k], plane_soft[k]
            )
            if g < lp - _PRUNE_NATS and q_bound < lp - _PRUNE_NATS:
                continue
            q = log_weights[k] + kernel_log_density(
                x, means[k], axes[k], plane_half[k], plane_soft[k]
            )
            ratio = math.exp(q - lp) - math.exp(g - lp)
            gains[k] += sample_weight[n] * math.log(max(1.0 + ratio, 1e-300))
