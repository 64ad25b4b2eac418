"""Turning an executed notebook into the HTML and PDF a manager reads, and the run's index page.

Every page comes from a Jinja2 template with autoescape on (package data in
``toolkit/data/templates``, see :mod:`toolkit.reporting.templating`): text reaches HTML only
through the template engine. A page body is nbconvert's ``basic`` output (outputs only: no code
cells, no prompts, nothing from a CDN), whose CRM text the report blocks escaped already. PDF:
WeasyPrint from that same HTML (HTML+CSS without a browser or LaTeX, never runs scripts), except
that each chart is printed from a picture of its SVG at :data:`PRINT_PPI` (drawn by vl-convert's
renderer, the one that drew the SVG): WeasyPrint draws a picture in a fraction of the time it takes
to lay out and paint the SVG, and on paper the two look the same. Its URL fetcher serves those
pictures from memory and refuses everything else (the network, files).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any


@functools.cache
def _css() -> str:
    return resources.files("toolkit").joinpath("data", "report.css").read_text(encoding="utf-8")


def page(title: str, body: str) -> str:
    """A complete, self-contained HTML page around ``body`` (an HTML fragment already safe:
    nbconvert output or another template's)."""
    from markupsafe import Markup

    from toolkit.reporting.templating import render

    return render("page.html.j2", title=title, css=Markup(_css()), body=Markup(body))


def first_error(nb: Any) -> tuple[int, str] | None:
    """(cell index, "EName: value") of the first error output of an executed notebook (papermill
    writes the notebook even when a cell fails), or None."""
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return index, f"{out.get('ename')}: {out.get('evalue')}"
    return None


def notebook_body(nb: Any) -> str:
    """The outputs of an executed notebook as an HTML fragment (no inputs, no prompts): nbconvert's
    ``basic`` template output, as the template wrote it.

    This is :class:`nbconvert.HTMLExporter` less its last pass, which parses the page with
    BeautifulSoup and writes it out again to give ``alt`` text to images without one and a
    ``tabindex`` to the ``lab`` template's cells. The ``basic`` template has no such cells and the
    report shows no images; that pass took 0.14 s a team, and it lowercased every chart's
    ``viewBox`` and ``clipPath``, which an SVG renderer does not forgive (the PDF's charts are drawn
    from the page's SVG: :func:`print_page`)."""
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    exporter = _exporter()
    # The filters HTMLExporter.from_notebook_node registers before its template pass, as it makes them.
    langinfo = nb.metadata.get("language_info", {})
    lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
    resources = exporter._init_resources(None)
    exporter.register_filter("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=exporter))
    exporter.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=exporter._nb_metadata,
                                                                       parent=exporter, resources=resources))
    body, _resources = TemplateExporter.from_notebook_node(exporter, nb, resources)
    return str(body)


@functools.cache
def _exporter() -> Any:
    """One exporter a process, as ``jupyter nbconvert`` keeps one for all its notebooks: building it
    loads and compiles the templates (0.1 s a team)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True)


def index_page(*, as_of: str, source: str, generated_at: str, quality: Mapping[str, Any],
               teams: Sequence[Mapping[str, Any]], org: Mapping[str, Any]) -> str:
    """The day's index: every team of the day (from the manifest), its status, links to its files;
    a failed team links its previous report, kept in place."""
    rows = []
    for t in teams:
        files = [f for f in t.get("files", {}) if not f.endswith(".ipynb")]
        links = [(f"{t['team_id']}/{f}", f.rsplit(".", 1)[-1].upper()) for f in sorted(files)]
        rows.append({"team_name": t.get("team_name") or t["team_id"], "status": t["status"],
                     "reason": t.get("reason", ""), "links": links, "seconds": float(t.get("seconds") or 0.0)})
    from toolkit.reporting.templating import render

    body = render("index.html.j2",
        as_of=as_of, source=source, generated_at=generated_at, warnings=quality.get("warning_failed", 0),
        blocking=quality.get("error_failed", 0), teams=rows,
        org={"status": org.get("status", "not rendered"), "reason": org.get("reason", "")})
    return page(f"Sales process reports {as_of}", body)


#: Charts in the PDF: pixels per inch of paper (a CSS px is 1/96 inch, so a 481 px wide chart is a
#: 1503 px wide picture). 300 is print resolution: lines and 8 px labels stay sharp.
PRINT_PPI = 300
_CSS_PX_PER_INCH = 96
#: The charts' pictures are JPEG at this quality, every pixel's colour kept (no chroma subsampling):
#: WeasyPrint puts a JPEG into the PDF as it is, where it decodes a PNG and compresses it twice
#: more (colour and alpha), which took 0.3 s of a team's 1.3 s print. At 95, over the 36 charts of
#: six reports, no pixel moved by more than 20 of 255 in any channel (0.3 on average), at the edges
#: of text and lines: on paper, nothing.
PRINT_JPEG_QUALITY = 95
#: A chart as the figure template writes it, kept as is in the page (:func:`notebook_body`): the
#: first ``</svg>`` closes it (vl-convert nests no ``<svg>``, and CRM text inside it is XML-escaped).
_CHART = re.compile(r'<figure class="tk-chart">(<svg\b.*?</svg>)', re.DOTALL)
_WIDTH = re.compile(r'<svg\b[^>]*?\swidth="([0-9.]+)"')
_CHART_URL = "toolkit-chart:{}"


def print_page(document: str) -> tuple[str, dict[str, bytes]]:
    """The page as WeasyPrint prints it, and the images it refers to: each chart's inline SVG
    replaced by an ``<img>`` of its picture (JPEG, see :data:`PRINT_JPEG_QUALITY`) at
    :data:`PRINT_PPI`, at the SVG's size."""
    import io

    import vl_convert as vlc
    from PIL import Image

    images: dict[str, bytes] = {}

    def swap(match: re.Match[str]) -> str:
        svg = match.group(1)
        width = _WIDTH.search(svg)
        url = _CHART_URL.format(len(images))
        # scale × ppi / 72 pixels per CSS px.
        png = Image.open(io.BytesIO(vlc.svg_to_png(svg, scale=72 / _CSS_PX_PER_INCH, ppi=PRINT_PPI)))
        on_paper = Image.new("RGB", png.size, "white")  # JPEG has no alpha: what is see-through shows the paper
        on_paper.paste(png, mask=png.getchannel("A"))
        jpeg = io.BytesIO()
        on_paper.save(jpeg, format="JPEG", quality=PRINT_JPEG_QUALITY, subsampling=0, dpi=(PRINT_PPI, PRINT_PPI))
        images[url] = jpeg.getvalue()
        style = f' style="width:{width.group(1)}px"' if width else ""
        return f'<figure class="tk-chart"><img src="{url}" alt=""{style}>'

    return _CHART.sub(swap, document), images


def _fetcher(images: Mapping[str, bytes]) -> Any:
    """WeasyPrint's URL fetcher for a report: the page's chart images and ``data:`` URLs; anything
    else (the network, files) is refused, so the page is printed without it."""
    from weasyprint import urls

    def served(url: str) -> bytes:
        if url in images:
            return images[url]
        raise ValueError(f"reports load nothing from outside: refused {url[:80]}")

    if hasattr(urls, "URLFetcher"):  # WeasyPrint >= 70 takes a fetcher object
        class Fetcher(urls.URLFetcher):  # type: ignore[misc]
            def fetch(self, url: str, headers: Any = None) -> Any:
                if url.startswith("data:"):
                    return super().fetch(url, headers)
                return urls.URLFetcherResponse(url, body=served(url), headers={"Content-Type": "image/jpeg"})

        return Fetcher(allowed_protocols=("data",))

    def fetch(url: str, timeout: int = 10, ssl_context: Any = None) -> dict[str, Any]:
        if url.startswith("data:"):
            fetched: dict[str, Any] = urls.default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context)
            return fetched
        return {"string": served(url), "mime_type": "image/jpeg"}

    return fetch


def write_pdf(document: str, path: Path, images: Mapping[str, bytes] | None = None) -> None:
    """Render the page to PDF with WeasyPrint (print layout from the CSS @page rules); ``images``
    are the chart images the page refers to (:func:`print_page`)."""
    import logging

    from weasyprint import HTML

    # WeasyPrint reports its font subsetting backend on every run: not actionable by ops.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(string=document, url_fetcher=_fetcher(images or {})).write_pdf(str(path))
