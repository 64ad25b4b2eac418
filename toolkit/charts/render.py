"""Rendering charts to SVG offline (vl-convert: Vega in an embedded engine, no browser, no CDN)."""

from __future__ import annotations

import re
import threading
from typing import Any

from toolkit.charts._theme import THEME_NAME, register_theme, theme_config

_THEME_LOCK = threading.Lock()
#: C0 and C1 control characters (Excel's Alt+Enter writes \x0b): vl-convert's text layout panics
#: on them and aborts the whole process (a kernel, in a report run).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def chart_text(value: str) -> str:
    """Text as the chart engine may take it: every control character becomes a space (tables show
    the same text escaped, unchanged)."""
    return _CONTROL.sub(" ", value)


def _clean(node: Any) -> Any:
    if isinstance(node, str):
        return chart_text(node)
    if isinstance(node, dict):
        return {chart_text(k) if isinstance(k, str) else k: _clean(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_clean(v) for v in node]
    return node


def _vl_version() -> str | None:
    """The Vega-Lite version of the installed Altair's schema, when vl-convert bundles it."""
    import altair as alt
    import vl_convert as vlc

    version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return version if version in vlc.get_vegalite_versions() else None


def spec(chart: Any) -> dict[str, Any]:
    """The chart's Vega-Lite spec (a dict) with the toolkit theme under its own config, whatever
    Altair theme is active."""
    import altair as alt
    from altair.utils import update_nested

    if isinstance(chart, dict):
        return dict(update_nested(theme_config(), chart, copy=True))
    register_theme()
    with _THEME_LOCK, alt.theme.enable(THEME_NAME):
        # Not validated against the Vega-Lite schema here: the chart tests validate every builder's
        # spec, and at render time jsonschema took a third of each chart's time (a report draws six).
        out: dict[str, Any] = chart.to_dict(validate=False)
    return out


def to_svg(chart: Any) -> str:
    """The chart as a standalone ``<svg ...>`` document (a string), themed.

    Offline: vl-convert renders in-process and may load nothing (``allowed_base_urls=[]``: a
    chart pointing at a URL fails instead of fetching it). CRM text comes out XML-escaped.
    """
    import vl_convert as vlc

    return vlc.vegalite_to_svg(_clean(spec(chart)), vl_version=_vl_version(), allowed_base_urls=[])


class SVGFigure:
    """A rendered chart for notebooks: shows as SVG, and as inline SVG in HTML output (which
    nbconvert's HTML exporter keeps as is, where it would turn an ``image/svg+xml`` output into a
    base64 ``<img>``)."""

    def __init__(self, svg: str) -> None:
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_html_(self) -> str:
        return f"<div class='tk-chart'>{self.svg}</div>"

    def __str__(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return f"<SVGFigure: {len(self.svg):,} characters of SVG>"


def svg_display(chart: Any) -> SVGFigure:
    """``display(svg_display(chart))`` in a notebook: the chart rendered by :func:`to_svg`."""
    return SVGFigure(to_svg(chart))
