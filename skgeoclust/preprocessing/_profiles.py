"""Depth profiles (one per map grid node) from a gridded 3-D velocity model."""
# SPDX-License-Identifier: BSD-3-Clause

import math
import os
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skgeoclust.utils import wrap_longitude

#: Dimension names recognised on an xarray DataArray, per axis (lower case).
PROFILE_DIM_ALIASES = {
    "depth": ("depth", "depth_km", "dep", "z"),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "longitude", "long", "x"),
}


def _is_dataarray(model):
    return (
        hasattr(model, "dims")
        and hasattr(model, "coords")
        and hasattr(model, "transpose")
    )


def _from_dataarray(lat, lon, depth, model):
    """Reorder a DataArray to (depth, lat, lon) and read missing coordinates."""
    dims = {str(d).lower(): d for d in model.dims}
    order = []
    for axis in ("depth", "lat", "lon"):
        match = next((dims[a] for a in PROFILE_DIM_ALIASES[axis] if a in dims), None)
        if match is None:
            raise ValueError(
                f"model DataArray has no {axis!r} dimension (accepted names: "
                f"{', '.join(PROFILE_DIM_ALIASES[axis])}); its dims are "
                f"{[str(d) for d in model.dims]}."
            )
        order.append(match)
    if len(model.dims) != 3:
        raise ValueError(
            f"model DataArray must have exactly 3 dims, got {list(model.dims)}."
        )
    model = model.transpose(*order)
    coords = [
        given if given is not None else np.asarray(model.coords[name].values)
        for given, name in zip((depth, lat, lon), order)
    ]
    return coords[1], coords[2], coords[0], np.asarray(model.values)


def _as_real(values, name):
    """``values`` as a float64 array; booleans, complex numbers and dates, which a
    cast to float would silently turn into plausible numbers, are refused."""
    try:
        values = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from exc
    kind = {"b": "boolean", "c": "complex", "M": "datetime", "m": "timedelta"}.get(
        values.dtype.kind
    )
    if kind is not None:
        raise ValueError(
            f"{name} has {kind} values (dtype {values.dtype}); expected real numbers."
        )
    try:
        return values.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from exc


def _check_axis(values, name, n_expected):
    values = _as_real(values, name)
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {values.shape}.")
    if values.shape[0] != n_expected:
        raise ValueError(
            f"{name} has {values.shape[0]} values but the model has {n_expected} along "
            f"that axis; model must be ordered (depth, lat, lon)."
        )
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise ValueError(
            f"{name}[{bad[0]}] is {float(values[bad[0]])}; must be finite."
        )
    return values


def uniform_depth_grid(depth_min, depth_max, dz):
    """Uniform depths ``depth_min, depth_min + dz, ...`` never beyond ``depth_max``.

    Parameters
    ----------
    depth_min, depth_max : float
        Range in km, ``depth_min <= depth_max``.
    dz : float
        Spacing in km, > 0.

    Returns
    -------
    ndarray of shape (n_z,)
        The grid in km.

    Examples
    --------
    >>> uniform_depth_grid(0.0, 61.5, 10.0)
    array([ 0., 10., 20., 30., 40., 50., 60.])
    """
    n = _n_uniform_depths(depth_min, depth_max, dz)
    return depth_min + dz * np.arange(n, dtype=np.float64)


def _n_uniform_depths(depth_min, depth_max, dz):
    """Length of :func:`uniform_depth_grid` (a Python int, never an overflow)."""
    # A relative slack absorbs rounding when (max - min) is a multiple of dz.
    steps = (depth_max - depth_min) / dz * (1.0 + 1e-12) + 1e-9
    return math.floor(steps) + 1 if math.isfinite(steps) else math.inf


def _physical_memory_bytes():
    """Total physical memory of this machine, or None where it cannot be read."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # not a POSIX system
        return None


#: Arrays of the profile matrix's size alive at once while interpolating.
_INTERPOLATION_COPIES = 4


def _check_profile_matrix_fits(n_profiles, n_z, dz):
    """Raise a ValueError naming ``dz`` when the interpolation cannot fit in memory."""
    need = _INTERPOLATION_COPIES * 8.0 * n_profiles * n_z
    total = _physical_memory_bytes()
    if math.isfinite(need) and (total is None or need <= total):
        return
    have = "" if total is None else f" of this machine's {total / 2**30:.1f} GiB"
    size = (
        f"about {need / 2**30:.4g} GiB" if math.isfinite(need) else "unbounded memory"
    )
    raise ValueError(
        f"dz={dz!r} km gives {n_z:.4g} depths per profile: interpolating the "
        f"{n_profiles} profiles needs {size}, more than the memory{have}. Use a "
        "larger dz."
    )


def interpolate_profiles(depth, values, new_depth):
    """Linear interpolation of many profiles at once (like ``np.interp`` per row).

    Parameters
    ----------
    depth : ndarray of shape (n_depth,)
        Strictly increasing depths (km) of the columns of ``values``.
    values : ndarray of shape (n_profiles, n_depth)
        Profiles, finite.
    new_depth : ndarray of shape (n_z,)
        Target depths inside ``[depth[0], depth[-1]]``.

    Returns
    -------
    ndarray of shape (n_profiles, n_z)

    Examples
    --------
    >>> import numpy as np
    >>> interpolate_profiles(np.array([0.0, 10.0]), np.array([[1.0, 2.0]]),
    ...                      np.array([0.0, 2.5, 10.0]))
    array([[1.  , 1.25, 2.  ]])
    """
    if depth.shape[0] == 1:
        return np.repeat(values, new_depth.shape[0], axis=1)
    upper = np.clip(np.searchsorted(depth, new_depth, side="right"), 1, depth.size - 1)
    lower = upper - 1
    weight = (new_depth - depth[lower]) / (depth[upper] - depth[lower])
    # Exact grid values where the target is a model depth (np.interp does the same).
    on_lower = new_depth == depth[lower]
    on_upper = new_depth == depth[upper]
    out = values[:, lower] * (1.0 - weight) + values[:, upper] * weight
    out[:, on_lower] = values[:, lower[on_lower]]
    out[:, on_upper] = values[:, upper[on_upper]]
    return out


@validate_params(
    {
        "lat": ["array-like", None],
        "lon": ["array-like", None],
        "depth": ["array-like", None],
        "model": ["array-like"],
        "spacing": [Interval(Integral, 1, None, closed="left"), tuple],
        "zrange": ["array-like", None],
        "dz": [Interval(Real, 0, None, closed="neither"), None],
        "duplicate_meridian": [StrOptions({"drop", "keep"})],
        "duplicate_poles": [StrOptions({"drop", "keep"})],
    },
    prefer_skip_nested_validation=True,
)
def extract_profiles(
    lat,
    lon,
    depth,
    model,
    *,
    spacing=1,
    zrange=None,
    dz=None,
    duplicate_meridian="drop",
    duplicate_poles="drop",
):
    """Turn a 3-D model into a profile matrix, one depth profile per grid node.

    The grid is subsampled with stride ``spacing``, cut to the depths within
    ``zrange`` and, if ``dz`` is given, linearly interpolated to a uniform depth grid.
    Profiles come out in the grid's row-major order (latitude outer, longitude inner),
    the order SeisGo uses. A grid node whose profile holds a NaN anywhere in
    ``zrange`` is excluded and reported in ``excluded`` (and by a warning), never
    filled. Everything is vectorised (no Python loop over grid nodes).

    Read more in the :ref:`User Guide <profile_clustering>`.

    Parameters
    ----------
    lat : array-like of shape (n_lat,) or None
        Latitudes in degrees. None to read them from a DataArray ``model``.
    lon : array-like of shape (n_lon,) or None
        Longitudes in degrees. None to read them from a DataArray ``model``.
    depth : array-like of shape (n_depth,) or None
        Depths in km, positive down, strictly monotonic (a decreasing axis is
        flipped). None to read them from a DataArray ``model``.
    model : array-like of shape (n_depth, n_lat, n_lon) or xarray.DataArray
        The model (for example Vs in km/s). A DataArray is reordered by dimension
        names (``depth``/``z``, ``lat``/``latitude``, ``lon``/``longitude``).
    spacing : int or tuple of (int, int), default=1
        Grid stride along (lat, lon): keep every ``spacing``-th node.
    zrange : (float, float), default=None
        Inclusive depth range in km; None keeps all depths.
    dz : float, default=None
        Interpolate each profile to depths ``min, min + dz, ...`` (km), never beyond
        the deepest model depth in ``zrange``. None keeps the model's depths.
    duplicate_meridian : {"drop", "keep"}, default="drop"
        A global grid often lists the same meridian twice (-180 and 180). "drop"
        excludes the later copy (reported in ``excluded`` and by a warning);
        "keep" keeps both (SeisGo's behaviour).
    duplicate_poles : {"drop", "keep"}, default="drop"
        At latitude +-90 every longitude is the same point, so a global grid repeats
        the pole profile ``n_lon`` times. "drop" keeps the first longitude of each
        pole row and reports the others (in ``excluded`` and by a warning); "keep"
        keeps them all (SeisGo's behaviour).

    Returns
    -------
    profiles : :class:`~sklearn.utils.Bunch`
        With fields

        - ``X`` : ndarray of shape (n_profiles, n_z), the profiles;
        - ``lat``, ``lon`` : ndarray of shape (n_profiles,), degrees;
        - ``depth`` : ndarray of shape (n_z,), km;
        - ``lat_index``, ``lon_index`` : ndarray of shape (n_profiles,), indices
          into the input ``lat`` and ``lon``;
        - ``excluded`` : Bunch of ``lat``, ``lon``, ``lat_index``, ``lon_index`` and
          ``reason`` (``"nan"``, ``"duplicate_meridian"`` or ``"duplicate_pole"``)
          per excluded node.

    Raises
    ------
    ValueError
        If the axes do not match the model's shape, are not finite, the depths are
        not strictly monotonic, ``zrange`` selects no depth, every profile is
        excluded, or ``dz`` is so small that the interpolated profiles cannot fit
        in this machine's memory.

    See Also
    --------
    skgeoclust.cluster.ProfileKMeans : Cluster the profiles with k-means.
    skgeoclust.cluster.ProfileSOM : Cluster the profiles with a self-organising map.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from skgeoclust.preprocessing import extract_profiles
    >>> depth = np.array([0.0, 10.0, 20.0])
    >>> model = np.arange(12.0).reshape(3, 2, 2)
    >>> model[2, 1, 1] = np.nan
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", UserWarning)
    ...     p = extract_profiles([40.0, 41.0], [10.0, 11.0], depth, model, dz=5.0)
    >>> p.X.shape, p.lat.tolist(), p.excluded.reason.tolist()
    ((3, 5), [40.0, 40.0, 41.0], ['nan'])
    >>> p.X[0]
    array([0., 2., 4., 6., 8.])
    """
    if _is_dataarray(model):
        lat, lon, depth, model = _from_dataarray(lat, lon, depth, model)
    if lat is None or lon is None or depth is None:
        raise ValueError(
            "lat, lon and depth are required unless model is an xarray DataArray "
            "carrying them as coordinates."
        )
    model = _as_real(model, "model")
    if model.ndim != 3:
        raise ValueError(
            "model must be 3-D, ordered (depth, lat, lon); got an array of shape "
            f"{model.shape}."
        )
    n_depth, n_lat, n_lon = model.shape
    for axis, size in zip(("depth", "lat", "lon"), model.shape):
        if size == 0:
            raise ValueError(
                f"model has shape {model.shape} (depth, lat, lon): its {axis} axis is "
                "empty, so there is no profile to extract."
            )
    depth = _check_axis(depth, "depth", n_depth)
    lat = _check_axis(lat, "lat", n_lat)
    lon = _check_axis(lon, "lon", n_lon)
    bad_lat = np.flatnonzero(np.abs(lat) > 90.0)
    if bad_lat.size:
        raise ValueError(
            f"lat[{bad_lat[0]}] = {float(lat[bad_lat[0]])} is outside [-90, 90] "
            "degrees."
        )
    if n_depth > 1:
        step = np.diff(depth)
        if np.all(step < 0):
            depth, model = depth[::-1], model[::-1]
        elif not np.all(step > 0):
            raise ValueError(
                "depth must be strictly increasing or decreasing; it repeats or turns "
                f"back at index {int(np.flatnonzero(step * step[0] <= 0)[0]) + 1}."
            )

    stride = (spacing, spacing) if isinstance(spacing, Integral) else tuple(spacing)
    if len(stride) != 2 or not all(
        isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in stride
    ):
        raise ValueError(
            f"spacing must be a positive int or a pair of them, got {spacing!r}."
        )

    if zrange is None:
        keep_depth = np.ones(depth.shape, dtype=bool)
    else:
        zr = np.asarray(zrange, dtype=np.float64)
        if zr.shape != (2,) or not np.all(np.isfinite(zr)) or zr[0] > zr[1]:
            raise ValueError(
                f"zrange must be a finite (min, max) pair with min <= max, got "
                f"{zrange!r}."
            )
        keep_depth = (depth >= zr[0]) & (depth <= zr[1])
        if not keep_depth.any():
            raise ValueError(
                f"zrange={zrange!r} selects no model depth (model depths span "
                f"{depth.min()}-{depth.max()} km)."
            )
    depth = depth[keep_depth]
    model = model[keep_depth]

    lat_index = np.arange(0, n_lat, stride[0])
    lon_index = np.arange(0, n_lon, stride[1])
    # (n_z, n_lat_s * n_lon_s), latitude outer; slicing keeps this a cheap view.
    columns = model[:, :: stride[0], :: stride[1]].reshape(depth.size, -1)
    grid_lat = np.repeat(lat_index, lon_index.size)
    grid_lon = np.tile(lon_index, lat_index.size)

    finite = np.isfinite(columns)
    has_nan = ~finite.all(axis=0)
    if has_nan.any():
        infinite = np.isinf(columns[:, has_nan])
        if infinite.any():
            col, row = np.argwhere(infinite)[0]
            row = np.flatnonzero(has_nan)[row]
            raise ValueError(
                f"model holds infinity at depth {depth[col]} km, lat "
                f"{lat[grid_lat[row]]}, lon {lon[grid_lon[row]]}; values must be "
                "finite or NaN."
            )
    duplicate = np.zeros(grid_lat.size, dtype=bool)
    if duplicate_meridian == "drop":
        _, first = np.unique(wrap_longitude(lon[lon_index]), return_index=True)
        repeated = np.ones(lon_index.size, dtype=bool)
        repeated[first] = False
        if repeated.any():
            duplicate = np.tile(repeated, lat_index.size) & ~has_nan
    pole = np.zeros(grid_lat.size, dtype=bool)
    if duplicate_poles == "drop":
        at_pole = np.abs(lat[grid_lat]) == 90.0
        first_lon = grid_lon == lon_index[0]
        pole = at_pole & ~first_lon & ~has_nan & ~duplicate
    dropped = has_nan | duplicate | pole
    kept = ~dropped
    reason = np.where(
        has_nan[dropped],
        "nan",
        np.where(duplicate[dropped], "duplicate_meridian", "duplicate_pole"),
    )
    excluded = Bunch(
        lat=lat[grid_lat[dropped]],
        lon=lon[grid_lon[dropped]],
        lat_index=grid_lat[dropped],
        lon_index=grid_lon[dropped],
        reason=reason,
    )
    if not kept.any():
        raise ValueError(
            f"All {grid_lat.size} grid profiles were excluded (NaN in zrange or "
            "duplicate meridian/pole); no profile is left to cluster."
        )
    columns = columns[:, kept].T if dropped.any() else columns.T
    n_nan = int(np.count_nonzero(excluded.reason == "nan"))
    if n_nan:
        warnings.warn(
            f"{n_nan} of {grid_lat.size} grid profiles hold NaN within the depth "
            "range and were excluded (listed in the result's `excluded`).",
            UserWarning,
            stacklevel=3,
        )
    n_meridian = int(np.count_nonzero(duplicate & ~has_nan))
    n_pole = int(np.count_nonzero(pole))
    if n_meridian or n_pole:
        parts = []
        if n_meridian:
            parts.append(
                f"{n_meridian} on a meridian listed twice (such as -180 and 180 "
                "degrees; duplicate_meridian='keep' keeps them)"
            )
        if n_pole:
            parts.append(
                f"{n_pole} repeating a pole's profile at another longitude "
                "(duplicate_poles='keep' keeps them)"
            )
        warnings.warn(
            f"{n_meridian + n_pole} of {grid_lat.size} grid profiles repeat another "
            f"node and were merged into it: {'; '.join(parts)}. They are listed in "
            "the result's `excluded`.",
            UserWarning,
            stacklevel=3,
        )
    X = columns
    if dz is not None:
        n_z = _n_uniform_depths(depth[0], depth[-1], float(dz))
        _check_profile_matrix_fits(X.shape[0], n_z, dz)
        new_depth = uniform_depth_grid(depth[0], depth[-1], float(dz))
        X = interpolate_profiles(depth, X, new_depth)
        depth = new_depth
    return Bunch(
        X=np.ascontiguousarray(X),
        lat=lat[grid_lat[kept]],
        lon=lon[grid_lon[kept]],
        depth=depth.copy(),
        lat_index=grid_lat[kept],
        lon_index=grid_lon[kept],
        excluded=excluded,
    )
