"""Synthetic clumped seismicity on the sphere."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import check_random_state

from skgeoclust.geometry import EARTH_RADIUS_KM, unit_vectors_to_latlon


def _uniform_on_sphere(rng, n, region):
    """``n`` points uniform in area inside ``region`` = (lat_min, lat_max, lon_min,
    lon_max) in degrees; ``lon_min > lon_max`` crosses the antimeridian."""
    lat_min, lat_max, lon_min, lon_max = region
    sin_lat = rng.uniform(np.sin(np.radians(lat_min)), np.sin(np.radians(lat_max)), n)
    lon_span = (lon_max - lon_min) % 360.0 or 360.0
    lon = lon_min + rng.uniform(0.0, lon_span, n)
    lon = np.mod(lon + 180.0, 360.0) - 180.0
    return np.degrees(np.arcsin(sin_lat)), lon


def _uniform_in_caps(rng, center_lat, center_lon, radius_rad):
    """One point uniform in area inside each spherical cap (centre, radius)."""
    n = center_lat.shape[0]
    cos_theta = rng.uniform(np.cos(radius_rad), 1.0, n)
    sin_theta = np.sqrt(1.0 - cos_theta**2)
    azimuth = rng.uniform(0.0, 2.0 * np.pi, n)
    phi0 = np.radians(center_lat)
    lam0 = np.radians(center_lon)
    # Offset from the cap centre along (north, east) in the local tangent plane.
    east = np.stack([-np.sin(lam0), np.cos(lam0), np.zeros(n)], axis=1)
    north = np.stack(
        [-np.sin(phi0) * np.cos(lam0), -np.sin(phi0) * np.sin(lam0), np.cos(phi0)],
        axis=1,
    )
    up = np.stack(
        [np.cos(phi0) * np.cos(lam0), np.cos(phi0) * np.sin(lam0), np.sin(phi0)], axis=1
    )
    xyz = (
        cos_theta[:, None] * up
        + (sin_theta * np.cos(azimuth))[:, None] * north
        + (sin_theta * np.sin(azimuth))[:, None] * east
    )
    return unit_vectors_to_latlon(xyz)


def make_seismicity_catalog(
    n_samples=1000,
    *,
    n_clusters=10,
    cluster_radius_km=30.0,
    background_fraction=0.2,
    depth_range_km=(0.0, 30.0),
    cluster_depth_std_km=3.0,
    region=(-90.0, 90.0, -180.0, 180.0),
    shuffle=True,
    return_centers=False,
    random_state=None,
):
    """Generate clumped epicentres/hypocentres on the sphere with uniform background.

    Cluster centres are uniform in area over ``region``; each cluster's events are
    uniform in area inside a spherical cap of radius ``cluster_radius_km`` around its
    centre, at depths normal about a cluster depth; background events are uniform in
    area over ``region`` and in depth over ``depth_range_km``.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of events.
    n_clusters : int, default=10
        Number of clusters; cluster events are shared out as evenly as possible.
    cluster_radius_km : float, default=30.0
        Great-circle radius of each cluster's cap in km (angular radius
        ``cluster_radius_km / 6371.0`` rad).
    background_fraction : float, default=0.2
        Fraction of events in the background, in [0, 1].
    depth_range_km : tuple of float, default=(0, 30)
        Depth interval in km (positive down); all depths are clipped to it.
    cluster_depth_std_km : float, default=3.0
        Depth scatter inside a cluster.
    region : tuple of float, default=(-90, 90, -180, 180)
        (lat_min, lat_max, lon_min, lon_max) in degrees for centres and background;
        ``lon_min > lon_max`` wraps across the antimeridian.
    shuffle : bool, default=True
        Shuffle rows; otherwise clusters come first, then background.
    return_centers : bool, default=False
        Also return the (lat, lon, depth) of the cluster centres.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_samples, 3)
        (lat, lon, depth) in degrees and km, longitude in [-180, 180).
    y : ndarray of shape (n_samples,)
        Cluster index of each event, -1 for background.
    centers : ndarray of shape (n_clusters, 3), only when ``return_centers``
        Cluster centres (lat, lon, depth).

    Examples
    --------
    >>> from skgeoclust.datasets import make_seismicity_catalog
    >>> X, y = make_seismicity_catalog(200, n_clusters=4, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((200, 3), [-1, 0, 1, 2, 3])
    """
    n_samples = int(n_samples)
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}.")
    if not 0.0 <= background_fraction <= 1.0:
        raise ValueError(
            f"background_fraction must be in [0, 1], got {background_fraction!r}."
        )
    if not cluster_radius_km > 0:
        raise ValueError(f"cluster_radius_km must be > 0, got {cluster_radius_km!r}.")
    lat_min, lat_max = region[0], region[1]
    if not -90.0 <= lat_min < lat_max <= 90.0:
        raise ValueError(
            f"region latitudes must satisfy -90 <= min < max <= 90: {region}"
        )
    rng = check_random_state(random_state)
    n_background = int(np.rint(background_fraction * n_samples))
    n_clustered = n_samples - n_background
    if n_clustered and int(n_clusters) < 1:
        raise ValueError(f"n_clusters must be >= 1, got {n_clusters!r}.")
    n_clusters = int(n_clusters)
    depth_lo, depth_hi = depth_range_km

    center_lat, center_lon = _uniform_on_sphere(rng, n_clusters, region)
    center_depth = rng.uniform(depth_lo, depth_hi, n_clusters)
    y_clustered = np.arange(n_clustered) % max(n_clusters, 1)
    lat_c, lon_c = _uniform_in_caps(
        rng,
        center_lat[y_clustered],
        center_lon[y_clustered],
        np.full(n_clustered, cluster_radius_km / EARTH_RADIUS_KM),
    )
    depth_c = rng.normal(center_depth[y_clustered], cluster_depth_std_km)
    lat_b, lon_b = _uniform_on_sphere(rng, n_background, region)
    depth_b = rng.uniform(depth_lo, depth_hi, n_background)

    X = np.column_stack(
        [
            np.concatenate([lat_c, lat_b]),
            np.concatenate([lon_c, lon_b]),
            np.clip(np.concatenate([depth_c, depth_b]), depth_lo, depth_hi),
        ]
    )
    X[:, 1] = np.mod(X[:, 1] + 180.0, 360.0) - 180.0
    y = np.concatenate([y_clustered, np.full(n_background, -1)]).astype(np.int64)
    if shuffle:
        order = rng.permutation(n_samples)
        X, y = X[order], y[order]
    if return_centers:
        return X, y, np.column_stack([center_lat, center_lon, center_depth])
    return X, y
