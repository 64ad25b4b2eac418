"""pandas or polars in, the same library out; canonical types restored after pandas."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pytest

from toolkit.errors import ToolkitError
from toolkit.frames import native_frames, to_caller, to_polars


def test_to_polars_says_where_the_frame_came_from() -> None:
    frame = pl.DataFrame({"deal_id": ["D1"], "amount": [5.0]})
    assert to_polars(frame) == (frame, "polars")
    lazy, lib = to_polars(frame.lazy())
    assert lib == "polars" and lazy.equals(frame)
    from_pandas, lib = to_polars(pd.DataFrame({"deal_id": ["D1"], "amount": [5.0]}))
    assert lib == "pandas" and from_pandas.equals(frame)
    with pytest.raises(ToolkitError, match=r"expected deals as a pandas or polars DataFrame; found list"):
        to_polars([{"deal_id": "D1"}], "deals")


def test_pandas_dates_come_back_as_canonical_dates() -> None:
    # pandas has no date type: close_date arrives as datetime64 and is a date again in polars
    df = pd.DataFrame({"close_date": pd.to_datetime(["2025-06-30"]), "deal_id": [7], "other": [1]})
    frame, _ = to_polars(df)
    assert frame.schema == pl.Schema({"close_date": pl.Date, "deal_id": pl.String, "other": pl.Int64})
    assert frame.row(0) == (dt.date(2025, 6, 30), "7", 1)


def test_native_frames_hands_results_back_in_the_callers_library() -> None:
    @native_frames
    def double(frame: pl.DataFrame, *, factor: int = 2) -> tuple[pl.DataFrame, int]:
        assert isinstance(frame, pl.DataFrame)  # the body always gets polars
        out = frame.with_columns(pl.col("x") * factor)
        return out, out.height

    @native_frames
    def named(frame: pl.DataFrame) -> dict[str, object]:
        return {"same": frame, "rows": frame.height}

    frame, n = double(pd.DataFrame({"x": [1, 2]}), factor=3)
    assert isinstance(frame, pd.DataFrame) and frame["x"].tolist() == [3, 6] and n == 2
    frame, _ = double(pl.DataFrame({"x": [1]}))
    assert isinstance(frame, pl.DataFrame) and frame["x"].to_list() == [2]
    by_name = named(frame=pd.DataFrame({"x": [1]}))  # a keyword frame decides too
    assert isinstance(by_name["same"], pd.DataFrame) and by_name["rows"] == 1
    assert isinstance(to_caller(pl.DataFrame({"x": [1]}), "pandas"), pd.DataFrame)
