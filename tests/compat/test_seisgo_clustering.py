"""SeisGo-compatible functions: same arguments, outputs a SeisGo script reads."""

import os
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.metrics import adjusted_rand_score

from skgeoclust.compat import ProfileClusteringResult
from skgeoclust.compat.seisgo import clustering
from skgeoclust.datasets import make_velocity_model


@pytest.fixture
def model():
    return make_velocity_model(12, 14, 31, n_provinces=3, random_state=3)


def test_vpcluster_kmean_saves_seisgo_named_pickle(tmp_path, model):
    lat, lon, dep, v, prov = model
    figbase = str(tmp_path / "my_model")
    out = clustering.vpcluster_kmean(
        lat, lon, dep, v, ncluster=3, spacing=1, zrange=[0, 150], dz=5.0, plot=False,
        save=True, figbase=figbase, source="tomography", tag="Vs",
    )  # fmt: skip
    assert out is None  # as SeisGo: with save=True the result is in the pickle
    path = f"{figbase}_clusters_k3_results.pk"
    assert os.path.exists(path)
    back = ProfileClusteringResult.load(path)
    assert back["source"] == "tomography" and back["para"]["n_clusters"] == 3
    # Deepest model depth within [0, 150] is 146.7 km: SeisGo's 5 km grid,
    # arange(0, 146.7 + 2.5, 5), stops at 145.
    assert_array_equal(back["depth"], np.arange(0, 146, 5.0))
    cmap = back["cluster_map"]
    truth = prov.ravel()
    assert adjusted_rand_score(truth, cmap.cluster) == 1.0


# SeisGo's 3-point box smoothing blunts a sharp knee and moves it one k later.
@pytest.mark.parametrize("evaluate_smooth, k", [(False, 3), (True, 4)])
def test_vpcluster_kmean_auto_k(model, evaluate_smooth, k):
    lat, lon, dep, v, _ = model
    out = clustering.vpcluster_kmean(
        lat, lon, dep, v, ncluster=None, nrange=np.arange(2, 10), plot=False,
        save=False, evaluate_smooth=evaluate_smooth,
    )  # fmt: skip
    assert out["para"]["n_clusters"] == k
    assert len(out["para"]["sum_square"]) == 8


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
        lat, lon, dep, v, niteration=5000, plot=True, savefig=True, figbase=figbase,
        save=True, n_clusters=3, random_state=0,
    )  # fmt: skip
    assert out is None
    out = ProfileClusteringResult.load(f"{figbase}_clusters_k4x4_results.pk")
    nx, ny = out["para"]["nx"], out["para"]["ny"]
    assert (nx, ny) == (4, 4)
    assert os.path.exists(f"{figbase}_clusters_k3.png")
    assert os.path.exists(f"{figbase}_clustermap_k3.png")
    cmap = out["cluster_map"]
    for k, members in enumerate(out["pred"], start=1):
        assert members.shape[0] == (cmap.cluster == k).sum()
    assert adjusted_rand_score(prov.ravel(), cmap.cluster) > 0.95


@pytest.mark.parametrize("ncluster", [2.7, 0, True, "three"])
def test_ncluster_must_be_a_whole_number(model, ncluster, tmp_path, monkeypatch):
    # issue 16 #12: ncluster=2.7 silently became 2
    monkeypatch.chdir(tmp_path)  # the unfixed code saved a pickle here
    lat, lon, dep, v, _ = model
    with pytest.raises(ValueError, match="ncluster must hold whole numbers"):
        clustering.vpcluster_kmean(lat, lon, dep, v, ncluster=ncluster, plot=False)
    with pytest.raises(ValueError, match=r"nrange must hold whole numbers .* 2\.5"):
        clustering.vpcluster_evaluate_kmean(v.reshape(31, -1).T, [2, 2.5, 4])


def test_kmeans_result_has_seisgo_shapes(model):
    # issue 16 #13: pred[k] of shape (1, n_z, n_k), inertia_ as tslearn's mean
    lat, lon, dep, v, _ = model
    out = clustering.vpcluster_kmean(
        lat, lon, dep, v, ncluster=3, zrange=[0, 150], dz=4.0, plot=False, save=False
    )
    n_z = out["depth"].size
    # SeisGo's grid arange(0, 146.7 + 2, 4) ends at 148, past the deepest depth,
    # where the profile holds the value at 146.7 km (np.interp's behaviour)
    assert_array_equal(out["depth"], np.arange(0, 146.7 + 2.0, 4.0))
    assert out["depth"][-1] == 148.0
    assert_array_equal(out["data"][:, -1], v[dep <= 150][-1].ravel())
    sizes = np.bincount(out["labels"])
    for k, members in enumerate(out["pred"]):
        assert members.shape == (1, n_z, sizes[k])
        assert_array_equal(members[0].T, out["data"][out["labels"] == k])
    km = out["model"]
    d2 = ((out["data"] - km.cluster_centers_[out["labels"]]) ** 2).sum(axis=1)
    assert km.inertia_ == pytest.approx(d2.mean())


def test_global_grid_keeps_seisgo_shapes(s362anim_velocity_model):
    # issue 16 #13: on S362ANI+M, 449 repeated nodes (the 180 meridian and the
    # pole rows) were dropped: 16,022 map entries instead of SeisGo's 16,471 and
    # the automatic k changed from 8 to 7
    m = s362anim_velocity_model
    args = (m["lat"], m["lon"], m["depth"], m["vs"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing merged, nothing to say
        out = clustering.vpcluster_kmean(*args, plot=False, save=False)
    cmap = out["cluster_map"]
    assert len(cmap) == 91 * 181 == 16471
    assert_array_equal(cmap["lat"].to_numpy().reshape(91, 181)[:, 0], m["lat"])
    assert_array_equal(cmap["lon"].to_numpy().reshape(91, 181)[0], m["lon"])
    assert out["para"]["n_clusters"] == 8
    grid = cmap["cluster"].to_numpy().reshape(91, 181)
    assert_array_equal(grid[:, 0], grid[:, -1])  # -180 and 180: one meridian
    assert (grid[0] == grid[0, 0]).all() and (grid[-1] == grid[-1, 0]).all()
    with pytest.warns(UserWarning, match="449 of 16471 grid profiles repeat"):
        merged = clustering.vpcluster_kmean(
            *args, ncluster=8, plot=False, save=False, merge_duplicates=True
        )
    assert len(merged["cluster_map"]) == 16022
    assert merged["excluded"]["lat"].size == 449
    som = clustering.vpcluster_som(
        *args, niteration=2000, plot=False, save=False, random_state=0
    )
    assert len(som["cluster_map"]) == 16471
