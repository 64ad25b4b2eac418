"""The frame of the good records: every column cut into the same chunks, lines beside the text,
values stripped and a trailing delimiter's empty column dropped."""

from __future__ import annotations

import numpy as np
import polars as pl

from toolkit.loaders.raw import ROW_END_LINE, ROW_LINE
from toolkit.loaders.rows import _finish_frame, _stripped, _with_lines


def _pieces() -> pl.DataFrame:
    return pl.concat([pl.DataFrame({"c0": ["1", "2"], "c1": ["a", "b"]}), pl.DataFrame({"c0": ["3"], "c1": ["c"]})],
                     rechunk=False)


def test_the_line_columns_are_cut_into_the_text_columns_chunks() -> None:
    frame = _with_lines(_pieces(), np.array([2, 3, 5]), np.array([2, 4, 5]))
    assert frame.n_chunks("all") == [2, 2, 2, 2]
    assert frame.rows() == [("1", "a", 2, 2), ("2", "b", 3, 4), ("3", "c", 5, 5)]


def test_values_are_stripped_and_an_empty_unnamed_column_dropped() -> None:
    frame = pl.DataFrame({"c0": [" 1", "2"], "c1": ["a ", ""], "c2": pl.Series([None, None], dtype=pl.String),
                          ROW_LINE: [2, 3], ROW_END_LINE: [2, 3]})
    out = _finish_frame(_stripped(frame, "any"), ["Id", "Name", "unnamed_3"])
    assert out.columns == ["Id", "Name", ROW_LINE, ROW_END_LINE]
    assert out.rows() == [("1", "a", 2, 2), ("2", None, 3, 3)]
    # a piece whose splitter saw no space at a field edge is not stripped again
    assert _stripped(frame, "none")["c0"].to_list() == [" 1", "2"]
    # where it saw only ASCII spaces (no tab in the file), a prefix and suffix test finds the
    # columns to strip: a tab is then not looked for
    tabbed = frame.with_columns(pl.Series("c1", ["a", "b\t"]))
    assert _stripped(tabbed, "ascii")["c1"].to_list() == ["a", "b\t"]
    assert _stripped(tabbed, "any")["c1"].to_list() == ["a", "b"]
