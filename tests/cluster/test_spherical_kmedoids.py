"""SphericalKMedoids: span-constrained k-medoids of epicentres on the sphere."""

import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from joblib import parallel_config
from numpy.testing import assert_allclose, assert_array_equal

from skgeoclust.cluster import SphericalKMedoids
from skgeoclust.cluster._spherical_delaunay import spherical_delaunay_edges
from skgeoclust.geometry import (
    EARTH_RADIUS_KM,
    latlon_to_unit_vectors,
    pairwise_haversine_km,
)

KM_PER_DEG = EARTH_RADIUS_KM * np.pi / 180.0
TOL_KM = 1e-6


# -- brute-force oracles (small n only) -----------------------------------------------


def _union_fits(dist, members, limit):
    return dist[np.ix_(members, members)].max() <= limit + TOL_KM


def _merge_blocked(dist, labels, medoids, a, b, limit):
    """No member of a | b, as the representative of the union with the other
    medoids fixed, leaves every cluster within the limit after reassignment."""
    union = np.flatnonzero((labels == a) | (labels == b))
    others = [medoids[c] for c in range(len(medoids)) if c not in (a, b)]
    for rep in union:
        reps = np.array([rep, *others])
        nearest = np.argmin(dist[:, reps], axis=1)
        if all(
            _union_fits(dist, np.flatnonzero(nearest == i), limit)
            for i in np.unique(nearest)
        ):
            return False
    return True


def assert_valid_clustering(X, km, limit, sample_weight=None):
    """Every property the algorithm guarantees, checked by brute force."""
    dist = pairwise_haversine_km(X[:, :2])
    labels, medoids, groups = km.labels_, km.medoid_indices_, km.groups_
    n = X.shape[0]
    k = km.n_clusters_
    assert labels.shape == (n,) and set(labels) == set(range(k))
    assert medoids.shape == (k,) and np.all(labels[medoids] == np.arange(k))
    assert_allclose(dist[medoids][:, medoids].diagonal(), 0.0)
    assert_allclose(
        pairwise_haversine_km(km.cluster_centers_, X[medoids]).diagonal(),
        0.0,
        atol=1e-9,
    )
    # Span of every cluster.
    for c in range(k):
        members = np.flatnonzero(labels == c)
        assert dist[np.ix_(members, members)].max() <= limit + TOL_KM
        assert km.spans_[c] == pytest.approx(
            dist[np.ix_(members, members)].max(), abs=1e-6
        )
    # Event groups: linked within the limit, separated by more than it.
    for g in np.unique(groups):
        inside = groups == g
        if not inside.all():
            assert dist[np.ix_(inside, ~inside)].min() > limit - TOL_KM
        assert (
            np.unique(groups[np.flatnonzero(np.isin(labels, labels[inside]))]).size == 1
        )
    # Consistency: each event belongs to its nearest medoid (within its group).
    to_medoids = dist[:, medoids]
    own = to_medoids[np.arange(n), labels]
    same_group = groups[:, None] == groups[medoids][None, :]
    assert np.all(own <= np.where(same_group, to_medoids, np.inf).min(axis=1) + TOL_KM)
    # Merge constraint: no two clusters of a group fit together, unless no choice
    # of representative for their union keeps the others consistent and in span.
    for a in range(k):
        for b in range(a + 1, k):
            if groups[medoids[a]] != groups[medoids[b]]:
                continue
            members = np.flatnonzero((labels == a) | (labels == b))
            if dist[np.ix_(members, members)].max() <= limit - TOL_KM:
                assert _merge_blocked(dist, labels, medoids, a, b, limit), (a, b)
    # Objective and predict.
    w = np.ones(n) if sample_weight is None else sample_weight
    assert km.inertia_ == pytest.approx(float(w @ own), rel=1e-9, abs=1e-9)
    assert_array_equal(km.predict(X), labels)


def _catalogs():
    """Small catalogs near a random centre (poles and antimeridian included), with
    duplicate epicentres, and a span limit."""

    @st.composite
    def build(draw):
        n = draw(st.integers(1, 30))
        lat0 = draw(st.sampled_from([0.0, 35.0, -60.0, 89.9, -90.0, 90.0]))
        lon0 = draw(st.sampled_from([0.0, 179.95, -180.0, 139.7]))
        spread = draw(st.sampled_from([0.001, 0.3, 1.0, 3.0]))
        seed = draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(seed)
        lat = np.clip(lat0 + rng.normal(0.0, spread, n), -90.0, 90.0)
        lon = lon0 + rng.normal(0.0, spread, n)
        X = np.column_stack([lat, lon])
        if draw(st.booleans()):  # duplicate epicentres
            X = X[rng.integers(0, max(1, n // 3), n)]
        limit = draw(st.sampled_from([20.0, 55.6, 150.0]))
        weights = rng.uniform(0.0, 3.0, n) if draw(st.booleans()) else None
        return X, limit, weights, seed

    return build()


# 1. results by hand ----------------------------------------------------------------


def test_two_far_apart_events_are_two_clusters():
    km = SphericalKMedoids(max_span_km=10.0).fit([[0.0, 0.0], [0.0, 1.0]])
    assert km.n_clusters_ == 2 and km.n_groups_ == 2
    assert_array_equal(km.spans_, [0.0, 0.0])
    assert km.inertia_ == 0.0


def test_three_events_on_a_line_make_one_cluster_with_the_middle_medoid():
    X = np.array([[0.0, 0.0], [0.0, 0.1], [0.0, 0.2]])
    km = SphericalKMedoids(max_span_km=25.0, random_state=0).fit(X)
    assert km.n_clusters_ == 1
    assert km.medoid_indices_.tolist() == [1]
    assert km.spans_[0] == pytest.approx(0.2 * KM_PER_DEG, rel=1e-9)
    assert km.inertia_ == pytest.approx(0.2 * KM_PER_DEG, rel=1e-9)


def test_a_line_longer_than_the_span_is_split_into_fitting_clusters():
    # Six events 0.1 degree (11.1 km) apart: one group, 55.6 km long, limit 25 km.
    X = np.column_stack([np.zeros(6), np.arange(6) * 0.1])
    km = SphericalKMedoids(max_span_km=25.0, random_state=0).fit(X)
    assert km.n_groups_ == 1
    assert km.n_clusters_ == 2
    assert len(set(km.labels_[:3])) == len(set(km.labels_[3:])) == 1
    assert km.labels_[0] != km.labels_[3]
    assert_valid_clustering(X, km, 25.0)


def test_half_degree_default_and_figure_setting():
    assert SphericalKMedoids().max_span_km == pytest.approx(0.5 * KM_PER_DEG, abs=0.01)


# 2. properties (hypothesis) ----------------------------------------------------------


@given(_catalogs())
def test_properties_hold_on_small_catalogs(case):
    X, limit, weights, seed = case
    km = SphericalKMedoids(max_span_km=limit, random_state=seed % 1000).fit(
        X, sample_weight=weights
    )
    assert_valid_clustering(X, km, limit, weights)


@given(_catalogs(), st.randoms(use_true_random=False))
def test_labels_are_permutation_equivariant(case, random):
    X, limit, weights, _ = case
    perm = np.array(random.sample(range(X.shape[0]), X.shape[0]))
    km = SphericalKMedoids(max_span_km=limit, random_state=0)
    labels = km.fit(X, sample_weight=weights).labels_
    w_perm = None if weights is None else weights[perm]
    assert_array_equal(km.fit(X[perm], sample_weight=w_perm).labels_, labels[perm])


@given(_catalogs(), st.integers(2, 4))
def test_integer_weights_equal_repeated_events(case, repeat):
    X, limit, _, seed = case
    weights = np.random.default_rng(seed).integers(1, repeat + 1, X.shape[0])
    km = SphericalKMedoids(max_span_km=limit, random_state=0)
    weighted = km.fit(X, sample_weight=weights)
    labels, inertia = weighted.labels_.copy(), weighted.inertia_
    repeated = km.fit(np.repeat(X, weights, axis=0))
    assert_array_equal(repeated.labels_[np.cumsum(weights) - 1], labels)
    assert repeated.inertia_ == pytest.approx(inertia, rel=1e-9, abs=1e-9)


def test_a_heavy_event_becomes_the_medoid():
    X = np.column_stack([np.zeros(5), np.arange(5) * 0.05])
    km = SphericalKMedoids(max_span_km=50.0, random_state=0)
    assert km.fit(X).medoid_indices_.tolist() == [2]
    weights = np.array([1.0, 1.0, 1.0, 1.0, 20.0])
    assert km.fit(X, sample_weight=weights).medoid_indices_.tolist() == [4]
    # Scaling every weight changes nothing but the objective.
    labels = km.fit(X, sample_weight=weights).labels_
    assert_array_equal(km.fit(X, sample_weight=3 * weights).labels_, labels)


def test_weights_shape_the_objective_with_many_clusters(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = np.column_stack([rng.uniform(30, 31.5, 400), rng.uniform(130, 131.5, 400)])
    weights = rng.pareto(1.5, 400) + 0.1
    km = SphericalKMedoids(max_span_km=40.0, random_state=0)
    km.fit(X, sample_weight=weights)
    assert_valid_clustering(X, km, 40.0, weights)


# 3. edge cases ------------------------------------------------------------------------


def test_one_event():
    km = SphericalKMedoids().fit([[12.0, 34.0, 10.0]])
    assert km.n_clusters_ == 1 and km.labels_.tolist() == [0]
    assert km.neighbor_graph_ == "complete"
    assert_array_equal(km.transform([[12.0, 34.0, 0.0]]), [[0.0]])


def test_all_events_identical():
    X = np.tile([[-33.4, -70.6]], (7, 1))
    km = SphericalKMedoids().fit(X)
    assert km.n_clusters_ == 1 and km.spans_.tolist() == [0.0]
    assert km.medoid_indices_.tolist() == [0]


def test_events_at_the_pole_share_one_site_whatever_their_longitude():
    X = np.array([[90.0, 0.0], [90.0, 120.0], [90.0, -45.0], [89.9, 10.0]])
    km = SphericalKMedoids(max_span_km=20.0).fit(X)
    assert km.n_clusters_ == 1
    assert_valid_clustering(X, km, 20.0)


def test_clusters_cross_the_antimeridian():
    X = np.array([[-17.0, 179.9], [-17.0, -179.9], [-17.1, 180.0], [-17.05, 539.95]])
    km = SphericalKMedoids(max_span_km=40.0).fit(X)
    assert km.n_clusters_ == 1
    assert_array_equal(km.predict([[-17.0, -180.0]]), [0])


def test_events_on_one_great_circle_use_the_circle_graph():
    X = np.column_stack([np.zeros(40), np.linspace(-60.0, 60.0, 40)])
    km = SphericalKMedoids(max_span_km=400.0, random_state=0).fit(X)
    assert km.neighbor_graph_ == "circle"
    assert_valid_clustering(X, km, 400.0)


def test_a_global_catalog_uses_the_convex_hull(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    z = rng.uniform(-1, 1, 300)
    X = np.column_stack([np.degrees(np.arcsin(z)), rng.uniform(-180, 180, 300)])
    km = SphericalKMedoids(max_span_km=1500.0, random_state=0).fit(X)
    assert km.neighbor_graph_ == "convex_hull"
    assert_valid_clustering(X, km, 1500.0)


def test_metre_scale_relocations_are_triangulated(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = np.column_stack(
        [38.8 + rng.normal(0, 1e-5, 200), -122.8 + rng.normal(0, 1e-5, 200)]
    )
    km = SphericalKMedoids(max_span_km=0.002, random_state=0).fit(X)
    assert km.neighbor_graph_ == "stereographic"
    assert_valid_clustering(X, km, 0.002)


def test_delaunay_graph_links_every_single_linkage_group(global_random_seed):
    # Components of the edges within a threshold equal those of the full graph.
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(global_random_seed)
    for lat0, spread in [(0.0, 90.0), (45.0, 2.0), (-89.0, 1.0)]:
        xyz = np.unique(
            latlon_to_unit_vectors(
                np.clip(lat0 + rng.normal(0, spread, 150), -90, 90),
                rng.uniform(-180, 180, 150)
                if spread > 10
                else rng.normal(0, spread, 150),
            ),
            axis=0,
        )
        limit = 0.02
        src, dst, _ = spherical_delaunay_edges(xyz, limit)
        angle = 2 * np.arcsin(np.linalg.norm(xyz[src] - xyz[dst], axis=1) / 2)
        n = xyz.shape[0]
        from scipy.sparse import coo_matrix

        keep = angle <= limit
        graph = coo_matrix((np.ones(keep.sum()), (src[keep], dst[keep])), shape=(n, n))
        full = (
            2
            * np.arcsin(np.linalg.norm(xyz[:, None] - xyz[None], axis=2).clip(0, 2) / 2)
            <= limit
        )
        assert connected_components(graph)[0] == connected_components(full)[0]


def test_n_jobs_does_not_change_the_result(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = np.column_stack([rng.uniform(30, 31, 600), rng.uniform(130, 131, 600)])
    X[:200] += 5.0
    X[200:400] -= 5.0
    serial = SphericalKMedoids(max_span_km=40.0, random_state=3).fit(X)
    # Threads keep the test fast (no worker start-up); the groups are split the
    # same way whatever the joblib backend.
    with parallel_config(backend="threading"):
        parallel = SphericalKMedoids(max_span_km=40.0, random_state=3, n_jobs=2)
        parallel.fit(X)
    assert_array_equal(serial.labels_, parallel.labels_)
    assert serial.n_groups_ > 1 and serial.n_clusters_ > serial.n_groups_


def test_dataframe_input_uses_lat_lon_and_ignores_depth_and_others():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(0, 1, 50), rng.uniform(0, 1, 50)])
    frame = pd.DataFrame(
        {
            "mag": rng.uniform(2, 5, 50),
            "longitude": X[:, 1],
            "depth": 10.0,
            "lat": X[:, 0],
        }
    )
    km = SphericalKMedoids(max_span_km=30.0, random_state=0)
    expected = km.fit(X).labels_
    assert_array_equal(km.fit(frame).labels_, expected)
    assert list(km.feature_names_in_) == ["lat", "longitude", "depth"]
    assert_array_equal(km.predict(frame), expected)


def test_depth_column_is_ignored():
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.uniform(0, 1, 60), rng.uniform(0, 1, 60)])
    with_depth = np.column_stack([X, rng.uniform(0, 600, 60)])
    km = SphericalKMedoids(max_span_km=30.0, random_state=0)
    assert_array_equal(km.fit(with_depth).labels_, km.fit(X).labels_)


def test_transform_and_pickle():
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.uniform(0, 1, 80), rng.uniform(0, 1, 80)])
    km = SphericalKMedoids(max_span_km=30.0, random_state=0).fit(X)
    D = km.transform(X)
    assert D.shape == (80, km.n_clusters_)
    assert_allclose(D, pairwise_haversine_km(X, km.cluster_centers_), atol=1e-9)
    assert_array_equal(pickle.loads(pickle.dumps(km)).predict(X), km.labels_)


# 4. real catalogs ------------------------------------------------------------------


def test_global_catalog_figures_9_to_11_setting(global_significant_catalog):
    """All ~23k USGS significant events at 0.5 degree: many isolated events and
    small groups, a few hundred long groups cut into clusters of at most 55.6 km."""
    X = global_significant_catalog[["lat", "lon"]].to_numpy()
    km = SphericalKMedoids(random_state=0).fit(X)
    assert km.neighbor_graph_ == "convex_hull"
    assert km.spans_.max() <= 55.6 + TOL_KM
    sizes = np.bincount(km.groups_)
    assert 1000 < km.n_groups_ < km.n_clusters_ < X.shape[0] / 2
    assert np.sum(sizes == 1) > 500 and sizes.max() > 1000
    assert_array_equal(km.predict(X), km.labels_)
    # Brute-force spans of the largest clusters.
    for c in np.argsort(-np.bincount(km.labels_))[:20]:
        members = X[km.labels_ == c]
        assert pairwise_haversine_km(members).max() <= 55.6 + TOL_KM


def test_spanish_springs_relocations(spanish_springs_catalog):
    X = spanish_springs_catalog[["lat", "lon"]].to_numpy()
    km = SphericalKMedoids(max_span_km=2.0, random_state=0).fit(X)
    assert km.neighbor_graph_ == "stereographic"
    assert_valid_clustering(X[:600], km.fit(X[:600]), 2.0)


def test_dense_swarms_keep_every_property(global_random_seed):
    # A dense swarm next to sparser ones: swap scans then keep only the neighbours'
    # events within reach of a cluster's hull and prune candidates with the
    # convexity bound; every guarantee must still hold (brute force).
    rng = np.random.default_rng(global_random_seed)
    centres = np.array([[38.8, -122.8], [38.5, -122.3], [38.9, -122.2], [38.3, -122.9]])
    X = np.vstack(
        [
            c + rng.normal(0.0, s, (m, 2))
            for c, m, s in zip(centres, [1400, 500, 400, 200], [0.03, 0.08, 0.15, 0.2])
        ]
    )
    w = rng.uniform(0.5, 2.0, X.shape[0])
    km = SphericalKMedoids(random_state=global_random_seed).fit(X, sample_weight=w)
    assert km.n_clusters_ > 4
    assert_valid_clustering(X, km, 55.6, sample_weight=w)


# 5. errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "X, match",
    [
        ([[91.0, 0.0], [0.0, 0.0]], "Latitude in column 'lat'.*row 0"),
        ([[0.0, 0.0], [np.nan, 0.0]], "NaN in column 'lat' at row 1"),
        ([[0.0, 0.0, 1.0, 2.0]], "expects columns \\(lat, lon\\[, depth\\]\\)"),
    ],
)
def test_bad_catalogs_raise(X, match):
    with pytest.raises(ValueError, match=match):
        SphericalKMedoids().fit(X)


def test_bad_parameters_and_weights_raise():
    with pytest.raises(ValueError, match="max_span_km"):
        SphericalKMedoids(max_span_km=0.0).fit([[0.0, 0.0]])
    with pytest.raises(ValueError, match="max_iter"):
        SphericalKMedoids(max_iter=0).fit([[0.0, 0.0]])
    with pytest.raises(ValueError, match=r"[Nn]egative"):
        SphericalKMedoids().fit([[0.0, 0.0], [1.0, 1.0]], sample_weight=[1.0, -1.0])
    km = SphericalKMedoids().fit([[0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="features"):
        km.predict([[0.0, 0.0, 5.0]])
