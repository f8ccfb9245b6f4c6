"""Seismicity figures: Morisita curve, sweep, ARI, partition map, depths."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from skgeoclust.metrics._depth_mixture import _mixture_pdf


def _axes(ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plotting needs matplotlib: pip install 'skgeoclust[plot]'"
        ) from exc
    if ax is None:
        _, ax = plt.subplots()
    return ax


def plot_morisita(fit, *, ax=None, label=None, **kwargs):
    """Morisita index against cell size on log axes, with the fitted power law.

    Parameters
    ----------
    fit : MorisitaFit
        Result of :func:`skgeoclust.metrics.morisita_slope`.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    label : str, default=None
        Legend label of the curve; the fitted line is labelled with its slope.
    **kwargs
        Passed to ``ax.plot`` for the curve.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.metrics import morisita_slope
    >>> from skgeoclust.plotting import plot_morisita
    >>> t = np.random.default_rng(0).uniform(size=500)
    >>> ax = plot_morisita(morisita_slope(np.c_[t, t], range(1, 21)))
    >>> len(ax.lines)
    2
    """
    ax = _axes(ax)
    (line,) = ax.plot(fit.delta, fit.index, marker="o", ms=3, label=label, **kwargs)
    keep = fit.index > 0
    d = np.sort(fit.delta[keep])
    ax.plot(
        d,
        np.exp(fit.intercept) * d**fit.slope,
        ls="--",
        color=line.get_color(),
        label=f"p = {fit.slope:.3f}, D = {fit.dimension:.3f}",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"cell size $\delta$")
    ax.set_ylabel(r"Morisita index $I_\delta$")
    ax.legend()
    return ax


def plot_silhouette_sweep(sweep, *, color="eps", ax=None, cmap="viridis"):
    """Silhouette of every partition against its number of clusters (Fig. 3a, 4a).

    Parameters
    ----------
    sweep : ClusterSweep
        Fitted sweep.
    color : str, default="eps"
        Column of ``sweep.results_`` that colours the points (numeric or not).
    ax : matplotlib Axes, default=None
        Where to draw.
    cmap : str, default="viridis"
        Colour map.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.cluster import DBSCAN
    >>> from skgeoclust.metrics import ClusterSweep
    >>> from skgeoclust.plotting import plot_silhouette_sweep
    >>> X = np.random.default_rng(0).normal(size=(60, 2))
    >>> grid = {"eps": [0.3, 0.5, 0.8], "min_samples": [3]}
    >>> ax = plot_silhouette_sweep(ClusterSweep(DBSCAN(), grid).fit(X))
    >>> ax.get_xlabel()
    'number of clusters'
    """
    ax = _axes(ax)
    res = sweep.results_.dropna(subset=["silhouette"])
    values = res[color] if color in res else None
    if values is not None and not np.issubdtype(np.asarray(values).dtype, np.number):
        values = np.unique(values.astype(str), return_inverse=True)[1]
    pts = ax.scatter(res["n_clusters"], res["silhouette"], c=values, cmap=cmap, s=18)
    if values is not None:
        ax.figure.colorbar(pts, ax=ax, label=color)
    ax.set_xlabel("number of clusters")
    ax.set_ylabel("silhouette")
    return ax


def plot_ari_matrix(ari, *, ax=None, annotate=True, cmap="Blues"):
    """Heat map of an Adjusted Rand Index matrix (Fig. 5).

    Parameters
    ----------
    ari : pandas.DataFrame
        Output of :func:`skgeoclust.metrics.adjusted_rand_matrix`.
    ax : matplotlib Axes, default=None
        Where to draw.
    annotate : bool, default=True
        Write the values in the cells.
    cmap : str, default="Blues"
        Colour map (values clipped to [0, 1]).

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from skgeoclust.metrics import adjusted_rand_matrix
    >>> from skgeoclust.plotting import plot_ari_matrix
    >>> ari = adjusted_rand_matrix([[0, 0, 1, 1], [0, 0, 1, 2]], names=["a", "b"])
    >>> ax = plot_ari_matrix(ari)
    >>> [t.get_text() for t in ax.texts]
    ['1.00', '0.57', '0.57', '1.00']
    """
    ax = _axes(ax)
    values = ari.to_numpy()
    img = ax.imshow(values, vmin=0.0, vmax=1.0, cmap=cmap)
    ax.figure.colorbar(img, ax=ax, label="ARI")
    ax.set_xticks(range(len(ari.columns)), [str(c) for c in ari.columns], rotation=90)
    ax.set_yticks(range(len(ari.index)), [str(c) for c in ari.index])
    if annotate:
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                ax.text(
                    j,
                    i,
                    f"{values[i, j]:.2f}",
                    ha="center",
                    va="center",
                    color="white" if values[i, j] > 0.6 else "black",
                    fontsize=7,
                )
    return ax


def plot_partition_map(lon, lat, labels, *, ax=None, show_noise=True, s=4):
    """Epicentres coloured by cluster (Fig. 3c-d, 4b-d); noise in light grey.

    Parameters
    ----------
    lon, lat : array-like of shape (n_samples,)
        Epicentres in degrees.
    labels : array-like of shape (n_samples,)
        Cluster labels, ``-1`` for noise.
    ax : matplotlib Axes, default=None
        Where to draw.
    show_noise : bool, default=True
        Draw the noise points.
    s : float, default=4
        Marker size.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from skgeoclust.plotting import plot_partition_map
    >>> ax = plot_partition_map([40.1, 40.2, 41.0, 42.5], [40.0, 40.1, 40.9, 39.0],
    ...                         [0, 0, 1, -1])
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['noise', 'cluster 0', 'cluster 1']
    """
    ax = _axes(ax)
    lon, lat, labels = np.asarray(lon), np.asarray(lat), np.asarray(labels)
    noise = labels == -1
    if show_noise and noise.any():
        ax.scatter(lon[noise], lat[noise], s=s, color="0.8", label="noise")
    for k in np.unique(labels[~noise]):
        m = labels == k
        ax.scatter(lon[m], lat[m], s=s, label=f"cluster {k}")
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    ax.set_aspect(1.0 / np.cos(np.deg2rad(np.mean(lat))))
    ax.legend(markerscale=3, fontsize=7)
    return ax


def plot_depth_mixtures(depth_km, labels, table, *, ax=None, bins=40):
    """Depth histograms (densities) with the fitted normal mixtures (Fig. 6, 8).

    Parameters
    ----------
    depth_km : array-like of shape (n_samples,)
        Depths in km.
    labels : array-like of shape (n_samples,) or None
        Cluster labels (None: one group, as ``depth_mixtures(depth_km)``).
    table : pandas.DataFrame
        Output of :func:`skgeoclust.metrics.depth_mixtures` on the same data.
    ax : matplotlib Axes, default=None
        Where to draw.
    bins : int, default=40
        Histogram bins.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.metrics import depth_mixtures
    >>> from skgeoclust.plotting import plot_depth_mixtures
    >>> rng = np.random.default_rng(0)
    >>> depth = np.r_[rng.normal(10, 2, 700), rng.normal(30, 3, 300)]
    >>> ax = plot_depth_mixtures(depth, None, depth_mixtures(depth, random_state=0))
    >>> ax.get_xlabel(), len(ax.patches) > 0
    ('depth (km)', True)
    """
    ax = _axes(ax)
    depth = np.asarray(depth_km, dtype=np.float64)
    grid = np.linspace(depth.min(), depth.max(), 400)
    for key, row in table.iterrows():
        values = depth if labels is None else depth[np.asarray(labels) == key]
        k = int(row["n_components"])
        w = np.array([row[f"weight_{j + 1}"] for j in range(k)])
        mu = np.array([row[f"mean_{j + 1}"] for j in range(k)])
        sd = np.array([row[f"sigma_{j + 1}"] for j in range(k)])
        (line,) = ax.plot(grid, _mixture_pdf(grid, w, mu, sd), label=f"{key}")
        ax.hist(values, bins=bins, density=True, alpha=0.25, color=line.get_color())
        modes = np.asarray(row["modes"])
        ax.plot(modes, _mixture_pdf(modes, w, mu, sd), "o", color=line.get_color())
    ax.set_xlabel("depth (km)")
    ax.set_ylabel("density")
    ax.legend(fontsize=7)
    return ax
