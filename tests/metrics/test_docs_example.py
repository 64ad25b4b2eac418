"""The worked example of docs/metrics.md, computed: the numbers the document quotes."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from metric_frames import deals_frame, events_frame

from toolkit import schema as S
from toolkit.metrics.compliance import compliance_rates, deal_compliance, deal_flags, stage_transitions
from toolkit.metrics.control import verdicts, xmr
from toolkit.metrics.review import review_load, review_plan
from toolkit.process import load_process

AS_OF = dt.date(2025, 6, 30)
t = dt.datetime


def example() -> tuple[pl.DataFrame, pl.DataFrame]:
    deals = deals_frame([
        {S.DEAL_ID: "D1", S.OWNER_ID: "ana", S.OWNER_NAME: "Ana", S.STAGE: "Propose", S.AMOUNT: 12000.0,
         S.CLOSE_DATE: dt.date(2025, 7, 31)},
        {S.DEAL_ID: "D2", S.OWNER_ID: "ana", S.OWNER_NAME: "Ana", S.STAGE: "Propose", S.AMOUNT: 30000.0,
         S.CLOSE_DATE: dt.date(2025, 6, 15)},
        {S.DEAL_ID: "D3", S.OWNER_ID: "ana", S.OWNER_NAME: "Ana", S.STAGE: "Discover", S.AMOUNT: 8000.0,
         S.CLOSE_DATE: dt.date(2025, 8, 31)},
        {S.DEAL_ID: "D4", S.OWNER_ID: "ben", S.OWNER_NAME: "Ben", S.STAGE: "Qualify", S.AMOUNT: 5000.0,
         S.CLOSE_DATE: dt.date(2025, 9, 30), "decision_maker": None},
        {S.DEAL_ID: "D5", S.OWNER_ID: "ben", S.OWNER_NAME: "Ben", S.STAGE: "Closed Won", S.STATUS: "won",
         S.AMOUNT: 20000.0, S.CLOSE_DATE: dt.date(2025, 6, 12)},
    ]).with_columns(pl.lit("call back").alias("next_step"))
    events = events_frame([
        ("D1", "Qualify", t(2025, 6, 2)), ("D1", "Discover", t(2025, 6, 10)), ("D1", "Propose", t(2025, 6, 20)),
        ("D2", "Qualify", t(2025, 6, 1)), ("D2", "Propose", t(2025, 6, 12)),
        ("D3", "Qualify", t(2025, 5, 16)), ("D3", "Discover", t(2025, 6, 5)),
        ("D4", "Qualify", t(2025, 6, 23)),
        ("D5", "Qualify", t(2025, 5, 1)), ("D5", "Discover", t(2025, 5, 8)), ("D5", "Propose", t(2025, 5, 20)),
        ("D5", "Negotiate", t(2025, 6, 1)), ("D5", "Closed Won", t(2025, 6, 12)),
    ])
    return deals, events


def test_the_worked_example() -> None:
    process = load_process()
    deals, events = example()
    load = review_load(deals, process).row(0, named=True)
    assert (load["open"], load["review_hours_full"], load["review_hours_sampled"]) == (4, 2.0, 2.0)
    moves = stage_transitions(events, process)
    assert moves.filter(pl.col(S.DEAL_ID) == "D2").select("kind", "days_in_stage").row(0) == ("skip", 11.0)
    assert moves.filter(pl.col(S.DEAL_ID) == "D5")["kind"].to_list() == ["forward"] * 3 + ["won"]
    flags = deal_flags(deals, events, process, AS_OF)
    assert sorted(flags.select(S.DEAL_ID, "flag", "stage", "value").rows()) == [
        ("D2", "overdue_close_date", "Propose", 15.0),
        ("D2", "skipped_stage", "Discover", None),
        ("D3", "over_time_limit", "Discover", 25.0),
        ("D3", "over_time_limit", "Qualify", 20.0),
    ]
    rates = compliance_rates(deal_compliance(deals, events, process, AS_OF), by=S.OWNER_ID)
    assert rates.select(S.OWNER_ID, "compliant", "deals", "compliance_rate").rows() == [
        ("ana", 1, 3, pytest.approx(1 / 3)), ("ben", 2, 2, 1.0)]
    plan = review_plan(deals, flags, events, process, as_of=AS_OF, seed=0)
    assert plan.select(S.OWNER_ID, S.DEAL_ID, "reason").rows() == [
        ("ana", "D2", "violation"), ("ana", "D3", "violation"), ("ana", "D1", "audit"),
        ("ben", "D4", "longest in stage")]


def test_the_control_chart_example() -> None:
    values = [0.90, 0.92, 0.91, 0.93, 0.92, 0.91, 0.90, 0.60]
    chart = xmr(pl.DataFrame({"week": range(8), "share": values}), "share")
    row = chart.row(0, named=True)
    assert round(row["centre"], 4) == 0.8738 and round(row["mr_centre"], 4) == 0.0543
    assert (round(row["lower_limit"], 3), round(row["upper_limit"], 3)) == (0.729, 1.018)
    assert verdicts(chart)["verdict"][0] == "signal: outside limits"
