"""``skgeoclust faults``: fault-network reconstruction (planes table and figure)."""
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import sys
from functools import partial

import numpy as np
import pandas as pd

from skgeoclust.cli._common import (
    add_catalog_options,
    add_choice,
    add_common_options,
    generate,
)
from skgeoclust.cli._io import read_catalog_from_args, read_xyz
from skgeoclust.cli._report import new_figure

HELP = "fault network from hypocentres: Gaussian kernels as fault planes (Kamer 2020)"
TITLE = "Fault-network report: hypocentres as a mixture of planar Gaussian kernels"
DESCRIPTION = (
    "FaultNetworkAgglomerative (Kamer, Ouillon and Sornette 2020): a Ward tree of "
    "the hypocentres in local (east, north, down) km, cut at its holding capacity "
    "into Gaussian kernels plus a uniform background, merged while the BIC improves. "
    "Each remaining kernel is a fault plane: centre, strike, dip, length, width and "
    "thickness in km. Input: a catalog in degrees and km (converted to km about its "
    "spherical mean) or Cartesian km columns given with --xyz-cols."
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
    g = parser.add_argument_group("generated network (without --input)")
    g.add_argument("--n-samples", type=int, default=1500, help="events")
    g.add_argument("--n-faults", type=int, default=8, help="true faults")
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
    """(X_km, lat/lon/depth catalog or None, truth or None, GeoToCartesian or None)."""
    from skgeoclust.preprocessing import GeoToCartesian

    if args.input is None:
        from skgeoclust.datasets import make_fault_network
        from skgeoclust.geometry import local_km_to_geodetic

        X, truth = generate(
            report,
            make_fault_network,
            n_faults=args.n_faults,
            n_samples=args.n_samples,
            background_fraction=0.1,
            location_error_km=0.5,
            random_state=args.random_state,
            note=f", placed about {REFERENCE}",
        )
        lat, lon = local_km_to_geodetic(X[:, 0], X[:, 1], *REFERENCE)
        catalog = np.c_[lat, lon, X[:, 2]]
        to_km = GeoToCartesian(reference=REFERENCE).fit(catalog)
        return to_km.transform(catalog), catalog, truth, to_km
    if args.xyz_cols is not None:
        cols = [c.strip() for c in args.xyz_cols.split(",")]
        if len(cols) != 3:
            raise ValueError(
                f"--xyz-cols needs three column names, got {args.xyz_cols!r}."
            )
        X, _ = read_xyz(args.input, cols)
        report.parameters["input"] = f"{args.input} (Cartesian km: {', '.join(cols)})"
        return X, None, None, None
    catalog, _ = read_catalog_from_args(args.input, args, depth="required")
    report.parameters["input"] = str(args.input)
    to_km = GeoToCartesian().fit(catalog)
    return to_km.transform(catalog), catalog, None, to_km


def run(args, report, progress):
    """Run the report's steps; return the function that draws its figures."""
    from sklearn.metrics import adjusted_rand_score

    from skgeoclust.cluster import FaultNetworkAgglomerative

    with progress.step("read catalog"):
        X, catalog, truth, to_km = _catalog(args, report)
    n = X.shape[0]
    report.add_summary(events=n)
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
    with progress.step(f"FaultNetworkAgglomerative on {n} events"):
        model.fit(X)
    labels = model.labels_
    planes = model.fault_planes()
    k = planes["strike"].size
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
            "with the kernel's covariance",
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

    return partial(_figures, report, X, labels, planes, model)


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
