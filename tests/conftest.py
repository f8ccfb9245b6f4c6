"""Shared fixtures: seeds, hypothesis profiles and the ../shared/data catalogs."""

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Numba compiles on first call, which breaks hypothesis' default deadline.
settings.register_profile(
    "dev",
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)


def _shared_data_dir():
    env = os.environ.get("SKGEOCLUST_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


SHARED_DATA = _shared_data_dir()


def shared_path(*parts):
    """Path to a file under ../shared/data, or skip the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared dataset not available: {path}")
    return path


def _read_csv(*parts):
    pd = pytest.importorskip("pandas")
    return pd.read_csv(shared_path(*parts))


@pytest.fixture
def global_random_seed():
    """A fixed seed; tests that need several draw them from a local Generator."""
    return 42


@pytest.fixture(scope="session")
def landers_hypocentres():
    """Landers 1992 aftershocks, local Cartesian km: ndarray (3360, 3)."""
    return _read_csv("landers", "hypocentres.csv")[["x_km", "y_km", "z_km"]].to_numpy()


@pytest.fixture(scope="session")
def azerbaijan_catalog():
    """Azerbaijan hypocentres 2010-2023: DataFrame lat, lon, depth_km."""
    return _read_csv("azerbaijan", "catalog.csv")


@pytest.fixture(scope="session")
def global_significant_catalog():
    """USGS significant earthquakes 1965-2016: DataFrame with time, lat, lon, ..."""
    return _read_csv("global_significant", "catalog.csv.gz")


@pytest.fixture(scope="session")
def ridgecrest_catalog():
    """Ridgecrest 2019 aftershocks (30 days, M>=1.5): DataFrame."""
    return _read_csv("ridgecrest_2019", "catalog.csv.gz")


@pytest.fixture(scope="session")
def spanish_springs_catalog():
    """Spanish Springs GrowClust relocations: DataFrame."""
    return _read_csv("spanish_springs_growclust", "catalog.csv")


@pytest.fixture(scope="session")
def ncal_dd_catalog():
    """Northern California double-difference catalog, 774,889 events: DataFrame."""
    return _read_csv("ncal_dd", "catalog.csv.gz")


@pytest.fixture(scope="session")
def s362anim_velocity_model():
    """S362ANI+M Vs on a 2-degree grid: dict of lat, lon, depth, vs."""
    with np.load(shared_path("velocity_model", "s362anim_vs.npz")) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture
def two_profile_groups():
    """Six profiles of three depths in two groups: rows 0, 1, 5 and rows 2, 3, 4."""
    return np.array(
        [
            [4.0, 4.5, 4.6],
            [4.1, 4.5, 4.7],
            [3.0, 3.5, 4.4],
            [3.1, 3.4, 4.4],
            [3.0, 3.6, 4.5],
            [4.0, 4.4, 4.6],
        ]
    )


@pytest.fixture(scope="session")
def province_profiles():
    """``make(n_provinces=4, random_state=0, *, n_lat=16, n_lon=20, n_depth=31)``:
    the depth profiles of a generated velocity model, shape (n_lat * n_lon,
    n_depth), and the true province of each."""
    from skgeoclust.datasets import make_velocity_model
    from skgeoclust.preprocessing import extract_profiles

    def make(n_provinces=4, random_state=0, *, n_lat=16, n_lon=20, n_depth=31):
        lat, lon, depth, model, prov = make_velocity_model(
            n_lat, n_lon, n_depth, n_provinces=n_provinces, random_state=random_state
        )
        p = extract_profiles(lat, lon, depth, model)
        return p.X, prov[p.lat_index, p.lon_index]

    return make


@pytest.fixture
def broken_npy_files(tmp_path):
    """A folder with a 0-byte, a truncated, a text and a pickled-object ``.npy``
    file, and the reason each cannot be read (a regex of the expected message)."""
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "empty.npy").write_bytes(b"")
    np.save(folder / "truncated.npy", np.zeros((1000, 3)))
    data = (folder / "truncated.npy").read_bytes()
    (folder / "truncated.npy").write_bytes(data[: len(data) // 2])
    (folder / "text.npy").write_text("1,2,3\n4,5,6\n")
    np.save(folder / "objects.npy", np.array([[1, "a"]], dtype=object))
    return folder, {
        "empty.npy": r"the file is empty \(0 bytes\)",
        "truncated.npy": r"it is truncated: its header declares shape \(1000, 3\)",
        "text.npy": r"it is not a \.npy file",
        "objects.npy": "it holds Python objects",
    }


def pytest_collection_modifyitems(config, items):
    """Skip the doctests of optional extras that are not installed."""
    try:
        import obspy  # noqa: F401
    except ImportError:
        skip = pytest.mark.skip(reason="ObsPy is not installed (skgeoclust[obspy])")
        for item in items:
            if "catalog_from_obspy" in item.name:
                item.add_marker(skip)
