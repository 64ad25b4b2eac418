"""Chart builders (spec: marks, encodings, order, embedded rows) and the offline SVG renderer."""

from __future__ import annotations

import datetime as dt
import re
import socket
import subprocess
import sys
import time
from typing import Any

import altair as alt
import polars as pl
import pytest

from toolkit.charts import (
    THEME_NAME,
    compliance_chart,
    control_chart,
    deal_load_chart,
    flags_chart,
    funnel_chart,
    p_chart,
    review_time_chart,
    svg_display,
    time_in_stage_chart,
    to_svg,
    use_theme,
)
from toolkit.charts._data import MAX_ROWS
from toolkit.charts._theme import ALERT, INK, LABEL_SIZE, PALETTE, TITLE_SIZE
from toolkit.charts.render import spec as themed_spec
from toolkit.errors import ToolkitError

BACKENDS = ["polars", "pandas"]
XSS = "<img src=x onerror=alert(1)>"


def make(backend: str, data: dict[str, list[Any]], schema: dict[str, Any] | None = None) -> Any:
    frame = pl.DataFrame(data, schema=schema)
    return frame if backend == "polars" else frame.to_pandas()


def spec_of(chart: Any) -> dict[str, Any]:
    return chart.to_dict()


def layers(spec: dict[str, Any], data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Leaf views of a spec, depth first, each with the data it draws (Altair hoists data that
    all layers share to the layer chart)."""
    data = spec.get("data", data)
    for key in ("layer", "vconcat"):
        if key in spec:
            return [leaf for child in spec[key] for leaf in layers(child, data)]
    return [{**spec, "data": data}]


def mark(view: dict[str, Any]) -> str:
    m = view["mark"]
    return m if isinstance(m, str) else m["type"]


def data_of(spec: dict[str, Any], view: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows a view embeds (Altair moves inline values to top-level ``datasets``)."""
    data = view["data"]
    return data["values"] if "values" in data else spec["datasets"][data["name"]]


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def assert_svg(svg: str, *expected: str) -> None:
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    shown = texts(svg)
    for e in expected:
        assert any(e in t for t in shown), f"{e!r} not among the SVG's text: {shown}"


# --- 1. deal load --------------------------------------------------------------------------------

COUNTS = {"owner_name": ["Ann", "Bob", "Cy"], "open": [4, 9, 1], "won": [1, 2, 3], "lost": [0, 1, 0]}


@pytest.mark.parametrize("backend", BACKENDS)
def test_deal_load_chart(backend: str) -> None:
    chart = deal_load_chart(make(backend, COUNTS))
    assert isinstance(chart, alt.LayerChart)
    spec = spec_of(chart)
    views = layers(spec)
    assert [mark(v) for v in views] == ["bar", "text", "rule", "text"]
    bar = views[0]
    assert bar["encoding"]["y"]["field"] == "owner_name" and bar["encoding"]["y"]["type"] == "nominal"
    assert bar["encoding"]["y"]["sort"] == ["Bob", "Ann", "Cy"]                 # most open first
    assert bar["encoding"]["x"]["field"] == "open" and bar["encoding"]["x"]["type"] == "quantitative"
    assert data_of(spec, bar) == [{"owner_name": "Ann", "open": 4}, {"owner_name": "Bob", "open": 9},
                                  {"owner_name": "Cy", "open": 1}]              # no won/lost
    rule, label = views[2], views[3]
    assert data_of(spec, rule) == [{"sample_per_rep": 3}] and rule["encoding"]["x"]["field"] == "sample_per_rep"
    assert label["encoding"]["text"] == {"value": "review sample 3"}
    svg = to_svg(chart)
    assert_svg(svg, "Open deals", "Ann", "Bob", "Cy", "review sample 3")
    # Bars top to bottom in the sort order: the axis labels come out in domain order.
    shown = texts(svg)
    assert shown.index("Bob") < shown.index("Ann") < shown.index("Cy")


def test_deal_load_chart_sample_size_and_no_rule() -> None:
    views = layers(spec_of(deal_load_chart(pl.DataFrame(COUNTS), sample_per_rep=None)))
    assert [mark(v) for v in views] == ["bar", "text"]
    assert "review sample 2" in texts(to_svg(deal_load_chart(pl.DataFrame(COUNTS), sample_per_rep=2)))


# --- 2. review time ------------------------------------------------------------------------------

LOAD = {"team_id": ["t1"], "team_name": ["East"], "review_hours_full": [62.5], "review_hours_sampled": [7.5]}


@pytest.mark.parametrize("backend", BACKENDS)
def test_review_time_chart(backend: str) -> None:
    chart = review_time_chart(make(backend, LOAD), manager_hours=38)
    spec = spec_of(chart)
    views = layers(spec)
    assert [mark(v) for v in views] == ["bar", "text", "rule", "text"]
    bar = views[0]
    enc = bar["encoding"]
    assert enc["y"]["field"] == "team_name" and enc["yOffset"]["field"] == "review"
    assert enc["x"]["field"] == "hours" and enc["color"]["scale"]["domain"] == ["Full review", "Sampled review"]
    assert data_of(spec, bar) == [{"team_name": "East", "review": "Full review", "hours": 62.5},
                                  {"team_name": "East", "review": "Sampled review", "hours": 7.5}]
    assert data_of(spec, views[2]) == [{"manager_hours": 38}]
    assert_svg(to_svg(chart), "Hours per week", "East", "Full review", "Sampled review", "62.5 h", "7.5 h",
               "manager's week 38 h")


# --- 3. compliance and flags ---------------------------------------------------------------------

RATES = {"owner_id": ["r1", "r2", "r3"], "owner_name": ["Ann", "Bob", "Cy"], "team_id": ["t1"] * 3,
         "deals": [12, 1, 10], "compliant": [10, 1, 4], "compliance_rate": [10 / 12, 1.0, 0.4],
         "skipped_stage": [1, 0, 3], "backward_move": [0, 0, 2], "over_time_limit": [2, 0, 1],
         "missing_required_field": [1, 0, 0], "started_late": [0, 0, 1], "overdue_close_date": [0, 0, 4]}


@pytest.mark.parametrize("backend", BACKENDS)
def test_compliance_chart(backend: str) -> None:
    chart = compliance_chart(make(backend, RATES))
    spec = spec_of(chart)
    views = layers(spec)
    assert [mark(v) for v in views] == ["bar", "text"]
    bar = views[0]
    assert bar["encoding"]["y"]["sort"] == ["Cy", "Ann", "Bob"]                 # lowest rate first
    assert bar["encoding"]["x"]["field"] == "compliance_rate"
    assert bar["encoding"]["x"]["scale"]["domain"] == [0, 1] and bar["encoding"]["x"]["axis"]["format"] == ".0%"
    assert data_of(spec, bar) == [{"owner_name": "Ann", "compliance_rate": 10 / 12, "deals": 12},
                                  {"owner_name": "Bob", "compliance_rate": 1.0, "deals": 1},
                                  {"owner_name": "Cy", "compliance_rate": 0.4, "deals": 10}]
    assert_svg(to_svg(chart), "Deals that follow the process", "0%", "100%", "Ann",
               "83% of 12 deals", "100% of 1 deal", "40% of 10 deals")


def test_compliance_chart_refuses_percentages() -> None:
    with pytest.raises(ToolkitError, match="share between 0 and 1"):
        compliance_chart(pl.DataFrame(RATES).with_columns(pl.col("compliance_rate") * 100))


@pytest.mark.parametrize("backend", BACKENDS)
def test_flags_chart(backend: str) -> None:
    chart = flags_chart(make(backend, RATES))
    spec = spec_of(chart)
    (view,) = layers(spec)
    assert mark(view) == "bar"
    enc = view["encoding"]
    labels = ["Skipped stage", "Moved backward", "Over time limit", "Missing required field", "Started late",
              "Overdue close date"]
    assert enc["color"]["scale"]["domain"] == labels and enc["color"]["scale"]["range"] == list(PALETTE[:6])
    assert enc["x"]["aggregate"] == "sum" and enc["x"]["stack"] == "zero"
    assert enc["y"]["scale"]["domain"] == ["Cy", "Ann", "Bob"]                  # most flags first; Bob has none
    rows = data_of(spec, view)
    assert rows == [{"owner_name": "Ann", "flag": "Skipped stage", "deals": 1},
                    {"owner_name": "Ann", "flag": "Over time limit", "deals": 2},
                    {"owner_name": "Ann", "flag": "Missing required field", "deals": 1},
                    {"owner_name": "Cy", "flag": "Skipped stage", "deals": 3},
                    {"owner_name": "Cy", "flag": "Moved backward", "deals": 2},
                    {"owner_name": "Cy", "flag": "Over time limit", "deals": 1},
                    {"owner_name": "Cy", "flag": "Started late", "deals": 1},
                    {"owner_name": "Cy", "flag": "Overdue close date", "deals": 4}]
    assert_svg(to_svg(chart), "Bob", *labels)


# --- 4. funnel -----------------------------------------------------------------------------------

STAGES = ["Qualify", "Discover", "Propose", "Negotiate"]                     # process order, not alphabetical
CONVERSION = {"stage": STAGES, "next_stage": STAGES[1:] + ["Won"], "reached": [40, 30, 18, 9],
              "reached_next": [30, 18, 9, 5], "conversion": [0.75, 0.6, 0.5, 5 / 9]}


@pytest.mark.parametrize("backend", BACKENDS)
def test_funnel_chart(backend: str) -> None:
    chart = funnel_chart(make(backend, CONVERSION))
    spec = spec_of(chart)
    views = layers(spec)
    assert [mark(v) for v in views] == ["bar", "bar", "text"]
    assert [v["encoding"]["x"]["field"] for v in views[:2]] == ["reached", "reached_next"]
    assert all(v["encoding"]["y"]["sort"] == STAGES for v in views)
    assert data_of(spec, views[0]) == [
        {"stage": s, "reached": a, "reached_next": b, "conversion": c}
        for s, a, b, c in zip(STAGES, CONVERSION["reached"], CONVERSION["reached_next"], CONVERSION["conversion"],
                              strict=True)]
    svg = to_svg(chart)
    assert_svg(svg, "Deals", "Reached the stage", "Went on to the next stage", "75% went on", "56% went on")
    shown = texts(svg)
    assert [shown.index(s) for s in STAGES] == sorted(shown.index(s) for s in STAGES)


# --- 5. time in stage ----------------------------------------------------------------------------

TIS = {"stage": STAGES, "stays": [10, 8, 0, 5], "median_days": [4.0, 9.5, None, 6.0],
       "p80_days": [7.0, 15.0, None, 10.0], "max_days": [10.0, 14.0, 21.0, None],
       "share_over_limit": [0.1, 0.3, None, None]}


@pytest.mark.parametrize("backend", BACKENDS)
def test_time_in_stage_chart(backend: str) -> None:
    chart = time_in_stage_chart(make(backend, TIS))
    spec = spec_of(chart)
    views = layers(spec)
    assert [mark(v) for v in views] == ["bar", "point", "tick"]
    assert [v["encoding"]["x"]["field"] for v in views] == ["median_days", "p80_days", "max_days"]
    assert all(v["encoding"]["y"]["sort"] == STAGES for v in views)
    assert views[0]["encoding"]["color"]["scale"]["range"][2] == ALERT        # the limit is red
    assert data_of(spec, views[0]) == [
        {"stage": s, "median_days": m, "p80_days": p, "max_days": x}
        for s, m, p, x in zip(STAGES, TIS["median_days"], TIS["p80_days"], TIS["max_days"], strict=True)]
    svg = to_svg(chart)
    assert_svg(svg, "Days in stage", "Median", "80th percentile", "Limit", *STAGES)
    assert f'fill="{ALERT}"' in svg


# --- 6. control chart ----------------------------------------------------------------------------

WEEKS = [dt.date(2025, 1, 6) + dt.timedelta(weeks=i) for i in range(6)]
VALUES = [0.8, 0.82, None, 0.79, 0.6, 0.81]
CONTROL = {"team_id": ["t1"] * 6, "week": WEEKS, "in_process_share": VALUES,
           "moving_range": [None, 0.02, None, None, 0.19, 0.21], "centre": [0.76] * 6, "lower_limit": [0.62] * 6,
           "upper_limit": [0.9] * 6, "mr_centre": [0.14] * 6, "mr_upper": [0.46] * 6,
           "signal": ["", "", "", "", "outside limits", ""]}


@pytest.mark.parametrize("backend", BACKENDS)
def test_control_chart(backend: str) -> None:
    chart = control_chart(make(backend, CONTROL), "in_process_share", "Share of moves in process")
    assert isinstance(chart, alt.VConcatChart)
    spec = spec_of(chart)
    top, bottom = spec["vconcat"]
    views = layers(top, spec.get("data"))
    assert [mark(v) for v in views] == ["rule", "rule", "rule", "line", "point", "text"]
    lower, upper, centre, line, points, _ = views
    assert lower["mark"]["strokeDash"] and upper["mark"]["strokeDash"] and "strokeDash" not in centre["mark"]
    assert [v["encoding"]["y"]["field"] for v in (lower, upper, centre)] == ["lower_limit", "upper_limit", "centre"]
    assert line["mark"]["invalid"] == "break-paths-show-path-domains"             # a null week is a gap
    assert line["encoding"]["x"] | {"axis": None} == {"field": "week", "type": "temporal", "title": None,
                                                     "scale": {"type": "utc"}, "axis": None}
    assert points["encoding"]["color"]["scale"]["range"] == [INK, ALERT]
    assert points["encoding"]["shape"]["scale"]["range"] == ["circle", "diamond"]
    rows = data_of(spec, line)
    assert [r["week"] for r in rows] == [w.isoformat() for w in WEEKS]
    assert [r["in_process_share"] for r in rows] == VALUES                        # None stays None, not 0
    assert set(rows[0]) == {"week", "in_process_share", "centre", "lower_limit", "upper_limit", "signal",
                            "moving_range", "mr_centre", "mr_upper"}              # team_id left out
    assert [mark(v) for v in layers(bottom)] == ["rule", "rule", "line", "point", "text"]
    assert spec["resolve"]["scale"]["x"] == "shared"

    svg = to_svg(chart)
    assert_svg(svg, "Share of moves in process", "Moving range", "6 Jan", "Routine week", "Signal",
               "average 76%", "upper limit 90%", "lower limit 62%")
    top_line = re.search(r'class="mark-line role-mark[^"]*"[^>]*>\s*<path[^>]* d="([^"]+)"', svg)
    assert top_line is not None and top_line.group(1).count("M") == 2              # two runs around the gap
    assert f'fill="{ALERT}"' in svg                                                 # the signal point


# A p-chart: weekly shares, each week with its own limits from its n; week 3 had too few moves.
P_WEEKS = [dt.date(2025, 1, 6), dt.date(2025, 1, 13), dt.date(2025, 1, 20), dt.date(2025, 1, 27)]
P_POINTS = {"week": P_WEEKS, "value": [0.9, 0.5, 1.0, 0.85], "n": [20, 20, 2, 40], "centre": [0.8] * 4,
            "lower_limit": [0.53, 0.53, 0.0, 0.61], "upper_limit": [1.0, 1.0, 1.0, 0.99],
            "signal": [[], ["WE1"], [], []], "judged": [True, True, False, True]}


@pytest.mark.parametrize("backend", BACKENDS)
def test_p_chart(backend: str) -> None:
    data = P_POINTS if backend == "polars" else P_POINTS | {"signal": ["", "WE1", "", ""]}
    chart = p_chart(make(backend, data))
    spec = spec_of(chart)
    views = layers(spec, spec.get("data"))
    assert [mark(v) for v in views] == ["line", "line", "rule", "line", "point", "text"]
    lower, upper = views[0], views[1]
    assert lower["mark"]["interpolate"] == upper["mark"]["interpolate"] == "step"   # per-week limits
    assert [lower["encoding"]["y"]["field"], upper["encoding"]["y"]["field"]] == ["lower_limit", "upper_limit"]
    assert views[3]["encoding"]["y"]["scale"] == {"domain": [0, 1], "clamp": True}
    rows = data_of(spec, views[3])
    assert [r["point"] for r in rows] == ["Routine week", "Signal", "Too few moves to judge", "Routine week"]
    assert [r["signal"] for r in rows] == ["", "WE1", "", ""]
    svg = to_svg(chart)
    assert_svg(svg, "Share of moves in process", "Routine week", "Signal", "Too few moves to judge", "average 80%")
    assert f'fill="{ALERT}"' in svg


def test_p_chart_refuses_two_series_and_missing_columns() -> None:
    with pytest.raises(ToolkitError, match="one centre line"):
        p_chart(pl.DataFrame(P_POINTS | {"centre": [0.8, 0.8, 0.7, 0.8]}))
    with pytest.raises(KeyError, match="lower_limit"):
        p_chart(pl.DataFrame(P_POINTS).drop("lower_limit"))


def test_control_chart_without_moving_range_and_one_series_only() -> None:
    chart = control_chart(pl.DataFrame(CONTROL).drop("moving_range", "mr_centre", "mr_upper"), "in_process_share",
                          "Share", moving_range=False, value_format=".1%")
    assert isinstance(chart, alt.LayerChart)
    assert "average 76.0%" in texts(to_svg(chart))
    other_team = pl.DataFrame(CONTROL).with_columns(pl.lit("t2").alias("team_id"), pl.lit(0.5).alias("centre"))
    two_teams = pl.concat([pl.DataFrame(CONTROL), other_team])
    with pytest.raises(ToolkitError, match="one series"):
        control_chart(two_teams, "in_process_share", "Share")


def test_control_chart_plain_numbers_and_pandas_datetimes() -> None:
    frame = pl.DataFrame(CONTROL).rename({"in_process_share": "moves"}).with_columns(
        pl.col("week").cast(pl.Datetime("ms"))).to_pandas()
    chart = control_chart(frame, "moves", "Stage moves")
    spec = spec_of(chart)
    assert [r["week"] for r in data_of(spec, layers(spec)[3])] == [w.isoformat() for w in WEEKS]
    assert "format" not in layers(spec)[3]["encoding"]["y"]["axis"]
    assert_svg(to_svg(chart), "Stage moves", "average 0.76")


# --- CRM text, input checks ----------------------------------------------------------------------

def test_crm_text_is_escaped_in_svg() -> None:
    names = [XSS, "Tom & Jerry \"TJ\" O'Neil", "<script>alert(1)</script>"]
    svg = to_svg(deal_load_chart(pl.DataFrame({"owner_name": names, "open": [3, 2, 1]})))
    assert "&lt;img" in svg and "<img" not in svg
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert "Tom &amp; Jerry" in svg
    svg = to_svg(funnel_chart(pl.DataFrame({"stage": [XSS], "reached": [2], "reached_next": [1], "conversion": [0.5]})))
    assert "&lt;img" in svg and "<img" not in svg


def test_long_names_are_cut_in_labels() -> None:
    long = "L" * 200
    svg = to_svg(compliance_chart(pl.DataFrame({"owner_name": [long, "Ann"], "compliance_rate": [0.5, 1.0],
                                                "deals": [2, 3]})))
    labels = [t for t in texts(svg) if t.startswith("LLL")]
    assert labels and all(len(t) < 60 and t.endswith("…") for t in labels)
    assert long not in texts(svg)


def test_missing_names_and_empty_frames() -> None:
    counts = pl.DataFrame({"owner_name": [None, "Ann"], "open": [2, 1]},
                          schema={"owner_name": pl.String, "open": pl.Int64})
    assert "(no name)" in texts(to_svg(deal_load_chart(counts)))
    empty = pl.DataFrame(schema={"owner_name": pl.String, "open": pl.Int64})
    assert to_svg(deal_load_chart(empty)).startswith("<svg")


def test_clear_errors_for_wrong_frames() -> None:
    with pytest.raises(ToolkitError, match="owner_name"):
        deal_load_chart(pl.DataFrame({"rep": ["Ann"], "open": [1]}))
    with pytest.raises(ToolkitError, match="aggregate first"):
        deal_load_chart(pl.DataFrame({"owner_name": ["Ann"] * (MAX_ROWS + 1), "open": [1] * (MAX_ROWS + 1)}))
    with pytest.raises(ToolkitError, match="pandas or polars"):
        deal_load_chart([{"owner_name": "Ann", "open": 1}])


# --- rendering: offline, themed, notebooks -------------------------------------------------------

def test_to_svg_makes_no_network_access(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("network access")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    chart = control_chart(pl.DataFrame(CONTROL), "in_process_share", "Share")
    assert to_svg(chart).startswith("<svg")
    # vl-convert itself (outside Python's socket module) may load nothing from a URL either.
    with pytest.raises(ValueError, match="not allowed"):
        to_svg(alt.Chart("https://example.com/data.csv").mark_point().encode(x="a:Q"))


def test_theme_is_applied_by_to_svg_without_global_side_effects() -> None:
    before = alt.theme.active
    svg = to_svg(deal_load_chart(pl.DataFrame(COUNTS)))
    assert alt.theme.active == before                                             # nothing enabled behind our back
    assert f'font-size="{LABEL_SIZE}px"' in svg and f'font-size="{TITLE_SIZE}px"' in svg
    assert f'fill="{INK}"' in svg and f'fill="{PALETTE[0]}"' in svg
    assert "font-weight=\"bold\"" not in svg                                      # titles in normal weight
    config = themed_spec(deal_load_chart(pl.DataFrame(COUNTS)))["config"]
    assert config["range"]["category"] == list(PALETTE) and config["view"]["stroke"] is None
    width = int(re.search(r'<svg[^>]* width="(\d+)"', svg).group(1))              # type: ignore[union-attr]
    assert 450 <= width <= 700


def test_the_render_spec_is_the_validated_spec() -> None:
    """to_svg skips Altair's schema validation (its cost, not its result): same spec either way."""
    chart = deal_load_chart(pl.DataFrame(COUNTS), sample_per_rep=2)
    before = alt.theme.active
    try:
        alt.theme.enable(THEME_NAME)
        validated = chart.to_dict()
    finally:
        alt.theme.enable(before)
    assert themed_spec(chart) == validated


def test_use_theme_enables_it_globally() -> None:
    before = alt.theme.active
    try:
        use_theme()
        assert alt.theme.active == THEME_NAME
        assert deal_load_chart(pl.DataFrame(COUNTS)).to_dict()["config"]["range"]["category"] == list(PALETTE)
    finally:
        alt.theme.enable(before)


def test_import_toolkit_does_not_import_altair() -> None:
    code = ("import sys, toolkit, toolkit.charts; assert 'altair' not in sys.modules, 'altair'; "
            "assert 'vl_convert' not in sys.modules; toolkit.charts.deal_load_chart; assert 'altair' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_svg_display_for_notebooks() -> None:
    figure = svg_display(deal_load_chart(pl.DataFrame(COUNTS)))
    assert figure._repr_svg_().startswith("<svg")
    assert "<svg" in figure._repr_html_()
    assert str(figure) == figure.svg


def test_nbconvert_keeps_the_svg_inline() -> None:
    nbformat = pytest.importorskip("nbformat")
    exporter = pytest.importorskip("nbconvert").HTMLExporter
    formatter = pytest.importorskip("IPython.core.formatters").DisplayFormatter
    data, metadata = formatter().format(svg_display(deal_load_chart(pl.DataFrame(COUNTS))))
    assert {"image/svg+xml", "text/html"} <= set(data)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("chart", outputs=[
        nbformat.v4.new_output("display_data", data=data, metadata=metadata)]))
    body, _ = exporter(template_name="basic", exclude_input=True).from_notebook_node(nb)
    assert "<svg" in body and "data:image/svg+xml;base64" not in body


def test_rendering_is_quick() -> None:
    chart = deal_load_chart(pl.DataFrame(COUNTS))
    to_svg(chart)                                                                # the engine starts once
    start = time.perf_counter()
    to_svg(chart)
    assert time.perf_counter() - start < 2.0
