"""The appendix of a team report on the four-deal export (``write_small_export``); an export
without stage history says so in each section that needs it, naming what would add it."""

from __future__ import annotations

import re

import pytest
from report_runs import NORTH

from toolkit.reporting.team import TeamReport, open_team


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "[chart]", html, flags=re.S)).split()).replace(
        "&#39;", "'")


@pytest.fixture
def north(small_slices) -> TeamReport:
    return open_team(small_slices / NORTH, NORTH)


def test_workload(north: TeamReport) -> None:
    page = plain(north.workload().html)
    assert page.startswith("Review time and deal load Reviewing every open deal (2 × 30 min) takes 1.0 h a week, 2% "
                           "of the manager's 40 hours. The sampled review takes 1.0 h (2%), freeing 0.0 h for "
                           "coaching. [chart] Hours per week")
    # Ann: A1 and A3 open (ages 4 and 28 days: 16 on average), A2 won; A1 new in the last 7 days
    assert "Ann 2 1 0 1 0 16" in page
    assert page.endswith("Open pipeline per currency Currency Open deals Open pipeline EUR 2 1,700")


def test_every_change(north: TeamReport) -> None:
    assert plain(north.all_changes().html) == (
        "Every deal that changed this week Rep New Pushed Pulled in Amount up Amount down Moved stage Won Lost "
        "Ann 1 0 0 0 0 1 0 0 Rep Deal What changed Amount Ann Alpha new deal 1,000 Ann Delta stage Qualify → Propose "
        "700")


def test_data_quality_and_definitions(north: TeamReport) -> None:
    assert plain(north.data_quality().html) == (
        "Can you trust the data? (data quality) 16 input lines read; 0 rejected across the whole export (each listed "
        "with its file, line and reason by toolkit load --rejects). Only checks of severity “error” raise the banner "
        "on page 1; warnings are listed here. Every data-quality check passed for this team's rows.")
    north.meta["provenance"]["process_note"] = "process read from the export"
    assert plain(north.data_quality().html).startswith(
        "Can you trust the data? (data quality) process read from the export 16 input lines read")
    definitions = plain(north.appendix().html)
    assert "Review time, sampled min(open deals, 3) per rep × 30 minutes." in definitions
    assert "(Qualify 14 days, Discover 21 days, Propose 21 days, Negotiate 30 days)" in definitions


def test_compliance_lists_the_flag_behind_it(north: TeamReport) -> None:
    page = plain(north.compliance().html)
    assert page.startswith("Which deals break the process, and how [chart]")
    # Ann: 3 deals, 2 in order; A3 skipped Discover and stayed 23 days in Qualify (2 Jun - 25 Jun, limit 14)
    assert "Rep Deals OK Rate Skip Back Slow Field Late start Overdue Ann 3 2 67% 1 0 1 0 0 0" in page
    assert page.endswith("The flags behind it Rep Deal Flag Stage Evidence Ann Delta over the time limit Qualify "
                         "23.0 days, limit 14 Ann Delta skipped a stage Discover Qualify → Propose")


def test_without_history_each_section_says_what_would_add_it(north: TeamReport) -> None:
    north.meta["provenance"] |= {"has_history": False, "source": "salesforce"}
    hint = "Add OpportunityHistory.csv from the same Salesforce Data Export to get it."
    for block, what in ((north.funnel(), "how deals move from stage to stage"),
                        (north.time_in_stage(), "the time deals spend in each stage"),
                        (north.control(), "the weekly share of moves that follow the process")):
        assert f"This export has no stage history, so {what} cannot be shown. {hint}" in plain(block.html)
        assert "<svg" not in block.html and "<table" not in block.html
    comp = north.compliance().html
    assert ">Skip<" not in comp and ">Slow<" not in comp and ">Field<" in comp and ">Overdue<" in comp


def test_control_with_too_few_weeks(north: TeamReport) -> None:
    # a handful of stage moves in as many weeks: no week has enough to draw limits
    assert plain(north.control().html) == ("Is the process steady week to week? Too few weeks with stage moves to draw "
                                           "limits yet; the chart appears once there are enough.")
