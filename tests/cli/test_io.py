"""Malformed inputs: one line on stderr naming file, row and column; exit status 2."""

import gzip
import re
import sys

import numpy as np
import pandas as pd
import pytest

from skgeoclust.cli import main
from skgeoclust.cli._io import InputFileError, read_catalog, read_velocity_model

GOOD = "lat,lon,depth\n35.0,139.0,10.0\n35.1,139.1,12.0\n35.2,139.2,8.0\n"


@pytest.fixture(autouse=True)
def _run_in_tmp_path(tmp_path, monkeypatch):
    """A command that wrongly succeeds writes its default report folder here."""
    monkeypatch.chdir(tmp_path)


def _fails(argv, capsys):
    status = main(argv)
    _out, err = capsys.readouterr()
    assert status == 2
    assert "Traceback" not in err
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("[")]
    assert len(lines) == 1, err  # one line besides the progress lines
    assert lines[0].startswith(f"skgeoclust {argv[0]}: error: ")
    return lines[0]


def _write(tmp_path, text, name="cat.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, expected",
    [
        ("lat,lon\n35,139\n36,140\n", ["missing column 'depth'", "--depth-col"]),
        (GOOD.replace("12.0", "nan"), ["row 2 (line 3)", "column 'depth'", "missing"]),
        (GOOD.replace("139.1,12.0", "139.1,"), ["row 2 (line 3)", "'depth'"]),
        (GOOD.replace("35.2", "abc"), ["row 3 (line 4)", "column 'lat'", "'abc'"]),
        (GOOD.replace("35.1", "135.1"), ["row 2 (line 3)", "'lat'", "[-90, 90]"]),
        (GOOD.replace("139.2", "400"), ["row 3 (line 4)", "'lon'"]),
        (
            GOOD.replace("10.0", "10000.0"),
            ["row 1 (line 2)", "'depth'", "--depth-unit m"],
        ),
        (GOOD.replace("8.0", "inf"), ["row 3 (line 4)", "not finite"]),
        ("lat,lon,depth\n", ["no rows"]),
        ("", ["empty"]),
    ],
)
def test_bad_catalog_csv(tmp_path, capsys, text, expected):
    path = _write(tmp_path, text)
    line = _fails(["seismicity", "-i", str(path), "-o", str(tmp_path / "r")], capsys)
    assert str(path) in line
    for part in expected:
        assert part in line, line


@pytest.mark.parametrize("sub", ["faults", "kmedoids", "stream"])
def test_every_catalog_subcommand_reports_the_row(tmp_path, capsys, sub):
    path = _write(tmp_path, GOOD.replace("35.1", "nan"))
    line = _fails([sub, "-i", str(path), "-o", str(tmp_path / "r")], capsys)
    assert str(path) in line and "row 2" in line and "'lat'" in line


def test_missing_and_unknown_files(tmp_path, capsys):
    line = _fails(["kmedoids", "-i", str(tmp_path / "nope.csv")], capsys)
    assert "nope.csv: no such catalog file" in line
    path = _write(tmp_path, "x", name="cat.xlsx")
    assert "unknown catalog format" in _fails(["kmedoids", "-i", str(path)], capsys)
    line = _fails(
        ["seismicity", "-i", str(tmp_path), "-o", str(tmp_path / "r")], capsys
    )
    assert "is a folder" in line


def test_mapped_column_absent(tmp_path, capsys):
    path = _write(tmp_path, GOOD)
    line = _fails(["kmedoids", "-i", str(path), "--lat-col", "LAT"], capsys)
    assert "'LAT' (given by --lat-col) not found" in line


def test_two_columns_for_one_field(tmp_path, capsys):
    # issue 16 #11: with both Lat and lat, one was picked silently
    path = _write(tmp_path, "Lat,lat,lon\n35,36,139\n35.1,36.1,139.1\n")
    line = _fails(["kmedoids", "-i", str(path)], capsys)
    assert "2 columns could hold 'lat' ('Lat', 'lat'); name the one" in line
    assert "--lat-col" in line
    assert main(["kmedoids", "-i", str(path), "--lat-col", "lat", "-q",
                 "-o", str(tmp_path / "r"), "--max-span-km", "500"]) == 0  # fmt: skip


def test_parquet_row_numbers_and_gzip(tmp_path):
    df = pd.DataFrame({"latitude": [1.0, 2.0, np.nan], "longitude": [0.0, 1.0, 2.0]})
    path = tmp_path / "c.parquet"
    df.to_parquet(path)
    with pytest.raises(InputFileError, match=r"row 3, column 'latitude'"):
        read_catalog(path, depth="optional")
    gz = tmp_path / "c.csv.gz"
    with gzip.open(gz, "wt") as f:
        f.write(GOOD)
    X, table = read_catalog(gz)
    assert X.shape == (3, 3) and list(table.columns) == ["lat", "lon", "depth"]


@pytest.mark.parametrize(
    "name, text, where",
    [
        (
            "blank.csv",
            "lat,lon,depth\n35,139,10\n\n35.1,139.1,12\n\n   \n35.2,abc,8\n",
            "row 3 (line 7), column 'lon'",
        ),
        (
            "head.csv",
            "\n\nlat,lon,depth\n35,139,10\n35.1,139.1,12\n35.2,139.2,900\n",
            "row 3 (line 6), column 'depth': depth 900.0 km",
        ),
        (
            "quoted.csv",
            'lat,lon,depth,name\n35,139,10,"a\nb"\n\n35.1,139.1,nan,c\n',
            "row 2 (line 5), column 'depth'",
        ),
        (
            "blank.tsv",
            "lat\tlon\tdepth\n35\t139\t10\n\n95\t139\t10\n",
            "row 2 (line 4), column 'lat': latitude 95.0",
        ),
        (
            "semicolon.txt",
            "lat;lon;depth\n\n35;139;10\n\n35;139;inf\n",
            "row 2 (line 5), column 'depth'",
        ),
    ],
)
def test_csv_errors_give_the_true_file_line(tmp_path, capsys, name, text, where):
    # issue 16 #8: a bad value on file line 7 was reported as "row 5 (line 6)"
    path = _write(tmp_path, text, name=name)
    line = _fails(["kmedoids", "-i", str(path), "-o", str(tmp_path / "r")], capsys)
    assert f"{path}: {where}" in line
    if name.endswith(".csv"):
        gz = tmp_path / f"{name}.gz"
        with gzip.open(gz, "wt") as f:
            f.write(text)
        line = _fails(["kmedoids", "-i", str(gz), "-o", str(tmp_path / "r")], capsys)
        assert f"{gz}: {where}" in line


def test_boolean_columns_and_pandas_missing_values(tmp_path, capsys):
    # issue 16 #9: a Parquet boolean lat column was clustered as 1.0/0.0
    pytest.importorskip("pyarrow")
    path = tmp_path / "bool.parquet"
    pd.DataFrame({"lat": [True, False], "lon": [1.0, 2.0]}).to_parquet(path)
    line = _fails(["kmedoids", "-i", str(path)], capsys)
    assert f"{path}: column 'lat' holds true/false values (dtype bool)" in line
    csv = _write(tmp_path, "lat,lon\nTrue,1\nFalse,2\n")
    assert "column 'lat' holds true/false" in _fails(
        ["kmedoids", "-i", str(csv)], capsys
    )
    na = tmp_path / "na.parquet"
    lat = pd.array([1.0, None, 3.0], dtype="Float64")
    pd.DataFrame({"lat": lat, "lon": [1.0, 2.0, 3.0]}).to_parquet(na)
    line = _fails(["kmedoids", "-i", str(na)], capsys)
    assert f"{na}: row 2, column 'lat': missing value" in line


def test_bad_parameter_is_one_line(tmp_path, capsys):
    path = _write(tmp_path, GOOD)
    line = _fails(["seismicity", "-i", str(path), "--algorithms", "kmeans"], capsys)
    assert "--algorithms" in line


def test_bad_grid_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["seismicity", "--eps", "0.2:0.1:0.01"])
    assert exc.value.code == 2
    assert "is not a grid" in capsys.readouterr().err


def _model(tmp_path, **arrays):
    path = tmp_path / "m.npz"
    np.savez(path, **arrays)
    return path


def test_bad_velocity_models(tmp_path, capsys):
    lat, lon, depth = np.arange(3.0), np.arange(4.0), np.arange(5.0) * 10
    vs = np.full((5, 3, 4), 4.0)
    cases = [
        (dict(lat=lat, lon=lon, depth=depth, vs=vs * 1000), "--velocity-unit m/s"),
        (dict(lat=lat, lon=lon, depth=depth, vs=vs[:4]), "does not match the axes"),
        (dict(lat=lat, lon=lon, depth=depth * 1000, vs=vs), "metres"),
        (dict(lat=lat, lon=lon, depth=depth, vs=vs * np.nan), "no finite value"),
        (dict(lat=lat, lon=lon, vs=vs), "no depth axis"),
        (dict(lat=lat, lon=lon, depth=depth, a=vs, b=vs), "name it with --var"),
        (dict(lat=[0.0, np.nan, 2.0], lon=lon, depth=depth, vs=vs), "index 1"),
    ]
    for arrays, expected in cases:
        path = _model(tmp_path, **arrays)
        line = _fails(["profiles", "-i", str(path), "-o", str(tmp_path / "r")], capsys)
        assert str(path) in line and expected in line, line
    path = _model(tmp_path, lat=lat, lon=lon, depth=depth, vs=vs)
    line = _fails(["profiles", "-i", str(path), "--var", "vp"], capsys)
    assert "'vp' (given by --var) not found" in line
    assert read_velocity_model(path)[3].shape == (5, 3, 4)


def test_bad_shard(tmp_path, capsys):
    folder = tmp_path / "shards"
    folder.mkdir()
    good = np.zeros((10, 2))
    bad = np.zeros((10, 2))
    bad[4, 1] = np.nan
    np.save(folder / "a.npy", good)
    np.save(folder / "b.npy", bad)
    line = _fails(
        ["stream", "-i", str(folder), "--n-clusters", "2", "--batch-size", "4", "-q"],
        capsys,
    )
    assert str(folder) in line and "NaN" in line
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no .npy files" in _fails(["stream", "-i", str(empty)], capsys)


def test_unreadable_shards_are_one_line_naming_the_shard(
    tmp_path, capsys, broken_npy_files
):
    # issue 16 #6: 0-byte, truncated and text shards gave tracebacks or messages
    # without the file's name
    broken, reasons = broken_npy_files
    for name, reason in reasons.items():
        folder = tmp_path / name.replace(".npy", "")
        folder.mkdir()
        (folder / name).write_bytes((broken / name).read_bytes())
        line = _fails(["stream", "-i", str(folder), "-o", str(tmp_path / "o")], capsys)
        assert re.search(rf"shard '{folder / name}' cannot be read: {reason}", line)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("n_columns", [2, 4])
def test_ecef_needs_three_columns(tmp_path, capsys, n_columns):
    # issue 16 #6 and #9: --ecef on 2 columns gave an IndexError traceback, on 4
    # columns it dropped one and reported depths of 6,364 km
    folder = tmp_path / "shards"
    folder.mkdir()
    np.save(folder / "a.npy", np.random.default_rng(0).normal(size=(100, n_columns)))
    line = _fails(["stream", "-i", str(folder), "--ecef", "--n-clusters", "2"], capsys)
    assert f"{folder}: --ecef needs 3 columns" in line
    assert f"the input has {n_columns}" in line


def test_nan_in_a_shard_names_the_shard_and_its_row(tmp_path, capsys):
    folder = tmp_path / "shards"
    folder.mkdir()
    bad = np.zeros((10, 2))
    bad[4, 1] = np.nan
    np.save(folder / "a.npy", np.zeros((10, 2)))
    np.save(folder / "b.npy", bad)
    for test_size in ("0.1", "0"):
        argv = ["stream", "-i", str(folder), "--n-clusters", "2", "--batch-size", "4"]
        line = _fails([*argv, "--test-size", test_size], capsys)
        assert f"source row 14 (row 4 of shard '{folder / 'b.npy'}', 0-based)" in line


def test_seismicity_on_tiny_catalogs_is_one_line(tmp_path, capsys):
    # README's promise on small catalogs: sklearn's "Found array with 1
    # sample(s)", "min_samples (80) must be at most ..." and HDBSCAN's two-line
    # FutureWarning on stderr did not name the file
    one = _write(tmp_path, "lat,lon,depth\n35,139,10\n", name="one.csv")
    line = _fails(["seismicity", "-i", str(one)], capsys)
    assert f"{one}: the catalog has 1 event(s)" in line
    three = _write(tmp_path, GOOD, name="three.csv")
    line = _fails(["seismicity", "-i", str(three)], capsys)
    assert f"{three}: the 3 clustered events are fewer than every " in line
    assert "--min-cluster-size" in line


@pytest.mark.parametrize(
    "shape, extra, message",
    [
        ((2, 1, 1), [], "only 1 complete profile(s) in the model"),
        (
            (3, 2, 2),
            ["--n-clusters", "2", "--som-grid", "1,1"],
            "ProfileSOM: n_clusters=2 exceeds the 1 populated nodes",
        ),
    ],
)
def test_profiles_on_tiny_models_is_one_line(tmp_path, capsys, shape, extra, message):
    # README's promise on small inputs: the error names the file, and warnings
    # (no knee found) go to the report, not to stderr
    n_depth, n_lat, n_lon = shape
    vs = 4.0 + np.random.default_rng(0).random(shape)
    path = _model(
        tmp_path,
        lat=np.arange(n_lat, dtype=float),
        lon=np.arange(n_lon, dtype=float),
        depth=10.0 * np.arange(n_depth),
        vs=vs,
    )
    line = _fails(["profiles", "-i", str(path), *extra], capsys)
    assert f"{path}: " in line and message in line


def test_longitudes_in_range_are_read_exactly(tmp_path):
    path = _write(tmp_path, "lat,lon,depth\n40.0,42.3021,5\n40.0,190.0,5\n")
    X, _ = read_catalog(path)
    assert X[0, 1] == 42.3021  # not moved by an ulp by the wrapping arithmetic
    assert X[1, 1] == -170.0


def test_box_errors(tmp_path, capsys):
    path = _write(tmp_path, GOOD)
    line = _fails(
        ["seismicity", "-i", str(path), "--box", "139,139.15,30,40,0,50"], capsys
    )
    assert "row 3, lon 139.2 is outside --box [139, 139.15]" in line
    line = _fails(["seismicity", "-i", str(path), "--box", "1,0,0,1,0,1"], capsys)
    assert "--box needs" in line


def test_bad_input_creates_no_report_folder(tmp_path, capsys):
    path = _write(tmp_path, GOOD.replace("35.1", "nan"))
    _fails(["kmedoids", "-i", str(path), "-o", str(tmp_path / "report")], capsys)
    assert not (tmp_path / "report").exists()


def test_unwritable_output_is_one_line(tmp_path, capsys):
    blocker = _write(tmp_path, "not a folder", name="blocker")
    line = _fails(["kmedoids", "--n-samples", "50", "-o", str(blocker / "r")], capsys)
    assert "blocker" in line


def _quakeml(tmp_path, rows):
    ev = pytest.importorskip("obspy.core.event")
    events = [
        ev.Event(origins=[ev.Origin(latitude=lat, longitude=lon, depth=depth_m)])
        for lat, lon, depth_m in rows
    ]
    path = tmp_path / "events.xml"
    ev.Catalog(events).write(str(path), format="QUAKEML")
    return path


def test_quakeml_catalog_is_read_like_a_csv(tmp_path):
    path = _quakeml(tmp_path, [(35.0, 139.0, 10e3), (35.1, 139.1, 12e3)])
    catalog, table = read_catalog(path)
    np.testing.assert_allclose(catalog, [[35.0, 139.0, 10.0], [35.1, 139.1, 12.0]])
    assert table.attrs["location_error_km"].shape == (2, 3, 3)


def test_quakeml_event_without_depth_names_the_row(tmp_path, capsys):
    path = _quakeml(tmp_path, [(35.0, 139.0, 10e3), (35.1, 139.1, None)])
    line = _fails(["seismicity", "-i", str(path), "-o", str(tmp_path / "r")], capsys)
    assert "row 2, column 'depth_km': missing value" in line


def test_bad_quakeml_and_missing_obspy(tmp_path, capsys, monkeypatch):
    path = _write(tmp_path, "<quakeml>not really</quakeml>", name="bad.xml")
    pytest.importorskip("obspy")
    line = _fails(["faults", "-i", str(path), "-o", str(tmp_path / "r")], capsys)
    assert "cannot be read as QuakeML" in line
    monkeypatch.setitem(sys.modules, "obspy", None)
    line = _fails(["faults", "-i", str(path), "-o", str(tmp_path / "r")], capsys)
    assert "pip install 'skgeoclust[obspy]'" in line
