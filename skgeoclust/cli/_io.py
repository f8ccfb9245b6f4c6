"""Reading the command's inputs: catalogs (CSV, Parquet, QuakeML) and velocity
models.

Every problem with an input file raises :class:`InputFileError`, whose message is
one line naming the file, and where it applies the row and the column, so the
command can print it and exit with a non-zero status.
"""
# SPDX-License-Identifier: BSD-3-Clause

import csv
import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from skgeoclust.utils import CATALOG_COLUMN_ALIASES, wrap_longitude
from skgeoclust.utils._validation import numpy_dtype_of_column

#: Deepest focal depth accepted, km (the deepest earthquakes are near 700 km).
MAX_DEPTH_KM = 800.0
#: Shallowest accepted depth, km (negative: above sea level).
MIN_DEPTH_KM = -10.0
#: Accepted names of the axes of a velocity model (lower case).
MODEL_AXIS_ALIASES = {
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "longitude", "x"),
    "depth": ("depth", "depth_km", "z", "dep"),
}
QUAKEML_SUFFIXES = (".xml", ".quakeml", ".qml")
CATALOG_SUFFIXES = (
    ".csv",
    ".csv.gz",
    ".txt",
    ".tsv",
    ".parquet",
    ".pq",
    *QUAKEML_SUFFIXES,
)
MODEL_SUFFIXES = (".npz", ".nc", ".nc4", ".netcdf", ".cdf")


class InputFileError(ValueError):
    """A one-line, user-facing problem with an input file."""


def _suffix(path):
    name = path.name.lower()
    for s in (".csv.gz",):
        if name.endswith(s):
            return s
    return path.suffix.lower()


def _existing_file(path, what):
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such {what} file.")
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, expected a {what} file.")
    return path


def _open_text(path):
    if _suffix(path) == ".csv.gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")


def _csv_dialect(path):
    """The delimiter pandas reads ``path`` with (sniffed for ``.txt``)."""
    suffix = _suffix(path)
    if suffix == ".tsv":
        return {"delimiter": "\t"}
    if suffix == ".txt":
        with _open_text(path) as f:
            first = next((line for line in f if line.strip()), "")
        try:
            return {"dialect": csv.Sniffer().sniff(first)}
        except csv.Error:
            return {"delimiter": ","}
    return {"delimiter": ","}


def _csv_line(path, row):
    """1-based file line on which data row ``row`` (0-based) starts, or None.

    pandas skips blank lines and lets quoted fields span lines, so the line is
    found by reading the records again up to that row (only when reporting).
    """
    try:
        with _open_text(path) as f:
            reader = csv.reader(f, **_csv_dialect(path))
            seen = -1  # the header is record -1
            end_of_previous = 0
            for record in reader:
                start = end_of_previous + 1
                end_of_previous = reader.line_num
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue  # a blank line, skipped by pandas
                if seen == row:
                    return start
                seen += 1
    except (OSError, csv.Error, UnicodeError):
        return None
    return None


def _row_text(path, row, is_csv):
    """Human row reference: 1-based data row, and the file line for text files."""
    line = _csv_line(path, row) if is_csv else None
    if line is not None:
        return f"row {row + 1} (line {line})"
    return f"row {row + 1}"


def _read_quakeml(path):
    """The events of a QuakeML file as the frame of
    :func:`~skgeoclust.preprocessing.catalog_from_obspy`; the (n, 3, 3) location
    covariances in ``table.attrs["location_error_km"]``."""
    from skgeoclust.preprocessing._obspy import OBSPY_MISSING, catalog_from_obspy

    try:
        import obspy
    except ImportError as exc:
        raise InputFileError(f"{path}: {OBSPY_MISSING}.") from exc
    try:
        catalog = obspy.read_events(str(path), format="QUAKEML")
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        raise InputFileError(f"{path}: cannot be read as QuakeML: {first}") from exc
    if len(catalog) == 0:
        raise InputFileError(f"{path}: the QuakeML file holds no events.")
    table, covariances = catalog_from_obspy(catalog)
    table.attrs["location_error_km"] = covariances
    return table


def read_table(path):
    """Read a CSV (optionally gzipped, or tab-separated), Parquet or QuakeML table.

    Parameters
    ----------
    path : str or Path
        The file. QuakeML (``.xml``, ``.quakeml``, ``.qml``, read with ObsPy)
        gives one row per event (see
        :func:`~skgeoclust.preprocessing.catalog_from_obspy`).

    Returns
    -------
    table : pandas.DataFrame
    """
    path = _existing_file(path, "catalog")
    suffix = _suffix(path)
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: the file is empty (no header, no rows).")
    try:
        if suffix in QUAKEML_SUFFIXES:
            table = _read_quakeml(path)
        elif suffix in (".parquet", ".pq"):
            table = pd.read_parquet(path)
        elif suffix in (".csv", ".csv.gz", ".txt", ".tsv"):
            if suffix == ".txt":  # any delimiter: sniffed (slower Python parser)
                table = pd.read_csv(path, sep=None, engine="python")
            else:
                table = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        else:
            raise InputFileError(
                f"{path}: unknown catalog format {suffix!r}; expected one of "
                f"{', '.join(CATALOG_SUFFIXES)}."
            )
    except InputFileError:
        raise
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{path}: the file is empty (no header, no rows).")
    except ImportError as exc:
        raise InputFileError(
            f"{path}: reading Parquet needs pyarrow: pip install 'skgeoclust[parquet]'"
            f" ({exc})."
        ) from exc
    except Exception as exc:  # parser errors of every engine
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        raise InputFileError(f"{path}: cannot be read as a table: {first}") from exc
    if table.shape[0] == 0:
        raise InputFileError(
            f"{path}: the catalog has a header ({', '.join(map(str, table.columns))}) "
            "but no rows."
        )
    return table


def _find_column(table, path, field, requested, aliases, flag):
    """Name of the column of ``table`` holding ``field``."""
    columns = [str(c) for c in table.columns]
    if requested is not None:
        if requested in columns:
            return requested
        raise InputFileError(
            f"{path}: column {requested!r} (given by {flag}) not found; the columns "
            f"are {', '.join(columns)}."
        )
    matches = [c for c in columns if c.lower() in aliases]
    if len(matches) > 1:
        raise InputFileError(
            f"{path}: {len(matches)} columns could hold {field!r} "
            f"({', '.join(map(repr, matches))}); name the one to use with {flag}."
        )
    return matches[0] if matches else None


def _numeric_column(table, name, path, is_csv):
    """Column ``name`` as float64, or an error naming the first non-numeric row."""
    raw = table[name]
    kind = {
        "b": "true/false values",
        "c": "complex numbers",
        "M": "dates",
        "m": "time spans",
    }.get(numpy_dtype_of_column(raw).kind)
    if kind is not None:
        raise InputFileError(
            f"{path}: column {name!r} holds {kind} (dtype {raw.dtype}), not numbers."
        )
    values = pd.to_numeric(raw, errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    bad = np.isnan(values) & raw.notna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputFileError(
            f"{path}: {_row_text(path, row, is_csv)}, column {name!r}: value "
            f"{raw.iloc[row]!r} is not a number."
        )
    missing = np.isnan(values)
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise InputFileError(
            f"{path}: {_row_text(path, row, is_csv)}, column {name!r}: missing value "
            f"(NaN or empty cell); {int(missing.sum())} row(s) of this column are "
            "missing. Remove or fill them: skgeoclust never drops events silently."
        )
    inf = ~np.isfinite(values)
    if inf.any():
        row = int(np.flatnonzero(inf)[0])
        raise InputFileError(
            f"{path}: {_row_text(path, row, is_csv)}, column {name!r}: value "
            f"{float(values[row])!r} is not finite."
        )
    return values


def read_catalog(
    path,
    *,
    lat_col=None,
    lon_col=None,
    depth_col=None,
    depth="required",
    depth_unit="km",
):
    """Read and check an earthquake catalog.

    Parameters
    ----------
    path : str or Path
        CSV (``.csv``, ``.csv.gz``, ``.txt``, ``.tsv``), Parquet or QuakeML
        (``.xml``, ``.quakeml``, ``.qml``; needs ObsPy) file.
    lat_col, lon_col, depth_col : str, default=None
        Column names; None looks for the usual names (``lat``/``latitude``,
        ``lon``/``longitude``, ``depth``/``depth_km``, any case).
    depth : {"required", "optional", "ignore"}, default="required"
        Whether the depth column must be there, is used when there, or is not read.
    depth_unit : {"km", "m"}, default="km"
        Unit of the depth column; metres are converted to km.

    Returns
    -------
    catalog : ndarray of shape (n_events, 2) or (n_events, 3)
        (lat, lon[, depth]) in degrees and km, longitudes wrapped to [-180, 180).
    table : pandas.DataFrame
        The file as read (all columns), to carry extra columns into the report.

    Raises
    ------
    InputFileError
        One line naming the file, the row and the column: missing file, unknown
        format, no rows, missing column, non-numeric, missing or infinite value,
        latitude outside [-90, 90], longitude outside [-180, 360], depth outside
        [-10, 800] km (the message suggests ``--depth-unit m`` when the values
        look like metres).
    """
    path = Path(path)
    table = read_table(path)
    is_csv = _suffix(path) in (".csv", ".csv.gz", ".txt", ".tsv")
    fields = {"lat": lat_col, "lon": lon_col}
    if depth != "ignore":
        fields["depth"] = depth_col
    names = {}
    for field, requested in fields.items():
        name = _find_column(
            table,
            path,
            field,
            requested,
            CATALOG_COLUMN_ALIASES[field],
            f"--{field}-col",
        )
        if name is None:
            if field == "depth" and depth == "optional":
                continue
            raise InputFileError(
                f"{path}: missing column {field!r} (looked for "
                f"{', '.join(CATALOG_COLUMN_ALIASES[field])}, any case); the columns "
                f"are {', '.join(map(str, table.columns))}. Name it with "
                f"--{field}-col."
            )
        names[field] = name
    lat = _numeric_column(table, names["lat"], path, is_csv)
    lon = _numeric_column(table, names["lon"], path, is_csv)
    bad = np.flatnonzero(np.abs(lat) > 90.0)
    if bad.size:
        row = int(bad[0])
        raise InputFileError(
            f"{path}: {_row_text(path, row, is_csv)}, column {names['lat']!r}: "
            f"latitude {float(lat[row])!r} is outside [-90, 90] degrees (are latitude "
            "and longitude swapped, or in radians or km?)."
        )
    bad = np.flatnonzero((lon < -180.0) | (lon > 360.0))
    if bad.size:
        row = int(bad[0])
        raise InputFileError(
            f"{path}: {_row_text(path, row, is_csv)}, column {names['lon']!r}: "
            f"longitude {float(lon[row])!r} is outside [-180, 360] degrees."
        )
    # wrap only what needs it: (lon + 180) mod 360 - 180 moves in-range values by
    # an ulp, which can put an event on a box edge outside the box
    in_range = (lon >= -180.0) & (lon < 180.0)
    columns = [lat, np.where(in_range, lon, wrap_longitude(lon))]
    if "depth" in names:
        dep = _numeric_column(table, names["depth"], path, is_csv)
        if depth_unit == "m":
            dep = dep / 1000.0
        bad = np.flatnonzero((dep > MAX_DEPTH_KM) | (dep < MIN_DEPTH_KM))
        if bad.size:
            row = int(bad[0])
            hint = (
                " The values look like metres: pass --depth-unit m."
                if depth_unit == "km" and np.nanmax(np.abs(dep)) > MAX_DEPTH_KM
                else " Depth is in km, positive down."
            )
            raise InputFileError(
                f"{path}: {_row_text(path, row, is_csv)}, column {names['depth']!r}:"
                f" depth {float(dep[row])!r} km is outside [{MIN_DEPTH_KM:g}, "
                f"{MAX_DEPTH_KM:g}] km.{hint}"
            )
        columns.append(dep)
    return np.column_stack(columns), table


def read_catalog_from_args(path, args, *, depth):
    """:func:`read_catalog` with the column flags of ``add_catalog_options``."""
    return read_catalog(
        path,
        lat_col=args.lat_col,
        lon_col=args.lon_col,
        depth_col=getattr(args, "depth_col", None),
        depth=depth,
        depth_unit=getattr(args, "depth_unit", "km"),
    )


def read_xyz(path, columns):
    """Read three Cartesian columns (km) of a table, checked like a catalog.

    Parameters
    ----------
    path : str or Path
        CSV or Parquet file.
    columns : sequence of 3 str
        Names of the east, north and down columns, in km.

    Returns
    -------
    X : ndarray of shape (n_events, 3)
    table : pandas.DataFrame
    """
    path = Path(path)
    table = read_table(path)
    is_csv = _suffix(path) in (".csv", ".csv.gz", ".txt", ".tsv")
    values = []
    for name in columns:
        _find_column(table, path, name, name, (), "--xyz-cols")
        values.append(_numeric_column(table, name, path, is_csv))
    return np.column_stack(values), table


def _pick(names, aliases, what, path, requested=None, flag=None):
    lower = {n.lower(): n for n in names}
    if requested is not None:
        if requested in names:
            return requested
        raise InputFileError(
            f"{path}: variable {requested!r} (given by {flag}) not found; the file "
            f"holds {', '.join(names)}."
        )
    for alias in aliases:
        if alias in lower:
            return lower[alias]
    raise InputFileError(
        f"{path}: no {what} axis (looked for {', '.join(aliases)}); the file holds "
        f"{', '.join(names)}."
    )


def _read_netcdf(path):
    """Variables of a netCDF file as a dict of (dims, array)."""
    try:
        import xarray as xr
    except ImportError:
        xr = None
    if xr is not None:
        try:
            ds = xr.open_dataset(path)
        except Exception as exc:
            raise InputFileError(f"{path}: cannot be read as netCDF: {exc}") from exc
        with ds:
            out = {
                str(k): (tuple(map(str, v.dims)), v.values)
                for k, v in ds.variables.items()
            }
        return out
    from scipy.io import netcdf_file

    try:
        with netcdf_file(path, "r", mmap=False) as nc:
            return {
                k: (tuple(v.dimensions), np.array(v.data, copy=True))
                for k, v in nc.variables.items()
            }
    except Exception as exc:
        raise InputFileError(
            f"{path}: cannot be read as netCDF-3 ({exc}); netCDF-4 files need "
            "xarray with h5netcdf or netCDF4: pip install xarray h5netcdf."
        ) from exc


def read_velocity_model(path, *, var=None, velocity_unit="km/s"):
    """Read a 3-D velocity model from ``.npz`` or netCDF.

    Parameters
    ----------
    path : str or Path
        ``.npz`` with 1-D arrays for the axes (``lat``/``latitude``,
        ``lon``/``longitude``, ``depth``/``z``) and one 3-D array, or a netCDF file
        with the same variables.
    var : str, default=None
        Name of the 3-D variable; None takes the only 3-D array.
    velocity_unit : {"km/s", "m/s"}, default="km/s"
        Unit of the values; m/s are converted to km/s.

    Returns
    -------
    lat, lon, depth : ndarray
        Axes in degrees and km.
    model : ndarray of shape (n_depth, n_lat, n_lon)
        Values in km/s (NaN allowed: those profiles are excluded and reported).
    name : str
        The variable's name.

    Raises
    ------
    InputFileError
        One line naming the file and the variable: missing file or variable,
        axes that do not match the array, non-finite axes, values that are all
        NaN, negative, or look like m/s when km/s was declared, depths that look
        like metres.
    """
    path = _existing_file(path, "velocity model")
    suffix = _suffix(path)
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {k: (None, np.asarray(npz[k])) for k in npz.files}
        except Exception as exc:
            raise InputFileError(f"{path}: cannot be read as .npz: {exc}") from exc
    elif suffix in MODEL_SUFFIXES:
        arrays = _read_netcdf(path)
    else:
        raise InputFileError(
            f"{path}: unknown velocity-model format {suffix!r}; expected one of "
            f"{', '.join(MODEL_SUFFIXES)}."
        )
    if not arrays:
        raise InputFileError(f"{path}: the file holds no arrays.")
    names = list(arrays)
    cubes = [k for k in names if arrays[k][1].ndim == 3]
    if var is None:
        if len(cubes) != 1:
            raise InputFileError(
                f"{path}: expected exactly one 3-D array, found "
                f"{len(cubes)} ({', '.join(cubes) or 'none'}); name it with --var."
            )
        var = cubes[0]
    else:
        _pick(names, (), "model", path, requested=var, flag="--var")
        if arrays[var][1].ndim != 3:
            raise InputFileError(
                f"{path}: variable {var!r} has shape {arrays[var][1].shape}, "
                "expected a 3-D (depth, lat, lon) array."
            )
    axes = {}
    for field, aliases in MODEL_AXIS_ALIASES.items():
        key = _pick([n for n in names if arrays[n][1].ndim == 1], aliases, field, path)
        values = np.asarray(arrays[key][1], dtype=np.float64)
        if not np.all(np.isfinite(values)):
            row = int(np.flatnonzero(~np.isfinite(values))[0])
            raise InputFileError(
                f"{path}: axis {key!r}, index {row}: value "
                f"{float(values[row])!r} is not finite."
            )
        axes[field] = (key, values)
    dims, model = arrays[var]
    model = np.asarray(model, dtype=np.float64)
    lengths = {f: axes[f][1].size for f in axes}
    if dims is not None and all(
        d in {axes[f][0] for f in axes} for d in dims
    ):  # netCDF: order by dimension names
        order = [dims.index(axes[f][0]) for f in ("depth", "lat", "lon")]
        model = np.transpose(model, order)
    elif model.shape != (lengths["depth"], lengths["lat"], lengths["lon"]):
        # npz: accept any axis order whose lengths identify the axes uniquely
        wanted = [lengths[f] for f in ("depth", "lat", "lon")]
        if sorted(model.shape) == sorted(wanted) and len(set(wanted)) == 3:
            model = np.transpose(model, [model.shape.index(n) for n in wanted])
        else:
            raise InputFileError(
                f"{path}: variable {var!r} has shape {model.shape}, which does not "
                f"match the axes depth ({lengths['depth']}), lat ({lengths['lat']}) "
                f"and lon ({lengths['lon']})."
            )
    finite = np.isfinite(model)
    if not finite.any():
        raise InputFileError(f"{path}: variable {var!r} holds no finite value.")
    if velocity_unit == "m/s":
        model = model / 1000.0
    median = float(np.median(model[finite]))
    if median <= 0:
        raise InputFileError(
            f"{path}: variable {var!r} has median {median:g}; velocities must be "
            "positive (km/s)."
        )
    if median > 50.0:
        raise InputFileError(
            f"{path}: variable {var!r} has median {median:g}, too large for km/s; "
            "the values look like m/s: pass --velocity-unit m/s."
        )
    depth_key, depth_values = axes["depth"]
    if np.max(np.abs(depth_values)) > 7000.0:
        raise InputFileError(
            f"{path}: axis {depth_key!r} reaches {np.max(depth_values):g}, deeper "
            "than the Earth's radius in km; are the depths in metres?"
        )
    return axes["lat"][1], axes["lon"][1], depth_values, model, var
