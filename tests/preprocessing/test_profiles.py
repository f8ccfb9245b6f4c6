"""extract_profiles: grid order, depth cut/interpolation, NaN and meridian handling."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from skgeoclust.datasets import make_velocity_model
from skgeoclust.preprocessing import _profiles as profiles_module
from skgeoclust.preprocessing import extract_profiles
from skgeoclust.preprocessing._profiles import interpolate_profiles, uniform_depth_grid


def _seisgo_loop(lat, lon, dep, vmodel, spacing=1, zrange=None, dz=None):
    """SeisGo's documented extraction, rebuilt as a per-node loop (the oracle)."""
    if zrange is None:
        zrange = [np.min(dep), np.max(dep)]
    keep = np.where((dep >= zrange[0]) & (dep <= zrange[1]))[0]
    v, depth = vmodel[keep], dep[keep]
    zvec = np.arange(depth.min(), depth.max() + 0.5 * dz, dz) if dz else depth
    rows, lat0, lon0 = [], [], []
    for i in range(0, len(lat), spacing):
        for j in range(0, len(lon), spacing):
            v0 = np.array([v[p, i, j] for p in range(v.shape[0])])
            if not np.isnan(v0).any():
                rows.append(np.interp(zvec, depth, v0) if dz else v0)
                lat0.append(lat[i])
                lon0.append(lon[j])
    return np.array(rows), np.array(lat0), np.array(lon0), zvec


def _quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return extract_profiles(*args, **kwargs)


# -- results by hand --------------------------------------------------------------
def test_grid_order_and_values_by_hand():
    depth = np.array([0.0, 10.0])
    model = np.arange(12.0).reshape(2, 2, 3)  # (depth, lat, lon)
    p = extract_profiles([10.0, 20.0], [1.0, 2.0, 3.0], depth, model)
    assert_array_equal(p.X, [[0, 6], [1, 7], [2, 8], [3, 9], [4, 10], [5, 11]])
    assert_array_equal(p.lat, [10, 10, 10, 20, 20, 20])
    assert_array_equal(p.lon, [1, 2, 3, 1, 2, 3])
    assert_array_equal(p.lat_index, [0, 0, 0, 1, 1, 1])
    assert_array_equal(p.lon_index, [0, 1, 2, 0, 1, 2])
    assert_array_equal(p.depth, depth)
    assert p.excluded.lat.size == 0


def test_nan_column_is_excluded_and_reported():
    model = np.ones((3, 2, 2))
    model[1, 0, 1] = np.nan
    with pytest.warns(UserWarning, match="1 of 4 grid profiles hold NaN"):
        p = extract_profiles([0.0, 1.0], [5.0, 6.0], [0.0, 1.0, 2.0], model)
    assert p.X.shape == (3, 3)
    assert_array_equal(p.excluded.lat, [0.0])
    assert_array_equal(p.excluded.lon, [6.0])
    assert_array_equal(p.excluded.reason, ["nan"])
    assert not np.isnan(p.X).any()


def test_nan_outside_zrange_does_not_exclude():
    model = np.ones((3, 1, 2))
    model[2, 0, 0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = extract_profiles(
            [0.0], [0.0, 1.0], [0.0, 10.0, 20.0], model, zrange=(0, 10)
        )
    assert p.X.shape == (2, 2)


def test_dz_interpolation_never_passes_the_deepest_depth():
    depth = np.array([0.0, 20.0, 61.5])
    model = np.broadcast_to(depth[:, None, None], (3, 1, 1)).copy()
    p = extract_profiles([0.0], [0.0], depth, model, dz=10.0)
    assert_allclose(p.depth, [0, 10, 20, 30, 40, 50, 60])
    assert_allclose(p.X[0], p.depth)  # the model is v = depth


def test_decreasing_depth_axis_is_flipped():
    depth = np.array([0.0, 5.0, 10.0])
    model = np.random.default_rng(0).normal(size=(3, 2, 2))
    a = extract_profiles([0.0, 1.0], [0.0, 1.0], depth, model)
    b = extract_profiles([0.0, 1.0], [0.0, 1.0], depth[::-1], model[::-1])
    assert_array_equal(a.X, b.X)
    assert_array_equal(a.depth, b.depth)


def test_duplicate_pole_profiles_drop_and_keep():
    lat = np.array([-90.0, 0.0, 90.0])
    model = np.random.default_rng(2).normal(size=(2, 3, 4))
    with pytest.warns(UserWarning, match="6 of 12 grid profiles repeat"):
        p = extract_profiles(lat, [0.0, 90.0, 180.0, 270.0], [0.0, 1.0], model)
    assert_array_equal(p.lat, [-90, 0, 0, 0, 0, 90])
    assert_array_equal(p.lon, [0, 0, 90, 180, 270, 0])
    assert_array_equal(p.excluded.reason, ["duplicate_pole"] * 6)
    keep = extract_profiles(
        lat, [0.0, 90.0, 180.0, 270.0], [0.0, 1.0], model, duplicate_poles="keep"
    )
    assert keep.X.shape == (12, 2)


def test_duplicate_meridian_drop_and_keep():
    lon = np.array([-180.0, 0.0, 180.0])
    model = np.random.default_rng(1).normal(size=(2, 2, 3))
    with pytest.warns(UserWarning, match="2 of 6 grid profiles repeat"):
        p = extract_profiles([0.0, 10.0], lon, [0.0, 1.0], model)
    assert p.X.shape == (4, 2)
    assert_array_equal(p.excluded.lon, [180.0, 180.0])
    assert_array_equal(p.excluded.reason, ["duplicate_meridian"] * 2)
    kept = extract_profiles(
        [0.0, 10.0], lon, [0.0, 1.0], model, duplicate_meridian="keep"
    )
    assert kept.X.shape == (6, 2)


def test_dropped_duplicates_are_reported():
    # issue 16 #13: the repeated nodes of a global grid were dropped without a word
    lat, lon = [-90.0, 0.0, 90.0], [-180.0, 0.0, 90.0, 180.0]
    model = np.random.default_rng(3).normal(size=(2, 3, 4))
    with pytest.warns(
        UserWarning, match="7 of 12 grid profiles repeat another node"
    ) as w:
        p = extract_profiles(lat, lon, [0.0, 1.0], model)
    assert "3 on a meridian listed twice" in str(w[0].message)
    assert "4 repeating a pole's profile" in str(w[0].message)
    assert p.X.shape == (5, 2) and p.excluded.lat.size == 7
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keep = extract_profiles(
            lat, lon, [0.0, 1.0], model, duplicate_meridian="keep",
            duplicate_poles="keep",
        )  # fmt: skip
    assert keep.X.shape == (12, 2)


# -- equivalence ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"spacing": 2},
        {"zrange": (20.0, 120.0)},
        {"dz": 7.5},
        {"spacing": 3, "zrange": (10.0, 150.0), "dz": 4.0},
    ],
)
def test_matches_seisgo_loop(kwargs):
    lat, lon, depth, model, _ = make_velocity_model(
        9, 11, 16, nan_fraction=0.1, random_state=3
    )
    p = _quiet(lat, lon, depth, model, **kwargs)
    X, lat0, lon0, zvec = _seisgo_loop(lat, lon, depth, model, **kwargs)
    # SeisGo's arange(min, max + dz/2, dz) can step past the deepest depth (here
    # 202.5 > 200 km for dz=7.5) and np.interp then repeats the last value; those
    # points are not in ours, every other one agrees.
    inside = zvec <= depth.max()
    assert_allclose(p.X, X[:, inside], rtol=1e-13, atol=0)
    zvec = zvec[inside]
    assert_array_equal(p.lat, lat0)
    assert_array_equal(p.lon, lon0)
    assert_allclose(p.depth, zvec)


@given(
    values=arrays(np.float64, (4, 6), elements=st.floats(-10, 10)),
    steps=arrays(np.float64, 5, elements=st.floats(0.1, 20)),
    dz=st.floats(0.05, 30),
)
def test_interpolation_equals_np_interp(values, steps, dz):
    depth = np.concatenate(([0.0], np.cumsum(steps)))
    new = uniform_depth_grid(depth[0], depth[-1], dz)
    assert new[-1] <= depth[-1] * (1 + 1e-12)
    assert_allclose(np.diff(new), dz, rtol=1e-9) if new.size > 1 else None
    out = interpolate_profiles(depth, values, new)
    expected = np.array([np.interp(new, depth, row) for row in values])
    assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_dataarray_input_is_reordered_by_dimension_name():
    xr = pytest.importorskip("xarray")
    lat, lon, depth, model, _ = make_velocity_model(5, 6, 7, random_state=0)
    da = xr.DataArray(
        model.transpose(2, 0, 1),  # (lon, depth, lat)
        dims=("longitude", "depth", "latitude"),
        coords={"longitude": lon, "depth": depth, "latitude": lat},
    )
    a = extract_profiles(None, None, None, da, dz=10.0)
    b = extract_profiles(lat, lon, depth, model, dz=10.0)
    assert_array_equal(a.X, b.X)
    assert_array_equal(a.lat, b.lat)


def test_spacing_pair_strides_lat_and_lon_separately():
    lat, lon, depth, model, _ = make_velocity_model(7, 9, 5, random_state=0)
    p = extract_profiles(lat, lon, depth, model, spacing=(2, 3))
    assert_array_equal(np.unique(p.lat_index), [0, 2, 4, 6])
    assert_array_equal(np.unique(p.lon_index), [0, 3, 6])
    assert_array_equal(p.X[1], model[:, 0, 3])


def test_dataarray_without_depth_dimension():
    xr = pytest.importorskip("xarray")
    da = xr.DataArray(np.ones((2, 3, 4)), dims=("time", "lat", "lon"))
    with pytest.raises(ValueError, match="no 'depth' dimension"):
        extract_profiles(None, None, None, da)


# -- errors ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change, match",
    [
        ({"lat": np.arange(3.0)}, "lat has 3 values but the model has 2"),
        ({"depth": [0.0, 5.0, 5.0]}, "strictly increasing"),
        ({"lat": [0.0, 95.0]}, r"lat\[1\] = 95.0 is outside"),
        ({"zrange": (50.0, 60.0)}, "selects no model depth"),
        ({"zrange": (5.0, 1.0)}, "min <= max"),
        ({"model": np.ones((3, 2))}, "model must be 3-D"),
        ({"spacing": (1, 0)}, "spacing must be"),
        ({"lon": [0.0, np.nan]}, r"lon\[1\] is nan"),
        # issue 16 #11: "All 0 grid profiles were excluded (NaN ...)"
        ({"lat": [], "model": np.ones((3, 0, 2))}, "its lat axis is empty"),
    ],
)
def test_bad_input_raises_naming_the_problem(change, match):
    kwargs = {
        "lat": [0.0, 1.0],
        "lon": [0.0, 1.0],
        "depth": [0.0, 5.0, 10.0],
        "model": np.ones((3, 2, 2)),
    }
    kwargs.update(change)
    with pytest.raises(ValueError, match=match):
        extract_profiles(
            kwargs.pop("lat"),
            kwargs.pop("lon"),
            kwargs.pop("depth"),
            kwargs.pop("model"),
            **kwargs,
        )


def test_dz_too_small_for_memory_is_refused(monkeypatch):
    # issue 16 #4: dz=1e-7 asked for 15 GiB and the process was killed
    args = ([0.0, 1.0], [0.0, 1.0], [0.0, 5.0, 10.0], np.ones((3, 2, 2)))
    with pytest.raises(ValueError, match=r"dz=1e-12 km gives 1e\+13 depths"):
        extract_profiles(*args, dz=1e-12)
    with pytest.raises(ValueError, match=r"dz=1e-300 km gives 1e\+301 depths"):
        extract_profiles(*args, dz=1e-300)
    # the limit is the machine's memory: 4 profiles x 1001 depths x 8 B x 4 copies
    monkeypatch.setattr(profiles_module, "_physical_memory_bytes", lambda: 130_000)
    assert extract_profiles(*args, dz=0.01).X.shape == (4, 1001)
    with pytest.raises(ValueError, match=r"needs about .* GiB, more than the memory"):
        extract_profiles(*args, dz=0.005)


@pytest.mark.parametrize("field", ["model", "lon"])
def test_complex_values_are_refused(field):
    # issue 16 #9: the imaginary part was dropped with only a warning
    args = {
        "lat": [0.0, 1.0],
        "lon": [0.0, 1.0],
        "depth": [0.0, 10.0],
        "model": np.ones((2, 2, 2)),
    }
    args[field] = np.asarray(args[field]) * (1 + 1j)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning either
        with pytest.raises(ValueError, match=f"{field} has complex values"):
            extract_profiles(*args.values())


def test_all_nan_raises():
    with (
        pytest.raises(ValueError, match="no profile is left"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        extract_profiles([0.0], [0.0], [0.0, 1.0], np.full((2, 1, 1), np.nan))


def test_coordinates_required_for_plain_arrays():
    with pytest.raises(ValueError, match="lat, lon and depth are required"):
        extract_profiles(None, [0.0], [0.0], np.ones((1, 1, 1)))


# -- real data -------------------------------------------------------------------------
def test_s362anim_global_model(s362anim_velocity_model):
    m = s362anim_velocity_model
    with pytest.warns(UserWarning, match="449 of 16471 grid profiles repeat"):
        p = extract_profiles(m["lat"], m["lon"], m["depth"], m["vs"], zrange=(25, 700))
    n_lat, n_lon = m["lat"].size, m["lon"].size
    # The file lists the meridian twice (-180 and 180): one copy per latitude drops;
    # each pole row is one point repeated: all but its first longitude drop.
    n_pole = 2 * (n_lon - 2)
    assert p.X.shape == (n_lat * (n_lon - 1) - n_pole, int(np.sum(m["depth"] <= 700)))
    reasons, counts = np.unique(p.excluded.reason, return_counts=True)
    assert dict(zip(reasons, counts)) == {
        "duplicate_meridian": n_lat,
        "duplicate_pole": n_pole,
    }
    assert np.all(np.abs(p.excluded.lat[p.excluded.reason == "duplicate_pole"]) == 90)
    assert 4.0 < p.X.min() and p.X.max() < 7.5
    kept = extract_profiles(
        m["lat"],
        m["lon"],
        m["depth"],
        m["vs"],
        duplicate_poles="keep",
        duplicate_meridian="keep",
    )
    assert kept.X.shape[0] == n_lat * n_lon and kept.excluded.lat.size == 0
