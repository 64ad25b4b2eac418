"""Every HTML fragment the reports write comes from a Jinja2 template with autoescape on.

CRM text (deal, rep, team and stage names) reaches the page only as a template variable, so it is
escaped by the engine; the filters below cut long texts and wrap them in ``<bdi>`` so right-to-left
or control characters cannot reorder the page. Templates ship in the package
(``toolkit/data/templates``) and are read through :mod:`importlib.resources`, so an installed
wheel renders what a checkout renders.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup, escape

MAX_TEXT = 60
_NA = Markup("<span class='tk-na'>–</span>")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def crm(value: Any, limit: int = MAX_TEXT) -> Markup:
    """CRM text made safe for HTML: cut to ``limit`` characters, escaped, bidi-isolated."""
    if _missing(value):
        return _NA
    s = str(value)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return Markup("<bdi>{}</bdi>").format(s)


def num(value: Any, digits: int = 0) -> Markup:
    """A number with thousands separators; a dash where there is none."""
    if _missing(value):
        return _NA
    return escape(f"{value:,.{digits}f}")


def pct(value: Any) -> Markup:
    """A share as a whole percentage; a dash where there is none."""
    if _missing(value):
        return _NA
    return escape(f"{value:.0%}")


def _source(name: str) -> str | None:
    path = resources.files("toolkit").joinpath("data", "templates", name)
    # None tells Jinja2 the template does not exist (TemplateNotFound names it)
    return path.read_text(encoding="utf-8") if path.is_file() else None


@cache
def environment() -> jinja2.Environment:
    """The one template environment: autoescape always on, undefined names are errors."""
    env = jinja2.Environment(loader=jinja2.FunctionLoader(_source), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(crm=crm, num=num, pct=pct)
    return env


def render(name: str, /, **context: Any) -> str:
    """Render the package template ``name`` (e.g. ``"team/changes.html.j2"``)."""
    return environment().get_template(name).render(**context)


def trusted(svg: str) -> Markup:
    """Mark markup the toolkit made itself (chart SVG from vl-convert) as safe to embed."""
    return Markup(svg)


def table(frame: Any, columns: list[tuple[str, str, str]], *, empty: str = "Nothing to show.",
          limit: int | None = None) -> Markup:
    """An HTML table of a polars frame; ``columns`` are (column, header, kind) with kind text (cut
    at 60 characters), long (cut at 240), int, float1, pct or money."""
    shown = frame if limit is None else frame.head(limit)
    more = 0 if limit is None else max(frame.height - limit, 0)
    return Markup(render("table.html.j2", rows=shown.to_dicts(), columns=columns, empty=empty, more=more))


def figure(chart: Any, caption: str) -> Markup:
    """A chart as inline SVG (no script, nothing fetched) with its caption."""
    from toolkit.charts import to_svg

    return Markup(render("figure.html.j2", svg=trusted(to_svg(chart)), caption=caption))
