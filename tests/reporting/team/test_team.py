"""The team report's page: page 1 answers (cards, changes, plan, coaching), the rest is an
appendix, and an export without history says so instead of showing zeros, ages or red."""

from __future__ import annotations

import json
import re

import polars as pl
from pypdf import PdfReader
from report_runs import (
    AS_OF,
    NO_HISTORY_TEAM,
    NORTH,
    SAMPLES,
    TEN_REPS,
    write_pipedrive_without_history,
)

import toolkit
from toolkit import schema as S
from toolkit.metrics.compliance import deal_flags
from toolkit.metrics.review import review_plan


def page_texts(path) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages]


def section_html(document: str, name: str) -> str:
    match = re.search(rf"""data-section=["']{re.escape(name)}["']""", document)
    assert match, f"no section {name}"
    return document[match.start():document.index("</section>", match.start())]


def classes(document: str) -> set[str]:
    return {c for attr in re.findall(r"""class=["']([^"']*)["']""", document) for c in attr.split()}


def test_page_one_holds_the_answer_for_ten_reps(ten_rep_run) -> None:
    data = toolkit.load(SAMPLES / "salesforce_export")
    process = toolkit.load_process()
    team_reps = data.reps.filter(pl.col(S.TEAM_ID) == TEN_REPS)
    assert team_reps.height == 10
    flags = deal_flags(data.deals, data.stage_events, process, AS_OF)
    plan = review_plan(data.deals, flags, data.stage_events, process, as_of=AS_OF).filter(pl.col(S.TEAM_ID) == TEN_REPS)
    assert plan.height == 30  # 3 deals for each of the 10 reps
    pages = page_texts(ten_rep_run / "team_report.pdf")
    first = pages[0]
    missing = [n for n in plan[S.DEAL_NAME] if n not in first]
    assert missing == []
    assert all(n in first for n in team_reps[S.OWNER_NAME])  # every rep, with their coaching point
    assert re.search(r"Process in control\? (In control|Signal|Not known)", first, re.IGNORECASE)
    assert "What changed this week" in first and "This week's review plan" in first
    # the changes block: the week's counts and the biggest changed deal, as the figures model has them
    from toolkit.metrics.figures import compute_figures

    changes = compute_figures(data.deals, data.stage_events, data.reps, process, AS_OF, states=data.deal_states,
                              teams=[TEN_REPS]).team(TEN_REPS).changes
    totals = changes.totals
    assert sum(totals.values()) > 0
    block = first[first.index("What changed this week"):first.index("This week's review plan")]
    assert "24 Jun – 30 Jun 2025" in block
    for key, label in (("new", "new"), ("pushed", "pushed"), ("pulled_in", "pulled in"), ("amount_up", "amount up"),
                       ("amount_down", "amount down"), ("stage_changed", "moved stage"), ("won", "won"),
                       ("lost", "lost")):
        assert f"{totals[key]} {label}" in block
    biggest = changes.deals.with_columns(pl.max_horizontal(pl.col("amount_from").fill_null(0),
                                                           pl.col("amount_to").fill_null(0)).alias("_w")).sort(
        "_w", descending=True)[S.DEAL_NAME][0]
    assert biggest in block
    # the appendix starts on page 2, in the order a manager reads it
    assert "appendix: the detail behind page 1" not in first.lower()
    assert pages[1].lower().startswith("appendix: the detail behind page 1")
    rest = " ".join(pages[1:])
    headings = ["Where deals go on, and where they stop", "How long deals stay in each stage",
                "Is the process steady week to week?", "Which deals break the process, and how",
                "Can you trust the data? (data quality)", "Every deal that changed this week"]
    positions = [rest.index(h) for h in headings]
    assert positions == sorted(positions)


def test_team_report_links_back_to_all_teams(ten_rep_run) -> None:
    html = (ten_rep_run / "team_report.html").read_text(encoding="utf-8")
    assert "href=\"../org_summary.html\"" in html


def test_banner_only_for_errors(tmp_path) -> None:
    from toolkit.reporting.slices import prepare_slices
    from toolkit.reporting.team import open_team

    data = toolkit.load(SAMPLES / "salesforce_export")
    prepare_slices(data, toolkit.load_process(), AS_OF, tmp_path, teams=[TEN_REPS])
    report = open_team(tmp_path / TEN_REPS, TEN_REPS)
    row = {"name": "x", "description": "Deals have an amount", "severity": "warning", "rows": 4,
           "examples": "D1 (line 2)"}
    report.tables["quality"] = pl.DataFrame([row])
    assert "tk-banner" not in classes(report.headline().html)
    assert "Deals have an amount" in report.data_quality().html  # the warning sits in the appendix
    report.tables["quality"] = pl.DataFrame([row, row | {"severity": "error", "description": "Close after created"}])
    banner = report.headline().html
    assert "tk-banner-error" in classes(banner)
    assert "1 check of severity “error” failed (Close after created, 4 rows)" in " ".join(
        re.sub(r"<[^>]+>", "", banner).split())


def test_export_without_history_says_so(no_history_run) -> None:
    html = (no_history_run / "team_report.html").read_text(encoding="utf-8")
    for name in ("funnel", "time-in-stage", "control"):
        part = section_html(html, name)
        assert "This export has no stage history" in part and "deal-flow.jsonl" in part
        assert "<table" not in part and "<svg" not in part  # no tables of zeros, no empty charts
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "not enough weeks" not in text.lower()
    # nothing red for what could not be computed
    assert not {"tk-signal", "tk-banner-error"} & classes(html)
    assert re.search(r"Process in control\? Not known", page_texts(no_history_run / "team_report.pdf")[0], re.IGNORECASE)
    # the compliance table leaves out the checks that need history rather than showing zeros for them
    comp = section_html(html, "compliance")
    assert ">Skip<" not in comp and ">Slow<" not in comp and ">Field<" in comp


def test_days_in_stage_is_never_the_age(tmp_path) -> None:
    export = write_pipedrive_without_history(tmp_path / "export")
    data = toolkit.load(export, roster=export / "roster.csv")
    assert not data.has_history
    process = toolkit.load_process()
    plan = review_plan(data.deals, deal_flags(data.deals, data.stage_events, process, AS_OF), data.stage_events,
                       process, as_of=AS_OF).filter(pl.col(S.TEAM_ID) == NO_HISTORY_TEAM)
    assert plan.height == 24 and plan["days_in_stage"].null_count() == 24
    assert "longest in stage" not in plan["reason"].to_list()
    # slots that "longest in stage" would fill go to the largest open amounts
    assert "largest amount" in plan["reason"].to_list()


def test_a_deal_without_a_name_is_shown_by_its_id(tmp_path) -> None:
    from toolkit.reporting.slices import prepare_slices
    from toolkit.reporting.team import open_team

    data = toolkit.load(SAMPLES / "salesforce_export")
    prepare_slices(data, toolkit.load_process(), AS_OF, tmp_path, teams=[TEN_REPS])
    report = open_team(tmp_path / TEN_REPS, TEN_REPS)
    first = report.tables["plan"].row(0, named=True)
    report.tables["plan"] = report.tables["plan"].with_columns(pl.lit(None, pl.String).alias(S.DEAL_NAME))
    assert f"<bdi>{first[S.DEAL_ID]}</bdi>" in report.review_plan().html


def test_one_method_per_section_in_page_order(small_slices) -> None:
    from toolkit.reporting.options import DEFAULT_NOTEBOOK
    from toolkit.reporting.team import SECTIONS, open_team

    report = open_team(small_slices / NORTH, NORTH)
    methods = ["headline", "changes", "review_plan", "funnel", "time_in_stage", "control", "compliance",
               "data_quality", "all_changes", "workload", "appendix"]
    assert tuple(getattr(report, m)().section for m in methods) == SECTIONS
    # the notebook calls exactly these, in this order
    cells = [c["source"] for c in json.loads(DEFAULT_NOTEBOOK.read_text(encoding="utf-8"))["cells"]]
    calls = [line.strip() for src in cells for line in ("".join(src)).splitlines() if line.startswith("report.")]
    assert calls == [f"report.{m}()" for m in methods]
