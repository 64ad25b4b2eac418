"""Turning an executed notebook into the HTML and PDF a manager reads, and the run's index page.

Every page comes from a Jinja2 template with autoescape on (package data in
``toolkit/data/templates``, see :mod:`toolkit.reporting.templating`): text reaches HTML only
through the template engine. A page body is nbconvert's ``basic`` output (outputs only: no code
cells, no prompts, nothing from a CDN), whose CRM text the report blocks escaped already. PDF:
WeasyPrint from that same HTML (HTML+CSS and inline SVG without a browser or LaTeX, never runs
scripts); its URL fetcher refuses the network.
"""

from __future__ import annotations

import functools
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


def _no_network(url: str, timeout: int = 10, ssl_context: Any = None) -> dict[str, Any]:
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher
        fetched: dict[str, Any] = default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context)
        return fetched
    raise ValueError(f"reports load nothing from outside: refused {url[:80]}")


def write_pdf(document: str, path: Path) -> None:
    """Render the page to PDF with WeasyPrint (print layout from the CSS @page rules)."""
    import logging

    from weasyprint import HTML

    # WeasyPrint reports its font subsetting backend on every run: not actionable by ops.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(string=document, url_fetcher=_no_network).write_pdf(str(path))
