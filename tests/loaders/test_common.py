"""Canonical tables finished in their schema's columns and types: a file-name column held as
categorical through a load is made text from its runs, as a cast would make it."""

from __future__ import annotations

import polars as pl
import pytest

from toolkit import schema as S
from toolkit.loaders import common
from toolkit.loaders.common import conformed, source_file_series

COLUMNS = (S.Column(S.DEAL_ID, pl.String, ""), S.Column(S.SOURCE_LINE, pl.Int64, ""),
           S.Column(S.SOURCE_FILE, pl.String, ""))


def _rows(files: list[str | None]) -> pl.DataFrame:
    n = len(files)
    return pl.DataFrame({S.SOURCE_FILE: pl.Series(files, dtype=pl.Categorical), S.DEAL_ID: [f"d{i}" for i in range(n)],
                         S.SOURCE_LINE: pl.Series(range(2, n + 2), dtype=pl.Int32)})


def test_file_names_are_made_text_from_their_runs_in_the_schema_order() -> None:
    files = ["History.csv"] * 3 + [None] + ["Deals.csv"] * 2 + ["History.csv"]
    out = conformed(_rows(files), COLUMNS)
    assert out.columns == [S.DEAL_ID, S.SOURCE_LINE, S.SOURCE_FILE]
    assert out.schema[S.SOURCE_FILE] == pl.String and out.schema[S.SOURCE_LINE] == pl.Int64
    assert out[S.SOURCE_FILE].to_list() == files
    assert out[S.SOURCE_LINE].to_list() == [2, 3, 4, 5, 6, 7, 8]


def test_the_names_are_cut_where_the_frame_is() -> None:
    history = pl.DataFrame({S.DEAL_ID: ["a", "b", "c"], S.SOURCE_LINE: [2, 3, 4]}).with_columns(
        source_file_series("History.csv", 3))
    current = pl.DataFrame({S.DEAL_ID: ["a", "b"], S.SOURCE_LINE: [2, 3]}).with_columns(
        source_file_series("Deals.csv", 2))
    out = conformed(pl.concat([history, current], rechunk=False), COLUMNS)
    assert out.n_chunks("all") == [2, 2, 2]
    assert out[S.SOURCE_FILE].to_list() == ["History.csv"] * 3 + ["Deals.csv"] * 2


def test_many_runs_are_cast_and_give_the_same_text(monkeypatch: pytest.MonkeyPatch) -> None:
    files = ["a.csv", "b.csv"] * 4
    monkeypatch.setattr(common, "_NAME_RUNS", 3)
    assert conformed(_rows(files), COLUMNS)[S.SOURCE_FILE].to_list() == files


@pytest.mark.parametrize("files", [[], ["x.csv"]])
def test_an_empty_frame_or_text_names_are_only_typed(files: list[str]) -> None:
    rows = _rows(files).with_columns(pl.col(S.SOURCE_FILE).cast(pl.String))
    out = conformed(rows, COLUMNS)
    assert out.schema == pl.Schema({S.DEAL_ID: pl.String, S.SOURCE_LINE: pl.Int64, S.SOURCE_FILE: pl.String})
    assert out[S.SOURCE_FILE].to_list() == files
