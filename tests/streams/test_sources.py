"""Batch sources: row counts, repeatable order, re-cutting into batches, errors."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skgeoclust.streams import (
    ArraySource,
    DaskArraySource,
    NpyShardSource,
    ParquetSource,
    as_batch_source,
)


def _data(seed, n=103, d=3):
    return np.random.default_rng(seed).normal(size=(n, d))


def _write_shards(tmp_path, X, sizes):
    paths, start = [], 0
    for i, size in enumerate(sizes):
        path = tmp_path / f"part{i:02d}.npy"
        np.save(path, X[start : start + size])
        paths.append(path)
        start += size
    return paths


def _write_parquet(tmp_path, X, sizes, extra_column=True):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    paths, start = [], 0
    for i, size in enumerate(sizes):
        cols = {f"f{j}": X[start : start + size, j] for j in range(X.shape[1])}
        if extra_column:
            cols["name"] = [f"ps{r}" for r in range(start, start + size)]
        path = tmp_path / f"part{i}.parquet"
        pq.write_table(pa.table(cols), path, row_group_size=7)
        paths.append(path)
        start += size
    return paths


def _all_sources(tmp_path, X):
    da = pytest.importorskip("dask.array")
    sources = [
        ArraySource(X),
        NpyShardSource(_write_shards(tmp_path, X, [40, 1, 0, 62])),
        DaskArraySource(da.from_array(X, chunks=(17, 2))),
    ]
    names = [f"f{j}" for j in range(X.shape[1])]
    sources.append(ParquetSource(_write_parquet(tmp_path, X, [50, 53]), columns=names))
    return sources


@pytest.mark.parametrize("batch_size", [1, 10, 17, 103, 500])
def test_every_source_yields_the_same_batches_twice(tmp_path, batch_size):
    X = _data(0)
    for source in _all_sources(tmp_path, X):
        assert source.shape == X.shape and len(source) == 103
        for _ in range(2):  # repeatable
            batches = list(source.iter_batches(batch_size))
            assert all(b.shape[0] == batch_size for b in batches[:-1])
            assert all(b.flags.c_contiguous for b in batches)
            assert_array_equal(np.concatenate(batches), X, err_msg=repr(source))


def test_memmap_source_reads_lazily(tmp_path):
    X = _data(1)
    path = tmp_path / "x.npy"
    np.save(path, X)
    mm = np.load(path, mmap_mode="r")
    source = as_batch_source(mm)
    assert isinstance(source, ArraySource)
    batches = list(source.iter_batches(8))
    assert not any(isinstance(b, np.memmap) for b in batches)
    assert_array_equal(np.concatenate(batches), X)


def test_shard_glob_and_directory_are_sorted(tmp_path):
    X = _data(2)
    _write_shards(tmp_path, X, [50, 53])
    for spec in (tmp_path, str(tmp_path / "part*.npy")):
        assert_array_equal(
            np.concatenate(list(NpyShardSource(spec).iter_batches(9))), X
        )


def test_parquet_column_selection_is_the_feature_choice(tmp_path):
    X = _data(3)
    paths = _write_parquet(tmp_path, X, [103])
    dynamic = ParquetSource(paths, columns=["f0", "f1"])
    static = ParquetSource(paths, columns=["f2"], dtype=np.float32)
    assert dynamic.shape == (103, 2) and static.shape == (103, 1)
    assert list(dynamic.feature_names) == ["f0", "f1"]
    batch = next(static.iter_batches(200))
    assert batch.dtype == np.float32
    assert_array_equal(batch[:, 0], X[:, 2].astype(np.float32))


def test_parquet_nulls_become_nan(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "nulls.parquet"
    pq.write_table(pa.table({"a": [1.0, None, 3.0], "b": [1, 2, None]}), path)
    batch = next(ParquetSource([path]).iter_batches(3))
    assert np.isnan(batch[1, 0]) and np.isnan(batch[2, 1])


# errors -------------------------------------------------------------------------
def test_shards_with_different_feature_counts_are_rejected(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((3, 2)))
    np.save(tmp_path / "b.npy", np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"b\.npy.*4 features.*has 2"):
        NpyShardSource(tmp_path)


def test_bad_shard_specs_are_rejected(tmp_path):
    with pytest.raises(ValueError, match=r"no \.npy files"):
        NpyShardSource(tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        NpyShardSource([tmp_path / "missing.npy"])
    np.save(tmp_path / "flat.npy", np.zeros(3))
    with pytest.raises(ValueError, match="must be 2-D"):
        NpyShardSource([tmp_path / "flat.npy"])


def test_parquet_missing_or_text_column_is_rejected(tmp_path):
    paths = _write_parquet(tmp_path, _data(4), [103])
    with pytest.raises(ValueError, match="column 'height' is not in"):
        ParquetSource(paths, columns=["f0", "height"])
    with pytest.raises(ValueError, match=r"column 'name'.*non-numeric"):
        ParquetSource(paths)


def test_dask_source_needs_known_chunks():
    da = pytest.importorskip("dask.array")
    x = da.ones((10, 2), chunks=(5, 2))
    x = x[x[:, 0] > 0]
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        DaskArraySource(x)


def test_array_source_and_batch_size_errors():
    with pytest.raises(ValueError, match="must be 2-D"):
        ArraySource(np.zeros(3))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        next(ArraySource(np.zeros((3, 1))).iter_batches(0))


def test_source_that_changes_under_the_reader_is_detected(tmp_path):
    path = tmp_path / "a.npy"
    np.save(path, np.zeros((5, 2)))
    source = NpyShardSource([path])
    np.save(path, np.zeros((7, 2)))
    with pytest.raises(ValueError, match="yielded 7 rows but declared n_rows=5"):
        list(source.iter_batches(2))


def test_unreadable_shards_are_named(broken_npy_files):
    # issue 16 #6: EOFError, "mmap length is greater than file size", "contains
    # pickled (object) data", none naming the shard
    folder, reasons = broken_npy_files
    for name, reason in reasons.items():
        path = folder / name
        with pytest.raises(
            ValueError, match=rf"shard '{path}' cannot be read: {reason}"
        ):
            NpyShardSource([path])


def test_complex_and_boolean_data_are_refused(tmp_path):
    # issue 16 #9: complex shards and memory maps lost their imaginary part
    np.save(tmp_path / "c.npy", np.ones((4, 2), dtype=complex))
    with pytest.raises(ValueError, match=r"c\.npy' has complex dtype complex128"):
        NpyShardSource(tmp_path)
    mm = np.lib.format.open_memmap(
        tmp_path / "m.bin", mode="w+", dtype=np.complex64, shape=(4, 2)
    )
    with pytest.raises(ValueError, match="X has complex dtype complex64"):
        ArraySource(mm)
    with pytest.raises(ValueError, match="X has boolean dtype"):
        ArraySource(np.ones((4, 2), dtype=bool))
    da = pytest.importorskip("dask.array")
    with pytest.raises(ValueError, match="x has complex dtype"):
        DaskArraySource(da.ones((4, 2), dtype=complex, chunks=2))


def test_parquet_duplicate_columns_are_refused(tmp_path):
    # issue 16 #11: a Parquet file with two columns of one name gave a KeyError
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "dup.parquet"
    table = pa.Table.from_arrays([pa.array([1.0, 2.0])] * 2, names=["a", "a"])
    pq.write_table(table, path)
    with pytest.raises(ValueError, match=r"dup\.parquet' has 2 columns named 'a'"):
        ParquetSource([path])
    paths = _write_parquet(tmp_path, _data(4), [103])
    with pytest.raises(ValueError, match="columns lists 'f0' more than once"):
        ParquetSource(paths, columns=["f0", "f1", "f0"])
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(ValueError, match=r"junk\.parquet' cannot be read"):
        ParquetSource([tmp_path / "junk.parquet"])


def test_row_origin_names_the_file_and_its_row(tmp_path):
    X = _data(5, n=20)
    shards = NpyShardSource(_write_shards(tmp_path, X, [8, 0, 12]))
    assert (
        shards.row_origin(3)
        == f" (row 3 of shard '{tmp_path / 'part00.npy'}', 0-based)"
    )
    assert (
        shards.row_origin(8)
        == f" (row 0 of shard '{tmp_path / 'part02.npy'}', 0-based)"
    )
    assert ArraySource(X).row_origin(3) == ""
    names = [f"f{j}" for j in range(3)]
    parquet = ParquetSource(_write_parquet(tmp_path, X, [5, 15]), columns=names)
    assert parquet.row_origin(19).startswith(" (row 14 of Parquet file ")
