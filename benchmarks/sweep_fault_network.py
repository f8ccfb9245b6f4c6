"""Sensitivity sweep of Kamer et al. (2020) §3.2 / Fig. 5 for FaultNetworkAgglomerative.

Twenty random planes (``make_fault_network``) sampled at increasing density, with
5, 10 and 20 % uniform background; points exactly on the planes ("exact"), with
0.5 km Gaussian location scatter ("scatter"), or drawn from Gaussians with the
planes' second moments ("gaussian", Fig. 5b). Prints the adjusted and plain Rand
indices against the ground truth (planes plus background) and draws Fig. 5::

    python benchmarks/sweep_fault_network.py --densities 0.25 0.5 0.75 1.0 1.25 \\
        --modes exact scatter gaussian --criteria global --plot sweep.png

The paper's full grid is ``--densities`` 0.1 ... 2.0 in 15 steps (up to 14,475
events per set). Do not commit the plot or the printed table.
"""

import argparse
import time

from sklearn.metrics import adjusted_rand_score, rand_score

from skgeoclust.cluster import FaultNetworkAgglomerative
from skgeoclust.datasets import make_fault_network

MODES = {
    "exact": dict(location_error_km=0.0, kernel="rectangle"),
    "scatter": dict(location_error_km=0.5, kernel="rectangle"),
    "gaussian": dict(location_error_km=0.0, kernel="gaussian"),
}


def run(densities, backgrounds, modes, criteria, seed):
    rows = []
    for mode in modes:
        for bg in backgrounds:
            for density in densities:
                X, y = make_fault_network(
                    20,
                    density=density,
                    background_fraction=bg,
                    random_state=seed,
                    **MODES[mode],
                )
                for criterion in criteria:
                    t0 = time.perf_counter()
                    model = FaultNetworkAgglomerative(criterion).fit(X)
                    seconds = time.perf_counter() - t0
                    row = dict(
                        mode=mode,
                        background=bg,
                        density=density,
                        n=len(X),
                        criterion=criterion,
                        capacity=model.holding_capacity_,
                        kernels=model.means_.shape[0],
                        ari=adjusted_rand_score(y, model.labels_),
                        ri=rand_score(y, model.labels_),
                        seconds=seconds,
                    )
                    rows.append(row)
                    print(
                        "{mode:8s} bg={background:.2f} density={density:.2f} "
                        "n={n:6d} {criterion:12s} capacity={capacity:5d} "
                        "kernels={kernels:3d} ARI={ari:.3f} RI={ri:.3f} "
                        "{seconds:.1f}s".format(**row),
                        flush=True,
                    )
    return rows


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = sorted({r["mode"] for r in rows}, key=list(MODES).index)
    fig, axes = plt.subplots(
        1, len(modes), figsize=(5 * len(modes), 4), sharey=True, squeeze=False
    )
    shades = {0.05: "0.7", 0.1: "0.4", 0.2: "0.0"}
    for ax, mode in zip(axes[0], modes):
        for bg in sorted({r["background"] for r in rows}):
            for criterion, style in (
                ("global", "-"),
                ("local", "--"),
                ("local_global", ":"),
            ):
                sel = [
                    r
                    for r in rows
                    if r["mode"] == mode
                    and r["background"] == bg
                    and r["criterion"] == criterion
                ]
                if not sel:
                    continue
                sel.sort(key=lambda r: r["density"])
                ax.plot(
                    [r["density"] for r in sel],
                    [r["ari"] for r in sel],
                    style,
                    marker="o",
                    color=shades.get(bg, "C0"),
                    label=f"{criterion}, {bg:.0%} background",
                )
        ax.axhline(0.95, color="r", lw=0.5)
        ax.set_title(mode)
        ax.set_xlabel("points per km$^2$")
    axes[0, 0].set_ylabel("adjusted Rand index")
    axes[0, -1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"plot written to {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--densities", type=float, nargs="+", default=[0.25, 0.5, 0.75, 1.0, 1.25]
    )
    parser.add_argument(
        "--backgrounds", type=float, nargs="+", default=[0.05, 0.1, 0.2]
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["exact", "scatter", "gaussian"],
        choices=list(MODES),
    )
    parser.add_argument(
        "--criteria",
        nargs="+",
        default=["global"],
        choices=["global", "local", "local_global"],
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plot", default=None, help="PNG path for the Fig. 5 plot")
    args = parser.parse_args(argv)
    rows = run(args.densities, args.backgrounds, args.modes, args.criteria, args.seed)
    worst = min(rows, key=lambda r: r["ari"])
    print(
        f"minimum ARI {worst['ari']:.3f} ({worst['mode']}, bg={worst['background']}, "
        f"density={worst['density']}, {worst['criterion']})"
    )
    if args.plot:
        plot(rows, args.plot)


if __name__ == "__main__":
    main()
