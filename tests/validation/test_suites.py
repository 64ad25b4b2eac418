"""The checks as plain data, built from the schema and the process (no GX): which ones, in the
order reported, with the thresholds and severities the process sets."""

from __future__ import annotations

import datetime as dt

from toolkit.process import parse_process
from toolkit.validation.suites import ERROR, WARNING, build_checks, judged_by, reached_column

AS_OF = dt.date(2025, 6, 30)
PROCESS = parse_process("""\
name: T
stages: [{name: A, required: [amount]}, {name: B, required: [decision_maker, next_step]}]
won: Won
lost: Lost
validation: {amount_ceiling: 5000, close_date_years_back: 1, close_date_years_ahead: 2,
             severity: {deals.amount.in_range: error, deals.stage.known: warning}}
""")


def test_the_checks_in_report_order() -> None:
    checks = build_checks(PROCESS, as_of=AS_OF)
    assert [(c.name, c.severity) for c in checks] == [
        ("deals.status.not_null", ERROR), ("deals.closed_at.set_when_closed", ERROR),
        ("deals.created_before_closed", ERROR),
        ("deals.amount.in_range", ERROR),  # raised to error by the process
        ("deals.close_date.sane", WARNING), ("deals.currency.known", WARNING), ("deals.currency.present", WARNING),
        ("deals.owner.present", WARNING), ("deals.team.assigned", WARNING),
        ("deals.stage.known", WARNING),  # lowered to warning by the process
        ("stage_events.entered_at.not_null", ERROR), ("stage_events.entered_at.not_future", WARNING),
        ("stage_events.stage.known", ERROR),
        ("process.A.amount", WARNING), ("process.B.decision_maker", WARNING), ("process.B.next_step", WARNING)]
    by_name = {c.name: c for c in checks}
    assert by_name["deals.amount.in_range"].kwargs == {"column": "amount", "min_value": 0, "max_value": 5000}
    assert by_name["deals.amount.in_range"].description == "Amounts are between 0 and 5,000."
    sane = by_name["deals.close_date.sane"]
    assert (sane.kwargs["min_value"], sane.kwargs["max_value"]) == (dt.datetime(2024, 6, 30), dt.datetime(2027, 6, 30))
    assert by_name["deals.closed_at.set_when_closed"].condition == ("in", "status", ["won", "lost"])
    assert by_name["process.B.next_step"].condition == ("eq", "_reached_1", True)
    assert by_name["process.B.next_step"].description == (
        "Deals that reached B have next_step filled (the process requires it).")
    assert by_name["stage_events.entered_at.not_future"].kwargs["max_value"] == dt.datetime(2025, 6, 30, 23, 59, 59,
                                                                                           999999)
    assert by_name["deals.stage.known"].description == "Every stage label is a stage of the process (A, B, Won, Lost)."


def test_no_history_no_history_checks_and_a_roster_adds_one() -> None:
    names = [c.name for c in build_checks(PROCESS, as_of=AS_OF, has_history=False, roster_owners=["bob", "ann", "bob"])]
    assert not [n for n in names if n.startswith("stage_events.")]
    roster = next(c for c in build_checks(PROCESS, as_of=AS_OF, roster_owners=["bob", "ann", "bob"])
                  if c.name == "deals.owner.in_roster")
    assert roster.kwargs == {"column": "_owner_key", "value_set": ["ann", "bob"]} and roster.severity == WARNING


def test_each_pipelines_process_judges_its_deals() -> None:
    process = parse_process("""\
name: P
pipelines:
  New business: {stages: [{name: Qualify, required: [amount]}], won: Won, lost: Lost}
  Renewals: {stages: [{name: Check}, {name: Sign, required: [next_step]}], won: Won, lost: Lost}
""")
    assert [prefix for prefix, _ in judged_by(process)] == ["", "New business.", "Renewals."]
    assert reached_column("Renewals.", 1) == "_reached_Renewals.1"
    required = [(c.name, c.condition) for c in build_checks(process, as_of=AS_OF) if c.name.startswith("process.")]
    assert ("process.Renewals.Sign.next_step", ("eq", "_reached_Renewals.1", True)) in required
    assert ("process.New business.Qualify.amount", ("eq", "_reached_New business.0", True)) in required
    known = next(c for c in build_checks(process, as_of=AS_OF) if c.name == "deals.stage.known")
    assert known.description == ("Every stage label is a stage of its pipeline's process (New business: Qualify, Won, Lost; "
                                 "Renewals: Check, Sign, Won, Lost).")
