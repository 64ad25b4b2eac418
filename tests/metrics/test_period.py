"""Compliance over the reporting period beside the all-time rate, and per rule."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from metric_frames import AS_OF, as_polars, deals_frame

from toolkit import schema as S
from toolkit.errors import ColumnNotFoundError, ConfigError
from toolkit.metrics.compliance import FLAGS
from toolkit.metrics.period import active_in_period, period_bounds, period_compliance, rule_rates
from toolkit.process import parse_process

t = dt.datetime

# 13 weeks up to the end of 30 June 2025: the period starts at the end of 31 March.
DEALS = [
    {S.DEAL_ID: "a", S.CREATED_AT: t(2024, 1, 1)},                                       # open: active
    {S.DEAL_ID: "b", S.STATUS: "won", S.CLOSED_AT: t(2025, 1, 10)},                      # closed before: no
    {S.DEAL_ID: "c", S.STATUS: "lost", S.CLOSED_AT: t(2025, 5, 1)},                      # closed inside: active
    {S.DEAL_ID: "d", S.CREATED_AT: t(2025, 7, 5)},                                       # created after: no
    {S.DEAL_ID: "e", S.STATUS: "won", S.CLOSED_AT: None, S.CLOSE_DATE: dt.date(2025, 4, 15)},  # close date: active
]


def compliance() -> pl.DataFrame:
    late = {"a": True, "b": True, "c": None, "d": False, "e": True}     # None: no history to check
    return pl.DataFrame([{S.DEAL_ID: k, S.TEAM_ID: "t1", S.OWNER_ID: "r1",
                          "compliant": k in ("b", "c", "d"), **{f: (late[k] if f == "started_late" else False)
                                                                for f in FLAGS}} for k in late])


def test_period_bounds_and_active_deals() -> None:
    start, end = period_bounds(AS_OF)
    assert start == t(2025, 3, 31, 23, 59, 59, 999999) and end == t(2025, 6, 30, 23, 59, 59, 999999)
    assert active_in_period(deals_frame(DEALS), AS_OF).to_list() == [True, False, True, False, True]


def test_period_rate_beside_all_time(backend) -> None:
    out = as_polars(period_compliance(backend(compliance()), backend(deals_frame(DEALS)), AS_OF))
    # all time 3 of 5 compliant; in the period a, c, e of which only c.
    assert out.select("deals", "compliant", "compliance_rate", "period_deals", "period_compliant").row(0) == (
        5, 3, 0.6, 3, 1)
    assert out["period_rate"][0] == pytest.approx(1 / 3)
    weeks = as_polars(period_compliance(compliance(), deals_frame(DEALS), AS_OF, weeks=100))
    assert weeks["period_deals"][0] == 4        # b (closed 10 January) is inside 100 weeks


def test_per_rule_shares(backend) -> None:
    all_time = as_polars(rule_rates(backend(compliance())))
    assert all_time["rule"].to_list() == list(FLAGS)
    late = all_time.filter(pl.col("rule") == "started_late").row(0, named=True)
    assert (late["label"], late["checked"], late["flagged"], late["share"]) == ("started past the first stage", 4, 3,
                                                                                0.75)
    period = as_polars(rule_rates(backend(compliance()), backend(deals_frame(DEALS)), AS_OF))
    late = period.filter(pl.col("rule") == "started_late").row(0, named=True)
    assert (late["checked"], late["flagged"], late["share"]) == (2, 2, 1.0)     # a and e; c has no history


def test_period_weeks_in_the_process_file() -> None:
    base = "name: X\nstages: [{name: A}]\nwon: W\nlost: L\n"
    assert parse_process(base).review.period_weeks == 13
    assert parse_process(base + "review: {period_weeks: 4}\n").review.period_weeks == 4
    for bad in ("0", "2.5", "soon"):
        with pytest.raises(ConfigError, match="period_weeks"):
            parse_process(base + f"review: {{period_weeks: {bad}}}\n")


def test_missing_columns_raise_the_toolkit_error() -> None:
    with pytest.raises(ColumnNotFoundError, match="compliant"):
        period_compliance(compliance().drop("compliant"), deals_frame(DEALS), AS_OF)
