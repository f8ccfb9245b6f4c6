"""Catalog condensation (Kamer et al. 2015; Kamer, Ouillon and Sornette 2020, §4.2)."""
# SPDX-License-Identifier: BSD-3-Clause

from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Integral, Real

import numba
import numpy as np
from sklearn.neighbors import KDTree
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from skgeoclust._kernels.condensation import (
    assign_events,
    assign_events_parallel,
    transfer_weights,
)
from skgeoclust.utils._location_errors import check_location_errors

#: Sources whose neighbour lists are gathered at once (bounds the memory of the
#: neighbour lists, not the result).
_CHUNK = 4096


@dataclass(frozen=True, eq=False)
class CondensedCatalog:
    """The result of :func:`condense_catalog`: a weighted Gaussian mixture and the
    kernel each original event is assigned to.

    Attributes
    ----------
    means : ndarray of shape (n_kernels, n_features)
        Means of the condensed kernels (the surviving input components), km.
    covariances : ndarray of shape (n_kernels, n_features, n_features)
        Their covariances (the input ones, unchanged), km^2.
    weights : ndarray of shape (n_kernels,)
        Their condensed weights; they sum to the total input weight.
    kernel_components : ndarray of shape (n_kernels,)
        Input row of each kernel.
    component_weights : ndarray of shape (n_components,)
        Condensed weight of every input row (0 for the discarded ones).
    event_ids : ndarray of shape (n_events,)
        The events, sorted (``0 .. n - 1``, the rows, without ``event_ids``).
    event_kernels : ndarray of shape (n_events,)
        Index into the kernels of each event's assigned kernel.
    event_counts : ndarray of shape (n_kernels,)
        Number of events assigned to each kernel.
    """

    means: np.ndarray
    covariances: np.ndarray
    weights: np.ndarray
    kernel_components: np.ndarray
    component_weights: np.ndarray
    event_ids: np.ndarray
    event_kernels: np.ndarray
    event_counts: np.ndarray

    @property
    def n_kernels(self):
        """Number of condensed kernels."""
        return int(self.weights.shape[0])

    def event_labels(self, kernel_labels):
        """Map labels of the condensed kernels back to the original events.

        Parameters
        ----------
        kernel_labels : array-like of shape (n_kernels,)
            A label per condensed kernel, e.g. the ``labels_`` of a clustering
            fitted on ``means`` with ``sample_weight=weights``.

        Returns
        -------
        labels : ndarray of shape (n_events,)
            The label of each event's assigned kernel, in the order of
            ``event_ids`` (the input rows when every row is an event).
        """
        kernel_labels = np.asarray(kernel_labels)
        if kernel_labels.shape[:1] != (self.n_kernels,):
            raise ValueError(
                f"kernel_labels has shape {kernel_labels.shape}; expected one label "
                f"per condensed kernel, ({self.n_kernels},)."
            )
        return kernel_labels[self.event_kernels]


def _threads(n_jobs):
    """Numba threads for ``n_jobs`` (None: 1; negative: all but ``-n_jobs - 1``)."""
    available = numba.config.NUMBA_NUM_THREADS
    if n_jobs is None or n_jobs == 0:
        return 1
    if n_jobs < 0:
        return max(1, available + 1 + n_jobs)
    return min(n_jobs, available)


@contextmanager
def _numba_threads(n):
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def _factors(covariances, weights):
    """Lower Cholesky factors, their inverses and ``log(w) - log det(L)`` of each
    Gaussian."""
    chol = np.linalg.cholesky(covariances)
    inv_chol = np.tril(np.linalg.inv(chol))
    log_det_chol = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    return (
        np.ascontiguousarray(chol),
        np.ascontiguousarray(inv_chol),
        np.log(weights) - log_det_chol,
    )


def _width_classes(largest_variance):
    """Width class (half-octave) of each Gaussian's largest standard deviation,
    and the largest variance within each class (the kernels' pruning bound)."""
    sd = np.sqrt(largest_variance)
    width_class = np.floor(2.0 * np.log2(sd / sd.min())).astype(np.int64)
    class_var = np.zeros(width_class.max() + 1)
    np.maximum.at(class_var, width_class, largest_variance)
    return width_class, class_var


def _csr(neighbours):
    """CSR arrays (indptr, indices) of a sequence of index arrays."""
    lengths = np.fromiter(map(len, neighbours), dtype=np.int64, count=len(neighbours))
    indptr = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    if indptr[-1] == 0:
        return indptr, np.zeros(0, dtype=np.int64)
    return indptr, np.concatenate(neighbours).astype(np.int64, copy=False)


def _standard_normal_draws(n_draws, n_features, rng):
    """``n_draws`` standard normal vectors in antithetic pairs (``z`` and ``-z``),
    so the samples of every Gaussian have exactly its mean."""
    half = rng.standard_normal(((n_draws + 1) // 2, n_features))
    return np.ascontiguousarray(np.concatenate([half, -half])[:n_draws])


def _split_draws(n_draws, weights, event_ptr, event_components):
    """Samples per component: each event's ``n_draws`` split over its components
    in proportion to their weights (largest remainder)."""
    counts = np.zeros(weights.shape[0], dtype=np.int64)
    sizes = np.diff(event_ptr)
    single = event_components[event_ptr[:-1][sizes == 1]]
    counts[single] = n_draws
    for e in np.flatnonzero(sizes > 1):
        members = event_components[event_ptr[e] : event_ptr[e + 1]]
        share = n_draws * weights[members] / weights[members].sum()
        part = np.floor(share).astype(np.int64)
        part[np.argsort(part - share, kind="stable")[: n_draws - part.sum()]] += 1
        counts[members] = part
    return counts


def _kernel_candidates(kernel_means, kernel_sd, kernel_class, means, sd, radius):
    """CSR lists of the kernels within ``radius * (sd_c + sd_k)`` of each
    component (Chebyshev distance between means; ``sd`` the largest standard
    deviation), searched per width class of the kernels; a component with none gets
    its nearest kernels."""
    n = means.shape[0]
    rows, found_kernels = [], []
    for level in np.unique(kernel_class):
        members = np.flatnonzero(kernel_class == level)
        tree = KDTree(kernel_means[members], metric="chebyshev")
        found = tree.query_radius(means, r=radius * (sd + kernel_sd[members].max()))
        lengths = np.fromiter(map(len, found), dtype=np.int64, count=n)
        rows.append(np.repeat(np.arange(n), lengths))
        found_kernels.append(members[np.concatenate(found).astype(np.int64)])
    counts = np.bincount(np.concatenate(rows), minlength=n)
    lonely = np.flatnonzero(counts == 0)
    if lonely.size:
        k = min(8, kernel_means.shape[0])
        nearest = KDTree(kernel_means).query(means[lonely], k=k, return_distance=False)
        rows.append(np.repeat(lonely, k))
        found_kernels.append(nearest.ravel().astype(np.int64))
    rows = np.concatenate(rows)
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr, np.concatenate(found_kernels)[order]


@validate_params(
    {
        "X": ["array-like"],
        "location_error_km": ["array-like"],
        "component_weights": ["array-like", None],
        "event_ids": ["array-like", None],
        "n_overlap_samples": [Interval(Integral, 1, None, closed="left")],
        "n_assignment_samples": [Interval(Integral, 1, None, closed="left")],
        "search_radius_sigma": [Interval(Real, 0, None, closed="neither")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def condense_catalog(
    X,
    location_error_km,
    *,
    component_weights=None,
    event_ids=None,
    n_overlap_samples=100,
    n_assignment_samples=1000,
    search_radius_sigma=4.0,
    n_jobs=None,
    random_state=None,
):
    """Condense a catalog of Gaussian location PDFs onto its best-located events.

    Catalog condensation (Kamer et al. 2015), generalised to events whose
    location PDF is a Gaussian mixture as in Kamer, Ouillon and Sornette (2020),
    §4.2 and Fig. 8. Every component starts with its weight (1 per event, or its
    mixture weight). Components are ranked by isotropic variance (the trace of
    the covariance) and taken from the largest down; each moves its weight onto
    the better-located components it overlaps, never onto a component of its own
    event. The total weight is kept. The result is a weighted Gaussian mixture of
    the components that keep a positive weight, and every original event is
    assigned to the condensed kernel that gives the largest likelihood to most of
    its samples.

    Read more in the :ref:`User Guide <location_uncertainties>`.

    Parameters
    ----------
    X : array-like of shape (n_components, n_features)
        Mean of each component in Cartesian km (one row per event for
        single-Gaussian PDFs, the common case; put
        :class:`~skgeoclust.preprocessing.GeoToCartesian` in front for latitude,
        longitude, depth).
    location_error_km : array-like
        Each component's spread: shape ``(n_components,)`` (isotropic 1-sigma,
        km), ``(n_components, n_features)`` (1-sigma per axis, km) or
        ``(n_components, n_features, n_features)`` (covariance, km^2). Every
        covariance must be positive definite.
    component_weights : array-like of shape (n_components,), default=None
        Positive weight of each component: its mixture weight within its event
        (an event's weights usually sum to 1). None gives every row weight 1.
    event_ids : array-like of shape (n_components,), default=None
        Event of each component (any sortable labels), for events whose PDF is a
        mixture of several rows. None makes every row its own event.
    n_overlap_samples : int, default=100
        Samples drawn from a component to measure its overlap with the others
        (the authors' code uses 100).
    n_assignment_samples : int, default=1000
        Samples drawn from each original event's PDF to choose its kernel (the
        paper uses 1000).
    search_radius_sigma : float, default=4.0
        Neighbour search half-width: a source component sees the components
        whose means lie within ``search_radius_sigma * sqrt(trace(C_s))`` of its
        mean along every axis (as the authors' code does); the samples of an
        event's component ``c`` see the kernels ``k`` whose means lie within
        ``search_radius_sigma * (s_c + s_k)`` of ``mu_c`` along every axis,
        ``s`` the standard deviation along a Gaussian's widest axis.
    n_jobs : int, default=None
        Numba threads for the assignment (the transfers are sequential by
        nature); None means 1, -1 all of Numba's threads. The result does not
        depend on it.
    random_state : int, RandomState instance or None, default=None
        Seed of the samples.

    Returns
    -------
    condensed : CondensedCatalog
        ``means``, ``covariances``, ``weights`` of the kernels (use them as
        ``X`` and ``sample_weight`` of a clustering), ``event_kernels`` (each
        event's kernel) and ``event_labels(kernel_labels)`` to map a
        clustering of the kernels back to the events.

    See Also
    --------
    skgeoclust.cluster.FaultNetworkAgglomerative : Fit it on ``means`` with
        ``sample_weight=weights``, then map ``labels_`` back with
        ``event_labels``.

    Notes
    -----
    *Overlap.* A source component ``s`` of current weight ``w_s`` (its initial
    weight plus what it received) is sampled at ``n_overlap_samples`` points
    ``x = mu_s + L_s z`` (``L_s`` the Cholesky factor of ``C_s``, ``z``
    standard normal). Each point goes to the largest of ``w_s N(x; mu_s, C_s)``
    and ``w0_t N(x; mu_t, C_t)`` over the candidates ``t``: the components of
    strictly smaller isotropic variance whose means lie in the search box. The
    overlap of ``s`` with ``t`` is the fraction ``f_t`` of points ``t`` wins;
    ``s`` gives ``w_s f_t`` to every ``t`` of another event and keeps the rest
    (the points it wins itself and those won by components of its own event).
    Exact ties split a point equally. Components of equal isotropic variance do
    not exchange weight, so ranking ties are processed in any order with the
    same result.

    *Assignment* (§4.2, Fig. 8c-d). Each event's PDF is sampled at
    ``n_assignment_samples`` points (split over its components by their
    weights); each point votes for the kernel ``k`` of largest ``w_k N(x;
    mu_k, C_k)`` among the kernels near it; the event goes to the kernel with
    most votes (equal votes: the larger ``w_k N(mu_e; mu_k, C_k)`` at the
    event's mean). The sampling of a single-Gaussian event stops as soon as the
    leading kernel's lead exceeds the samples left, which cannot change the
    result.

    *Departures and choices.* The papers describe the overlap in words; the
    Monte-Carlo competition above is the authors' published MATLAB
    implementation of the single-Gaussian method, whose candidates compete with
    their *initial* weights, which is what makes the result independent of the
    order of components of equal variance. For mixtures the papers forbid
    transfers within an event but do not say whether the event's own components
    compete for the samples; here they do, and the samples they win stay with
    the source. The same standard normal draws ``z`` serve every component (in
    antithetic pairs ``z``, ``-z``), so the result does not depend on the order
    of the rows, and the samples of each component have exactly its mean.
    Likelihoods in the assignment include the kernel weights (the paper's
    "maximum likelihood" read as the largest responsibility, the condensed
    catalog acting as a prior). Components whose means are farther than the
    search boxes are not evaluated (their density there is below about
    ``exp(-search_radius_sigma**2 / 2)`` of their peak); a component with no
    kernel in reach is assigned among its 8 nearest kernels. Within the boxes
    the argmax is exact: candidates are sorted by distance and skipped only
    when a bound on their density (their largest weight-times-normalisation and
    largest axis within their width class, the distance less the sample's
    offset) is below the best value found.

    Time: ``O(n_components * n_overlap_samples * m)`` for the transfers and
    ``O(n_events * n_assignment_samples * m')`` for the assignment, with ``m``,
    ``m'`` the numbers of neighbours a sample has to be compared with (it grows
    with the density of events times the square of their errors; KD-tree
    queries, gathered for 4096 sources at a time); memory ``O(n_components +
    m)``, no ``n x n`` matrix. About 2 s for 6,000-7,000 events of median error
    0.6 km on one core (``benchmarks/README.md``).

    References
    ----------
    .. [1] Kamer, Y., Ouillon, G., Sornette, D. and Woessner, J. (2015).
       Condensation of earthquake location distributions: Optimal spatial
       information encoding and application to multifractal analysis of south
       Californian seismicity. Phys. Rev. E, 92, 022808.
    .. [2] Kamer, Y., Ouillon, G. and Sornette, D. (2020). Fault network
       reconstruction using agglomerative clustering: applications to southern
       Californian seismicity. Nat. Hazards Earth Syst. Sci., 20, 3611-3625.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.preprocessing import condense_catalog
    >>> X = np.array([[0.0, 0.0, 5.0], [0.2, 0.0, 5.0], [30.0, 0.0, 8.0]])
    >>> sigma = np.array([2.0, 0.5, 1.0])  # 1-sigma km
    >>> cc = condense_catalog(X, sigma, random_state=0)
    >>> cc.weights.round(2)  # the 2 km event gave 4 % of its weight away
    array([0.96, 1.04, 1.  ])
    >>> float(cc.weights.sum()), cc.event_kernels
    (3.0, array([0, 1, 2]))
    """
    X = check_array(X, dtype=np.float64, ensure_min_samples=1)
    n, d = X.shape
    covariances = check_location_errors(
        location_error_km, n, n_features=d, allow_zero=False
    )
    if component_weights is None:
        weights0 = np.ones(n)
    else:
        weights0 = check_array(
            component_weights, ensure_2d=False, dtype=np.float64, input_name="w"
        )
        if weights0.shape != (n,):
            raise ValueError(
                f"component_weights has shape {weights0.shape}; expected ({n},)."
            )
        bad = np.flatnonzero(~(weights0 > 0))
        if bad.size:
            raise ValueError(
                f"component_weights row {bad[0]} is {float(weights0[bad[0]])!r}; every "
                "weight must be positive."
            )
    if event_ids is None:
        event_ids = np.arange(n)
        event = np.arange(n)
    else:
        event_ids = np.asarray(event_ids)
        if event_ids.shape != (n,):
            raise ValueError(
                f"event_ids has shape {event_ids.shape}; expected ({n},), one event "
                "per row of X."
            )
        event_ids, event = np.unique(event_ids, return_inverse=True)
    event = event.astype(np.int64)
    rng = check_random_state(random_state)

    chol, inv_chol, log_peak = _factors(covariances, weights0)
    variance = np.trace(covariances, axis1=1, axis2=2)
    sigma = np.sqrt(variance)
    largest = np.linalg.eigvalsh(covariances)[:, -1]
    width_class, class_var = _width_classes(largest)

    # transfers, by non-increasing isotropic variance
    weight = weights0.copy()
    z = _standard_normal_draws(n_overlap_samples, d, rng)
    order = np.argsort(-variance, kind="stable")
    tree = KDTree(X, metric="chebyshev")
    for start in range(0, n, _CHUNK):
        sources = order[start : start + _CHUNK]
        indptr, indices = _csr(
            tree.query_radius(X[sources], r=search_radius_sigma * sigma[sources])
        )
        transfer_weights(
            sources,
            indptr,
            indices,
            X,
            chol,
            inv_chol,
            log_peak,
            variance,
            width_class,
            class_var,
            event,
            weight,
            z,
        )

    # the condensed mixture and the assignment of the events
    kernels = np.flatnonzero(weight > 0)
    _, kernel_inv_chol, kernel_log_peak = _factors(
        covariances[kernels], weight[kernels]
    )
    kernel_class, kernel_class_var = _width_classes(largest[kernels])
    by_event = np.argsort(event, kind="stable")
    event_ptr = np.zeros(event_ids.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(event, minlength=event_ids.shape[0]), out=event_ptr[1:])
    draws = _split_draws(n_assignment_samples, weights0, event_ptr, by_event)
    sd = np.sqrt(largest)
    cand_ptr, cand_idx = _kernel_candidates(
        X[kernels], sd[kernels], kernel_class, X, sd, search_radius_sigma
    )
    z = _standard_normal_draws(n_assignment_samples, d, rng)
    event_kernels = np.empty(event_ids.shape[0], dtype=np.int64)
    threads = _threads(n_jobs)
    with _numba_threads(threads):
        assign = assign_events_parallel if threads > 1 else assign_events
        assign(
            event_ptr,
            by_event,
            draws,
            X,
            chol,
            cand_ptr,
            cand_idx,
            np.ascontiguousarray(X[kernels]),
            kernel_inv_chol,
            kernel_log_peak,
            kernel_class,
            kernel_class_var,
            z,
            event_kernels,
        )
    return CondensedCatalog(
        means=X[kernels],
        covariances=covariances[kernels],
        weights=weight[kernels],
        kernel_components=kernels,
        component_weights=weight,
        event_ids=event_ids,
        event_kernels=event_kernels,
        event_counts=np.bincount(event_kernels, minlength=kernels.size),
    )
