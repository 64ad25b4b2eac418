"""Compliance flags and rates on small hand-built histories."""

from __future__ import annotations

import datetime as dt

from metric_frames import AS_OF, as_polars, deals_frame, events_frame

from toolkit import schema as S
from toolkit.metrics.compliance import compliance_rates, deal_compliance, deal_flags
from toolkit.process import parse_process

t = dt.datetime


def test_each_flag_with_its_evidence(backend, process) -> None:
    deals = deals_frame([
        {S.DEAL_ID: "skip", S.STAGE: "C"},
        {S.DEAL_ID: "back", S.STAGE: "B"},
        {S.DEAL_ID: "slow", S.STAGE: "C"},
        {S.DEAL_ID: "stuck", S.STAGE: "A"},
        {S.DEAL_ID: "nofield", S.STAGE: "C", "decision_maker": None},
        {S.DEAL_ID: "late", S.STAGE: "B"},
        {S.DEAL_ID: "overdue", S.STAGE: "A", S.CLOSE_DATE: dt.date(2025, 6, 20)},
        {S.DEAL_ID: "clean", S.STAGE: "Won", S.STATUS: "won"},
    ])
    events = events_frame([
        ("skip", "A", t(2025, 6, 20)), ("skip", "C", t(2025, 6, 22)),
        ("back", "A", t(2025, 6, 20)), ("back", "B", t(2025, 6, 21)), ("back", "A", t(2025, 6, 22)),
        ("back", "B", t(2025, 6, 23)),
        ("slow", "A", t(2025, 6, 1)), ("slow", "B", t(2025, 6, 12, 12)),       # 11.5 days in A
        ("slow", "C", t(2025, 6, 20)),                                          # 7.5 in B, 10 in C: within
        ("stuck", "A", t(2025, 6, 15)),                                         # 15 days to as_of
        ("nofield", "A", t(2025, 6, 25)), ("nofield", "B", t(2025, 6, 26)), ("nofield", "C", t(2025, 6, 27)),
        ("late", "B", t(2025, 6, 25)),
        ("overdue", "A", t(2025, 6, 25)),
        ("clean", "A", t(2025, 5, 1)), ("clean", "B", t(2025, 5, 5)), ("clean", "C", t(2025, 5, 9)),
        ("clean", "Won", t(2025, 5, 12)),
    ])
    flags = as_polars(deal_flags(backend(deals), backend(events), process, AS_OF))
    got = sorted((r["deal_id"], r["flag"], r["stage"], r["value"], r["detail"]) for r in flags.iter_rows(named=True))
    assert got == [
        ("back", "backward_move", "A", None, "B → A"),
        ("late", "started_late", "B", None, "first stage B"),
        ("nofield", "missing_required_field", "B", None, "field decision_maker is empty"),
        ("overdue", "overdue_close_date", "A", 10.0, "close date 2025-06-20"),
        ("skip", "skipped_stage", "B", None, "A → C"),
        ("slow", "over_time_limit", "A", 11.5, "11.5 days, limit 10"),
        ("stuck", "over_time_limit", "A", 15.0, "15.0 days, limit 10"),
    ]


def test_compliance_and_rates_with_and_without_history(backend, process) -> None:
    deals = deals_frame([
        {S.DEAL_ID: "a", S.OWNER_ID: "r1"}, {S.DEAL_ID: "b", S.OWNER_ID: "r1", S.STAGE: "C"},
        {S.DEAL_ID: "c", S.OWNER_ID: "r2"},                     # no history
        {S.DEAL_ID: "d", S.OWNER_ID: "r2", S.AMOUNT: None},     # no history, missing amount
    ])
    events = events_frame([("a", "A", t(2025, 6, 28)), ("b", "A", t(2025, 6, 28)), ("b", "C", t(2025, 6, 29))])
    comp = as_polars(deal_compliance(backend(deals), backend(events), process, AS_OF))
    rows = {r["deal_id"]: r for r in comp.iter_rows(named=True)}
    assert rows["a"]["compliant"] is True and rows["a"]["has_history"] is True
    assert rows["b"]["skipped_stage"] is True and rows["b"]["compliant"] is False
    # Checks that need history say "no history" (null) instead of passing.
    assert rows["c"]["skipped_stage"] is None and rows["c"]["over_time_limit"] is None
    assert rows["c"]["compliant"] is True and rows["c"]["has_history"] is False
    assert rows["d"]["missing_required_field"] is True and rows["d"]["violations"] == 1
    rates = as_polars(compliance_rates(backend(comp), by="owner_id"))
    assert rates.select("owner_id", "deals", "with_history", "compliant", "compliance_rate").rows() == [
        ("r1", 2, 2, 1, 0.5), ("r2", 2, 0, 1, 0.5)]


def test_allowed_skips_are_not_violations() -> None:
    lenient = parse_process("name: L\nstages: [{name: A}, {name: B}, {name: C}]\nwon: Won\nlost: Lost\n"
                            "allow: {skip: true}\n")
    deals = deals_frame([{S.DEAL_ID: "s", S.STAGE: "C"}])
    events = events_frame([("s", "A", t(2025, 6, 28)), ("s", "C", t(2025, 6, 29))])
    row = deal_compliance(deals, events, lenient, AS_OF).row(0, named=True)
    assert row["skipped_stage"] is True and row["violations"] == 0 and row["compliant"] is True
