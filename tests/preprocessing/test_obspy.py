"""catalog_from_obspy: origins and their uncertainties to a frame and covariances."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from skgeoclust.preprocessing import catalog_from_obspy

ev = pytest.importorskip("obspy.core.event")


def _event(lat=35.7, lon=-117.5, depth_m=8000.0, uncertainty=None, **errors):
    origin = ev.Origin(
        latitude=lat,
        longitude=lon,
        depth=depth_m,
        time="2019-07-06T03:19:53.04",
        origin_uncertainty=uncertainty,
        **errors,
    )
    event = ev.Event(origins=[origin], magnitudes=[ev.Magnitude(mag=3.1)])
    event.preferred_origin_id = origin.resource_id
    return event


def test_circle_and_depth_error():
    event = _event(
        uncertainty=ev.OriginUncertainty(horizontal_uncertainty=400.0),
        depth_errors=ev.QuantityError(uncertainty=1200.0),
    )
    frame, cov = catalog_from_obspy(ev.Catalog([event]))
    assert list(frame.columns) == [
        "time",
        "lat",
        "lon",
        "depth_km",
        "mag",
        "event_id",
        "error_east_km",
        "error_north_km",
        "error_depth_km",
        "error_source",
    ]
    row = frame.iloc[0]
    assert (row.lat, row.lon, row.depth_km, row.mag) == (35.7, -117.5, 8.0, 3.1)
    assert row.time.startswith("2019-07-06T03:19:53.04")
    assert row.error_source == "horizontal uncertainty"
    assert_allclose(cov[0], np.diag([0.16, 0.16, 1.44]))


def test_ellipse_orientation_and_confidence_level():
    unc = ev.OriginUncertainty(
        max_horizontal_uncertainty=2000.0,
        min_horizontal_uncertainty=1000.0,
        azimuth_max_horizontal_uncertainty=30.0,
        horizontal_uncertainty=5000.0,
        confidence_level=95.0,
    )
    event = _event(uncertainty=unc, depth_errors=ev.QuantityError(uncertainty=500.0))
    frame, cov = catalog_from_obspy([event])
    assert frame.error_source[0] == "uncertainty ellipse"
    k = np.sqrt(stats.chi2.ppf(0.95, 2))
    major = np.array([np.sin(np.radians(30.0)), np.cos(np.radians(30.0)), 0.0])
    values, vectors = np.linalg.eigh(cov[0][:2, :2])
    assert_allclose(values, [(1.0 / k) ** 2, (2.0 / k) ** 2])
    assert abs(vectors[:, 1] @ major[:2]) == pytest.approx(1.0)
    assert cov[0, 2, 2] == pytest.approx(0.25)


def test_preferred_description_picks_the_circle():
    unc = ev.OriginUncertainty(
        max_horizontal_uncertainty=2000.0,
        min_horizontal_uncertainty=1000.0,
        horizontal_uncertainty=300.0,
        preferred_description="horizontal uncertainty",
    )
    event = _event(uncertainty=unc, depth_errors=ev.QuantityError(uncertainty=500.0))
    _, cov = catalog_from_obspy([event])
    assert_allclose(cov[0][:2, :2], 0.09 * np.eye(2))


def test_latitude_longitude_errors_in_degrees():
    event = _event(
        lat=60.0,
        latitude_errors=ev.QuantityError(uncertainty=0.01),
        longitude_errors=ev.QuantityError(uncertainty=0.01),
        depth_errors=ev.QuantityError(uncertainty=1000.0, confidence_level=95.0),
    )
    frame, cov = catalog_from_obspy([event])
    assert frame.error_source[0] == "latitude/longitude errors"
    assert frame.error_north_km[0] == pytest.approx(1.1119, rel=1e-3)
    assert frame.error_east_km[0] == pytest.approx(0.5560, rel=1e-3)
    assert frame.error_depth_km[0] == pytest.approx(1.0 / 1.959964, rel=1e-5)
    assert cov[0, 0, 1] == 0.0


def test_missing_values_are_nan_never_dropped():
    complete = _event(
        uncertainty=ev.OriginUncertainty(horizontal_uncertainty=400.0),
        depth_errors=ev.QuantityError(uncertainty=1200.0),
    )
    no_depth_error = _event(
        uncertainty=ev.OriginUncertainty(horizontal_uncertainty=400.0)
    )
    no_origin = ev.Event()
    only_ellipsoid = _event(
        uncertainty=ev.OriginUncertainty(
            confidence_ellipsoid=ev.ConfidenceEllipsoid(
                semi_major_axis_length=900.0,
                semi_minor_axis_length=300.0,
                semi_intermediate_axis_length=500.0,
            ),
            preferred_description="confidence ellipsoid",
        ),
        depth_errors=ev.QuantityError(uncertainty=1200.0),
    )
    no_depth = _event(depth_m=None)
    catalog = [complete, no_depth_error, no_origin, only_ellipsoid, no_depth]
    frame, cov = catalog_from_obspy(catalog)
    assert len(frame) == 5 and cov.shape == (5, 3, 3)
    assert np.isfinite(cov[0]).all()
    assert np.isfinite(cov[1][:2, :2]).all() and np.isnan(cov[1][2, 2])
    assert np.isnan(frame.error_depth_km[1])
    assert np.isnan(cov[2]).all() and frame.error_source[2] == "no origin"
    assert np.isnan(frame.lat[2])
    assert np.isnan(cov[3]).all() and frame.error_source[3] == "none"
    assert np.isnan(frame.depth_km[4])


def test_preferred_origin_wins():
    first = ev.Origin(latitude=1.0, longitude=2.0, depth=1000.0)
    preferred = ev.Origin(latitude=3.0, longitude=4.0, depth=2000.0)
    event = ev.Event(origins=[first, preferred])
    event.preferred_origin_id = preferred.resource_id
    frame, _ = catalog_from_obspy([event])
    assert (frame.lat[0], frame.depth_km[0]) == (3.0, 2.0)


def test_quakeml_round_trip(tmp_path):
    obspy = pytest.importorskip("obspy")
    events = [
        _event(
            lat=35.0 + i / 10,
            uncertainty=ev.OriginUncertainty(horizontal_uncertainty=300.0 + i),
            depth_errors=ev.QuantityError(uncertainty=900.0),
        )
        for i in range(3)
    ]
    path = tmp_path / "events.xml"
    ev.Catalog(events).write(str(path), format="QUAKEML")
    frame, cov = catalog_from_obspy(obspy.read_events(str(path)))
    expected, expected_cov = catalog_from_obspy(events)
    assert_allclose(
        frame[["lat", "lon", "depth_km"]], expected[["lat", "lon", "depth_km"]]
    )
    assert_allclose(cov, expected_cov)
