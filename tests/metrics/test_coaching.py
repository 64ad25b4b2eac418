"""Coaching focus: a rep behind the team beyond chance (Wilson interval), by conversion and by
time in stage, worked by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from metric_frames import AS_OF, as_polars, deals_frame, events_frame

from toolkit import schema as S
from toolkit.metrics.coaching import coaching_focus, wilson_interval

t = dt.datetime


def test_wilson_interval_by_hand() -> None:
    # 3 of 9, z = 1.96: centre (1/3 + z^2/18) / (1 + z^2/9) = 0.3832, half-width 0.2626.
    low, high = wilson_interval(3, 9)
    assert (round(low, 4), round(high, 4)) == (0.1206, 0.6458)
    assert [round(x, 4) for x in wilson_interval(6, 6)] == [0.6097, 1.0]
    assert wilson_interval(0, 0) == (0.0, 1.0)


def _team(rows: list[tuple[str, str, list[tuple[str, float]]]]) -> tuple[Any, Any]:
    """(deal, owner, [(stage, day entered)]) -> deals and events; the deal's last stage is its stage."""
    deals, events = [], []
    for deal, owner, path in rows:
        stage = path[-1][0]
        deals.append({S.DEAL_ID: deal, S.OWNER_ID: owner, S.OWNER_NAME: owner.title(), S.STAGE: stage,
                      S.STATUS: {"Won": "won", "Lost": "lost"}.get(stage, "open")})
        events += [(deal, s, t(2025, 3, 1) + dt.timedelta(days=day)) for s, day in path]
    return deals_frame(deals), events_frame(events)


def test_a_rep_behind_on_conversion(backend, process) -> None:
    # Ana: 9 deals reached A, 3 went on to B, 6 were lost there. Ben: 12 reached A, 11 went on.
    # Team: 14 of 21 = 67 %; Ana's 95 % Wilson interval for 3 of 9 tops out at 64.6 % < 67 %.
    rows = [(f"a{i}", "ana", [("A", 0), ("B", 2)]) for i in range(3)]
    rows += [(f"a{i}", "ana", [("A", 0), ("Lost", 2)]) for i in range(3, 9)]
    rows += [(f"b{i}", "ben", [("A", 0), ("B", 2)]) for i in range(11)] + [("b11", "ben", [("A", 0), ("Lost", 4)])]
    deals, events = _team(rows)
    out = as_polars(coaching_focus(backend(events), backend(deals), process, AS_OF))
    ana, ben = out.row(0, named=True), out.row(1, named=True)
    assert (ana["stage"], ana["measure"], ana["rep_hits"], ana["rep_n"]) == ("A", "conversion", 3, 9)
    assert ana["team_value"] == pytest.approx(14 / 21) and ana["gap"] == pytest.approx(14 / 21 - 1 / 3)
    assert ana["line"] == "Ana: 3 of 9 deals went on from A, team 67%"
    # Ben is ahead; the 11 deals sitting open in B are not judged on B yet.
    assert ben["stage"] is None and ben["line"].startswith("Ben: no stage where the rep is behind")


def test_a_rep_slower_than_the_team_median(process) -> None:
    # Stays in A: Dan 6 x 10 days, Eve 6 x 2, Fay 6 x 3: the team median is 3 days; Dan's 6 of 6
    # longer stays give a Wilson interval from 61 % (> 50 %): slower beyond chance. Fay's stays equal
    # the median and count neither way; Eve is faster.
    rows = [(f"{who}{i}", who, [("A", 0), ("B", days)]) for who, days in (("dan", 10), ("eve", 2), ("fay", 3))
            for i in range(6)]
    deals, events = _team(rows)
    out = coaching_focus(events, deals, process, AS_OF)
    dan = out.row(0, named=True)
    assert (dan["owner_id"], dan["stage"], dan["measure"], dan["rep_hits"], dan["rep_n"]) == (
        "dan", "A", "days_in_stage", 6, 6)
    assert (dan["team_value"], dan["rep_value"]) == (3.0, 10.0)
    assert dan["line"] == "Dan: 6 of 6 stays in A took longer than the team's median of 3 days (rep's median 10)"
    assert out["stage"].to_list() == ["A", None, None]


def test_too_few_deals_are_not_judged(process) -> None:
    # Four of Gus's deals all lost in A while the rest of the team converts: 4 < 5 deals, no verdict.
    rows = [(f"g{i}", "gus", [("A", 0), ("Lost", 2)]) for i in range(4)]
    rows += [(f"h{i}", "hal", [("A", 0), ("B", 2)]) for i in range(20)]
    deals, events = _team(rows)
    assert coaching_focus(events, deals, process, AS_OF)["stage"].to_list() == [None, None]
    assert coaching_focus(events, deals, process, AS_OF, min_deals=4)["stage"].to_list() == ["A", None]


def test_bonferroni_per_rep() -> None:
    from toolkit.metrics.coaching import _z

    # z for 95 % two-sided over m comparisons: 1.960 (m = 1), 2.241 (m = 2), 2.734 (m = 8).
    assert [round(_z(m), 3) for m in (1, 2, 8)] == [1.960, 2.241, 2.734]
    # 3 of 9 against a team at 14 of 21: behind at m = 1 (upper 0.646), within chance at m = 2 (0.681).
    assert wilson_interval(3, 9, _z(1))[1] < 14 / 21 < wilson_interval(3, 9, _z(2))[1]
    assert round(wilson_interval(3, 9, _z(2))[1], 3) == 0.681
