"""The toolkit's one chart theme: readable in print, colour-blind safe, about 640 px wide.

Nothing here runs at import. :func:`use_theme` registers and enables it globally (for notebooks
that display charts through Altair's own renderer); :func:`toolkit.charts.to_svg` applies it to
each chart it renders, whatever theme is active.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from altair.theme import ThemeConfig

THEME_NAME = "toolkit"

#: The report's text colours (``report.css``: --ink, --muted, --line).
INK = "#1f2328"
MUTED = "#57606a"
GRID = "#e6e8eb"
#: The report's font stack (``report.css``); DejaVu Sans is what vl-convert measures labels with.
FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"

#: Okabe & Ito's colour-blind-safe palette, darkest first so the first colours survive greyscale
#: print; yellow (weak on white paper) last.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY = PALETTE[:6]
#: Limits, signals and other "look here" marks: vermillion, the palette's red.
ALERT = VERMILLION
#: Reference lines (sample size, manager's week): dark grey, dashed.
REFERENCE = "#3d4450"

LABEL_SIZE = 11
TITLE_SIZE = 12
#: Rep and stage names are cut (with "…") to this many pixels in axis and legend labels.
LABEL_LIMIT = 160
#: Total chart width aimed at (px), the data rectangle of a chart with names on the y axis, and of
#: a chart with numbers on the y axis.
WIDTH = 640
PLOT_WIDTH = 440
PLOT_WIDTH_NUMERIC = 580
BAR_STEP = 22


def theme_config() -> dict[str, Any]:
    """The theme as an Altair ``ThemeConfig`` (a fresh dict each call)."""
    text = {"labelColor": INK, "titleColor": INK, "labelFontSize": LABEL_SIZE, "titleFontSize": TITLE_SIZE,
            "labelFont": FONT, "titleFont": FONT}
    return {
        "config": {
            "font": FONT,
            "background": "white",
            "padding": 6,
            "view": {"stroke": None, "continuousWidth": PLOT_WIDTH_NUMERIC, "continuousHeight": 220,
                     "discreteWidth": {"step": BAR_STEP}, "discreteHeight": {"step": BAR_STEP}},
            "axis": {**text, "titleFontWeight": "normal", "titlePadding": 8, "labelLimit": LABEL_LIMIT,
                     "domainColor": MUTED, "tickColor": MUTED, "gridColor": GRID, "gridWidth": 0.8,
                     "labelPadding": 4},
            "axisBand": {"grid": False, "ticks": False, "domain": False},
            "legend": {**text, "titleFontWeight": "normal", "labelLimit": LABEL_LIMIT, "orient": "bottom",
                       "direction": "horizontal", "symbolSize": 90, "columnPadding": 14},
            "title": {"color": INK, "font": FONT, "fontSize": 13, "fontWeight": "bold", "anchor": "start",
                      "subtitleColor": MUTED, "subtitleFontSize": LABEL_SIZE},
            "header": {**text},
            "range": {"category": list(PALETTE)},
            "mark": {"color": BLUE},
            "bar": {"color": BLUE},
            "line": {"color": INK, "strokeWidth": 1.6},
            "point": {"color": INK, "filled": True, "size": 36},
            "tick": {"color": ALERT, "thickness": 3, "opacity": 1},
            "rule": {"color": REFERENCE},
            "text": {"color": INK, "fontSize": LABEL_SIZE, "font": FONT},
        }
    }


@functools.cache  # once per process: Altair's registry lookup costs ~60 ms, and every chart asks
def register_theme() -> None:
    """Register the theme under :data:`THEME_NAME` (idempotent); does not enable it."""
    import altair as alt

    def typed_config() -> ThemeConfig:
        # theme_config() is a plain dict (also merged into specs by hand); Altair types themes as
        # its ThemeConfig TypedDict
        return cast("ThemeConfig", theme_config())

    if THEME_NAME not in alt.theme.names():
        alt.theme.register(THEME_NAME, enable=False)(typed_config)


def use_theme() -> None:
    """Register and enable the theme for every Altair chart of this session (explicit; never on
    import). :func:`toolkit.charts.to_svg` applies the theme without this."""
    import altair as alt

    register_theme()
    alt.theme.enable(THEME_NAME)
