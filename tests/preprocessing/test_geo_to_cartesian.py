"""GeoToCartesian: fit/transform/inverse_transform and its use in pipelines."""

import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from sklearn.cluster import KMeans
from sklearn.pipeline import make_pipeline

from skgeoclust.datasets import make_seismicity_catalog
from skgeoclust.geometry import haversine_km
from skgeoclust.preprocessing import GeoToCartesian


def test_reference_maps_to_origin():
    X = np.array([[34.0, -116.5, 5.0], [34.2, -116.3, 9.0]])
    out = GeoToCartesian(reference=(34.0, -116.5)).fit_transform(X)
    assert_allclose(out[0], [0.0, 0.0, 5.0], atol=1e-12)
    assert out[1, 0] > 0 and out[1, 1] > 0 and out[1, 2] == 9.0


def test_distance_from_reference_is_great_circle():
    X = np.array([[34.0, -116.5], [35.0, -115.0]])
    out = GeoToCartesian(reference=X[0]).fit_transform(X)
    assert np.hypot(*out[1]) == pytest.approx(haversine_km(*X[0], *X[1]), rel=1e-12)


def test_default_reference_is_spherical_mean():
    X = np.array([[10.0, 179.0], [10.0, -179.0]])
    model = GeoToCartesian().fit(X)
    assert abs(abs(model.reference_[1]) - 180.0) < 1e-9
    east = model.transform(X)[:, 0]
    assert_allclose(east, [-109.5, 109.5], rtol=1e-2)


@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 20), st.just(3)),
        elements=st.floats(-1.0, 1.0),
    ),
    st.floats(-85.0, 85.0),
    st.floats(-180.0, 180.0, exclude_max=True),
)
def test_round_trip_to_1e9_degrees(offsets, ref_lat, ref_lon):
    X = np.column_stack(
        [
            np.clip(ref_lat + 4.0 * offsets[:, 0], -89.9, 89.9),
            np.mod(ref_lon + 4.0 * offsets[:, 1] + 180.0, 360.0) - 180.0,
            10.0 + 10.0 * offsets[:, 2],
        ]
    )
    model = GeoToCartesian(reference=(ref_lat, ref_lon)).fit(X)
    back = model.inverse_transform(model.transform(X))
    assert_allclose(back[:, 0], X[:, 0], atol=1e-9)
    dlon = np.mod(back[:, 1] - X[:, 1] + 180.0, 360.0) - 180.0
    assert_allclose(dlon, 0.0, atol=1e-9)
    assert_allclose(back[:, 2], X[:, 2], atol=1e-12)


def test_dataframe_columns_by_name_in_any_order():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {
            "mag": [2.0, 3.1],
            "depth_km": [5.0, 7.0],
            "lon": [-116.5, -116.4],
            "time": ["a", "b"],
            "lat": [34.0, 34.1],
        }
    )
    model = GeoToCartesian(reference=(34.0, -116.5)).fit(df)
    assert list(model.feature_names_in_) == ["lat", "lon", "depth_km"]
    assert list(model.get_feature_names_out()) == ["east_km", "north_km", "down_km"]
    assert_allclose(model.transform(df)[:, 2], [5.0, 7.0])


def test_feature_names_for_epicentres():
    model = GeoToCartesian().fit(np.array([[0.0, 0.0], [1.0, 1.0]]))
    assert list(model.get_feature_names_out()) == ["east_km", "north_km"]
    with pytest.raises(ValueError, match="input_features"):
        model.get_feature_names_out(["a", "b", "c"])


def test_in_pipeline_with_a_cartesian_clusterer():
    X, _y = make_seismicity_catalog(
        300,
        n_clusters=3,
        background_fraction=0.0,
        region=(30, 40, 130, 140),
        cluster_radius_km=10.0,
        random_state=0,
    )
    pipe = make_pipeline(GeoToCartesian(), KMeans(3, n_init=3, random_state=0))
    labels = pipe.fit_predict(X)
    assert len(np.unique(labels)) == 3 and labels.shape == (300,)


def test_pickle_round_trip():
    X = np.array([[34.0, -116.5, 5.0], [34.1, -116.4, 8.0]])
    model = GeoToCartesian().fit(X)
    clone = pickle.loads(pickle.dumps(model))
    assert_allclose(clone.transform(X), model.transform(X))


def test_longitudes_are_wrapped():
    model = GeoToCartesian(reference=(0.0, 180.0)).fit(np.array([[0.0, 181.0]]))
    assert model.reference_[1] == -180.0
    assert model.transform(np.array([[0.0, 181.0]]))[0, 0] == pytest.approx(
        111.19, 1e-3
    )


@pytest.mark.parametrize(
    "X, match",
    [
        ([[np.nan, 0.0]], "NaN in column 'lat' at row 0"),
        ([[0.0, 0.0], [0.0, np.inf]], "infinity in column 'lon' at row 1"),
        ([[91.0, 0.0]], r"\[-90, 90\].*row 0"),
        ([[0.0, 1.0, 2.0, 3.0]], "got 4 columns"),
    ],
)
def test_bad_catalogs(X, match):
    with pytest.raises(ValueError, match=match):
        GeoToCartesian().fit(np.asarray(X))


@pytest.mark.parametrize("reference", [(91.0, 0.0), (0.0,), (np.nan, 0.0)])
def test_bad_reference(reference):
    with pytest.raises(ValueError, match="reference"):
        GeoToCartesian(reference=reference).fit(np.array([[0.0, 0.0]]))


def test_missing_dataframe_column():
    pd = pytest.importorskip("pandas")
    with pytest.raises(ValueError, match="missing column 'lon'"):
        GeoToCartesian().fit(pd.DataFrame({"lat": [1.0], "depth": [2.0]}))


def test_inverse_transform_checks_width():
    model = GeoToCartesian().fit(np.array([[0.0, 0.0, 1.0]]))
    with pytest.raises(ValueError, match="expecting 3 features"):
        model.inverse_transform(np.zeros((1, 2)))


def test_transform_accepts_every_documented_column_name():
    # issue 16 #11: fitted on lat/lon, transform refused latitude/longitude
    pd = pytest.importorskip("pandas")
    fit = pd.DataFrame({"lat": [34.0, 34.1], "lon": [-116.5, -116.4], "mag": [2, 3]})
    to_km = GeoToCartesian().fit(fit)
    other = pd.DataFrame({"Longitude": [-116.4, -116.5], "LATITUDE": [34.1, 34.0]})
    assert_allclose(to_km.transform(other), to_km.transform(fit)[::-1])
    with pytest.raises(ValueError, match="missing column 'lon'"):
        to_km.transform(pd.DataFrame({"lat": [34.0], "x": [1.0]}))


def test_two_columns_for_one_field_are_refused():
    # issue 16 #11: a DataFrame with both Lat and lat silently used Lat
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"Lat": [1.0, 2.0], "lat": [3.0, 4.0], "lon": [1.0, 2.0]})
    with pytest.raises(ValueError, match="2 columns for 'lat': 'Lat', 'lat'"):
        GeoToCartesian().fit(X)
    X = pd.DataFrame({"lat": [1.0], "lon": [1.0], "longitude": [5.0]})
    with pytest.raises(ValueError, match="2 columns for 'lon': 'lon', 'longitude'"):
        GeoToCartesian().fit(X)
