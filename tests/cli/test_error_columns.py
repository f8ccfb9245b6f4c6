"""read_location_errors: recognised columns, --error-cols, --error-unit, problems."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from skgeoclust.cli._error_columns import read_location_errors
from skgeoclust.cli._io import InputFileError, read_table

PATH = Path("catalog.csv")  # only named in messages


def _table(**columns):
    base = {"lat": [35.0, 35.1, 35.2], "lon": [-117.0] * 3, "depth": [5.0, 6.0, 7.0]}
    return pd.DataFrame({**base, **columns})


@pytest.mark.parametrize(
    ("columns", "catalog", "expected"),
    [
        (
            {"horizontalError": [0.3, 0.4, 0.5], "depthError": [1.0, 1.2, 0.8]},
            "ComCat",
            [[0.3, 0.3, 1.0], [0.4, 0.4, 1.2], [0.5, 0.5, 0.8]],
        ),
        (
            {"ERH": [0.3, 0.4, 0.5], "ERZ": [1.0, 1.2, 0.8]},
            "hypoinverse",
            [[0.3, 0.3, 1.0], [0.4, 0.4, 1.2], [0.5, 0.5, 0.8]],
        ),
        (
            {"EX": [30.0, 40, 50], "EY": [60.0, 70, 80], "EZ": [90.0, 100, 110]},
            "HypoDD",  # metres
            [[0.03, 0.06, 0.09], [0.04, 0.07, 0.1], [0.05, 0.08, 0.11]],
        ),
        (
            {"eh": [0.01, 0.02, 0.03], "ez": [0.05, 0.06, 0.07]},
            "GrowClust",
            [[0.01, 0.01, 0.05], [0.02, 0.02, 0.06], [0.03, 0.03, 0.07]],
        ),
    ],
)
def test_recognised_columns(columns, catalog, expected):
    errors = read_location_errors(_table(**columns), PATH)
    assert catalog in errors.source and errors.problem is None
    sigma = np.sqrt(np.diagonal(errors.covariances, axis1=1, axis2=2))
    assert_allclose(sigma, expected)
    assert "median 1-sigma" in errors.summary()


def test_error_unit_overrides_the_recognised_unit():
    table = _table(horizontalError=[300.0, 400, 500], depthError=[1000.0, 1200, 800])
    errors = read_location_errors(table, PATH, error_unit="m")
    assert_allclose(errors.covariances[0, 0, 0], 0.09)
    assert "m)" in errors.source


@pytest.mark.parametrize(
    ("cols", "expected"),
    [
        ("err", [[0.2] * 3, [0.3] * 3, [0.4] * 3]),
        ("h,z", [[0.2, 0.2, 1.0], [0.3, 0.3, 2.0], [0.4, 0.4, 3.0]]),
        ("e, n ,z", [[0.2, 0.5, 1.0], [0.3, 0.6, 2.0], [0.4, 0.7, 3.0]]),
    ],
)
def test_error_cols(cols, expected):
    table = _table(
        err=[0.2, 0.3, 0.4],
        h=[0.2, 0.3, 0.4],
        e=[0.2, 0.3, 0.4],
        n=[0.5, 0.6, 0.7],
        z=[1.0, 2.0, 3.0],
        horizontalError=[9.0, 9.0, 9.0],
        depthError=[9.0, 9.0, 9.0],
    )
    errors = read_location_errors(table, PATH, error_cols=cols)
    assert "--error-cols" in errors.source
    sigma = np.sqrt(np.diagonal(errors.covariances, axis1=1, axis2=2))
    assert_allclose(sigma, expected)
    metres = read_location_errors(table, PATH, error_cols=cols, error_unit="m")
    assert_allclose(metres.covariances, errors.covariances * 1e-6)


def test_error_cols_none_reads_nothing():
    table = _table(horizontalError=[0.3] * 3, depthError=[1.0] * 3)
    errors = read_location_errors(table, PATH, error_cols="none")
    assert errors.covariances is None and "--error-cols none" in errors.source


def test_no_error_columns():
    errors = read_location_errors(_table(), PATH)
    assert errors.covariances is None and errors.problem is None
    assert "horizontalerror/deptherror" in errors.source


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([0.3, np.nan, 0.5], "row 2 (line 3), column 'horizontalError' is missing"),
        ([0.3, 0.4, -0.5], "row 3 (line 4), column 'horizontalError' is -0.5"),
        ([0.3, "x", 0.5], "row 2 (line 3), column 'horizontalError' is 'x'"),
        ([0.3, 0.4, 900.0], "900 km is not a plausible location error"),
    ],
)
def test_recognised_columns_with_bad_values_are_a_problem_not_an_error(
    tmp_path, values, message
):
    path = tmp_path / "catalog.csv"
    _table(horizontalError=values, depthError=[1.0] * 3).to_csv(path, index=False)
    errors = read_location_errors(read_table(path), path)
    assert errors.covariances is None
    assert message in errors.problem


@pytest.mark.parametrize(
    ("cols", "values", "message"),
    [
        ("err", [0.3, np.nan, 0.5], "row 2 (line 3), column 'err': missing value"),
        ("err", [0.3, -1.0, 0.5], "row 2 (line 3), column 'err': location error -1.0"),
        ("err", [0.3, 1e4, 0.5], "--error-unit m"),
        ("nope", [0.3, 0.4, 0.5], "column 'nope' (given by --error-cols) not found"),
        ("a,b,c,d", [0.3, 0.4, 0.5], "one (isotropic), two (horizontal, depth)"),
    ],
)
def test_error_cols_are_strict(tmp_path, cols, values, message):
    path = tmp_path / "catalog.csv"
    _table(err=values).to_csv(path, index=False)
    with pytest.raises(
        InputFileError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        read_location_errors(read_table(path), path, error_cols=cols)


def test_growclust_example_without_bootstrap_errors(spanish_springs_catalog, tmp_path):
    # the shared GrowClust file has eh_km/ez_km columns, all empty (no bootstrap)
    path = tmp_path / "growclust.csv"
    spanish_springs_catalog.to_csv(path, index=False)
    errors = read_location_errors(read_table(path), path)
    assert errors.covariances is None
    assert "GrowClust" in errors.source
    assert "row 1 (line 2), column 'eh_km' is missing" in errors.problem
