"""Compliance for the reporting period, beside the all-time rate, and per rule.

A deal is **active in the period** (the last ``weeks`` weeks up to the end of ``as_of``) when it was
created before the period ended and was still open at its start: open now, or closed (``closed_at``,
else its close date) after the period began. Per rule, the share of the deals that could be checked
which break it: a team where most deals are first recorded at a late stage reads "started late:
90 %" instead of a bare 0 % compliance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from toolkit import schema as S
from toolkit.errors import require_columns
from toolkit.frames import native_frames
from toolkit.metrics.compliance import FLAG_LABELS, FLAGS

DEFAULT_PERIOD_WEEKS = 13
RULE_SCHEMA: dict[str, pl.DataType] = {"rule": pl.String(), "label": pl.String(), "checked": pl.Int64(),
                                       "flagged": pl.Int64(), "share": pl.Float64()}


def period_bounds(as_of: dt.date, weeks: int = DEFAULT_PERIOD_WEEKS) -> tuple[dt.datetime, dt.datetime]:
    """(start, end] of the reporting period: end = the end of ``as_of``, start = end − weeks."""
    end = dt.datetime.combine(as_of, dt.time.max)
    return end - dt.timedelta(weeks=weeks), end


def active_in_period(deals: pl.DataFrame, as_of: dt.date, weeks: int = DEFAULT_PERIOD_WEEKS) -> pl.Series:
    """A boolean per deal (in ``deals`` order): active in the period (see the module docstring)."""
    start, end = period_bounds(as_of, weeks)
    closed_on = pl.coalesce(pl.col(S.CLOSED_AT), pl.col(S.CLOSE_DATE).cast(S.DATETIME))
    expr = ((pl.col(S.CREATED_AT).is_null() | (pl.col(S.CREATED_AT) <= end))
            & ((pl.col(S.STATUS) == "open") | closed_on.is_null() | (closed_on > start)))
    return deals.select(expr.fill_null(False).alias("active")).to_series()


@native_frames
def period_compliance(compliance: pl.DataFrame, deals: pl.DataFrame, as_of: dt.date, *,
                      weeks: int = DEFAULT_PERIOD_WEEKS, by: str | Sequence[str] = S.TEAM_ID) -> pl.DataFrame:
    """Per group (``team_id``, ``owner_id`` or several columns) of a ``deal_compliance`` frame:
    ``deals``, ``compliant``, ``compliance_rate`` (all time), and ``period_deals``,
    ``period_compliant``, ``period_rate`` over the deals active in the period."""
    keys = [by] if isinstance(by, str) else list(by)
    require_columns(compliance, [S.DEAL_ID, *keys, "compliant"], "the deal_compliance() frame")
    require_columns(deals, [S.DEAL_ID, S.CREATED_AT, S.CLOSED_AT, S.CLOSE_DATE, S.STATUS], "deals")
    active = deals.select(S.DEAL_ID).with_columns(active_in_period(deals, as_of, weeks).alias("_active"))
    c = compliance.join(active, on=S.DEAL_ID, how="left").with_columns(pl.col("_active").fill_null(False))
    out = c.group_by(keys).agg(
        pl.len().cast(pl.Int64).alias("deals"), pl.col("compliant").sum().cast(pl.Int64).alias("compliant"),
        pl.col("_active").sum().cast(pl.Int64).alias("period_deals"),
        (pl.col("compliant") & pl.col("_active")).sum().cast(pl.Int64).alias("period_compliant"))
    return out.with_columns((pl.col("compliant") / pl.col("deals")).alias("compliance_rate"),
                            pl.when(pl.col("period_deals") > 0)
                            .then(pl.col("period_compliant") / pl.col("period_deals")).otherwise(None)
                            .alias("period_rate")).sort(keys)


@native_frames
def rule_rates(compliance: pl.DataFrame, deals: pl.DataFrame | None = None, as_of: dt.date | None = None, *,
               weeks: int = DEFAULT_PERIOD_WEEKS) -> pl.DataFrame:
    """One row per rule (flag), in severity order: ``rule``, ``label``, ``checked`` (deals the
    rule could be checked on: those with history for the history rules), ``flagged`` and
    ``share`` = flagged / checked. With ``deals`` and ``as_of``, over the deals active in the
    period only."""
    require_columns(compliance, [S.DEAL_ID, *FLAGS], "the deal_compliance() frame")
    c = compliance
    if deals is not None and as_of is not None:
        ids = deals.filter(active_in_period(deals, as_of, weeks)).select(S.DEAL_ID)
        c = c.join(ids, on=S.DEAL_ID, how="semi")
    rows = []
    for f in FLAGS:
        checked = int(c[f].is_not_null().sum())
        flagged = int(c[f].fill_null(False).sum())
        rows.append({"rule": f, "label": FLAG_LABELS[f], "checked": checked, "flagged": flagged,
                     "share": flagged / checked if checked else None})
    return pl.DataFrame(rows, schema=RULE_SCHEMA)
