"""Conversions between geographic coordinates, unit vectors and local km frames."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from skgeoclust._kernels.distances import pairwise_haversine

#: Mean Earth radius in km (IUGG mean radius R1), used for every km conversion.
EARTH_RADIUS_KM = 6371.0


def _as_degrees(values, name):
    """``values`` as float64; booleans, complex numbers and text are refused."""
    try:
        array = np.asarray(values)
        if array.dtype.kind in "bcMm":
            raise ValueError(f"dtype {array.dtype} is not real numbers")
        return array.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric degrees: {exc}") from exc


def _check_degrees(values, name, *, latitude):
    """``values`` as a float64 array, or a ValueError naming ``name`` and the value."""
    values = _as_degrees(values, name)
    bad = ~np.isfinite(values)
    if latitude:
        bad |= np.abs(values) > 90.0
    if bad.any():
        where = np.argwhere(bad)[0] if values.ndim else ()
        index = f"[{', '.join(str(int(i)) for i in where)}]" if values.ndim else ""
        allowed = "finite and in [-90, 90] degrees" if latitude else "finite"
        raise ValueError(
            f"{name}{index} is {float(values[tuple(where)])!r}; must be {allowed}."
        )
    return values


def _check_epicentres(X, name):
    """(n, 2) or (n, 3) catalog array as float64 (lat, lon) columns, checked."""
    X = _as_degrees(X, name)
    if X.ndim != 2 or X.shape[1] not in (2, 3):
        raise ValueError(
            f"{name} must have shape (n, 2) with columns (lat, lon) in degrees (a "
            f"third, depth column is ignored); got shape {X.shape}."
        )
    X = X[:, :2]
    for col, (what, latitude) in enumerate((("lat", True), ("lon", False))):
        bad = ~np.isfinite(X[:, col])
        if latitude:
            bad |= np.abs(X[:, col]) > 90.0
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            allowed = "finite and in [-90, 90]" if latitude else "finite"
            raise ValueError(
                f"{name}[{row}, {col}] ({what}) is {float(X[row, col])!r}; must be "
                f"{allowed} degrees."
            )
    return X


def latlon_to_unit_vectors(lat, lon):
    """Unit vectors on the sphere for latitudes and longitudes in degrees.

    Parameters
    ----------
    lat, lon : array-like of shape (n,)
        Degrees.

    Returns
    -------
    ndarray of shape (n, 3)
        Earth-centred (x, y, z): x towards (0, 0), y towards (0, 90E), z to the
        North Pole.

    Examples
    --------
    >>> latlon_to_unit_vectors([0.0, 90.0], [90.0, 0.0]).round(12) + 0.0
    array([[0., 1., 0.],
           [0., 0., 1.]])
    """
    lat_rad = np.radians(np.asarray(lat, dtype=np.float64))
    lon_rad = np.radians(np.asarray(lon, dtype=np.float64))
    cos_lat = np.cos(lat_rad)
    return np.stack(
        [cos_lat * np.cos(lon_rad), cos_lat * np.sin(lon_rad), np.sin(lat_rad)], axis=-1
    )


def unit_vectors_to_latlon(xyz):
    """Latitude and longitude in degrees of (not necessarily unit) vectors.

    Parameters
    ----------
    xyz : array-like of shape (n, 3)
        Earth-centred vectors; their length is ignored.

    Returns
    -------
    lat, lon : ndarray of shape (n,)
        Degrees, longitude in [-180, 180].

    Examples
    --------
    >>> from skgeoclust.geometry import unit_vectors_to_latlon
    >>> unit_vectors_to_latlon([[0.0, 2.0, 0.0], [-1.0, 0.0, 1.0]])
    (array([ 0., 45.]), array([ 90., 180.]))
    """
    xyz = np.asarray(xyz, dtype=np.float64)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    lat = np.degrees(np.arctan2(z, np.hypot(x, y)))
    lon = np.degrees(np.arctan2(y, x))
    return lat, lon


def haversine_km(lat1, lon1, lat2, lon2, *, radius_km=EARTH_RADIUS_KM):
    """Great-circle distance in km between points given in degrees.

    Broadcasts like any numpy ufunc. Uses the haversine formula, well conditioned
    for small distances, with the mean Earth radius :data:`EARTH_RADIUS_KM`.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array-like
        Degrees; broadcastable against each other.
    radius_km : float, default=6371.0
        Sphere radius.

    Returns
    -------
    ndarray or float
        Distances in km.

    Raises
    ------
    ValueError
        Naming the argument and the first bad value: NaN or infinity, or a
        latitude outside [-90, 90].

    Examples
    --------
    >>> round(float(haversine_km(0.0, 0.0, 0.0, 1.0)), 3)
    111.195
    """
    lat1, lon1, lat2, lon2 = (
        np.radians(_check_degrees(v, name, latitude=name.startswith("lat")))
        for v, name in (
            (lat1, "lat1"),
            (lon1, "lon1"),
            (lat2, "lat2"),
            (lon2, "lon2"),
        )
    )
    h = (
        np.sin(0.5 * (lat2 - lat1)) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin(0.5 * (lon2 - lon1)) ** 2
    )
    return 2.0 * radius_km * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def pairwise_haversine_km(X, Y=None, *, radius_km=EARTH_RADIUS_KM):
    """Matrix of great-circle distances in km between two sets of epicentres.

    Parameters
    ----------
    X : array-like of shape (n_x, 2)
        (lat, lon) in degrees; a third (depth) column is accepted and ignored.
    Y : array-like of shape (n_y, 2), default=None
        (lat, lon) in degrees; ``X`` when None.
    radius_km : float, default=6371.0
        Sphere radius.

    Returns
    -------
    ndarray of shape (n_x, n_y)
        Distances in km. This is an explicit matrix: use it for small sets (medoids,
        tests), never for a whole catalog against itself.

    Raises
    ------
    ValueError
        If ``X`` or ``Y`` is not 2-D with 2 or 3 columns, or holds NaN, infinity
        or a latitude outside [-90, 90] (the message names the array, row and
        column).

    Examples
    --------
    >>> pairwise_haversine_km([[0.0, 0.0], [0.0, 1.0]]).round(3)
    array([[  0.   , 111.195],
           [111.195,   0.   ]])
    """
    X_rad = np.radians(_check_epicentres(X, "X"))
    Y_rad = X_rad if Y is None else np.radians(_check_epicentres(Y, "Y"))
    out = np.empty((X_rad.shape[0], Y_rad.shape[0]), dtype=np.float64)
    pairwise_haversine(np.ascontiguousarray(X_rad), np.ascontiguousarray(Y_rad), out)
    out *= radius_km
    return out


def geodetic_to_local_km(lat, lon, ref_lat, ref_lon, *, radius_km=EARTH_RADIUS_KM):
    """Project epicentres to east/north km about a reference point.

    The projection is the spherical azimuthal equidistant one: every point keeps its
    true great-circle distance and azimuth from the reference point, so a catalog
    a few hundred km across is distorted by less than ``(d / R)^2 / 6`` (0.02 % at
    200 km). Depth is not touched: (east, north, depth) is the usual local frame of
    relocated catalogs.

    Parameters
    ----------
    lat, lon : array-like of shape (n,)
        Degrees.
    ref_lat, ref_lon : float
        Reference point in degrees; it maps to (0, 0).
    radius_km : float, default=6371.0
        Sphere radius.

    Returns
    -------
    east, north : ndarray of shape (n,)
        km.

    Examples
    --------
    >>> e, n = geodetic_to_local_km([0.0, 1.0], [1.0, 0.0], 0.0, 0.0)
    >>> e.round(3) + 0.0, n.round(3) + 0.0
    (array([111.195,   0.   ]), array([  0.   , 111.195]))
    """
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    dlam = np.radians(np.asarray(lon, dtype=np.float64) - ref_lon)
    phi0 = np.radians(ref_lat)
    h = (
        np.sin(0.5 * (phi - phi0)) ** 2
        + np.cos(phi0) * np.cos(phi) * np.sin(0.5 * dlam) ** 2
    )
    central = 2.0 * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    azimuth = np.arctan2(
        np.sin(dlam) * np.cos(phi),
        np.cos(phi0) * np.sin(phi) - np.sin(phi0) * np.cos(phi) * np.cos(dlam),
    )
    distance = radius_km * central
    return distance * np.sin(azimuth), distance * np.cos(azimuth)


def local_km_to_geodetic(east, north, ref_lat, ref_lon, *, radius_km=EARTH_RADIUS_KM):
    """Inverse of :func:`geodetic_to_local_km`.

    Parameters
    ----------
    east, north : array-like of shape (n,)
        km from the reference point.
    ref_lat, ref_lon : float
        Reference point in degrees.
    radius_km : float, default=6371.0
        Sphere radius.

    Returns
    -------
    lat, lon : ndarray of shape (n,)
        Degrees, longitude in [-180, 180).

    Examples
    --------
    >>> from skgeoclust.geometry import local_km_to_geodetic
    >>> lat, lon = local_km_to_geodetic([111.195, 0.0], [0.0, 111.195], 0.0, 0.0)
    >>> lat.round(3) + 0.0, lon.round(3) + 0.0
    (array([0., 1.]), array([1., 0.]))
    """
    east = np.asarray(east, dtype=np.float64)
    north = np.asarray(north, dtype=np.float64)
    central = np.hypot(east, north) / radius_km
    azimuth = np.arctan2(east, north)
    phi0 = np.radians(ref_lat)
    sin_phi = np.sin(phi0) * np.cos(central) + np.cos(phi0) * np.sin(central) * np.cos(
        azimuth
    )
    phi = np.arcsin(np.clip(sin_phi, -1.0, 1.0))
    dlam = np.arctan2(
        np.sin(azimuth) * np.sin(central) * np.cos(phi0),
        np.cos(central) - np.sin(phi0) * sin_phi,
    )
    lon = np.degrees(dlam) + ref_lon
    lon = np.mod(lon + 180.0, 360.0) - 180.0
    return np.degrees(phi), np.where(lon >= 180.0, lon - 360.0, lon)


def spherical_mean(lat, lon, weights=None):
    """Direction of the (weighted) mean unit vector, in degrees.

    Parameters
    ----------
    lat, lon : array-like of shape (n,)
        Degrees.
    weights : array-like of shape (n,), default=None
        Non-negative weights.

    Returns
    -------
    lat, lon : float
        Degrees. When the mean vector vanishes (points spread evenly over the
        sphere) the first point is returned.

    Examples
    --------
    Two epicentres either side of the antimeridian average to it (the mean of
    their longitudes would be 0):

    >>> from skgeoclust.geometry import spherical_mean
    >>> lat, lon = spherical_mean([10.0, 10.0], [179.0, -179.0])
    >>> round(lat, 3), round(lon, 3)
    (10.001, 180.0)
    """
    xyz = latlon_to_unit_vectors(lat, lon)
    mean = np.average(xyz, axis=0, weights=weights)
    if np.linalg.norm(mean) < 1e-12:
        mean = xyz[0]
    mean_lat, mean_lon = unit_vectors_to_latlon(mean)
    return float(mean_lat), float(mean_lon)
