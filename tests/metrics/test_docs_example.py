"""The worked example of docs/metrics.md, computed: the numbers the document quotes."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from metric_frames import deals_frame, events_frame

from toolkit import schema as S
from toolkit.metrics.changes import KINDS, compute_changes, deal_changes
from toolkit.metrics.coaching import coaching_focus, wilson_interval
from toolkit.metrics.compliance import compliance_rates, deal_compliance, deal_flags, stage_transitions
from toolkit.metrics.control import p_chart, verdicts, we_signals, xmr
from toolkit.metrics.period import period_compliance, rule_rates
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
         S.CREATED_AT: t(2025, 6, 24),
         S.CLOSE_DATE: dt.date(2025, 9, 30), "decision_maker": None},
        {S.DEAL_ID: "D5", S.OWNER_ID: "ben", S.OWNER_NAME: "Ben", S.STAGE: "Closed Won", S.STATUS: "won",
         S.AMOUNT: 20000.0, S.CLOSE_DATE: dt.date(2025, 6, 12)},
    ]).with_columns(pl.lit("call back").alias("next_step"))
    events = events_frame([
        ("D1", "Qualify", t(2025, 6, 2)), ("D1", "Discover", t(2025, 6, 10)), ("D1", "Propose", t(2025, 6, 20)),
        ("D2", "Qualify", t(2025, 6, 1)), ("D2", "Propose", t(2025, 6, 12)),
        ("D3", "Qualify", t(2025, 5, 16)), ("D3", "Discover", t(2025, 6, 5)),
        ("D4", "Qualify", t(2025, 6, 24)),
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


def test_the_period_compliance_example() -> None:
    process = load_process()
    deals, events = example()
    comp = deal_compliance(deals, events, process, AS_OF)
    team = period_compliance(comp, deals, AS_OF).row(0, named=True)
    assert (team["period_deals"], team["period_compliant"], team["period_rate"]) == (5, 3, 0.6)
    reps = period_compliance(comp, deals, AS_OF, by=S.OWNER_ID)
    assert reps.select(S.OWNER_ID, "period_rate").rows() == [("ana", pytest.approx(1 / 3)), ("ben", 1.0)]
    rules = {r["rule"]: (r["flagged"], r["checked"]) for r in rule_rates(comp, deals, AS_OF).iter_rows(named=True)}
    assert rules["over_time_limit"] == (1, 5) and rules["skipped_stage"] == (1, 5)


def test_the_changes_example() -> None:
    process = load_process()
    deals, _events = example()
    eur = "EUR"
    states = pl.DataFrame([
        ("D1", t(2025, 6, 20), "Propose", 10000.0, eur, dt.date(2025, 7, 31), "h", 2),
        ("D1", t(2025, 6, 26), "Propose", 12000.0, eur, dt.date(2025, 7, 31), "h", 3),
        ("D2", t(2025, 6, 12), "Propose", 30000.0, eur, dt.date(2025, 6, 15), "h", 4),
        ("D3", t(2025, 6, 5), "Discover", 8000.0, eur, dt.date(2025, 7, 31), "h", 5),
        ("D3", t(2025, 6, 27), "Discover", 8000.0, eur, dt.date(2025, 8, 31), "h", 6),
        ("D4", t(2025, 6, 24), "Qualify", 5000.0, eur, dt.date(2025, 9, 30), "h", 7),
        ("D5", t(2025, 6, 12), "Closed Won", 20000.0, eur, dt.date(2025, 6, 12), "h", 8),
    ], schema=S.polars_schema(S.DEAL_STATES), orient="row")
    changes = deal_changes(states, deals, process, AS_OF)
    assert {r[S.DEAL_ID]: [k for k in KINDS if r[k]] for r in changes.iter_rows(named=True)} == {
        "D1": ["amount_up"], "D3": ["pushed"], "D4": ["new"]}
    assert compute_changes(deals, process, AS_OF, states=states).totals == {
        "new": 1, "pushed": 1, "pulled_in": 0, "amount_up": 1, "amount_down": 0, "stage_changed": 0, "won": 0,
        "lost": 0}


def test_the_p_chart_example() -> None:
    n = [10, 12, 8, 10, 11, 9, 10, 12, 10, 8]
    ok = [9, 11, 8, 9, 10, 9, 9, 11, 9, 3]
    chart = p_chart(pl.DataFrame({"week": range(1, 11), "ok": ok, "n": n}), "ok", "n")
    assert chart["chart"][0] == "p" and chart["centre"][0] == 0.88
    limits = {m: (round(lo, 2), hi) for m, lo, hi in chart.select("n", "lower_limit", "upper_limit").iter_rows()}
    assert limits[10] == (0.57, 1.0) and limits[8] == (0.54, 1.0)
    assert chart["signal"].to_list() == [""] * 9 + ["WE1"]
    assert verdicts(chart).select("verdict", "rules").row(0) == ("signal", "WE1")
    # Without the bound rule the first nine weeks (all above 88 %) would be a run of 8.
    z = chart["z"].to_list()
    assert we_signals(z)[:9] == [["WE4"]] * 9


def test_the_coaching_example() -> None:
    process = load_process()

    def team(anna_on: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        rows = [(f"a{i}", "anna", "Negotiate" if i < anna_on else "Closed Lost") for i in range(9)]
        rows += [(f"b{i}", "ben", "Negotiate" if i < 11 else "Closed Lost") for i in range(12)]
        deals = deals_frame([{S.DEAL_ID: d, S.OWNER_ID: o, S.OWNER_NAME: o.title(), S.STAGE: s,
                              S.STATUS: "lost" if s == "Closed Lost" else "open"} for d, o, s in rows])
        events = events_frame([e for d, _o, s in rows for e in ((d, "Propose", t(2025, 6, 2)), (d, s, t(2025, 6, 9)))])
        return events, deals

    assert [round(x, 2) for x in wilson_interval(3, 9)] == [0.12, 0.65]
    assert [round(x, 2) for x in wilson_interval(5, 9)] == [0.27, 0.81]
    lines = coaching_focus(*team(3), process, AS_OF)["line"].to_list()
    assert lines[0] == "Anna: 3 of 9 deals went on from Propose, team 67%"
    assert coaching_focus(*team(5), process, AS_OF)["stage"].to_list() == [None, None]


def test_the_control_chart_example() -> None:
    values = [0.90, 0.92, 0.91, 0.93, 0.92, 0.91, 0.90, 0.60]
    chart = xmr(pl.DataFrame({"week": range(8), "share": values}), "share")
    row = chart.row(0, named=True)
    assert round(row["centre"], 4) == 0.8738 and round(row["mr_centre"], 4) == 0.0543
    assert (round(row["lower_limit"], 3), round(row["upper_limit"], 3)) == (0.729, 1.018)
    assert verdicts(chart).select("verdict", "rules").row(0) == ("signal", "WE1")
