"""Per-event location errors: validation and conversion to covariance matrices."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

#: Relative tolerance of the symmetry test of a covariance matrix.
SYMMETRY_RTOL = 1e-8
#: An eigenvalue above ``-EIGEN_RTOL * largest`` counts as zero (semi-definite).
EIGEN_RTOL = 1e-10

_KIND_NAMES = {"b": "booleans", "c": "complex numbers", "M": "dates", "m": "durations"}


def _as_float_array(values, name):
    array = np.asarray(values)
    kind = _KIND_NAMES.get(array.dtype.kind)
    if kind is not None:
        raise ValueError(f"{name} holds {kind} (dtype {array.dtype}), not numbers.")
    try:
        return np.array(array, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold numbers: {exc}") from exc


def _shapes_text(n_samples, n_features):
    d = n_features
    return (
        f"({n_samples},) (isotropic 1-sigma, km), ({n_samples}, {d}) (1-sigma per "
        f"axis, km) or ({n_samples}, {d}, {d}) (covariance, km^2)"
    )


def _first_row(mask):
    """Index of the first row with any True in ``mask`` (reduced over axes > 0)."""
    rows = mask.reshape(mask.shape[0], -1).any(axis=1)
    return int(np.flatnonzero(rows)[0])


def check_location_errors(
    location_error_km,
    n_samples,
    *,
    n_features=3,
    allow_zero=True,
    name="location_error_km",
):
    """Validate per-event location errors and return them as covariance matrices.

    Parameters
    ----------
    location_error_km : array-like or None
        One of

        - shape ``(n_samples,)``: isotropic 1-sigma error in km (covariance
          ``s**2 * I``);
        - shape ``(n_samples, n_features)``: 1-sigma error in km along each axis
          (east, north, down for hypocentres), uncorrelated;
        - shape ``(n_samples, n_features, n_features)``: covariance in km^2.

        None is returned as None (no errors).
    n_samples : int
        Number of events the errors belong to.
    n_features : int, default=3
        Number of coordinates of an event.
    allow_zero : bool, default=True
        Accept zero errors (positive semi-definite covariances, such as an
        event known exactly). False requires positive-definite covariances,
        i.e. every event's location PDF has a volume (catalog condensation).
    name : str, default="location_error_km"
        Name used in the messages.

    Returns
    -------
    covariances : ndarray of shape (n_samples, n_features, n_features) or None
        Symmetric covariance matrices in km^2 (a new array).

    Raises
    ------
    ValueError
        Naming the row (0-based) and the value: NaN or infinity, a negative
        standard deviation, a non-symmetric or non-positive-(semi-)definite
        covariance; or the wrong shape or number of rows.

    Examples
    --------
    >>> from skgeoclust.utils._location_errors import check_location_errors
    >>> check_location_errors([0.5, 2.0], 2)[1]
    array([[4., 0., 0.],
           [0., 4., 0.],
           [0., 0., 4.]])
    >>> check_location_errors([[0.3, 0.3, 1.0], [0.3, 0.3, -1.0]], 2)
    Traceback (most recent call last):
    ...
    ValueError: location_error_km row 1 holds a negative standard deviation ...
    """
    if location_error_km is None:
        return None
    errors = _as_float_array(location_error_km, name)
    n, d = int(n_samples), int(n_features)
    shapes = _shapes_text(n, d)
    if errors.ndim == 0 or errors.ndim > 3:
        raise ValueError(
            f"{name} has shape {errors.shape}; expected {shapes} for {n} events."
        )
    if errors.shape[0] != n:
        raise ValueError(
            f"{name} has {errors.shape[0]} rows but there are {n} events; expected "
            f"{shapes}."
        )
    if errors.shape[1:] not in ((), (d,), (d, d)):
        raise ValueError(
            f"{name} has shape {errors.shape}; expected {shapes} for {n} events."
        )
    finite = np.isfinite(errors)
    if not finite.all():
        row = _first_row(~finite)
        kind = "NaN" if np.isnan(errors[row]).any() else "infinity"
        raise ValueError(
            f"{name} row {row} holds {kind}; every event's error must be finite "
            "(fill or remove the events without an error)."
        )
    if errors.ndim < 3:
        negative = errors < 0
        if negative.any():
            row = _first_row(negative)
            value = float(np.min(errors[row]))
            raise ValueError(
                f"{name} row {row} holds a negative standard deviation {value!r} km."
            )
        if not allow_zero and (errors == 0).any():
            row = _first_row(errors == 0)
            raise ValueError(
                f"{name} row {row} holds a zero standard deviation: every event's "
                "location PDF needs a positive spread here."
            )
        with np.errstate(over="ignore"):
            variances = errors**2
        if not np.isfinite(variances).all():
            row = _first_row(~np.isfinite(variances))
            raise ValueError(
                f"{name} row {row} holds {float(np.max(errors[row])):g} km, too "
                "large to square."
            )
        if errors.ndim == 1:
            return variances[:, None, None] * np.eye(d)
        covariances = np.zeros((n, d, d))
        covariances[:, np.arange(d), np.arange(d)] = variances
        return covariances
    asymmetry = np.abs(errors - np.swapaxes(errors, 1, 2))
    scale = np.abs(errors).max(axis=(1, 2))
    bad = asymmetry.max(axis=(1, 2)) > SYMMETRY_RTOL * scale
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        i, j = np.unravel_index(np.argmax(asymmetry[row]), (d, d))
        raise ValueError(
            f"{name} row {row} is not symmetric: entry [{i}, {j}] is "
            f"{errors[row, i, j]!r} but [{j}, {i}] is {errors[row, j, i]!r} (km^2)."
        )
    covariances = 0.5 * (errors + np.swapaxes(errors, 1, 2))
    eigenvalues = np.linalg.eigvalsh(covariances)
    smallest, largest = eigenvalues[:, 0], eigenvalues[:, -1]
    bad = smallest < -EIGEN_RTOL * np.maximum(largest, 0.0)
    if allow_zero and bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} row {row} is not positive semi-definite: its smallest "
            f"eigenvalue is {float(smallest[row]):.6g} km^2 (a variance cannot be "
            "negative)."
        )
    if not allow_zero:
        bad |= ~(smallest > EIGEN_RTOL * largest) | ~(largest > 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name} row {row} is not positive definite: its smallest "
                f"eigenvalue is {float(smallest[row]):.6g} km^2 (largest "
                f"{float(largest[row]):.6g}); every event's location PDF needs a "
                "volume here."
            )
    return covariances
