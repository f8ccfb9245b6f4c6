"""Batch sources for out-of-core estimators: arrays, memmaps, .npy, Parquet, Dask.

A source knows its row count and yields the same batches, in the same order, every
time it is iterated; :class:`~skgeoclust.cluster.StreamingMiniBatchKMeans` reads it
one batch at a time.
"""
# SPDX-License-Identifier: BSD-3-Clause

from skgeoclust.streams._sources import (
    ArraySource,
    BatchSource,
    DaskArraySource,
    NpyShardSource,
    ParquetSource,
    as_batch_source,
)

__all__ = [
    "ArraySource",
    "BatchSource",
    "DaskArraySource",
    "NpyShardSource",
    "ParquetSource",
    "as_batch_source",
]
