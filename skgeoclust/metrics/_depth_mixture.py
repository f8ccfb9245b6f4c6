"""Mixtures of normal distributions fitted to the focal depths of each cluster."""
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import optimize
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skgeoclust.utils import check_distance_range


def _mixture_pdf(x, weights, means, sigmas):
    z = (np.asarray(x, dtype=np.float64)[..., None] - means) / sigmas
    return np.sum(
        weights * np.exp(-0.5 * z * z) / (sigmas * np.sqrt(2.0 * np.pi)), axis=-1
    )


def mixture_modes(weights, means, sigmas, *, grid_size=4001):
    """Local maxima of a univariate mixture of normal densities.

    Every mode of a univariate normal mixture lies between its smallest and largest
    component mean, so the density is scanned on a grid over that interval (padded
    by the smallest sigma, and including every mean so that narrow components are
    not stepped over) and each grid maximum is refined with a bounded Brent search.

    Parameters
    ----------
    weights, means, sigmas : array-like of shape (n_components,)
        Mixture weights (summing to 1), component means and standard deviations.
    grid_size : int, default=4001
        Number of scan points.

    Returns
    -------
    modes : ndarray of shape (n_modes,)
        Locations of the density's local maxima, increasing.

    Examples
    --------
    >>> from skgeoclust.metrics import mixture_modes
    >>> mixture_modes([0.5, 0.5], [2.0, 10.0], [1.0, 1.0]).round(3).tolist()
    [2.0, 10.0]
    >>> mixture_modes([0.5, 0.5], [0.0, 1.0], [1.0, 1.0]).round(3).tolist()
    [0.5]
    """
    w = np.asarray(weights, dtype=np.float64)
    mu = np.asarray(means, dtype=np.float64)
    sd = np.asarray(sigmas, dtype=np.float64)
    if not (w.shape == mu.shape == sd.shape and w.ndim == 1 and w.size >= 1):
        raise ValueError("weights, means and sigmas must be 1-D arrays of one length.")
    if np.any(sd <= 0) or np.any(w < 0):
        raise ValueError("sigmas must be positive and weights non-negative.")
    pad = sd.min()
    lo, hi = mu.min() - pad, mu.max() + pad
    # The means (and mean +- sigma) join the grid so that a component narrower than
    # the grid step still has a sample at its peak.
    extra = np.r_[mu, mu - sd, mu + sd]
    grid = np.unique(
        np.r_[np.linspace(lo, hi, grid_size), extra[(extra >= lo) & (extra <= hi)]]
    )
    pdf = _mixture_pdf(grid, w, mu, sd)
    inner = (pdf[1:-1] >= pdf[:-2]) & (pdf[1:-1] > pdf[2:])
    modes = []
    for i in np.flatnonzero(inner) + 1:
        res = optimize.minimize_scalar(
            lambda x: -_mixture_pdf(x, w, mu, sd),
            bounds=(grid[i - 1], grid[i + 1]),
            method="bounded",
            options={"xatol": 1e-10},
        )
        modes.append(float(res.x))
    return np.array(modes)


@validate_params(
    {
        "depth_km": ["array-like"],
        "labels": ["array-like", None],
        "n_components": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "noise": [StrOptions({"exclude", "cluster"})],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def depth_mixtures(
    depth_km,
    labels=None,
    *,
    n_components=2,
    noise="exclude",
    tol=1e-3,
    max_iter=100,
    n_init=1,
    random_state=None,
):
    """Fit a mixture of normal distributions to the depths of every cluster.

    For each cluster, :class:`sklearn.mixture.GaussianMixture` is fitted to its
    focal depths and the density
    :math:`\\sum_k a_k \\mathcal{N}(\\mu_k, \\sigma_k)` is reported with its modes,
    as in Tables 2-3 and Appendix B of Skurativskyi et al.

    Read more in the :ref:`User Guide <seismicity_metrics>`.

    Parameters
    ----------
    depth_km : array-like of shape (n_samples,)
        Focal depths in km.
    labels : array-like of shape (n_samples,), default=None
        Cluster label of every event (``-1`` is noise). ``None`` fits all events
        as one group, labelled ``"all"``.
    n_components : int or array-like of int, default=2
        Number of normal components; a sequence chooses, per cluster, the number
        with the lowest BIC.
    noise : {"exclude", "cluster"}, default="exclude"
        Whether noise events (label ``-1``) are left out or fitted as a group.
    tol, max_iter, n_init : float, int, int, default=1e-3, 100, 1
        Passed to :class:`~sklearn.mixture.GaussianMixture`. The defaults are
        scikit-learn's, with which the paper's Appendix B fit stops early.
    random_state : int, RandomState instance or None, default=None
        Seeds the k-means initialisation; one integer seed is drawn per cluster.

    Returns
    -------
    table : pandas.DataFrame
        One row per cluster, indexed by label, with columns ``n_samples``,
        ``n_components``, ``weight_k``, ``mean_k``, ``sigma_k`` (``k = 1 ..``,
        components ordered by decreasing weight, NaN where a cluster has fewer
        components), ``modes`` (tuple of density maxima in km, increasing),
        ``n_modes`` and ``converged``.

    Notes
    -----
    Components are sorted by decreasing weight so that ``weight_1 = a`` and
    ``weight_2 = b`` match the paper's tables. A cluster with fewer events than
    components raises ``ValueError``; one whose depths take fewer distinct values
    than components (fixed catalog depths) is fitted with one component per
    distinct value, and a component left without events is dropped, both with a
    ``UserWarning`` (``n_components`` gives the number reported).

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.metrics import depth_mixtures
    >>> rng = np.random.default_rng(0)
    >>> depth = np.r_[rng.normal(10, 2, 700), rng.normal(30, 3, 300)]
    >>> table = depth_mixtures(depth, random_state=0)
    >>> table[["weight_1", "mean_1", "mean_2"]].round(0)
         weight_1  mean_1  mean_2
    all       1.0    10.0    30.0
    >>> [round(m) for m in table.loc["all", "modes"]]
    [10, 30]
    """
    depth = np.asarray(depth_km, dtype=np.float64)
    if depth.ndim != 1 or not np.all(np.isfinite(depth)):
        raise ValueError("depth_km must be a 1-D array of finite depths in km.")
    check_distance_range(depth[:, None], name="depth_km")
    if labels is None:
        groups = {"all": depth}
    else:
        labels = np.asarray(labels)
        if labels.shape != depth.shape:
            raise ValueError(
                f"labels has shape {labels.shape}, depth_km has shape {depth.shape}."
            )
        keys = np.unique(labels)
        if noise == "exclude":
            keys = keys[keys != -1]
        groups = {k.item(): depth[labels == k] for k in keys}
    choices = np.atleast_1d(np.asarray(n_components))
    if not np.issubdtype(choices.dtype, np.integer) or choices.min() < 1:
        raise ValueError(f"n_components must be integers >= 1, got {n_components!r}.")
    rng = check_random_state(random_state)
    rows = {}
    for key, values in groups.items():
        seed = rng.randint(np.iinfo(np.int32).max)
        if values.size < choices.min():
            raise ValueError(
                f"cluster {key!r} has {values.size} events, fewer than n_components="
                f"{int(choices.min())}."
            )
        # A mixture cannot have more components than distinct depths (catalogs
        # often fix depths at 10 km): the extra components would hold no event
        # and put spurious modes wherever their means were left.
        n_distinct = np.unique(values).size
        usable = choices[choices <= n_distinct]
        if usable.size == 0:
            warnings.warn(
                f"cluster {key!r}: its {values.size} depths take {n_distinct} "
                f"distinct value(s), fewer than n_components={int(choices.min())}; "
                f"fitted {n_distinct} component(s).",
                UserWarning,
                stacklevel=3,
            )
            usable = np.array([n_distinct])
        best = None
        for k in usable:
            gm = GaussianMixture(
                int(k), tol=tol, max_iter=max_iter, n_init=n_init, random_state=seed
            ).fit(values[:, None])
            bic = gm.bic(values[:, None]) if choices.size > 1 else 0.0
            if best is None or bic < best[0]:
                best = (bic, gm)
        gm = best[1]
        order = np.argsort(-gm.weights_, kind="stable")
        # a component responsible for less than half an event is empty
        order = order[gm.weights_[order] * values.size >= 0.5]
        if order.size < gm.weights_.size:
            warnings.warn(
                f"cluster {key!r}: {gm.weights_.size - order.size} of the "
                f"{gm.weights_.size} mixture components hold no event and are left "
                "out of the table and the modes.",
                UserWarning,
                stacklevel=3,
            )
        w = gm.weights_[order]
        mu = gm.means_.ravel()[order]
        sd = np.sqrt(gm.covariances_.ravel()[order])
        row = {"n_samples": values.size, "n_components": w.size}
        for j in range(int(choices.max())):
            row[f"weight_{j + 1}"] = w[j] if j < w.size else np.nan
            row[f"mean_{j + 1}"] = mu[j] if j < w.size else np.nan
            row[f"sigma_{j + 1}"] = sd[j] if j < w.size else np.nan
        modes = mixture_modes(w, mu, sd)
        row.update(
            modes=tuple(modes.tolist()), n_modes=modes.size, converged=gm.converged_
        )
        rows[key] = row
    return pd.DataFrame.from_dict(rows, orient="index")
