"""The data-quality report on hand-built outcomes: what blocks, the summary, where each failure
is, and the report as text, HTML (escaped) and a frame."""

from __future__ import annotations

import polars as pl

from toolkit.validation.report import DataQualityReport, ExpectationOutcome


def outcomes() -> list[ExpectationOutcome]:
    return [
        ExpectationOutcome("deals.amount.set", "deals", "Deals have an amount", "warning", False, 3, 12,
                           [4, 9, 11], ["D3", "D8", None]),
        ExpectationOutcome("deals.stage.known", "deals", "Stage <known>", "error", True, 0, 12),
        ExpectationOutcome("load.lines", "files", "Every line is accounted for", "error", False, 2, 40, [7, 2],
                           [None, None], source_files=["deals.csv", "history.csv"], error="boom & more"),
    ]


def test_what_blocks_and_the_summary() -> None:
    report = DataQualityReport(outcomes())
    assert report.blocking and not report.success
    assert [o.name for o in report.failed] == ["deals.amount.set", "load.lines"]
    assert report.summary() == {"error_passed": 1, "error_failed": 1, "warning_passed": 0, "warning_failed": 1}
    warnings_only = DataQualityReport([o for o in outcomes() if o.severity == "warning"])
    assert not warnings_only.blocking and not warnings_only.success
    assert DataQualityReport([]).success and not DataQualityReport([]).blocking


def test_where_each_failure_is() -> None:
    amount, _, lines = outcomes()
    assert amount.where() == ["4", "9", "11"] and amount.where(2) == ["4", "9"]
    assert lines.where() == ["deals.csv:7", "history.csv:2"]  # a check across files names the file
    assert amount.unexpected_share == 0.25
    assert ExpectationOutcome("x", "deals", "x", "error", True, 0, 0).unexpected_share == 0.0


def test_as_text() -> None:
    assert DataQualityReport(outcomes()).render_text().splitlines() == [
        "data quality: BLOCKING - errors failed 1, warnings failed 1, passed 1",
        "  FAIL warning deals.amount.set: Deals have an amount [3 rows, 25.0%; lines 4, 9, 11]",
        "  PASS error   deals.stage.known: Stage <known>",
        "  FAIL error   load.lines: Every line is accounted for [2 rows, 5.0%; lines deals.csv:7, history.csv:2] "
        "(error: boom & more)",
    ]


def test_as_html_everything_from_the_data_escaped() -> None:
    page = DataQualityReport(outcomes()).to_html(only_failed=False)
    assert page.startswith("<p class='dq-summary'>1 blocking and 1 warning check(s) failed; 1 passed.</p>")
    assert "Stage &lt;known&gt;" in page and "<known>" not in page
    assert "<td>D3 (line 4), D8 (line 9), None (line 11)</td>" in page
    assert page.count("<tr class='dq-") == 3
    assert DataQualityReport([outcomes()[1]]).to_html() == (
        "<p class='dq-summary'>0 blocking and 0 warning check(s) failed; 1 passed.</p>")


def test_as_a_frame_and_json() -> None:
    report = DataQualityReport(outcomes())
    frame = report.to_polars()
    assert frame.schema["source_lines"] == pl.List(pl.Int64) and frame.height == 3
    assert frame.select("name", "success", "unexpected_count", "unexpected_share").rows() == [
        ("deals.amount.set", False, 3, 0.25), ("deals.stage.known", True, 0, 0.0), ("load.lines", False, 2, 0.05)]
    d = report.to_dict()
    assert (d["success"], d["blocking"], d["summary"]["error_failed"]) == (False, True, 1)
    assert d["expectations"][2]["source_files"] == ["deals.csv", "history.csv"]
    assert d["expectations"][2]["error"] == "boom & more"
