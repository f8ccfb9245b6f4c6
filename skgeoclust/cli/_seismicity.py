"""``skgeoclust seismicity``: Morisita, DBSCAN/HDBSCAN sweeps, ARI, depth mixtures."""
# SPDX-License-Identifier: BSD-3-Clause

from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd

from skgeoclust.cli._common import (
    add_catalog_options,
    add_choice,
    add_common_options,
    float_grid,
    generate,
    grid_text,
    int_grid,
)
from skgeoclust.cli._io import InputFileError, read_catalog_from_args
from skgeoclust.cli._report import new_figure

HELP = "Morisita index, DBSCAN/HDBSCAN sweeps, ARI matrix, depth mixtures (default)"
TITLE = "Seismicity report: spatial clustering of hypocentres"
DESCRIPTION = (
    "The procedure of Skurativskyi et al. (Azerbaijan hypocentres) on a catalog: "
    "Morisita index of the epicentres and hypocentres and its slope; DBSCAN over an "
    "eps x min_samples grid and HDBSCAN over min_cluster_size, every partition scored "
    "by its silhouette; the best partition per number of clusters; the Adjusted Rand "
    "Index between them; a mixture of normals fitted to the depths of each cluster of "
    "the partition with the highest silhouette. Coordinates are min-max scaled to "
    "the unit cube (lon, lat, depth) as in the paper, so eps is a fraction of the "
    "catalog's extent; with --space km they are local (east, north, down) km and eps "
    "is in km."
)
N_STEPS = 7


def configure(parser):
    """Add the subcommand's options."""
    add_common_options(
        parser,
        input_help="catalog (CSV/Parquet with lat, lon, depth columns); "
        "default: a generated catalog",
    )
    add_catalog_options(parser)
    g = parser.add_argument_group("generated catalog (without --input)")
    g.add_argument("--n-samples", type=int, default=3000, help="events")
    g.add_argument("--n-clusters-true", type=int, default=8, help="true clusters")
    g = parser.add_argument_group("method")
    add_choice(g, "--space", ("unit-cube", "km"), "coordinates the clusterers see")
    g.add_argument(
        "--box",
        default=None,
        metavar="LON0,LON1,LAT0,LAT1,Z0,Z1",
        help="scale the unit cube by this box (the paper's equation 2) instead of "
        "the catalog's min and max",
    )
    add_choice(
        g,
        "--outside-box",
        ("error", "exclude"),
        "events outside --box stop the command, or are left out of the clustering "
        "(label -2, counted in the summary)",
    )
    g.add_argument(
        "--eps",
        type=float_grid,
        default=None,
        help="DBSCAN eps grid, start:stop:step or a,b,c "
        "(default: 0.01:0.2:0.01 in the unit cube, 1:20:1 in km)",
    )
    g.add_argument(
        "--min-samples",
        type=int_grid,
        default="80:200:10",
        help="DBSCAN min_samples grid",
    )
    g.add_argument(
        "--min-cluster-size",
        type=int_grid,
        default="80:240:5",
        help="HDBSCAN min_cluster_size grid (min_samples = min_cluster_size)",
    )
    g.add_argument(
        "--algorithms",
        default="dbscan,hdbscan",
        help="comma-separated: dbscan, hdbscan",
    )
    add_choice(
        g,
        "--metric",
        ("euclidean", "manhattan"),
        "distance of the clusterers and of the silhouette",
    )
    g.add_argument(
        "--n-clusters",
        type=int,
        default=None,
        help="report the best partition with this many clusters "
        "(default: the highest silhouette over all cluster counts)",
    )
    g.add_argument(
        "--morisita-cells",
        type=int_grid,
        default="2:100",
        help="cells per axis of the 2-D (epicentre) Morisita curve",
    )
    g.add_argument(
        "--morisita-cells-3d",
        type=int_grid,
        default="2:30",
        help="cells per axis of the 3-D (hypocentre) Morisita curve",
    )
    g.add_argument(
        "--depth-components",
        type=int_grid,
        default="2",
        help="normal components of the depth mixtures (a list: lowest BIC)",
    )


def _catalog(args, report):
    if args.input is None:
        from skgeoclust.datasets import make_seismicity_catalog

        return generate(
            report,
            make_seismicity_catalog,
            args.n_samples,
            n_clusters=args.n_clusters_true,
            cluster_radius_km=25.0,
            region=(38.0, 42.0, 45.0, 50.0),
            depth_range_km=(0.0, 80.0),
            cluster_depth_std_km=4.0,
            random_state=args.random_state,
        )
    catalog, _ = read_catalog_from_args(args.input, args, depth="required")
    report.parameters["input"] = str(args.input)
    return catalog, None


def _box(text):
    """``--box`` value: lon_min,lon_max,lat_min,lat_max,depth_min,depth_max."""
    parts = [float(p) for p in str(text).split(",")]
    if len(parts) != 6 or not all(parts[i] < parts[i + 1] for i in (0, 2, 4)):
        raise ValueError(
            "--box needs lon_min,lon_max,lat_min,lat_max,depth_min,depth_max with "
            f"each minimum below its maximum, got {text!r}."
        )
    return np.array(parts[0::2]), np.array(parts[1::2])


def _inside(catalog, args):
    """Mask of the events inside ``--box`` (all when no box), or an error."""
    if args.box is None:
        return np.ones(catalog.shape[0], dtype=bool)
    lo, hi = _box(args.box)
    X = np.c_[catalog[:, 1], catalog[:, 0], catalog[:, 2]]
    out = (X < lo) | (X > hi)
    inside = ~out.any(axis=1)
    if not inside.all() and args.outside_box != "exclude":
        row, col = np.argwhere(out)[0]
        name = ("lon", "lat", "depth")[col]
        where = f"{args.input}: " if args.input is not None else ""
        raise ValueError(
            f"{where}row {row + 1}, {name} {float(X[row, col])!r} is outside --box "
            f"[{lo[col]:g}, {hi[col]:g}] ({int((~inside).sum())} events outside); "
            "pass --outside-box exclude to leave them out of the clustering."
        )
    if not inside.any():
        raise ValueError("--box contains no event of the catalog.")
    return inside


def _features(catalog, space, box=None):
    lat, lon, depth = catalog.T
    if space == "km":
        from skgeoclust.preprocessing import GeoToCartesian

        return GeoToCartesian().fit_transform(catalog)
    X = np.c_[lon, lat, depth]
    if box is not None:
        lo, hi = _box(box)
    else:
        lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return (X - lo) / span


def _sweeps(args, X, progress, report):
    from sklearn.cluster import DBSCAN, HDBSCAN

    from skgeoclust.metrics import ClusterSweep

    algorithms = [a.strip().lower() for a in args.algorithms.split(",") if a.strip()]
    unknown = set(algorithms) - {"dbscan", "hdbscan"}
    if unknown or not algorithms:
        raise ValueError(
            f"--algorithms must list dbscan and/or hdbscan, got {args.algorithms!r}."
        )
    eps = args.eps or (
        float_grid("0.01:0.2:0.01")
        if args.space == "unit-cube"
        else float_grid("1:20:1")
    )
    sweeps = {}
    if "dbscan" in algorithms:
        grid = {"eps": eps, "min_samples": args.min_samples}
        n = len(eps) * len(args.min_samples)
        with progress.step(f"DBSCAN sweep ({n} partitions)"):
            sweeps["db"] = ClusterSweep(
                DBSCAN(metric=args.metric), grid, metric=args.metric, n_jobs=args.n_jobs
            ).fit(X)
        report.parameters["DBSCAN eps"] = grid_text(eps)
        report.parameters["DBSCAN min_samples"] = grid_text(args.min_samples)
    else:
        progress.info("DBSCAN sweep skipped (--algorithms)")
    if "hdbscan" in algorithms:
        sizes = [m for m in args.min_cluster_size if m >= 2]
        if not sizes:
            raise ValueError("--min-cluster-size needs values >= 2.")
        # HDBSCAN needs min_samples (= min_cluster_size) <= the number of events
        fitting = [m for m in sizes if m <= X.shape[0]]
        if not fitting:
            where = f"{args.input}: " if args.input is not None else ""
            raise ValueError(
                f"{where}the {X.shape[0]} clustered events are fewer than every "
                f"--min-cluster-size ({grid_text(sizes)}); give sizes up to "
                f"{X.shape[0]}, or --algorithms dbscan."
            )
        if len(fitting) < len(sizes):
            report.add_note(
                f"HDBSCAN min_cluster_size values above the {X.shape[0]} clustered "
                f"events were left out of the sweep ({len(sizes) - len(fitting)} of "
                f"{len(sizes)})."
            )
        sizes = fitting
        grid = {"min_cluster_size": sizes}
        with progress.step(f"HDBSCAN sweep ({len(sizes)} partitions)"):
            sweeps["hdb"] = ClusterSweep(
                HDBSCAN(metric=args.metric, copy=True),
                grid,
                metric=args.metric,
                n_jobs=args.n_jobs,
            ).fit(X)
        report.parameters["HDBSCAN min_cluster_size"] = grid_text(sizes)
    else:
        progress.info("HDBSCAN sweep skipped (--algorithms)")
    return sweeps


def _candidates(sweeps, n_clusters):
    """Best partition (highest silhouette) per cluster count and algorithm."""
    rows = []
    for key, sweep in sweeps.items():
        best = sweep.best_partitions(top=1)
        best = best[best["n_clusters"] >= 2]
        if n_clusters is not None:
            best = best[best["n_clusters"] == n_clusters]
        for idx, row in best.iterrows():
            params = {
                c: row[c]
                for c in ("eps", "min_samples", "min_cluster_size")
                if c in row.index
            }
            rows.append(
                {
                    "partition": f"{key} {idx}",
                    "algorithm": "DBSCAN" if key == "db" else "HDBSCAN",
                    **params,
                    "n_clusters": int(row["n_clusters"]),
                    "noise_fraction": row["noise_fraction"],
                    "silhouette": row["silhouette"],
                    "calinski_harabasz": row["calinski_harabasz"],
                    "davies_bouldin": row["davies_bouldin"],
                    "_labels": sweep.labels_[idx],
                }
            )
    return rows


class _Events(NamedTuple):
    """The catalog as read and the part of it that is clustered."""

    full: np.ndarray  # (n_rows, 3) lat, lon, depth of every input row
    inside: np.ndarray  # (n_rows,) bool: the row is clustered (inside --box)
    catalog: np.ndarray  # full[inside]
    truth: np.ndarray | None  # generated labels of the clustered rows
    X: np.ndarray  # the coordinates the clusterers see

    def on_every_row(self, values):
        """Labels of the clustered events on every input row (-2 outside --box)."""
        out = np.full(self.full.shape[0], -2, dtype=np.int64)
        out[self.inside] = values
        return out


def _read_events(args, report):
    full, truth = _catalog(args, report)
    inside = _inside(full, args)
    catalog = full[inside]
    if truth is not None:
        truth = truth[inside]
    X = _features(catalog, args.space, args.box)
    return _Events(full, inside, catalog, truth, X)


def _record_input(args, events, report):
    """Refuse fewer than two events; record the counts and the coordinates."""
    n = events.catalog.shape[0]
    if n < 2:
        raise InputFileError(
            f"{args.input}: the catalog has {n} event(s) to cluster; the seismicity "
            "report needs at least 2."
        )
    report.add_summary(events=int(events.full.shape[0]))
    if args.box is not None:
        report.parameters["box"] = args.box
        report.add_summary(
            **{
                "events in --box (clustered)": n,
                "events outside --box (label -2)": int((~events.inside).sum()),
            }
        )
    if args.space == "unit-cube":
        report.parameters["coordinates"] = "lon, lat, depth scaled to [0, 1] by " + (
            "the --box" if args.box is not None else "their min and max"
        )
    else:
        report.parameters["coordinates"] = (
            "local (east, north, down) km about the catalog's spherical mean"
        )
    report.parameters["metric"] = args.metric


def _morisita(args, X, report):
    """Morisita curves and slopes of the epicentres (2-D) and hypocentres (3-D)."""
    from skgeoclust.metrics import morisita_slope

    fits = {}
    curves = []
    for name, cols, cells in (
        ("2-D epicentres", X[:, :2], args.morisita_cells),
        ("3-D hypocentres", X, args.morisita_cells_3d),
    ):
        # with --box the points are scaled by the box: the Morisita grid is
        # the unit cube, not the points' own extent
        boxed = args.box is not None and args.space == "unit-cube"
        bounds = [[0.0] * cols.shape[1], [1.0] * cols.shape[1]] if boxed else None
        try:
            fit = morisita_slope(cols, cells, bounds=bounds)
        except ValueError as exc:
            report.add_note(f"Morisita slope of the {name} not fitted: {exc}")
            continue
        fits[name] = fit
        curves.append(
            pd.DataFrame(
                {
                    "points": name,
                    "n_cells": np.asarray(cells)[: fit.delta.size],
                    "delta": fit.delta,
                    "morisita_index": fit.index,
                }
            )
        )
        report.add_summary(
            **{
                f"Morisita slope p ({name})": fit.slope,
                f"dimension D = E + p ({name})": fit.dimension,
            }
        )
    return fits, curves


def _morisita_tables(fits, curves, report):
    if not curves:
        return
    report.add_table(
        "morisita_curve",
        pd.concat(curves, ignore_index=True),
        "Morisita index I_delta per cell size delta = 1 / n_cells",
    )
    report.add_json(
        "morisita_fit",
        {
            name: {
                "slope": f.slope,
                "slope_ci": list(f.slope_ci),
                "intercept": f.intercept,
                "rsquared": f.rsquared,
                "dimension": f.dimension,
            }
            for name, f in fits.items()
        },
        "least-squares fit ln I = c + p ln delta (slope p, 95 % CI, R^2, D = E + p)",
    )


def _sweep_tables(sweeps, report):
    for key, sweep in sweeps.items():
        algo = "DBSCAN" if key == "db" else "HDBSCAN"
        report.add_table(
            f"sweep_{algo.lower()}",
            sweep.results_,
            f"{algo}: every grid point with its number of clusters, noise fraction, "
            "silhouette, Calinski-Harabasz and Davies-Bouldin indices",
            preview=10,
        )
        report.add_summary(**{f"{algo} partitions": int(sweep.labels_.shape[0])})


def _choose(args, candidates, truth, report):
    """The candidate with the highest silhouette (None, with a note, if none)."""
    if not candidates:
        what = (
            f"with {args.n_clusters} clusters"
            if args.n_clusters is not None
            else "with two clusters or more"
        )
        report.add_note(
            f"No partition {what} in the sweeps: widen the grids (--eps, "
            "--min-samples, --min-cluster-size). Depth mixtures are fitted to all "
            "events as one group."
        )
        return None
    chosen = max(candidates, key=lambda r: r["silhouette"])
    report.add_summary(
        **{
            "chosen partition": chosen["partition"],
            "chosen: clusters": chosen["n_clusters"],
            "chosen: silhouette": chosen["silhouette"],
            "chosen: noise fraction": chosen["noise_fraction"],
        }
    )
    if truth is not None:
        from sklearn.metrics import adjusted_rand_score

        report.add_summary(
            **{
                "chosen: ARI vs generated truth": adjusted_rand_score(
                    truth, chosen["_labels"]
                )
            }
        )
    return chosen


def _best_partitions_tables(candidates, report):
    """The best-partitions table and the ARI matrix of the twelve best of them."""
    from skgeoclust.metrics import adjusted_rand_matrix

    best = pd.DataFrame(
        [{k: v for k, v in c.items() if k != "_labels"} for c in candidates]
    )
    report.add_table(
        "best_partitions",
        best,
        "partition with the highest silhouette for each number of clusters "
        "and algorithm (name = algorithm and row of its sweep table)",
    )
    shown = sorted(candidates, key=lambda r: -r["silhouette"])[:12]
    shown = sorted(shown, key=lambda r: (r["algorithm"], r["n_clusters"]))
    ari = adjusted_rand_matrix(
        [c["_labels"] for c in shown], names=[c["partition"] for c in shown]
    )
    report.add_table(
        "ari_matrix",
        ari,
        "Adjusted Rand Index between the best partitions (noise counts as "
        "one more label)",
        index=True,
    )
    return ari


def _labels_table(events, candidates, chosen, report):
    full = events.full
    table = pd.DataFrame(
        {
            "row": np.arange(1, full.shape[0] + 1),
            "lat": full[:, 0],
            "lon": full[:, 1],
            "depth_km": full[:, 2],
        }
    )
    if chosen is not None:
        table["label"] = events.on_every_row(chosen["_labels"])
    for c in candidates:
        name = f"label_{c['partition'].replace(' ', '_')}"
        table[name] = events.on_every_row(c["_labels"])
    if events.truth is not None:
        table["true_label"] = events.on_every_row(events.truth)
    report.add_table(
        "labels",
        table,
        "every input event (row = 1-based data row of the input) with the label "
        "of the chosen partition (-1 noise, -2 outside --box) and of every best "
        "partition",
        preview=10,
    )


def _depth_mixtures(args, depth, labels, report):
    from skgeoclust.metrics import depth_mixtures

    table = depth_mixtures(
        depth,
        labels,
        n_components=args.depth_components,
        random_state=args.random_state,
    )
    out = table.copy()
    out["modes"] = [
        " ".join(f"{m:.2f}" for m in np.atleast_1d(v)) for v in out["modes"]
    ]
    report.add_table(
        "depth_mixtures",
        out,
        "mixture of normals fitted to the focal depths of each cluster of the "
        "chosen partition: weights, means and sigmas in km (components by "
        "decreasing weight), density modes in km",
        index=True,
    )
    return table


def run(args, report, progress):
    """Run the report's steps; return the function that draws its figures."""
    with progress.step("read catalog"):
        events = _read_events(args, report)
    _record_input(args, events, report)
    with progress.step("Morisita index"):
        fits, curves = _morisita(args, events.X, report)
    _morisita_tables(fits, curves, report)
    sweeps = _sweeps(args, events.X, progress, report)
    _sweep_tables(sweeps, report)
    with progress.step("best partitions and ARI matrix"):
        candidates = _candidates(sweeps, args.n_clusters)
        chosen = _choose(args, candidates, events.truth, report)
        ari = _best_partitions_tables(candidates, report) if candidates else None
        _labels_table(events, candidates, chosen, report)
    labels = None if chosen is None else chosen["_labels"]
    with progress.step("depth mixtures"):
        table = _depth_mixtures(args, events.catalog[:, 2], labels, report)
    return partial(
        _figures, report, fits, sweeps, ari, events.catalog, labels, table, chosen
    )


def _figures(report, fits, sweeps, ari, catalog, labels, table, chosen):
    from matplotlib.ticker import MaxNLocator

    from skgeoclust.plotting import (
        plot_ari_matrix,
        plot_depth_mixtures,
        plot_morisita,
        plot_partition_map,
        plot_silhouette_sweep,
    )

    lat, lon, depth = catalog.T
    if fits:
        fig, ax = new_figure(figsize=(6, 4.5))
        for name, fit in fits.items():
            plot_morisita(fit, ax=ax, label=name)
        ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
        ax.set_xlabel(r"cell size $\delta$ (fraction of the catalog's extent)")
        ax.set_title("Morisita index: > 1 means clustered at that scale")
        report.add_figure(
            "morisita",
            fig,
            "Morisita index against cell size (log-log) with the fitted power laws; "
            "the dotted line is a random (Poisson) pattern",
        )
    for key, sweep in sweeps.items():
        algo = "DBSCAN" if key == "db" else "HDBSCAN"
        color = "eps" if key == "db" else "min_cluster_size"
        fig, ax = new_figure(figsize=(6, 4.5))
        plot_silhouette_sweep(sweep, color=color, ax=ax)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{algo}: silhouette of every partition")
        report.add_figure(
            f"silhouette_{algo.lower()}",
            fig,
            f"{algo} sweep: silhouette against number of clusters, coloured by {color}",
        )
    if ari is not None and len(ari) > 1:
        size = 2.0 + 0.45 * len(ari)
        fig, ax = new_figure(figsize=(size + 1.2, size))
        plot_ari_matrix(ari, ax=ax)
        ax.set_xlabel("partition")
        ax.set_ylabel("partition")
        ax.set_title("Adjusted Rand Index between best partitions")
        report.add_figure(
            "ari_matrix", fig, "Adjusted Rand Index between the best partitions"
        )
    fig, ax = new_figure(figsize=(7, 6))
    plot_partition_map(
        lon, lat, np.zeros(lat.size, int) if labels is None else labels, ax=ax
    )
    if chosen is not None:
        ax.set_title(
            f"{chosen['partition']}: {chosen['n_clusters']} clusters, "
            f"silhouette {chosen['silhouette']:.3f}"
        )
    report.add_figure(
        "partition_map",
        fig,
        "epicentres coloured by cluster of the chosen partition (grey: noise)",
    )
    fig, ax = new_figure(figsize=(7, 4.5))
    plot_depth_mixtures(depth, labels, table, ax=ax)
    # A cluster whose depths pile up on one value (clipped or fixed depths) gets a
    # very narrow component; keep the histograms readable.
    groups = [depth] if labels is None else [depth[labels == k] for k in table.index]
    top = max(np.histogram(g, bins=40, density=True)[0].max() for g in groups)
    ax.set_ylim(0.0, 1.2 * top)
    ax.set_title("Focal depths per cluster with fitted normal mixtures (dots: modes)")
    ax.set_ylabel("probability density (1/km)")
    leg = ax.get_legend()
    if leg is not None:
        leg.set_title("cluster")
    report.add_figure(
        "depth_mixtures",
        fig,
        "histogram of focal depths of each cluster with its fitted mixture of "
        "normals; dots mark the density modes",
    )
