"""Pairwise great-circle distances: skgeoclust's Numba kernel vs sklearn.

Both produce the same (n, n) km matrix from (lat, lon) degrees; the script checks they
agree to 1e-9 relative and prints the time ratio.

    python benchmarks/bench_haversine.py --sizes 1000 2000 5000
"""

import argparse
import time

import numpy as np
from sklearn.metrics.pairwise import haversine_distances

from skgeoclust.datasets import make_seismicity_catalog
from skgeoclust.geometry import EARTH_RADIUS_KM, pairwise_haversine_km


def _best_of(fn, repeat):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    pairwise_haversine_km(np.zeros((2, 2)))  # compile outside the timings
    print(f"{'n':>7} {'skgeoclust s':>13} {'sklearn s':>10} {'speed-up':>9}")
    for n in args.sizes:
        X, _ = make_seismicity_catalog(n, random_state=0)
        ll = X[:, :2]
        t_ours, ours = _best_of(lambda: pairwise_haversine_km(ll), args.repeat)
        t_peer, peer = _best_of(
            lambda: haversine_distances(np.radians(ll)) * EARTH_RADIUS_KM, args.repeat
        )
        np.testing.assert_allclose(ours, peer, rtol=1e-9, atol=1e-9)
        print(f"{n:>7} {t_ours:>13.4f} {t_peer:>10.4f} {t_peer / t_ours:>8.1f}x")


if __name__ == "__main__":
    main()
