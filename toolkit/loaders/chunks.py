"""Columns cut into the same chunks as the frame they belong to.

polars copies a frame whose columns are cut into different chunks as a whole before its next
operation: a history of millions of rows read in runs comes in a hundred chunks, and a column made
beside it in one piece (a position, a file name) would cost a copy of every column the next time
the frame is used. So a new column is cut where the frame's are (slices: no copy), and where
columns already differ they are made one chunk one at a time.
"""

from __future__ import annotations

import numpy as np
import polars as pl


def cut_like(series: pl.Series, frame: pl.DataFrame) -> pl.Series:
    """``series`` (as long as ``frame``) cut into the chunks of ``frame``'s columns, without a
    copy; as it is where it is cut so already."""
    lengths = frame.get_column(frame.columns[0]).chunk_lengths() if frame.width else [frame.height]
    if series.chunk_lengths() == lengths:
        return series
    offsets = np.cumsum([0, *lengths[:-1]]).tolist()
    return pl.concat([series.slice(at, n) for at, n in zip(offsets, lengths, strict=True)], rechunk=False)


def aligned(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every column cut into the same chunks: columns cut differently are made one
    chunk, one at a time, which holds a second copy of one column at most."""
    if len(set(frame.n_chunks("all"))) <= 1:
        return frame
    columns = frame.get_columns()
    del frame
    for i, column in enumerate(columns):
        columns[i] = column.rechunk()
        del column
    return pl.DataFrame(columns)


__all__ = ["aligned", "cut_like"]
