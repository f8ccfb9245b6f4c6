"""Validation of earthquake catalogs given as (lat, lon[, depth]) arrays or
DataFrames."""
# SPDX-License-Identifier: BSD-3-Clause

from contextlib import contextmanager

import numpy as np
from sklearn.utils.validation import validate_data

#: Accepted column names (lower case) for each catalog field of a DataFrame.
CATALOG_COLUMN_ALIASES = {
    "lat": ("lat", "latitude"),
    "lon": ("lon", "longitude", "lng", "long"),
    "depth": ("depth", "depth_km"),
}


def wrap_longitude(lon):
    """Wrap longitudes in degrees to the half-open interval [-180, 180).

    Parameters
    ----------
    lon : array-like
        Longitudes in degrees.

    Returns
    -------
    ndarray
        The same longitudes in [-180, 180).

    Examples
    --------
    >>> wrap_longitude([180.0, 190.0, -180.0, 359.5])
    array([-180. , -170. , -180. ,   -0.5])
    """
    lon = np.asarray(lon, dtype=np.float64)
    wrapped = np.mod(lon + 180.0, 360.0) - 180.0
    # np.mod can round a tiny negative argument up to exactly 360.
    wrapped = np.where(wrapped >= 180.0, wrapped - 360.0, wrapped)
    # Values already in range are returned bit for bit (the shift by 180 would
    # move them by an ulp and could push an event across a box edge).
    return np.where((lon >= -180.0) & (lon < 180.0), lon, wrapped)


def _catalog_field(name):
    """The catalog field ("lat", "lon", "depth") a column name stands for, or None."""
    lower = str(name).lower()
    return next((f for f, a in CATALOG_COLUMN_ALIASES.items() if lower in a), None)


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "iloc")


def _check_real_kind(dtype, what):
    """A ValueError naming ``what`` for booleans, complex numbers and dates, which a
    cast to float would turn into plausible but meaningless coordinates."""
    kind = {"b": "boolean", "c": "complex", "M": "datetime", "m": "timedelta"}.get(
        np.dtype(dtype).kind
    )
    if kind is not None:
        raise ValueError(
            f"{what} has {kind} values (dtype {dtype}); catalog values must be real "
            "numbers (degrees and km)."
        )


def numpy_dtype_of_column(column):
    """The numpy dtype a pandas column's values have (object for mixed ones)."""
    dtype = getattr(column.dtype, "numpy_dtype", column.dtype)  # nullable dtypes
    try:
        dtype = np.dtype(dtype)
    except TypeError:  # categorical and other extension dtypes
        dtype = np.dtype(object)
    if dtype.kind == "O":
        try:
            dtype = np.asarray(column.dropna().tolist()).dtype
        except (TypeError, ValueError):
            pass
    return dtype


def _frame_values(X):
    """Float64 values of a catalog DataFrame; pandas' missing values become NaN."""
    columns = []
    for name in X.columns:
        column = X[name]
        _check_real_kind(numpy_dtype_of_column(column), f"Catalog column {str(name)!r}")
        try:
            columns.append(column.to_numpy(dtype=np.float64, na_value=np.nan))
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"Catalog column {str(name)!r} must be numeric: {exc}"
            ) from exc
    return np.column_stack(columns) if columns else np.empty((len(X), 0))


def select_catalog_columns(X, *, depth="optional"):
    """Pick the ``lat``, ``lon`` (and ``depth``) columns of a DataFrame, in that order.

    Names are matched case-insensitively against :data:`CATALOG_COLUMN_ALIASES`, so
    ``latitude``/``longitude`` work too; other columns (time, magnitude, ...) are left
    out. Anything that is not a DataFrame is returned unchanged.

    Parameters
    ----------
    X : DataFrame or array-like
        The catalog.
    depth : {"optional", "required", "ignore"}, default="optional"
        Whether a depth column is used if present, must be present, or is dropped.

    Returns
    -------
    DataFrame or array-like
        ``X[[lat, lon(, depth)]]`` for a DataFrame, else ``X`` itself.

    Raises
    ------
    ValueError
        If a DataFrame lacks a latitude or longitude column (or depth when required).

    Examples
    --------
    >>> import pandas as pd
    >>> from skgeoclust.utils import select_catalog_columns
    >>> df = pd.DataFrame({"mag": [5.1], "Longitude": [139.7], "Latitude": [35.7]})
    >>> select_catalog_columns(df)
       Latitude  Longitude
    0      35.7      139.7
    """
    if not _is_dataframe(X):
        return X
    fields = ["lat", "lon"] if depth == "ignore" else ["lat", "lon", "depth"]
    chosen = []
    for field in fields:
        matches = [c for c in X.columns if _catalog_field(c) == field]
        if len(matches) > 1:
            raise ValueError(
                f"Catalog DataFrame has {len(matches)} columns for {field!r}: "
                f"{', '.join(repr(str(c)) for c in matches)}; keep one of them (the "
                "accepted names, in any case, are "
                f"{', '.join(CATALOG_COLUMN_ALIASES[field])})."
            )
        match = matches[0] if matches else None
        if match is None:
            if field == "depth" and depth == "optional":
                continue
            raise ValueError(
                f"Catalog DataFrame is missing column {field!r} (accepted names: "
                f"{', '.join(CATALOG_COLUMN_ALIASES[field])}); its columns are "
                f"{[str(c) for c in X.columns]}."
            )
        chosen.append(match)
    return X[chosen]


@contextmanager
def naming_conversion_errors(name):
    """Prefix numpy's "could not convert string to float" errors with ``name``.

    Parameters
    ----------
    name : str
        What was being converted, for example ``"X"``.
    """
    try:
        yield
    except ValueError as exc:
        if not str(exc).startswith("could not convert"):
            raise
        raise ValueError(f"{name} must hold numbers: {exc}") from exc


def _first_nonfinite(X):
    """(row, column, "NaN" or "infinity") of the first non-finite value, or None."""
    finite = np.isfinite(X)
    if finite.all():
        return None
    row, col = np.argwhere(~finite)[0]
    return row, col, "NaN" if np.isnan(X[row, col]) else "infinity"


def check_finite_rows(X, *, name="X"):
    """Raise a ValueError naming the row and column of the first NaN or infinity.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Float array.
    name : str, default="X"
        Name used in the message.
    """
    bad = _first_nonfinite(X)
    if bad is not None:
        row, col, kind = bad
        raise ValueError(
            f"{name} contains {kind} at row {row}, column {col} (0-based); every "
            "value must be finite."
        )


def check_distance_range(X, *, name="X"):
    """Refuse values so large that squared distances between rows overflow.

    Squared Euclidean distances between rows of ``X`` stay finite while every
    value is below ``sqrt(max_float / (4 * n_features))`` (about 6.7e153 for one
    float64 feature); beyond it clustering results are silently meaningless
    (NaN or infinite distances).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite float array.
    name : str, default="X"
        Name used in the error message.

    Raises
    ------
    ValueError
        Naming the row, the column and the value.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.utils import check_distance_range
    >>> check_distance_range(np.array([[4.5, 1e3]]))
    >>> check_distance_range(np.array([[4.5, 1e200]]))
    Traceback (most recent call last):
    ...
    ValueError: X holds 1e+200 at row 0, column 1: squared distances of values ...
    """
    if X.size == 0:
        return
    limit = np.sqrt(np.finfo(X.dtype).max / (4.0 * X.shape[1]))
    big = np.abs(X) > limit
    if big.any():
        row, col = np.argwhere(big)[0]
        raise ValueError(
            f"{name} holds {float(X[row, col]):g} at row {row}, column {col}: squared "
            f"distances of values beyond {limit:.3g} overflow ({X.shape[1]} features, "
            f"{X.dtype}); rescale the data."
        )


def check_catalog_values(X, *, column_names=None):
    """Check a numeric catalog array in place of use and wrap its longitudes.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 2) or (n_samples, 3)
        Columns (lat, lon[, depth]) in degrees and km, already a float array.
    column_names : sequence of str, default=None
        Names used in error messages; defaults to ``("lat", "lon", "depth")``.

    Returns
    -------
    ndarray
        A float64 copy of ``X`` with longitudes wrapped to [-180, 180).

    Raises
    ------
    ValueError
        Naming the column and the first bad row, for a non-finite value (NaN or
        infinity) or a latitude outside [-90, 90].

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.utils import check_catalog_values
    >>> check_catalog_values(np.array([[35.7, 179.5], [-20.0, 185.0]]))
    array([[  35.7,  179.5],
           [ -20. , -175. ]])
    >>> check_catalog_values(np.array([[95.0, 10.0]]))
    Traceback (most recent call last):
    ...
    ValueError: Latitude in column 'lat' must lie in [-90, 90] degrees; row 0 ...
    """
    names = list(column_names) if column_names is not None else ["lat", "lon", "depth"]
    X = np.array(X, dtype=np.float64, copy=True)
    bad = _first_nonfinite(X)
    if bad is not None:
        row, col, kind = bad
        raise ValueError(
            f"Input catalog contains {kind} in column {names[col]!r} at row {row} "
            f"(0-based); every value must be finite."
        )
    bad_lat = np.flatnonzero(np.abs(X[:, 0]) > 90.0)
    if bad_lat.size:
        row = bad_lat[0]
        raise ValueError(
            f"Latitude in column {names[0]!r} must lie in [-90, 90] degrees; row {row} "
            f"(0-based) has {float(X[row, 0])!r}. Are the lat and lon columns swapped?"
        )
    X[:, 1] = wrap_longitude(X[:, 1])
    return X


def check_catalog(X, *, depth="optional", ensure_min_samples=1):
    """Validate an earthquake catalog and return it as a float array.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, 2) or (n_samples, 3)
        Epicentres as columns (lat, lon) in degrees, optionally followed by depth in
        km (positive down). A DataFrame is read by column name (``lat``/``latitude``,
        ``lon``/``longitude``, ``depth``), in any order and with other columns
        ignored; an array is read by position.
    depth : {"optional", "required", "ignore"}, default="optional"
        Whether a depth column may be present, must be present, or is dropped.
    ensure_min_samples : int, default=1
        Smallest number of events accepted.

    Returns
    -------
    ndarray of shape (n_samples, 2) or (n_samples, 3)
        float64 copy with longitudes wrapped to [-180, 180).

    Raises
    ------
    ValueError
        If the input is empty or too small, not 2-D, has the wrong number of columns,
        misses a column, holds NaN or infinity, or has a latitude outside [-90, 90].
        The message names the column and the first bad row.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.utils import check_catalog
    >>> check_catalog([[35.0, 190.0, 10.0], [-20.5, -75.0, 33.0]])
    array([[  35. , -170. ,   10. ],
           [ -20.5,  -75. ,   33. ]])
    >>> check_catalog([[91.0, 0.0]])
    Traceback (most recent call last):
    ...
    ValueError: Latitude in column 'lat' must lie in [-90, 90] degrees; row 0 ...
    """
    if depth not in ("optional", "required", "ignore"):
        raise ValueError(
            f"depth must be 'optional', 'required' or 'ignore', got {depth!r}."
        )
    if _is_dataframe(X):
        X = select_catalog_columns(X, depth=depth)
        names = [str(c) for c in X.columns]
        values = _frame_values(X)
    else:
        names = None
        try:
            values = np.asarray(X)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"Catalog values must be numeric: {exc}") from exc
        _check_real_kind(values.dtype, "Catalog")
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Catalog values must be numeric: {exc}") from exc
    if values.ndim != 2:
        raise ValueError(
            "Expected a 2-D catalog with columns (lat, lon[, depth]), got an array of "
            f"shape {values.shape}. Reshape a single event with X.reshape(1, -1)."
        )
    n_samples, n_columns = values.shape
    allowed = {"optional": (2, 3), "required": (3,), "ignore": (2, 3)}[depth]
    if n_columns not in allowed:
        wanted = " or ".join(str(a) for a in allowed)
        raise ValueError(
            f"Expected {wanted} catalog columns (lat, lon[, depth]), got {n_columns}."
        )
    if depth == "ignore":
        values = values[:, :2]
    min_samples = int(ensure_min_samples)
    if n_samples < max(min_samples, 1):
        raise ValueError(
            f"Catalog has {n_samples} event(s); at least {max(min_samples, 1)} "
            "required."
        )
    if names is None:
        names = ["lat", "lon", "depth"][: values.shape[1]]
    return check_catalog_values(values, column_names=names)


def validate_catalog_data(estimator, X, *, reset):
    """``validate_data`` for estimators whose input is a catalog (lat, lon[, depth]).

    Selects the catalog columns of a DataFrame by name (a DataFrame whose column
    labels are not all strings is read by position, like an array), records
    ``n_features_in_``/``feature_names_in_`` through scikit-learn's
    ``validate_data``, then checks the values with :func:`check_catalog_values`
    so errors name the column and row.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted or applied.
    X : DataFrame or array-like of shape (n_samples, 2) or (n_samples, 3)
        The catalog.
    reset : bool
        True in ``fit``, False in ``predict``/``transform``.

    Returns
    -------
    ndarray
        float64 catalog with longitudes in [-180, 180).

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> from skgeoclust.utils import validate_catalog_data
    >>> class Centroid(BaseEstimator):
    ...     def fit(self, X, y=None):
    ...         X = validate_catalog_data(self, X, reset=True)
    ...         self.center_ = X[:, :2].mean(axis=0)
    ...         return self
    >>> est = Centroid().fit([[10.0, 370.0], [12.0, 10.0]])
    >>> est.center_, est.n_features_in_
    (array([11., 10.]), 2)
    """
    columns = getattr(X, "columns", None)
    if columns is not None and all(isinstance(c, str) for c in columns):
        X = select_catalog_columns(X)
        fitted = getattr(estimator, "feature_names_in_", None)
        if not reset and fitted is not None and list(X.columns) != list(fitted):
            # another accepted spelling of the same fields (latitude for lat, ...)
            fields = [_catalog_field(c) for c in X.columns]
            if None not in fields and fields == [_catalog_field(c) for c in fitted]:
                X = X.set_axis(list(fitted), axis=1)
    with naming_conversion_errors(
        f"{type(estimator).__name__}: the catalog X (lat, lon[, depth] in degrees "
        "and km)"
    ):
        X = validate_data(
            estimator,
            X,
            reset=reset,
            dtype=np.float64,
            ensure_all_finite=False,
            ensure_min_features=2,
        )
    if reset and X.shape[1] > 3:
        raise ValueError(
            f"{type(estimator).__name__} expects columns (lat, lon[, depth]) in "
            f"degrees and km; got {X.shape[1]} columns."
        )
    names = getattr(estimator, "feature_names_in_", None)
    return check_catalog_values(X, column_names=names)


def validate_profile_data(estimator, X, *, reset):
    """``validate_data`` for the profile estimators (float64 or float32 rows).

    Conversion errors name ``X (profiles)``; values whose squared distances
    overflow are refused by :func:`check_distance_range`. Fitting
    (``reset=True``) converts the profiles to C-contiguous float64 before that
    check; new profiles keep their dtype.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted or applied.
    X : array-like of shape (n_samples, n_features)
        Profiles, one per row.
    reset : bool
        True in ``fit``, False in ``predict``/``transform``.

    Returns
    -------
    ndarray of shape (n_samples, n_features)
    """
    with naming_conversion_errors("X (profiles)"):
        X = validate_data(estimator, X, dtype=[np.float64, np.float32], reset=reset)
    if reset:
        X = np.ascontiguousarray(X, dtype=np.float64)
    check_distance_range(X)
    return X
