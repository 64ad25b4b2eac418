"""The PDF's page: charts printed from PNG at print resolution, nothing fetched from outside."""

from __future__ import annotations

import io
import json
import re
import socket
import struct
from pathlib import Path
from typing import Any

import nbformat
import polars as pl
import pytest
from pypdf import PdfReader

from toolkit.charts import deal_load_chart, to_svg
from toolkit.reporting.kernels import filter_library_warnings
from toolkit.reporting.render import PRINT_PPI, chart_svgs, notebook_body, page, print_page, write_pdf
from toolkit.reporting.templating import figure

COUNTS = pl.DataFrame({"owner_name": ["Ann", "Bob <b>", "Cy"], "open": [4, 9, 1]})


def executed_notebook(tmp_path: Path, n_charts: int) -> Path:
    """A notebook whose outputs hold ``n_charts`` figures, as a report's cells display them."""
    chart = deal_load_chart(COUNTS, sample_per_rep=2)
    html = "<section data-section='x'><h2>Load</h2>" + "".join(str(figure(chart, f"chart {i}"))
                                                              for i in range(n_charts)) + "</section>"
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("report.x()", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "<Block>"})]))
    path = tmp_path / "team_report.ipynb"
    nbformat.write(nb, path)
    return path


def png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


def png_ppi(png: bytes) -> float:
    at = png.index(b"pHYs")
    per_metre, _y, unit = struct.unpack(">IIB", png[at + 4:at + 13])
    assert unit == 1
    return per_metre * 0.0254


def test_the_pdf_page_prints_each_chart_from_a_png_of_its_own_svg(tmp_path: Path) -> None:
    nb_path = executed_notebook(tmp_path, 2)
    document = page("Team", notebook_body(nbformat.read(nb_path, as_version=4)))
    charts = chart_svgs(nb_path)
    assert len(charts) == 2 and all("viewBox=" in svg for svg in charts)  # as vl-convert wrote them
    assert "viewbox=" in document  # nbconvert's parser lowercased the page's copy
    printed, images = print_page(document, charts)
    assert "<svg" not in printed and printed.count("<img ") == 2
    assert printed.count("<figcaption>") == 2  # captions and everything else unchanged
    width = int(re.search(r'<svg[^>]*\swidth="(\d+)"', charts[0]).group(1))  # type: ignore[union-attr]
    assert f'style="width:{width}px"' in printed  # laid out at the SVG's size
    png = images["toolkit-chart:0"]
    assert png.startswith(b"\x89PNG")
    assert png_size(png)[0] == pytest.approx(width * PRINT_PPI / 96, abs=1)
    assert png_ppi(png) == pytest.approx(PRINT_PPI, abs=0.5)


def test_a_page_whose_charts_are_not_the_notebooks_is_printed_as_is(tmp_path: Path) -> None:
    document = page("Team", str(figure(deal_load_chart(COUNTS), "one")))
    assert print_page(document, []) == (document, {})


def test_the_pdf_holds_the_chart_images_and_fetches_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("network access")

    filter_library_warnings()  # as a worker does (WeasyPrint without libharfbuzz-subset0 warns)
    nb_path = executed_notebook(tmp_path, 1)
    document = page("Team", notebook_body(nbformat.read(nb_path, as_version=4))
                    + "<p>x</p><img src='https://example.com/pixel.png' alt='remote'>"
                    + "<img src='file:///etc/hostname' alt='local'>")
    printed, images = print_page(document, chart_svgs(nb_path))
    for name in ("socket", "create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, refuse)
    out = tmp_path / "team_report.pdf"
    write_pdf(printed, out, images)
    pdf = PdfReader(io.BytesIO(out.read_bytes()))
    shown = [img for p in pdf.pages for img in p.images]
    assert len(shown) == 1  # the chart; the remote and the local image were refused
    assert shown[0].image.width == png_size(images["toolkit-chart:0"])[0]
    assert "Ann" not in "".join(p.extract_text() for p in pdf.pages)  # the chart's text is in the picture


def test_chart_svgs_reads_the_notebook_as_json(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    svg = to_svg(deal_load_chart(COUNTS))
    path.write_text(json.dumps({"cells": [{"outputs": [{"data": {"text/html": [
        "<figure class=\"tk-chart\">", svg, "<figcaption>c</figcaption></figure>"]}}]}]}), encoding="utf-8")
    assert chart_svgs(path) == [svg]
