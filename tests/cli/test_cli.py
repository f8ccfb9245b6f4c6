"""End-to-end runs of every ``skgeoclust`` subcommand on small generated inputs."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skgeoclust.cli import _with_default_subcommand, main
from skgeoclust.datasets import make_seismicity_catalog, make_velocity_model

pytest.importorskip("matplotlib")

SMALL_SEISMICITY = [
    "--n-samples", "400", "--n-clusters-true", "3",
    "--eps", "0.05,0.1,0.15", "--min-samples", "10,20",
    "--min-cluster-size", "15,30", "--morisita-cells", "2:20",
    "--morisita-cells-3d", "2:8",
]  # fmt: skip


def _run(argv, capsys):
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def _check_report(folder):
    """index.html links only files that exist; every PNG and CSV is linked."""
    folder = Path(folder)
    page = (folder / "index.html").read_text()
    links = set(re.findall(r'(?:href|src)="([^"]+)"', page))
    assert links, "the page links nothing"
    for link in links:
        assert not link.startswith(("http:", "https:", "//")), link
        assert (folder / link).is_file(), f"broken link {link}"
    for path in folder.iterdir():
        if path.suffix in (".png", ".csv", ".json", ".npy", ".npz"):
            assert path.name in links, f"{path.name} is not linked from index.html"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["summary"]
    return summary


def test_seismicity_generated(tmp_path, capsys):
    status, out, err = _run(
        ["seismicity", *SMALL_SEISMICITY, "--output", str(tmp_path)], capsys
    )
    assert status == 0, err
    assert f"report: {tmp_path.resolve() / 'index.html'}" in out
    assert "DBSCAN sweep (6 partitions)" in err  # progress lines with elapsed time
    assert re.search(r"\[\s+\d+\.\d s\]", err)
    summary = _check_report(tmp_path)
    for name in ("morisita", "silhouette_dbscan", "silhouette_hdbscan",
                 "partition_map", "depth_mixtures", "ari_matrix"):  # fmt: skip
        assert (tmp_path / f"{name}.png").stat().st_size > 5000
    labels = pd.read_csv(tmp_path / "labels.csv")
    assert labels["row"].tolist() == list(range(1, 401))  # every event, in order
    assert set(labels["label"]) <= set(range(-1, 400))
    sweep = pd.read_csv(tmp_path / "sweep_dbscan.csv")
    assert len(sweep) == 6 and {"eps", "min_samples", "silhouette"} <= set(sweep)
    assert summary["summary"]["chosen: clusters"] >= 2
    # the chosen partition is the best silhouette of the best-partitions table
    best = pd.read_csv(tmp_path / "best_partitions.csv")
    assert summary["summary"]["chosen: silhouette"] == pytest.approx(
        best["silhouette"].max()
    )


def test_seismicity_reproducible_and_quiet(tmp_path, capsys):
    argv = ["seismicity", *SMALL_SEISMICITY, "--algorithms", "dbscan", "-q"]
    assert main([*argv, "-o", str(tmp_path / "a")]) == 0
    assert main([*argv, "-o", str(tmp_path / "b")]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    a = pd.read_csv(tmp_path / "a" / "labels.csv")
    b = pd.read_csv(tmp_path / "b" / "labels.csv")
    pd.testing.assert_frame_equal(a, b)
    assert not (tmp_path / "a" / "sweep_hdbscan.csv").exists()


def test_seismicity_csv_with_mapped_columns(tmp_path, capsys):
    X, _ = make_seismicity_catalog(
        300, n_clusters=3, region=(30, 35, 130, 135), random_state=0
    )
    path = tmp_path / "cat.csv"
    pd.DataFrame(
        {
            "time": np.arange(300),
            "LAT_DEG": X[:, 0],
            "LON_DEG": X[:, 1],
            "dep_m": X[:, 2] * 1000,
        }
    ).to_csv(path, index=False)
    status, _out, err = _run(
        ["seismicity", "-i", str(path), "-o", str(tmp_path / "r"),
         "--lat-col", "LAT_DEG", "--lon-col", "LON_DEG", "--depth-col", "dep_m",
         "--depth-unit", "m", "--eps", "0.1", "--min-samples", "10",
         "--algorithms", "dbscan", "--morisita-cells", "2:10",
         "--morisita-cells-3d", "2:5"],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    labels = pd.read_csv(tmp_path / "r" / "labels.csv")
    np.testing.assert_allclose(labels["depth_km"], X[:, 2])
    np.testing.assert_allclose(labels["lat"], X[:, 0])


def test_no_partition_found_is_reported(tmp_path, capsys):
    status, _, err = _run(
        ["seismicity", *SMALL_SEISMICITY[:4], "--eps", "0.001", "--min-samples", "50",
         "--algorithms", "dbscan", "--morisita-cells", "2:10",
         "--morisita-cells-3d", "2:5", "-o", str(tmp_path)],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    summary = _check_report(tmp_path)
    assert any("No partition" in note for note in summary["notes"])


def test_faults_generated_and_xyz(tmp_path, capsys):
    status, _, err = _run(
        ["faults", "--n-samples", "400", "--n-faults", "3", "-o", str(tmp_path / "a")],
        capsys,
    )
    assert status == 0, err
    summary = _check_report(tmp_path / "a")
    planes = pd.read_csv(tmp_path / "a" / "fault_planes.csv")
    assert len(planes) == summary["summary"]["fault planes (Gaussian kernels)"] >= 1
    assert planes["dip_deg"].between(0, 90).all()
    assert planes["strike_deg"].between(0, 360).all()
    events = pd.read_csv(tmp_path / "a" / "labels.csv")
    assert len(events) == 400 and events["kernel"].min() >= -1
    # the same events as Cartesian km columns give the same planes
    path = tmp_path / "xyz.csv"
    events[["east_km", "north_km", "depth_km"]].to_csv(path, index=False)
    status, _, err = _run(
        ["faults", "-i", str(path), "--xyz-cols", "east_km,north_km,depth_km",
         "-o", str(tmp_path / "b"), "-q"],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    again = pd.read_csv(tmp_path / "b" / "fault_planes.csv")
    np.testing.assert_allclose(
        again["strike_deg"], planes["strike_deg"], rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("case", ["three events", "1000 subsets"])
def test_faults_without_any_plane_reports_a_background_model(tmp_path, capsys, case):
    # issue 16 #5: "Found array with 0 sample(s)" when no plane survived
    if case == "three events":
        csv = tmp_path / "three.csv"
        csv.write_text(
            "lat,lon,depth\n34.0,-116.5,5\n34.01,-116.49,6\n34.02,-116.48,7\n"
        )
        argv = ["faults", "-i", str(csv)]
        n = 3
    else:
        argv = ["faults", "--n-samples", "100", "--n-subsets", "1000"]
        n = 100
    out = tmp_path / "report"
    status, _, err = _run([*argv, "-o", str(out), "-q"], capsys)
    assert status == 0, err
    summary = _check_report(out)
    assert summary["summary"]["fault planes (Gaussian kernels)"] == 0
    assert summary["summary"]["background events"] == n
    assert any("No fault plane survived" in note for note in summary["notes"])
    planes = pd.read_csv(out / "fault_planes.csv")
    assert len(planes) == 0 and {"lat", "lon", "strike_deg"} <= set(planes)
    labels = pd.read_csv(out / "labels.csv")
    assert len(labels) == n and (labels["kernel"] == -1).all()


def test_kmedoids_generated_and_csv_without_depth(tmp_path, capsys):
    status, _, err = _run(
        ["kmedoids", "--n-samples", "400", "--n-clusters-true", "10",
         "--max-span-km", "80", "-o", str(tmp_path / "a")],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    _check_report(tmp_path / "a")
    clusters = pd.read_csv(tmp_path / "a" / "clusters.csv")
    assert (clusters["span_km"] <= 80 + 1e-9).all()
    assert clusters["n_events"].sum() == 400
    X, _ = make_seismicity_catalog(200, n_clusters=5, random_state=1)
    path = tmp_path / "cat.parquet"
    pd.DataFrame({"latitude": X[:, 0], "longitude": X[:, 1]}).to_parquet(path)
    status, _, err = _run(
        ["kmedoids", "-i", str(path), "-o", str(tmp_path / "b"), "-q"], capsys
    )
    assert status == 0, err
    assert len(pd.read_csv(tmp_path / "b" / "labels.csv")) == 200


PROFILE_ARGS = ["--spacing", "3", "--k-range", "2:6", "--som-iterations", "2000"]


def test_profiles_generated(tmp_path, capsys):
    status, _, err = _run(["profiles", *PROFILE_ARGS, "-o", str(tmp_path)], capsys)
    assert status == 0, err
    summary = _check_report(tmp_path)
    k = summary["summary"]["k-means clusters"]
    for key in ("kmeans", "som"):
        cmap = pd.read_csv(tmp_path / f"cluster_map_{key}.csv")
        assert cmap["cluster"].between(1, k).all()
        assert (tmp_path / f"profiles_{key}.png").exists()
    from skgeoclust.compat import ProfileClusteringResult

    res = ProfileClusteringResult.load(tmp_path / "result_kmeans.npz")
    assert res.n_clusters == k


def test_profiles_npz_and_netcdf(tmp_path, capsys):
    lat, lon, depth, vs, _ = make_velocity_model(
        12, 15, 20, n_provinces=3, nan_fraction=0.05, random_state=0
    )
    npz = tmp_path / "model.npz"
    # axes in another order and m/s: the reader reorders and converts
    np.savez(npz, latitude=lat, longitude=lon, z=depth,
             vs=np.transpose(vs, (1, 2, 0)) * 1000)  # fmt: skip

    def run_profiles(path, out, *options):
        argv = ["-i", str(path), "--n-clusters", "3", *options, "-o", str(out), "-q"]
        status, _, err = _run(["profiles", *argv], capsys)
        assert status == 0, err

    run_profiles(npz, tmp_path / "a", "--velocity-unit", "m/s", "--method", "kmeans")
    summary = _check_report(tmp_path / "a")
    assert summary["summary"]["excluded grid nodes"] > 0  # NaN profiles reported
    assert (tmp_path / "a" / "excluded_nodes.csv").exists()
    xr = pytest.importorskip("xarray")
    nc = tmp_path / "model.nc"
    xr.Dataset(
        {"vs": (("depth", "lat", "lon"), vs)},
        coords={"depth": depth, "lat": lat, "lon": lon},
    ).to_netcdf(nc, engine="scipy")
    run_profiles(nc, tmp_path / "b", "--method", "som", "--som-iterations", "1000")
    assert len(pd.read_csv(tmp_path / "b" / "cluster_map_som.csv")) == len(
        pd.read_csv(tmp_path / "a" / "cluster_map_kmeans.csv")
    )


def test_stream_generated_shards(tmp_path, capsys):
    status, _, err = _run(
        ["stream", "--n-samples", "3000", "--n-shards", "3", "--n-clusters", "5",
         "--n-clusters-true", "5", "--batch-size", "256", "-o", str(tmp_path)],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    _check_report(tmp_path)
    labels = np.load(tmp_path / "labels.npy")
    assert labels.shape == (3000,) and labels.min() >= 0 and labels.max() < 5
    centers = pd.read_csv(tmp_path / "centers.csv")
    assert centers["n_rows"].sum() == 3000
    assert centers["depth_km"].between(-1, 700).all()
    assert len(list((tmp_path / "shards").glob("*.npy"))) == 3


def test_stream_generated_touches_no_other_file(tmp_path, capsys):
    # issue 16 #1: files the run did not write are neither removed nor streamed
    shards = tmp_path / "shards"
    shards.mkdir()
    np.save(shards / "part_keep_me.npy", np.ones((10, 3)))
    np.save(shards / "zz.npy", np.ones((5000, 3)))
    argv = ["stream", "--n-samples", "2000", "--n-clusters", "5", "-o", str(tmp_path)]
    status, _, err = _run([*argv, "--batch-size", "256", "-q"], capsys)
    assert status == 0, err
    assert np.load(tmp_path / "labels.npy").shape == (2000,)
    assert np.array_equal(np.load(shards / "part_keep_me.npy"), np.ones((10, 3)))
    assert np.load(shards / "zz.npy").shape == (5000, 3)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["summary"]["rows"] == 2000
    assert any("part_keep_me.npy, zz.npy" in note for note in summary["notes"])


@pytest.mark.parametrize("n_events", [30, 400, 1025])
def test_stream_defaults_work_on_small_catalogs(tmp_path, capsys, n_events):
    # issue 16 #7: --test-size 0.1 with --batch-size 1024 stopped a 400-event
    # catalog ("holds out 1 of 1 batches")
    cat, _ = make_seismicity_catalog(n_events, n_clusters=3, random_state=0)
    csv = tmp_path / "cat.csv"
    pd.DataFrame(cat, columns=["lat", "lon", "depth"]).to_csv(csv, index=False)
    status, _, err = _run(
        ["stream", "-i", str(csv), "-o", str(tmp_path / "r"), "-q"], capsys
    )
    assert status == 0, err
    summary = _check_report(tmp_path / "r")
    assert np.load(tmp_path / "r" / "labels.npy").shape == (n_events,)
    assert "held-out inertia" not in summary["summary"]
    assert any("No held-out test batches" in note for note in summary["notes"])


def test_stream_npy_parquet_and_catalog(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(c, 0.1, size=(200, 2)) for c in (0, 3, 6)])
    shards = tmp_path / "shards"
    shards.mkdir()
    for i, part in enumerate(np.array_split(X, 3)):
        np.save(shards / f"p{i}.npy", part)
    argv = ["--n-clusters", "3", "--batch-size", "64", "-q"]
    assert main(["stream", "-i", str(shards), "-o", str(tmp_path / "a"), *argv]) == 0
    assert np.unique(np.load(tmp_path / "a" / "labels.npy")).size == 3
    pq = tmp_path / "x.parquet"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": 0.0}).to_parquet(pq)
    assert main(["stream", "-i", str(pq), "--columns", "a,b",
                 "-o", str(tmp_path / "b"), *argv]) == 0  # fmt: skip
    centers = pd.read_csv(tmp_path / "b" / "centers.csv")
    assert {"a", "b"} <= set(centers) and "c" not in centers
    cat, _ = make_seismicity_catalog(500, n_clusters=3, random_state=0)
    csv = tmp_path / "cat.csv"
    pd.DataFrame(cat, columns=["lat", "lon", "depth"]).to_csv(csv, index=False)
    assert main(["stream", "-i", str(csv), "-o", str(tmp_path / "c"), *argv]) == 0
    centers = pd.read_csv(tmp_path / "c" / "centers.csv")
    assert {"lat", "lon", "depth_km"} <= set(centers)
    capsys.readouterr()


def test_default_subcommand():
    assert _with_default_subcommand([]) == ["seismicity"]
    assert _with_default_subcommand(["-q"]) == ["seismicity", "-q"]
    assert _with_default_subcommand(["faults"]) == ["faults"]
    assert _with_default_subcommand(["--version"]) == ["--version"]


def test_options_without_subcommand_run_seismicity(tmp_path, capsys):
    assert main([*SMALL_SEISMICITY, "--algorithms", "dbscan", "-o", str(tmp_path)]) == 0
    assert (
        "seismicity" in json.loads((tmp_path / "summary.json").read_text())["command"]
    )
    capsys.readouterr()


@pytest.mark.parametrize(
    "sub", ["seismicity", "faults", "kmedoids", "profiles", "stream"]
)
def test_help(sub, capsys):
    with pytest.raises(SystemExit) as exc:
        main([sub, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--input", "--output", "--quiet", "--n-jobs", "--random-state"):
        assert flag in out


def test_python_m_without_matplotlib(tmp_path):
    """``python -m skgeoclust`` runs; without matplotlib, tables and page only."""
    argv = ["skgeoclust", "kmedoids", "--n-samples", "200", "-o", str(tmp_path)]
    code = (
        "import runpy, sys\n"
        "sys.modules['matplotlib'] = None\n"  # makes `import matplotlib` fail
        f"sys.argv = {argv!r}\n"
        "runpy.run_module('skgeoclust', run_name='__main__', alter_sys=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == (
        f"report: {tmp_path.resolve() / 'index.html'}"
    )
    summary = _check_report(tmp_path)
    assert not list(tmp_path.glob("*.png"))
    assert any("matplotlib is not installed" in n for n in summary["notes"])
    assert len(pd.read_csv(tmp_path / "labels.csv")) == 200
