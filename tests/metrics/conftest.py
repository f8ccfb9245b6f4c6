"""Fixtures for the Azerbaijan study: the raw source file (skip when absent)."""

import os
from pathlib import Path

import numpy as np
import pytest

#: The box of the paper's equation (2): lon (P), lat (R), depth (H).
PAPER_BOUNDS = np.array([[42.3021, 37.1765, 0.0], [52.1283, 43.2183, 112.1]])


def _raw_path():
    env = os.environ.get("SKGEOCLUST_SHARED_DATA")
    base = (
        Path(env)
        if env
        else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    )
    path = base / "azerbaijan" / "raw" / "Earthquake_depth6000ClearNew.txt"
    if not path.exists():
        pytest.skip(f"shared dataset not available: {path}")
    return path


@pytest.fixture(scope="session")
def azerbaijan_raw():
    """All 6,200 rows of the source file with lat > 0, split on whitespace.

    ndarray of shape (6200, 3): lon, lat, depth_km (the four space-separated rows
    that the notebook's tab parser drops are kept).
    """
    raw = np.loadtxt(_raw_path())
    raw = raw[raw[:, 0] > 0]
    return np.ascontiguousarray(raw[:, [1, 0, 2]])


@pytest.fixture(scope="session")
def azerbaijan_paper_box(azerbaijan_raw):
    """The 6,194 events inside the paper's box (its stated event count)."""
    lo, hi = PAPER_BOUNDS[:, :2]
    inside = np.all(
        (azerbaijan_raw[:, :2] >= lo) & (azerbaijan_raw[:, :2] <= hi), axis=1
    )
    return azerbaijan_raw[inside]
