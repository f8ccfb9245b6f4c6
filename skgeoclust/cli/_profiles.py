"""``skgeoclust profiles``: provinces of a velocity model from its depth profiles."""
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from functools import partial
from pathlib import Path

import pandas as pd

from skgeoclust.cli._common import add_choice, add_common_options, generate, int_grid
from skgeoclust.cli._io import InputFileError, read_velocity_model
from skgeoclust.cli._report import new_figure, select_backend

HELP = "velocity-model provinces: k-means (knee) and SOM on depth profiles"
TITLE = "Velocity-profile report: provinces of a velocity model"
DESCRIPTION = (
    "One velocity-depth profile per map node of a 3-D model (extract_profiles: "
    "profiles holding a NaN are excluded and reported, never filled), clustered by "
    "ProfileKMeans with the number of clusters at the knee of the inertia curve "
    "(unless --n-clusters) and by a ProfileSOM whose populated nodes are merged "
    "into as many clusters; SeisGo-style profile and map figures."
)
N_STEPS = 5


def _pair(text, kind=float):
    parts = [kind(p) for p in str(text).replace("x", ",").split(",") if p.strip()]
    if len(parts) != 2:
        raise ValueError(f"expected two values 'a,b', got {text!r}.")
    return tuple(parts)


def configure(parser):
    """Add the subcommand's options."""
    add_common_options(
        parser,
        input_help=".npz or netCDF velocity model (axes lat, lon, depth; one 3-D "
        "array); default: a generated model",
    )
    g = parser.add_argument_group("model file")
    g.add_argument("--var", default=None, help="name of the 3-D variable")
    add_choice(g, "--velocity-unit", ("km/s", "m/s"), "unit of the model's values")
    g = parser.add_argument_group("generated model (without --input)")
    g.add_argument("--n-provinces", type=int, default=4, help="true provinces")
    g = parser.add_argument_group("profiles")
    g.add_argument("--zrange", default=None, metavar="ZMIN,ZMAX", help="depths in km")
    g.add_argument("--dz", type=float, default=None, help="resample step in km")
    g.add_argument("--spacing", type=int, default=1, help="grid stride")
    g = parser.add_argument_group("method")
    add_choice(g, "--method", ("both", "kmeans", "som"), "clusterers to run")
    g.add_argument(
        "--n-clusters",
        type=int,
        default=None,
        help="number of clusters (default: the knee of the k-means inertia curve)",
    )
    g.add_argument(
        "--k-range",
        type=int_grid,
        default="2:12",
        help="k tried for the knee",
    )
    g.add_argument("--n-init", type=int, default=5, help="k-means restarts")
    g.add_argument("--som-grid", default=None, metavar="NX,NY", help="SOM grid shape")
    g.add_argument(
        "--som-iterations", type=int, default=50000, help="SOM training steps"
    )


def _source_name(args):
    """Short name of the model for figure titles."""
    return "generated model" if args.input is None else Path(args.input).name


def _model(args, report):
    if args.input is None:
        from skgeoclust.datasets import make_velocity_model

        lat, lon, depth, vs, provinces = generate(
            report,
            make_velocity_model,
            n_provinces=args.n_provinces,
            random_state=args.random_state,
            note=" (Vs, km/s)",
        )
        return lat, lon, depth, vs, "Vs", provinces
    lat, lon, depth, model, name = read_velocity_model(
        args.input, var=args.var, velocity_unit=args.velocity_unit
    )
    report.parameters["input"] = f"{args.input} (variable {name!r})"
    return lat, lon, depth, model, name, None


def _fit_noting_warnings(model, X, report, where):
    """Fit; warnings become report notes and errors name the input file."""
    name = type(model).__name__
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.fit(X)
        except ValueError as exc:
            raise ValueError(f"{where}{name}: {exc}") from exc
    for w in caught:
        if issubclass(w.category, (UserWarning, RuntimeWarning)):
            report.add_note(f"{name}: {w.message}")


def run(args, report, progress):
    """Run the report's steps; return the function that draws its figures."""
    from sklearn.metrics import adjusted_rand_score

    from skgeoclust.cluster import ProfileKMeans, ProfileSOM
    from skgeoclust.compat import ProfileClusteringResult
    from skgeoclust.preprocessing import extract_profiles

    with progress.step("read model and extract profiles"):
        lat, lon, depth, model, name, provinces = _model(args, report)
        zrange = _pair(args.zrange) if args.zrange else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            p = extract_profiles(
                lat, lon, depth, model, spacing=args.spacing, zrange=zrange, dz=args.dz
            )
        for w in caught:
            report.add_note(f"extract_profiles: {w.message}")
    where = f"{args.input}: " if args.input is not None else ""
    if p.X.shape[0] < 2:
        raise InputFileError(
            f"{where}only {p.X.shape[0]} complete profile(s) in the model; "
            f"{p.excluded.lat.size} excluded (NaN or duplicate nodes); clustering "
            "needs at least 2."
        )
    tag = f"{name} (km/s)"
    report.add_summary(
        profiles=int(p.X.shape[0]),
        **{
            "depths per profile": int(p.X.shape[1]),
            "excluded grid nodes": int(p.excluded.lat.size),
        },
    )
    truth = None if provinces is None else provinces[p.lat_index, p.lon_index]
    results = {}
    k = args.n_clusters
    km = None
    if args.method in ("both", "kmeans") or k is None:
        k_range = [v for v in args.k_range if 1 <= v <= p.X.shape[0]]
        if k is None and len(k_range) < 3:
            raise ValueError(
                f"--k-range needs at least three values in [1, {p.X.shape[0]}] to "
                f"find a knee, got {args.k_range}."
            )
        km = ProfileKMeans(
            n_clusters=k,
            n_clusters_range=None if k is not None else k_range,
            n_init=args.n_init,
            random_state=args.random_state,
            n_jobs=args.n_jobs,
        )
        what = (
            f"k = {k}"
            if k is not None
            else f"knee over k in {k_range[0]}..{k_range[-1]}"
        )
        with progress.step(f"ProfileKMeans ({what})"):
            _fit_noting_warnings(km, p.X, report, where)
        k = int(km.n_clusters_)
        report.add_summary(
            **{"k-means clusters": k, "k-means inertia": float(km.inertia_)}
        )
        if args.n_clusters is None:
            report.add_summary(**{"k chosen by": "knee of the inertia curve"})
        if args.method in ("both", "kmeans"):
            results["kmeans"] = ProfileClusteringResult(
                "k-means", km, p, source=_source_name(args), tag=tag
            )
    else:
        progress.info("ProfileKMeans skipped (--method som with --n-clusters)")
    if args.method in ("both", "som"):
        grid = _pair(args.som_grid, int) if args.som_grid else None
        som = ProfileSOM(
            grid,
            n_clusters=k,
            n_iterations=args.som_iterations,
            random_state=args.random_state,
        )
        with progress.step(f"ProfileSOM ({k} clusters)"):
            _fit_noting_warnings(som, p.X, report, where)
        report.add_summary(
            **{
                "SOM grid": "x".join(map(str, som.grid_shape_)),
                "SOM quantization error": float(som.quantization_error_),
                "SOM topographic error": float(som.topographic_error_),
            }
        )
        results["som"] = ProfileClusteringResult(
            "som", som, p, source=_source_name(args), tag=tag
        )
    else:
        progress.info("ProfileSOM skipped (--method kmeans)")
    if len(results) == 2:
        report.add_summary(
            **{
                "ARI k-means vs SOM": adjusted_rand_score(
                    results["kmeans"].labels, results["som"].labels
                )
            }
        )
    if truth is not None:
        for key, res in results.items():
            report.add_summary(
                **{
                    f"ARI {key} vs generated provinces": adjusted_rand_score(
                        truth, res.labels
                    )
                }
            )

    with progress.step("tables"):
        for key, res in results.items():
            report.add_table(
                f"cluster_map_{key}",
                res.cluster_map,
                f"{key}: cluster (1-based, as SeisGo) of every profile's map node",
                preview=8,
            )
            centers = pd.DataFrame(
                res.centers.T,
                columns=[f"cluster_{i + 1}" for i in range(res.n_clusters)],
            )
            centers.insert(0, "depth_km", p.depth)
            report.add_table(
                f"centers_{key}",
                centers,
                f"{key}: centre profile of each cluster ({tag}) against depth",
                preview=8,
            )
            path = report.folder / f"result_{key}.npz"
            res.save(path)
            report.add_file(
                path,
                f"{key}: ProfileClusteringResult.save (load back "
                "with ProfileClusteringResult.load)",
            )
        if km is not None and args.n_clusters is None:
            report.add_table(
                "knee",
                pd.DataFrame({"k": km.n_clusters_range_, "inertia": km.distortions_}),
                "k-means inertia for each k tried; the knee is the chosen k",
            )
        if p.excluded.lat.size:
            report.add_table(
                "excluded_nodes",
                pd.DataFrame(
                    {
                        "lat": p.excluded.lat,
                        "lon": p.excluded.lon,
                        "reason": p.excluded.reason,
                    }
                ),
                "grid nodes without a profile and why (NaN, repeated meridian or pole)",
            )

    show_knee = km is not None and args.n_clusters is None
    return partial(_figures, report, km if show_knee else None, results)


def _figures(report, knee_model, results):
    """The knee curve (when k was chosen by it) and SeisGo's two figures per method."""
    select_backend()
    if knee_model is not None:
        k = int(knee_model.n_clusters_)
        fig, ax = new_figure(figsize=(5.5, 3.8))
        ax.plot(
            knee_model.n_clusters_range_, knee_model.distortions_, "o-", label="inertia"
        )
        ax.axvline(k, color="C3", ls="--", label=f"knee: k = {k}")
        ax.set_xlabel("number of clusters k")
        ax.set_ylabel(r"inertia ((km/s)$^2$)")
        ax.set_title("k-means inertia curve")
        ax.legend()
        report.add_figure("knee", fig, "k-means inertia against k with the knee")
    for key, res in results.items():
        for fig_name, fig, caption in (
            (
                "profiles",
                res.plot_profiles(),
                "profiles of each cluster (grey) and its centre (red), depth down",
            ),
            ("map", res.plot_cluster_map(), "map of the cluster of every profile"),
        ):
            report.add_figure(f"{fig_name}_{key}", fig, f"{key}: {caption}")
