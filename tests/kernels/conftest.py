"""Point sets on the sphere and a numpy oracle of their angles, for kernel tests."""

import numpy as np
import pytest

from skgeoclust.geometry import latlon_to_unit_vectors


def _cap_points(rng, n, center_lat, center_lon, radius_deg):
    lat = np.clip(center_lat + rng.uniform(-radius_deg, radius_deg, n), -90, 90)
    lon = center_lon + rng.uniform(-radius_deg, radius_deg, n)
    return latlon_to_unit_vectors(lat, lon)


def _chord_angles(xyz):
    diff = xyz[:, None, :] - xyz[None, :, :]
    return 2.0 * np.arcsin(np.minimum(np.linalg.norm(diff, axis=2) / 2.0, 1.0))


@pytest.fixture(scope="session")
def cap_points():
    """``cap_points(rng, n, lat, lon, radius_deg)``: n unit vectors scattered about
    a centre (uniform in lat and lon within ``radius_deg``)."""
    return _cap_points


@pytest.fixture(scope="session")
def chord_angles():
    """``chord_angles(xyz)``: every pairwise central angle, from the chords."""
    return _chord_angles
