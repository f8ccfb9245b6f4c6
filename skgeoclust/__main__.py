"""``python -m skgeoclust``: cluster a generated catalog and print a summary.

A placeholder for the full command line: it shows, on data the package makes
itself, that the install works end to end.
"""
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import sys
import time

import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.metrics import adjusted_rand_score

from skgeoclust import __version__
from skgeoclust.datasets import make_seismicity_catalog
from skgeoclust.geometry import EARTH_RADIUS_KM, spherical_mean
from skgeoclust.utils import check_catalog


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="skgeoclust",
        description="Cluster a generated seismicity catalog and print a summary.",
    )
    parser.add_argument("--n-samples", type=int, default=3000, help="events")
    parser.add_argument("--n-clusters", type=int, default=12, help="true clusters")
    parser.add_argument("--eps-km", type=float, default=15.0, help="DBSCAN radius")
    parser.add_argument("--min-samples", type=int, default=8, help="DBSCAN core size")
    parser.add_argument("--random-state", type=int, default=0, help="seed")
    parser.add_argument(
        "--version", action="version", version=f"skgeoclust {__version__}"
    )
    return parser.parse_args(argv)


def main(argv=None):
    """Run the demo; returns the process exit code."""
    args = _parse_args(argv)
    start = time.perf_counter()
    X, y_true = make_seismicity_catalog(
        args.n_samples,
        n_clusters=args.n_clusters,
        cluster_radius_km=40.0,
        background_fraction=0.15,
        region=(30.0, 45.0, 130.0, 150.0),
        random_state=args.random_state,
    )
    X = check_catalog(X)
    model = DBSCAN(
        eps=args.eps_km / EARTH_RADIUS_KM,
        min_samples=args.min_samples,
        metric="haversine",
        algorithm="ball_tree",
    ).fit(np.radians(X[:, :2]))
    labels = model.labels_
    elapsed = time.perf_counter() - start

    found = sorted(set(labels.tolist()) - {-1})
    print(f"skgeoclust {__version__}: demo on a generated catalog")
    print(f"  events            : {len(labels)} (true clusters: {args.n_clusters})")
    print(f"  clusters found    : {len(found)} (DBSCAN, eps={args.eps_km} km, "
          f"haversine)")
    print(f"  noise fraction    : {np.mean(labels == -1):.3f} "
          f"(true: {np.mean(y_true == -1):.3f})")
    print(f"  adjusted Rand idx : {adjusted_rand_score(y_true, labels):.3f}")
    print("  largest clusters  : lat, lon, mean depth km, events")
    sizes = sorted(((np.sum(labels == k), k) for k in found), reverse=True)[:5]
    for size, k in sizes:
        members = X[labels == k]
        lat, lon = spherical_mean(members[:, 0], members[:, 1])
        print(f"    {lat:8.3f} {lon:9.3f} {members[:, 2].mean():6.1f} {size:6d}")
    print(f"  elapsed           : {elapsed:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
