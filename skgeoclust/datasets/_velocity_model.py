"""Synthetic 3-D shear-velocity models made of provinces with distinct 1-D profiles."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import check_random_state

from skgeoclust.geometry import latlon_to_unit_vectors


def _province_profile(depth, moho_km, crust_vs, mantle_vs, lvz_depth_km, lvz_dvs):
    """A smooth 1-D Vs profile (km/s): crust with a gradient, a Moho step, a mantle
    gradient and a Gaussian low-velocity zone."""
    crust = crust_vs + 0.012 * np.minimum(depth, moho_km)
    mantle = mantle_vs + 0.0015 * np.maximum(depth - moho_km, 0.0)
    moho = 0.5 * (1.0 + np.tanh((depth - moho_km) / 2.0))
    lvz = lvz_dvs * np.exp(-0.5 * ((depth - lvz_depth_km) / 25.0) ** 2)
    return (1.0 - moho) * crust + moho * mantle - lvz


def make_velocity_model(
    n_lat=30,
    n_lon=40,
    n_depth=40,
    *,
    n_provinces=4,
    lat_range=(30.0, 45.0),
    lon_range=(-125.0, -105.0),
    max_depth_km=200.0,
    noise_std=0.01,
    nan_fraction=0.0,
    random_state=None,
):
    """Generate a gridded 3-D Vs model whose columns follow a few province profiles.

    The map is split into ``n_provinces`` Voronoi cells (nearest province seed on the
    sphere); each province has its own 1-D profile (crustal thickness, crustal and
    mantle velocities, depth and strength of a low-velocity zone), copied to every
    grid column of the province with relative Gaussian noise ``noise_std``.

    Parameters
    ----------
    n_lat, n_lon, n_depth : int, default=30, 40, 40
        Grid size.
    n_provinces : int, default=4
        Number of provinces (distinct 1-D profiles).
    lat_range, lon_range : tuple of float, default=(30, 45) and (-125, -105)
        Grid extent in degrees.
    max_depth_km : float, default=200.0
        Deepest grid depth; depths run from 0 with uniform spacing.
    noise_std : float, default=0.01
        Relative standard deviation of the multiplicative noise on Vs.
    nan_fraction : float, default=0.0
        Fraction of (lat, lon) columns set to NaN at every depth (missing data).
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    lat : ndarray of shape (n_lat,)
        Degrees.
    lon : ndarray of shape (n_lon,)
        Degrees.
    depth : ndarray of shape (n_depth,)
        km, positive down.
    model : ndarray of shape (n_depth, n_lat, n_lon)
        Vs in km/s, NaN in the missing columns.
    provinces : ndarray of shape (n_lat, n_lon)
        Province index of each column (also where the model is NaN).

    Examples
    --------
    >>> from skgeoclust.datasets import make_velocity_model
    >>> lat, lon, depth, model, provinces = make_velocity_model(random_state=0)
    >>> model.shape, provinces.shape, len(set(provinces.ravel().tolist()))
    ((40, 30, 40), (30, 40), 4)
    """
    n_lat, n_lon, n_depth, n_provinces = map(int, (n_lat, n_lon, n_depth, n_provinces))
    if min(n_lat, n_lon, n_depth, n_provinces) < 1:
        raise ValueError("n_lat, n_lon, n_depth and n_provinces must all be >= 1.")
    if n_provinces > n_lat * n_lon:
        raise ValueError(
            f"n_provinces={n_provinces} exceeds the {n_lat * n_lon} grid columns."
        )
    if not 0.0 <= nan_fraction < 1.0:
        raise ValueError(f"nan_fraction must be in [0, 1), got {nan_fraction!r}.")
    rng = check_random_state(random_state)
    lat = np.linspace(*lat_range, n_lat)
    lon = np.linspace(*lon_range, n_lon)
    depth = np.linspace(0.0, max_depth_km, n_depth)

    grid_lat, grid_lon = np.meshgrid(lat, lon, indexing="ij")
    cells = latlon_to_unit_vectors(grid_lat.ravel(), grid_lon.ravel())
    seeds = rng.choice(n_lat * n_lon, size=n_provinces, replace=False)
    # Largest dot product = nearest seed on the sphere; every seed owns its own cell.
    provinces = np.argmax(cells @ cells[seeds].T, axis=1).reshape(n_lat, n_lon)

    # Spread the province parameters evenly (then jitter) so profiles stay distinct.
    spread = (np.arange(n_provinces) + rng.uniform(0.2, 0.8, n_provinces)) / n_provinces
    moho = 20.0 + 40.0 * rng.permutation(spread)
    crust_vs = rng.uniform(3.0, 3.6, n_provinces)
    mantle_vs = 4.2 + 0.4 * rng.permutation(spread)
    lvz_depth = rng.uniform(70.0, 150.0, n_provinces)
    lvz_dvs = rng.uniform(0.0, 0.3, n_provinces)
    profiles = np.stack(
        [
            _province_profile(
                depth, moho[p], crust_vs[p], mantle_vs[p], lvz_depth[p], lvz_dvs[p]
            )
            for p in range(n_provinces)
        ]
    )
    model = profiles[provinces].transpose(2, 0, 1)
    model = model * (1.0 + noise_std * rng.standard_normal(model.shape))
    n_missing = int(np.rint(nan_fraction * n_lat * n_lon))
    if n_missing:
        missing = rng.choice(n_lat * n_lon, size=n_missing, replace=False)
        model.reshape(n_depth, -1)[:, missing] = np.nan
    return lat, lon, depth, model, provinces
