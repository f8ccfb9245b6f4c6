"""Knee of a distortion curve (Kneedle) and the box smoothing SeisGo applies first."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np


def box_smooth(values, width):
    """Moving average over ``width`` points, with the two end points kept.

    SeisGo's ``box_smooth`` convolves with zero padding and then restores the two end
    points; for ``width > 3`` the points next to the ends are still pulled toward
    zero. Here the window shrinks near the ends, so every point averages values that
    exist; the end points are kept, as in SeisGo (for ``width=3`` the two agree).

    Parameters
    ----------
    values : array-like of shape (n,)
        The curve.
    width : int
        Window length (odd for a centred window).

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> box_smooth([3.0, 6.0, 9.0, 30.0], 3)
    array([ 3.,  6., 15., 30.])
    """
    values = np.asarray(values, dtype=np.float64)
    kernel = np.ones(min(int(width), values.size))
    total = np.convolve(values, kernel, mode="same")
    count = np.convolve(np.ones_like(values), kernel, mode="same")
    out = total / count
    out[0], out[-1] = values[0], values[-1]
    return out


def knee_point(x, y, *, sensitivity=1.0):
    """First knee of a convex decreasing curve by Kneedle (Satopaa et al. 2011).

    The curve is normalised to the unit square and flipped so that the knee is the
    maximum of the difference curve ``y_n - x_n``; a local maximum is accepted once the
    difference curve drops below ``max - sensitivity * mean(diff(x_n))`` before the
    next local maximum (the offline rule of the ``kneed`` package with
    ``curve="convex", direction="decreasing"``, whose first knee SeisGo takes).

    Parameters
    ----------
    x : array-like of shape (n,)
        Increasing abscissae (numbers of clusters).
    y : array-like of shape (n,)
        Decreasing, convex values (distortions).
    sensitivity : float, default=1.0
        Kneedle's ``S``.

    Returns
    -------
    knee : float or None
        The x value of the first knee, None when there is none (for example on a
        straight line).

    Examples
    --------
    >>> knee_point([1, 2, 3, 4, 5, 6], [100.0, 40.0, 12.0, 10.0, 9.0, 8.0])
    3.0
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    xn = (x - x.min()) / np.ptp(x)
    yn = (y - y.min()) / np.ptp(y)
    yn = yn.max() - yn
    diff = yn - xn
    left = np.concatenate(([diff[0]], diff[:-1]))
    right = np.concatenate((diff[1:], [diff[-1]]))
    is_max = (diff >= left) & (diff >= right)
    is_min = (diff <= left) & (diff <= right)
    maxima = np.flatnonzero(is_max)
    if maxima.size == 0:
        return None
    thresholds = diff[maxima] - sensitivity * np.abs(np.diff(xn).mean())
    n_seen = 0
    threshold = 0.0
    threshold_index = maxima[0]
    active = True
    for i in range(maxima[0], x.size - 1):
        if is_max[i]:
            threshold = thresholds[n_seen]
            threshold_index = i
            n_seen += 1
            active = True
        if is_min[i]:
            threshold = 0.0
            active = False
        if active and diff[i + 1] < threshold:
            return float(x[threshold_index])
    return None
