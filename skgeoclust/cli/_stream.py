"""``skgeoclust stream``: mini-batch k-means over shards read one batch at a time."""
# SPDX-License-Identifier: BSD-3-Clause

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from skgeoclust.cli._common import add_catalog_options, add_common_options, generate
from skgeoclust.cli._io import CATALOG_SUFFIXES, InputFileError, read_catalog_from_args
from skgeoclust.cli._report import new_figure, set_map_extent
from skgeoclust.geometry import EARTH_RADIUS_KM

HELP = "streaming mini-batch k-means over .npy/Parquet shards or a catalog"
TITLE = "Streaming k-means report: mini-batch k-means over shards"
DESCRIPTION = (
    "StreamingMiniBatchKMeans reads its input one batch at a time (never all rows "
    "in memory): a warm start on a sample, mini-batch passes, exact Lloyd passes, "
    "then every row's label is written to labels.npy. --input is a folder or glob "
    "of .npy shards (2-D, same columns), Parquet file(s) (--columns picks the "
    "features), or a catalog CSV whose hypocentres are clustered as Earth-centred "
    "(x, y, z) km. Without --input a generated catalog is written as .npy shards of "
    "Earth-centred km into the report folder and streamed from there."
)
N_STEPS = 5
#: Fraction of the batches held out when --test-size is not given.
DEFAULT_TEST_FRACTION = 0.1
#: Fewest batches for which the default fraction holds out one batch.
_MIN_BATCHES_FOR_TEST = 5


def _test_size(args, n_rows, report):
    """``test_size`` of the estimator: the user's, or the default rounded to
    whole batches (none, with a note, when the input is too small for one)."""
    if args.test_size is not None:
        return args.test_size if args.test_size > 0 else None
    n_batches = -(-n_rows // max(args.batch_size, 1))
    n_test = round(DEFAULT_TEST_FRACTION * n_batches)
    if n_test == 0:
        report.add_note(
            f"No held-out test batches: the {n_rows} rows make {n_batches} batch(es) "
            f"of --batch-size {args.batch_size}, and the default "
            f"{DEFAULT_TEST_FRACTION:g} of them rounds to none (give --test-size to "
            "hold out batches anyway)."
        )
        return None
    return n_test


def configure(parser):
    """Add the subcommand's options."""
    add_common_options(
        parser,
        input_help="folder/glob of .npy shards, .parquet file(s), or a catalog CSV; "
        "default: generated shards",
    )
    add_catalog_options(parser)
    parser.add_argument(
        "--columns", default=None, help="comma-separated Parquet feature columns"
    )
    parser.add_argument(
        "--ecef",
        action="store_true",
        help="the shards hold Earth-centred (x, y, z) km: report centres as lat, "
        "lon, depth",
    )
    g = parser.add_argument_group("generated shards (without --input)")
    g.add_argument("--n-samples", type=int, default=60000, help="events")
    g.add_argument("--n-shards", type=int, default=6, help="shards written")
    g.add_argument("--n-clusters-true", type=int, default=20, help="true clusters")
    g = parser.add_argument_group("method")
    g.add_argument("--n-clusters", type=int, default=20, help="k")
    g.add_argument("--batch-size", type=int, default=1024, help="rows per mini-batch")
    g.add_argument("--n-passes", type=int, default=1, help="mini-batch passes")
    g.add_argument(
        "--refine-max-iter", type=int, default=10, help="exact Lloyd passes at most"
    )
    g.add_argument(
        "--test-size",
        type=float,
        default=None,
        help="fraction of batches held out for the test inertia (0: none; default: "
        f"{DEFAULT_TEST_FRACTION:g}, rounded to whole batches, so none under "
        f"{_MIN_BATCHES_FOR_TEST} batches)",
    )


def _ecef(catalog):
    from skgeoclust.geometry import latlon_to_unit_vectors

    radius = EARTH_RADIUS_KM - (catalog[:, 2] if catalog.shape[1] == 3 else 0.0)
    return latlon_to_unit_vectors(catalog[:, 0], catalog[:, 1]) * radius[:, None]


def _geographic(xyz):
    from skgeoclust.geometry import unit_vectors_to_latlon

    lat, lon = unit_vectors_to_latlon(xyz)
    return lat, lon, EARTH_RADIUS_KM - np.linalg.norm(xyz, axis=1)


def _source(args, report):
    """(source, is ECEF km, truth or None, description)."""
    from skgeoclust.streams import ArraySource, NpyShardSource, ParquetSource

    if args.input is None:
        from skgeoclust.datasets import make_seismicity_catalog

        catalog, truth = generate(
            report,
            make_seismicity_catalog,
            args.n_samples,
            n_clusters=args.n_clusters_true,
            cluster_radius_km=100.0,
            background_fraction=0.0,
            depth_range_km=(0.0, 600.0),
            cluster_depth_std_km=10.0,
            random_state=args.random_state,
            note=f" as Earth-centred km in {args.n_shards} .npy shards (shards/)",
        )
        folder = report.folder / "shards"
        folder.mkdir(exist_ok=True)
        X = _ecef(catalog)
        written = []
        for i, shard in enumerate(np.array_split(X, max(args.n_shards, 1))):
            written.append(folder / f"part{i:03d}.npy")
            np.save(written[-1], shard)
        # stream exactly the shards of this run: other files of the folder (a
        # previous run's, the user's) are neither read nor removed
        others = sorted(p.name for p in folder.iterdir() if p not in set(written))
        if others:
            report.add_note(
                f"shards/ also holds {len(others)} file(s) this run did not write "
                f"({', '.join(others[:5])}{', ...' if len(others) > 5 else ''}); "
                "they were neither read nor removed."
            )
        return NpyShardSource(written), True, truth
    path = Path(args.input)
    text = str(path)
    if path.is_dir() or text.endswith(".npy") or any(c in text for c in "*?["):
        parquet = (path.is_dir() and any(path.glob("*.parquet"))) or text.endswith(
            ".parquet"
        )
        try:
            if parquet:
                cols = args.columns.split(",") if args.columns else None
                source = ParquetSource(text, columns=cols)
            else:
                source = NpyShardSource(text)
        except ValueError as exc:  # one line naming the shard or file
            raise InputFileError(f"{text}: {exc}") from exc
        report.parameters["input"] = f"{text}: {source!r}"
        return source, args.ecef, None
    if not path.exists():
        raise InputFileError(f"{path}: no such file or folder.")
    if text.lower().endswith((".parquet", ".pq")) and args.columns:
        try:
            source = ParquetSource(text, columns=args.columns.split(","))
        except ValueError as exc:
            raise InputFileError(f"{text}: {exc}") from exc
        report.parameters["input"] = f"{text}: {source!r}"
        return source, args.ecef, None
    if not text.lower().endswith(CATALOG_SUFFIXES):
        raise InputFileError(
            f"{path}: expected a folder or glob of .npy shards, .parquet files or a "
            f"catalog ({', '.join(CATALOG_SUFFIXES)})."
        )
    catalog, _ = read_catalog_from_args(path, args, depth="optional")
    report.parameters["input"] = f"{text} (hypocentres as Earth-centred km)"
    return ArraySource(_ecef(catalog)), True, None


def run(args, report, progress):
    """Run the report's steps; return the function that draws its figures."""
    from skgeoclust.cluster import StreamingMiniBatchKMeans

    with progress.step("open the input"):
        source, ecef, truth = _source(args, report)
    n, d = source.shape
    if ecef and d != 3:
        raise InputFileError(
            f"{args.input}: --ecef needs 3 columns (Earth-centred x, y, z in km), but "
            f"the input has {d}."
        )
    model = StreamingMiniBatchKMeans(
        args.n_clusters,
        batch_size=args.batch_size,
        n_passes=args.n_passes,
        refine_max_iter=args.refine_max_iter,
        test_size=_test_size(args, n, report),
        random_state=args.random_state,
    )
    report.parameters["estimator"] = repr(model)
    if args.n_jobs not in (None, 1):
        report.add_note(
            "--n-jobs is not used by this subcommand: the mini-batch steps are "
            "sequential and the Numba kernels use their own threads."
        )
    with progress.step(f"StreamingMiniBatchKMeans on {n} rows x {d} features"):
        try:
            model.fit(source)
        except ValueError as exc:
            raise ValueError(f"{args.input or 'generated shards'}: {exc}") from exc
    with progress.step("label every row (labels.npy)"):
        labels_path = report.folder / "labels.npy"
        labels = np.asarray(model.label_to(source, labels_path))
        report.add_file(
            labels_path, "int32 label of every input row, in reading order (numpy.load)"
        )
    sizes = np.bincount(labels, minlength=args.n_clusters)
    report.add_summary(
        rows=int(n),
        features=int(d),
        clusters=int(args.n_clusters),
        **{
            "mini-batch steps": int(model.n_steps_),
            "Lloyd passes": int(model.n_iter_),
            "empty clusters": int(model.n_empty_clusters_),
            "reassigned centres": int(model.n_reassigned_),
            "train inertia": float(model.inertia_),
        },
    )
    if model.test_inertia_ is not None:
        report.add_summary(**{"held-out inertia": float(model.test_inertia_)})
    if ecef:
        rms = np.sqrt((model.inertia_ + (model.test_inertia_ or 0.0)) / n)
        report.add_summary(**{"RMS distance to centre (km)": float(rms)})
    if truth is not None:
        from sklearn.metrics import adjusted_rand_score

        report.add_summary(
            **{"ARI vs generated truth": adjusted_rand_score(truth, labels)}
        )

    with progress.step("tables"):
        centers = pd.DataFrame({"cluster": np.arange(args.n_clusters), "n_rows": sizes})
        names = (
            [str(f) for f in source.feature_names]
            if source.feature_names is not None
            else [f"feature_{j}" for j in range(d)]
        )
        if ecef:
            lat, lon, dep = _geographic(model.cluster_centers_)
            centers["lat"], centers["lon"], centers["depth_km"] = lat, lon, dep
            names = ["x_km", "y_km", "z_km"]
        for j, name in enumerate(names):
            centers[name] = model.cluster_centers_[:, j]
        report.add_table(
            "centers",
            centers,
            "one row per cluster: rows assigned and centre"
            + (" (also as lat, lon, depth)" if ecef else ""),
        )
        report.add_json("timings", model.timings_, "seconds per phase of the fit")

    return partial(_figures, report, source, labels, model, sizes, ecef, names)


def _sample(source, labels, size=20000):
    """Every k-th row of the source (and its label), at most about ``size`` rows."""
    step = max(1, source.n_rows // size)
    rows, out, start = [], [], 0
    for batch in source.iter_batches(65536):
        idx = np.arange(-start % step, batch.shape[0], step)
        rows.append(batch[idx])
        out.append(labels[start + idx])
        start += batch.shape[0]
    return np.concatenate(rows), np.concatenate(out)


def _figures(report, source, labels, model, sizes, ecef, names):
    X, lab = _sample(source, labels)
    fig, (ax1, ax2) = new_figure(
        1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [1.6, 1]}
    )
    by_cluster = {"c": lab % 20, "cmap": "tab20", "vmin": 0, "vmax": 19, "s": 2}
    if ecef:
        lat, lon, _ = _geographic(X)
        clat, clon, _ = _geographic(model.cluster_centers_)
        ax1.scatter(
            lon, lat, **by_cluster, label="events (sample), coloured by cluster"
        )
        ax1.scatter(clon, clat, marker="x", color="k", s=25, label="cluster centres")
        ax1.set_xlabel("longitude (deg)")
        ax1.set_ylabel("latitude (deg)")
        set_map_extent(ax1, lat, lon)
    else:
        ax1.scatter(
            X[:, 0],
            X[:, 1] if X.shape[1] > 1 else np.zeros(len(X)),
            **by_cluster,
            label="rows (sample), coloured by cluster",
        )
        c = model.cluster_centers_
        ax1.scatter(
            c[:, 0],
            c[:, 1] if c.shape[1] > 1 else np.zeros(len(c)),
            marker="x",
            color="k",
            s=40,
            label="cluster centres",
        )
        ax1.set_xlabel(names[0])
        ax1.set_ylabel(names[1] if len(names) > 1 else "")
    ax1.legend(loc="lower left", fontsize=8)
    ax1.set_title(f"{model.n_clusters} clusters from {source.n_rows} streamed rows")
    ax2.bar(np.arange(sizes.size), sizes, color="C0")
    ax2.set_xlabel("cluster")
    ax2.xaxis.get_major_locator().set_params(integer=True)
    ax2.set_ylabel("rows")
    ax2.set_title("Cluster sizes")
    fig.tight_layout()
    report.add_figure(
        "clusters",
        fig,
        "a regular sample of the rows coloured by cluster with the centres (x), and "
        "the number of rows per cluster",
    )
    phases = {k: v for k, v in model.timings_.items() if v is not None}
    fig, ax = new_figure(figsize=(5.5, 3.2))
    ax.barh(list(phases), list(phases.values()), color="C2")
    ax.set_xlabel("wall-clock time (s)")
    ax.set_title("Time per phase of the fit")
    report.add_figure("timings", fig, "wall-clock seconds per phase of the fit")
