"""Batch sources: repeatable, row-counted streams of 2-D feature batches."""
# SPDX-License-Identifier: BSD-3-Clause

import glob
import os
import sys
from numbers import Integral

import numpy as np


def is_dask_array(X):
    """True when ``X`` is a ``dask.array.Array`` (without importing dask)."""
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(X, da.Array)


def check_real_dtype(dtype, what):
    """A ValueError naming ``what`` unless ``dtype`` holds real numbers.

    Integers and floats pass; booleans, complex numbers (whose imaginary part a
    cast to float would silently drop), strings and objects do not.
    """
    dtype = np.dtype(dtype)
    if dtype.kind not in "iuf":
        kind = {"b": "boolean", "c": "complex"}.get(dtype.kind, "non-numeric")
        raise ValueError(
            f"{what} has {kind} dtype {dtype}; expected real numbers (integers or "
            "floats)."
        )


def _check_batch_size(batch_size):
    if not isinstance(batch_size, Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return int(batch_size)


class BatchSource:
    """Base class of a stream of 2-D batches that knows its row count.

    A source can be iterated any number of times and yields the same rows in the same
    order each time. Subclasses set ``n_rows``, ``n_features`` and ``dtype`` and
    implement ``_iter_blocks``, which yields 2-D blocks (arrays or lazy memory maps)
    of any length; :meth:`iter_batches` re-cuts them into batches of a fixed size.

    Attributes
    ----------
    n_rows : int
        Number of rows the source yields.
    n_features : int
        Number of columns of every batch.
    dtype : numpy.dtype
        Data type of the stored values.
    feature_names : ndarray of str or None
        Column names, when the storage has them.

    Examples
    --------
    A source over a generated stream, which any estimator taking sources reads
    block by block:

    >>> import numpy as np
    >>> from skgeoclust.streams import BatchSource
    >>> class Ramp(BatchSource):
    ...     n_rows, n_features = 7, 2
    ...     def _iter_blocks(self):
    ...         for start in range(0, 7, 4):
    ...             stop = min(start + 4, 7)
    ...             yield np.arange(2 * start, 2 * stop, dtype=float).reshape(-1, 2)
    >>> [b[:, 0].tolist() for b in Ramp().iter_batches(3)]
    [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0], [12.0]]
    """

    n_rows = 0
    n_features = 0
    dtype = np.dtype(np.float64)
    feature_names = None

    def __len__(self):
        return self.n_rows

    @property
    def shape(self):
        """``(n_rows, n_features)``."""
        return (self.n_rows, self.n_features)

    def _iter_blocks(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_block(self, block, where):
        if block.ndim != 2 or block.shape[1] != self.n_features:
            raise ValueError(
                f"{where} has shape {block.shape}, expected (n, {self.n_features}): "
                "every batch of a source must have the same number of features."
            )

    def row_origin(self, row):
        """Where row ``row`` (0-based, in reading order) is stored, for messages.

        Parameters
        ----------
        row : int
            Row of the source.

        Returns
        -------
        text : str
            ``""`` for in-memory sources, else for example
            ``" (row 4 of shard '/data/part1.npy')"``.
        """
        return ""

    def iter_batches(self, batch_size):
        """Yield C-contiguous arrays of ``batch_size`` rows (the last may be shorter).

        Parameters
        ----------
        batch_size : int
            Rows per batch.

        Yields
        ------
        batch : ndarray of shape (batch_size, n_features)
            A fresh array (never a view into storage kept alive by the source).
        """
        batch_size = _check_batch_size(batch_size)
        leftover = None
        n_seen = 0
        for block in self._iter_blocks():
            n_block = block.shape[0]
            n_seen += n_block
            start = 0
            if leftover is not None:
                take = np.asarray(block[: batch_size - leftover.shape[0]])
                leftover = np.concatenate([leftover, take])
                start = take.shape[0]
                if leftover.shape[0] < batch_size:
                    continue
                yield leftover
                leftover = None
            while start + batch_size <= n_block:
                yield np.array(block[start : start + batch_size], order="C")
                start += batch_size
            if start < n_block:
                leftover = np.array(block[start:], order="C")
            del block
        if leftover is not None:
            yield leftover
        if n_seen != self.n_rows:
            raise ValueError(
                f"{self!r} yielded {n_seen} rows but declared n_rows={self.n_rows}; "
                "the underlying data changed while it was being read."
            )


class ArraySource(BatchSource):
    """Batches from an in-memory array or a ``numpy.memmap``.

    Parameters
    ----------
    X : ndarray or numpy.memmap of shape (n_rows, n_features)
        Sliced lazily, so a memory map is read one batch at a time.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.streams import ArraySource
    >>> source = ArraySource(np.arange(10.0).reshape(5, 2))
    >>> [b.shape for b in source.iter_batches(2)]
    [(2, 2), (2, 2), (1, 2)]
    """

    def __init__(self, X):
        if not hasattr(X, "shape") or not hasattr(X, "dtype"):
            X = np.asarray(X)
        if len(X.shape) != 2:
            raise ValueError(
                f"X must be 2-D (n_rows, n_features), got shape {X.shape}."
            )
        check_real_dtype(X.dtype, "X")
        self.X = X
        self.n_rows, self.n_features = (int(s) for s in X.shape)
        self.dtype = np.dtype(X.dtype)

    def __repr__(self):
        return f"ArraySource(shape={self.shape}, dtype={self.dtype})"

    def _iter_blocks(self):
        yield self.X


def _expand_paths(paths, what):
    if isinstance(paths, (str, os.PathLike)):
        pattern = os.fspath(paths)
        if os.path.isdir(pattern):
            pattern = os.path.join(pattern, "*" + what)
        expanded = sorted(glob.glob(pattern))
    else:
        expanded = [os.fspath(p) for p in paths]
    if not expanded:
        raise ValueError(f"no {what} files found for {paths!r}.")
    for path in expanded:
        if not os.path.isfile(path):
            raise ValueError(f"{what} shard {path!r} does not exist.")
    return expanded


def _npy_header(path):
    """(shape, dtype) from the header of a ``.npy`` file, or a ValueError saying
    what is wrong with the file (empty, not a .npy file, truncated, objects)."""
    try:
        size = os.path.getsize(path)
        if size == 0:
            raise ValueError("the file is empty (0 bytes)")
        with open(path, "rb") as f:
            try:
                version = np.lib.format.read_magic(f)
            except ValueError:
                raise ValueError(
                    "it is not a .npy file (no NumPy header; a text or other file "
                    "named .npy?)"
                ) from None
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            data_start = f.tell()
    except OSError as exc:
        raise ValueError(f"it cannot be read ({exc.strerror or exc})") from exc
    except (ValueError, EOFError) as exc:
        raise ValueError(str(exc).rstrip(".") or type(exc).__name__) from exc
    if dtype.hasobject:
        raise ValueError(
            f"it holds Python objects (dtype {dtype}), not numbers (a pickled array)"
        )
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if size - data_start < expected:
        raise ValueError(
            f"it is truncated: its header declares shape {shape} of {dtype} "
            f"({expected} bytes of data) but only {size - data_start} bytes follow"
        )
    return shape, dtype


def _open_shard(path):
    """Memory map of a shard; errors are one ValueError naming the shard."""
    try:
        _npy_header(path)
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"shard {path!r} cannot be read: {exc}.") from exc


class _FileSource(BatchSource):
    """A source read file by file from ``paths``, ``_file_rows[i]`` rows in file
    ``i``."""

    #: What one file is called in messages.
    _file_kind = "file"

    def row_origin(self, row):
        """File and row in it of source row ``row`` (see BatchSource)."""
        ends = np.cumsum(self._file_rows)
        i = int(np.searchsorted(ends, row, side="right"))
        if i >= len(self.paths):
            return ""
        first = int(ends[i - 1]) if i else 0
        return f" (row {row - first} of {self._file_kind} {self.paths[i]!r}, 0-based)"


class NpyShardSource(_FileSource):
    """Batches from a sequence of ``.npy`` shards, read through memory maps.

    Each shard is a 2-D array; all shards share the number of columns. Only one
    shard is mapped at a time and it is unmapped before the next is opened, so the
    resident memory stays within one shard whatever the total size.

    Parameters
    ----------
    paths : sequence of path, or str
        Shard files in reading order, or a glob pattern / directory (sorted by name).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skgeoclust.streams import NpyShardSource
    >>> folder = tempfile.mkdtemp()
    >>> for i in range(3):
    ...     np.save(os.path.join(folder, f"part{i}.npy"), np.full((4, 2), float(i)))
    >>> source = NpyShardSource(folder)
    >>> source.shape
    (12, 2)
    >>> [float(b[0, 0]) for b in source.iter_batches(5)]
    [0.0, 1.0, 2.0]
    """

    _file_kind = "shard"

    def __init__(self, paths):
        self.paths = _expand_paths(paths, ".npy")
        self._file_rows = []
        dtypes = set()
        n_features = None
        for path in self.paths:
            arr = _open_shard(path)
            if arr.ndim != 2:
                raise ValueError(f"shard {path!r} must be 2-D, got shape {arr.shape}.")
            check_real_dtype(arr.dtype, f"shard {path!r}")
            if n_features is None:
                n_features = arr.shape[1]
            elif arr.shape[1] != n_features:
                raise ValueError(
                    f"shard {path!r} has {arr.shape[1]} features, but the first shard "
                    f"{self.paths[0]!r} has {n_features}."
                )
            dtypes.add(arr.dtype)
            self._file_rows.append(int(arr.shape[0]))
            del arr
        self.n_rows = int(sum(self._file_rows))
        self.n_features = int(n_features)
        self.dtype = np.result_type(*dtypes)

    def __repr__(self):
        return f"NpyShardSource({len(self.paths)} shards, shape={self.shape})"

    def _iter_blocks(self):
        for path in self.paths:
            arr = _open_shard(path)
            self._check_block(arr, f"shard {path!r}")
            yield arr
            del arr


class ParquetSource(_FileSource):
    """Batches from Parquet files, with column selection (needs ``pyarrow``).

    Choosing ``columns`` is how "dynamic features only" or "dynamic + static
    features" becomes a one-line change. Nulls are read as NaN and are reported by
    the estimator that consumes the batch.

    Parameters
    ----------
    paths : sequence of path, or str
        Parquet files in reading order, or a glob pattern / directory.
    columns : sequence of str, default=None
        Columns to read, in this order. None reads every column.
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Type the columns are converted to.
    read_rows : int, default=65536
        Rows per read from a file (memory per read is ``read_rows * n_features``).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import pyarrow as pa, pyarrow.parquet as pq
    >>> from skgeoclust.streams import ParquetSource
    >>> path = os.path.join(tempfile.mkdtemp(), "ps.parquet")
    >>> table = pa.table({"emb0": [0.0, 1.0, 2.0], "height": [10.0, 20.0, 30.0]})
    >>> pq.write_table(table, path)
    >>> source = ParquetSource([path], columns=["height"])
    >>> source.shape, next(source.iter_batches(2)).ravel().tolist()
    ((3, 1), [10.0, 20.0])
    """

    _file_kind = "Parquet file"

    def __init__(self, paths, columns=None, dtype=np.float64, read_rows=65536):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.paths = _expand_paths(paths, ".parquet")
        self.read_rows = _check_batch_size(read_rows)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
            raise ValueError(f"dtype must be float64 or float32, got {dtype!r}.")
        if columns is not None:
            columns = list(columns)
            repeated = sorted({c for c in columns if columns.count(c) > 1})
            if repeated:
                raise ValueError(
                    f"columns lists {', '.join(map(repr, repeated))} more than once."
                )
        self._file_rows = []
        for path in self.paths:
            try:
                schema = pq.read_schema(path)
                file_rows = pq.ParquetFile(path).metadata.num_rows
            except Exception as exc:  # pyarrow's errors of every kind
                raise ValueError(
                    f"Parquet file {path!r} cannot be read: {exc}".rstrip(".") + "."
                ) from exc
            names = list(schema.names) if columns is None else columns
            if columns is None and path == self.paths[0]:
                first_names = names
            for name in names:
                if list(schema.names).count(name) > 1:
                    raise ValueError(
                        f"Parquet file {path!r} has {list(schema.names).count(name)} "
                        f"columns named {name!r}; a column must be named once to be "
                        "selected (rename them)."
                    )
                if name not in schema.names:
                    raise ValueError(
                        f"column {name!r} is not in Parquet file {path!r}; it has "
                        f"{schema.names}."
                    )
                typ = schema.field(name).type
                if not (pa.types.is_integer(typ) or pa.types.is_floating(typ)):
                    raise ValueError(
                        f"column {name!r} of {path!r} has non-numeric type {typ}."
                    )
            if columns is None and names != first_names:
                raise ValueError(
                    f"Parquet file {path!r} has columns {names}, but the first file "
                    f"has {first_names}; pass columns= to select common ones."
                )
            self._file_rows.append(int(file_rows))
        self.columns = first_names if columns is None else columns
        if not self.columns:
            raise ValueError("columns must name at least one column.")
        self.n_rows = int(sum(self._file_rows))
        self.n_features = len(self.columns)
        self.feature_names = np.asarray(self.columns, dtype=object)

    def __repr__(self):
        return f"ParquetSource({len(self.paths)} files, columns={self.columns})"

    def _iter_blocks(self):
        import pyarrow.parquet as pq

        for path in self.paths:
            with pq.ParquetFile(path) as pf:
                for rb in pf.iter_batches(
                    batch_size=self.read_rows, columns=self.columns
                ):
                    block = np.empty((rb.num_rows, self.n_features), dtype=self.dtype)
                    for f, name in enumerate(self.columns):
                        col = rb.column(rb.schema.get_field_index(name))
                        block[:, f] = col.to_numpy(zero_copy_only=False)
                    yield block


class DaskArraySource(BatchSource):
    """Batches from a 2-D Dask array, computed one row-chunk at a time.

    With a ``dask.distributed`` client active, each chunk is computed on the
    cluster. The chunk sizes must be known (``x.compute_chunk_sizes()``); a chunk
    is the unit of memory, so choose row chunks that fit comfortably.

    Parameters
    ----------
    x : dask.array.Array of shape (n_rows, n_features)

    Examples
    --------
    >>> import dask.array as da
    >>> from skgeoclust.streams import DaskArraySource
    >>> source = DaskArraySource(da.ones((10, 3), chunks=(4, 3)))
    >>> source.shape, [b.shape[0] for b in source.iter_batches(5)]
    ((10, 3), [5, 5])
    """

    def __init__(self, x):
        if not is_dask_array(x):
            raise TypeError(f"x must be a dask array, got {type(x).__name__}.")
        if x.ndim != 2:
            raise ValueError(
                f"x must be 2-D (n_rows, n_features), got shape {x.shape}."
            )
        if any(np.isnan(c) for chunks in x.chunks for c in chunks):
            raise ValueError(
                "the dask array has unknown chunk sizes; call x.compute_chunk_sizes() "
                "first so the source knows its row count."
            )
        check_real_dtype(x.dtype, "x")
        self.x = x.rechunk({1: -1}) if len(x.chunks[1]) > 1 else x
        self.n_rows, self.n_features = (int(s) for s in x.shape)
        self.dtype = np.dtype(x.dtype)

    def __repr__(self):
        return f"DaskArraySource(shape={self.shape}, chunks={self.x.chunksize})"

    def _iter_blocks(self):
        for i in range(self.x.numblocks[0]):
            yield np.asarray(self.x.blocks[i, 0].compute())


def as_batch_source(X):
    """Wrap ``X`` in a :class:`BatchSource` (sources pass through unchanged).

    Parameters
    ----------
    X : BatchSource, dask.array.Array, ndarray or numpy.memmap

    Returns
    -------
    source : BatchSource

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.streams import as_batch_source
    >>> source = as_batch_source(np.zeros((5, 3)))
    >>> source
    ArraySource(shape=(5, 3), dtype=float64)
    >>> as_batch_source(source) is source
    True
    """
    if isinstance(X, BatchSource):
        return X
    if is_dask_array(X):
        return DaskArraySource(X)
    return ArraySource(X)
