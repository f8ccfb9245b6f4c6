"""ObsPy ``Catalog`` to a (lat, lon, depth) frame plus location errors."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pandas as pd
from scipy import stats

from skgeoclust.geometry import EARTH_RADIUS_KM

#: Kilometres per degree of latitude on the mean sphere.
KM_PER_DEGREE = EARTH_RADIUS_KM * np.pi / 180.0

OBSPY_MISSING = (
    "reading QuakeML or ObsPy catalogs needs ObsPy: pip install 'skgeoclust[obspy]'"
)


def _value(obj, name):
    value = getattr(obj, name, None) if obj is not None else None
    return None if value is None else float(value)


def _sigma_1d(errors):
    """1-sigma of a QuakeML quantity error (its ``uncertainty``, scaled down from
    its ``confidence_level`` in percent when one is given), or None."""
    uncertainty = _value(errors, "uncertainty")
    if uncertainty is None or not np.isfinite(uncertainty):
        return None
    level = _value(errors, "confidence_level")
    if level is not None and 0.0 < level < 100.0:
        uncertainty /= stats.norm.ppf(0.5 + level / 200.0)
    return uncertainty


def _horizontal_scale(uncertainty):
    """Divisor turning a horizontal confidence region of the origin's
    ``confidence_level`` into 1-sigma (1 without a level)."""
    level = _value(uncertainty, "confidence_level")
    if level is None or not 0.0 < level < 100.0:
        return 1.0
    return float(np.sqrt(stats.chi2.ppf(level / 100.0, 2)))


def _horizontal_covariance(origin, lat):
    """(2, 2) east-north covariance in km^2 and the description it came from."""
    unc = getattr(origin, "origin_uncertainty", None)
    preferred = str(getattr(unc, "preferred_description", None) or "")
    scale = _horizontal_scale(unc)
    major = _value(unc, "max_horizontal_uncertainty")
    minor = _value(unc, "min_horizontal_uncertainty")
    azimuth = _value(unc, "azimuth_max_horizontal_uncertainty")
    circle = _value(unc, "horizontal_uncertainty")
    ellipse_ok = major is not None and minor is not None
    if circle is not None and (preferred == "horizontal uncertainty" or not ellipse_ok):
        s = circle / 1000.0 / scale
        return s * s * np.eye(2), "horizontal uncertainty"
    if ellipse_ok:
        theta = np.radians(azimuth or 0.0)
        along = np.array([np.sin(theta), np.cos(theta)])  # clockwise from north
        across = np.array([np.cos(theta), -np.sin(theta)])
        a, b = major / 1000.0 / scale, minor / 1000.0 / scale
        cov = a * a * np.outer(along, along) + b * b * np.outer(across, across)
        return cov, "uncertainty ellipse"
    lat_sigma = _sigma_1d(getattr(origin, "latitude_errors", None))
    lon_sigma = _sigma_1d(getattr(origin, "longitude_errors", None))
    if lat_sigma is not None and lon_sigma is not None and lat is not None:
        north = lat_sigma * KM_PER_DEGREE
        east = lon_sigma * KM_PER_DEGREE * np.cos(np.radians(lat))
        return np.diag([east * east, north * north]), "latitude/longitude errors"
    return None, "none"


def _origin(event):
    origin = event.preferred_origin() if hasattr(event, "preferred_origin") else None
    if origin is None and getattr(event, "origins", None):
        origin = event.origins[0]
    return origin


def catalog_from_obspy(catalog):
    """Turn an ObsPy ``Catalog`` into a (lat, lon, depth) frame and location errors.

    Each event's preferred origin (else its first) gives one row. Nothing is
    dropped: a missing value is NaN in the frame (and a NaN row of errors), so
    that the clusterers' validation names the row.

    Read more in the :ref:`User Guide <location_uncertainties>`.

    Parameters
    ----------
    catalog : obspy.core.event.Catalog or iterable of obspy Event
        Events, for example from ``obspy.read_events("events.xml")``.

    Returns
    -------
    frame : pandas.DataFrame
        One row per event: ``time`` (UTC, ISO 8601 text), ``lat``, ``lon`` (degrees),
        ``depth_km`` (km, positive down), ``mag`` (preferred magnitude),
        ``event_id`` (resource id), ``error_east_km``, ``error_north_km``,
        ``error_depth_km`` (1-sigma along each axis, the square roots of the
        covariance diagonal) and ``error_source`` (where the horizontal error
        came from).
    location_error_km : ndarray of shape (n_events, 3, 3)
        (east, north, down) covariances in km^2, NaN for events without a
        complete error; the ``location_error_km`` of
        :func:`~skgeoclust.preprocessing.condense_catalog`.

    Notes
    -----
    The horizontal error comes from the origin's ``origin_uncertainty``: its
    uncertainty ellipse (``max_horizontal_uncertainty``,
    ``min_horizontal_uncertainty``, ``azimuth_max_horizontal_uncertainty``,
    clockwise from north) unless ``preferred_description`` is "horizontal
    uncertainty", else the circular ``horizontal_uncertainty``, else the
    origin's ``latitude_errors`` and ``longitude_errors`` (degrees, converted
    with 111.19 km per degree of latitude and its cosine for longitude). The
    depth error is ``depth_errors``. QuakeML gives lengths in metres; they are
    converted to km. A region with a ``confidence_level`` is scaled to 1-sigma
    (2-D chi-square quantile for the horizontal ellipse or circle, normal
    quantile for a single quantity); without one the values are taken as
    1-sigma. The horizontal and depth errors are uncorrelated. The confidence
    ellipsoid is not read: producers fill its Tait-Bryan angles
    inconsistently, and an event with only an ellipsoid gets NaN errors.

    Examples
    --------
    >>> from obspy.core.event import (Catalog, Event, Origin, OriginUncertainty,
    ...                               QuantityError)
    >>> origin = Origin(latitude=35.7, longitude=-117.5, depth=8000.0,
    ...                 depth_errors=QuantityError(uncertainty=1200.0),
    ...                 origin_uncertainty=OriginUncertainty(
    ...                     horizontal_uncertainty=400.0))
    >>> frame, errors = catalog_from_obspy(Catalog([Event(origins=[origin])]))
    >>> frame[["lat", "lon", "depth_km", "error_north_km", "error_depth_km"]]
        lat    lon  depth_km  error_north_km  error_depth_km
    0  35.7 -117.5       8.0             0.4             1.2
    >>> errors.shape
    (1, 3, 3)
    """
    rows = []
    covariances = []
    for event in catalog:
        origin = _origin(event)
        lat = _value(origin, "latitude")
        lon = _value(origin, "longitude")
        depth = _value(origin, "depth")
        time = getattr(origin, "time", None)
        magnitude = (
            event.preferred_magnitude()
            if hasattr(event, "preferred_magnitude")
            else None
        )
        if magnitude is None and getattr(event, "magnitudes", None):
            magnitude = event.magnitudes[0]
        cov = np.full((3, 3), np.nan)
        source = "no origin"
        if origin is not None:
            horizontal, source = _horizontal_covariance(origin, lat)
            depth_sigma = _sigma_1d(getattr(origin, "depth_errors", None))
            if horizontal is not None and depth_sigma is not None:
                cov = np.zeros((3, 3))
                cov[:2, :2] = horizontal
                cov[2, 2] = (depth_sigma / 1000.0) ** 2
            elif horizontal is not None:
                cov[:2, :2] = horizontal
        covariances.append(cov)
        rows.append(
            {
                "time": None if time is None else str(time),
                "lat": np.nan if lat is None else lat,
                "lon": np.nan if lon is None else lon,
                "depth_km": np.nan if depth is None else depth / 1000.0,
                "mag": _value(magnitude, "mag") if magnitude is not None else None,
                "event_id": str(getattr(event, "resource_id", "")),
                "error_source": source,
            }
        )
    columns = ["time", "lat", "lon", "depth_km", "mag", "event_id"]
    frame = pd.DataFrame(rows, columns=[*columns, "error_source"])
    frame["mag"] = pd.to_numeric(frame["mag"])
    errors = np.array(covariances).reshape(-1, 3, 3)
    with np.errstate(invalid="ignore"):
        diagonal = np.sqrt(np.diagonal(errors, axis1=1, axis2=2))
    for i, name in enumerate(("error_east_km", "error_north_km", "error_depth_km")):
        frame.insert(len(columns) + i, name, diagonal[:, i])
    return frame, errors
