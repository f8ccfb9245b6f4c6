"""FaultNetworkAgglomerative: fault-network reconstruction by BIC-driven merging of
Gaussian kernels (Kamer, Ouillon & Sornette 2020)."""
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from skgeoclust.cluster._fault_network import _density
from skgeoclust.cluster._fault_network._merge import (
    n_kernel_parameters,
)
from skgeoclust.cluster._fault_network._network import MergeSettings, fit_network
from skgeoclust.cluster._fault_network._planes import fault_planes_from_gaussians
from skgeoclust.utils._validation import naming_conversion_errors

_CRITERIA = {
    "global": ("global",),
    "local": ("local",),
    "local_global": ("local", "global"),
}


#: coordinates beyond this (km) would overflow the squares of the covariances
_MAX_COORDINATE = 1e100


def _check_coordinates(X, max_abs=_MAX_COORDINATE):
    """Raise a ValueError naming the first row (and column) that is NaN,
    infinite or beyond ``max_abs`` (for fitting: too large to square)."""
    bad = ~np.isfinite(X) | (np.abs(np.nan_to_num(X)) > max_abs)
    if not bad.any():
        return
    row, col = np.argwhere(bad)[0]
    value = X[row, col]
    what = (
        "NaN"
        if np.isnan(value)
        else "infinity"
        if np.isinf(value)
        else f"{float(value)!r}, beyond +-{max_abs:g} km"
    )
    raise ValueError(
        f"X holds {what} at row {row} (column {col}); hypocentres must be finite "
        "Cartesian km."
    )


class FaultNetworkAgglomerative(ClusterMixin, BaseEstimator):
    """Fault-network reconstruction by agglomerative merging of Gaussian kernels.

    The hypocentres are first over-fitted by as many Gaussian kernels as a Ward
    tree can hold (the *holding capacity*), plus a uniform background box; pairs
    of kernels are then merged, one pair per step, while the merger lowers the
    Bayesian information criterion (Kamer, Ouillon & Sornette 2020). The result is
    a mixture of fault kernels (Gaussians or finite planes with the Gaussians'
    moments, see ``kernel``) and background boxes: a clustering (hard labels,
    ``-1`` for background), a spatial density normalised over all space
    (``score_samples``) and a list of fault planes (:meth:`fault_planes`).

    Read more in the :ref:`User Guide <fault_network>`.

    Parameters
    ----------
    criterion : {"global", "local", "local_global"}, default="global"
        Merge criterion. ``"global"``: BIC of the whole mixture on all points
        (N_C vs N_C - 1 kernels). ``"local"``: BIC of the two kernels vs their
        merger on the points hard-assigned to them. ``"local_global"``: the
        authors' synthetic pipeline, local merging to convergence, then global
        merging from that result.
    kernel : {"auto", "gaussian", "plane"}, default="auto"
        Shape of the fitted kernels in the returned model (``labels_``,
        ``predict``, ``predict_proba``, ``score_samples``, ``sample``); the merging
        itself uses Gaussians. ``"gaussian"``: the paper's model. ``"plane"``: a
        finite plane with the Gaussian's mean and covariance (uniform over the
        rectangle spanned by the two largest principal axes, half-sides about
        ``sqrt(3) sigma``, edges softened by a Gaussian, Gaussian across; see
        Notes). ``"auto"``: per kernel, the plane where it raises the training
        likelihood, else the Gaussian (both have the same parameters).
    min_kernel_points : int, default=4
        A Ward cluster becomes a Gaussian kernel when it holds at least this many
        points (four non-coplanar points give a non-singular 3-D covariance).
    n_subsets : "auto" or int, default="auto"
        How the catalog is divided before atomization (§4.3); each subset has its
        own background box. ``"auto"``: subsets of at most ``max_subset_size``
        events, cut from the top of a Ward tree of the catalog so that they fall
        between clumps of seismicity; each is atomized on its own Ward tree and
        merged on its own (one joblib task each); neighbouring subsets are then
        joined level by level and a last pass merges over the whole catalog (the
        kernels that straddle borders, and any others the joined mixture now
        favours). A catalog of at
        most ``max_subset_size`` events is a single subset: the paper's method as
        it stands. An integer: the paper's §4.3 as the authors ran it, one Ward
        tree of the whole catalog cut into that many subsets, each atomized on its
        subtree, and all atoms merged together (``n_subsets=1``: no subsets);
        O(n^2) time in the Ward tree.
    max_subset_size : int, default=8192
        Largest subset with ``n_subsets="auto"`` (a subset whose events coincide
        can be larger). Cost grows a little faster than linearly with it, and
        subsets much smaller than the faults add background boxes and border
        merges.
    overlap_factor : float, default=sqrt(12)
        Two kernels are merge candidates only if their boxes overlap, a box being
        centred on the kernel's mean along its principal axes with full side
        ``overlap_factor * sigma`` (``sqrt(12)``: the uniform plane with the same
        variance).
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance (km^2), so that flat (coplanar),
        linear or repeated points give finite densities; background boxes get a
        minimum side of ``sqrt(12 * reg_covar)``.
    refit_weights : bool, default=True
        After each merge pass, re-estimate the mixture weights by EM with the
        kernel shapes fixed (weights are the expected number of points of each
        kernel), delete the Gaussians then expected to hold fewer than
        ``min_kernel_points`` points if that lowers the BIC, and merge again until
        a pass changes nothing.
    lazy_gains : bool, default=True
        After a merge, the gains it moved and the gains of the
        new kernel's candidate pairs (seeded with the larger gain of its parents'
        pairs with the same partner) are kept as stale estimates and evaluated
        exactly only when they reach the top; a merge is still made only on an
        exact gain at least as large as every stored gain, and a pass ends only
        when every gain is exact and none is positive. ``False`` re-evaluates
        every moved gain and every new pair's gain after each merge (O(pairs x
        support) per merge; minutes for a few thousand events in a dense cloud).
        The local criterion depends on this order (Landers: 61 Gaussians lazily,
        32 in the exact greedy order; see Notes).
    n_jobs : int, default=None
        Number of joblib jobs over the subsets (processes, or the workers of the
        active joblib backend: under ``joblib.parallel_backend("dask")`` the
        subsets run on a Dask cluster). ``None`` means 1 unless in a
        :obj:`joblib.parallel_backend` context.
    verbose : int, default=0
        Progress on standard error: 1, a progress bar over the subsets (tqdm if it
        is installed, plain lines otherwise) and a line per merge pass; 2, a line
        per merge too.
    random_state : int, RandomState instance or None, default=None
        Used only by :meth:`sample`; fitting is deterministic.

    Attributes
    ----------
    means_ : ndarray of shape (n_kernels, n_features)
        Centres of the kernels, largest number of events first.
    covariances_ : ndarray of shape (n_kernels, n_features, n_features)
        Their covariances (``reg_covar`` included).
    is_plane_ : ndarray of shape (n_kernels,) of bool
        Which kernels have the finite-plane shape (the others are Gaussian).
    weights_ : ndarray of shape (n_kernels,)
        Their mixture weights; with the background weights they sum to 1.
    backgrounds_ : dict of ndarray
        The background boxes with positive weight: ``center`` (n_bkg, d),
        ``axes`` (n_bkg, d, d) (orthonormal rows), ``half_extents`` (n_bkg, d),
        ``weight`` (n_bkg,), ``density`` (inside the box) and ``tail`` (the
        exponent ``m`` of the tails outside it; see Notes).
    labels_ : ndarray of shape (n_samples,)
        Kernel of largest responsibility for each training point; ``-1`` for
        background.
    n_components_ : int
        Number of kernels in the mixture, background boxes included (the N_C of
        the BIC).
    holding_capacity_ : int
        Number of Gaussian kernels at the holding capacity (summed over subsets).
    bic_ : float
        BIC of the returned model on the training data (``bic(X)``).
    bic_path_ : ndarray of shape (n_steps,)
        BIC at the holding capacity, after every merge and after every weight
        refit (Gaussian kernels, backgrounds uniform in their boxes), then
        ``bic_`` of the returned model (its kernel shapes and background tails).
    n_merges_ : int
        Number of merges.
    n_pruned_ : int
        Number of Gaussians deleted after a weight refit (expected to hold fewer
        than ``min_kernel_points`` points, and their deletion lowers the BIC).
    n_subsets_ : int
        Number of subsets, hence of background boxes before any weight falls to
        zero.
    subset_labels_ : ndarray of shape (n_samples,)
        Subset of each training event.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.mixture.GaussianMixture : EM mixture with a fixed number of kernels.
    sklearn.cluster.AgglomerativeClustering : Ward tree without the BIC merging.

    Notes
    -----
    *Ward tree*: ``fastcluster.linkage_vector`` (nearest-neighbour chain on the
    vectors, O(n) memory, O(n^2) time worst case).

    *Holding capacity*: the cut with the most clusters of at least
    ``min_kernel_points`` points (ties go to the finer cut). Those clusters become
    Gaussians (weighted mean, covariance with the ``n / (n - 1)`` correction);
    their weights are their shares of the total sample weight. Every other point
    goes to the background box of its subset, whose box is the small-volume
    oriented bounding box of all the subset's points (so every training point has
    a positive density) and whose weight is the share of those leftover points.

    *BIC*: ``-sum_n s_n log p(x_n) + k / 2 log N`` with ``k = 10 N_C - 1`` in 3-D
    (``d + d(d+1)/2 + 1`` per kernel in ``d`` dimensions), ``N = sum s_n``: the
    paper's equation (2), half the usual ``-2 log L + k log N`` scale. A global
    merge gains ``Delta log L + 5 log N``.

    *Merging*: the merger of two Gaussians is the moment-matched Gaussian. Only
    pairs whose boxes overlap (separating-axis test; candidates come from a
    KD-tree on box centres) are scored. The single pair with the largest positive
    gain is merged per step, as the paper describes (the authors' codes merge
    many pairs per step). A Gaussian never merges with a background.

    *Lazy gains* (``lazy_gains=True``, both criteria): a merge moves the gains
    of every candidate pair whose points it touches, and creates a pair for every
    kernel the merged box overlaps; in a dense cloud a growing kernel overlaps
    thousands. Those gains are not re-evaluated at once: moved gains keep their
    old value and new pairs start from the larger gain of their parents' pairs
    with the same partner, flagged stale; a stale gain is evaluated exactly when
    it reaches the top. The chosen pair's gain is exact and at least every stored
    gain, and a pass ends only when every gain is exact and none is positive, so
    the stopping rule is the paper's; but a stale gain that would have risen above
    the top is merged later than in the exact greedy order. Landers (global):
    24 Gaussians, BIC 29384.7, 0.46 s, against 26, 29382.7, 3.7 s eagerly. The
    local criterion is far more sensitive to the order: a local gain sees only
    the two kernels' own points, so in the exact greedy order a freshly merged
    kernel tends to absorb its neighbours one after the other (Landers: 32
    Gaussians, 6.1 % background), while the lazy order lets the rest of the
    network merge first (61 Gaussians, 9.4 %; the paper reports 70 and 11 %, the
    authors' many-pairs-per-step schedule gives 66-67 on the same atoms).

    *Truncation*: during the merging each Gaussian is set to zero where its
    squared Mahalanobis distance exceeds 60 (density below ``exp(-30)`` of its
    peak; the lost mass is about 1e-12). This makes every kernel local, so a merge
    changes the mixture only on the points near the two kernels, and gains are
    updated only for the candidate pairs that see those points.

    *The returned model* is evaluated in log space, untruncated, and is a
    normalised density over all space, positive everywhere:

    - a *plane* kernel with covariance eigenvalues ``l_1 >= l_2 >= l_3`` and axes
      ``e_i`` is, along ``e_3``, ``N(0, l_3)``; along ``e_1`` and ``e_2``, the
      uniform ``[-a_i, a_i]`` convolved with ``N(0, s_i^2)``, whose density
      ``(Phi((y + a) / s) - Phi((y - a) / s)) / 2a`` is computed stably in log
      space. ``s_i^2 = l_3 + f^2 a_i^2`` (the thickness, and the edge's
      uncertainty with ``f^2 = 0.05^2 + 0.2 / n``, ``n = N w`` the kernel's
      expected events: 0.2 / n is the relative sampling variance of a half-side
      estimated from n uniform points) and ``a_i = sqrt((l_i - l_3) / (1/3 +
      f^2))``, so the kernel has exactly the covariance ``covariances_``
      (``a_i`` about ``sqrt(3 l_i)``). In ``d`` dimensions the last axis is the
      Gaussian one; in one dimension every kernel is Gaussian.
    - a *background box* of weight ``w`` and half-sides ``h_i`` has, along each
      of its axes, the posterior predictive density of a uniform distribution
      on an unknown interval observed to span ``R = 2 h_i`` with ``m = N w``
      events (scale-invariant prior on the length): ``(m - 1) / ((m + 1) R)``
      inside and that times ``(1 + t / R)^-m`` at a distance ``t`` outside.
      Each axis integrates to one exactly, so the box keeps its weight; inside
      it the density is ``((m - 1) / (m + 1))^d`` of ``w / V`` (about ``2 d`` nats
      of likelihood over the box's events). ``m`` is at least 2.
    - ``kernel="auto"`` starts from all kernels Gaussian and gives the plane
      shape to every kernel whose change alone raises the weighted training
      log-likelihood (one pass over ``X``). The shape choice is not counted
      among the BIC's free parameters.

    *Departures from the paper*: ``reg_covar`` (the paper does not say how
    singular kernels are handled); plane kernels and background tails in the
    returned model (``kernel="gaussian"`` gives the paper's kernels; the tails
    replace the paper's §5 pooling of the backgrounds into one box over the
    region of interest); the EM re-estimation of the weights after the
    merge passes (the paper gives weights "proportional to the number of points
    associated" with each kernel but no update rule; the authors' codes use one
    hard-assignment step); ``sample_weight`` does not enter the Ward tree, only
    the kernel moments, weights and the likelihood.

    *Subsets* (``n_subsets="auto"``): the paper's §4.3 divides a large catalog
    into subsets cut from its Ward tree, each with its own background. A Ward
    tree of the whole catalog costs O(n^2), so here the cut comes from a Ward
    tree of octree cells, each subset has its own Ward tree, and each subset is
    merged on its own before the kernels of all of them are merged over the
    whole catalog (first in groups of neighbouring subsets, level by level, then
    all together; joins make one merge pass without weight refits, and the last
    pass refits the weights once at its end).
    Within a subset the penalty is the whole catalog's (``5 log N``), so a
    subset's merges are those the whole mixture would make among its events;
    after it, a kernel is frozen while its weight and surroundings are unchanged
    (relative tolerance 1e-3, as for the lazy gains), and pairs of frozen kernels
    are not scored again. This is the authors' chunked schedule (per-chunk
    merging, then a pass over all chunks) with the paper's single-step greedy
    merging inside each part. Events within ``sqrt(12 reg_covar)`` of one another
    are one location: no holding-capacity cut separates them.

    Time: each subset costs ``O(m^2)`` for its Ward tree (``m <=
    max_subset_size``) plus its merging, about ``O(n_merges * points per kernel
    neighbourhood)``; the passes over groups and the whole catalog cost what the
    kernels near borders cost, which grows with the density of the catalog where
    subsets are small beside the kernels (a dense swarm). Supports are found
    through a uniform grid (3-D, more than 8192 points) or a scan of all points.
    Memory: ``O(n)`` plus the supports of the kernels and a bounded cache of
    candidate mergers' supports. See ``benchmarks/README.md`` for measured
    figures.

    References
    ----------
    .. [1] Kamer, Y., Ouillon, G. and Sornette, D. (2020). Fault network
       reconstruction using agglomerative clustering: applications to southern
       Californian seismicity. Nat. Hazards Earth Syst. Sci., 20, 3611-3625.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.cluster import FaultNetworkAgglomerative
    >>> from skgeoclust.datasets import make_fault_network
    >>> X, y = make_fault_network(n_faults=5, n_samples=640, background_fraction=0.2,
    ...                           location_error_km=0.2, random_state=0)
    >>> model = FaultNetworkAgglomerative().fit(X)
    >>> model.holding_capacity_, model.means_.shape[0]
    (78, 5)
    >>> bool(np.all(np.diff(model.bic_path_[:-1]) <= 1e-6))  # the merging
    True
    >>> bool(np.isfinite(model.score_samples([[1e3, -1e3, 50.0]])).all())
    True
    """

    _parameter_constraints: dict = {
        "criterion": [StrOptions(set(_CRITERIA))],
        "kernel": [StrOptions(set(_density.KERNELS))],
        "min_kernel_points": [Interval(Integral, 2, None, closed="left")],
        "n_subsets": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_subset_size": [Interval(Integral, 16, None, closed="left")],
        "overlap_factor": [Interval(Real, 0, None, closed="neither")],
        "reg_covar": [Interval(Real, 0, None, closed="neither")],
        "refit_weights": ["boolean"],
        "lazy_gains": ["boolean"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        criterion="global",
        *,
        kernel="auto",
        min_kernel_points=4,
        n_subsets="auto",
        max_subset_size=8192,
        overlap_factor=float(np.sqrt(12.0)),
        reg_covar=1e-6,
        refit_weights=True,
        lazy_gains=True,
        n_jobs=None,
        verbose=0,
        random_state=None,
    ):
        self.criterion = criterion
        self.kernel = kernel
        self.min_kernel_points = min_kernel_points
        self.n_subsets = n_subsets
        self.max_subset_size = max_subset_size
        self.overlap_factor = overlap_factor
        self.reg_covar = reg_covar
        self.refit_weights = refit_weights
        self.lazy_gains = lazy_gains
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Build the Ward tree, atomize at the holding capacity and merge.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Hypocentres in Cartesian km (put
            :class:`~skgeoclust.preprocessing.GeoToCartesian` in front for
            latitude, longitude, depth).
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative event weights (e.g. a condensed catalog). They weight the
            kernel moments, the mixture weights and the log-likelihood; the Ward
            tree itself is unweighted.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        with naming_conversion_errors("X"):
            X = validate_data(
                self, X, dtype=np.float64, ensure_min_samples=1, ensure_all_finite=False
            )
        _check_coordinates(X)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight must have a positive sum.")
        X = np.ascontiguousarray(X)
        settings = MergeSettings(
            criteria=_CRITERIA[self.criterion],
            min_points=self.min_kernel_points,
            reg_covar=self.reg_covar,
            overlap_factor=self.overlap_factor,
            refit=self.refit_weights,
            lazy=self.lazy_gains,
        )
        fit = fit_network(
            X,
            sample_weight,
            settings,
            n_subsets=self.n_subsets,
            max_subset_size=self.max_subset_size,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )
        # the returned model: kernels of the chosen shape, backgrounds with tails
        n_effective = float(sample_weight.sum())
        merged = (
            fit.means,
            fit.covariances,
            fit.weights,
            fit.bkg_centers,
            fit.bkg_axes,
            fit.bkg_half_extents,
            fit.bkg_weights,
        )
        is_plane = _density.choose_plane_kernels(
            self.kernel, X, sample_weight, merged, n_effective
        )
        self._set_model(*merged, n_effective, is_plane)
        labels = self._predict(X)
        # kernels ordered by their number of events, largest first
        counts = np.bincount(
            labels[labels >= 0],
            weights=sample_weight[labels >= 0],
            minlength=fit.means.shape[0],
        )
        order = np.argsort(-counts, kind="stable")
        self._set_model(
            fit.means[order],
            fit.covariances[order],
            fit.weights[order],
            *merged[3:],
            n_effective,
            is_plane[order],
        )
        self.holding_capacity_ = fit.holding_capacity
        self.n_merges_ = fit.n_merges
        self.n_pruned_ = fit.n_pruned
        self.subset_labels_ = fit.subset_of_sample
        self.n_subsets_ = int(fit.subset_of_sample.max()) + 1
        self.labels_, log_prob = _density.labels_and_log_density(self._density, X)
        self._n_events = np.bincount(
            self.labels_[self.labels_ >= 0],
            weights=sample_weight[self.labels_ >= 0],
            minlength=self.means_.shape[0],
        )
        self.bic_ = float(
            -sample_weight @ np.maximum(log_prob, np.log(1e-300))
            + 0.5 * self._n_parameters() * np.log(max(n_effective, 1.0))
        )
        # the merging path, then the returned model (its kernel shape and tails)
        self.bic_path_ = np.append(fit.bic_path, self.bic_)
        return self

    def _validate_new(self, X):
        with naming_conversion_errors("X"):
            X = validate_data(
                self, X, dtype=np.float64, reset=False, ensure_all_finite=False
            )
        # the fitted model evaluates any finite point
        _check_coordinates(X, max_abs=np.inf)
        return X

    # ------------------------------------------------------------------ model
    def _set_model(self, means, covs, weights, bc, ba, bh, bw, n_effective, is_plane):
        d = means.shape[1] if means.ndim == 2 else bc.shape[1]
        self.means_ = means.reshape(-1, d)
        self.covariances_ = covs.reshape(-1, d, d)
        self.weights_ = weights
        self.is_plane_ = np.asarray(is_plane, dtype=bool)
        self._density = _density.build_density(
            self.means_,
            self.covariances_,
            weights,
            bc,
            ba,
            bh,
            bw,
            is_plane=self.is_plane_,
            n_effective=n_effective,
        )
        self.backgrounds_ = {
            "center": bc,
            "axes": ba,
            "half_extents": bh,
            "weight": bw,
            "density": _density.background_plateau(self._density),
            "tail": self._density.bkg_tail.copy(),
        }
        self.n_components_ = int(self.means_.shape[0] + bw.shape[0])

    def _n_parameters(self):
        return n_kernel_parameters(self.n_features_in_) * self.n_components_ - 1

    def _estimate_weighted_log_prob(self, X):
        """log(w_k p_k(x)) for the kernels, then the backgrounds."""
        return _density.weighted_log_prob(self._density, X)

    def _predict(self, X):
        return _density.labels_and_log_density(self._density, X)[0]

    def _score_samples(self, X):
        return _density.labels_and_log_density(self._density, X)[1]

    # ------------------------------------------------------------------ public
    def predict(self, X):
        """Kernel of largest responsibility for each point (``-1``: background).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = self._validate_new(X)
        return self._predict(np.ascontiguousarray(X))

    def predict_proba(self, X):
        """Responsibilities of every kernel: kernels first (in ``means_`` order),
        then the background boxes (in ``backgrounds_`` order).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_components_)
        """
        check_is_fitted(self)
        X = self._validate_new(X)
        return _density.responsibilities(self._density, X)

    def score_samples(self, X):
        """Log of the model density at each point (the spatial forecast).

        The density is normalised over all space and positive everywhere: kernels
        are not truncated and each background box has tails outside it (see
        Notes), so ``score_samples(targets).mean()`` is the paper's §5 score.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            Finite for every finite point when the model has a background box
            (the tails decay as a power of the distance); a model without one
            (every training event in a kernel) is ``-inf`` only where its log
            density is below the float range.
        """
        check_is_fitted(self)
        X = self._validate_new(X)
        return self._score_samples(np.ascontiguousarray(X))

    def score(self, X, y=None):
        """Mean log density of ``X`` under the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))

    def bic(self, X):
        """BIC of the model on ``X``, on the paper's half scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        bic : float
            ``-sum log p(x) + (10 N_C - 1) / 2 log n`` (log densities floored at
            ``log(1e-300)``).
        """
        log_p = self.score_samples(X)
        return float(
            -np.maximum(log_p, np.log(1e-300)).sum()
            + 0.5 * self._n_parameters() * np.log(max(log_p.shape[0], 1))
        )

    def sample(self, n_samples=1):
        """Draw points from the fitted mixture.

        Parameters
        ----------
        n_samples : int, default=1

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        labels : ndarray of shape (n_samples,)
            Kernel index, or ``-1 - b`` for background box ``b``.
        """
        check_is_fitted(self)
        if int(n_samples) < 1:
            raise ValueError(f"n_samples must be >= 1, got {n_samples!r}.")
        rng = check_random_state(self.random_state)
        return _density.sample(self._density, int(n_samples), rng)

    def fault_planes(self):
        """One row per Gaussian kernel: the fault plane it represents.

        Coordinates are (east, north, down) km, as in
        :func:`~skgeoclust.datasets.make_fault_network`. The plane is spanned by
        the two largest principal axes; ``length``, ``width`` and ``thickness``
        are ``sqrt(12 * eigenvalue)`` (the sides of the uniform slab with the same
        second moments). Strike is clockwise from north in [0, 360) with the plane
        dipping to the right (right-hand rule); dip in [0, 90] degrees.

        Returns
        -------
        planes : dict of ndarray
            ``center`` (n_kernels, 3), ``strike``, ``dip``, ``length``, ``width``,
            ``thickness``, ``normal`` (n_kernels, 3), ``weight`` and ``n_events``
            (weighted count of training events hard-assigned to the kernel).
        """
        check_is_fitted(self)
        if self.n_features_in_ != 3:
            raise ValueError(
                "fault_planes needs 3-D hypocentres (east, north, down); the model "
                f"was fitted on {self.n_features_in_} features."
            )
        planes = fault_planes_from_gaussians(self.means_, self.covariances_)
        planes["weight"] = self.weights_.copy()
        planes["n_events"] = self._n_events.copy()
        return planes
