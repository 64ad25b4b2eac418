"""The weekly process measures a control chart is drawn from, on a hand-built history."""

from __future__ import annotations

import datetime as dt

import polars as pl
from metric_frames import AS_OF, as_polars, deals_frame, events_frame

from toolkit import schema as S
from toolkit.metrics.control_charts import control_charts
from toolkit.metrics.weekly import weekly_process_measures


def test_weekly_process_measures(backend, process) -> None:
    t = dt.datetime
    deals = deals_frame([{S.DEAL_ID: "x", S.TEAM_ID: "t1"}, {S.DEAL_ID: "y", S.TEAM_ID: "t1"}])
    events = events_frame([
        ("x", "A", t(2025, 6, 16, 9)), ("x", "B", t(2025, 6, 18, 9)),     # week of 16 June: forward after 2 days
        ("y", "A", t(2025, 6, 16, 9)), ("y", "C", t(2025, 6, 20, 9)),     # same week: a skip after 4 days
        ("x", "A", t(2025, 6, 24, 9)),                                    # week of 23 June: backward after 6 days
        ("y", "Won", t(2025, 6, 25, 9)),                                  # and won from C after 5 days
    ])
    out = as_polars(weekly_process_measures(backend(events), backend(deals), process, as_of=AS_OF, weeks=3))
    out = out.with_columns(pl.col("week").cast(pl.Date))  # pandas has no date type: weeks come back as datetimes
    assert out.select("week", "moves", "judged_moves", "in_process", "in_process_share", "closed", "won",
                      "median_days_in_stage").rows() == [
        (dt.date(2025, 6, 9), 0, 0, 0, None, 0, 0, None),
        (dt.date(2025, 6, 16), 2, 2, 1, 0.5, 0, 0, 3.0),
        (dt.date(2025, 6, 23), 2, 2, 1, 0.5, 1, 1, 5.5),
    ]
    charts = control_charts(as_polars(out).with_columns(pl.lit("t1").alias(S.TEAM_ID)))
    assert [(c.measure, c.kind, c.chart, c.verdict) for c in charts] == [
        ("in_process_share", "share", "p", "not enough weeks"), ("win_rate", "share", "p", "not enough weeks"),
        ("median_days_in_stage", "duration", "xmr", "not enough weeks"), ("moves", "count", "xmr", "not enough weeks")]
    assert [p.n for p in charts[0].points] == [0, 2, 2] and not any(p.judged for p in charts[0].points)
