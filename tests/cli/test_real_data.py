"""The command on the real catalogs of ../shared/data (skipped when absent)."""

import json

import numpy as np
import pandas as pd
import pytest

from skgeoclust.cli import main
from skgeoclust.metrics import morisita_slope

pytest.importorskip("matplotlib")


PAPER_BOX = "42.3021,52.1283,37.1765,43.2183,0,112.1"  # equation (2) of the paper


def test_seismicity_azerbaijan_reproduces_table_1(azerbaijan_catalog, tmp_path, capsys):
    path = tmp_path / "az.csv"
    azerbaijan_catalog.to_csv(path, index=False)
    out = tmp_path / "r"
    argv = ["seismicity", "-i", str(path), "-o", str(out), "-q",
            "--box", PAPER_BOX, "--outside-box", "exclude",
            "--eps", "0.05:0.09:0.01", "--min-samples", "80,90,120,150,190,200",
            "--algorithms", "dbscan", "--morisita-cells-3d", "2:30"]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    labels = pd.read_csv(out / "labels.csv")
    assert len(labels) == len(azerbaijan_catalog) == 6196  # every row, in order
    outside = labels["label"] == -2
    assert outside.sum() == 5  # events of the published file outside the box
    # Table 1: (eps, min_samples) of the best silhouette for 2 .. 7 clusters
    best = pd.read_csv(out / "best_partitions.csv").set_index("n_clusters")
    table_1 = {2: (0.09, 190), 3: (0.07, 120), 4: (0.08, 200),
               5: (0.06, 150), 6: (0.05, 80), 7: (0.05, 90)}  # fmt: skip
    for k, (eps, min_samples) in table_1.items():
        assert (best.loc[k, "eps"], best.loc[k, "min_samples"]) == (eps, min_samples)
    # Morisita slopes of Section 3 (study page: p = -0.720 and -1.225)
    fits = json.loads((out / "morisita_fit.json").read_text())
    assert fits["2-D epicentres"]["slope"] == pytest.approx(-0.720, abs=0.002)
    assert fits["3-D hypocentres"]["slope"] == pytest.approx(-1.225, abs=0.002)
    # the report's fit is the library's on the same box-scaled points
    X = azerbaijan_catalog.loc[~outside.to_numpy(), ["lon", "lat"]].to_numpy()
    lo, hi = np.array([42.3021, 37.1765]), np.array([52.1283, 43.2183])
    fit = morisita_slope((X - lo) / (hi - lo), range(2, 101), bounds=[[0, 0], [1, 1]])
    assert fits["2-D epicentres"]["slope"] == pytest.approx(fit.slope, rel=1e-9)


def test_events_outside_the_box_stop_the_command(azerbaijan_catalog, tmp_path, capsys):
    path = tmp_path / "az.csv"
    azerbaijan_catalog.to_csv(path, index=False)
    assert main(["seismicity", "-i", str(path), "--box", PAPER_BOX]) == 2
    err = capsys.readouterr().err
    assert "outside --box" in err and "--outside-box exclude" in err


def test_profiles_s362anim(s362anim_velocity_model, tmp_path, capsys):
    path = tmp_path / "vm.npz"
    np.savez(path, **s362anim_velocity_model)
    argv = ["profiles", "-i", str(path), "-o", str(tmp_path / "r"), "-q",
            "--spacing", "6", "--method", "kmeans", "--n-clusters", "4",
            "--n-init", "1"]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())["summary"]
    # 16 x 31 nodes at stride 6; the repeated meridian and pole nodes are reported
    assert summary["profiles"] + summary["excluded grid nodes"] == 16 * 31
    assert summary["excluded grid nodes"] > 0
    assert summary["depths per profile"] == 25
