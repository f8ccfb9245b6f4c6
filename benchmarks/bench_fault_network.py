"""Benchmark FaultNetworkAgglomerative: Landers (3,360 events), the growth of its
cost with catalog size, and the whole NCEDC double-difference catalogue.

Run on one core for the Landers figure::

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 \
        python benchmarks/bench_fault_network.py landers

the CPU time of the most recent 10,000 and 80,000 events and its ratio::

    NUMBA_NUM_THREADS=1 python benchmarks/bench_fault_network.py scale

and the whole catalogue, 774,889 events, on two cores (minutes)::

    NUMBA_NUM_THREADS=2 /usr/bin/time -v \
        python benchmarks/bench_fault_network.py large --n-jobs 2 --verbose 1

``--eager`` sets ``lazy_gains=False`` (every moved gain re-evaluated after each
merge), ``--n-events`` takes a smaller most-recent slice of the catalogue.

The peer is the public Python port of the authors' MATLAB code
(samhouliston/DSL_Quake_Fault_Reconstruction, benchmark/src). Pass the folder of
a local checkout of that ``benchmark/src`` with ``--peer-src`` to run it on the same
data in the same run; without it the script prints the port's time measured on
this machine in ../shared/notes/fault-network-reference.md (54.5 s, global).
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

from skgeoclust.cluster import FaultNetworkAgglomerative

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
PORT_LANDERS_SECONDS = 54.5  # notes/fault-network-reference.md, global criterion


def load_landers():
    import pandas as pd

    return pd.read_csv(SHARED / "landers" / "hypocentres.csv")[
        ["x_km", "y_km", "z_km"]
    ].to_numpy()


def load_large(n_events):
    """The most recent ``n_events`` of the NCEDC double-difference catalogue, in km
    about their spherical mean (GeoToCartesian)."""
    import pandas as pd

    from skgeoclust.preprocessing import GeoToCartesian

    df = pd.read_csv(
        SHARED / "ncal_dd" / "catalog.csv.gz", usecols=["lat", "lon", "depth_km"]
    )
    cat = df.iloc[-n_events:][["lat", "lon", "depth_km"]]
    return GeoToCartesian().fit_transform(cat)


def run_ours(X, **params):
    # warm-up on a small slice so the timing excludes Numba compilation
    warm = {**params, "verbose": 0}
    FaultNetworkAgglomerative(**warm).fit(X[: min(len(X), 400)])
    t0 = time.perf_counter()
    c0 = time.process_time()
    model = FaultNetworkAgglomerative(**params).fit(X)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return model, wall, cpu


def run_peer(X, peer_src):
    """Time the port's ``run_fault_reconstruction(X, min_sz_cluster=4)`` (its
    ``main.py``) from a local checkout of ``benchmark/src``.

    The port imports ``open3d`` (used only when its ``USE_LIB`` flag is on; it is
    off) and its own ``plotting`` module (used only with ``visualize``); both are
    replaced by empty stand-ins when they cannot be imported.
    """
    import importlib
    import types

    sys.path.insert(0, str(peer_src))
    try:
        importlib.import_module("open3d")
    except ImportError:
        sys.modules["open3d"] = types.ModuleType("open3d")
    try:
        importlib.import_module("plotting")
    except ImportError:
        stub = types.ModuleType("plotting")
        stub.make_3D_plot = stub.plot_components = lambda *a, **k: None
        sys.modules["plotting"] = stub
    import main as port_main  # the port's driver module

    t0 = time.perf_counter()
    kernels, _ = port_main.run_fault_reconstruction(X, min_sz_cluster=4)
    return time.perf_counter() - t0, kernels.get_n_kernels()


def _n_subsets(value):
    return value if value == "auto" else int(value)


def _report(model, wall, cpu):
    self_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    child_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    bkg = model.backgrounds_["weight"]
    print(
        f"skgeoclust: {wall:.2f} s wall, {cpu:.2f} s CPU (this process), peak RSS "
        f"{self_gb:.2f} GB (largest worker {child_gb:.2f} GB)"
    )
    print(
        f"  {model.n_subsets_} subsets, holding capacity {model.holding_capacity_}, "
        f"final kernels {model.means_.shape[0]}, backgrounds {bkg.shape[0]} (total "
        f"weight {bkg.sum():.3f}), merges {model.n_merges_}, BIC {model.bic_:.1f}, "
        f"{model.labels_.shape[0]} events labelled"
    )


def scale(args):
    """CPU time of default fits on the most recent 10,000 and 80,000 events, one
    process, and their ratio."""
    times = {}
    for n in (10_000, 80_000):
        X = load_large(n)
        model, wall, cpu = run_ours(X, criterion=args.criterion, n_jobs=1)
        print(f"most recent {n} events:")
        _report(model, wall, cpu)
        times[n] = cpu
    ratio = times[80_000] / times[10_000]
    print(
        f"CPU 80k / 10k = {times[80_000]:.1f} s / {times[10_000]:.1f} s = {ratio:.1f}x "
        "(target <= 12x and <= 60 s)"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=["landers", "large", "scale"])
    parser.add_argument(
        "--criterion", default="global", choices=["global", "local", "local_global"]
    )
    parser.add_argument("--n-events", type=int, default=774_889)
    parser.add_argument("--n-subsets", type=_n_subsets, default="auto")
    parser.add_argument("--max-subset-size", type=int, default=None)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--peer-src", type=Path, default=None)
    parser.add_argument("--verbose", type=int, default=0)
    parser.add_argument(
        "--eager",
        action="store_true",
        help="lazy_gains=False: re-evaluate every moved gain after "
        "each merge (the exact greedy order; slow on dense data)",
    )
    args = parser.parse_args(argv)
    if args.dataset == "scale":
        scale(args)
        return

    X = load_landers() if args.dataset == "landers" else load_large(args.n_events)
    params = dict(
        criterion=args.criterion,
        n_subsets=args.n_subsets,
        n_jobs=args.n_jobs,
        lazy_gains=not args.eager,
        verbose=args.verbose,
    )
    if args.max_subset_size is not None:
        params["max_subset_size"] = args.max_subset_size
    print(
        f"data: {args.dataset}, {X.shape[0]} events; params {params}; "
        f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'default')}"
    )
    model, wall, cpu = run_ours(X, **params)
    _report(model, wall, cpu)
    if args.dataset == "landers":
        if args.peer_src is not None:
            peer, n_kernels = run_peer(X, args.peer_src)
            print(
                f"public Python port: {peer:.2f} s (same run), {n_kernels} kernels; "
                f"ratio {peer / wall:.1f}x"
            )
        else:
            print(
                f"public Python port: {PORT_LANDERS_SECONDS} s (recorded in the "
                f"notes, not re-run); ratio {PORT_LANDERS_SECONDS / wall:.1f}x"
            )


if __name__ == "__main__":
    main()
