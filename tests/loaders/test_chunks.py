"""Columns cut into the chunks of the frame they join, and frames whose columns are cut differently
made one chunk column by column."""

from __future__ import annotations

import polars as pl

from toolkit.loaders.chunks import aligned, cut_like
from toolkit.loaders.raw import ROW_LINE


def _pieces() -> pl.DataFrame:
    return pl.concat([pl.DataFrame({"c0": ["1", "2"], "c1": ["a", "b"]}), pl.DataFrame({"c0": ["3"], "c1": ["c"]})],
                     rechunk=False)


def test_a_new_column_is_cut_where_the_frame_is_without_a_copy() -> None:
    frame = _pieces()
    cut = cut_like(pl.Series("n", [7, 8, 9]), frame)
    assert cut.chunk_lengths() == [2, 1] and cut.to_list() == [7, 8, 9]
    assert frame.with_columns(cut).n_chunks("all") == [2, 2, 2]
    same = pl.concat([pl.Series("n", [1, 2]), pl.Series("n", [3])], rechunk=False)
    assert cut_like(same, frame) is same


def test_columns_cut_differently_are_made_one_chunk_each() -> None:
    frame = _pieces().with_columns(pl.Series(ROW_LINE, [2, 3, 4]))
    assert frame.n_chunks("all") == [2, 2, 1]
    fixed = aligned(frame)
    assert fixed.n_chunks("all") == [1, 1, 1]
    assert fixed.equals(frame)
    already = _pieces()
    assert aligned(already) is already


