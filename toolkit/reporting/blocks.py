"""The HTML blocks the report notebooks display, and the words shared by the team and org pages.

A block is rendered from a package template (autoescape on; see
:mod:`toolkit.reporting.templating`), so CRM text is escaped there, never here.
"""

from __future__ import annotations

from typing import Any

from toolkit.reporting.templating import render

#: How each control chart is named on the page.
CHART_NAMES = {"p": "p", "p'": "Laney p′", "xmr": "XmR"}


class Block:
    """An HTML block a notebook displays as ``text/html``."""

    def __init__(self, section: str, html: str) -> None:
        self.section = section
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


def section(name: str, title: str, parts: list[tuple[str, Any]], *, appendix_start: bool = False) -> Block:
    """A section of headed parts: ("p" | "note" | "h3" | "absent", text) or ("html", Markup)."""
    return Block(name, render("team/section_body.html.j2", section=name, title=title, parts=parts,
                              appendix_start=appendix_start))


def verdict_view(verdict: str | None, *, has_history: bool) -> tuple[str, str, str]:
    """(short verdict, tone, why) of a control verdict; a verdict that could not be computed is
    shown as such, never in red."""
    v = verdict or ""
    if v.startswith("in control"):
        return "In control", "ok", "only routine variation week to week"
    if v.startswith("signal"):
        return "Signal", "signal", v.removeprefix("signal: ").removeprefix("signal")
    if not has_history:
        return "Not known", "neutral", "the export has no stage history to judge it by"
    return "Not known", "neutral", "too few weeks with enough stage moves to judge"
