"""Morisita index of dispersion over box grids, its scaling curve and slope fit."""
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from scipy import stats
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, validate_params

from skgeoclust.utils._validation import check_finite_rows, naming_conversion_errors


class MorisitaFit(NamedTuple):
    """Least-squares fit of ``ln I_delta = intercept + slope * ln delta``, as
    :func:`morisita_slope` returns it.

    Attributes
    ----------
    slope : float
        The slope ``p`` (negative for clustered points).
    intercept : float
        In natural-log units.
    slope_ci : tuple of (float, float)
        Student-t confidence interval of the slope.
    rsquared : float
        Coefficient of determination of the fit.
    dimension : float
        ``n_features + slope``, the correlation dimension estimate.
    delta, index : ndarray
        The Morisita curve: cell size (fraction of the box side) and index.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.metrics import morisita_slope
    >>> X = np.random.default_rng(0).uniform(size=(3000, 2))  # fills the plane
    >>> fit = morisita_slope(X, range(1, 21))
    >>> round(fit.dimension, 1), fit.delta.shape == fit.index.shape
    (2.0, True)
    """

    slope: float
    intercept: float
    slope_ci: tuple
    rsquared: float
    dimension: float
    delta: np.ndarray
    index: np.ndarray


def _check_points(X, bounds):
    with naming_conversion_errors("X"):
        X = check_array(
            X, dtype=np.float64, ensure_min_samples=2, ensure_all_finite=False
        )
    check_finite_rows(X)
    n_dims = X.shape[1]
    if bounds is None:
        lo, hi = X.min(axis=0), X.max(axis=0)
    else:
        b = np.asarray(bounds, dtype=np.float64)
        if b.shape != (2, n_dims) or not np.all(np.isfinite(b)):
            raise ValueError(
                f"bounds must be None or a finite array of shape (2, {n_dims}) holding "
                f"the lower and upper edge of every column, got shape {b.shape}."
            )
        lo, hi = b[0], b[1]
        outside = (X < lo) | (X > hi)
        if outside.any():
            row, col = np.argwhere(outside)[0]
            raise ValueError(
                f"bounds must contain every point: row {row}, column {col} has value "
                f"{float(X[row, col])!r} outside "
                f"[{float(lo[col])!r}, {float(hi[col])!r}]."
            )
    flat = ~(hi > lo)
    if flat.any():
        col = int(np.flatnonzero(flat)[0])
        raise ValueError(
            f"column {col} has zero extent ({float(lo[col])!r} to {float(hi[col])!r}); "
            "the Morisita index needs a box of positive size along every axis."
        )
    return (X - lo) / (hi - lo)


def _index_unit(U, n_cells):
    """Morisita index of points ``U`` scaled to the unit box, ``n_cells`` per axis."""
    n_samples, n_dims = U.shape
    if n_dims * np.log2(n_cells) >= 62:
        raise ValueError(
            f"n_cells={n_cells} in {n_dims} dimensions gives more than 2**62 cells."
        )
    cells = np.minimum((U * n_cells).astype(np.int64), n_cells - 1)
    # Row-major linear cell number: every occupied cell once, no loop over cells.
    linear = cells @ (n_cells ** np.arange(n_dims - 1, -1, -1, dtype=np.int64))
    _, counts = np.unique(linear, return_counts=True)
    counts = counts.astype(np.float64)
    n_boxes = float(n_cells) ** n_dims
    return n_boxes * np.sum(counts * (counts - 1.0)) / (n_samples * (n_samples - 1.0))


@validate_params(
    {
        "X": ["array-like"],
        "n_cells": [Interval(Integral, 1, None, closed="left")],
        "bounds": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def morisita_index(X, n_cells, *, bounds=None):
    """Morisita index of points in a box split into ``n_cells`` parts per axis.

    .. math::

        I_\\delta = Q \\frac{\\sum_{i=1}^{Q} n_i (n_i - 1)}{N (N - 1)},
        \\qquad Q = n^E, \\quad \\delta = 1 / n,

    where the points are min-max scaled to the unit square or cube (equations 1-2
    of Skurativskyi et al.), :math:`n_i` counts the points of cell :math:`i` and
    :math:`E` is the number of columns. :math:`I_\\delta = 1` in expectation for
    points placed uniformly at random, :math:`< 1` for regularly spaced points and
    :math:`> 1` for clumped points.

    Read more in the :ref:`User Guide <seismicity_metrics>`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Point coordinates (for example lon, lat or lon, lat, depth). At least two
        points; every column must have a positive extent.
    n_cells : int
        Number of cells per axis, :math:`n = 1/\\delta`.
    bounds : array-like of shape (2, n_features), default=None
        Lower and upper edge of the box along each column. ``None`` uses the
        minimum and maximum of ``X``; the paper fixes them from its catalog.

    Returns
    -------
    index : float
        :math:`I_\\delta`.

    Notes
    -----
    Points on the upper edge belong to the last cell. Only occupied cells are
    visited, so the cost is :math:`O(N \\log N)` whatever :math:`n^E`.

    References
    ----------
    Morisita M. (1959), Measuring of the dispersion of individuals and analysis of
    the distributional patterns. Mem. Fac. Sci. Kyushu Univ. E 2, 215-235.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.metrics import morisita_index
    >>> X = np.array([[0.0, 0.0], [0.1, 0.1], [0.9, 0.9], [1.0, 1.0]])
    >>> float(morisita_index(X, 2))   # 4 cells, two holding 2 points: 4 * 4 / 12
    1.333...
    """
    return _index_unit(_check_points(X, bounds), int(n_cells))


@validate_params(
    {
        "X": ["array-like"],
        "n_cells_range": ["array-like"],
        "bounds": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def morisita_curve(X, n_cells_range=range(1, 101), *, bounds=None):
    """Morisita index over a range of grid sizes.

    Read more in the :ref:`User Guide <seismicity_metrics>`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Point coordinates, at least two points.
    n_cells_range : array-like of int, default=range(1, 101)
        Numbers of cells per axis; ``range(1, 101)`` is the paper's
        :math:`\\delta = 1 \\ldots 1/100`.
    bounds : array-like of shape (2, n_features), default=None
        Box edges, as in :func:`morisita_index`.

    Returns
    -------
    delta : ndarray of shape (n_scales,)
        Cell side :math:`1/n` in the unit box.
    index : ndarray of shape (n_scales,)
        :math:`I_\\delta` at each scale.

    See Also
    --------
    morisita_index : The index at one scale.
    morisita_slope : Power-law fit of the curve.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.metrics import morisita_curve
    >>> X = np.random.default_rng(0).uniform(size=(2000, 2))
    >>> delta, index = morisita_curve(X, [1, 2, 4])
    >>> delta.tolist(), np.round(index, 1).tolist()
    ([1.0, 0.5, 0.25], [1.0, 1.0, 1.0])
    """
    n_cells = np.asarray(n_cells_range)
    if (
        n_cells.ndim != 1
        or n_cells.size == 0
        or not np.issubdtype(n_cells.dtype, np.integer)
        or n_cells.min() < 1
    ):
        raise ValueError(
            "n_cells_range must be a non-empty 1-D sequence of integers >= 1, got "
            f"{n_cells_range!r}."
        )
    U = _check_points(X, bounds)
    index = np.array([_index_unit(U, int(n)) for n in n_cells])
    return 1.0 / n_cells.astype(np.float64), index


@validate_params(
    {
        "X": ["array-like"],
        "n_cells_range": ["array-like"],
        "bounds": ["array-like", None],
        "confidence_level": [Interval(Real, 0, 1, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def morisita_slope(
    X, n_cells_range=range(1, 101), *, bounds=None, confidence_level=0.95
):
    """Fit :math:`I_\\delta \\propto \\delta^p`; derive the dimension :math:`D = E + p`.

    Ordinary least squares of :math:`\\ln I_\\delta` on :math:`\\ln \\delta`
    over every scale of ``n_cells_range``. Following Telesca et al. (2016), the
    slope :math:`p < 0` is minus the second-order Morisita slope and
    :math:`D_2 = E + p` estimates the correlation dimension of the point set.

    Read more in the :ref:`User Guide <seismicity_metrics>`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Point coordinates, at least two points.
    n_cells_range : array-like of int, default=range(1, 101)
        Numbers of cells per axis; at least three distinct values.
    bounds : array-like of shape (2, n_features), default=None
        Box edges, as in :func:`morisita_index`.
    confidence_level : float, default=0.95
        Level of the two-sided Student-t interval on the slope.

    Returns
    -------
    fit : MorisitaFit
        Named tuple ``(slope, intercept, slope_ci, rsquared, dimension, delta,
        index)``; ``slope_ci`` is ``(low, high)``, the intercept is in
        natural-log units (as the paper's), ``delta`` and ``index`` are the curve.

    Notes
    -----
    Scales where :math:`I_\\delta = 0` (every point alone in its cell) have no
    logarithm and are left out of the fit.

    References
    ----------
    Telesca L., Lovallo M., Golay J., Kanevski M. (2016), Comparing seismicity
    declustering techniques by means of the joint use of Allan Factor and Morisita
    Index. Stoch. Environ. Res. Risk Assess. 30, 77-90.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.metrics import morisita_slope
    >>> t = np.random.default_rng(0).uniform(size=3000)
    >>> line = np.c_[t, t]   # points on a line: dimension 1 in the plane
    >>> fit = morisita_slope(line, range(1, 31))
    >>> round(fit.slope, 2), round(fit.dimension, 2)
    (-1.0, 1.0)
    """
    delta, index = morisita_curve(X, n_cells_range, bounds=bounds)
    keep = index > 0
    if np.unique(delta[keep]).size < 3:
        raise ValueError(
            "morisita_slope needs at least three scales with a positive index; "
            f"n_cells_range={n_cells_range!r} gives {np.unique(delta[keep]).size}."
        )
    x, y = np.log(delta[keep]), np.log(index[keep])
    reg = stats.linregress(x, y)
    t = stats.t.ppf(0.5 + confidence_level / 2.0, x.size - 2)
    ci = (float(reg.slope - t * reg.stderr), float(reg.slope + t * reg.stderr))
    n_dims = np.shape(X)[1]
    return MorisitaFit(
        slope=float(reg.slope),
        intercept=float(reg.intercept),
        slope_ci=ci,
        rsquared=float(reg.rvalue**2),
        dimension=float(n_dims + reg.slope),
        delta=delta,
        index=index,
    )
