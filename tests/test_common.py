"""Every skgeoclust estimator against scikit-learn's estimator checks.

A new estimator joins by adding an instance (with fast parameters) to ESTIMATORS,
and its domain-specific exceptions, each with a reason, to EXPECTED_FAILED_CHECKS.
"""

import pytest
from sklearn.cluster import DBSCAN
from sklearn.utils.estimator_checks import parametrize_with_checks

from skgeoclust.cluster import (
    FaultNetworkAgglomerative,
    ProfileKMeans,
    ProfileSOM,
    SphericalKMedoids,
    StreamingMiniBatchKMeans,
)
from skgeoclust.metrics import ClusterSweep
from skgeoclust.preprocessing import GeoToCartesian

# The checks feed random data with any number of columns and values far outside
# [-90, 90]; a catalog transformer must reject both (issue: bad catalogs raise).
_COLUMNS = "a catalog has 2 or 3 columns (lat, lon[, depth])"
_CATALOG_DOMAIN = {
    "check_n_features_in_after_fitting": _COLUMNS,
    "check_estimators_dtypes": _COLUMNS,
    "check_dtype_object": _COLUMNS,
    "check_fit2d_1sample": "a catalog has 2 or 3 columns; the column error comes first",
    "check_fit_idempotent": "test data has latitudes above 90 degrees",
    "check_fit_check_is_fitted": "test data has latitudes above 90 degrees",
    "check_n_features_in": "test data has latitudes above 90 degrees",
    "check_positive_only_tag_during_fit": "test data has latitudes above 90 degrees",
}

ESTIMATORS = [
    GeoToCartesian(),
    # -- new estimators go below this line, one per line --
    FaultNetworkAgglomerative(),
    ProfileKMeans(n_clusters=3, random_state=0),
    ProfileSOM(n_iterations=300, random_state=0),
    StreamingMiniBatchKMeans(n_clusters=3, batch_size=16, n_init=1, refine_max_iter=3),
    ClusterSweep(DBSCAN(), {"eps": [0.5, 3.0], "min_samples": [2, 4]}),
    SphericalKMedoids(max_span_km=300.0, random_state=0),
]

EXPECTED_FAILED_CHECKS = {
    "GeoToCartesian": _CATALOG_DOMAIN,
    # -- new entries go below this line --
    "SphericalKMedoids": {
        **_CATALOG_DOMAIN,
        "check_all_zero_sample_weights_error": (
            "the check's data has 20 columns; a catalog has 2 or 3 (lat, lon[, depth])"
        ),
        "check_sample_weight_equivalence_on_dense_data": (
            "the check's data has 30 columns; a catalog has 2 or 3. (Repeated rows do "
            "equal integer weights, tested in tests/cluster; a zero-weight event still "
            "belongs to a cluster and counts in its span, so it is not the same as "
            "removing it.)"
        ),
    },
    "FaultNetworkAgglomerative": {
        "check_sample_weight_equivalence_on_dense_data": (
            "the Ward tree and the min_kernel_points count run over rows (distinct "
            "locations, as in the paper); repeating a row changes the tree, while "
            "sample_weight weights only moments, mixture weights and likelihood"
        ),
    },
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_every_public_estimator_is_checked():
    import skgeoclust

    public = {
        name
        for name in skgeoclust.__all__
        if isinstance(getattr(skgeoclust, name), type)
        and hasattr(getattr(skgeoclust, name), "fit")
    }
    assert public == {type(est).__name__ for est in ESTIMATORS}


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_expected_failures_have_reasons(estimator):
    for check, reason in _expected_failed_checks(estimator).items():
        assert check.startswith("check_") and len(reason) > 10
