"""ProfileKMeans / ProfileSOM end to end against SeisGo's approach, in one run.

SeisGo's workflow is rebuilt here from its documented behaviour (not copied): a Python
loop over grid nodes copying each depth profile, tslearn ``TimeSeriesKMeans`` for
k-means, and minisom (``random_weights_init`` + ``train``) for the SOM followed by one
``win_map`` call per profile for the labels. skgeoclust runs ``extract_profiles`` then
``ProfileKMeans`` / ``ProfileSOM``. Both sides start from the same seeds, so quality is
compared at equal footing (k-means inertia, SOM quantization error).

Run from the repository root::

    python benchmarks/bench_profiles.py                 # 200 x 200 x 31 + global model
    python benchmarks/bench_profiles.py --n-lat 60 --n-lon 80 --no-real
"""

import argparse
import math
import time
import warnings
from pathlib import Path

import numpy as np

from skgeoclust.cluster import ProfileKMeans, ProfileSOM
from skgeoclust.datasets import make_velocity_model
from skgeoclust.preprocessing import extract_profiles


def seisgo_extract(lat, lon, v, spacing=1):
    """SeisGo's per-node loop: copy every profile, skip those holding a NaN."""
    all_v, lat0, lon0 = [], [], []
    for i in range(0, len(lat), spacing):
        for j in range(0, len(lon), spacing):
            v0 = np.ndarray(v.shape[0])
            for pp in range(v.shape[0]):
                v0[pp] = v[pp, i, j]
            if not np.isnan(v0).any():
                all_v.append(v0)
                lat0.append(lat[i])
                lon0.append(lon[j])
    return all_v, lat0, lon0


def seisgo_kmeans(lat, lon, v, k, seed):
    from tslearn.clustering import TimeSeriesKMeans
    from tslearn.utils import to_time_series_dataset

    all_v, lat0, lon0 = seisgo_extract(lat, lon, v)
    ts = to_time_series_dataset(all_v)
    km = TimeSeriesKMeans(n_clusters=k, metric="euclidean", random_state=seed)
    labels = km.fit_predict(ts)
    rows = [[lat0[c], lon0[c], labels[c] + 1] for c in range(len(all_v))]
    return km.inertia_ * len(all_v), labels, rows


def seisgo_som(lat, lon, v, n_iterations, seed):
    from minisom import MiniSom

    all_v, lat0, lon0 = seisgo_extract(lat, lon, v)
    side = math.ceil(math.sqrt(math.sqrt(len(all_v))))
    som = MiniSom(
        side, side, len(all_v[0]), sigma=0.3, learning_rate=0.1, random_seed=seed
    )
    som.random_weights_init(all_v)
    som.train(all_v, n_iterations)
    win_map = som.win_map(all_v)
    rows = []
    for c in range(len(all_v)):
        x, y = next(iter(som.win_map([all_v[c]]).keys()))
        rows.append([lat0[c], lon0[c], x * side + y + 1])
    cdata = [
        win_map[(x, y)] for x in range(side) for y in range(side) if (x, y) in win_map
    ]
    return som.quantization_error(np.array(all_v)), len(cdata), rows


def ours_kmeans(lat, lon, depth, v, k, seed):
    p = extract_profiles(lat, lon, depth, v, duplicate_poles="keep")
    km = ProfileKMeans(k, random_state=seed).fit(p.X)
    return km.inertia_, km.labels_


def ours_som(lat, lon, depth, v, n_iterations, seed):
    # duplicate_poles="keep": the same profiles as SeisGo's loop (which keeps them).
    p = extract_profiles(lat, lon, depth, v, duplicate_poles="keep")
    som = ProfileSOM(n_iterations=n_iterations, random_state=seed).fit(p.X)
    return som.quantization_error_, som.n_clusters_


def best_of(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def race(seisgo, ours, args):
    """Best-of times of SeisGo's and our run as text, and the two results."""
    t_sg, peer = best_of(seisgo, args.repeat_peer)
    t_us, us = best_of(ours, args.repeat)
    text = f"SeisGo {t_sg:.3f} s, skgeoclust {t_us:.3f} s, speed-up {t_sg / t_us:.1f}x"
    return text, peer, us


def run_case(name, lat, lon, depth, v, args):
    from sklearn.metrics import adjusted_rand_score

    n = int(np.sum(~np.isnan(v).any(axis=0)))
    print(
        f"\n== {name}: model {v.shape[1]} x {v.shape[2]} x {v.shape[0]} "
        f"(lat x lon x depth), {n} profiles"
    )
    # Warm-up: Numba compilation (cached on disk after the first run) off the clock.
    ours_som(lat[:4], lon[:4], depth, v[:, :4, :4], 100, 0)
    ours_kmeans(lat[:4], lon[:4], depth, v[:, :4, :4], 2, 0)

    timing, (in_sg, lab_sg, _), (in_us, lab_us) = race(
        lambda: seisgo_kmeans(lat, lon, v, args.k, args.seed),
        lambda: ours_kmeans(lat, lon, depth, v, args.k, args.seed),
        args,
    )
    print(
        f"k-means k={args.k}: {timing}; inertia {in_sg:.6g} vs {in_us:.6g} "
        f"({100 * (in_us - in_sg) / in_sg:+.3f} %); ARI between them "
        f"{adjusted_rand_score(lab_sg, lab_us):.4f}"
    )
    timing, (qe_sg, nodes_sg, _), (qe_us, nodes_us) = race(
        lambda: seisgo_som(lat, lon, v, args.n_iterations, args.seed),
        lambda: ours_som(lat, lon, depth, v, args.n_iterations, args.seed),
        args,
    )
    print(
        f"SOM {args.n_iterations} iterations: {timing}; quantization error "
        f"{qe_sg:.6g} vs {qe_us:.6g} ({100 * (qe_us - qe_sg) / qe_sg:+.4f} %); "
        f"populated nodes {nodes_sg} vs {nodes_us}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-lat", type=int, default=200)
    parser.add_argument("--n-lon", type=int, default=200)
    parser.add_argument("--n-depth", type=int, default=31)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--n-iterations", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--repeat-peer", type=int, default=1)
    parser.add_argument(
        "--no-real",
        action="store_true",
        help="skip the S362ANI+M model in ../shared/data",
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    lat, lon, depth, v, _ = make_velocity_model(
        args.n_lat,
        args.n_lon,
        args.n_depth,
        n_provinces=6,
        nan_fraction=0.005,
        random_state=args.seed,
    )
    run_case("synthetic (make_velocity_model)", lat, lon, depth, v, args)

    real = Path(__file__).resolve().parents[2] / "shared" / "data" / "velocity_model"
    real = real / "s362anim_vs.npz"
    if not args.no_real and real.exists():
        with np.load(real) as m:
            # Drop the repeated 180 E meridian so both sides see the same profiles.
            vs = m["vs"][:, :, :-1].astype(np.float64)
            run_case(
                "S362ANI+M global Vs", m["lat"], m["lon"][:-1], m["depth"], vs, args
            )


if __name__ == "__main__":
    main()
