"""Deal counts per rep and per team: open, won, lost, new and closed in a period, open deals per
stage, pipeline per currency (never summed across currencies), average age of open deals."""

from __future__ import annotations

import datetime as dt

import polars as pl

from toolkit import schema as S
from toolkit.frames import native_frames

LEVELS = {"rep": [S.OWNER_ID], "team": [S.TEAM_ID]}
_NAMES = {"rep": [S.OWNER_NAME, S.TEAM_ID, S.TEAM_NAME], "team": [S.TEAM_NAME]}


def _keys(by: str) -> list[str]:
    if by not in LEVELS:
        from toolkit.errors import ToolkitError
        raise ToolkitError("by='rep' or by='team'", repr(by))
    return LEVELS[by]


def _period(as_of: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
    end = dt.datetime.combine(as_of, dt.time.max)
    return end - dt.timedelta(days=days), end


@native_frames
def deal_counts(deals: pl.DataFrame, as_of: dt.date, *, by: str = "rep", period_days: int = 7,
                reps: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per rep (``by='rep'``) or team (``by='team'``): ``open``, ``won``, ``lost`` (all time),
    ``new`` (created in the ``period_days`` up to and including ``as_of``), ``closed`` (won or
    lost in that period), and ``avg_open_age_days`` (mean of as_of − created_at over open deals).

    With ``reps`` (the canonical reps table), reps without any deal appear with zeros.
    """
    keys = _keys(by)
    start, end = _period(as_of, period_days)
    today = dt.datetime.combine(as_of, dt.time())
    is_open = pl.col(S.STATUS) == "open"
    out = deals.group_by(keys).agg(
        *[pl.col(c).drop_nulls().first() for c in _NAMES[by]],
        is_open.sum().alias("open"), (pl.col(S.STATUS) == "won").sum().alias("won"),
        (pl.col(S.STATUS) == "lost").sum().alias("lost"),
        pl.col(S.CREATED_AT).is_between(start, end, closed="right").sum().alias("new"),
        (pl.col(S.STATUS).is_in(["won", "lost"]) & pl.col(S.CLOSED_AT).is_between(start, end, closed="right"))
        .sum().alias("closed"),
        ((pl.lit(today) - pl.col(S.CREATED_AT)).dt.total_seconds(fractional=True) / 86400.0)
        .filter(is_open).mean().alias("avg_open_age_days"),
    )
    if reps is not None and not reps.is_empty():
        base = reps.select(*keys, *_NAMES[by]).unique(keys, keep="first")
        counts = ["open", "won", "lost", "new", "closed"]
        out = (base.join(out.drop(_NAMES[by]), on=keys, how="full", coalesce=True)
               .with_columns(pl.col(counts).fill_null(0)))
        missing_names = out.filter(pl.col(_NAMES[by][0]).is_null()).height
        if missing_names:
            names = deals.group_by(keys).agg(*[pl.col(c).drop_nulls().first().alias(f"_{c}") for c in _NAMES[by]])
            out = out.join(names, on=keys, how="left").with_columns(
                [pl.coalesce(c, f"_{c}").alias(c) for c in _NAMES[by]]).drop([f"_{c}" for c in _NAMES[by]])
    return out.with_columns(pl.col(["open", "won", "lost", "new", "closed"]).cast(pl.Int64)).sort(keys)


@native_frames
def open_by_stage(deals: pl.DataFrame, *, by: str = "rep", stages: list[str] | None = None) -> pl.DataFrame:
    """Open deals per rep or team and stage, long format: key, ``stage``, ``deals`` (stages in
    process order when ``stages`` is given; unknown stages as null)."""
    keys = _keys(by)
    out = deals.filter(pl.col(S.STATUS) == "open").group_by(*keys, S.STAGE).len("deals")
    if stages:
        order = {s: i for i, s in enumerate(stages)}
        out = out.with_columns(pl.col(S.STAGE).replace_strict(order, default=len(order), return_dtype=pl.Int32)
                               .alias("_o")).sort(*keys, "_o").drop("_o")
    else:
        out = out.sort(*keys, S.STAGE)
    return out.with_columns(pl.col("deals").cast(pl.Int64))


@native_frames
def pipeline_by_currency(deals: pl.DataFrame, *, by: str = "team") -> pl.DataFrame:
    """Open pipeline per rep or team and currency: ``deals`` and ``amount`` (sum of open deals'
    amounts in that currency; deals without amount count in ``without_amount``). Amounts in
    different currencies are never added together."""
    keys = _keys(by)
    return (deals.filter(pl.col(S.STATUS) == "open").group_by(*keys, S.CURRENCY)
            .agg(pl.len().cast(pl.Int64).alias("deals"), pl.col(S.AMOUNT).sum().alias("amount"),
                 pl.col(S.AMOUNT).is_null().sum().cast(pl.Int64).alias("without_amount"))
            .sort(*keys, S.CURRENCY, nulls_last=True))
