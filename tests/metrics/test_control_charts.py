"""Each weekly measure on the chart of its kind, with its verdict and the reason in a manager's
words, on a weekly table built by hand (the limits are worked out in the comments)."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest

from toolkit import schema as S
from toolkit.metrics.control_charts import MEASURES, control_charts

WEEKS = [dt.date(2025, 4, 28) + dt.timedelta(weeks=i) for i in range(9)]


def weekly() -> pl.DataFrame:
    # 8 weeks of 20 judged moves, 16 in process, except the 8th (2 of 20); a 9th week of 3 moves
    judged = [20] * 8 + [3]
    hits = [16] * 7 + [2, 0]
    median = [3.0, 4.0] * 4 + [40.0]
    return pl.DataFrame({
        S.TEAM_ID: ["t1"] * 9, "week": WEEKS, "moves": judged, "judged_moves": judged, "in_process": hits,
        "in_process_share": [h / n for h, n in zip(hits, judged, strict=True)], "closed": [0] * 9, "won": [0] * 9,
        "win_rate": [None] * 9, "median_days_in_stage": median})


def test_one_chart_per_measure_and_team() -> None:
    charts = control_charts(weekly())
    assert [(c.team_id, c.measure, c.kind, c.chart) for c in charts] == [
        ("t1", "in_process_share", "share", "p"), ("t1", "win_rate", "share", "p"),
        ("t1", "median_days_in_stage", "duration", "xmr"), ("t1", "moves", "count", "xmr")]
    assert [c.label for c in charts] == [MEASURES[c.measure][0] for c in charts]


def test_a_week_beyond_the_limit_is_a_signal_with_its_reason() -> None:
    share = control_charts(weekly(), measures=["in_process_share"])[0]
    # p̄ = (7 x 16 + 2) / 160 = 0.7125 (the 3-move week is not judged); σ = √(p̄(1 − p̄)/20) = 0.10120
    assert share.center == pytest.approx(0.7125)
    sigma = math.sqrt(0.7125 * 0.2875 / 20)
    first = share.points[0]
    assert (first.value, first.n, first.judged) == (0.8, 20, True)
    assert first.lower == pytest.approx(0.7125 - 3 * sigma) and first.upper == 1.0  # 1.016 clamped to 1
    assert [p.signal for p in share.points] == [()] * 7 + [("WE1",), ()]  # 0.1 is 6 σ below the centre
    assert share.points[8].judged is False and share.points[8].lower is None
    assert (share.verdict, share.rules) == ("signal", ("WE1",))
    assert share.reason == ("WE1: a week beyond a control limit (3 sigma) (weeks 2025-06-16); 1 week(s) with fewer "
                            "than 5 moves not judged")


def test_no_closed_deals_cannot_be_judged() -> None:
    win = control_charts(weekly(), measures=["win_rate"])[0]
    assert (win.verdict, win.rules, win.center) == ("not enough weeks", (), None)
    assert win.reason == "only 0 week(s) with at least 5 moves; 6 are needed to judge"


def test_durations_are_judged_only_on_weeks_with_enough_moves() -> None:
    days = control_charts(weekly(), measures=["median_days_in_stage"])[0]
    # 3, 4, 3, 4, ...: mean 3.5, every moving range 1, so the XmR limits are 3.5 ± 2.66 x 1
    assert days.center == pytest.approx(3.5)
    assert days.points[0].lower == pytest.approx(3.5 - 2.66) and days.points[0].upper == pytest.approx(3.5 + 2.66)
    # the 40-day median of a 3-move week is shown, not judged, so it is no signal
    assert days.points[8].value == 40.0 and days.points[8].signal == ()
    assert days.verdict == "in control"
    assert days.to_dict()["points"][0] == {"week": "2025-04-28", "value": 3.0, "n": None,
                                           "lower": pytest.approx(0.84), "upper": pytest.approx(6.16),
                                           "signal": [], "judged": True}
