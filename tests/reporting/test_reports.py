"""The report run: files, figures, isolation, offline HTML, escaping."""

from __future__ import annotations

import json
import re

import polars as pl
from pypdf import PdfReader
from report_runs import AS_OF, EVIL, SAMPLES, TWO_TEAMS

import toolkit
from toolkit import schema as S
from toolkit.exit_codes import ExitCode

EXIT_OK = ExitCode.OK


def visible(html: str) -> str:
    """The text a reader sees in an HTML page (tags dropped, entities decoded, spaces collapsed)."""
    import html as h

    return " ".join(h.unescape(re.sub(r"<[^>]+>", " ", html)).split()).replace(" :", ":")


def pdf_text(path) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages)


def test_two_teams_published(two_team_run) -> None:
    result, day = two_team_run
    assert result.exit_code == EXIT_OK, result.message
    assert [t.status for t in result.teams] == ["published", "published"]
    for team in TWO_TEAMS:
        for name in ("team_report.html", "team_report.pdf", "team_report.ipynb"):
            assert (day / team / name).stat().st_size > 10_000
    index = (day / "index.html").read_text(encoding="utf-8")
    assert all(f"{t}/team_report.pdf" in index for t in TWO_TEAMS)
    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    assert [t["status"] for t in manifest["teams"]] == ["published", "published"]
    assert {f["file"] for f in manifest["inputs"]} == {"Opportunity.csv", "OpportunityHistory.csv", "User.csv",
                                                       "UserRole.csv"}
    assert all(len(f["sha256"]) == 64 for f in manifest["inputs"])
    assert not list(day.rglob("*.tmp"))
    org = visible((day / "org_summary.html").read_text(encoding="utf-8"))
    assert "All teams, as of 2025-06-30" in org and "DACH" in org and "Nordics" in org
    assert manifest["org_summary"]["status"] == "published" and "org_summary.html" in index
    # the org page links each team's report and shows its control verdict
    raw_org = (day / "org_summary.html").read_text(encoding="utf-8")
    assert all(f'href="{t}/team_report.html"' in raw_org for t in TWO_TEAMS)
    assert "Process in control?" in org
    assert re.search(r"DACH Jörg Müller 8 \d+ (In control|Signal|Not known)", org)


def test_reports_carry_the_figures_the_library_computes(two_team_run) -> None:
    _result, day = two_team_run
    from toolkit.metrics.figures import compute_figures
    from toolkit.metrics.review import review_load

    process = toolkit.load_process()
    data = toolkit.load(SAMPLES / "salesforce_export")
    load = review_load(data.deals, process, reps=data.reps)
    m = compute_figures(data.deals, data.stage_events, data.reps, process, AS_OF)
    for team in TWO_TEAMS:
        row = load.filter(pl.col(S.TEAM_ID) == team).row(0, named=True)
        rate = m.team(team).compliance.rate
        name = row[S.TEAM_NAME]
        html = visible((day / team / "team_report.html").read_text(encoding="utf-8"))
        text = pdf_text(day / team / "team_report.pdf")
        for doc in (html, text):
            assert f"{name}: sales process report" in doc
            assert f"{row['review_hours_sampled']:.1f} h" in doc
            assert f"{row['review_hours_full']:.1f} h" in doc
            assert f"{rate:.0%}" in doc
            assert f"all {row['open']} open deals" in doc


def test_no_foreign_names_and_no_code_in_reports(two_team_run) -> None:
    _result, day = two_team_run
    data = toolkit.load(SAMPLES / "salesforce_export")
    for team in TWO_TEAMS:
        others = data.deals.filter(pl.col(S.TEAM_ID) != team)
        raw = (day / team / "team_report.html").read_text(encoding="utf-8")
        html, text = visible(raw), pdf_text(day / team / "team_report.pdf")
        for doc in (html, text):
            # no other team's rep or deal names (a rep name shared with this team is not foreign)
            own_reps = set(data.deals.filter(pl.col(S.TEAM_ID) == team)[S.OWNER_NAME])
            assert not [n for n in set(others[S.OWNER_NAME]) - own_reps if n in doc]
            assert not [n for n in others[S.DEAL_NAME] if n in doc]
        assert "open_team(" not in raw and "report.headline()" not in raw  # no code cells
        assert "jp-InputArea" not in raw


def test_html_loads_nothing_from_the_network(two_team_run) -> None:
    _result, day = two_team_run
    html = (day / TWO_TEAMS[0] / "team_report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.IGNORECASE)
    assert "<script" not in html.lower()
    assert html.count("<svg") >= 6  # charts are inline SVG


def test_hostile_names_are_text(hostile_run) -> None:
    result, day = hostile_run
    assert result.exit_code == EXIT_OK, result.message
    # "Sales/EMEA" and "Sales EMEA" are two teams with two files, neither overwriting the other
    assert len([t for t in result.teams if t.status == "published"]) == 2
    assert len({t.team_id for t in result.teams}) == 2
    for t in result.teams:
        html = (day / t.team_id / "team_report.html").read_text(encoding="utf-8")
        assert "<img src=x" not in html and "<script>alert" not in html
        assert "javascript:" not in html.replace("[x](javascript:alert(1))", "")  # only as escaped text
        assert "onerror=alert" not in html.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    evil_team = next(t for t in result.teams if (day / t.team_id / "team_report.html").read_text(
        encoding="utf-8").count("&lt;img src=x onerror=alert(1)&gt;"))
    text = pdf_text(day / evil_team.team_id / "team_report.pdf")
    assert EVIL in text  # shown literally in the PDF


def test_rerun_is_a_no_op_unless_forced(two_team_run, tmp_path) -> None:
    from toolkit.reporting.options import RunOptions
    from toolkit.reporting.run import run_reports

    _result, day = two_team_run
    before = {p: p.stat().st_mtime_ns for p in day.rglob("*") if p.is_file() and p.name not in (".lock", "run.log")}
    again = run_reports(RunOptions(input=SAMPLES / "salesforce_export", out=day.parent, as_of=AS_OF, teams=TWO_TEAMS))
    assert again.exit_code == EXIT_OK and again.message.startswith("nothing to do")
    after = {p: p.stat().st_mtime_ns for p in day.rglob("*") if p.is_file() and p.name not in (".lock", "run.log")}
    assert before == after


def test_the_process_used_is_written_beside_the_reports(two_team_run) -> None:
    """A rerun with --process <day>/process.yaml judges the deals as this run did."""
    from dataclasses import replace

    from toolkit.process import load_process

    _result, day = two_team_run
    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    written, default = load_process(day / "process.yaml"), load_process(None)
    assert manifest["process"]["file"] == "process.yaml"
    assert manifest["process"]["read_from_export"] is False
    assert replace(written, source=default.source) == default   # every stage, limit and rule, not the file name
