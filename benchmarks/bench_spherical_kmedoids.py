"""SphericalKMedoids against kmedoids.fasterpam on the same epicentres.

For each n: skgeoclust's SphericalKMedoids (span-constrained, its own k), then
FasterPAM at the same k on the full haversine matrix (what a user of the
``kmedoids`` package does), each in a fresh process so that peak memory is its own.
Prints time, peak memory (VmHWM of the process, and the part added by the fit) and
the objective (sum of great-circle km to the medoid), with the ratios. Sizes in
``--large`` run skgeoclust alone.

Run from the repository root::

    python benchmarks/bench_spherical_kmedoids.py --catalog global \
        --sizes 2000 5000 10000 20000
    python benchmarks/bench_spherical_kmedoids.py --catalog ncal --sizes 2000 20000 \
        --large 100000 774889 1000000 --fill jitter

Data: ``../shared/data/global_significant`` (23,412 events) or
``../shared/data/ncal_dd`` (774,889 events); a size is a random subset (seed 0). A
size beyond the catalog is the whole catalog plus, with ``--fill jitter`` (default),
copies of random catalog events moved by a Gaussian 0.5 km per horizontal axis (the
catalog's own density, denser), or with ``--fill synthetic`` clumped synthetic events
(make_seismicity_catalog) in the catalog's bounding box. Timings exclude Numba
compilation (a warm-up fit runs first in each process).
"""

import argparse
import multiprocessing as mp
import os
import time
from pathlib import Path

import numpy as np

EARTH_RADIUS_KM = 6371.0
DATA = Path(
    os.environ.get(
        "SKGEOCLUST_SHARED_DATA",
        Path(__file__).resolve().parents[2] / "shared" / "data",
    )
)
FILES = {
    "global": DATA / "global_significant" / "catalog.csv.gz",
    "ncal": DATA / "ncal_dd" / "catalog.csv.gz",
}


def load(catalog, n, fill="jitter"):
    import pandas as pd

    X = pd.read_csv(FILES[catalog], usecols=["lat", "lon"]).to_numpy()
    rng = np.random.default_rng(0)
    if n <= X.shape[0]:
        return X[np.sort(rng.choice(X.shape[0], n, replace=False))]
    if fill == "jitter":
        # Copies of random catalog events moved by a Gaussian offset of 0.5 km per
        # horizontal axis (about a DD relocation's uncertainty): the catalog's own
        # density, only denser.
        extra = X[rng.integers(0, X.shape[0], n - X.shape[0])]
        sigma_deg = 0.5 / (EARTH_RADIUS_KM * np.pi / 180.0)
        lat = extra[:, 0] + rng.normal(0.0, sigma_deg, extra.shape[0])
        lon = extra[:, 1] + rng.normal(0.0, sigma_deg, extra.shape[0]) / np.cos(
            np.radians(extra[:, 0])
        )
        return np.vstack([X, np.column_stack([np.clip(lat, -90, 90), lon])])
    from skgeoclust.datasets import make_seismicity_catalog

    lat_min, lon_min = X.min(axis=0)
    lat_max, lon_max = X.max(axis=0)
    extra, _ = make_seismicity_catalog(
        n - X.shape[0],
        n_clusters=200,
        cluster_radius_km=20.0,
        region=(lat_min, lat_max, lon_min, lon_max),
        random_state=0,
    )
    return np.vstack([X, extra[:, :2]])


def _memory_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def run_skgeoclust(catalog, n, max_span_km, n_jobs, fill, out):
    from skgeoclust.cluster import SphericalKMedoids

    X = load(catalog, n, fill)
    # JIT warm-up on a subset large enough to reach every kernel (hull-reach filter,
    # cached-hull span checks), so that compilation stays off the clock.
    SphericalKMedoids(max_span_km=max_span_km).fit(X[:: max(1, X.shape[0] // 20000)])
    base = _memory_kib("VmRSS")
    _reset_peak()
    t0 = time.perf_counter()
    km = SphericalKMedoids(max_span_km=max_span_km, n_jobs=n_jobs, random_state=0)
    km.fit(X)
    elapsed = time.perf_counter() - t0
    peak = _memory_kib("VmHWM")
    out.put(
        dict(
            time=elapsed,
            peak_mib=peak / 1024,
            added_mib=(peak - base) / 1024,
            k=km.n_clusters_,
            groups=km.n_groups_,
            objective=km.inertia_,
            max_span=float(km.spans_.max()),
            graph=km.neighbor_graph_,
        )
    )


def run_fasterpam(catalog, n, k, out):
    import kmedoids
    from sklearn.metrics.pairwise import haversine_distances

    from skgeoclust.geometry import EARTH_RADIUS_KM

    X = load(catalog, n)
    base = _memory_kib("VmRSS")
    _reset_peak()
    t0 = time.perf_counter()
    D = haversine_distances(np.radians(X))
    D *= EARTH_RADIUS_KM
    t_matrix = time.perf_counter() - t0
    res = kmedoids.fasterpam(D, k, random_state=0)
    elapsed = time.perf_counter() - t0
    peak = _memory_kib("VmHWM")
    labels = np.asarray(res.labels)
    spans = [
        D[np.ix_(labels == c, labels == c)].max()
        for c in range(k)
        if (labels == c).any()
    ]
    out.put(
        dict(
            time=elapsed,
            matrix_time=t_matrix,
            peak_mib=peak / 1024,
            added_mib=(peak - base) / 1024,
            objective=float(res.loss),
            max_span=float(max(spans)),
        )
    )


def in_process(target, *args):
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, out))
    proc.start()
    result = out.get()
    proc.join()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", choices=sorted(FILES), default="global")
    parser.add_argument(
        "--sizes", type=int, nargs="*", default=[2000, 5000, 10000, 20000]
    )
    parser.add_argument("--large", type=int, nargs="*", default=[])
    parser.add_argument("--max-span-km", type=float, default=55.6)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--no-peer", action="store_true", help="skip FasterPAM")
    parser.add_argument(
        "--fill",
        choices=["jitter", "synthetic"],
        default="jitter",
        help="events added beyond the catalog's size: jittered copies of catalog "
        "events (default) or synthetic clumps in its bounding box",
    )
    args = parser.parse_args()

    print(
        f"catalog={args.catalog} max_span_km={args.max_span_km} n_jobs={args.n_jobs} "
        f"fill={args.fill}"
    )
    header = (
        f"{'n':>9} {'k':>6} {'ours s':>8} {'ours MiB':>9} {'ours obj km':>12} "
        f"{'FPAM s':>8} {'(matrix)':>8} {'FPAM MiB':>9} {'FPAM obj km':>12} "
        f"{'speedup':>8} {'obj ratio':>9} {'FPAM span':>9}"
    )
    print(header)
    for n in args.sizes + args.large:
        ours = in_process(
            run_skgeoclust, args.catalog, n, args.max_span_km, args.n_jobs, args.fill
        )
        line = (
            f"{n:>9} {ours['k']:>6} {ours['time']:>8.2f} {ours['peak_mib']:>9.0f} "
            f"{ours['objective']:>12.1f}"
        )
        if n in args.sizes and not args.no_peer:
            peer = in_process(run_fasterpam, args.catalog, n, ours["k"])
            line += (
                f" {peer['time']:>8.2f} {peer['matrix_time']:>8.2f} "
                f"{peer['peak_mib']:>9.0f} {peer['objective']:>12.1f} "
                f"{peer['time'] / ours['time']:>8.1f} "
                f"{ours['objective'] / peer['objective']:>9.3f} "
                f"{peer['max_span']:>9.1f}"
            )
        print(
            line + f"   (groups={ours['groups']}, graph={ours['graph']}, "
            f"max span {ours['max_span']:.1f} km)",
            flush=True,
        )


if __name__ == "__main__":
    main()
