"""The PDF's page: charts printed from pictures at print resolution, nothing fetched from outside."""

from __future__ import annotations

import io
import re
import socket
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import polars as pl
import pytest
import vl_convert as vlc
from PIL import Image
from pypdf import PdfReader

from toolkit.charts import deal_load_chart
from toolkit.reporting.kernels import filter_library_warnings
from toolkit.reporting.render import PRINT_PPI, notebook_body, page, print_page, write_pdf
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


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_the_pdf_page_prints_each_chart_from_a_picture_of_its_own_svg(tmp_path: Path) -> None:
    nb_path = executed_notebook(tmp_path, 2)
    nb = nbformat.read(nb_path, as_version=4)
    document = page("Team", notebook_body(nb))
    charts = re.findall(r"<svg\b.*?</svg>", nb.cells[0].outputs[0].data["text/html"], re.DOTALL)
    assert len(charts) == 2 and all(svg in document for svg in charts)  # the page holds them as vl-convert drew them
    assert all("viewBox=" in svg for svg in charts)
    printed, images = print_page(document)
    assert "<svg" not in printed and printed.count("<img ") == 2
    assert printed.count("<figcaption>") == 2  # captions and everything else unchanged
    width = int(re.search(r'<svg[^>]*\swidth="(\d+)"', charts[0]).group(1))  # type: ignore[union-attr]
    assert f'style="width:{width}px"' in printed  # laid out at the SVG's size
    jpeg = picture(images["toolkit-chart:0"])
    assert (jpeg.format, jpeg.mode) == ("JPEG", "RGB")
    assert jpeg.width == pytest.approx(width * PRINT_PPI / 96, abs=1)
    assert jpeg.info["dpi"] == pytest.approx((PRINT_PPI, PRINT_PPI))
    # the picture is the chart: against vl-convert's lossless drawing of the same SVG, no pixel
    # moves by more than a few levels on average, and none far
    png = picture(vlc.svg_to_png(charts[0], scale=72 / 96, ppi=PRINT_PPI)).convert("RGB")
    diff = np.abs(np.asarray(png, dtype=np.int16) - np.asarray(jpeg, dtype=np.int16))
    assert png.size == jpeg.size and diff.mean() < 0.5 and diff.max() < 48


def test_a_see_through_chart_is_printed_on_white() -> None:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10" viewBox="0 0 20 10">'
           '<rect x="10" width="10" height="10" fill="#000000"/></svg>')
    _printed, images = print_page(page("Team", f'<figure class="tk-chart">{svg}</figure>'))
    pixels = np.asarray(picture(images["toolkit-chart:0"]), dtype=np.int16)
    left, right = pixels[:, : pixels.shape[1] // 2 - 4], pixels[:, pixels.shape[1] // 2 + 4:]
    assert left.min() > 245 and right.max() < 10  # paper where nothing is drawn, black where the rect is


def test_a_page_without_charts_is_printed_as_is() -> None:
    document = page("Team", "<section><h2>Load</h2><svg width='10'></svg></section>")
    assert print_page(document) == (document, {})  # an SVG outside the report's figures is left to WeasyPrint


def test_the_pdf_holds_the_chart_images_and_fetches_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("network access")

    filter_library_warnings()  # as a worker does (WeasyPrint without libharfbuzz-subset0 warns)
    nb_path = executed_notebook(tmp_path, 1)
    document = page("Team", notebook_body(nbformat.read(nb_path, as_version=4))
                    + "<p>x</p><img src='https://example.com/pixel.png' alt='remote'>"
                    + "<img src='file:///etc/hostname' alt='local'>")
    printed, images = print_page(document)
    for name in ("socket", "create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, refuse)
    out = tmp_path / "team_report.pdf"
    write_pdf(printed, out, images)
    pdf = PdfReader(io.BytesIO(out.read_bytes()))
    shown = [img for p in pdf.pages for img in p.images]
    assert len(shown) == 1  # the chart; the remote and the local image were refused
    assert shown[0].image.width == picture(images["toolkit-chart:0"]).width
    xobjects = pdf.pages[0]["/Resources"]["/XObject"]
    embedded = [x.get_object() for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image"]
    assert [x["/Filter"] for x in embedded] == ["/DCTDecode"]
    assert embedded[0].get_data() == images["toolkit-chart:0"]  # the JPEG as it is, not encoded again
    assert "Ann" not in "".join(p.extract_text() for p in pdf.pages)  # the chart's text is in the picture
