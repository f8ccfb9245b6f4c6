"""SeisGo's velocity-profile clustering functions, on skgeoclust's estimators."""
# SPDX-License-Identifier: BSD-3-Clause

import math
from numbers import Real

import numpy as np

from skgeoclust.cluster._knee import box_smooth
from skgeoclust.cluster._profile_kmeans import ProfileKMeans
from skgeoclust.cluster._profile_som import ProfileSOM
from skgeoclust.compat._profile_results import ProfileClusteringResult
from skgeoclust.preprocessing import extract_profiles
from skgeoclust.preprocessing._profiles import (
    _check_profile_matrix_fits,
    interpolate_profiles,
)


def _as_profiles(ts):
    """A tslearn dataset (n, sz, 1) or a profile matrix (n, sz) as (n, sz)."""
    X = np.asarray(ts, dtype=np.float64)
    if X.ndim == 3:
        if X.shape[2] != 1:
            raise ValueError(
                f"ts must hold univariate profiles, shape (n, sz, 1); got {X.shape}."
            )
        X = X[:, :, 0]
    if X.ndim != 2:
        raise ValueError(f"ts must be (n, sz) or (n, sz, 1), got shape {X.shape}.")
    return X


def _whole_numbers(values, name):
    """``values`` as int64, or a ValueError naming ``name`` (2.7 is not 2)."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must hold whole numbers of clusters, got {values!r}."
        ) from exc
    if array.dtype.kind == "b" or np.asarray(values).dtype.kind == "b":
        raise ValueError(f"{name} must hold whole numbers of clusters, got {values!r}.")
    bad = ~np.isfinite(array) | (array != np.round(array)) | (array < 1)
    if bad.any():
        value = array.ravel()[np.flatnonzero(bad.ravel())[0]]
        raise ValueError(
            f"{name} must hold whole numbers of clusters (>= 1), got {float(value):g}."
        )
    return array.astype(np.int64)


def _seisgo_profiles(lat, lon, dep, vmodel, spacing, zrange, dz, merge_duplicates):
    """Profiles on SeisGo's grid: every node (duplicates too unless merged) and,
    with ``dz``, SeisGo's depths ``np.arange(min, max + dz / 2, dz)``, the last of
    which may pass the deepest model depth (held at its value, as np.interp does).
    """
    keep = "drop" if merge_duplicates else "keep"
    profiles = extract_profiles(
        lat,
        lon,
        dep,
        vmodel,
        spacing=spacing,
        zrange=zrange,
        duplicate_meridian=keep,
        duplicate_poles=keep,
    )
    if dz is not None:
        depth = profiles.depth
        if isinstance(dz, bool) or not (
            isinstance(dz, Real) and np.isfinite(dz) and dz > 0
        ):
            raise ValueError(f"dz must be a positive number of km, got {dz!r}.")
        steps = (depth[-1] + 0.5 * dz - depth[0]) / dz
        n_z = math.ceil(steps) if math.isfinite(steps) else math.inf
        _check_profile_matrix_fits(profiles.X.shape[0], n_z, dz)
        zvec = np.arange(depth[0], depth[-1] + 0.5 * dz, dz)
        profiles.X = np.ascontiguousarray(
            interpolate_profiles(depth, profiles.X, np.clip(zvec, depth[0], depth[-1]))
        )
        profiles.depth = zvec
    return profiles


def _plot_distortion(nrange, distortion, ys, nbest, smooth):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4), facecolor="w")
    ax.plot(nrange, distortion, "o", label="data")
    ax.plot(nrange, ys, "r-", label="smoothed" if smooth else None)
    ax.vlines(nbest, np.min(ys), np.max(ys), label=f"knee: {nbest}")
    ax.set_xlabel("number of clusters")
    ax.set_ylabel("sum of distance to center")
    ax.set_xticks(nrange)
    ax.legend()
    plt.show()
    return fig


def _show_or_save(result, plot, savefig, figbase, figsize):
    if not plot:
        return
    import matplotlib.pyplot as plt

    if savefig:
        result.save_figures(figbase, figsize=figsize)
    else:
        result.plot_profiles(figsize=figsize)
        result.plot_cluster_map()
        plt.show()


def vpcluster_evaluate_kmean(
    ts,
    nrange,
    smooth=False,
    smooth_n=3,
    plot=True,
    njob=1,
    metric="euclidean",
    max_iter_barycenter=100,
    random_state=0,
):
    """Best number of k-means clusters by the knee of the distortion curve (SeisGo).

    Parameters
    ----------
    ts : array-like of shape (n, sz, 1) or (n, sz)
        Profiles (a tslearn dataset or a profile matrix).
    nrange : array-like of int
        Cluster counts to try.
    smooth : bool, default=False
        Box-smooth the curve over ``smooth_n`` points before locating the knee.
    smooth_n : int, default=3
        Smoothing window.
    plot : bool, default=True
        Draw the curve and the knee.
    njob : int, default=1
        Parallel jobs.
    metric : {"euclidean", "dtw", "softdtw"}, default="euclidean"
        k-means metric.
    max_iter_barycenter : int, default=100
        DTW barycentre iterations.
    random_state : int, default=0
        Seed.

    Returns
    -------
    nbest : int
        The knee.
    ys : ndarray
        The (smoothed) curve of mean squared distance to the centre per k, the
        values SeisGo returns (tslearn's ``inertia_``).

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.compat.seisgo import clustering
    >>> rng = np.random.default_rng(0)
    >>> ts = np.concatenate([rng.normal(m, 0.05, (20, 4)) for m in (3.0, 4.0, 5.0)])
    >>> nbest, ys = clustering.vpcluster_evaluate_kmean(ts, np.arange(2, 8),
    ...                                                 plot=False)
    >>> int(nbest)
    3
    """
    X = _as_profiles(ts)
    nrange = _whole_numbers(nrange, "nrange")
    km = ProfileKMeans(
        None,
        metric=metric,
        n_clusters_range=nrange,
        knee_smoothing=int(smooth_n) if smooth else None,
        max_iter_barycenter=max_iter_barycenter,
        random_state=random_state,
        n_jobs=njob,
    ).fit(X)
    distortion = km.distortions_ / X.shape[0]
    ys = box_smooth(distortion, smooth_n) if smooth else distortion
    if plot:
        _plot_distortion(nrange, distortion, ys, km.n_clusters_, smooth)
    return km.n_clusters_, ys


def vpcluster_kmean(
    lat,
    lon,
    dep,
    vmodel,
    ncluster=None,
    nrange=None,
    spacing=1,
    njob=1,
    zrange=None,
    dz=None,
    verbose=False,
    plot=True,
    savefig=True,
    figbase="kmean",
    metric="euclidean",
    max_iter_barycenter=100,
    random_state=0,
    save=True,
    source="vmodel",
    tag="v",
    figsize=None,
    evaluate_smooth=False,
    evaluate_plot=True,
    merge_duplicates=False,
):
    """k-means clustering of the depth profiles of a 3-D model (SeisGo's signature).

    Parameters are SeisGo's: ``lat`` (n_lat,), ``lon`` (n_lon,), ``dep`` (n_depth,)
    in km and ``vmodel`` (n_depth, n_lat, n_lon); ``ncluster=None`` picks k by the
    knee over ``nrange`` (default 2..20); ``spacing`` and ``zrange`` as in
    :func:`~skgeoclust.preprocessing.extract_profiles`; ``dz`` interpolates to
    SeisGo's depths ``np.arange(min, max + dz / 2, dz)`` (the last may pass the
    deepest model depth and holds its value, as ``np.interp`` does). ``save``
    writes ``<figbase>_clusters_k<N>_results.pk``; ``plot``/``savefig`` draw (and
    write) ``<figbase>_clusters_k<N>.png`` and ``<figbase>_clustermap_k<N>.png``.
    ``verbose`` is accepted and ignored.

    The shapes are SeisGo's: every grid node (without NaN) is a profile, including
    the repeated nodes of a global grid (a meridian listed as -180 and 180, every
    longitude of a pole row), so ``cluster_map`` has one row per node and reshapes
    to the grid, and the automatic k is SeisGo's. ``merge_duplicates=True`` (not in
    SeisGo) clusters each repeated node once instead, with a warning saying what
    was merged (listed in ``result["excluded"]``).

    Returns
    -------
    result : ProfileClusteringResult or None
        None when ``save`` is set, as in SeisGo (load the pickle); else SeisGo's
        outdict fields: ``result["cluster_map"]``, ``result["pred"][k]`` of shape
        (1, n_z, n_k) as SeisGo's slice of a tslearn dataset, and
        ``result["model"].inertia_`` the mean squared distance of a profile to its
        centre (tslearn's convention, where scikit-learn's is the sum).

    Examples
    --------
    >>> from skgeoclust.compat.seisgo import clustering
    >>> from skgeoclust.datasets import make_velocity_model
    >>> lat, lon, dep, v, _ = make_velocity_model(10, 12, 20, n_provinces=3,
    ...                                           random_state=0)
    >>> out = clustering.vpcluster_kmean(lat, lon, dep, v, ncluster=3, plot=False,
    ...                                  save=False)
    >>> out["cluster_map"].shape, sorted(set(out["cluster_map"].cluster))
    ((120, 3), [1, 2, 3])
    """
    if ncluster is not None:
        ncluster = int(_whole_numbers(ncluster, "ncluster"))
    profiles = _seisgo_profiles(
        lat, lon, dep, vmodel, spacing, zrange, dz, merge_duplicates
    )
    ss = []
    if ncluster is None:
        nrange = np.arange(2, 21) if nrange is None else np.asarray(nrange)
        ncluster, ss = vpcluster_evaluate_kmean(
            profiles.X,
            nrange,
            smooth=evaluate_smooth,
            smooth_n=3,
            plot=plot and evaluate_plot,
            njob=njob,
            metric=metric,
            max_iter_barycenter=max_iter_barycenter,
            random_state=random_state,
        )
    km = ProfileKMeans(
        int(ncluster),
        metric=metric,
        max_iter_barycenter=max_iter_barycenter,
        random_state=random_state,
        n_jobs=njob,
    ).fit(profiles.X)
    # tslearn's inertia_, which SeisGo scripts read, is the mean squared distance
    km.inertia_ = km.inertia_ / profiles.X.shape[0]
    para = {
        "n_clusters": int(ncluster),
        "n_jobs": njob,
        "metric": metric,
        "max_iter_barycenter": max_iter_barycenter,
        "random_state": random_state,
        "nrange": nrange,
        "sum_square": ss,
    }
    result = ProfileClusteringResult(
        "k-means",
        km,
        profiles,
        source=source,
        tag=tag,
        para=para,
        pred_layout="tslearn",
    )
    if save:
        result.save(f"{figbase}_clusters_k{int(ncluster)}_results.pk")
    _show_or_save(result, plot, savefig, figbase, figsize)
    return None if save else result


def vpcluster_som(
    lat,
    lon,
    depth,
    v,
    grid_size=None,
    spacing=1,
    niteration=50000,
    sigma=0.3,
    rate=0.1,
    verbose=False,
    plot=True,
    savefig=True,
    figbase="som",
    save=True,
    source="vmodel",
    tag="v",
    figsize=None,
    zrange=None,
    dz=None,
    n_clusters=None,
    random_state=None,
    merge_duplicates=False,
):
    """SOM clustering of the depth profiles of a 3-D model (SeisGo's signature).

    SeisGo's arguments, plus ``zrange``/``dz`` (depth cut and interpolation as in
    :func:`vpcluster_kmean`, which SeisGo's SOM lacks), ``n_clusters`` (Ward merge
    of the populated nodes), ``random_state`` (SeisGo's SOM is unseeded) and
    ``merge_duplicates`` (as in :func:`vpcluster_kmean`: by default every grid
    node is a profile, SeisGo's shapes). ``save`` writes
    ``<figbase>_clusters_k<nx>x<ny>_results.pk`` as SeisGo names it; figures are
    ``<figbase>_clusters_k<N>.png`` and ``<figbase>_clustermap_k<N>.png`` with N the
    number of clusters. ``verbose`` is accepted and ignored.

    Returns
    -------
    result : ProfileClusteringResult or None
        None when ``save`` is set, as in SeisGo (load the pickle); else the result,
        with 1-based clusters that match ``pred`` (SeisGo's do not once a node is
        empty).

    Examples
    --------
    >>> from skgeoclust.compat.seisgo import clustering
    >>> from skgeoclust.datasets import make_velocity_model
    >>> lat, lon, dep, v, _ = make_velocity_model(10, 12, 20, n_provinces=3,
    ...                                           random_state=0)
    >>> out = clustering.vpcluster_som(lat, lon, dep, v, niteration=2000, plot=False,
    ...                                save=False, random_state=0)
    >>> out["para"]["nx"], len(out["pred"]) == int(out["cluster_map"].cluster.max())
    (4, True)
    """
    profiles = _seisgo_profiles(
        lat, lon, depth, v, spacing, zrange, dz, merge_duplicates
    )
    som = ProfileSOM(
        grid_size,
        n_clusters=n_clusters,
        n_iterations=niteration,
        sigma=sigma,
        learning_rate=rate,
        random_state=random_state,
    ).fit(profiles.X)
    nx, ny = som.grid_shape_
    para = {
        "nx": nx,
        "ny": ny,
        "sigma": sigma,
        "niteration": niteration,
        "learning_rate": rate,
    }
    result = ProfileClusteringResult(
        "som", som, profiles, source=source, tag=tag, para=para
    )
    if save:
        result.save(f"{figbase}_clusters_k{nx}x{ny}_results.pk")
    _show_or_save(result, plot, savefig, figbase, figsize)
    return None if save else result
