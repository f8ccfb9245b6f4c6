"""ProfileClusteringResult: SeisGo keys, pred/cluster_map agree, save/load, figures."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skgeoclust.cluster import ProfileKMeans, ProfileSOM
from skgeoclust.compat import ProfileClusteringResult
from skgeoclust.datasets import make_velocity_model
from skgeoclust.preprocessing import extract_profiles


@pytest.fixture
def profiles():
    lat, lon, depth, model, _ = make_velocity_model(
        8, 9, 12, n_provinces=3, nan_fraction=0.1, random_state=0
    )
    with pytest.warns(UserWarning, match="hold NaN"):
        return extract_profiles(lat, lon, depth, model)


@pytest.mark.parametrize(
    "method, estimator",
    [
        ("k-means", ProfileKMeans(3, random_state=0)),
        ("som", ProfileSOM((4, 4), n_iterations=500, random_state=0)),
    ],
)
def test_keys_pred_and_cluster_map_agree(profiles, method, estimator):
    est = estimator.fit(profiles.X)
    res = ProfileClusteringResult(method, est, profiles, source="synthetic", tag="Vs")
    seisgo_outdict_keys = "method source tag depth model pred para cluster_map"
    for key in seisgo_outdict_keys.split():
        assert key in res and res[key] is not None
    cmap = res["cluster_map"]
    assert list(cmap.columns) == ["lat", "lon", "cluster"]
    assert len(res["pred"]) == cmap.cluster.max() == est.n_clusters_
    for k, members in enumerate(res["pred"], start=1):
        assert members.shape == ((cmap.cluster == k).sum(), profiles.depth.size)
    assert_array_equal(cmap.lat, profiles.lat)


@pytest.mark.parametrize("suffix", [".npz", ".pk"])
@pytest.mark.parametrize(
    "estimator",
    [
        ProfileKMeans(3, random_state=0),
        ProfileSOM(n_clusters=3, n_iterations=500, random_state=0),
    ],
)
def test_save_load_round_trip(tmp_path, profiles, suffix, estimator):
    est = estimator.fit(profiles.X)
    res = ProfileClusteringResult("x", est, profiles, para={"n": 3, "r": np.arange(2)})
    back = ProfileClusteringResult.load(res.save(tmp_path / f"r{suffix}"))
    assert_array_equal(back.labels, res.labels)
    assert_array_equal(back.data, res.data)
    assert_array_equal(back.excluded["lat"], res.excluded["lat"])
    assert back.tag == res.tag and back.para["n"] == 3
    assert_array_equal(back.model.predict(profiles.X), est.labels_)
    assert back.model.get_params() == est.get_params()


def test_load_reads_pickles_naming_the_former_module(tmp_path, profiles):
    # results pickled before the class moved to skgeoclust.compat name
    # skgeoclust.cluster._profile_results
    res = ProfileClusteringResult("k-means", ProfileKMeans(2).fit(profiles.X), profiles)
    text = pickle.dumps(res, protocol=0)  # classes as text lines c<module> <name>
    here = b"cskgeoclust.compat._profile_results\nProfileClusteringResult\n"
    assert text.count(here) == 1
    text = text.replace(
        here, b"cskgeoclust.cluster._profile_results\nProfileClusteringResult\n"
    )
    path = tmp_path / "old.pk"
    path.write_bytes(text)
    back = ProfileClusteringResult.load(path)
    assert type(back) is ProfileClusteringResult
    assert_array_equal(back.labels, res.labels)


def test_unknown_format(tmp_path, profiles):
    res = ProfileClusteringResult("k-means", ProfileKMeans(2).fit(profiles.X), profiles)
    with pytest.raises(ValueError, match=r"Unknown result format '\.txt'"):
        res.save(tmp_path / "r.txt")


def test_figures_are_written(tmp_path, profiles):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    res = ProfileClusteringResult(
        "k-means",
        ProfileKMeans(3, random_state=0).fit(profiles.X),
        profiles,
        tag="Vs (km/s)",
    )
    paths = res.save_figures(str(tmp_path / "model"))
    assert [p.rsplit("/", 1)[-1] for p in paths] == [
        "model_clusters_k3.png",
        "model_clustermap_k3.png",
    ]
    fig = res.plot_profiles()
    assert fig.axes[0].yaxis_inverted()  # depth increases downward
