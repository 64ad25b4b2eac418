"""Chart builders: pre-aggregated frame in, Altair chart out. They never save or render anything.

Each takes the frame of the matching :mod:`toolkit.metrics` function (pandas or polars), keeps only
the columns it draws, and embeds those rows as inline values (``alt.InlineData``): no data
transformer, no file, and the spec holds exactly what the chart shows. Charts carry no ``config``
so they can still be layered or concatenated; :func:`toolkit.charts.to_svg` applies the theme.

CRM text (rep and stage names) is data, never markup: Vega writes it into the SVG escaped, and cuts
labels longer than :data:`~toolkit.charts._theme.LABEL_LIMIT` pixels with an ellipsis.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import altair as alt
import polars as pl

from toolkit import schema as S
from toolkit.charts._data import frame, records
from toolkit.charts._theme import (
    ALERT,
    BAR_STEP,
    BLUE,
    INK,
    LABEL_LIMIT,
    MUTED,
    ORANGE,
    PALETTE,
    PLOT_WIDTH,
    PLOT_WIDTH_NUMERIC,
    REFERENCE,
    SKY,
)
from toolkit.errors import ColumnNotFoundError, ToolkitError

#: Compliance flags in severity order (``toolkit.metrics.compliance.FLAGS``) and their legend labels.
FLAG_LABELS = {
    "skipped_stage": "Skipped stage",
    "backward_move": "Moved backward",
    "over_time_limit": "Over time limit",
    "missing_required_field": "Missing required field",
    "started_late": "Started late",
    "overdue_close_date": "Overdue close date",
}
FULL_REVIEW, SAMPLED_REVIEW = "Full review", "Sampled review"
NO_NAME = "(no name)"
#: Room right of the data rectangle for a column of value labels ("83% of 12 deals").
LABEL_COLUMN = 110
_DASH = [5, 4]


# --- shared pieces -------------------------------------------------------------------------------

def _inline(rows: list[dict[str, Any]]) -> alt.InlineData:
    return alt.InlineData(values=rows)


def _names(df: pl.DataFrame, column: str) -> pl.DataFrame:
    """A name column with missing names shown as "(no name)" rather than "null"."""
    return df.with_columns(pl.col(column).cast(pl.String).fill_null(NO_NAME))


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def _name_axis(field: str, order: list[str]) -> alt.Y:
    """Names on the y axis, in ``order`` (an explicit domain: every name shows, none sorted away)."""
    return alt.Y(f"{field}:N", sort=order, scale=alt.Scale(domain=order), title=None,
                 axis=alt.Axis(labelLimit=LABEL_LIMIT))


def _count_axis(title: str) -> alt.Axis:
    return alt.Axis(title=title, format="d", tickMinStep=1)


def _reference(value: float, field: str, label: str) -> alt.LayerChart:
    """A dashed vertical rule at ``value`` with ``label`` above the plot."""
    base = alt.Chart(_inline([{field: value}]))
    rule = base.mark_rule(color=REFERENCE, strokeDash=_DASH, strokeWidth=1.5).encode(x=alt.X(f"{field}:Q"))
    text = base.mark_text(align="left", baseline="bottom", dx=3, dy=-3, y=0, color=REFERENCE).encode(
        x=alt.X(f"{field}:Q"), text=alt.value(label))
    return _layer(rule, text)


def _keyed(base: alt.Chart, key: str, colour: alt.Scale) -> alt.Chart:
    """A layer coloured as ``key`` in a legend shared by the layers (the key is a computed field:
    Vega-Lite's datum definitions take no scale or legend)."""
    return base.transform_calculate(key=repr(key)).encode(
        color=alt.Color("key:N", scale=colour, legend=alt.Legend(title=None)))


_Top = TypeVar("_Top", alt.Chart, alt.LayerChart, alt.VConcatChart)


def _layer(*charts: alt.Chart | alt.LayerChart) -> alt.LayerChart:
    """Charts drawn over each other (``alt.layer`` may return a facet chart; these never facet)."""
    return alt.LayerChart(layer=list(charts))


def _finish(chart: _Top, title: str | None) -> _Top:
    return chart.properties(title=title) if title else chart


def _number(value: float) -> str:
    return f"{value:g}"


# --- 1. deal load --------------------------------------------------------------------------------

def deal_load_chart(counts: Any, *, sample_per_rep: int | None = 3, title: str | None = None) -> alt.LayerChart:
    """Open deals per rep as horizontal bars, most open first, with a dashed rule at the review
    sample per rep (``sample_per_rep``; ``None`` for no rule).

    ``counts``: ``toolkit.metrics.counts.deal_counts(..., by="rep")`` (uses ``owner_name``, ``open``).
    """
    df = _names(frame(counts, [S.OWNER_NAME, "open"], "counts"), S.OWNER_NAME)
    order = _unique(df.sort(["open", S.OWNER_NAME], descending=[True, False], nulls_last=True)[S.OWNER_NAME].to_list())
    base = alt.Chart(_inline(records(df))).encode(y=_name_axis(S.OWNER_NAME, order),
                                                  x=alt.X("open:Q", axis=_count_axis("Open deals")))
    layers: list[Any] = [base.mark_bar(color=BLUE),
                         base.mark_text(align="left", dx=3).encode(text=alt.Text("open:Q", format="d"))]
    if sample_per_rep is not None:
        layers.append(_reference(sample_per_rep, "sample_per_rep", f"review sample {_number(sample_per_rep)}"))
    chart = _layer(*layers).properties(width=PLOT_WIDTH, height=alt.Step(BAR_STEP))
    return _finish(chart, title)


# --- 2. review time ------------------------------------------------------------------------------

def review_time_chart(load: Any, *, manager_hours: float | None = 40, title: str | None = None) -> alt.LayerChart:
    """Hours per week per team: reviewing every open deal against reviewing the sample, with a
    dashed rule at the manager's week (``manager_hours``; ``None`` for no rule).

    ``load``: ``toolkit.metrics.review.review_load`` (uses ``team_name``, ``review_hours_full``,
    ``review_hours_sampled``); drawn from a long frame ``team_name, review, hours`` built here.
    """
    df = _names(frame(load, [S.TEAM_NAME, "review_hours_full", "review_hours_sampled"], "load"), S.TEAM_NAME)
    rows = [{S.TEAM_NAME: r[S.TEAM_NAME], "review": kind, "hours": r[column]}
            for r in records(df)
            for kind, column in ((FULL_REVIEW, "review_hours_full"), (SAMPLED_REVIEW, "review_hours_sampled"))]
    kinds = [FULL_REVIEW, SAMPLED_REVIEW]
    base = alt.Chart(_inline(rows)).encode(
        y=_name_axis(S.TEAM_NAME, _unique(df[S.TEAM_NAME].to_list())),
        yOffset=alt.YOffset("review:N", sort=kinds, scale=alt.Scale(domain=kinds)),
        x=alt.X("hours:Q", title="Hours per week"),
    )
    bars = base.mark_bar().encode(color=alt.Color("review:N", sort=kinds, title=None,
                                                  scale=alt.Scale(domain=kinds, range=[ORANGE, BLUE])))
    text = base.mark_text(align="left", dx=3).transform_calculate(
        label="isValid(datum.hours) ? format(datum.hours, ',.1f') + ' h' : ''").encode(text="label:N")
    layers: list[Any] = [bars, text]
    if manager_hours is not None:
        layers.append(_reference(manager_hours, "manager_hours", f"manager's week {_number(manager_hours)} h"))
    chart = _layer(*layers).properties(width=PLOT_WIDTH, height=alt.Step(BAR_STEP))
    return _finish(chart, title)


# --- 3. compliance -------------------------------------------------------------------------------

def compliance_chart(rates: Any, *, title: str | None = None) -> alt.LayerChart:
    """Share of each rep's deals that follow the process (0-100 %), lowest first, with "83% of 12
    deals" beside each bar.

    ``rates``: ``toolkit.metrics.compliance.compliance_rates(..., by="owner_id")`` (uses
    ``owner_name``, ``compliance_rate`` as a share 0-1, ``deals``).
    """
    df = _names(frame(rates, [S.OWNER_NAME, "compliance_rate", "deals"], "rates"), S.OWNER_NAME)
    out_of_range = df.filter((pl.col("compliance_rate") < 0) | (pl.col("compliance_rate") > 1))
    if out_of_range.height:
        raise ToolkitError("compliance_rate as a share between 0 and 1",
                           f"{out_of_range['compliance_rate'].to_list()[:3]}",
                           "pass compliance_rates() output as is (compliant / deals, not a percentage)")
    order = _unique(df.sort(["compliance_rate", S.OWNER_NAME], nulls_last=True)[S.OWNER_NAME].to_list())
    base = alt.Chart(_inline(records(df))).encode(y=_name_axis(S.OWNER_NAME, order))
    width = PLOT_WIDTH - LABEL_COLUMN
    bars = base.mark_bar(color=BLUE).encode(
        x=alt.X("compliance_rate:Q", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".0%", title="Deals that follow the process")))
    text = base.mark_text(align="left", dx=8).transform_calculate(
        label="isValid(datum.compliance_rate) ? format(datum.compliance_rate, '.0%') + ' of ' + "
              "format(datum.deals, ',d') + (datum.deals == 1 ? ' deal' : ' deals') : 'no deals'",
    ).encode(x=alt.value(width), text="label:N")
    chart = _layer(bars, text).properties(width=width, height=alt.Step(BAR_STEP))
    return _finish(chart, title)


def flags_chart(rates: Any, *, title: str | None = None) -> alt.Chart:
    """Deals per compliance flag per rep, stacked in severity order; reps with most flags first.

    ``rates``: ``compliance_rates(..., by="owner_id")`` (uses ``owner_name`` and the six flag
    columns); drawn from a long frame ``owner_name, flag, deals`` built here, without zero counts.
    """
    df = _names(frame(rates, [S.OWNER_NAME, *FLAG_LABELS], "rates"), S.OWNER_NAME)
    df = df.with_columns(pl.col(list(FLAG_LABELS)).fill_null(0))
    total = df.with_columns(pl.sum_horizontal(list(FLAG_LABELS)).alias("_total"))
    order = _unique(total.sort(["_total", S.OWNER_NAME], descending=[True, False])[S.OWNER_NAME].to_list())
    labels = list(FLAG_LABELS.values())
    rows = [{S.OWNER_NAME: r[S.OWNER_NAME], "flag": label, "deals": r[flag]}
            for r in records(df) for flag, label in FLAG_LABELS.items() if r[flag]]
    chart: alt.Chart = alt.Chart(_inline(rows)).mark_bar().encode(
        y=_name_axis(S.OWNER_NAME, order),
        x=alt.X("sum(deals):Q", stack="zero", axis=_count_axis("Deals per flag (a deal can have several)")),
        color=alt.Color("flag:N", sort=labels, scale=alt.Scale(domain=labels, range=list(PALETTE[:len(labels)])),
                        legend=alt.Legend(title=None, columns=3)),
        order=alt.Order("flag_rank:Q"),
    ).transform_calculate(flag_rank=f"indexof({labels!r}, datum.flag)").properties(
        width=PLOT_WIDTH, height=alt.Step(BAR_STEP))
    return _finish(chart, title)


# --- 4. funnel -----------------------------------------------------------------------------------

def funnel_chart(conversion: Any, *, title: str | None = None) -> alt.LayerChart:
    """Deals that reached each stage (light) and of those, the deals that reached the next stage
    (dark), with the conversion beside each bar; stages in the process order given.

    ``conversion``: ``toolkit.metrics.compliance.stage_conversion`` (uses ``stage``, ``reached``,
    ``reached_next``, ``conversion``).
    """
    df = _names(frame(conversion, ["stage", "reached", "reached_next", "conversion"], "conversion"), "stage")
    order = _unique(df["stage"].to_list())
    keys = ["Reached the stage", "Went on to the next stage"]
    colour = alt.Scale(domain=keys, range=[SKY, BLUE])
    width = PLOT_WIDTH - LABEL_COLUMN
    base = alt.Chart(_inline(records(df))).encode(y=_name_axis("stage", order))
    reached = _keyed(base, keys[0], colour).mark_bar().encode(x=alt.X("reached:Q", axis=_count_axis("Deals")))
    went_on = _keyed(base, keys[1], colour).mark_bar().encode(x=alt.X("reached_next:Q"))
    text = base.mark_text(align="left", dx=8).transform_calculate(
        label="isValid(datum.conversion) ? format(datum.conversion, '.0%') + ' went on' : ''",
    ).encode(x=alt.value(width), text="label:N")
    chart = _layer(reached, went_on, text).properties(width=width, height=alt.Step(BAR_STEP))
    return _finish(chart, title)


# --- 5. time in stage ----------------------------------------------------------------------------

def time_in_stage_chart(tis: Any, *, title: str | None = None) -> alt.LayerChart:
    """Days in each stage: median (bar), 80th percentile (dot) and the stage's limit (red tick);
    stages in the process order given. A stage without stays or without a limit has no bar/tick.

    ``tis``: ``toolkit.metrics.compliance.time_in_stage`` (uses ``stage``, ``median_days``,
    ``p80_days``, ``max_days``).
    """
    df = _names(frame(tis, ["stage", "median_days", "p80_days", "max_days"], "tis"), "stage")
    order = _unique(df["stage"].to_list())
    keys = ["Median", "80th percentile", "Limit"]
    colour = alt.Scale(domain=keys, range=[BLUE, INK, ALERT])
    base = alt.Chart(_inline(records(df))).encode(y=_name_axis("stage", order))
    median = _keyed(base, keys[0], colour).mark_bar().encode(x=alt.X("median_days:Q", title="Days in stage"))
    p80 = _keyed(base, keys[1], colour).mark_point(filled=True, size=70, opacity=1).encode(x=alt.X("p80_days:Q"))
    limit = _keyed(base, keys[2], colour).mark_tick(thickness=3, size=BAR_STEP - 2).encode(x=alt.X("max_days:Q"))
    chart = _layer(median, p80, limit).properties(width=PLOT_WIDTH, height=alt.Step(BAR_STEP))
    return _finish(chart, title)


# --- 6. XmR control chart ------------------------------------------------------------------------

ROUTINE, SIGNAL = "Routine week", "Signal"


def _utc_ms(value: Any) -> int:
    """A week (date or datetime) as Vega's timestamp: milliseconds since 1970-01-01 UTC."""
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
        return int(value.timestamp() * 1000)
    return int(dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp() * 1000)


def _share_like(value: str) -> bool:
    return any(word in value.lower() for word in ("share", "rate", "ratio"))


def _line_labels(base: alt.Chart, lines: dict[str, str], fmt: str, width: int) -> alt.Chart:
    """Labels right of the plot for horizontal lines drawn at constant columns: "average 80%"."""
    label = "''"
    for column, name in lines.items():
        label = f"datum.line === {column!r} ? {name!r} : {label}"
    # Altair's keyword form of aggregate: {output column: "op(field)"}
    maxima: dict[str, Any] = {c: f"max({c})" for c in lines}
    out: alt.Chart = base.transform_aggregate(**maxima).transform_fold(
        list(lines), as_=["line", "y"]).transform_filter("isValid(datum.y)").transform_calculate(
        label=f"({label}) + ' ' + format(datum.y, {fmt!r})",
    ).mark_text(align="left", baseline="middle", dx=6, color=MUTED).encode(
        x=alt.value(width), y=alt.Y("y:Q"), text="label:N")
    return out


def control_chart(chart_frame: Any, value: str, label: str, *, moving_range: bool = True,
                  value_format: str | None = None, title: str | None = None) -> alt.LayerChart | alt.VConcatChart:
    """XmR (individuals) chart of one weekly series: the values as line and points (a week with a
    null value is a gap), the centre line (solid) and the natural process limits (dashed), weeks
    with a signal as vermillion diamonds; with ``moving_range`` the moving-range chart below.

    ``chart_frame``: one series of ``toolkit.metrics.control.xmr`` (uses ``week``, ``value``,
    ``centre``, ``lower_limit``, ``upper_limit``, ``signal``, and for the moving-range chart
    ``moving_range``, ``mr_centre``, ``mr_upper``). ``label``: the y-axis title.
    ``value_format``: a d3 format for the values; default ``.0%`` when ``value`` names a share or
    rate, else plain numbers.
    """
    columns = ["week", value, "centre", "lower_limit", "upper_limit", "signal"]
    if moving_range:
        columns += ["moving_range", "mr_centre", "mr_upper"]
    df = frame(chart_frame, _unique(columns), "chart_frame")
    if df["centre"].drop_nulls().n_unique() > 1:
        raise ToolkitError("chart_frame with one series (one centre line)",
                           f"{df['centre'].drop_nulls().n_unique()} different centre values",
                           "filter the xmr() output to one team or rep first")
    df = df.with_columns(pl.col("signal").cast(pl.String).fill_null(""))
    fmt = value_format or (".0%" if _share_like(value) else ",.4~r")
    axis_fmt = value_format or (".0%" if _share_like(value) else None)
    data = _inline(records(df))
    # Dates travel as "YYYY-MM-DD", which Vega reads as UTC midnight: a UTC scale keeps each week on
    # its own Monday in every time zone, and one tick per week (Vega's own week ticks are Sundays).
    ticks = [_utc_ms(w) for w in df["week"].drop_nulls().unique().sort().to_list()]
    x = alt.X("week:T", title=None, scale=alt.Scale(type="utc"),
              axis=alt.Axis(format="%-d %b", labelAngle=0, labelOverlap=True, values=ticks if ticks else alt.Undefined))
    width = PLOT_WIDTH_NUMERIC - LABEL_COLUMN

    y_value = alt.Y(f"{value}:Q", title=label, scale=alt.Scale(zero=False),
                    axis=alt.Axis(format=axis_fmt) if axis_fmt else alt.Axis())
    base = alt.Chart(data)
    line = base.mark_line(invalid="break-paths-show-path-domains").encode(x=x, y=y_value)
    points = base.mark_point(filled=True, opacity=1).transform_calculate(
        point=f"datum.signal ? '{SIGNAL}' : '{ROUTINE}'").encode(
        x=x, y=alt.Y(f"{value}:Q"),
        color=alt.Color("point:N", title=None, scale=alt.Scale(domain=[ROUTINE, SIGNAL], range=[INK, ALERT])),
        shape=alt.Shape("point:N", title=None, scale=alt.Scale(domain=[ROUTINE, SIGNAL], range=["circle", "diamond"])),
        # A value condition, not a scale: a legend=None size channel on the same field would hide
        # the colour-and-shape legend as well.
        size=alt.condition("datum.signal", alt.value(110), alt.value(36)),
    )
    centre = base.mark_rule(color=INK, strokeWidth=1.2).encode(y=alt.Y("max(centre):Q"))
    lower = base.mark_rule(color=MUTED, strokeDash=_DASH, strokeWidth=1.2).encode(y=alt.Y("max(lower_limit):Q"))
    upper = base.mark_rule(color=MUTED, strokeDash=_DASH, strokeWidth=1.2).encode(y=alt.Y("max(upper_limit):Q"))
    limit_labels = _line_labels(base, {"upper_limit": "upper limit", "centre": "average",
                                       "lower_limit": "lower limit"}, fmt, width)
    top = _layer(lower, upper, centre, line, points, limit_labels).properties(width=width, height=220)
    if not moving_range:
        return _finish(top, title)

    mr_base = alt.Chart(data)
    mr_y = alt.Y("moving_range:Q", title="Moving range", axis=alt.Axis(format=axis_fmt) if axis_fmt else alt.Axis())
    mr_line = mr_base.mark_line(invalid="break-paths-show-path-domains").encode(x=x, y=mr_y)
    mr_points = mr_base.mark_point(filled=True, opacity=1, size=24).encode(x=x, y=alt.Y("moving_range:Q"))
    mr_centre = mr_base.mark_rule(color=INK, strokeWidth=1.2).encode(y=alt.Y("max(mr_centre):Q"))
    mr_upper = mr_base.mark_rule(color=MUTED, strokeDash=_DASH, strokeWidth=1.2).encode(y=alt.Y("max(mr_upper):Q"))
    mr_labels = _line_labels(mr_base, {"mr_upper": "upper limit", "mr_centre": "average"}, fmt, width)
    bottom = _layer(mr_upper, mr_centre, mr_line, mr_points, mr_labels).properties(width=width, height=100)
    chart: alt.VConcatChart = alt.vconcat(top, bottom, spacing=12).resolve_scale(x="shared")
    return _finish(chart, title)


# --- 8. p-chart ------------------------------------------------------------------------------------

TOO_FEW = "Too few moves to judge"


def _signal_text(value: Any) -> str:
    """A point's signal rules as one text: the metrics give a list of rule names, a text or a flag."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "signal" if value else ""
    if isinstance(value, (list, tuple)) or hasattr(value, "to_list"):
        items = value.to_list() if hasattr(value, "to_list") else list(value)
        return ", ".join(str(v) for v in items if v)
    return str(value)


def p_chart(points: Any, *, label: str = "Share of moves in process", title: str | None = None) -> alt.LayerChart:
    """p-chart (or Laney p′) of a weekly share: the weekly values, the centre line, and each
    week's own limits as steps (a week with fewer moves has wider limits), inside [0, 1]. Weeks
    with a signal are vermillion diamonds; weeks with too few moves to judge are pale squares.

    ``points``: one series of ``toolkit.metrics.control.p_chart`` (or a team's headline control
    table): ``week``, ``value``, ``centre``, ``lower_limit``, ``upper_limit``, ``signal`` (rules,
    text or flag), optionally ``n`` and ``judged`` (bool; absent: every week judged).
    """
    df, _lib = _points_frame(points)
    rows = []
    for r in df.iter_rows(named=True):
        sig = _signal_text(r["signal"])
        judged = r.get("judged", True) is not False
        kind = TOO_FEW if not judged else (SIGNAL if sig else ROUTINE)
        rows.append(r | {"signal": sig, "point": kind})
    data = _inline(records(pl.DataFrame(rows, infer_schema_length=None)))
    ticks = [_utc_ms(w) for w in df["week"].drop_nulls().unique().sort().to_list()]
    x = alt.X("week:T", title=None, scale=alt.Scale(type="utc"),
              axis=alt.Axis(format="%-d %b", labelAngle=0, labelOverlap=True, values=ticks or alt.Undefined))
    width = PLOT_WIDTH_NUMERIC - LABEL_COLUMN
    y = alt.Y("value:Q", title=label, scale=alt.Scale(domain=[0, 1], clamp=True), axis=alt.Axis(format=".0%"))
    base = alt.Chart(data)
    lower = base.mark_line(interpolate="step", color=MUTED, strokeDash=_DASH, strokeWidth=1.2).encode(
        x=x, y=alt.Y("lower_limit:Q"))
    upper = base.mark_line(interpolate="step", color=MUTED, strokeDash=_DASH, strokeWidth=1.2).encode(
        x=x, y=alt.Y("upper_limit:Q"))
    centre = base.mark_rule(color=INK, strokeWidth=1.2).encode(y=alt.Y("max(centre):Q"))
    line = base.mark_line(color=INK, invalid="break-paths-show-path-domains").encode(x=x, y=y)
    # Too-few weeks are pale squares: visibly not judged, and never the signal colour.
    domain, colours, shapes = [ROUTINE, SIGNAL, TOO_FEW], [INK, ALERT, "#b8bec6"], ["circle", "diamond", "square"]
    marks = base.mark_point(filled=True, opacity=1).encode(
        x=x, y=alt.Y("value:Q"),
        color=alt.Color("point:N", title=None, scale=alt.Scale(domain=domain, range=colours)),
        shape=alt.Shape("point:N", title=None, scale=alt.Scale(domain=domain, range=shapes)),
        size=alt.condition("datum.signal", alt.value(110), alt.value(36)))
    labels = _line_labels(base, {"centre": "average"}, ".0%", width)
    chart = _layer(lower, upper, centre, line, marks, labels).properties(width=width, height=200)
    return _finish(chart, title)


def _points_frame(points: Any) -> tuple[pl.DataFrame, str]:
    from toolkit.frames import to_polars

    df, lib = to_polars(points, "points")
    columns = ["week", "value", "centre", "lower_limit", "upper_limit", "signal"]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ColumnNotFoundError(missing, df.columns, "points (one series of the control figures)")
    keep = columns + [c for c in ("n", "judged") if c in df.columns]
    if df["centre"].drop_nulls().n_unique() > 1:
        raise ToolkitError("points of one series (one centre line)",
                           f"{df['centre'].drop_nulls().n_unique()} different centre values",
                           "filter the control figures to one team and measure first")
    return df.select(keep), lib
