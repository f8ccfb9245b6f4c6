"""check_catalog: what bad catalogs say."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from skgeoclust.utils import check_catalog, select_catalog_columns, wrap_longitude


def test_valid_array_is_copied_and_wrapped():
    X = np.array([[10.0, 190.0, 5.0], [-10.0, -180.0, 0.0]])
    out = check_catalog(X)
    assert_array_equal(out, [[10.0, -170.0, 5.0], [-10.0, -180.0, 0.0]])
    assert X[0, 1] == 190.0 and out.dtype == np.float64


def test_poles_are_valid():
    assert check_catalog([[90.0, 0.0], [-90.0, 10.0]]).shape == (2, 2)


def test_wrap_longitude_range():
    lon = wrap_longitude(np.linspace(-720, 720, 1441))
    assert lon.min() >= -180.0 and lon.max() < 180.0


def test_dataframe_by_name_with_aliases_and_extra_columns():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {"Longitude": [200.0], "mag": [3.0], "Latitude": [45.0], "Depth": [12.0]}
    )
    assert_array_equal(check_catalog(df), [[45.0, -160.0, 12.0]])
    assert_array_equal(check_catalog(df, depth="ignore"), [[45.0, -160.0]])


def test_non_dataframe_passes_through_selection():
    X = [[1.0, 2.0]]
    assert select_catalog_columns(X) is X


@pytest.mark.parametrize(
    "X, match",
    [
        ([[0.0, 1.0], [np.nan, 2.0]], "NaN in column 'lat' at row 1"),
        ([[0.0, 1.0, -np.inf]], "infinity in column 'depth' at row 0"),
        ([[91.0, 0.0]], "Latitude in column 'lat' must lie in \\[-90, 90\\].*row 0"),
        ([[0.0, 0.0], [-90.5, 0.0]], "row 1"),
        (np.empty((0, 2)), "0 event"),
        ([1.0, 2.0], "2-D catalog"),
        ([[1.0]], "Expected 2 or 3 catalog columns"),
        ([[1.0, 2.0, 3.0, 4.0]], "got 4"),
        ([["a", "b"]], "numeric"),
    ],
)
def test_bad_catalogs_name_the_problem(X, match):
    with pytest.raises(ValueError, match=match):
        check_catalog(X)


def test_too_few_events():
    with pytest.raises(ValueError, match="at least 3"):
        check_catalog([[0.0, 0.0], [1.0, 1.0]], ensure_min_samples=3)


def test_depth_required():
    with pytest.raises(ValueError, match="Expected 3 catalog columns"):
        check_catalog([[0.0, 0.0]], depth="required")


@pytest.mark.parametrize("missing", ["lat", "lon"])
def test_dataframe_missing_column(missing):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"lat": [1.0], "lon": [2.0], "depth": [3.0]}).drop(
        columns=missing
    )
    with pytest.raises(ValueError, match=f"missing column '{missing}'"):
        check_catalog(df)


def test_dataframe_nan_names_its_column():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"latitude": [1.0, 2.0], "longitude": [2.0, np.nan]})
    with pytest.raises(ValueError, match="column 'longitude' at row 1"):
        check_catalog(df)


def test_bad_depth_mode():
    with pytest.raises(ValueError, match="depth must be"):
        check_catalog([[0.0, 0.0]], depth="sometimes")


def test_in_range_longitudes_are_returned_bit_for_bit():
    lon = np.array([42.3021, -179.9999999, 179.99999, 0.1 + 0.2])
    assert_array_equal(wrap_longitude(lon), lon)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[1 + 1j, 2.0, 3.0]]), "Catalog has complex values"),
        ([[True, False], [False, True]], "Catalog has boolean values"),
        (
            pd.DataFrame({"lat": [True, False], "lon": [1.0, 2.0]}),
            "Catalog column 'lat' has boolean values",
        ),
        (
            pd.DataFrame({"lat": [1.0, 2.0], "lon": [1 + 2j, 2.0]}),
            "Catalog column 'lon' has complex values",
        ),
        (
            pd.DataFrame({"lat": pd.to_datetime(["2020-01-01"] * 2), "lon": [1.0, 2]}),
            "Catalog column 'lat' has datetime values",
        ),
    ],
)
def test_complex_boolean_and_date_values_are_refused(X, match):
    # issue 16 #9: complex values lost their imaginary part with only a warning
    with pytest.raises(ValueError, match=match):
        check_catalog(X)


def test_pandas_missing_values_are_reported_as_nan():
    # issue 16 #11: pd.NA gave "float() argument must be ... not 'NAType'"
    X = pd.DataFrame({"lat": pd.array([1.0, None], dtype="Float64"), "lon": [1.0, 2.0]})
    with pytest.raises(ValueError, match="NaN in column 'lat' at row 1"):
        check_catalog(X)
    X["lat"] = pd.array([1.0, 2.0], dtype="Float64")
    assert check_catalog(X).tolist() == [[1.0, 1.0], [2.0, 2.0]]
