"""Turning an executed notebook into the HTML and PDF a manager reads, and the run's index page.

Every page comes from a Jinja2 template with autoescape on (package data in
``toolkit/data/templates``, see :mod:`toolkit.reporting.templating`): text reaches HTML only
through the template engine. A page body is nbconvert's ``basic`` output (outputs only: no code
cells, no prompts, nothing from a CDN), whose CRM text the report blocks escaped already. PDF:
WeasyPrint from that same HTML (HTML+CSS without a browser or LaTeX, never runs scripts), except
that each chart is printed from a PNG of its SVG at :data:`PRINT_PPI` (vl-convert's renderer, the
one that drew the SVG): WeasyPrint draws a PNG in a fraction of the time it takes to lay out and
paint the SVG, and on paper the two look the same. Its URL fetcher serves those PNGs from memory
and refuses everything else (the network, files).
"""

from __future__ import annotations

import functools
import json
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
    """The outputs of an executed notebook as an HTML fragment (no inputs, no prompts)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _resources = exporter.from_notebook_node(nb)
    return body


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
#: 1503 px wide PNG). 300 is print resolution: lines and 8 px labels stay sharp.
PRINT_PPI = 300
_CSS_PX_PER_INCH = 96
#: A chart as the figure template writes it: the first ``</svg>`` closes it (vl-convert nests no
#: ``<svg>``, and CRM text inside it is XML-escaped).
_CHART = re.compile(r'<figure class="tk-chart">(<svg\b.*?</svg>)', re.DOTALL)
_WIDTH = re.compile(r'<svg\b[^>]*?\swidth="([0-9.]+)"')
_CHART_URL = "toolkit-chart:{}"


def chart_svgs(notebook_path: Path) -> list[str]:
    """The charts of an executed notebook as vl-convert drew them, in page order.

    The page holds them too, but re-serialised by nbconvert's HTML parser (``viewBox`` becomes
    ``viewbox``, ``clipPath`` ``clippath``), which a browser forgives and an SVG renderer does not."""
    nb = json.loads(notebook_path.read_text(encoding="utf-8"))
    html = ("".join(out.get("data", {}).get("text/html", ""))
            for cell in nb.get("cells", []) for out in cell.get("outputs", []))
    return [m.group(1) for chunk in html for m in _CHART.finditer(chunk)]


def print_page(document: str, charts: Sequence[str]) -> tuple[str, dict[str, bytes]]:
    """The page as WeasyPrint prints it, and the images it refers to: each chart's inline SVG
    replaced by an ``<img>`` of ``charts``' PNG at :data:`PRINT_PPI`, at the SVG's size. Where the
    page's charts are not ``charts`` (a notebook that draws its own), the page is printed as is."""
    import vl_convert as vlc

    found = _CHART.findall(document)
    if len(found) != len(charts):
        return document, {}
    images: dict[str, bytes] = {}

    def swap(match: re.Match[str]) -> str:
        svg = charts[len(images)]
        width = _WIDTH.search(svg)
        url = _CHART_URL.format(len(images))
        # scale × ppi / 72 pixels per CSS px: ppi is also written into the PNG.
        images[url] = vlc.svg_to_png(svg, scale=72 / _CSS_PX_PER_INCH, ppi=PRINT_PPI)
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
                return urls.URLFetcherResponse(url, body=served(url), headers={"Content-Type": "image/png"})

        return Fetcher(allowed_protocols=("data",))

    def fetch(url: str, timeout: int = 10, ssl_context: Any = None) -> dict[str, Any]:
        if url.startswith("data:"):
            fetched: dict[str, Any] = urls.default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context)
            return fetched
        return {"string": served(url), "mime_type": "image/png"}

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
