"""Row order helpers: they must give exactly what a stable sort gives."""

from __future__ import annotations

import datetime as dt

import polars as pl

from toolkit.loaders.order import in_order, sorted_by

T0 = dt.datetime(2025, 1, 1)


def _frame(ids: list[str | None], times: list[int | None]) -> pl.DataFrame:
    return pl.DataFrame({"k": ids, "t": [None if t is None else T0 + dt.timedelta(hours=t) for t in times],
                         "n": list(range(len(ids)))}, schema={"k": pl.String, "t": pl.Datetime("us"), "n": pl.Int64})


def test_in_order_reads_keys_left_to_right_with_nulls_last() -> None:
    assert in_order(_frame(["a", "a", "b", "b", None], [2, 3, 1, 1, 0]), ["k", "t"])
    assert not in_order(_frame(["a", "a", "b"], [3, 2, 1]), ["k", "t"])  # time goes back within "a"
    assert not in_order(_frame(["b", "a"], [0, 0]), ["k", "t"])
    assert not in_order(_frame([None, "a"], [0, 0]), ["k", "t"])  # a null sorts last
    assert in_order(_frame(["a", "a"], [1, None]), ["k", "t"])
    assert not in_order(_frame(["a", "a"], [None, 1]), ["k", "t"])
    assert in_order(_frame([], []), ["k"]) and in_order(_frame(["z"], [None]), ["k", "t"])


def test_sorted_by_returns_the_same_frame_when_in_order() -> None:
    f = _frame(["a", "b"], [1, 0])
    assert sorted_by(f, ["k", "t"]) is f
    out = sorted_by(_frame(["b", "a", "b", "a"], [1, 5, 1, 2]), ["k", "t"])
    assert out["n"].to_list() == [3, 1, 0, 2]  # ties ("b", 1) keep their order
