"""StreamingMiniBatchKMeans against scikit-learn MiniBatchKMeans / KMeans.

Two modes, each run in one process on the same data:

``throughput`` (default): d=10, k=20 Gaussian mixture. For each batch size, the
seed recipe with scikit-learn (``MiniBatchKMeans.fit`` on a 25,600-row pool, then
``partial_fit`` over every batch) against ``StreamingMiniBatchKMeans`` on the same
batches: rows/s of the mini-batch pass, final inertia, and the inertia of the
default fit (with exact Lloyd refinement) against ``KMeans(n_init=1)``. ``--busy``
keeps one of the cores busy with another process during the measurements.

``out-of-core``: writes ``--rows`` x 10 float32 rows as ``.npy`` shards, then fits
and labels them (``label_to``) in a child process and prints its peak RSS.

    python benchmarks/bench_streaming_kmeans.py --rows 1000000
    python benchmarks/bench_streaming_kmeans.py --rows 1000000 --busy
    python benchmarks/bench_streaming_kmeans.py out-of-core --rows 50000000 \
        --dir /tmp/smbk_shards
"""

import argparse
import multiprocessing
import os
import resource
import subprocess
import sys
import time

import numpy as np

D, K = 10, 20


def mixture(n, seed, dtype=np.float64, n_components=30):
    """Overlapping anisotropic Gaussian clusters (more components than k)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(n_components, D)) * 3.0
    mixing = rng.normal(size=(n_components, D, D)) * 0.7
    comp = rng.integers(0, n_components, size=n)
    X = np.empty((n, D), dtype=dtype)
    step = 1_000_000
    for start in range(0, n, step):
        c = comp[start : start + step]
        z = rng.normal(size=(c.size, D))
        X[start : start + step] = centers[c] + np.einsum("nd,nde->ne", z, mixing[c])
    return X


def _burn():
    while True:
        pass


def _inertia(X, centers):
    from sklearn.metrics import pairwise_distances_argmin_min

    _, d = pairwise_distances_argmin_min(X, centers)
    return float((d.astype(np.float64) ** 2).sum())


def throughput(args):
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from threadpoolctl import threadpool_limits

    from skgeoclust.cluster import StreamingMiniBatchKMeans

    X = mixture(args.rows, args.seed)
    busy = None
    if args.busy:
        busy = multiprocessing.Process(target=_burn, daemon=True)
        busy.start()
    try:
        StreamingMiniBatchKMeans(K, batch_size=256, n_passes=1).fit(X[:30000])  # JIT
        t = time.perf_counter()
        km = KMeans(K, n_init=1, random_state=args.seed).fit(X)
        t_km = time.perf_counter() - t
        print(f"rows={args.rows} d={D} k={K} busy={args.busy} cpus={os.cpu_count()}")
        print(f"KMeans(n_init=1): {t_km:.2f} s, inertia {km.inertia_:.6g}")
        for bs in args.batch_sizes:
            batches = [X[i : i + bs] for i in range(0, args.rows, bs)]
            mbk = MiniBatchKMeans(K, batch_size=bs, n_init=3, random_state=args.seed)
            t = time.perf_counter()
            mbk.fit(X[:25_600])
            t_init = time.perf_counter() - t
            t = time.perf_counter()
            for b in batches:
                mbk.partial_fit(b)
            t_sk = time.perf_counter() - t
            sk_inertia = _inertia(X, mbk.cluster_centers_)
            # the same with scikit-learn's OpenMP/BLAS pools limited to one thread
            mbk1 = MiniBatchKMeans(K, batch_size=bs, n_init=3, random_state=args.seed)
            with threadpool_limits(1):
                mbk1.fit(X[:25_600])
                t = time.perf_counter()
                for b in batches:
                    mbk1.partial_fit(b)
                t_sk1 = time.perf_counter() - t

            params = dict(
                n_clusters=K, batch_size=bs, random_state=args.seed, refine_max_iter=0
            )
            ours = StreamingMiniBatchKMeans(n_passes=1, **params).fit(X)
            t_ours = ours.timings_["mini_batch"]  # the mini-batch pass alone

            pf = StreamingMiniBatchKMeans(K, batch_size=bs, random_state=args.seed)
            pf.partial_fit(X[:25_600])
            t = time.perf_counter()
            for b in batches:
                pf.partial_fit(b)
            t_pf = time.perf_counter() - t

            t = time.perf_counter()
            full = StreamingMiniBatchKMeans(
                K, batch_size=bs, random_state=args.seed
            ).fit(X)
            t_full = time.perf_counter() - t

            r_sk, r_ours, r_pf = args.rows / t_sk, args.rows / t_ours, args.rows / t_pf
            r_sk1 = args.rows / t_sk1
            print(f"batch {bs}:")
            print(
                f"  sklearn MiniBatchKMeans partial_fit: {r_sk / 1e6:7.2f} M rows/s, "
                f"inertia/KMeans {sk_inertia / km.inertia_:.4f} "
                f"(pool fit {t_init:.2f} s)"
            )
            print(
                f"  sklearn partial_fit, 1 thread     : {r_sk1 / 1e6:7.2f} M rows/s "
                f"(threadpool_limits(1)); ours is {r_ours / r_sk1:.1f}x"
            )
            print(
                f"  StreamingMiniBatchKMeans pass      : {r_ours / 1e6:7.2f} M rows/s, "
                f"inertia/KMeans {ours.inertia_ / km.inertia_:.4f} "
                f"-> throughput ratio {r_ours / r_sk:.1f}x"
            )
            print(
                f"  StreamingMiniBatchKMeans partial_fit: {r_pf / 1e6:6.2f} M rows/s "
                f"(public per-batch API, validates each batch) -> {r_pf / r_sk:.1f}x"
            )
            print(
                f"  default fit (exact Lloyd refinement): {t_full:.2f} s, "
                f"{full.n_iter_} passes, "
                f"inertia/KMeans {full.inertia_ / km.inertia_:.4f}"
            )
    finally:
        if busy is not None:
            busy.terminate()


def write_shards(directory, rows, seed, shard_rows=1_000_000):
    os.makedirs(directory, exist_ok=True)
    n_shards = -(-rows // shard_rows)
    for i in range(n_shards):
        path = os.path.join(directory, f"part{i:04d}.npy")
        n = min(shard_rows, rows - i * shard_rows)
        if os.path.exists(path) and np.load(path, mmap_mode="r").shape == (n, D):
            continue
        np.save(path, mixture(n, seed + i, dtype=np.float32))


def out_of_core_child(args):
    from skgeoclust.cluster import StreamingMiniBatchKMeans
    from skgeoclust.streams import NpyShardSource

    source = NpyShardSource(args.dir)
    t = time.perf_counter()
    km = StreamingMiniBatchKMeans(
        K, batch_size=args.batch_sizes[0], random_state=args.seed, verbose=args.verbose
    )
    km.fit(source)
    t_fit = time.perf_counter() - t
    peak_fit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    out = os.path.join(args.dir, "labels.out.npy")
    labels = km.label_to(source, out)
    t_label = time.perf_counter() - t
    peak_label = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_labels = labels.shape[0]
    offset = labels.offset
    del labels
    # check with plain file reads (a memory map would add its pages to our RSS)
    counts = np.zeros(K, dtype=np.int64)
    with open(out, "rb") as fh:
        fh.seek(offset)
        while chunk := fh.read(1 << 24):
            counts += np.bincount(np.frombuffer(chunk, dtype=np.int32), minlength=K)
    os.remove(out)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"rows={source.n_rows} shards={len(source.paths)} dtype={source.dtype} "
        f"batch={args.batch_sizes[0]}"
    )
    print(
        f"fit: {t_fit:.1f} s ({km.n_steps_} mini-batch steps, {km.n_iter_} Lloyd "
        f"passes, inertia {km.inertia_:.6g}); label_to: {t_label:.1f} s"
    )
    print("phases (s): " + ", ".join(f"{k} {v:.1f}" for k, v in km.timings_.items()))
    print(
        f"labels written {n_labels} == rows read {source.n_rows}, label counts sum "
        f"{counts.sum()}: {n_labels == source.n_rows == counts.sum()}"
    )
    print(
        f"peak RSS of the fitting process: after fit {peak_fit:.0f} MB, after "
        f"label_to {peak_label:.0f} MB, at exit {peak_mb:.0f} MB"
    )


def out_of_core(args):
    t = time.perf_counter()
    write_shards(args.dir, args.rows, args.seed)
    print(f"shards ready in {time.perf_counter() - t:.0f} s under {args.dir}")
    cmd = [
        sys.executable,
        __file__,
        "out-of-core-child",
        "--dir",
        args.dir,
        "--seed",
        str(args.seed),
        "--batch-sizes",
        str(args.batch_sizes[0]),
        "--verbose",
        str(args.verbose),
    ]
    subprocess.run(cmd, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "mode",
        nargs="?",
        default="throughput",
        choices=["throughput", "out-of-core", "out-of-core-child"],
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[256, 4096])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--busy", action="store_true", help="keep one core busy with another process"
    )
    parser.add_argument("--dir", default="/tmp/smbk_shards")
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args()
    {
        "throughput": throughput,
        "out-of-core": out_of_core,
        "out-of-core-child": out_of_core_child,
    }[args.mode](args)


if __name__ == "__main__":
    main()
