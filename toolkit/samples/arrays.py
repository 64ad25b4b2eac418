"""Vectorised building blocks of the generator: Salesforce ids, minutes and days since the start
of the history turned into polars columns, and positions inside groups of a flat array."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from toolkit import schema as S

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

AS_OF: date = date(2025, 6, 30)
"""The samples' "today": open deals are open as of this date; every timestamp is before it."""
HISTORY_START: date = date(2024, 7, 1)

DAY = 1440                                                # minutes
AS_OF_MIN = (AS_OF - HISTORY_START).days * DAY            # AS_OF 00:00 in minutes from HISTORY_START
AS_OF_DAY = (AS_OF - HISTORY_START).days
_EPOCH = date(1970, 1, 1)
_START_DAY = (HISTORY_START - _EPOCH).days
_START_US = _START_DAY * 86_400 * 1_000_000

_B62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_SF_SUFFIX = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)


def sf_ids(prefix: str, numbers: IntArray) -> pl.Series:
    """18-character Salesforce ids: key prefix + '5g' + 10 base-62 digits + the case-checksum suffix."""
    n = len(numbers)
    cols = np.empty((18, n), dtype=np.uint8)           # one row per character: contiguous writes
    cols[:5] = np.frombuffer((prefix + "5g").encode(), dtype=np.uint8)[:, None]
    rest = numbers.astype(np.int64)
    for i in range(14, 4, -1):
        rest, digit = np.divmod(rest, 62)
        cols[i] = _B62[digit]
    upper = ((cols[:15] >= ord("A")) & (cols[:15] <= ord("Z"))).astype(np.uint8)
    for j in range(3):
        bits = upper[5 * j] | upper[5 * j + 1] << 1 | upper[5 * j + 2] << 2 | upper[5 * j + 3] << 3 \
            | upper[5 * j + 4] << 4
        cols[15 + j] = _SF_SUFFIX[bits]
    return pl.Series(np.ascontiguousarray(cols.T).reshape(-1).view("S18")).cast(pl.String)


def id_numbers(rng: np.random.Generator, n: int, max_step: int) -> IntArray:
    """Increasing record numbers with random gaps, as Salesforce hands them out."""
    start = int(rng.integers(62 ** 4, 62 ** 4 * 8))
    return start + np.cumsum(rng.integers(1, max_step + 1, n))


def datetimes(minutes: IntArray, valid: BoolArray | None = None) -> pl.Series:
    """Minutes from HISTORY_START -> naive polars datetimes (null where not valid)."""
    s = pl.Series(minutes.astype(np.int64) * 60_000_000 + _START_US).cast(S.DATETIME)
    if valid is None:
        return s
    return pl.DataFrame({"v": valid, "s": s}).select(pl.when("v").then("s")).to_series()


def dates(days: IntArray, valid: BoolArray | None = None) -> pl.Series:
    """Days from HISTORY_START -> polars dates (null where not valid)."""
    s = pl.Series((days.astype(np.int64) + _START_DAY).astype(np.int32)).cast(pl.Date)
    if valid is None:
        return s
    return pl.DataFrame({"v": valid, "s": s}).select(pl.when("v").then("s")).to_series()


def pick(values: Sequence[str], idx: IntArray) -> pl.Series:
    """The strings at positions ``idx`` of ``values``, as a polars column."""
    return pl.Series(list(values), dtype=pl.String).gather(idx)


def group_starts(counts: IntArray) -> IntArray:
    """Where each group of a flat array grouped by ``counts`` starts."""
    return np.cumsum(counts) - counts


def within(counts: IntArray) -> IntArray:
    """0..n-1 inside each group of a flat array grouped by ``counts``."""
    return np.arange(int(counts.sum())) - np.repeat(group_starts(counts), counts)
