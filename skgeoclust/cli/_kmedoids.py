"""``skgeoclust kmedoids``: span-constrained k-medoids of a global catalog."""
# SPDX-License-Identifier: BSD-3-Clause

from functools import partial

import numpy as np
import pandas as pd

from skgeoclust.cli._common import add_catalog_options, add_common_options, generate
from skgeoclust.cli._io import read_catalog_from_args
from skgeoclust.cli._report import new_figure, set_map_extent

HELP = "span-constrained spherical k-medoids of epicentres (global catalogs)"
TITLE = "k-medoids report: epicentre clusters no wider than the maximum span"
DESCRIPTION = (
    "SphericalKMedoids: groups the epicentres of a catalog, anywhere on the globe, "
    "into clusters whose span (largest great-circle distance between two members) "
    "is at most --max-span-km, each represented by its medoid event, minimising the "
    "sum of great-circle distances to the medoids. Depth, if present, is carried "
    "into the tables but not used."
)
N_STEPS = 4


def configure(parser):
    """Add the subcommand's options."""
    add_common_options(
        parser,
        input_help="catalog (CSV/Parquet with lat, lon columns); "
        "default: a generated global catalog",
    )
    add_catalog_options(parser)
    g = parser.add_argument_group("generated catalog (without --input)")
    g.add_argument("--n-samples", type=int, default=3000, help="events")
    g.add_argument("--n-clusters-true", type=int, default=40, help="true clusters")
    g = parser.add_argument_group("method")
    g.add_argument(
        "--max-span-km",
        type=float,
        default=55.6,
        help="largest cluster span in km (55.6 km = 0.5 degree of arc)",
    )
    g.add_argument("--max-iter", type=int, default=100, help="optimisation passes")


def _catalog(args, report):
    if args.input is None:
        from skgeoclust.datasets import make_seismicity_catalog

        return generate(
            report,
            make_seismicity_catalog,
            args.n_samples,
            n_clusters=args.n_clusters_true,
            cluster_radius_km=20.0,
            background_fraction=0.1,
            random_state=args.random_state,
            note=" over the whole globe",
        )
    catalog, _ = read_catalog_from_args(args.input, args, depth="optional")
    report.parameters["input"] = str(args.input)
    return catalog, None


def run(args, report, progress):
    """Run the report's steps; return the function that draws its figures."""
    from skgeoclust.cluster import SphericalKMedoids

    with progress.step("read catalog"):
        catalog, truth = _catalog(args, report)
    n = catalog.shape[0]
    model = SphericalKMedoids(
        max_span_km=args.max_span_km,
        max_iter=args.max_iter,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
    )
    report.parameters["estimator"] = repr(model)
    with progress.step(f"SphericalKMedoids on {n} events"):
        model.fit(catalog[:, :2])
    labels = model.labels_
    sizes = np.bincount(labels, minlength=model.n_clusters_)
    report.add_summary(
        events=n,
        clusters=int(model.n_clusters_),
        **{
            "event groups (Delaunay)": int(model.n_groups_),
            "single-event clusters": int(np.sum(sizes == 1)),
            "largest cluster (events)": int(sizes.max()),
            "largest span (km)": float(model.spans_.max()),
            "mean distance to medoid (km)": float(model.inertia_ / n),
            "neighbour graph": model.neighbor_graph_,
        },
    )
    if truth is not None:
        from sklearn.metrics import adjusted_rand_score

        report.add_summary(
            **{"ARI vs generated truth": adjusted_rand_score(truth, labels)}
        )

    with progress.step("tables"):
        clusters = pd.DataFrame(
            {
                "cluster": np.arange(model.n_clusters_),
                "medoid_row": model.medoid_indices_ + 1,
                "medoid_lat": model.cluster_centers_[:, 0],
                "medoid_lon": model.cluster_centers_[:, 1],
                "n_events": sizes,
                "span_km": model.spans_,
            }
        )
        if catalog.shape[1] == 3:
            depth = pd.Series(catalog[:, 2]).groupby(labels)
            clusters["mean_depth_km"] = (
                depth.mean().reindex(clusters["cluster"]).to_numpy()
            )
        report.add_table(
            "clusters",
            clusters,
            "one row per cluster: medoid (row = 1-based input row), size and span "
            "(largest great-circle distance between two members, km)",
        )
        events = pd.DataFrame(
            {"row": np.arange(1, n + 1), "lat": catalog[:, 0], "lon": catalog[:, 1]}
        )
        if catalog.shape[1] == 3:
            events["depth_km"] = catalog[:, 2]
        events["cluster"] = labels
        events["group"] = model.groups_
        if truth is not None:
            events["true_label"] = truth
        report.add_table(
            "labels", events, "every input event with its cluster and event group"
        )

    return partial(_figures, report, catalog, labels, model, sizes, args.max_span_km)


def _figures(report, catalog, labels, model, sizes, max_span_km):
    lat, lon = catalog[:, 0], catalog[:, 1]
    fig, ax = new_figure(figsize=(11, 6))
    # Colour by a shuffled cluster number so that neighbours differ.
    order = np.random.default_rng(0).permutation(max(model.n_clusters_, 1))
    ax.scatter(
        lon,
        lat,
        c=order[labels] % 20,
        cmap="tab20",
        s=4,
        vmin=0,
        vmax=19,
        label=f"events ({model.n_clusters_} clusters, colours cycle)",
    )
    few = model.n_clusters_ <= 300  # else small, light medoid marks
    ax.scatter(
        model.cluster_centers_[:, 1],
        model.cluster_centers_[:, 0],
        marker="+",
        color="k",
        s=18 if few else 5,
        lw=0.7 if few else 0.4,
        alpha=1.0 if few else 0.5,
        label="medoids",
    )
    set_map_extent(ax, lat, lon)
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    ax.set_title(
        f"Spherical k-medoids: {model.n_clusters_} clusters, span <= {max_span_km:g} km"
    )
    ax.grid(color="0.9", lw=0.5)
    ax.legend(loc="lower left", fontsize=8, markerscale=2)
    report.add_figure(
        "cluster_map",
        fig,
        "epicentres coloured by cluster (colours repeat) and medoids (+); "
        "equirectangular longitude-latitude map",
    )
    fig, (ax1, ax2) = new_figure(1, 2, figsize=(11, 4))
    ax1.hist(model.spans_, bins=30, color="C0", label="clusters")
    ax1.axvline(max_span_km, color="C3", ls="--", label=f"max span {max_span_km:g} km")
    ax1.set_xlabel("cluster span (km)")
    ax1.set_ylabel("number of clusters")
    ax1.legend(fontsize=8)
    ax1.set_title("Cluster spans")
    counts = np.bincount(sizes)
    ax2.bar(np.arange(counts.size)[1:], counts[1:], width=0.9, color="C1")
    ax2.set_xlabel("events per cluster")
    ax2.set_ylabel("number of clusters")
    ax2.set_yscale("log")
    ax2.set_title("Cluster sizes")
    fig.tight_layout()
    report.add_figure(
        "spans_sizes", fig, "distribution of cluster spans (km) and cluster sizes"
    )
