"""The load summary and the metrics as a terminal shows them."""

from __future__ import annotations

import polars as pl

from toolkit.cli.text import render_metrics, render_summary


def test_summary_accounts_for_every_line_and_shows_rejects_by_reason() -> None:
    summary = {
        "source": "pipedrive", "deals": 1234, "stage_events": 0, "has_history": False, "reps": 3, "teams": 1,
        "lines_in": 1240, "rows": 1234, "rejected": 4, "skipped": 2,
        "files": [{"file": "deals.csv", "role": "deals", "lines_in": 1240, "rows": 1234, "rejected": 4,
                   "skipped_by_kind": "header=1, blank=1", "encoding": "utf-8", "delimiter": ",",
                   "date_style": "iso", "decimal": None}],
        "rejects_by_reason": {"BAD_DATE": 3, "MALFORMED_RECORD": 1}, "notes": ["roster.csv completes teams"]}
    rejects = pl.DataFrame({"file": ["deals.csv"] * 4, "line": [7, 9, 11, 40],
                            "column": ["close_date", "close_date", "close_date", None],
                            "raw": ["31/02/2025", "x" * 80, "soon", '"unterminated'],
                            "reason": ["BAD_DATE", "BAD_DATE", "BAD_DATE", "MALFORMED_RECORD"]})
    assert render_summary(summary, rejects).splitlines() == [
        "source        pipedrive",
        "deals         1,234",
        "stage_events  0  (no stage history)",
        "reps          3",
        "teams         1",
        "lines in      1,240 = 1,234 rows + 4 rejected + 2 skipped",
        "",
        "files",
        "  deals.csv (deals): 1,240 lines, 1,234 rows, 4 rejected, skipped header=1, blank=1; encoding utf-8, "
        "delimiter ',', dates iso, decimal -",
        "",
        "rejects by reason",
        "  BAD_DATE: 3",
        "    deals.csv:7 close_date '31/02/2025'",
        "    deals.csv:9 close_date '" + "x" * 60 + "'",  # raw text cut to 60 characters
        "    deals.csv:11 close_date 'soon'",
        "  MALFORMED_RECORD: 1",
        "    deals.csv:40  '\"unterminated'",
        "",
        "notes",
        "  roster.csv completes teams",
    ]


def metrics(**changes: object) -> dict:
    m = {
        "as_of": "2025-06-30",
        "teams": [{"team_name": "Nordics and the Baltic states region", "reps": 4, "open": 31, "won": 5, "lost": 2,
                   "review_hours_full": 15.5, "review_hours_sampled": 6.0, "compliance_rate": 0.8125,
                   "period_compliance_rate": None, "verdict": "in control"}],
        "reps": [{"owner_name": "Ann", "team_id": "nordics-49521b", "open": 9, "won": 1, "lost": 0, "flagged": 2,
                  "compliance_rate": 0.5}],
        "transitions": {"forward": 10, "skip": 1}, "deals_flagged": {"skipped_stage": 1},
        "changes": {"start": "2025-06-23T23:59:59", "end": "2025-06-30T23:59:59", "window_days": 7,
                    "basis": "history", "totals": {"new": 2, "pulled_in": 1}},
        "control": [{"team_id": "nordics-49521b", "pipeline": None, "measure": "in_process_share", "chart": "p",
                     "verdict": "in control", "reason": "every judged week inside the limits"}],
        "coaching": [{"stage": "Propose", "line": "Ann: Propose, 1 of 6 go on"}, {"stage": None, "line": "x"}],
    }
    return m | changes


def test_metrics_as_tables() -> None:
    lines = render_metrics(metrics(), has_history=True).splitlines()
    assert lines == [
        "as of 2025-06-30",
        "",
        "teams",
        "  team                         reps  open   won  lost  full h sample h compliant period  in control?",
        "  Nordics and the Baltic state    4    31     5     2    15.5      6.0       81%      -  in control",
        "",
        "reps",
        "  rep                          team                    open   won  lost flagged compliant",
        "  Ann                          nordics-49521b             9     1     0       2       50%",
        "",
        "stage moves: forward 10, skip 1",
        "deals flagged: skipped_stage 1",
        "",
        "changes 2025-06-23 23:59 – 2025-06-30 23:59 (7 days, from history)",
        "  new 2, pulled in 1",
        "",
        "control (Western Electric rules 1-4)",
        "  nordics-49521b                     in_process_share       p    in control: every judged week inside the "
        "limits",
        "",
        "coaching (behind the team beyond chance: 95 % Wilson interval, Bonferroni per rep, >= 5 deals)",
        "  Ann: Propose, 1 of 6 go on",
        "  1 other rep(s): no stage behind the team beyond chance",
    ]


def test_metrics_say_what_an_export_without_history_cannot_tell() -> None:
    text = render_metrics(metrics(changes={"start": "2025-06-23T23:59:59", "end": "2025-06-30T23:59:59",
                                           "window_days": 7, "basis": "none", "totals": {"new": 2}},
                                  control=[{"team_id": "t", "pipeline": "Renewals", "measure": "win_rate",
                                            "chart": "p'", "verdict": "signal", "reason": "WE1"}]),
                          has_history=False)
    assert ("  no deal history in this export: only new deals are counted; pass --previous PATH (an earlier export) "
            "to see the rest") in text.splitlines()
    assert "  t / Renewals                       win_rate               p'   signal: WE1" in text.splitlines()
    assert text.splitlines()[-1] == ("no stage history in this export: skips, backward moves, time limits and late "
                                     "starts could not be checked")
