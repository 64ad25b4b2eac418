"""Turning an executed notebook into the HTML and PDF a manager reads, and checking them first.

HTML: nbconvert's ``basic`` template (outputs only: no code cells, no prompts, nothing loaded
from a CDN) inside our own page with inline CSS. PDF: WeasyPrint from that same HTML (it installs
from PyPI, renders HTML+CSS and inline SVG without a browser or LaTeX, and never runs scripts);
its URL fetcher refuses the network. The gate refuses a report with error outputs, missing
sections, active content, or another team's id in it.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

from toolkit.errors import ReportGateError

ACTIVE_TAGS = {"script", "iframe", "object", "embed", "frame", "frameset", "applet", "base", "form", "meta-refresh"}
URL_ATTRIBUTES = {"href", "src", "xlink:href", "action", "formaction", "poster", "data", "srcset"}


class _ActiveContentFinder(HTMLParser):
    """Finds what a browser would run or fetch: tags, handlers, script and remote URLs. Text
    (escaped CRM data) is ignored, so a deal *named* ``<img onerror=...>`` is fine."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            v = (value or "").strip().lower()
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            elif name in URL_ATTRIBUTES and (v.startswith(("javascript:", "vbscript:", "http:", "https:", "//"))):
                self.found.append(f"{tag} {name}={v[:40]}")
            elif name == "style" and "url(" in v:
                self.found.append(f"{tag} style url()")

    handle_startendtag = handle_starttag


def active_content(document: str) -> list[str]:
    """What in the page a browser would run or fetch from elsewhere (empty: nothing)."""
    finder = _ActiveContentFinder()
    finder.feed(document)
    return finder.found


def _css() -> str:
    return resources.files("toolkit").joinpath("data", "report.css").read_text(encoding="utf-8")


def page(title: str, body: str) -> str:
    """A complete, self-contained HTML page around ``body``."""
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>{_css()}</style></head>"
            f"<body><main class='tk-report'>{body}</main></body></html>")


def notebook_errors(nb: Any) -> list[str]:
    """Error outputs of an executed notebook (papermill writes the notebook even when a cell fails)."""
    errors = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(f"{out.get('ename')}: {out.get('evalue')}")
    return errors


def notebook_body(nb: Any) -> str:
    """The outputs of an executed notebook as an HTML fragment (no inputs, no prompts)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _resources = exporter.from_notebook_node(nb)
    return body


def gate(document: str, *, team_id: str, other_team_ids: list[str], sections: tuple[str, ...]) -> None:
    """Raise :class:`ReportGateError` unless the page is safe and complete and about this team only."""
    found = active_content(document)
    if found:
        raise ReportGateError("a report without scripts, event handlers or remote resources",
                              f"{found[:3]} in the HTML",
                              "CRM text must be escaped at the render boundary (toolkit.reporting.team.text); "
                              "charts must be inline SVG")
    missing = [s for s in sections if not re.search(rf"""data-section=["']{re.escape(s)}["']""", document)]
    if missing:
        raise ReportGateError(f"every report section {list(sections)}", f"missing {missing}",
                              "a cell stopped early (sys.exit, an exception swallowed) or the notebook was edited")
    foreign = [t for t in other_team_ids if t != team_id and t in document]
    if foreign:
        raise ReportGateError(f"only team {team_id}'s data", f"other team ids {foreign[:3]} in the report",
                              "each notebook must read only its own slice")


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

    # WeasyPrint warns about its font subsetting backend on every run: not actionable by ops.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(string=document, url_fetcher=_no_network).write_pdf(str(path))
