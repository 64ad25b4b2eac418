"""Row order helpers: they must give exactly what a stable sort gives; lookups per run of keys what lookups per row give."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.loaders.order import (
    DEAL_AT,
    all_distinct,
    deal_positions,
    in_order,
    known_keys,
    per_run,
    positions,
    sorted_by,
)

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


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(["a", "b", "c", "d", None]), max_size=40), st.booleans())
def test_a_lookup_per_run_of_keys_is_the_lookup_per_row(keys: list[str | None], grouped: bool) -> None:
    series = pl.Series("k", sorted(keys, key=lambda k: (k is None, k or "")) if grouped else keys, dtype=pl.String)
    ids = pl.Series(["b", "a", "x"])
    assert known_keys(series, ids).to_list() == [k in ("a", "b") for k in series.to_list()]
    assert known_keys(series, pl.Series(["a", "a", "b"])).to_list() == known_keys(series, ids).to_list()
    assert positions(series, ids).to_list() == [None if k is None else {"b": 0, "a": 1}.get(k)
                                                for k in series.to_list()]


def test_grouped_keys_are_looked_up_once_per_run() -> None:
    looked_up: list[int] = []

    def lookup(k: pl.Series) -> pl.Series:
        looked_up.append(k.len())
        return k.str.len_bytes()

    keys = pl.Series(["aa"] * 5 + ["b"] * 3 + [None] * 2 + ["ccc"] * 2)
    assert per_run(keys, lookup).to_list() == [2] * 5 + [1] * 3 + [None] * 2 + [3] * 2
    assert looked_up == [4]


def test_deal_positions_are_the_rows_deals_among_deals_in_id_order() -> None:
    deals = pl.DataFrame({"deal_id": ["a", "b", "d"]})
    at = deal_positions(pl.Series(["d", "a", "c", None, "a"]), deals)
    assert at is not None and at.name == DEAL_AT
    assert at.to_list() == [2, 0, None, None, 0]
    # deals out of id order, or an id twice: nothing can be found by position
    assert deal_positions(pl.Series(["a"]), pl.DataFrame({"deal_id": ["b", "a"]})) is None
    assert deal_positions(pl.Series(["a"]), pl.DataFrame({"deal_id": ["a", "a"]})) is None


def test_all_distinct_on_sorted_and_unsorted_values_nulls_counting_as_one() -> None:
    assert all_distinct(pl.Series(["a", "b", "c"])) and all_distinct(pl.Series(["c", "a", "b"]))
    assert not all_distinct(pl.Series(["a", "b", "b", "c"]))  # sorted: neighbours
    assert not all_distinct(pl.Series(["b", "a", "b"]))  # unsorted: counted
    assert all_distinct(pl.Series(["a", None])) and not all_distinct(pl.Series([None, "a", None]))
    assert all_distinct(pl.Series([], dtype=pl.String)) and all_distinct(pl.Series(["x"]))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(values=st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e"])), max_size=8),
       sort=st.booleans())
def test_all_distinct_is_whether_python_finds_no_repeat(values: list[str | None], sort: bool) -> None:
    if sort:
        values = sorted(values, key=lambda v: (v is not None, v or ""))
    assert all_distinct(pl.Series(values, dtype=pl.String)) is (len(set(values)) == len(values))
