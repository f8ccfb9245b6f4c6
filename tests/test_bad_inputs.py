"""The input contract, as properties over generated bad inputs (issue 16).

Every public function and every reader of the command either returns a correct
result, with one output row per input row, or raises a ``ValueError`` whose
message names what is wrong: the parameter or array, the column, the row (the
file line for CSV input) or the shard file. Never another exception type, never a
silently different row count. The command keeps the README's promise on small
catalogs and on shards: exit 0 with a label for every row, or exit status 2 and
one line on stderr naming the file.
"""

import contextlib
import gzip
import io
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skgeoclust.cli import main
from skgeoclust.cli._io import InputFileError, read_catalog
from skgeoclust.cluster import (
    FaultNetworkAgglomerative,
    ProfileKMeans,
    ProfileSOM,
    SphericalKMedoids,
    StreamingMiniBatchKMeans,
)
from skgeoclust.geometry import haversine_km, pairwise_haversine_km
from skgeoclust.metrics import depth_mixtures, morisita_index
from skgeoclust.preprocessing import GeoToCartesian, extract_profiles
from skgeoclust.streams import ArraySource, NpyShardSource
from skgeoclust.utils import check_catalog

# Values that break a catalog one way or another, mixed with ordinary ones.
AWKWARD = [np.nan, np.inf, -np.inf, 1e300, -1e300, 95.0, -90.5, 400.0, -200.0]
EDGES = [0.0, 90.0, -90.0, 180.0, -180.0, 359.9, 1e-300]
cells = st.one_of(
    st.floats(-80.0, 80.0, allow_nan=False),
    st.sampled_from(AWKWARD),
    st.sampled_from(EDGES),
)
KINDS = ["float64", "float32", "int64", "bool", "complex", "str", "list"]


@st.composite
def tables(draw, rows=(0, 8), cols=(0, 4), kinds=KINDS):
    """(input, its float values, kind): a 2-D input of awkward values and types."""
    n = draw(st.integers(*rows))
    d = draw(st.integers(*cols))
    values = np.array(draw(st.lists(cells, min_size=n * d, max_size=n * d)))
    values = values.reshape(n, d)
    kind = draw(st.sampled_from(kinds))
    if kind == "float32":
        with np.errstate(over="ignore"):
            X = values.astype(np.float32)
        values = X.astype(np.float64)
    elif kind == "int64":
        X = np.clip(np.nan_to_num(values), -1e6, 1e6).astype(np.int64)
        values = X.astype(np.float64)
    elif kind == "bool":
        X = values > 0
    elif kind == "complex":
        X = values + 1j
    elif kind == "str":
        X = values.astype(str)
        if X.size:
            X.flat[draw(st.integers(0, X.size - 1))] = "abc"
    elif kind == "list":
        X = values.tolist()
    else:
        X = values
    return X, values, kind


def _bad_catalog_cells(values):
    """Mask of the values a catalog refuses: non-finite, or a latitude beyond 90."""
    bad = ~np.isfinite(values)
    if values.shape[1]:
        bad[:, 0] |= np.abs(values[:, 0]) > 90.0
    return bad


def _contract(call, pattern, *, n_rows=None, length=len):
    """Run ``call``: a result of ``n_rows`` rows, or a ValueError matching
    ``pattern`` (never another exception type). Returns the result or the error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            result = call()
    except ValueError as exc:
        assert re.search(pattern, str(exc), flags=re.IGNORECASE), str(exc)
        return exc
    if n_rows is not None:
        assert length(result) == n_rows
    return result


def _check_named_cell(exc, values):
    """A message naming a row (and column) names a cell that is really bad."""
    if not isinstance(exc, ValueError):
        return
    text = str(exc)
    row = re.search(r"row (\d+)", text)
    column = re.search(r"column '(lat|lon|depth)'", text)
    if row and column and values.shape[1]:
        r, c = int(row.group(1)), ("lat", "lon", "depth").index(column.group(1))
        assert _bad_catalog_cells(values)[r, c], text


CATALOG_WORDS = r"catalog|column|row|\bX\b|lat|lon|sample|feature|complex|dtype"


# -- catalogs: functions and estimators ------------------------------------------
@given(tables())
def test_check_catalog(table):
    X, values, kind = table
    out = _contract(lambda: check_catalog(X), CATALOG_WORDS, n_rows=len(values))
    if isinstance(out, np.ndarray):
        assert kind not in ("bool", "complex", "str")
        assert not _bad_catalog_cells(values).any()
    _check_named_cell(out, values)


@given(tables(rows=(0, 6)))
def test_geo_to_cartesian(table):
    X, values, _ = table
    out = _contract(
        lambda: GeoToCartesian().fit_transform(X), CATALOG_WORDS, n_rows=len(values)
    )
    _check_named_cell(out, values)


@given(tables(rows=(0, 6), cols=(0, 4)), tables(rows=(0, 3), cols=(2, 2)))
def test_pairwise_haversine_km(table, other):
    X, values, _ = table
    Y = other[0] if other[2] not in ("str", "bool") else None
    out = _contract(
        lambda: pairwise_haversine_km(X, Y), r"\b[XY]\b", n_rows=len(values)
    )
    if isinstance(out, np.ndarray):
        assert np.isfinite(out).all()


@given(st.lists(cells, min_size=4, max_size=4))
def test_haversine_km(args):
    out = _contract(lambda: haversine_km(*args), r"lat[12]|lon[12]")
    if not isinstance(out, ValueError):
        assert np.isfinite(out) and 0.0 <= out <= np.pi * 6371.0 + 1e-6


@settings(max_examples=15)
@given(tables(rows=(0, 12), cols=(0, 4)))
def test_streaming_kmeans_on_arrays(table):
    X, values, _ = table
    model = StreamingMiniBatchKMeans(2, batch_size=4, random_state=0)
    out = _contract(
        lambda: model.fit(X).labels_,
        r"\bX\b|row|sample|feature|n_clusters|complex|dtype|source|empty",
        n_rows=len(values),
    )
    if isinstance(out, ValueError) and "contains NaN" in str(out):
        row = int(re.search(r"row (\d+)", str(out)).group(1))
        assert not np.isfinite(np.asarray(X, dtype=float)[row]).all()


@settings(max_examples=25)
@given(tables(rows=(0, 12), cols=(0, 4)))
def test_fault_network_on_arrays(table):
    X, values, _ = table
    out = _contract(
        lambda: FaultNetworkAgglomerative().fit(X).labels_,
        r"\bX\b|row|sample|feature|complex|dtype|NaN|infinity",
        n_rows=len(values),
    )
    if isinstance(out, ValueError) and re.search(
        r"row (\d+) \(column (\d+)\)", str(out)
    ):
        row, col = map(int, re.search(r"row (\d+) \(column (\d+)\)", str(out)).groups())
        bad = ~np.isfinite(values) | (np.abs(np.nan_to_num(values)) > 1e100)
        assert bad[row, col], str(out)


@settings(max_examples=25)
@given(tables(rows=(0, 12), cols=(0, 4)))
def test_spherical_kmedoids_on_arrays(table):
    X, values, _ = table
    out = _contract(
        lambda: SphericalKMedoids(max_span_km=500.0).fit(X).labels_,
        CATALOG_WORDS,
        n_rows=len(values),
    )
    _check_named_cell(out, values)


# -- profiles ----------------------------------------------------------------------
@settings(max_examples=20)
@given(tables(rows=(0, 10), cols=(0, 4)))
def test_profile_estimators(table):
    X, values, _ = table
    pattern = r"\bX\b|sample|feature|n_clusters|complex|dtype|NaN|infinity|overflow"
    for model in (ProfileKMeans(2, random_state=0), ProfileSOM(random_state=0)):
        _contract(lambda m=model: m.fit(X).labels_, pattern, n_rows=len(values))


@st.composite
def velocity_models(draw):
    n_depth, n_lat, n_lon = (draw(st.integers(0, 3)) for _ in range(3))
    model = np.array(
        draw(
            st.lists(
                st.one_of(st.floats(3.0, 5.0), st.sampled_from([np.nan, np.inf])),
                min_size=n_depth * n_lat * n_lon,
                max_size=n_depth * n_lat * n_lon,
            )
        )
    ).reshape(n_depth, n_lat, n_lon)
    depth = np.sort(draw(st.lists(cells, min_size=n_depth, max_size=n_depth)))
    lat = draw(st.lists(cells, min_size=n_lat, max_size=n_lat))
    lon = draw(st.lists(cells, min_size=n_lon, max_size=n_lon))
    dz = draw(st.sampled_from([None, 1.0, 1e-300]))
    if draw(st.booleans()):
        model = model + 1j
    return lat, lon, depth, model, dz


@given(velocity_models())
def test_extract_profiles(args):
    lat, lon, depth, model, dz = args
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # excluded nodes are reported
        out = _contract(
            lambda: extract_profiles(lat, lon, depth, model, dz=dz),
            r"\b(lat|lon|depth|model|dz|zrange)\b|profile",
        )
    if not isinstance(out, ValueError):
        n_nodes = len(lat) * len(lon)
        assert out.X.shape[0] + out.excluded.lat.size == n_nodes
        assert np.isfinite(out.X).all()


@given(st.lists(st.sampled_from([*AWKWARD, 5.0, 10.0, 10.0, 33.0]), max_size=12))
def test_depth_mixtures(depths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fixed depths are reported
        out = _contract(
            lambda: depth_mixtures(depths, random_state=0),
            r"depth|n_components|events",
        )
    if not isinstance(out, ValueError):
        assert out.loc["all", "n_samples"] == len(depths)
        assert np.isfinite(out.loc["all", "modes"]).all()


@given(tables(rows=(0, 8), cols=(0, 3), kinds=["float64", "int64", "complex"]))
def test_morisita_index(table):
    X, _, _ = table
    _contract(lambda: morisita_index(X, 2), r"\bX\b|column|sample|feature|complex")


# -- shards ------------------------------------------------------------------------
@st.composite
def shard_files(draw):
    """(name, bytes) of .npy files: good ones and every way of being bad."""
    files = []
    for i in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                [
                    "good",
                    "good",
                    "nan",
                    "empty",
                    "truncated",
                    "text",
                    "objects",
                    "complex",
                    "1-D",
                    "3 columns",
                ]
            )
        )
        n = draw(st.integers(0, 6))
        array = np.arange(n * 2, dtype=float).reshape(n, 2)
        if kind == "nan" and n:
            array[draw(st.integers(0, n - 1)), 1] = np.nan
        elif kind == "objects":
            array = np.array([[1, "a"]], dtype=object)
        elif kind == "complex":
            array = array + 1j
        elif kind == "1-D":
            array = array.ravel()
        elif kind == "3 columns":
            array = np.zeros((n, 3))
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=True)
        data = buffer.getvalue()
        if kind == "empty":
            data = b""
        elif kind == "truncated":
            data = data[: draw(st.integers(0, len(data) - 1))] if n else data[:40]
        elif kind == "text":
            data = b"1,2\n3,4\n"
        files.append((f"part{i}.npy", data, kind, n))
    return files


def _write_shards(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data, _, _ in files:
        (folder / name).write_bytes(data)


@given(shard_files())
def test_npy_shard_source(files):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "shards"
        _write_shards(folder, files)
        out = _contract(
            lambda: NpyShardSource(folder),
            r"shard '[^']*part\d\.npy'",
            n_rows=sum(n for _, _, kind, n in files),
        )
        if not isinstance(out, ValueError):
            rows = sum(b.shape[0] for b in out.iter_batches(4))
            assert rows == out.n_rows


def test_array_source_refuses_what_it_cannot_read():
    for X, message in (
        (np.ones(3), "must be 2-D"),
        (np.ones((2, 2), dtype=complex), "complex"),
        (np.array([["a", "b"]]), "non-numeric"),
    ):
        with pytest.raises(ValueError, match=message):
            ArraySource(X)


# -- the command's catalog reader ------------------------------------------------------
TEXT_CELLS = ["35.5", "-12", "0", "nan", "", "abc", "1e400", "95", "-200", "900"]


@st.composite
def csv_files(draw):
    """(text, [(file line, cells)], suffix): a catalog with blank lines anywhere."""
    n = draw(st.integers(0, 6))
    rows = [
        [draw(st.sampled_from(TEXT_CELLS)) for _ in range(3)]
        if draw(st.integers(0, 3)) == 3
        else [
            f"{draw(st.floats(-89, 89)):.4f}",
            f"{draw(st.floats(-179, 359)):.4f}",
            f"{draw(st.floats(0, 700)):.2f}",
        ]
        for _ in range(n)
    ]
    suffix = draw(st.sampled_from([".csv", ".tsv", ".csv.gz"]))
    sep = "\t" if suffix == ".tsv" else ","
    lines, located = [], []
    for record in [["lat", "lon", "depth"], *rows]:
        while draw(st.integers(0, 3)) == 3:  # a blank line, one time in four
            lines.append(draw(st.sampled_from(["", "   "])))
        lines.append(sep.join(record))
        located.append((len(lines), record))
    return "\n".join(lines) + "\n", located[1:], suffix


def _cell_is_bad(text, column):
    try:
        value = float(text)
    except ValueError:
        return True
    limits = {0: (-90, 90), 1: (-180, 360), 2: (-10, 800)}[column]
    return not (np.isfinite(value) and limits[0] <= value <= limits[1])


@given(csv_files())
def test_read_catalog_csv(csv):
    text, located, suffix = csv
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"catalog{suffix}"
        if suffix == ".csv.gz":
            with gzip.open(path, "wt") as f:
                f.write(text)
        else:
            path.write_text(text)
        try:
            X, _ = read_catalog(path)
        except InputFileError as exc:
            message = str(exc)
            assert message.startswith(f"{path}: "), message
            found = re.search(r"row (\d+) \(line (\d+)\), column '(\w+)'", message)
            if found:
                row, line = int(found.group(1)), int(found.group(2))
                column = ("lat", "lon", "depth").index(found.group(3))
                assert located[row - 1][0] == line, message  # the file's own line
                assert _cell_is_bad(located[row - 1][1][column], column), message
            else:
                assert not located or "column" in message, message
            return
        assert X.shape == (len(located), 3)  # no row lost
        assert not any(
            _cell_is_bad(cell, c)
            for _, record in located
            for c, cell in enumerate(record)
        )


# -- the command: one line and exit 2, or a label for every row ------------------------
def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            status = main(argv)
    return status, err.getvalue()


def _one_line_naming(err, name):
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("[")]
    assert len(lines) == 1, err
    assert lines[0].startswith("skgeoclust ") and ": error: " in lines[0], err
    assert name in lines[0], err


LABELS = {"kmedoids": "labels.csv", "faults": "labels.csv", "seismicity": "labels.csv"}


@settings(max_examples=12, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(csv_files(), st.sampled_from(["kmedoids", "faults", "stream", "seismicity"]))
def test_command_on_small_catalogs(csv, subcommand):
    text, located, _ = csv
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalog.csv"
        path.write_text(text)
        out = Path(tmp) / "report"
        status, err = _run([subcommand, "-i", str(path), "-o", str(out), "-q"])
        if status == 2:
            _one_line_naming(err, str(path))
            return
        assert status == 0, err
        if subcommand == "stream":
            assert np.load(out / "labels.npy").shape == (len(located),)
        else:
            assert len(pd.read_csv(out / LABELS[subcommand])) == len(located)


@settings(max_examples=12, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(shard_files())
def test_stream_command_on_shards(files):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "shards"
        _write_shards(folder, files)
        out = Path(tmp) / "report"
        argv = ["stream", "-i", str(folder), "-o", str(out), "-q", "--n-clusters", "2"]
        status, err = _run([*argv, "--batch-size", "4"])
        if status == 2:
            _one_line_naming(err, str(folder))
            return
        assert status == 0, err
        n = sum(n for _, _, _, n in files)
        assert np.load(out / "labels.npy").shape == (n,)
