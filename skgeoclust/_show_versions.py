"""Report the versions of skgeoclust, Python and its dependencies (for bug reports)."""
# SPDX-License-Identifier: BSD-3-Clause

import importlib.metadata
import platform
import sys

_DEPENDENCIES = (
    "numpy",
    "scipy",
    "scikit-learn",
    "numba",
    "joblib",
    "tslearn",
    "minisom",
    "pandas",
    "matplotlib",
    "dask",
    "distributed",
    "obspy",
    "hypothesis",
    "pytest",
)


def _versions():
    info = {
        "python": sys.version.replace("\n", " "),
        "executable": sys.executable,
        "machine": platform.platform(),
    }
    deps = {}
    for name in ("skgeoclust", *_DEPENDENCIES):
        try:
            deps[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            deps[name] = None
    return info, deps


def show_versions():
    """Print the versions of skgeoclust, Python and the packages it uses.

    Examples
    --------
    >>> import skgeoclust
    >>> skgeoclust.show_versions()  # doctest: +ELLIPSIS
    <BLANKLINE>
    System:
    ...
    """
    info, deps = _versions()
    print("\nSystem:")
    for key, value in info.items():
        print(f"{key:>12}: {value}")
    print("\nPython dependencies:")
    for key, value in deps.items():
        print(f"{key:>12}: {value if value is not None else 'not installed'}")
