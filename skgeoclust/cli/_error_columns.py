"""Per-event location errors of a catalog file: recognised columns, ``--error-cols``
and ``--error-unit``, QuakeML origin uncertainties."""
# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass

import numpy as np
import pandas as pd

from skgeoclust.cli._io import InputFileError, _numeric_column, _row_text, _suffix
from skgeoclust.utils._location_errors import check_location_errors

#: Column sets recognised without ``--error-cols`` (names compared in lower case):
#: (catalog, columns, their meaning, unit). Horizontal errors apply to east and
#: north alike.
KNOWN_ERROR_COLUMNS = (
    ("ComCat", ("horizontalerror", "deptherror"), "horizontal, depth", "km"),
    ("hypoinverse", ("erh", "erz"), "horizontal, depth", "km"),
    ("HypoDD", ("ex", "ey", "ez"), "east, north, depth", "m"),
    ("GrowClust", ("eh", "ez"), "horizontal, depth", "km"),
    ("GrowClust", ("eh_km", "ez_km"), "horizontal, depth", "km"),
)
#: A 1-sigma error beyond this (km) is taken for a unit mistake.
MAX_ERROR_KM = 500.0
_MEANINGS = {1: "isotropic", 2: "horizontal, depth", 3: "east, north, depth"}
_TEXT_SUFFIXES = (".csv", ".csv.gz", ".txt", ".tsv")


@dataclass
class LocationErrors:
    """The errors of a catalog as the command found them.

    Attributes
    ----------
    covariances : ndarray of shape (n_events, 3, 3) or None
        (east, north, down) covariances in km^2, or None when none are usable.
    source : str
        Where they came from (shown in the report).
    problem : str or None
        Why columns that were found are not used.
    """

    covariances: np.ndarray | None
    source: str
    problem: str | None = None

    def summary(self):
        """Median 1-sigma horizontal and depth errors, as text."""
        c = self.covariances
        horizontal = np.sqrt(0.5 * (c[:, 0, 0] + c[:, 1, 1]))
        return (
            f"median 1-sigma {np.median(horizontal):.3g} km horizontal, "
            f"{np.median(np.sqrt(c[:, 2, 2])):.3g} km depth"
        )


def _sigma_to_covariances(values, n):
    """(n,) isotropic, (n, 2) horizontal/depth or (n, 3) east/north/depth 1-sigma
    km to covariances."""
    if values.ndim == 2 and values.shape[1] == 2:
        values = values[:, [0, 0, 1]]
    return check_location_errors(values, n)


def _column_map(table):
    return {str(c).lower(): str(c) for c in table.columns}


def _lenient(table, names, path, is_csv):
    """Values of ``names`` as float64, or (None, reason) for the first missing,
    non-numeric, negative or infinite value."""
    values = []
    for name in names:
        raw = table[name]
        column = pd.to_numeric(raw, errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        bad = ~np.isfinite(column) | (column < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            value = raw.iloc[row]
            if isinstance(value, np.generic):
                value = value.item()
            what = (
                "missing (NaN or empty)"
                if pd.isna(value)
                else f"{value!r}, not a non-negative number"
            )
            return None, (
                f"{_row_text(path, row, is_csv)}, column {name!r} is {what} "
                f"({int(bad.sum())} such row(s))"
            )
        values.append(column)
    return np.column_stack(values), None


def _strict(table, names, path, is_csv):
    values = np.column_stack([_numeric_column(table, n, path, is_csv) for n in names])
    negative = np.argwhere(values < 0)
    if negative.size:
        row, col = negative[0]
        raise InputFileError(
            f"{path}: {_row_text(path, int(row), is_csv)}, column {names[col]!r}: "
            f"location error {float(values[row, col])!r} is negative."
        )
    return values


def _scaled(values, unit):
    return values / 1000.0 if unit == "m" else values


def _too_large(values, names, path, is_csv):
    big = np.argwhere(values > MAX_ERROR_KM)
    if not big.size:
        return None
    row, col = big[0]
    return (
        f"{_row_text(path, int(row), is_csv)}, column {names[col]!r}: "
        f"{float(values[row, col]):g} km is not a plausible location error; are "
        "the errors in metres (--error-unit m)?"
    )


def _from_quakeml(table):
    covariances = table.attrs["location_error_km"]
    sources = table["error_source"].value_counts()
    described = ", ".join(f"{k}: {v}" for k, v in sources.items())
    source = f"QuakeML origin uncertainties ({described})"
    missing = ~np.isfinite(covariances).all(axis=(1, 2))
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        return LocationErrors(
            None,
            source,
            f"event {row + 1} ({table['event_id'].iloc[row]}) has no complete "
            f"horizontal and depth error ({int(missing.sum())} such event(s))",
        )
    try:
        check_location_errors(covariances, covariances.shape[0])
    except ValueError as exc:
        return LocationErrors(None, source, str(exc))
    return LocationErrors(covariances, source)


def read_location_errors(table, path, *, error_cols=None, error_unit=None):
    """Find, read and check the location errors of a catalog table.

    Parameters
    ----------
    table : pandas.DataFrame
        The catalog as read (:func:`~skgeoclust.cli._io.read_table`).
    path : Path
        Its file, for the messages.
    error_cols : str, default=None
        ``--error-cols``: one column (isotropic 1-sigma), two (horizontal and
        depth) or three (east, north and depth), comma-separated; ``"none"``
        reads no errors. None recognises :data:`KNOWN_ERROR_COLUMNS`, or the
        origin uncertainties of a QuakeML file.
    error_unit : {"km", "m"}, default=None
        ``--error-unit``; None is each recognised set's own unit (km, HypoDD's m)
        and km for ``--error-cols``.

    Returns
    -------
    LocationErrors

    Raises
    ------
    InputFileError
        For ``--error-cols``: a column that is not there, the wrong number of
        columns, a missing, non-numeric, negative or implausibly large value
        (naming the row). Recognised columns with such values are reported as a
        problem instead, and the command runs without errors.
    """
    is_csv = _suffix(path) in _TEXT_SUFFIXES
    n = table.shape[0]
    if error_cols is not None and error_cols.strip().lower() == "none":
        return LocationErrors(None, "not read (--error-cols none)")
    if error_cols is not None:
        names = [c.strip() for c in error_cols.split(",") if c.strip()]
        if not 1 <= len(names) <= 3:
            raise InputFileError(
                f"{path}: --error-cols needs one (isotropic), two (horizontal, depth)"
                f" or three (east, north, depth) column names, got {error_cols!r}."
            )
        columns = [str(c) for c in table.columns]
        for name in names:
            if name not in columns:
                raise InputFileError(
                    f"{path}: column {name!r} (given by --error-cols) not found; the "
                    f"columns are {', '.join(columns)}."
                )
        unit = error_unit or "km"
        values = _scaled(_strict(table, names, path, is_csv), unit)
        problem = _too_large(values, names, path, is_csv)
        if problem is not None:
            raise InputFileError(f"{path}: {problem}")
        source = (
            f"columns {', '.join(names)} ({_MEANINGS[len(names)]} 1-sigma, {unit}; "
            "--error-cols)"
        )
        return LocationErrors(
            _sigma_to_covariances(values[:, 0] if len(names) == 1 else values, n),
            source,
        )
    if "location_error_km" in table.attrs:
        return _from_quakeml(table)
    lower = _column_map(table)
    for catalog, wanted, meaning, default_unit in KNOWN_ERROR_COLUMNS:
        if not all(w in lower for w in wanted):
            continue
        names = [lower[w] for w in wanted]
        unit = error_unit or default_unit
        source = f"columns {', '.join(names)} ({catalog}: {meaning} 1-sigma, {unit})"
        values, problem = _lenient(table, names, path, is_csv)
        if problem is None:
            values = _scaled(values, unit)
            problem = _too_large(values, names, path, is_csv)
        if problem is not None:
            return LocationErrors(None, source, problem)
        return LocationErrors(_sigma_to_covariances(values, n), source)
    looked = "; ".join("/".join(w) for _, w, _, _ in KNOWN_ERROR_COLUMNS)
    return LocationErrors(None, f"none found (looked for {looked}, any case)")
