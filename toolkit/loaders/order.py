"""Row order of the large tables: sorting only what is not in order yet.

History files of millions of rows usually come grouped by deal and in time (CRMs write them in
order of change); telling that takes one pass over the keys, sorting them takes several over
every column.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


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


def sorted_by(frame: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """``frame`` sorted by ``keys`` (ascending, nulls last, ties in their order): as it is when
    it is already in that order."""
    if in_order(frame, keys):
        return frame
    return frame.sort(list(keys), nulls_last=True, maintain_order=True)


__all__ = ["in_order", "sorted_by"]
