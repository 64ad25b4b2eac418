"""Control charts: XmR and p-chart limits worked by hand, a published p-chart example, Laney's p′,
each Western Electric rule, natural bounds and weeks with too few moves."""

from __future__ import annotations

import math

import polars as pl
import pytest
from metric_frames import as_polars

from toolkit.errors import ColumnNotFoundError
from toolkit.metrics.control import p_chart, verdicts, we_signals, xmr


def test_xmr_limits_worked_by_hand(backend) -> None:
    # x = 10 12 11 13 12 11 10 30: mean 109/8 = 13.625; moving ranges 2 1 2 1 1 1 20, mean 28/7 = 4;
    # limits 13.625 +- 2.66 x 4 = 2.985 .. 24.265; upper range limit 3.268 x 4 = 13.072.
    series = pl.DataFrame({"week": list(range(8)), "v": [10, 12, 11, 13, 12, 11, 10, 30]})
    chart = as_polars(xmr(backend(series), "v"))
    row = chart.row(0, named=True)
    assert row["centre"] == 13.625 and row["mr_centre"] == 4.0
    assert row["lower_limit"] == pytest.approx(2.985) and row["upper_limit"] == pytest.approx(24.265)
    assert row["mr_upper"] == pytest.approx(13.072)
    assert chart["moving_range"].to_list() == [None, 2, 1, 2, 1, 1, 1, 20]
    # sigma = 2.66 x 4 / 3; the last point is (30 - 13.625) / 3.5467 = 4.62 sigma out.
    assert chart["z"][7] == pytest.approx(16.375 / (2.66 * 4 / 3))
    assert chart["signal"].to_list() == [""] * 7 + ["WE1"]
    v = as_polars(verdicts(backend(chart))).row(0, named=True)
    assert (v["verdict"], v["rules"], v["judged"]) == ("signal", "WE1", 8)


def test_xmr_keeps_null_weeks_unjudged_and_clamps_at_zero() -> None:
    series = pl.DataFrame({"week": range(4), "v": [2.0, None, 4.0, 3.0]})
    chart = xmr(series, "v", lower_bound=0.0)
    # mean 3, moving ranges over the values present: |4-2| = 2, |3-4| = 1 -> 1.5; 3 - 2.66 x 1.5 < 0 -> 0.
    assert chart["moving_range"].to_list() == [None, None, 2.0, 1.0]
    assert chart["judged"].to_list() == [True, False, True, True]
    assert (chart["lower_limit"][0], chart["upper_limit"][0]) == (0.0, pytest.approx(3 + 2.66 * 1.5))


def test_western_electric_rules_one_by_one() -> None:
    assert we_signals([0.0, -3.2, 0.0]) == [[], ["WE1"], []]
    # WE2: 2 of 3 beyond 2 sigma on one side (points 1 and 3 of the window 1..3).
    assert we_signals([0.0, 2.5, 0.5, 2.1, 0.0]) == [[], ["WE2"], [], ["WE2"], []]
    assert we_signals([0.0, 2.5, 0.5, -2.1, 0.0]) == [[]] * 5     # opposite sides: no
    # WE3: 4 of 5 beyond 1 sigma on one side.
    assert we_signals([1.5, 1.2, 0.3, 1.1, 1.4, 0.0]) == [["WE3"], ["WE3"], [], ["WE3"], ["WE3"], []]
    # WE4: 8 in a row on one side; a week not judged (None) is skipped, not a break.
    assert we_signals([0.5] * 8) == [["WE4"]] * 8
    assert we_signals([0.5] * 7 + [-0.5]) == [[]] * 8
    assert we_signals([0.5] * 4 + [None] + [0.5] * 4) == [["WE4"]] * 4 + [[]] + [["WE4"]] * 4
    # Points at a natural bound are on neither side: a run of weeks at 100 % is no signal.
    assert we_signals([1.1] * 8, [True] * 8) == [[]] * 8


def test_p_chart_against_a_published_example() -> None:
    # NIST/SEMATECH e-Handbook of Statistical Methods, section 6.3.3.2 "Proportions control
    # charts" (the same data as Montgomery, Introduction to Statistical Quality Control,
    # Example 7.1, orange-juice cans): 30 samples of 50, 347 nonconforming in all. Printed:
    # p-bar = .2313, UCL = .4102, LCL = .0524; samples 15 and 23 plot above the UCL.
    bad = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12, 7, 13, 9, 6]
    series = pl.DataFrame({"sample": range(1, 31), "bad": bad, "n": [50] * 30})
    chart = p_chart(series, "bad", "n", order="sample", laney=False)
    assert chart["centre"][0] == pytest.approx(0.2313, abs=5e-5)
    assert chart["upper_limit"].unique().to_list() == [pytest.approx(0.4102, abs=5e-5)]
    assert chart["lower_limit"].unique().to_list() == [pytest.approx(0.0524, abs=5e-5)]
    assert chart.filter(pl.col("signal").str.contains("WE1"))["sample"].to_list() == [15, 23]
    assert chart["chart"][0] == "p"


def test_p_chart_by_hand_with_varying_n_and_clamping(backend) -> None:
    # 18 of 20, 9 of 10, 45 of 50: p-bar = 72 / 80 = 0.9; sigma_i = sqrt(0.9 x 0.1 / n_i).
    series = pl.DataFrame({"week": [1, 2, 3], "ok": [18, 9, 45], "n": [20, 10, 50]})
    chart = as_polars(p_chart(backend(series), "ok", "n", laney=False))
    assert chart["centre"].to_list() == [0.9] * 3
    sig = [math.sqrt(0.09 / n) for n in (20, 10, 50)]
    assert chart["lower_limit"].to_list() == [pytest.approx(0.9 - 3 * s) for s in sig]
    # 0.9 + 3 sigma exceeds 1 for n = 20 and 10: clamped to 1; for n = 50: 0.9 + 0.1273 > 1 too.
    assert chart["upper_limit"].to_list() == [1.0, 1.0, 1.0]


def test_laney_p_prime_by_hand() -> None:
    # n = 100 each week; p-bar = 402 / 800 = 0.5025. z_i = (p_i - p-bar) / sigma, so sigma_z =
    # mean |p_i - p_(i-1)| / sigma / 1.128 and the p' limits p-bar +- 3 sigma sigma_z =
    # p-bar +- 3 x mean|dp| / 1.128; mean |dp| = (.08 + .14 + .10 + .08 + .10 + .14 + .10) / 7.
    ok = [50, 58, 44, 54, 46, 56, 42, 52]
    series = pl.DataFrame({"week": range(8), "ok": ok, "n": [100] * 8})
    chart = p_chart(series, "ok", "n", laney=True)
    half = 3 * (0.74 / 7) / 1.128
    assert chart["chart"][0] == "p'"
    assert chart["sigma_z"][0] == pytest.approx((0.74 / 7) / math.sqrt(0.5025 * 0.4975 / 100) / 1.128)
    assert (chart["lower_limit"][0], chart["upper_limit"][0]) == (pytest.approx(0.5025 - half),
                                                                  pytest.approx(0.5025 + half))
    # Left to decide: sigma_z > 1, but the dispersion statistic (sum z^2 = 9.4) is far below
    # chi2(7) at 99 % (18.48): binomial variation, a plain p-chart.
    assert p_chart(series, "ok", "n")["chart"][0] == "p"


def test_laney_chosen_when_the_weeks_are_overdispersed() -> None:
    # The published example varies more than binomial even without samples 15 and 23: the 28
    # weeks inside the plain limits give sum z^2 = 55.8 > chi2(27) at 99 % = 46.96, and
    # sigma_z = mean |dz| / 1.128 = 1.661 > 1: p' widens the limits, and says so.
    bad = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12, 7, 13, 9, 6]
    p = 347 / 1500
    z = [(b / 50 - p) / math.sqrt(p * (1 - p) / 50) for b in bad]
    sigma_z = sum(abs(z[i] - z[i - 1]) for i in range(1, 30)) / 29 / 1.128
    chart = p_chart(pl.DataFrame({"week": range(30), "bad": bad, "n": [50] * 30}), "bad", "n")
    assert chart["chart"][0] == "p'" and chart["sigma_z"][0] == pytest.approx(sigma_z)
    assert sigma_z == pytest.approx(1.6609, abs=1e-4)
    assert chart["upper_limit"][0] == pytest.approx(p + 3 * math.sqrt(p * (1 - p) / 50) * sigma_z)


def test_weeks_at_100_percent_and_weeks_with_too_few_moves() -> None:
    # 8 weeks at 10 of 10 and 4 at 7 of 10: p-bar = 108 / 120 = 0.9; a week at 100 % is 1.05 sigma
    # above: without the natural-bound rule that would be a run of 8 (WE4) and 4 of 5 (WE3).
    ok = [10, 10, 7, 10, 10, 7, 10, 10, 7, 10, 10, 7]
    chart = p_chart(pl.DataFrame({"week": range(12), "ok": ok, "n": [10] * 12}), "ok", "n", laney=False)
    assert chart["centre"][0] == pytest.approx(0.9)
    assert chart["signal"].to_list() == [""] * 12
    assert verdicts(chart)["verdict"][0] == "in control"
    # A week of 3 moves is shown, not judged, and left out of the centre line.
    few = pl.DataFrame({"week": range(7), "ok": [9] * 6 + [0], "n": [10] * 6 + [3]})
    c = p_chart(few, "ok", "n", laney=False)
    assert c["centre"][0] == pytest.approx(0.9) and c["judged"].to_list() == [True] * 6 + [False]
    assert (c["value"][6], c["lower_limit"][6], c["signal"][6]) == (0.0, None, "")
    assert verdicts(c)["verdict"][0] == "in control"
    assert verdicts(c.head(6), min_weeks=7)["verdict"][0] == "not enough weeks"


def test_run_of_eight_on_one_side() -> None:
    values = [6, 6, 6, 6, 6, 6, 6, 6, 0, 10, 0, 10, 2, 8]    # mean 78/14: the first eight are all above it
    chart = xmr(pl.DataFrame({"week": range(len(values)), "v": values}), "v")
    assert chart["centre"][0] == pytest.approx(78 / 14)
    assert chart["signal"].to_list() == ["WE4"] * 8 + [""] * 6
    assert verdicts(chart)["rules"][0] == "WE4"


def test_per_group_verdicts() -> None:
    series = pl.DataFrame({"team": ["a"] * 6 + ["b"] * 6, "week": list(range(6)) * 2,
                           "v": [5, 6, 5, 6, 5, 6, 1, 1, 1, 1, 1, 40]})
    out = verdicts(xmr(series, "v", by="team"), by="team")
    assert out.select("team", "verdict", "rules", "signal_points").rows() == [
        ("a", "in control", "", 0), ("b", "signal", "WE1", 1)]


def test_missing_columns_raise_the_toolkit_error() -> None:
    with pytest.raises(ColumnNotFoundError, match="ok"):
        p_chart(pl.DataFrame({"week": [1], "n": [3]}), "ok", "n")
    with pytest.raises(ColumnNotFoundError):
        xmr(pl.DataFrame({"week": [1]}), "v")
