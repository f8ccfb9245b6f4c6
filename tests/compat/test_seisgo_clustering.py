"""SeisGo-compatible functions: same arguments, outputs a SeisGo script reads."""

import os

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.metrics import adjusted_rand_score

from skgeoclust.cluster import ProfileClusteringResult
from skgeoclust.compat.seisgo import clustering
from skgeoclust.datasets import make_velocity_model


@pytest.fixture
def model():
    return make_velocity_model(12, 14, 31, n_provinces=3, random_state=3)


def test_vpcluster_kmean_saves_seisgo_named_pickle(tmp_path, model):
    lat, lon, dep, v, prov = model
    figbase = str(tmp_path / "my_model")
    out = clustering.vpcluster_kmean(
        lat,
        lon,
        dep,
        v,
        ncluster=3,
        spacing=1,
        zrange=[0, 150],
        dz=5.0,
        plot=False,
        save=True,
        figbase=figbase,
        source="tomography",
        tag="Vs",
    )
    path = f"{figbase}_clusters_k3_results.pk"
    assert os.path.exists(path)
    back = ProfileClusteringResult.load(path)
    assert back["source"] == "tomography" and back["para"]["n_clusters"] == 3
    # Deepest model depth within [0, 150] is 146.7 km: the 5 km grid stops at 145.
    assert_array_equal(back["depth"], np.arange(0, 146, 5.0))
    cmap = out["cluster_map"]
    truth = prov.ravel()
    assert adjusted_rand_score(truth, cmap.cluster) == 1.0


def test_vpcluster_kmean_auto_k(model):
    lat, lon, dep, v, _ = model
    out = clustering.vpcluster_kmean(
        lat,
        lon,
        dep,
        v,
        ncluster=None,
        nrange=np.arange(2, 10),
        plot=False,
        save=False,
        evaluate_smooth=False,
    )
    assert out["para"]["n_clusters"] == 3
    assert len(out["para"]["sum_square"]) == 8
    # SeisGo's 3-point box smoothing blunts a sharp knee and moves it one k later.
    smoothed = clustering.vpcluster_kmean(
        lat,
        lon,
        dep,
        v,
        ncluster=None,
        nrange=np.arange(2, 10),
        plot=False,
        save=False,
        evaluate_smooth=True,
    )
    assert smoothed["para"]["n_clusters"] == 4


def test_vpcluster_evaluate_kmean_accepts_tslearn_dataset(model):
    v = model[3]
    ts = v.reshape(v.shape[0], -1).T[:, :, None]  # tslearn (n, sz, 1)
    nbest, ys = clustering.vpcluster_evaluate_kmean(ts, np.arange(2, 9), plot=False)
    assert nbest == 3 and ys.shape == (7,)


def test_vpcluster_som_labels_match_pred_and_figures(tmp_path, model):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    lat, lon, dep, v, prov = model
    figbase = str(tmp_path / "som_model")
    out = clustering.vpcluster_som(
        lat,
        lon,
        dep,
        v,
        niteration=5000,
        plot=True,
        savefig=True,
        figbase=figbase,
        save=True,
        n_clusters=3,
        random_state=0,
    )
    nx, ny = out["para"]["nx"], out["para"]["ny"]
    assert os.path.exists(f"{figbase}_clusters_k{nx}x{ny}_results.pk")
    assert os.path.exists(f"{figbase}_clusters_k3.png")
    assert os.path.exists(f"{figbase}_clustermap_k3.png")
    cmap = out["cluster_map"]
    for k, members in enumerate(out["pred"], start=1):
        assert members.shape[0] == (cmap.cluster == k).sum()
    assert adjusted_rand_score(prov.ravel(), cmap.cluster) > 0.95


@pytest.mark.parametrize("ncluster", [2.7, 0, True, "three"])
def test_ncluster_must_be_a_whole_number(model, ncluster):
    # issue 16 #12: ncluster=2.7 silently became 2
    lat, lon, dep, v, _ = model
    with pytest.raises(ValueError, match="ncluster must hold whole numbers"):
        clustering.vpcluster_kmean(lat, lon, dep, v, ncluster=ncluster, plot=False)
    with pytest.raises(ValueError, match=r"nrange must hold whole numbers .* 2\.5"):
        clustering.vpcluster_evaluate_kmean(v.reshape(31, -1).T, [2, 2.5, 4])
