"""The print pass: a staged page printed to PDF in a worker, its failures a failed result."""

from __future__ import annotations

from pathlib import Path

import nbformat
import polars as pl
from pypdf import PdfReader

from toolkit.charts import deal_load_chart
from toolkit.reporting.kernels import filter_library_warnings
from toolkit.reporting.options import PrintTask
from toolkit.reporting.printing import print_pdf, warm_printer
from toolkit.reporting.render import notebook_body, page
from toolkit.reporting.templating import figure


def stage_team(stage: Path) -> None:
    """What the notebook worker leaves in a team's staging folder: the executed notebook and its page."""
    html = ("<section data-section='x'><h2>Load</h2>"
            + str(figure(deal_load_chart(pl.DataFrame({"owner_name": ["Ann"], "open": [2]})), "Open deals"))
            + "</section>")
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("report.x()", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "<Block>"})]))
    nbformat.write(nb, stage / "team_report.ipynb")
    (stage / "team_report.html").write_text(page("Team A", notebook_body(nb)), encoding="utf-8")


def test_a_staged_page_is_printed_beside_it(tmp_path: Path) -> None:
    filter_library_warnings()
    stage_team(tmp_path)
    r = print_pdf(PrintTask("team-a", "Team A", str(tmp_path), "team_report", str(tmp_path / "run.log")))
    assert (r.status, r.files, r.reason) == ("rendered", ("team_report.pdf",), "")
    pdf = PdfReader(tmp_path / "team_report.pdf")
    assert "Open deals" in pdf.pages[0].extract_text()
    assert len(pdf.pages[0].images) == 1  # the chart, as a JPEG


def test_a_page_that_cannot_be_printed_is_a_failed_result(tmp_path: Path) -> None:
    r = print_pdf(PrintTask("team-a", "Team A", str(tmp_path), "team_report", str(tmp_path / "run.log")))
    assert r.status == "failed" and r.files == ()
    assert r.reason.startswith("FileNotFoundError: ") and "team_report.html" in r.reason
    assert not (tmp_path / "team_report.pdf").exists()


def test_warm_printer_leaves_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    import tempfile

    filter_library_warnings()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    warm_printer()
    assert list(tmp_path.iterdir()) == []
