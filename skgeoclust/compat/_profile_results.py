"""ProfileClusteringResult: SeisGo-style profile clusters, save/load and figures."""
# SPDX-License-Identifier: BSD-3-Clause

import json
import pickle
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

_PICKLE_SUFFIXES = {".pk", ".pkl", ".pickle"}
#: The class's module before it moved to ``skgeoclust.compat``; pickles written
#: then name it.
_FORMER_MODULE = "skgeoclust.cluster._profile_results"


class _Unpickler(pickle.Unpickler):
    """A pickle reader that also finds the class under its former module."""

    def find_class(self, module, name):
        if module == _FORMER_MODULE:
            module = __name__
        return super().find_class(module, name)


def _estimator_classes():
    from skgeoclust.cluster._profile_kmeans import ProfileKMeans
    from skgeoclust.cluster._profile_som import ProfileSOM

    return {"ProfileKMeans": ProfileKMeans, "ProfileSOM": ProfileSOM}


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except TypeError:
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, (np.integer, np.floating)):
            return value.item()
        if isinstance(value, (tuple, list)):
            return [_jsonable(v) for v in value]
        return None


def _estimator_state(model):
    """Parameters (JSON) and fitted arrays of a ProfileKMeans/ProfileSOM."""
    params = {k: _jsonable(v) for k, v in model.get_params(deep=False).items()}
    arrays = {}
    scalars = {}
    for key, value in vars(model).items():
        if not (key.endswith("_") or key.startswith("_")):
            continue
        if isinstance(value, np.ndarray):
            arrays[key] = value.astype(str) if value.dtype == object else value
        elif isinstance(value, (int, float, str, tuple, np.integer, np.floating)):
            scalars[key] = _jsonable(value)
    return params, arrays, scalars


def _restore_estimator(name, params, arrays, scalars):
    cls = _estimator_classes().get(name)
    if cls is None:
        raise ValueError(f"Unknown estimator {name!r} in the saved result.")
    model = cls(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    )
    for key, value in arrays.items():
        setattr(
            model, key, value.astype(object) if key == "feature_names_in_" else value
        )
    for key, value in scalars.items():
        setattr(model, key, tuple(value) if isinstance(value, list) else value)
    return model


class ProfileClusteringResult:
    """Profile clusters as SeisGo reports them, with save/load and figures.

    Holds the fields of SeisGo's ``outdict`` and answers ``result["cluster_map"]``
    as a dict would, so scripts that read SeisGo pickles keep working. Unlike SeisGo,
    ``pred[i]`` and ``cluster_map`` cluster ``i + 1`` always refer to the same
    profiles (SeisGo's SOM numbers map clusters over all grid nodes but lists only
    populated ones).

    Read more in the :ref:`User Guide <profile_clustering>`.

    Parameters
    ----------
    method : str
        ``"k-means"`` or ``"som"``.
    model : ProfileKMeans or ProfileSOM
        The fitted estimator.
    profiles : Bunch
        The output of :func:`~skgeoclust.preprocessing.extract_profiles` the model
        was fitted on (``X``, ``lat``, ``lon``, ``depth``, ``excluded``).
    source : str, default="vmodel"
        User label of the model's origin.
    tag : str, default="v"
        User label of the variable (for example ``"Vs"``), used on plot axes.
    para : dict, default=None
        Algorithm parameters, as SeisGo stores them.
    pred_layout : {"rows", "tslearn"}, default="rows"
        Shape of ``pred[i]``: ``"rows"`` is (n_members, n_z); ``"tslearn"`` is
        (1, n_z, n_members), what SeisGo's k-means stores (the transposed slice of
        a tslearn dataset).

    Attributes
    ----------
    labels : ndarray of shape (n_profiles,)
        0-based cluster of each profile (``cluster_map.cluster`` is this plus 1).
    pred : list of ndarray
        ``pred[i]`` holds the profiles in cluster ``i``: an (n_members, n_z) array,
        or (1, n_z, n_members) with ``pred_layout="tslearn"``.
    cluster_map : pandas.DataFrame
        Columns ``lat``, ``lon``, ``cluster`` (1-based, as in SeisGo).
    centers : ndarray of shape (n_clusters, n_z)
        Centroid (k-means) or mean (SOM) profile of each cluster.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.cluster import ProfileKMeans
    >>> from skgeoclust.compat import ProfileClusteringResult
    >>> from skgeoclust.preprocessing import extract_profiles
    >>> model = np.stack([np.full((2, 3), 3.0), np.full((2, 3), 4.0)])
    >>> model[:, :, 0] += 1.0
    >>> p = extract_profiles([0.0, 1.0], [0.0, 1.0, 2.0], [0.0, 10.0], model)
    >>> km = ProfileKMeans(2, random_state=0).fit(p.X)
    >>> res = ProfileClusteringResult("k-means", km, p, tag="Vs")
    >>> [len(members) for members in res["pred"]], res.n_clusters
    ([2, 4], 2)
    """

    #: Keys answered by ``result[key]`` (SeisGo's outdict keys plus extras).
    KEYS = (
        "method",
        "source",
        "tag",
        "depth",
        "model",
        "pred",
        "para",
        "cluster_map",
        "data",
        "labels",
        "lat",
        "lon",
        "centers",
        "excluded",
    )

    def __init__(
        self,
        method,
        model,
        profiles,
        *,
        source="vmodel",
        tag="v",
        para=None,
        pred_layout="rows",
    ):
        if pred_layout not in ("rows", "tslearn"):
            raise ValueError(
                f"pred_layout must be 'rows' or 'tslearn', got {pred_layout!r}."
            )
        self.pred_layout = pred_layout
        self.method = method
        self.model = model
        self.source = source
        self.tag = tag
        self.para = {} if para is None else dict(para)
        self.data = np.asarray(profiles["X"])
        self.lat = np.asarray(profiles["lat"])
        self.lon = np.asarray(profiles["lon"])
        self.depth = np.asarray(profiles["depth"])
        excluded = profiles.get("excluded")
        self.excluded = (
            excluded
            if excluded is not None
            else Bunch(lat=np.empty(0), lon=np.empty(0), reason=np.empty(0, dtype=str))
        )
        self.labels = np.asarray(model.labels_)
        self.centers = np.asarray(model.cluster_centers_)

    @property
    def n_clusters(self):
        """Number of clusters."""
        return int(self.centers.shape[0])

    @property
    def pred(self):
        """Profiles of each cluster: (n_members, n_z) arrays (see ``pred_layout``)."""
        rows = [self.data[self.labels == k] for k in range(self.n_clusters)]
        if getattr(self, "pred_layout", "rows") == "tslearn":
            return [members.T[None] for members in rows]
        return rows

    @property
    def cluster_map(self):
        """DataFrame of lat, lon and 1-based cluster of every profile."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - pandas is in the test extra
            raise ImportError("cluster_map needs pandas: pip install pandas") from exc
        return pd.DataFrame(
            {"lat": self.lat, "lon": self.lon, "cluster": self.labels + 1}
        )

    def keys(self):
        """The keys answered by ``result[key]``."""
        return list(self.KEYS)

    def __getitem__(self, key):
        if key not in self.KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key):
        return key in self.KEYS

    def __repr__(self):
        return (
            f"ProfileClusteringResult(method={self.method!r}, n_profiles="
            f"{self.data.shape[0]}, n_z={self.depth.size}, "
            f"n_clusters={self.n_clusters})"
        )

    # -- persistence -------------------------------------------------------------
    def save(self, path):
        """Write the result to ``path``: pickle (``.pk``/``.pkl``) or ``.npz``.

        The ``.npz`` file holds only arrays and JSON text, so loading it runs no
        code from the file (safe for results from elsewhere).

        Parameters
        ----------
        path : str or path-like
            Destination; the suffix picks the format.

        Returns
        -------
        path : pathlib.Path
        """
        path = Path(path)
        if path.suffix in _PICKLE_SUFFIXES:
            with open(path, "wb") as f:
                pickle.dump(self, f)
            return path
        if path.suffix != ".npz":
            raise ValueError(
                f"Unknown result format {path.suffix!r}: use .npz, .pk, .pkl or "
                ".pickle."
            )
        params, arrays, scalars = _estimator_state(self.model)
        meta = {
            "method": self.method,
            "source": self.source,
            "tag": self.tag,
            "para": {k: _jsonable(v) for k, v in self.para.items()},
            "estimator": type(self.model).__name__,
            "pred_layout": getattr(self, "pred_layout", "rows"),
            "params": params,
            "scalars": scalars,
        }
        np.savez_compressed(
            path,
            meta=np.array(json.dumps(meta)),
            data=self.data,
            lat=self.lat,
            lon=self.lon,
            depth=self.depth,
            excluded_lat=np.asarray(self.excluded["lat"]),
            excluded_lon=np.asarray(self.excluded["lon"]),
            excluded_reason=np.asarray(self.excluded["reason"]).astype(str),
            **{f"est__{k}": v for k, v in arrays.items()},
        )
        return path

    @classmethod
    def load(cls, path):
        """Read a result written by :meth:`save` (or SeisGo-named pickles of it).

        Parameters
        ----------
        path : str or path-like
            A ``.npz`` file, or a pickle (only load pickles you trust).

        Returns
        -------
        result : ProfileClusteringResult
        """
        path = Path(path)
        if path.suffix in _PICKLE_SUFFIXES:
            with open(path, "rb") as f:
                return _Unpickler(f).load()
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
            arrays = {k[5:]: npz[k] for k in npz.files if k.startswith("est__")}
            model = _restore_estimator(
                meta["estimator"], meta["params"], arrays, meta["scalars"]
            )
            profiles = Bunch(
                X=npz["data"],
                lat=npz["lat"],
                lon=npz["lon"],
                depth=npz["depth"],
                excluded=Bunch(
                    lat=npz["excluded_lat"],
                    lon=npz["excluded_lon"],
                    reason=npz["excluded_reason"],
                ),
            )
        return cls(
            meta["method"],
            model,
            profiles,
            source=meta["source"],
            tag=meta["tag"],
            para=meta["para"],
            pred_layout=meta.get("pred_layout", "rows"),
        )

    # -- figures -------------------------------------------------------------------
    def plot_profiles(self, *, figsize=None):
        """All profiles of each cluster (grey) with its centre (red), depth down.

        Parameters
        ----------
        figsize : tuple of float, default=None
            Figure size in inches; None picks one from the number of clusters.

        Returns
        -------
        fig : matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        k = self.n_clusters
        ncols = min(k, 6)
        nrows = int(np.ceil(k / ncols))
        fig, axes = plt.subplots(
            nrows,
            ncols,
            squeeze=False,
            sharey=True,
            figsize=figsize or (2.4 * ncols + 1, 3.6 * nrows),
        )
        for i, ax in enumerate(axes.ravel()):
            if i >= k:
                ax.set_visible(False)
                continue
            members = self.data[self.labels == i]
            ax.plot(members.T, self.depth, color="0.5", alpha=0.2, lw=0.6)
            ax.plot(self.centers[i], self.depth, color="red", lw=1.8)
            ax.set_title(f"Cluster {i + 1} (n={members.shape[0]})", fontsize=9)
            ax.set_xlabel(self.tag)
            if i % ncols == 0:
                ax.set_ylabel("depth (km)")
        axes[0, 0].invert_yaxis()
        fig.tight_layout()
        return fig

    def plot_cluster_map(self, *, figsize=(8, 6)):
        """Map view of the 1-based cluster of every profile.

        Parameters
        ----------
        figsize : tuple of float, default=(8, 6)
            Figure size in inches.

        Returns
        -------
        fig : matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=figsize)
        k = self.n_clusters
        cmap = plt.get_cmap("tab20" if k > 10 else "tab10", k)
        sc = ax.scatter(
            self.lon,
            self.lat,
            c=self.labels + 1,
            cmap=cmap,
            vmin=0.5,
            vmax=k + 0.5,
            s=12,
            marker="s",
        )
        if self.excluded["lat"].size:
            ax.scatter(
                self.excluded["lon"],
                self.excluded["lat"],
                c="none",
                edgecolors="0.6",
                s=10,
                marker="s",
                label="excluded",
            )
            ax.legend(loc="lower right", fontsize=8)
        cbar = fig.colorbar(sc, ax=ax, ticks=np.arange(1, k + 1))
        cbar.set_label("cluster")
        ax.set_xlabel("longitude (deg)")
        ax.set_ylabel("latitude (deg)")
        ax.set_aspect(1.0 / max(np.cos(np.deg2rad(np.mean(self.lat))), 0.2))
        ax.set_title(f"{self.source} {self.tag}: {self.method}, {k} clusters")
        fig.tight_layout()
        return fig

    def save_figures(self, figbase, *, figsize=None):
        """Write ``<figbase>_clusters_k<N>.png`` and ``<figbase>_clustermap_k<N>.png``.

        Parameters
        ----------
        figbase : str
            Path prefix of the two PNG files.
        figsize : tuple of float, default=None
            Size of the profile figure.

        Returns
        -------
        paths : list of str
        """
        import matplotlib.pyplot as plt

        paths = []
        for name, fig in (
            ("clusters", self.plot_profiles(figsize=figsize)),
            ("clustermap", self.plot_cluster_map()),
        ):
            out = f"{figbase}_{name}_k{self.n_clusters}.png"
            fig.savefig(out, format="png", dpi=120)
            plt.close(fig)
            paths.append(out)
        return paths
