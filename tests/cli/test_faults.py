"""``skgeoclust faults``: location errors, --condense, QuakeML input and GeoJSON."""

import json

import numpy as np
import pandas as pd
import pytest

from skgeoclust.cli import main
from skgeoclust.datasets import make_fault_network
from skgeoclust.geometry import geodetic_to_local_km, local_km_to_geodetic

pytest.importorskip("matplotlib")

REFERENCE = (34.2, -116.4)


def _catalog_with_errors(n=700, seed=0):
    """A generated network as a ComCat-like table (lat, lon, depth, errors)."""
    X, y, sigma = make_fault_network(
        n_faults=3,
        n_samples=n,
        background_fraction=0.1,
        location_error_km=0.3,
        event_error_km=0.5,
        random_state=seed,
    )
    lat, lon = local_km_to_geodetic(X[:, 0], X[:, 1], *REFERENCE)
    table = pd.DataFrame(
        {
            "latitude": lat,
            "longitude": lon,
            "depth": X[:, 2],
            "horizontalError": sigma,
            "depthError": sigma,
        }
    )
    return table, y


def _run(argv, capsys):
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def _summary(folder):
    return json.loads((folder / "summary.json").read_text())


def test_error_columns_are_read_and_reported(tmp_path, capsys):
    table, _ = _catalog_with_errors()
    path = tmp_path / "comcat.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "r"
    status, _, err = _run(["faults", "-i", str(path), "-o", str(out), "-q"], capsys)
    assert status == 0, err
    summary = _summary(out)
    assert summary["summary"]["events with location errors"] == len(table)
    assert (
        "horizontalError, depthError (ComCat"
        in summary["parameters"]["location errors"]
    )
    note = next(n for n in summary["notes"] if n.startswith("Location errors:"))
    assert "does not use them in its likelihood yet" in note
    assert "--condense" in note


def test_condense_fits_the_condensed_catalog(tmp_path, capsys):
    table, y = _catalog_with_errors()
    path = tmp_path / "comcat.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "r"
    argv = ["faults", "-i", str(path), "-o", str(out), "-q", "--condense"]
    status, _, err = _run(argv, capsys)
    assert status == 0, err
    summary = _summary(out)["summary"]
    condensed = pd.read_csv(out / "condensed_catalog.csv")
    assert len(condensed) == summary["condensed kernels"] <= len(table)
    assert condensed["weight"].sum() == pytest.approx(len(table))
    assert condensed["n_events"].sum() == len(table)
    labels = pd.read_csv(out / "labels.csv")
    assert len(labels) == len(table)  # every event labelled, in order
    # an event's label is its condensed kernel's
    kernel_of = condensed.set_index("condensed_kernel")["kernel"]
    assert (labels["kernel"] == kernel_of[labels["condensed_kernel"]].values).all()
    planes = pd.read_csv(out / "fault_planes.csv")
    assert planes["n_events"].sum() == (labels["kernel"] >= 0).sum()
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(y, labels["kernel"]) > 0.8


def test_generated_network_with_condense(tmp_path, capsys):
    out = tmp_path / "r"
    argv = ["faults", "--n-samples", "500", "--n-faults", "3", "--condense"]
    status, _, err = _run([*argv, "-o", str(out), "-q"], capsys)
    assert status == 0, err
    summary = _summary(out)
    assert "event_error_km=0.6" in summary["parameters"]["input"]
    assert summary["summary"]["ARI vs generated faults"] > 0.8


def test_missing_errors_are_noted_and_block_condense(tmp_path, capsys):
    table, _ = _catalog_with_errors()
    table.loc[5, "horizontalError"] = np.nan
    path = tmp_path / "comcat.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "r"
    status, _, err = _run(["faults", "-i", str(path), "-o", str(out), "-q"], capsys)
    assert status == 0, err
    notes = _summary(out)["notes"]
    assert any(
        "not used: row 6 (line 7), column 'horizontalError' is missing" in n
        for n in notes
    )
    status, _, err = _run(
        ["faults", "-i", str(path), "-o", str(tmp_path / "c"), "--condense"], capsys
    )
    assert status == 2
    assert "--condense needs a location error for every event" in err
    assert "row 6 (line 7)" in err


def test_condense_without_errors_or_with_zero_errors(tmp_path, capsys):
    table, _ = _catalog_with_errors(n=200)
    path = tmp_path / "plain.csv"
    table[["latitude", "longitude", "depth"]].to_csv(path, index=False)
    status, _, err = _run(["faults", "-i", str(path), "--condense", "-q"], capsys)
    assert status == 2 and "none found" in err
    table.loc[3, "depthError"] = 0.0
    table.loc[3, "horizontalError"] = 0.0
    table.to_csv(path, index=False)
    status, _, err = _run(["faults", "-i", str(path), "--condense", "-q"], capsys)
    assert status == 2 and "event 4 has a zero error" in err


def test_geojson_matches_the_planes_table(tmp_path, capsys):
    out = tmp_path / "r"
    argv = ["faults", "--n-samples", "600", "--n-faults", "3", "-o", str(out), "-q"]
    status, _, err = _run(argv, capsys)
    assert status == 0, err
    planes = pd.read_csv(out / "fault_planes.csv")
    collection = json.loads((out / "fault_planes.geojson").read_text())
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert len(features) == len(planes) >= 1
    for feature, (_, row) in zip(features, planes.iterrows()):
        props = feature["properties"]
        assert props["kernel"] == row["kernel"]
        for name in (
            "lat",
            "lon",
            "depth_km",
            "strike_deg",
            "dip_deg",
            "length_km",
            "width_km",
            "thickness_km",
            "weight",
        ):
            assert props[name] == pytest.approx(row[name], rel=1e-9), name
        assert props["n_events"] == row["n_events"]
        assert feature["geometry"]["type"] == "Polygon"
        ring = np.array(feature["geometry"]["coordinates"][0])
        assert ring.shape == (5, 3) and (ring[0] == ring[-1]).all()
        lon, lat, depth = ring[:4, 0], ring[:4, 1], -ring[:4, 2] / 1000.0
        assert props["depth_min_km"] == pytest.approx(depth.min(), abs=1e-3)
        assert props["depth_max_km"] == pytest.approx(depth.max(), abs=1e-3)
        # the rectangle about its centre in the report's local frame (strike is
        # measured from that frame's north): L x W sides, centre at the centroid
        east, north = geodetic_to_local_km(lat, lon, *REFERENCE)
        corners = np.c_[east - row["east_km"], north - row["north_km"], depth]
        corners[:, 2] -= row["depth_km"]
        assert np.abs(corners.mean(axis=0)).max() < 0.01
        sides = np.linalg.norm(np.roll(corners, -1, axis=0) - corners, axis=1)
        assert sorted(sides) == pytest.approx(
            sorted([row["length_km"], row["width_km"]] * 2), rel=1e-3
        )
        # the long sides run along the strike, the short ones down the dip
        along = corners[np.argmax(sides) - 3] - corners[np.argmax(sides) - 4]
        azimuth = np.degrees(np.arctan2(along[0], along[1])) % 180.0
        assert min(
            abs(azimuth - row["strike_deg"] % 180.0),
            180.0 - abs(azimuth - row["strike_deg"] % 180.0),
        ) == pytest.approx(0.0, abs=0.05)
        dip_side = corners[2] - corners[1]
        if np.linalg.norm(dip_side) < row["length_km"] * 0.99:
            dip = np.degrees(np.arcsin(abs(dip_side[2]) / np.linalg.norm(dip_side)))
            assert dip == pytest.approx(row["dip_deg"], abs=0.05)
    assert any(
        name == "fault_planes.geojson" for name in _linked_files(out / "index.html")
    )


def _linked_files(page):
    import re

    return re.findall(r'href="([^"]+)"', page.read_text())


def test_quakeml_input_with_origin_uncertainties(tmp_path, capsys):
    ev = pytest.importorskip("obspy.core.event")
    table, _ = _catalog_with_errors(n=400)
    events = []
    for row in table.itertuples():
        origin = ev.Origin(
            latitude=row.latitude,
            longitude=row.longitude,
            depth=row.depth * 1000.0,
            depth_errors=ev.QuantityError(uncertainty=row.depthError * 1000.0),
            origin_uncertainty=ev.OriginUncertainty(
                horizontal_uncertainty=row.horizontalError * 1000.0
            ),
        )
        events.append(ev.Event(origins=[origin]))
    path = tmp_path / "events.xml"
    ev.Catalog(events).write(str(path), format="QUAKEML")
    out = tmp_path / "r"
    argv = ["faults", "-i", str(path), "-o", str(out), "-q", "--condense"]
    status, _, err = _run(argv, capsys)
    assert status == 0, err
    summary = _summary(out)
    source = summary["parameters"]["location errors"]
    assert source == "QuakeML origin uncertainties (horizontal uncertainty: 400)"
    assert summary["summary"]["events"] == 400
    labels = pd.read_csv(out / "labels.csv")
    np.testing.assert_allclose(labels["lat"], table["latitude"], atol=1e-7)
