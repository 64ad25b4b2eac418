"""Row order of the large tables: sorting only what is not in order yet, and finding each history
row's deal once.

History files of millions of rows usually come grouped by deal and in time (CRMs write them in
order of change); telling that takes one pass over the keys, sorting them takes several over
every column, so :func:`sorted_by` gives exactly what a stable sort would. For the same reason a value
looked up per history row (its deal known, the deal's position) is looked up once per run of rows
of one deal (:func:`per_run`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from toolkit import schema as S


def _after_previous(key: str) -> tuple[pl.Expr, pl.Expr]:
    """(this row's ``key`` sorts after the previous row's, the two are equal), nulls last."""
    col, prev = pl.col(key), pl.col(key).shift(1)
    after = (col > prev).fill_null(False) | (col.is_null() & prev.is_not_null())
    return after, col.eq_missing(prev)


def in_order(frame: pl.DataFrame, keys: Sequence[str]) -> bool:
    """Whether ``frame`` is sorted by ``keys`` (ascending, nulls last), ties allowed."""
    if frame.height < 2:
        return True
    ok: pl.Expr = pl.lit(True)
    for key in reversed(keys):
        after, equal = _after_previous(key)
        ok = after | (equal & ok)
    return bool(frame.select(ok.slice(1).all()).item())


def all_distinct(values: pl.Series) -> bool:
    """Whether no value of ``values`` repeats (a null is a value). Sorted values (deals come
    sorted by id) repeat only next to each other: one comparison of neighbours tells, where
    counting the distinct values hashes every one (0.17 s for a million ids)."""
    n = values.len()
    if n < 2:
        return True
    if values.null_count() == 0 and values.is_sorted():
        return not values.slice(1).eq(values.slice(0, n - 1)).any()
    return values.n_unique() == n


def sorted_by(frame: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """``frame`` sorted by ``keys`` (ascending, nulls last, ties in their order): as it is when
    it is already in that order."""
    if in_order(frame, keys):
        return frame
    return frame.sort(list(keys), nulls_last=True, maintain_order=True)


#: A history row's deal as its position among the loaded deals (sorted by id, one row per id): it
#: orders and groups the rows as ``deal_id`` does, compared as an integer instead of as text, and
#: finds the deal's values by position. Only the loader that found it against those deals uses it
#: to find their values.
DEAL_AT = "_deal_at"


def per_run(keys: pl.Series, of_keys: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """``of_keys(keys)``, an elementwise function of the keys (a hash lookup), computed once per run
    of equal consecutive keys and repeated along the run: ten million history rows of a million
    deals come as a million runs. Keys that are not grouped are looked up one by one."""
    if keys.is_empty():
        return of_keys(keys)
    head = keys.ne_missing(keys.shift(1)).scatter(0, True)  # the first row of each run
    if int(head.sum()) * 2 > keys.len():
        return of_keys(keys)
    return of_keys(keys.filter(head)).gather(head.cast(pl.UInt32).cum_sum() - 1)


def positions(keys: pl.Series, ids: pl.Series) -> pl.Series:
    """Each key's position in ``ids`` (unique), UInt32, null where it is not there (a null key
    too); looked up per run of equal keys, by a join: polars builds a join's table of a million
    keys faster than an ``is_in`` or ``replace_strict`` table."""
    table = ids.to_frame("_key").with_row_index("_at")
    return per_run(keys, lambda k: k.to_frame("_key").join(table, on="_key", how="left", maintain_order="left")
                   .get_column("_at"))


def deal_positions(keys: pl.Series, deals: pl.DataFrame) -> pl.Series | None:
    """Each key's position in ``deals`` (see :data:`DEAL_AT`), or None where the deals are not one
    row per id in id order (then nothing can be found by position)."""
    ids = deals.get_column(S.DEAL_ID)
    if ids.null_count() or not ids.is_sorted() or not all_distinct(ids):
        return None
    return positions(keys, ids).alias(DEAL_AT)


def known_keys(keys: pl.Series, ids: pl.Series) -> pl.Series:
    """Whether each key is one of ``ids`` (a null key is not)."""
    return positions(keys, ids.unique()).is_not_null()


__all__ = ["DEAL_AT", "all_distinct", "deal_positions", "in_order", "known_keys", "per_run", "positions", "sorted_by"]
