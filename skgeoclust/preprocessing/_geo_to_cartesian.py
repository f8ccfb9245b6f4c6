"""GeoToCartesian: (lat, lon[, depth]) in degrees to local (east, north[, down]) km."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from skgeoclust.geometry import (
    EARTH_RADIUS_KM,
    geodetic_to_local_km,
    local_km_to_geodetic,
    spherical_mean,
)
from skgeoclust.utils import validate_catalog_data, wrap_longitude

_OUTPUT_NAMES = ("east_km", "north_km", "down_km")


def _check_reference(reference):
    ref = np.asarray(reference, dtype=np.float64)
    if ref.shape != (2,) or not np.all(np.isfinite(ref)) or abs(ref[0]) > 90.0:
        raise ValueError(
            "reference must be None or a finite (lat, lon) pair in degrees with "
            f"lat in [-90, 90], got {reference!r}."
        )
    return np.array([ref[0], float(wrap_longitude(ref[1]))])


class GeoToCartesian(TransformerMixin, BaseEstimator):
    """Transform a catalog in degrees to local Cartesian km about a reference point.

    Epicentres are projected with the spherical azimuthal equidistant projection
    centred on the reference point (true distance and azimuth from that point); depth
    in km passes through unchanged as the ``down`` axis. The result is the (east,
    north, down) frame that Cartesian clusterers such as
    :class:`~skgeoclust.cluster.FaultNetworkAgglomerative` expect, and
    :meth:`inverse_transform` maps their results (means, samples) back to degrees.

    Read more in the :ref:`User Guide <geographic_inputs>`.

    Parameters
    ----------
    reference : array-like of shape (2,), default=None
        (lat, lon) in degrees of the origin. None uses the spherical mean of the
        fitted epicentres.

    Attributes
    ----------
    reference_ : ndarray of shape (2,)
        (lat, lon) of the origin in degrees.
    n_features_in_ : int
        2 for (lat, lon) input, 3 for (lat, lon, depth).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the catalog columns seen in :meth:`fit`, for DataFrame input.

    See Also
    --------
    skgeoclust.geometry.geodetic_to_local_km : The projection as a function.

    Notes
    -----
    A DataFrame is read by column name (``lat``/``latitude``, ``lon``/``longitude``
    and optional ``depth``); other columns are dropped. Arrays are read by position.
    Distances are in km on a sphere of radius 6371.0 km. Scale distortion across the
    frame is below ``(d / R)^2 / 6`` for a point ``d`` km from the origin.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.preprocessing import GeoToCartesian
    >>> X = np.array([[34.0, -116.5, 5.0], [34.1, -116.4, 8.0]])
    >>> to_km = GeoToCartesian(reference=(34.0, -116.5)).fit(X)
    >>> to_km.transform(X).round(2) + 0.0
    array([[ 0.  ,  0.  ,  5.  ],
           [ 9.21, 11.12,  8.  ]])
    >>> np.allclose(to_km.inverse_transform(to_km.transform(X)), X)
    True
    """

    _parameter_constraints: dict = {"reference": [None, "array-like"]}

    def __init__(self, reference=None):
        self.reference = reference

    def _validate_catalog(self, X, *, reset):
        return validate_catalog_data(self, X, reset=reset)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Store the reference point.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, 2) or (n_samples, 3)
            Catalog (lat, lon[, depth]) in degrees and km.
        y : None
            Ignored.

        Returns
        -------
        self : GeoToCartesian
            Fitted transformer.
        """
        X = self._validate_catalog(X, reset=True)
        if self.reference is None:
            self.reference_ = np.array(spherical_mean(X[:, 0], X[:, 1]))
        else:
            self.reference_ = _check_reference(self.reference)
        return self

    def transform(self, X):
        """Project to (east, north[, down]) km.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features_in_)
            Catalog (lat, lon[, depth]) in degrees and km.

        Returns
        -------
        ndarray of shape (n_samples, n_features_in_)
            (east, north[, down]) in km.
        """
        check_is_fitted(self)
        X = self._validate_catalog(X, reset=False)
        east, north = geodetic_to_local_km(
            X[:, 0], X[:, 1], *self.reference_, radius_km=EARTH_RADIUS_KM
        )
        return np.column_stack([east, north, X[:, 2:]])

    def inverse_transform(self, X):
        """Map (east, north[, down]) km back to (lat, lon[, depth]).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Local coordinates in km.

        Returns
        -------
        ndarray of shape (n_samples, n_features_in_)
            (lat, lon[, depth]) in degrees and km, longitude in [-180, 180).
        """
        check_is_fitted(self)
        X = check_array(X, dtype=np.float64)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but GeoToCartesian is expecting "
                f"{self.n_features_in_} features as input."
            )
        lat, lon = local_km_to_geodetic(
            X[:, 0], X[:, 1], *self.reference_, radius_km=EARTH_RADIUS_KM
        )
        return np.column_stack([lat, lon, X[:, 2:]])

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``east_km``, ``north_km`` and ``down_km``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Only checked against the fitted input.

        Returns
        -------
        ndarray of str
            Output feature names.
        """
        check_is_fitted(self)
        if input_features is not None:
            input_features = np.asarray(input_features, dtype=object)
            fitted = getattr(self, "feature_names_in_", None)
            if len(input_features) != self.n_features_in_ or (
                fitted is not None and not np.array_equal(input_features, fitted)
            ):
                raise ValueError(
                    "input_features is not equal to feature_names_in_ or has the "
                    f"wrong length {len(input_features)} != {self.n_features_in_}."
                )
        return np.asarray(_OUTPUT_NAMES[: self.n_features_in_], dtype=object)
