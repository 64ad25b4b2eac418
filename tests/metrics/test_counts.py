"""Deal counts per rep and team, pipeline per currency, open deals per stage."""

from __future__ import annotations

import datetime as dt

import polars as pl
from metric_frames import AS_OF, as_polars, deals_frame

from toolkit import schema as S
from toolkit.metrics.counts import deal_counts, open_by_stage, pipeline_by_currency

t = dt.datetime


def sample():
    return deals_frame([
        {S.DEAL_ID: "1", S.OWNER_ID: "r1", S.CREATED_AT: t(2025, 6, 10), S.AMOUNT: 100.0, S.CURRENCY: "EUR"},
        {S.DEAL_ID: "2", S.OWNER_ID: "r1", S.CREATED_AT: t(2025, 6, 28), S.AMOUNT: 50.0, S.CURRENCY: "USD",
         S.STAGE: "B"},
        {S.DEAL_ID: "3", S.OWNER_ID: "r1", S.STATUS: "won", S.STAGE: "Won", S.CLOSED_AT: t(2025, 6, 27)},
        {S.DEAL_ID: "4", S.OWNER_ID: "r2", S.OWNER_NAME: "Rep Two", S.TEAM_ID: "t2", S.TEAM_NAME: "Other",
         S.STATUS: "lost", S.STAGE: "Lost", S.CLOSED_AT: t(2025, 5, 1)},
        {S.DEAL_ID: "5", S.OWNER_ID: "r2", S.OWNER_NAME: "Rep Two", S.TEAM_ID: "t2", S.TEAM_NAME: "Other",
         S.AMOUNT: None, S.CREATED_AT: t(2025, 6, 20)},
    ])


def test_counts_per_rep(backend) -> None:
    out = as_polars(deal_counts(backend(sample()), AS_OF, by="rep", period_days=7))
    assert out.select("owner_id", "open", "won", "lost", "new", "closed").rows() == [
        ("r1", 2, 1, 0, 1, 1), ("r2", 1, 0, 1, 0, 0)]
    # open ages at 30 June: 20 and 2 days -> 11; r2: 10 days
    assert out["avg_open_age_days"].to_list() == [11.0, 10.0]


def test_counts_per_team_with_idle_reps() -> None:
    reps = pl.DataFrame({S.OWNER_ID: ["r1", "r2", "r9"], S.OWNER_NAME: ["Rep One", "Rep Two", "Idle"],
                         S.TEAM_ID: ["t1", "t2", "t2"], S.TEAM_NAME: ["Team", "Other", "Other"]})
    by_rep = deal_counts(sample(), AS_OF, by="rep", reps=reps)
    assert by_rep.filter(pl.col("owner_id") == "r9").select("owner_name", "open", "won").rows() == [("Idle", 0, 0)]
    by_team = deal_counts(sample(), AS_OF, by="team")
    assert by_team.select("team_id", "team_name", "open", "won", "lost").rows() == [
        ("t1", "Team", 2, 1, 0), ("t2", "Other", 1, 0, 1)]


def test_pipeline_never_adds_currencies(backend) -> None:
    out = as_polars(pipeline_by_currency(backend(sample()), by="team"))
    assert out.rows() == [("t1", "EUR", 1, 100.0, 0), ("t1", "USD", 1, 50.0, 0), ("t2", "EUR", 1, 0.0, 1)]


def test_open_by_stage_in_process_order(process) -> None:
    out = open_by_stage(sample(), by="rep", stages=[s.name for s in process.stages])
    assert out.rows() == [("r1", "A", 1), ("r1", "B", 1), ("r2", "A", 1)]
