"""Review load and review plan, with hand-computed values."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pytest
from metric_frames import AS_OF, as_polars, deals_frame, events_frame

from toolkit import schema as S
from toolkit.metrics.compliance import deal_flags
from toolkit.metrics.review import clean_sample_bound, review_load, review_plan


def ten_by_ten() -> pl.DataFrame:
    rows = [{S.DEAL_ID: f"d{r}-{i}", S.OWNER_ID: f"r{r}",
             S.OWNER_NAME: f"Rep {r}"} for r in range(10) for i in range(10)]
    closed = [{S.DEAL_ID: f"w{r}", S.OWNER_ID: f"r{r}", S.STATUS: "won", S.STAGE: "Won"} for r in range(10)]
    return deals_frame(rows + closed)


def test_ten_reps_ten_deals_thirty_minutes(backend, process) -> None:
    out = review_load(backend(ten_by_ten()), process)
    assert isinstance(out, pd.DataFrame) == isinstance(backend(pl.DataFrame()), pd.DataFrame)
    row = as_polars(out).row(0, named=True)
    assert (row["reps"], row["open"]) == (10, 100)
    assert row["review_hours_full"] == 50.0          # 10 x 10 x 30 min
    assert row["review_hours_sampled"] == 15.0       # 10 x min(10, 3) x 30 min
    assert row["share_full"] == 1.25                 # 50 h of a 40 h week
    assert row["share_sampled"] == 0.375
    assert row["hours_freed"] == 35.0


def test_sample_is_capped_by_open_deals_and_idle_reps_count(process) -> None:
    deals = deals_frame([{S.DEAL_ID: "a", S.OWNER_ID: "r1"}, {S.DEAL_ID: "b", S.OWNER_ID: "r2"},
                         {S.DEAL_ID: "c", S.OWNER_ID: "r2"}])
    reps = pl.DataFrame({S.OWNER_ID: ["r1", "r2", "r3"], S.OWNER_NAME: ["1", "2", "3"], S.TEAM_ID: ["t1"] * 3,
                         S.TEAM_NAME: ["Team"] * 3, S.MANAGER_NAME: ["Boss"] * 3, S.ACTIVE: [True] * 3})
    row = review_load(deals, process, reps=reps).row(0, named=True)
    assert (row["reps"], row["open"]) == (3, 3)
    assert row["review_hours_full"] == 1.5 and row["review_hours_sampled"] == 1.5


def test_clean_sample_bound() -> None:
    assert clean_sample_bound(3) == pytest.approx(1 - 0.05 ** (1 / 3))
    assert round(clean_sample_bound(3), 4) == 0.6316
    assert round(clean_sample_bound(1), 2) == 0.95
    assert clean_sample_bound(0) == 1.0


def plan_inputs():
    t = dt.datetime
    deals = deals_frame([
        {S.DEAL_ID: "big-skip", S.AMOUNT: 900.0, S.STAGE: "C"},
        {S.DEAL_ID: "small-skip", S.AMOUNT: 50.0, S.STAGE: "C"},
        {S.DEAL_ID: "overdue", S.AMOUNT: 5000.0, S.CLOSE_DATE: dt.date(2025, 6, 1)},
        {S.DEAL_ID: "old", S.AMOUNT: 10.0},
        {S.DEAL_ID: "fresh1", S.AMOUNT: 10.0}, {S.DEAL_ID: "fresh2", S.AMOUNT: 10.0},
        {S.DEAL_ID: "fresh3", S.AMOUNT: 10.0}, {S.DEAL_ID: "fresh4", S.AMOUNT: 10.0},
    ])
    events = events_frame([
        ("big-skip", "A", t(2025, 6, 25)), ("big-skip", "C", t(2025, 6, 26)),
        ("small-skip", "A", t(2025, 6, 25)), ("small-skip", "C", t(2025, 6, 26)),
        ("overdue", "A", t(2025, 6, 28)), ("old", "A", t(2025, 6, 22)),
        ("fresh1", "A", t(2025, 6, 29)), ("fresh2", "A", t(2025, 6, 29)),
        ("fresh3", "A", t(2025, 6, 29)), ("fresh4", "A", t(2025, 6, 29)),
    ])
    return deals, events


def test_plan_picks_violations_by_severity_then_amount_then_an_audit(backend, process) -> None:
    deals, events = plan_inputs()
    flags = deal_flags(deals, events, process, AS_OF)
    plan = as_polars(review_plan(backend(deals), backend(flags), backend(events), process, as_of=AS_OF, seed=1))
    assert plan["rank"].to_list() == [1, 2, 3]
    # skipped_stage is more severe than overdue_close_date, whatever the amount.
    assert plan["deal_id"].to_list()[:2] == ["big-skip", "small-skip"]
    assert plan["reason"].to_list() == ["violation", "violation", "audit"]
    assert plan["detail"][0] == "skipped a stage: A → C"
    assert plan["clean_sample_bound"].to_list() == [clean_sample_bound(3)] * 3


def test_plan_is_the_same_for_a_seed_and_differs_across_seeds(process) -> None:
    deals, events = plan_inputs()
    # No violations: the two longest in stage, then an audit pick among the six others.
    deals = deals.with_columns(pl.lit(dt.date(2025, 9, 1)).alias(S.CLOSE_DATE), pl.lit("A").alias(S.STAGE))
    events = events.filter(pl.col(S.STAGE) == "A")
    flags = deal_flags(deals, events, process, AS_OF)
    assert flags.is_empty()
    picks = {seed: review_plan(deals, flags, events, process, as_of=AS_OF, seed=seed)["deal_id"].to_list()
             for seed in range(6)}
    assert picks[0] == review_plan(deals, flags, events, process, as_of=AS_OF, seed=0)["deal_id"].to_list()
    assert all(p[:2] == ["old",
                         "big-skip"] for p in picks.values())  # 8 days in A, then 4 days in C (a tie, broken by id)
    audits = {p[2] for p in picks.values()}
    assert len(audits) > 1  # another seed, another audit pick
    assert audits <= {"fresh1", "fresh2", "fresh3", "fresh4", "overdue", "small-skip"}
