"""ClusterSweep against the naive loop (fit + silhouette_score per grid point).

The grids are those of Skurativskyi et al. on the Azerbaijan catalog, min-max scaled
(lon, lat, depth): DBSCAN eps 0.01..0.20 step 0.01 x min_samples 80..200 step 10
(260 points) and HDBSCAN min_cluster_size 80..240 step 5 x {euclidean, manhattan}
(66 points). Both ways run in the same process on the same data; the script checks
that labels are identical and silhouettes agree to 1e-9, and prints the ratio.

    python benchmarks/bench_sweep.py --grid both --n-jobs 2
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN, HDBSCAN
from sklearn.metrics import silhouette_score
from sklearn.model_selection import ParameterGrid
from sklearn.preprocessing import MinMaxScaler

from skgeoclust.metrics import ClusterSweep

DEFAULT_DATA = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "azerbaijan"
    / "catalog.csv"
)

GRIDS = {
    "dbscan": (
        DBSCAN(),
        {
            "eps": np.round(np.arange(1, 21) * 0.01, 2).tolist(),
            "min_samples": list(range(80, 201, 10)),
        },
    ),
    "hdbscan": (
        HDBSCAN(copy=True),
        {
            "min_cluster_size": list(range(80, 241, 5)),
            "metric": ["euclidean", "manhattan"],
        },
    ),
}


def naive_loop(estimator, grid, X):
    labels, scores = [], []
    for params in ParameterGrid(grid):
        lab = estimator.set_params(**params).fit(X).labels_
        labels.append(lab)
        scores.append(silhouette_score(X, lab) if len(set(lab)) > 1 else np.nan)
    return np.array(labels), np.array(scores)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--grid", choices=["dbscan", "hdbscan", "both"], default="both")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--subsample", type=int, default=0, help="use the first N events"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore", FutureWarning)

    catalog = pd.read_csv(args.data)
    X = MinMaxScaler().fit_transform(catalog[["lon", "lat", "depth_km"]].to_numpy())
    if args.subsample:
        X = X[: args.subsample]
    print(f"data: {args.data}  n_samples={X.shape[0]}  n_jobs={args.n_jobs}")
    # compile (or load from the Numba cache) outside the timings
    ClusterSweep(DBSCAN(), {"eps": [0.1], "min_samples": [5]}).fit(X[:200])

    names = ["dbscan", "hdbscan"] if args.grid == "both" else [args.grid]
    for name in names:
        estimator, grid = GRIDS[name]
        n_points = len(ParameterGrid(grid))
        t0 = time.perf_counter()
        sweep = ClusterSweep(estimator, grid, n_jobs=args.n_jobs).fit(X)
        t_sweep = time.perf_counter() - t0
        t0 = time.perf_counter()
        ref_labels, ref_scores = naive_loop(estimator, grid, X)
        t_naive = time.perf_counter() - t0
        same = np.array_equal(sweep.labels_, ref_labels)
        both = ~np.isnan(ref_scores)
        diff = np.max(
            np.abs(sweep.results_["silhouette"].to_numpy()[both] - ref_scores[both])
        )
        nan_same = np.array_equal(
            np.isnan(ref_scores), sweep.results_["silhouette"].isna()
        )
        print(
            f"{name}: {n_points} grid points | ClusterSweep {t_sweep:.2f} s | "
            "naive loop "
            f"{t_naive:.2f} s | speed-up x{t_naive / t_sweep:.1f} | labels identical: "
            f"{same} | max |silhouette diff| = {diff:.1e} | "
            f"undefined scores agree: {nan_same}"
        )


if __name__ == "__main__":
    main()
