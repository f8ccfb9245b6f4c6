"""Accuracy of FaultNetworkAgglomerative at the Bayes limit (issue 14, items 4-5).

§3.2 networks of ``make_fault_network`` (20 planes, ``--density`` events per km^2,
10 % uniform background, 0.5 km Gaussian scatter along each plane's normal): the
adjusted Rand index of the fitted labels for each ``kernel``, against that of the
*Bayes labelling*, which knows the generating density exactly: plane ``j`` is
uniform over its L x W rectangle times ``N(0, sigma^2)`` across it, with weight
``n_j / n``; the background is uniform over the domain box with weight
``n_bkg / n``; each event goes to the component of largest weighted density.
Then the same networks with events exactly on the planes (no scatter;
``--exact-densities``, 0.5 and 1.0 events per km^2 by default), Landers
(kernel counts, background weight, BIC per kernel) and the §5 forecast score on the
Calaveras area (``score_samples(targets).mean()``)::

    NUMBA_NUM_THREADS=1 python benchmarks/bench_fault_network_accuracy.py \\
        --seeds 0 1 2 3 4 5 6 7 8 9

Landers and Calaveras read ``../shared/data`` and are skipped when it is absent.
"""

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from skgeoclust.cluster import FaultNetworkAgglomerative
from skgeoclust.datasets import make_fault_network

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
KERNELS = ("gaussian", "plane", "auto")


def bayes_labels(X, faults):
    """Maximum-posterior component of each event under the generating density."""
    n = X.shape[0]
    counts = faults["n_events"]
    sigma = faults["location_error_km"]
    if faults["scatter"] != "normal" or not sigma > 0:
        raise ValueError("the exact density needs scatter='normal' and sigma > 0")
    domain = faults["domain"]
    columns = []
    for j in range(counts.shape[0]):
        offset = X - faults["centers"][j]
        along = offset @ faults["along_strike"][j]
        down_dip = offset @ faults["down_dip"][j]
        across = offset @ faults["normals"][j]
        on_rectangle = (np.abs(along) <= 0.5 * faults["length"][j]) & (
            np.abs(down_dip) <= 0.5 * faults["width"][j]
        )
        with np.errstate(divide="ignore"):
            columns.append(
                np.log(counts[j] / n)
                - np.log(faults["length"][j] * faults["width"][j])
                + np.log(on_rectangle)
                - 0.5 * (across / sigma) ** 2
                - np.log(sigma * np.sqrt(2.0 * np.pi))
            )
    in_domain = np.all((X >= 0.0) & (X <= domain), axis=1)
    with np.errstate(divide="ignore"):
        columns.append(
            np.log(in_domain) + np.log((n - counts.sum()) / n / np.prod(domain))
        )
    best = np.argmax(np.column_stack(columns), axis=1)
    return np.where(best == counts.shape[0], -1, best)


def networks(seeds, density, error):
    for seed in seeds:
        X, y, faults = make_fault_network(
            20,
            density=density,
            background_fraction=0.1,
            location_error_km=error,
            scatter="normal",
            return_faults=True,
            random_state=seed,
        )
        yield seed, X, y, faults


def bayes_gap_table(seeds, density):
    print(
        f"\n§3.2 networks, density {density} /km^2, 0.5 km normal scatter, 10 % "
        "background: ARI (Gaussians in the model)"
    )
    header = "seed  events  Bayes   " + "  ".join(f"{k:>15s}" for k in KERNELS)
    print(header)
    gaps = {k: [] for k in KERNELS}
    aris = {k: [] for k in KERNELS}
    for seed, X, y, faults in networks(seeds, density, 0.5):
        bayes = adjusted_rand_score(y, bayes_labels(X, faults))
        cells = []
        for kernel in KERNELS:
            model = FaultNetworkAgglomerative(kernel=kernel).fit(X)
            ari = adjusted_rand_score(y, model.labels_)
            gaps[kernel].append(bayes - ari)
            aris[kernel].append(ari)
            cells.append(f"{ari:.4f} ({model.means_.shape[0]:2d})")
        print(f"{seed:4d}  {X.shape[0]:6d}  {bayes:.4f}  " + "  ".join(cells))
    for kernel in KERNELS:
        g = np.array(gaps[kernel])
        print(
            f"{kernel:>8s}: gap to Bayes mean {g.mean():.4f}, min {g.min():.4f}, "
            f"max {g.max():.4f}; lowest ARI {min(aris[kernel]):.4f}"
        )


def exact_planes_table(seeds, density):
    print(f"\nsame networks, events exactly on the planes (density {density})")
    for kernel in KERNELS:
        aris = []
        for _, X, y, _ in networks(seeds, density, 0.0):
            model = FaultNetworkAgglomerative(kernel=kernel).fit(X)
            aris.append(adjusted_rand_score(y, model.labels_))
        print(
            f"{kernel:>8s}: ARI "
            + " ".join(f"{a:.4f}" for a in aris)
            + f"; lowest {min(aris):.4f}"
        )


def landers_table():
    import pandas as pd

    path = SHARED / "landers" / "hypocentres.csv"
    if not path.exists():
        print("\nLanders: ../shared/data absent, skipped")
        return
    X = pd.read_csv(path)[["x_km", "y_km", "z_km"]].to_numpy()
    print("\nLanders, 3,360 events")
    for criterion in ("global", "local"):
        for kernel in KERNELS:
            t0 = time.process_time()
            model = FaultNetworkAgglomerative(criterion, kernel=kernel).fit(X)
            cpu = time.process_time() - t0
            print(
                f"{criterion:>6s} {kernel:>8s}: capacity {model.holding_capacity_}, "
                f"{model.means_.shape[0]} kernels ({int(model.is_plane_.sum())} "
                f"planes), background {model.backgrounds_['weight'].sum():.3f}, "
                f"merging BIC {model.bic_path_[-2]:.1f}, returned model BIC "
                f"{model.bic_:.1f}, {cpu:.2f} s CPU"
            )


def calaveras_score():
    import pandas as pd

    from skgeoclust.preprocessing import GeoToCartesian

    path = SHARED / "ncal_dd" / "catalog.csv.gz"
    if not path.exists():
        print("\nCalaveras: ../shared/data absent, skipped")
        return
    df = pd.read_csv(path, parse_dates=["time"])
    df = df[
        df.lat.between(37.2, 37.6) & df.lon.between(-121.9, -121.5) & (df.depth_km < 20)
    ]
    cols = ["lat", "lon", "depth_km"]
    train = df[(df.time >= "2012") & (df.time < "2016")][cols]
    target = df[(df.time >= "2016") & (df.mag >= 2.0)][cols]
    to_km = GeoToCartesian().fit(train)
    train, target = to_km.transform(train), to_km.transform(target)
    print(
        f"\nCalaveras §5: fit {len(train)} events of 2012-2015, score "
        f"{len(target)} M >= 2 events of 2016-2023 (mean log density per target)"
    )
    for kernel in KERNELS:
        model = FaultNetworkAgglomerative(kernel=kernel).fit(train)
        scores = model.score_samples(target)
        outside = ~np.any(
            [
                np.all(
                    np.abs((target - c) @ a.T) <= h * (1 + 1e-9),
                    axis=1,
                )
                for c, a, h in zip(
                    model.backgrounds_["center"],
                    model.backgrounds_["axes"],
                    model.backgrounds_["half_extents"],
                )
            ],
            axis=0,
        )
        print(
            f"{kernel:>8s}: {scores.mean():.3f} (targets outside every background "
            f"box: {int(outside.sum())}, their mean {scores[outside].mean():.2f})"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--density", type=float, default=1.0)
    parser.add_argument(
        "--exact-densities",
        type=float,
        nargs="+",
        default=[0.5, 1.0],
        help="densities of the exact-planes networks",
    )
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["bayes", "exact", "landers", "calaveras"],
        choices=["bayes", "exact", "landers", "calaveras"],
    )
    args = parser.parse_args(argv)
    if "bayes" in args.parts:
        bayes_gap_table(args.seeds, args.density)
    if "exact" in args.parts:
        for density in args.exact_densities:
            exact_planes_table(args.seeds, density)
    if "landers" in args.parts:
        landers_table()
    if "calaveras" in args.parts:
        calaveras_score()


if __name__ == "__main__":
    main()
