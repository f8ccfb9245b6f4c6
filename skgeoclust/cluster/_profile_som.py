"""ProfileSOM: self-organising map clustering of depth profiles (minisom-compatible)."""
# SPDX-License-Identifier: BSD-3-Clause

import math
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from minisom import MiniSom
from sklearn.base import BaseEstimator, ClusterMixin, _fit_context
from sklearn.cluster import AgglomerativeClustering
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skgeoclust._kernels.som import train_online
from skgeoclust.cluster._kmeans_core import nearest_two
from skgeoclust.utils._seeds import integer_seed
from skgeoclust.utils._validation import validate_profile_data

#: minisom's rectangular topographic-error threshold (diagonal neighbours count as
#: adjacent).
_ADJACENT = 1.42


class _Winners(NamedTuple):
    bmu: np.ndarray
    second: np.ndarray
    distance: np.ndarray


def _winners(X, codebook):
    """Best and second-best node (flat index) and distance to the best, per sample
    (the k-means assignment with its runner-up, every Numba thread allowed)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    codebook = np.ascontiguousarray(codebook, dtype=np.float64)
    bmu, second, sq_dist = nearest_two(X, codebook)
    return _Winners(bmu, second, np.sqrt(sq_dist))


def _grid_shape(grid_size, n_samples):
    if grid_size is None:
        side = math.ceil(math.sqrt(math.sqrt(n_samples)))
        return side, side
    if isinstance(grid_size, Integral):
        return int(grid_size), int(grid_size)
    shape = tuple(grid_size)
    if len(shape) != 2 or not all(
        isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in shape
    ):
        raise ValueError(
            f"grid_size must be None, a positive int or a pair of positive ints, got "
            f"{grid_size!r}."
        )
    return int(shape[0]), int(shape[1])


def _topographic_error(second, bmu, grid_y):
    if np.any(second < 0):
        return float("nan")
    dx = bmu // grid_y - second // grid_y
    dy = bmu % grid_y - second % grid_y
    return float(np.mean(np.hypot(dx, dy) > _ADJACENT))


class ProfileSOM(ClusterMixin, BaseEstimator):
    """Self-organising map clustering of depth profiles (SeisGo's SOM, fixed and fast).

    A rectangular ``grid_size`` map is initialised through :mod:`minisom` (random
    samples, or the first two principal components) and trained with minisom's online
    rule: gaussian neighbourhood, Euclidean winner, learning rate and radius both
    decaying as ``value / (1 + t / (T / 2))``. ``algorithm="numba"`` runs that rule in
    a compiled kernel that reproduces minisom's codebook (tested to 1e-10);
    ``algorithm="minisom"`` calls ``MiniSom.train``. Each profile is labelled by its
    best-matching node; labels are compacted to the populated nodes, numbered in
    increasing flat node index ``i * grid_y + j`` (row-major, the order SeisGo lists
    them). With ``n_clusters``, the populated nodes' codebook vectors are merged by
    Ward agglomeration (two-level SOM clustering, Vesanto & Alhoniemi 2000), so a
    cluster count follows the data rather than the grid size.

    Read more in the :ref:`User Guide <profile_clustering>`.

    Parameters
    ----------
    grid_size : int or tuple of (int, int), default=None
        Map shape ``(grid_x, grid_y)``; an int is a square map. None uses
        ``ceil(n_samples ** 0.25)`` per side, as SeisGo does.
    n_clusters : int, default=None
        If set, merge the populated nodes into this many clusters (Ward on the
        codebook). None keeps one cluster per populated node.
    n_iterations : int, default=50_000
        Training steps (one sample each), minisom's ``num_iteration``.
    sigma : float, default=0.3
        Initial neighbourhood radius, in nodes.
    learning_rate : float, default=0.1
        Initial learning rate.
    init : {"random", "pca"}, default="random"
        minisom's ``random_weights_init`` (nodes start at random samples) or
        ``pca_weights_init`` (needs at least 2 features).
    random_order : bool, default=False
        Visit the samples in a random permutation (minisom ``random_order=True``)
        rather than cyclically in input order (SeisGo's choice).
    algorithm : {"numba", "minisom"}, default="numba"
        Training engine; both give the same codebook.
    random_state : int, RandomState instance or None, default=None
        Seeds minisom's generator (an int is passed to ``MiniSom(random_seed=...)``
        unchanged, so results match minisom run with that seed).

    Attributes
    ----------
    codebook_ : ndarray of shape (grid_x, grid_y, n_features)
        Trained node weights (minisom's ``get_weights()``).
    grid_shape_ : tuple of (int, int)
        The map shape used.
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training profile, in ``[0, n_clusters_)``.
    bmu_ : ndarray of shape (n_samples,)
        Flat index ``i * grid_y + j`` of each profile's best-matching node.
    node_labels_ : ndarray of shape (grid_x, grid_y)
        Cluster of each node, -1 for nodes that no training profile reached.
    node_counts_ : ndarray of shape (grid_x, grid_y)
        Number of training profiles per node (minisom's ``activation_response``).
    cluster_centers_ : ndarray of shape (`n_clusters_`, n_features)
        Mean profile of each cluster.
    n_clusters_ : int
        Number of clusters (populated nodes, or ``n_clusters``).
    quantization_error_ : float
        Mean distance of the training profiles to their best-matching node.
    topographic_error_ : float
        Fraction of training profiles whose two best nodes are not adjacent
        (diagonals count as adjacent); NaN for a one-node map.
    n_features_in_ : int
        Number of depths per profile.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in :meth:`fit`, for DataFrame input.

    See Also
    --------
    ProfileKMeans : k-means on profiles, with knee selection of k.
    skgeoclust.preprocessing.extract_profiles : Profiles from a 3-D model.

    Notes
    -----
    Training costs O(n_iterations * grid_x * grid_y * n_features) time and
    O(grid_x * grid_y * n_features) memory; labelling is O(n_samples * n_nodes *
    n_features) in a parallel kernel, without an n x n matrix. Neighbourhood gains
    below 1e-20 are skipped (see :func:`skgeoclust._kernels.som.train_online`); the
    codebook still equals minisom's to rounding. :meth:`predict` assigns a new profile
    to the nearest *populated* node, so a profile whose best node is empty still gets
    a label; for training profiles this is their best-matching node.

    Departures from SeisGo: SeisGo numbers its map clusters over all grid nodes
    (``x * som_y + y + 1``) while listing profiles for populated nodes only, so the
    two disagree once a node is empty; here both use the compacted labels. SeisGo is
    unseeded; this estimator is reproducible with ``random_state``.

    References
    ----------
    .. [1] Kohonen, T. (2001). Self-Organizing Maps, 3rd ed. Springer.
    .. [2] Vesanto, J. and Alhoniemi, E. (2000). Clustering of the self-organizing
       map. IEEE Transactions on Neural Networks 11(3), 586-600.
    .. [3] Vettigli, G. (2018). MiniSom: minimalistic and NumPy-based implementation
       of the Self Organizing Map. https://github.com/JustGlowing/minisom

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.cluster import ProfileSOM
    >>> X = np.array([[4.0, 4.5, 4.6], [4.1, 4.5, 4.7], [3.0, 3.5, 4.4],
    ...               [3.1, 3.4, 4.4], [3.0, 3.6, 4.5], [4.0, 4.4, 4.6]])
    >>> som = ProfileSOM((2, 2), n_clusters=2, n_iterations=200,
    ...                  random_state=0).fit(X)
    >>> som.labels_.tolist(), som.codebook_.shape
    ([0, 0, 1, 1, 1, 0], (2, 2, 3))
    """

    _parameter_constraints: dict = {
        "grid_size": [Interval(Integral, 1, None, closed="left"), tuple, list, None],
        "n_clusters": [Interval(Integral, 1, None, closed="left"), None],
        "n_iterations": [Interval(Integral, 1, None, closed="left")],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "init": [StrOptions({"random", "pca"})],
        "random_order": ["boolean"],
        "algorithm": [StrOptions({"numba", "minisom"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        grid_size=None,
        *,
        n_clusters=None,
        n_iterations=50_000,
        sigma=0.3,
        learning_rate=0.1,
        init="random",
        random_order=False,
        algorithm="numba",
        random_state=None,
    ):
        self.grid_size = grid_size
        self.n_clusters = n_clusters
        self.n_iterations = n_iterations
        self.sigma = sigma
        self.learning_rate = learning_rate
        self.init = init
        self.random_order = random_order
        self.algorithm = algorithm
        self.random_state = random_state

    def _new_minisom(self, grid_x, grid_y, n_features, seed):
        return MiniSom(
            grid_x,
            grid_y,
            n_features,
            sigma=self.sigma,
            learning_rate=self.learning_rate,
            random_seed=seed,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the map on profiles and label them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Profiles, one per row (a column per depth).
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : ProfileSOM
            Fitted estimator.
        """
        X = validate_profile_data(self, X, reset=True)
        n_samples, n_features = X.shape
        grid_x, grid_y = _grid_shape(self.grid_size, n_samples)
        if self.init == "pca" and n_features < 2:
            raise ValueError(
                f"init='pca' needs at least 2 features (depths), got {n_features}."
            )

        som = self._new_minisom(
            grid_x, grid_y, n_features, integer_seed(self.random_state)
        )
        if self.init == "pca":
            som.pca_weights_init(X)
        else:
            som.random_weights_init(X)
        if self.algorithm == "minisom":
            som.train(X, self.n_iterations, random_order=self.random_order)
            codebook = np.array(som.get_weights(), dtype=np.float64)
        else:
            order = np.arange(self.n_iterations) % n_samples
            if self.random_order:
                # MiniSom.train(random_order=True) shuffles with the generator it
                # seeded and drew the initial weights from; minisom has no public
                # handle on it, and the same codebook needs the same permutation.
                som._random_generator.shuffle(order)
            weights_t = np.ascontiguousarray(
                som.get_weights().reshape(grid_x * grid_y, n_features).T,
                dtype=np.float64,
            )
            train_online(
                X,
                order.astype(np.int64),
                weights_t,
                grid_y,
                float(self.sigma),
                float(self.learning_rate),
            )
            codebook = weights_t.T.reshape(grid_x, grid_y, n_features).copy()

        flat = codebook.reshape(grid_x * grid_y, n_features)
        win = _winners(X, flat)
        counts = np.bincount(win.bmu, minlength=grid_x * grid_y)
        populated = np.flatnonzero(counts)
        node_labels = np.full(grid_x * grid_y, -1, dtype=np.int64)
        if self.n_clusters is None:
            node_labels[populated] = np.arange(populated.size)
            n_clusters = populated.size
        else:
            n_clusters = int(self.n_clusters)
            if n_clusters > populated.size:
                raise ValueError(
                    f"n_clusters={n_clusters} exceeds the {populated.size} populated "
                    f"nodes of the {grid_x} x {grid_y} map; use a larger grid_size or "
                    "a smaller n_clusters."
                )
            if n_clusters == populated.size:
                merged = np.arange(populated.size)
            else:
                merged = AgglomerativeClustering(
                    n_clusters=n_clusters, linkage="ward"
                ).fit_predict(flat[populated])
            # Renumber clusters by their first node, so labels are stable.
            _, first = np.unique(merged, return_index=True)
            rank = np.empty(n_clusters, dtype=np.int64)
            rank[np.argsort(first, kind="stable")] = np.arange(n_clusters)
            node_labels[populated] = rank[merged]
        labels = node_labels[win.bmu]
        sizes = np.bincount(labels, minlength=n_clusters).astype(np.float64)
        centers = np.zeros((n_clusters, n_features), dtype=np.float64)
        np.add.at(centers, labels, X)
        centers /= sizes[:, None]

        self.codebook_ = codebook
        self.grid_shape_ = (grid_x, grid_y)
        self.bmu_ = win.bmu
        self.labels_ = labels
        self.node_labels_ = node_labels.reshape(grid_x, grid_y)
        self.node_counts_ = counts.reshape(grid_x, grid_y)
        self.cluster_centers_ = centers
        self.n_clusters_ = n_clusters
        self.quantization_error_ = float(np.mean(win.distance))
        self.topographic_error_ = _topographic_error(win.second, win.bmu, grid_y)
        return self

    def predict(self, X):
        """Label profiles by their nearest populated node.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Profiles.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster of each profile.
        """
        check_is_fitted(self)
        X = validate_profile_data(self, X, reset=False)
        node_labels = self.node_labels_.ravel()
        populated = np.flatnonzero(node_labels >= 0)
        flat = self.codebook_.reshape(-1, self.codebook_.shape[-1])
        win = _winners(X, flat[populated])
        return node_labels[populated[win.bmu]]

    def quantization_error(self, X):
        """Mean distance of profiles to their best-matching node (minisom's measure).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Profiles.

        Returns
        -------
        error : float
            Mean Euclidean distance, in the units of the profiles.
        """
        check_is_fitted(self)
        X = validate_profile_data(self, X, reset=False)
        flat = self.codebook_.reshape(-1, self.codebook_.shape[-1])
        return float(np.mean(_winners(X, flat).distance))

    def to_minisom(self):
        """A :class:`minisom.MiniSom` carrying the trained codebook.

        Returns
        -------
        som : minisom.MiniSom
            Same grid, ``sigma`` and ``learning_rate``; its weights are a copy of
            :attr:`codebook_`, so minisom's tools (``distance_map``, ``win_map``,
            ``labels_map``) work on the fitted map.
        """
        check_is_fitted(self)
        grid_x, grid_y = self.grid_shape_
        som = self._new_minisom(grid_x, grid_y, self.codebook_.shape[-1], 0)
        # minisom has no weight setter; get_weights() hands out the map's own array.
        som.get_weights()[...] = self.codebook_
        return som
