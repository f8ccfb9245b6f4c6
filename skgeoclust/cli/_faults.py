"""``skgeoclust faults``: fault-network reconstruction (planes table and figure)."""
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import json
import sys
import time
from functools import partial

import numpy as np
import pandas as pd

from skgeoclust.cli._common import (
    add_catalog_options,
    add_choice,
    add_common_options,
    generate,
)
from skgeoclust.cli._error_columns import LocationErrors, read_location_errors
from skgeoclust.cli._io import InputFileError, read_catalog_from_args, read_xyz
from skgeoclust.cli._report import new_figure
from skgeoclust.utils._location_errors import check_location_errors

HELP = "fault network from hypocentres: Gaussian kernels as fault planes (Kamer 2020)"
TITLE = "Fault-network report: hypocentres as a mixture of planar Gaussian kernels"
DESCRIPTION = (
    "FaultNetworkAgglomerative (Kamer, Ouillon and Sornette 2020): a Ward tree of "
    "the hypocentres in local (east, north, down) km, cut at its holding capacity "
    "into Gaussian kernels plus a uniform background, merged while the BIC improves. "
    "Each remaining kernel is a fault plane: centre, strike, dip, length, width and "
    "thickness in km. Input: a catalog in degrees and km (converted to km about its "
    "spherical mean) or Cartesian km columns given with --xyz-cols. Per-event "
    "location errors are read when the catalog has them (ComCat, hypoinverse, "
    "HypoDD or GrowClust columns, --error-cols, or QuakeML origin uncertainties); "
    "--condense condenses the catalog with them (Kamer et al. 2015) and fits the "
    "condensed kernels. The planes are also written as GeoJSON for GIS."
)
N_STEPS = 4
REFERENCE = (34.2, -116.4)  # origin of the generated network (Landers area)


def configure(parser):
    """Add the subcommand's options."""
    add_common_options(
        parser,
        input_help="catalog (CSV/Parquet: lat, lon, depth, or --xyz-cols); "
        "default: a generated fault network",
    )
    add_catalog_options(parser)
    parser.add_argument(
        "--xyz-cols",
        default=None,
        metavar="E,N,D",
        help="read Cartesian (east, north, down) km columns instead of lat/lon/depth",
    )
    g = parser.add_argument_group("location errors")
    g.add_argument(
        "--error-cols",
        default=None,
        metavar="COLS",
        help="1-sigma error columns: ERR (isotropic), H,Z (horizontal, depth) or "
        "E,N,Z; 'none' reads none (default: recognise horizontalError/depthError, "
        "erh/erz, ex/ey/ez (m), eh/ez, or QuakeML origin uncertainties)",
    )
    g.add_argument(
        "--error-unit",
        choices=("km", "m"),
        default=None,
        help="unit of the error columns (default: km; m for HypoDD's ex/ey/ez)",
    )
    g.add_argument(
        "--condense",
        action="store_true",
        help="condense the catalog with its errors (Kamer et al. 2015), fit the "
        "condensed kernels with their weights and label every event by its kernel",
    )
    g = parser.add_argument_group("generated network (without --input)")
    g.add_argument("--n-samples", type=int, default=1500, help="events")
    g.add_argument("--n-faults", type=int, default=8, help="true faults")
    g.add_argument(
        "--event-error-km",
        type=float,
        default=None,
        metavar="KM",
        help="give each event its own location error, lognormal of this median "
        "(default: none; 0.6 with --condense)",
    )
    g = parser.add_argument_group("method")
    add_choice(
        g, "--criterion", ("global", "local", "local_global"), "BIC merge criterion"
    )
    g.add_argument(
        "--min-kernel-points", type=int, default=4, help="events per Gaussian kernel"
    )
    g.add_argument(
        "--n-subsets",
        type=_n_subsets,
        default="auto",
        help="'auto' (subsets of at most --max-subset-size events) or the number "
        "of Ward subsets atomized separately (the paper's 4.3)",
    )
    g.add_argument(
        "--max-subset-size",
        type=int,
        default=8192,
        help="largest subset with --n-subsets auto",
    )


def _n_subsets(value):
    if value == "auto":
        return value
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected 'auto' or a whole number, got {value!r}"
        ) from None


def _catalog(args, report):
    """(X_km, lat/lon/depth catalog or None, truth or None, GeoToCartesian or None,
    LocationErrors)."""
    from skgeoclust.preprocessing import GeoToCartesian

    if args.input is None:
        from skgeoclust.datasets import make_fault_network
        from skgeoclust.geometry import local_km_to_geodetic

        error = args.event_error_km
        if error is None and args.condense:
            error = 0.6
        extra = {} if error is None else {"event_error_km": error}
        out = generate(
            report,
            make_fault_network,
            n_faults=args.n_faults,
            n_samples=args.n_samples,
            background_fraction=0.1,
            location_error_km=0.5,
            random_state=args.random_state,
            note=f", placed about {REFERENCE}",
            **extra,
        )
        X, truth = out[0], out[1]
        errors = LocationErrors(None, "none (generated without --event-error-km)")
        if error is not None:
            errors = LocationErrors(
                check_location_errors(out[2], X.shape[0]),
                f"generated, isotropic, lognormal with median {error:g} km",
            )
        lat, lon = local_km_to_geodetic(X[:, 0], X[:, 1], *REFERENCE)
        catalog = np.c_[lat, lon, X[:, 2]]
        to_km = GeoToCartesian(reference=REFERENCE).fit(catalog)
        return to_km.transform(catalog), catalog, truth, to_km, errors
    if args.xyz_cols is not None:
        cols = [c.strip() for c in args.xyz_cols.split(",")]
        if len(cols) != 3:
            raise ValueError(
                f"--xyz-cols needs three column names, got {args.xyz_cols!r}."
            )
        X, table = read_xyz(args.input, cols)
        report.parameters["input"] = f"{args.input} (Cartesian km: {', '.join(cols)})"
        errors = read_location_errors(
            table, args.input, error_cols=args.error_cols, error_unit=args.error_unit
        )
        return X, None, None, None, errors
    catalog, table = read_catalog_from_args(args.input, args, depth="required")
    report.parameters["input"] = str(args.input)
    errors = read_location_errors(
        table, args.input, error_cols=args.error_cols, error_unit=args.error_unit
    )
    to_km = GeoToCartesian().fit(catalog)
    return to_km.transform(catalog), catalog, None, to_km, errors


def _report_errors(args, report, errors, n):
    """State in the report which location errors were read and how they are used."""
    report.parameters["location errors"] = errors.source
    if errors.covariances is not None:
        used = (
            "--condense condensed the catalog with them"
            if args.condense
            else "pass --condense to condense the catalog with them"
        )
        report.add_summary(**{"events with location errors": n})
        report.add_note(
            f"Location errors: {errors.source}; read and validated for all {n} "
            f"events ({errors.summary()}). The fault-network fit does not use them "
            f"in its likelihood yet; {used}."
        )
    elif errors.problem is not None:
        report.add_note(
            f"Location errors found in {errors.source} but not used: "
            f"{errors.problem}. Fill or remove those values, or name other columns "
            "with --error-cols."
        )
    if args.condense and errors.covariances is None:
        why = errors.problem or errors.source
        raise InputFileError(
            f"{args.input}: --condense needs a location error for every event "
            f"({why}); give the columns with --error-cols."
        )
    if args.condense:
        zero = np.flatnonzero(np.linalg.eigvalsh(errors.covariances)[:, 0] <= 0)
        if zero.size:
            raise InputFileError(
                f"{args.input}: --condense needs positive location errors; event "
                f"{int(zero[0]) + 1} has a zero error ({zero.size} such event(s))."
            )


def run(args, report, progress):
    """Run the report's steps; return the function that draws its figures."""
    from sklearn.metrics import adjusted_rand_score

    from skgeoclust.cluster import FaultNetworkAgglomerative

    with progress.step("read catalog"):
        X, catalog, truth, to_km, errors = _catalog(args, report)
    n = X.shape[0]
    report.add_summary(events=n)
    _report_errors(args, report, errors, n)
    if to_km is not None:
        report.parameters["local frame origin (lat, lon)"] = ", ".join(
            f"{v:.4f}" for v in to_km.reference_
        )
    model = FaultNetworkAgglomerative(
        criterion=args.criterion,
        min_kernel_points=args.min_kernel_points,
        n_subsets=args.n_subsets,
        max_subset_size=args.max_subset_size,
        n_jobs=args.n_jobs,
        # a progress bar over the subsets when a person watches the terminal
        verbose=int(not args.quiet and sys.stderr.isatty()),
        random_state=args.random_state,
    )
    report.parameters["estimator"] = repr(model)
    condensed = None
    if args.condense:
        with progress.step(f"condense {n} events, then FaultNetworkAgglomerative"):
            condensed = _condense_and_fit(args, report, model, X, errors.covariances)
        labels = condensed.event_labels(model.labels_)
    else:
        with progress.step(f"FaultNetworkAgglomerative on {n} events"):
            model.fit(X)
        labels = model.labels_
    planes = model.fault_planes()
    k = planes["strike"].size
    # events of the input (the condensed fit counts kernel weights)
    planes["n_events"] = np.bincount(labels[labels >= 0], minlength=k)
    report.add_summary(
        **{
            "fault planes (Gaussian kernels)": k,
            "holding capacity (kernels before merging)": int(model.holding_capacity_),
            "merges": int(model.n_merges_),
            "background events": int(np.sum(labels == -1)),
            "BIC": float(model.bic_),
        }
    )
    if truth is not None:
        report.add_summary(
            **{"ARI vs generated faults": adjusted_rand_score(truth, labels)}
        )
    if k == 0:
        why = (
            "no Ward subset held enough events for a Gaussian kernel of "
            f"--min-kernel-points {args.min_kernel_points} ({n} events in "
            f"--n-subsets {args.n_subsets})"
            if model.holding_capacity_ == 0
            else "the BIC preferred the background to every kernel"
        )
        report.add_note(
            f"No fault plane survived: the model of the {n} events is the uniform "
            "background alone (every event is labelled -1 and the planes table is "
            f"empty); {why}."
        )

    with progress.step("tables"):
        table = pd.DataFrame(
            {
                "kernel": np.arange(k),
                "east_km": planes["center"][:, 0],
                "north_km": planes["center"][:, 1],
                "depth_km": planes["center"][:, 2],
            }
        )
        if to_km is not None:
            geo = to_km.inverse_transform(planes["center"]) if k else np.empty((0, 3))
            table.insert(1, "lat", geo[:, 0])
            table.insert(2, "lon", geo[:, 1])
        for name, unit in (
            ("strike", "deg"),
            ("dip", "deg"),
            ("length", "km"),
            ("width", "km"),
            ("thickness", "km"),
        ):
            table[f"{name}_{unit}"] = planes[name]
        table["weight"] = planes["weight"]
        table["n_events"] = planes["n_events"]
        report.add_table(
            "fault_planes",
            table,
            "one row per fault plane: centre, strike (clockwise from north, dip to "
            "the right), dip, and the sides sqrt(12 * eigenvalue) of the uniform slab "
            "with the kernel's covariance; n_events counts the input events",
        )
        if to_km is not None:
            _add_geojson(report, table, _plane_corners(planes), to_km)
        else:
            report.add_note(
                "No GeoJSON of the planes: --xyz-cols input has no geographic "
                "coordinates."
            )
        events = pd.DataFrame(
            {
                "row": np.arange(1, n + 1),
                "east_km": X[:, 0],
                "north_km": X[:, 1],
                "depth_km": X[:, 2],
            }
        )
        if catalog is not None:
            events.insert(1, "lat", catalog[:, 0])
            events.insert(2, "lon", catalog[:, 1])
        events["kernel"] = labels
        if condensed is not None:
            events["condensed_kernel"] = condensed.event_kernels
        if truth is not None:
            events["true_fault"] = truth
        report.add_table(
            "labels",
            events,
            "every input event with its kernel of largest responsibility "
            "(-1 background)",
            preview=10,
        )
        report.add_json(
            "bic_path",
            {"bic_path": model.bic_path_, "bic": model.bic_},
            "BIC after every merge and weight refit, then of the returned model "
            "(its kernel shapes and background tails; half the usual scale)",
        )

    if condensed is not None:
        _add_condensed_table(report, condensed, model, to_km)
    return partial(_figures, report, X, labels, planes, model)


def _condense_and_fit(args, report, model, X, covariances):
    """Condense the catalog, fit ``model`` on the kernels with their weights."""
    from skgeoclust.preprocessing import condense_catalog

    t0 = time.perf_counter()
    condensed = condense_catalog(
        X, covariances, n_jobs=args.n_jobs, random_state=args.random_state
    )
    seconds = time.perf_counter() - t0
    model.fit(condensed.means, sample_weight=condensed.weights)
    n = X.shape[0]
    report.add_summary(
        **{
            "condensed kernels": condensed.n_kernels,
            "condensed kernels with events": int(np.sum(condensed.event_counts > 0)),
            "condensation (s)": seconds,
        }
    )
    report.add_note(
        f"--condense: the {n} events' Gaussian location PDFs were condensed "
        f"(Kamer et al. 2015) to {condensed.n_kernels} weighted kernels "
        f"({condensed.n_kernels / n:.1%}; {np.sum(condensed.event_counts > 0)} of "
        "them with events assigned); the fault network was fitted on the "
        "kernels with their weights as sample weights, and every event takes the "
        "label of the kernel it is assigned to (condensed_catalog.csv)."
    )
    return condensed


def _add_condensed_table(report, condensed, model, to_km):
    table = pd.DataFrame(
        {
            "condensed_kernel": np.arange(condensed.n_kernels),
            "input_row": condensed.kernel_components + 1,
            "east_km": condensed.means[:, 0],
            "north_km": condensed.means[:, 1],
            "depth_km": condensed.means[:, 2],
        }
    )
    if to_km is not None:
        geo = to_km.inverse_transform(condensed.means)
        table.insert(2, "lat", geo[:, 0])
        table.insert(3, "lon", geo[:, 1])
    for i, axis in enumerate(("east", "north", "depth")):
        table[f"error_{axis}_km"] = np.sqrt(condensed.covariances[:, i, i])
    table["weight"] = condensed.weights
    table["n_events"] = condensed.event_counts
    table["kernel"] = model.labels_
    report.add_table(
        "condensed_catalog",
        table,
        "the condensed catalog: one row per kernel (an input event's location PDF "
        "that kept weight), its weight, the number of input events assigned to it "
        "and its fault-plane kernel",
    )


def _add_geojson(report, table, corners, to_km):
    """Write the plane rectangles as GeoJSON polygons (lon, lat, elevation m)."""
    k = corners.shape[0]
    features = []
    if k:
        geo = to_km.inverse_transform(corners.reshape(-1, 3)).reshape(k, 5, 3)
    for i in range(k):
        lat, lon, depth = geo[i, :, 0], geo[i, :, 1], geo[i, :, 2]
        # exterior ring counter-clockwise in (lon, lat) (RFC 7946 right-hand rule)
        area = np.sum(lon[:-1] * lat[1:] - lon[1:] * lat[:-1])
        order = slice(None, None, -1) if area < 0 else slice(None)
        ring = [
            [round(float(x), 7), round(float(y), 7), round(float(-1000.0 * z), 1)]
            for x, y, z in zip(lon[order], lat[order], depth[order])
        ]
        row = table.iloc[i]
        properties = {
            "kernel": int(row["kernel"]),
            "lat": float(row["lat"]),
            "lon": float(row["lon"]),
            "depth_km": float(row["depth_km"]),
            "strike_deg": float(row["strike_deg"]),
            "dip_deg": float(row["dip_deg"]),
            "length_km": float(row["length_km"]),
            "width_km": float(row["width_km"]),
            "thickness_km": float(row["thickness_km"]),
            "depth_min_km": float(depth.min()),
            "depth_max_km": float(depth.max()),
            "n_events": int(row["n_events"]),
            "weight": float(row["weight"]),
        }
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": properties,
            }
        )
    collection = {"type": "FeatureCollection", "features": features}
    path = report.folder / "fault_planes.geojson"
    path.write_text(json.dumps(collection, indent=1) + "\n")
    report.add_file(
        path,
        "the fault planes for GIS (QGIS, ...): each plane's length x width "
        "rectangle as a polygon of (longitude, latitude, elevation in m, negative "
        "below sea level: -1000 x depth_km), with the planes table's values and "
        "depth range as properties",
    )


def _plane_corners(planes):
    """(k, 5, 3) closed outlines of the plane rectangles."""
    center = planes["center"]
    normal = planes["normal"]
    strike = np.deg2rad(planes["strike"])
    along = np.c_[np.sin(strike), np.cos(strike), np.zeros_like(strike)]
    down = np.cross(normal, along)
    down *= np.where(down[:, 2:3] < 0, -1.0, 1.0)
    half_l = planes["length"][:, None] / 2
    half_w = planes["width"][:, None] / 2
    corners = [
        center - half_l * along - half_w * down,
        center + half_l * along - half_w * down,
        center + half_l * along + half_w * down,
        center - half_l * along + half_w * down,
    ]
    corners.append(corners[0])
    return np.stack(corners, axis=1)


def _figures(report, X, labels, planes, model):
    fig, (ax_map, ax_sec) = new_figure(
        1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": [1.3, 1]}
    )
    k = planes["strike"].size
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("tab20", max(k, 1))
    bkg = labels == -1
    outline = _plane_corners(planes) if k else np.empty((0, 5, 3))
    for ax, (i, j), xlabel, ylabel in (
        (ax_map, (0, 1), "east (km)", "north (km)"),
        (ax_sec, (0, 2), "east (km)", "depth (km)"),
    ):
        ax.scatter(X[bkg, i], X[bkg, j], s=3, color="0.75", label="background events")
        for c in range(k):
            m = labels == c
            ax.scatter(X[m, i], X[m, j], s=3, color=cmap(c % 20))
        for c in range(k):
            ax.plot(
                outline[c, :, i],
                outline[c, :, j],
                color=cmap(c % 20),
                lw=1.6,
                label="fault plane outline" if c == 0 else None,
            )
            ax.plot(outline[c, :, i], outline[c, :, j], color="k", lw=0.4, alpha=0.6)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    ax_map.set_aspect("equal", adjustable="datalim")
    ax_sec.invert_yaxis()
    ax_map.set_title(f"Map view: {k} fault planes (events coloured by kernel)")
    ax_sec.set_title("Cross-section (east against depth)")
    ax_map.legend(loc="best", fontsize=8, markerscale=3)
    fig.tight_layout()
    report.add_figure(
        "fault_network",
        fig,
        "events coloured by their kernel (grey: background) and the outline of each "
        "kernel's fault plane (length x width rectangle), map view and section",
    )
    fig, ax = new_figure(figsize=(6, 4))
    ax.plot(np.arange(model.bic_path_.size), model.bic_path_, marker=".", ms=3)
    ax.set_xlabel("merge step (merges and weight refits)")
    ax.set_ylabel("BIC (half scale, lower is better)")
    ax.set_title(
        f"BIC from {int(model.holding_capacity_)} kernels down to {k} fault planes"
    )
    report.add_figure("bic_path", fig, "BIC of the mixture after every merge step")
