"""Page 1 of a team report on the four-deal export (``write_small_export``), whose figures are
worked out by hand: North has 3 deals (A1 new on 26 Jun, A2 won, A3 skipped Discover on 25 Jun)."""

from __future__ import annotations

import re

import polars as pl
import pytest
from report_runs import NORTH

from toolkit.reporting.team import TeamReport, open_team


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def north(small_slices) -> TeamReport:
    return open_team(small_slices / NORTH, NORTH)


def test_the_cards(north: TeamReport) -> None:
    page = text(north.headline().html)
    assert page.startswith("North : sales process report Manager Mia · as of 2025-06-30 · latest record "
                           "2025-06-26 00:00 · process “ Standard B2B ” · source generic · all teams")
    # 2 open deals x 30 min = 1.0 h, 2.5 % of 40 h (shown as 2 %: round half to even)
    assert "Review this week 1.0 h 2 deals, 3 per rep, instead of 1.0 h for all 2 open deals (2% of a 40-hour week)" \
        in page
    assert ("Process compliance 67% 2 of 3 deals active in the last 13 weeks follow the process (all time 67%); "
            "most often: skipped a stage (1)") in page
    assert ("Process in control? Not known Weekly share of stage moves that follow the process (p chart): too few "
            "weeks with enough stage moves to judge") in page
    assert page.endswith("Team 1 reps 2 open, 1 won, 0 lost")
    assert 'href="../org_summary.html"' in north.headline().html and "tk-banner" not in north.headline().html


def test_a_failed_error_check_raises_the_banner(north: TeamReport) -> None:
    north.tables["quality"] = pl.DataFrame([
        {"name": "a", "description": "Close after created", "severity": "error", "rows": 2, "examples": ""},
        {"name": "b", "description": "Amount is set", "severity": "warning", "rows": 9, "examples": ""}])
    assert ("Data errors in this team's rows: 1 check of severity “error” failed ( Close after created , 2 rows). "
            "Check them in the appendix (Data quality) before acting on these figures.") in text(north.headline().html)


def test_what_changed_this_week(north: TeamReport) -> None:
    assert text(north.changes().html) == (
        "What changed this week 24 Jun – 30 Jun 2025 1 new 0 pushed 0 pulled in 0 amount up 0 amount down 1 moved "
        "stage 0 won 0 lost Biggest changed deals Rep What changed Amount Alpha Ann new deal 1,000 EUR Delta Ann "
        "stage Qualify → Propose 700 EUR")


def test_an_export_without_history_of_changes_says_how_to_get_them(north: TeamReport) -> None:
    north.meta["figures"]["changes"] |= {"basis": "none"}
    north.meta["provenance"]["source"] = "pipedrive"
    assert text(north.changes().html) == (
        "What changed this week 24 Jun – 30 Jun 2025 This export has no history of stages, amounts or close dates, so "
        "what changed this week cannot be shown. Pass last week's export with --previous, or: Add deal-flow.jsonl (the "
        "deals' change log) beside the deals export to get it.".replace("'", "&#39;"))


def test_the_review_plan_per_rep_with_the_coaching_point(north: TeamReport) -> None:
    page = text(north.review_plan().html)
    # the violation first, then the random audit pick; days in stage to 30 Jun
    assert ("Ann no stage behind the team beyond chance Delta skipped a stage: Qualify → Propose Propose 5 700 EUR "
            "Alpha random audit pick Qualify 4 1,000 EUR") in page
    assert page.startswith("This week's review plan 2 deals, 3 per rep, with a coaching point per rep")
    assert "below 63% with 95 % confidence" in page  # 1 - 0.05^(1/3)
