"""Charts for the sales-process report: Altair chart builders and an offline SVG renderer.

Builders are pure: a pre-aggregated frame (pandas or polars, from :mod:`toolkit.metrics`) in, an
Altair chart out; they never save or render. :func:`to_svg` renders any chart offline with the
toolkit theme; :func:`svg_display` shows one in a notebook; :func:`use_theme` enables the theme
for Altair's own renderers.

>>> from toolkit.charts import deal_load_chart, to_svg       # doctest: +SKIP
>>> svg = to_svg(deal_load_chart(counts, sample_per_rep=3))  # doctest: +SKIP

Names are resolved lazily: ``import toolkit.charts`` itself imports neither Altair nor vl-convert.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "deal_load_chart": "toolkit.charts.builders",
    "review_time_chart": "toolkit.charts.builders",
    "compliance_chart": "toolkit.charts.builders",
    "flags_chart": "toolkit.charts.builders",
    "funnel_chart": "toolkit.charts.builders",
    "time_in_stage_chart": "toolkit.charts.builders",
    "control_chart": "toolkit.charts.builders",
    "p_chart": "toolkit.charts.builders",
    "to_svg": "toolkit.charts.render",
    "svg_display": "toolkit.charts.render",
    "SVGFigure": "toolkit.charts.render",
    "use_theme": "toolkit.charts._theme",
    "theme_config": "toolkit.charts._theme",
    "THEME_NAME": "toolkit.charts._theme",
}

# a literal, so that linters and type checkers see the public names
__all__ = [
    "THEME_NAME",
    "SVGFigure",
    "compliance_chart",
    "control_chart",
    "deal_load_chart",
    "flags_chart",
    "funnel_chart",
    "p_chart",
    "review_time_chart",
    "svg_display",
    "theme_config",
    "time_in_stage_chart",
    "to_svg",
    "use_theme",
]

if TYPE_CHECKING:  # pragma: no cover
    from toolkit.charts._theme import THEME_NAME, theme_config, use_theme
    from toolkit.charts.builders import (
        compliance_chart,
        control_chart,
        deal_load_chart,
        flags_chart,
        funnel_chart,
        p_chart,
        review_time_chart,
        time_in_stage_chart,
    )
    from toolkit.charts.render import SVGFigure, svg_display, to_svg


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'toolkit.charts' has no attribute {name!r}; public names: {__all__}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
