"""SphericalKMedoids: span-constrained k-medoids of epicentres on the sphere."""
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, _fit_context
from sklearn.neighbors import BallTree
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
)

from skgeoclust._kernels.medoid import medoids_of_clusters
from skgeoclust._kernels.spans import spans_of_clusters
from skgeoclust._kernels.sphere import (
    angles_to_representatives,
    edge_angles,
    nearest_representative,
)
from skgeoclust._kernels.unionfind import connected_components
from skgeoclust.cluster._kmedoids_group import _csr, fit_group
from skgeoclust.cluster._spherical_delaunay import spherical_delaunay_edges
from skgeoclust.geometry import (
    EARTH_RADIUS_KM,
    latlon_to_unit_vectors,
    pairwise_haversine_km,
)
from skgeoclust.utils import validate_catalog_data


def _unit_vectors(X):
    """Unit vectors of (lat, lon) rows; the poles get one vector whatever the lon."""
    xyz = latlon_to_unit_vectors(X[:, 0], X[:, 1])
    pole = np.abs(X[:, 0]) == 90.0
    xyz[pole] = np.column_stack(
        [np.zeros(pole.sum()), np.zeros(pole.sum()), np.sign(X[pole, 0])]
    )
    return xyz


class SphericalKMedoids(TransformerMixin, ClusterMixin, BaseEstimator):
    """Span-constrained k-medoids of epicentres on the sphere, in O(n log n).

    Finds clusters of epicentres no wider than ``max_span_km`` (great-circle
    distance between any two members), each represented by one of its events (the
    medoid), with the number of clusters chosen by the algorithm: the events are
    tessellated on the sphere (spherical Delaunay), split into *event groups*
    (connected components of Delaunay edges no longer than ``max_span_km``); a group
    narrower than ``max_span_km`` is one cluster, and a wider group is subdivided
    along medial axes, then optimised by k-medoid swaps that never let a span exceed
    ``max_span_km``, with adjacent clusters merged whenever their union fits.

    Read more in the :ref:`User Guide <spherical_kmedoids>`.

    Parameters
    ----------
    max_span_km : float, default=55.6
        Largest allowed span of a cluster in km (the maximum span D_max): 55.6 km is
        0.5 degree of arc on a sphere of radius 6371.0 km (111.19 km per degree).
        It also sets the event groups: events closer than this are linked.
    max_iter : int, default=100
        Largest number of optimisation passes (a swap pass over every cluster and
        a merge pass) per group; a group stops earlier after a pass without change.
    n_jobs : int, default=None
        Number of jobs processing event groups in parallel (joblib; ``None`` means 1
        unless in a ``joblib.parallel_config`` context, -1 all processors).
    random_state : int, RandomState instance or None, default=None
        Seeds the order in which candidate representatives are visited (it decides
        between candidates of equal objective and which candidates a scan sees
        before its refusal cap) and the order of the exact medoid search. Pass an
        int for reproducible results.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each event. Clusters are numbered by the position of their
        medoid in the sorted order of the distinct epicentres' unit vectors
        (x, y, z), so the numbering does not depend on the order of the rows.
    medoid_indices_ : ndarray of shape (`n_clusters_`,)
        Row of ``X`` of each cluster's medoid (the first row with that epicentre).
    cluster_centers_ : ndarray of shape (`n_clusters_`, 2)
        (lat, lon) of the medoids in degrees.
    n_clusters_ : int
        Number of clusters found.
    inertia_ : float
        The objective M(C): sum over events of weight times great-circle distance
        (km) to the cluster medoid.
    spans_ : ndarray of shape (`n_clusters_`,)
        Span of each cluster in km, at most ``max_span_km``.
    groups_ : ndarray of shape (n_samples,)
        Event group of each event.
    n_groups_ : int
        Number of event groups (isolated events included).
    n_iter_ : int
        Largest number of optimisation passes run in any group (1 when every
        group is already narrow enough to be one cluster).
    neighbor_graph_ : str
        How the neighbour graph was built: ``"convex_hull"`` (3-D convex hull of the
        unit vectors = spherical Delaunay), ``"stereographic"`` (planar Delaunay of
        the stereographic projection, for catalogs within 60 degrees of their mean
        direction), ``"complete"`` (fewer than 4 distinct epicentres), ``"circle"``
        (all epicentres on one plane, e.g. one great circle, where Qhull cannot
        triangulate) or ``"radius"`` (other Qhull failure: every pair closer than
        ``max_span_km``).
    n_features_in_ : int
        2 for (lat, lon) input, 3 for (lat, lon, depth).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the catalog columns seen in :meth:`fit`, for DataFrame input.

    See Also
    --------
    skgeoclust.preprocessing.GeoToCartesian : Local km frame for Cartesian clusterers.

    Notes
    -----
    Input is (lat, lon) in degrees; a third column (depth) is accepted and ignored,
    the clustering is of epicentres. A DataFrame is read by column name (``lat`` /
    ``latitude``, ``lon`` / ``longitude``, optional ``depth``; other columns are
    dropped), or by position when its columns are not names (e.g. 0, 1). Distances are
    great-circle distances on a sphere of radius 6371.0 km. Events with the same
    epicentre always share a cluster (they are processed as one weighted site).

    Steps, following the original algorithm: (1) spherical Delaunay tessellation;
    (2) event groups; (3) per group wider than ``max_span_km``, recursive
    medial-axis subdivision (split by the great circle equidistant from the ends of
    the span), exact weighted medoid of each part, and consistency (each event to
    its nearest medoid); (4) k-medoid optimisation: each member of a cluster is
    tested as its representative, with the change of M(C) summed over the events
    that move into the cluster and the cluster's own events that stay or move out;
    an improving swap is rejected if any affected cluster's span would exceed
    ``max_span_km``; then adjacent clusters whose union spans at most
    ``max_span_km`` are merged (the merge is kept if consistency then leaves every
    span within the limit); passes repeat until nothing changes; (5) the final
    fix-up, which the original algorithm leaves undescribed, is here: reassign
    every event to its nearest medoid and, should a cluster then exceed the span,
    split it along its medial axis and repeat. Groups are independent and run in
    parallel (``n_jobs``).

    Departures: the original algorithm tests every non-representative event against
    a representative; here a cluster's candidates are its own members (an event of
    another cluster as representative of cluster j would empty cluster j around it).
    Each scan of a cluster's members makes the best span-respecting improving swap
    rather than the first (same stopping rule, a local optimum for single swaps;
    fewer accepted swaps, each of which forces the neighbouring clusters to be
    scanned again), and stops early after 32 improving candidates were refused for
    the span. A merge tries the union's medoid, then the 64 members nearest to it,
    as representative. Spans are exact (farthest pair among the vertices of the convex
    hull in a gnomonic projection, for sets within 40 degrees of their mean direction;
    brute force otherwise); for a set wider than that whose span is certainly too large,
    the split axis is the double-sweep farthest pair rather than the exact one.

    Complexity: the tessellation is O(n log n); groups O(n); the subdivision
    O(n log n) per level. A swap scan of a cluster of s events with a events of
    neighbouring clusters within reach of its hull costs O(e (s + a)) for e
    evaluated candidates; the others are skipped by lower bounds of the objective
    change (triangle inequality, and near an evaluated candidate the geodesic
    convexity of the distance, whose small gradient near the optimum keeps e to tens
    or hundreds even for clusters of 100,000 events). After a swap only the clusters
    whose scan it can reach are scanned again. Memory is O(n) (no distance matrix).

    References
    ----------
    .. [1] Spherical k-medoid clustering of seismic events with Delaunay event
       groups: the method implemented here (tessellation, event groups, medial-axis
       subdivision, span-constrained k-medoid swaps).
    .. [2] Newling, J. and Fleuret, F. (2017). A sub-quadratic exact medoid
       algorithm. AISTATS.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.cluster import SphericalKMedoids
    >>> X = np.array([[35.0, 139.0], [35.1, 139.1], [35.0, 139.2],
    ...               [35.9, 139.0], [36.0, 139.1], [-20.0, 179.9], [-20.0, -179.9]])
    >>> km = SphericalKMedoids(max_span_km=30.0, random_state=0).fit(X)
    >>> km.labels_
    array([1, 1, 1, 2, 2, 0, 0])
    >>> km.n_clusters_, km.spans_.round(1)
    (3, array([20.9, 18.2, 14.3]))
    >>> km.predict([[35.05, 139.1], [-20.0, 180.0]])
    array([1, 0])
    """

    _parameter_constraints: dict = {
        "max_span_km": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self, max_span_km=55.6, *, max_iter=100, n_jobs=None, random_state=None
    ):
        self.max_span_km = max_span_km
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _validate_catalog(self, X, *, reset):
        return validate_catalog_data(self, X, reset=reset)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Cluster the epicentres.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, 2) or (n_samples, 3)
            Catalog (lat, lon[, depth]) in degrees (and km); depth is ignored.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative event weights in M(C) (e.g. moment); None means 1.

        Returns
        -------
        self : SphericalKMedoids
            Fitted estimator.
        """
        X = self._validate_catalog(X, reset=True)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        rng = check_random_state(self.random_state)
        max_span_rad = min(self.max_span_km / EARTH_RADIUS_KM, np.pi)

        # Distinct epicentres ("sites") in sorted order: duplicates share a cluster
        # and the result does not depend on the order of the rows.
        xyz_all = _unit_vectors(X)
        xyz, first, inverse = np.unique(
            xyz_all, axis=0, return_index=True, return_inverse=True
        )
        inverse = inverse.reshape(-1)
        n_sites = xyz.shape[0]
        w = np.bincount(inverse, weights=sample_weight, minlength=n_sites)

        # 1-2. Tessellation and event groups.
        src, dst, neighbor_graph = spherical_delaunay_edges(xyz, max_span_rad)
        keep = edge_angles(xyz, src, dst) <= max_span_rad
        groups = connected_components(n_sites, src, dst, keep)
        n_groups = int(groups.max()) + 1
        indptr, order = _csr(groups, n_groups)
        group_spans, _ = spans_of_clusters(xyz, indptr, order, max_span_rad)
        priority = rng.random_sample(n_sites)
        seeds = rng.randint(np.iinfo(np.int32).max, size=n_groups)

        # 3. Groups within the span are finished clusters.
        done = np.flatnonzero(group_spans <= max_span_rad)
        sizes = np.diff(indptr)
        sub_indptr = np.zeros(done.shape[0] + 1, dtype=np.int64)
        np.cumsum(sizes[done], out=sub_indptr[1:])
        sub_sites = (
            np.concatenate([order[indptr[g] : indptr[g + 1]] for g in done])
            if done.size
            else np.empty(0, dtype=np.int64)
        )
        done_reps = medoids_of_clusters(xyz, w, sub_indptr, sub_sites, priority)
        rep_parts = [done_reps]
        span_parts = [group_spans[done]]
        cluster_of_site = np.empty(n_sites, dtype=np.int64)
        cluster_of_site[sub_sites] = np.repeat(np.arange(done.shape[0]), sizes[done])
        site_dist = np.empty(n_sites)
        site_dist[sub_sites] = angles_to_representatives(
            xyz, sub_indptr, sub_sites, done_reps
        )

        # 4. The other groups: subdivision and k-medoid optimisation, in parallel.
        todo = np.flatnonzero(group_spans > max_span_rad)
        todo = todo[np.argsort(-sizes[todo], kind="stable")]
        group_sites = [order[indptr[g] : indptr[g + 1]] for g in todo]
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(fit_group)(xyz[s], w[s], max_span_rad, self.max_iter, seeds[g])
            for g, s in zip(todo, group_sites)
        )
        n_done = done.shape[0]
        n_iter = 1
        for s, res in zip(group_sites, results):
            cluster_of_site[s] = res.labels + n_done
            site_dist[s] = res.distances
            rep_parts.append(s[res.representatives])
            span_parts.append(res.spans)
            n_done += res.representatives.shape[0]
            n_iter = max(n_iter, res.n_iter)
        rep_sites = np.concatenate(rep_parts).astype(np.int64)

        # Number clusters by their medoid site (this is predict's tie order).
        by_site = np.argsort(rep_sites, kind="stable")
        relabel = np.empty_like(by_site)
        relabel[by_site] = np.arange(by_site.shape[0])
        rep_sites = rep_sites[by_site]
        spans = np.concatenate(span_parts)[by_site]
        site_labels = relabel[cluster_of_site]

        self.labels_ = site_labels[inverse]
        self.neighbor_graph_ = neighbor_graph
        self.groups_ = groups[inverse]
        self.n_groups_ = n_groups
        self.medoid_indices_ = first[rep_sites]
        self.cluster_centers_ = X[self.medoid_indices_, :2].copy()
        self.n_clusters_ = int(rep_sites.shape[0])
        self.spans_ = spans * EARTH_RADIUS_KM
        self.inertia_ = float(sample_weight @ site_dist[inverse]) * EARTH_RADIUS_KM
        self.n_iter_ = n_iter
        return self

    def _nearest_medoid(self, X):
        xyz = _unit_vectors(X)
        n_candidates = min(4, self.n_clusters_)
        tree = BallTree(np.radians(self.cluster_centers_), metric="haversine")
        _, cand = tree.query(np.radians(X[:, :2]), k=n_candidates)
        n = X.shape[0]
        both = np.vstack([xyz, _unit_vectors(self.cluster_centers_)])
        which, _ = nearest_representative(
            both, np.arange(n, dtype=np.int64), cand.astype(np.int64) + n
        )
        return cand[np.arange(n), which]

    def predict(self, X):
        """Cluster of the nearest medoid (great-circle distance) for each event.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, `n_features_in_`)
            Catalog (lat, lon[, depth]) in degrees (and km).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster index; ``predict`` of the training catalog equals ``labels_``.
        """
        check_is_fitted(self)
        X = self._validate_catalog(X, reset=False)
        return self._nearest_medoid(X)

    def transform(self, X):
        """Great-circle distance in km from each event to each medoid.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, `n_features_in_`)
            Catalog (lat, lon[, depth]) in degrees (and km).

        Returns
        -------
        ndarray of shape (n_samples, `n_clusters_`)
            Distances in km.
        """
        check_is_fitted(self)
        X = self._validate_catalog(X, reset=False)
        return pairwise_haversine_km(X[:, :2], self.cluster_centers_)
