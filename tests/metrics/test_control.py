"""XmR charts: limits worked by hand, and each signal rule."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from metric_frames import AS_OF, as_polars, deals_frame, events_frame

from toolkit import schema as S
from toolkit.metrics.control import verdicts, weekly_process_measures, xmr


def test_limits_worked_by_hand(backend) -> None:
    # x = 10 12 11 13 12 11 10 30: mean 109/8 = 13.625; moving ranges 2 1 2 1 1 1 20, mean 28/7 = 4;
    # limits 13.625 +- 2.66 x 4 = 2.985 .. 24.265; upper range limit 3.268 x 4 = 13.072.
    series = pl.DataFrame({"week": list(range(8)), "v": [10, 12, 11, 13, 12, 11, 10, 30]})
    chart = as_polars(xmr(backend(series), "v"))
    row = chart.row(0, named=True)
    assert row["centre"] == 13.625 and row["mr_centre"] == 4.0
    assert row["lower_limit"] == pytest.approx(2.985) and row["upper_limit"] == pytest.approx(24.265)
    assert row["mr_upper"] == pytest.approx(13.072)
    assert chart["moving_range"].to_list() == [None, 2, 1, 2, 1, 1, 1, 20]
    assert chart["signal"].to_list() == [""] * 7 + ["outside limits"]
    assert as_polars(verdicts(backend(chart))).row(0, named=True)["verdict"] == "signal: outside limits"


def test_run_of_eight_on_one_side() -> None:
    values = [6, 6, 6, 6, 6, 6, 6, 6, 0, 10, 0, 10, 2, 8]    # mean 78/14: the first eight are all above it
    chart = xmr(pl.DataFrame({"week": range(len(values)), "v": values}), "v")
    centre = chart["centre"][0]
    assert centre == pytest.approx(78 / 14)
    assert chart["signal"].to_list()[:8] == ["run of 8"] * 8
    assert "run of 8" not in chart["signal"][8]
    assert verdicts(chart)["verdict"][0] == "signal: run of 8"


def test_three_of_four_beyond_halfway() -> None:
    # mean 10 (mR bar 2 from the steady part): halfway to the upper limit = 10 + 1.33 x mR bar.
    values = [10, 12, 10, 8, 10, 12, 10, 8, 10, 14, 14, 10, 14, 8, 8, 10]
    chart = xmr(pl.DataFrame({"week": range(len(values)), "v": values}), "v")
    c, mr = chart["centre"][0], chart["mr_centre"][0]
    half_up = c + 2.66 * mr / 2
    beyond = [v > half_up for v in values]
    assert beyond[9:13] == [True, True, False, True]     # 3 of the 4 points 9..12
    assert [s for s in chart["signal"].to_list()[9:13]] == ["3 of 4", "3 of 4", "", "3 of 4"]
    assert chart.filter(pl.col("signal").str.contains("outside")).is_empty()


def test_in_control_and_per_group_verdicts() -> None:
    series = pl.DataFrame({"team": ["a"] * 6 + ["b"] * 6, "week": list(range(6)) * 2,
                           "v": [5, 6, 5, 6, 5, 6, 1, 1, 1, 1, 1, 40]})
    out = verdicts(xmr(series, "v", by="team"), by="team")
    assert out.rows() == [("a", 6, "in control", 0), ("b", 6, "signal: outside limits", 1)]


def test_weekly_process_measures(backend, process) -> None:
    t = dt.datetime
    deals = deals_frame([{S.DEAL_ID: "x", S.TEAM_ID: "t1"}, {S.DEAL_ID: "y", S.TEAM_ID: "t1"}])
    events = events_frame([
        ("x", "A", t(2025, 6, 16, 9)), ("x", "B", t(2025, 6, 18, 9)),     # week of 16 June: forward after 2 days
        ("y", "A", t(2025, 6, 16, 9)), ("y", "C", t(2025, 6, 20, 9)),     # same week: a skip after 4 days
        ("x", "A", t(2025, 6, 24, 9)),                                    # week of 23 June: backward after 6 days
    ])
    out = as_polars(weekly_process_measures(backend(events), backend(deals), process, as_of=AS_OF, weeks=3))
    out = out.with_columns(pl.col("week").cast(pl.Date))  # pandas has no date type: weeks come back as datetimes
    assert out.select("week", "moves", "in_process_share", "median_days_in_stage").rows() == [
        (dt.date(2025, 6, 9), 0, None, None),
        (dt.date(2025, 6, 16), 2, 0.5, 3.0),
        (dt.date(2025, 6, 23), 1, 0.0, 6.0),
    ]
