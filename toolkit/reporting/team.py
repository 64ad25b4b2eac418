"""What a team report notebook shows: one call per section, each returning an HTML block.

Every text that comes from the CRM (deal, rep and team names, stage labels) is escaped here, at
the render boundary, and wrapped in ``<bdi>`` so right-to-left or control characters cannot
reorder the page; long texts are cut. Charts are inline SVG (no script, no CDN).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from toolkit import schema as S
from toolkit.errors import ToolkitError
from toolkit.reporting.slices import TABLES

MAX_TEXT = 60
SECTIONS = ("headline", "review-plan", "review-time", "deal-load", "compliance", "funnel", "control",
            "data-quality", "appendix")


class Block:
    """An HTML block a notebook displays as ``text/html``."""

    def __init__(self, section: str, body: str) -> None:
        self.section = section
        self.html = f"<section class='tk-section' id='{section}' data-section='{section}'>{body}</section>"

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


def text(value: Any, limit: int = MAX_TEXT) -> str:
    """CRM text made safe for HTML: cut to ``limit`` characters, escaped, bidi-isolated."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "<span class='tk-na'>–</span>"
    s = str(value)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return f"<bdi>{html.escape(s, quote=True)}</bdi>"


def number(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "<span class='tk-na'>–</span>"
    return f"{value:,.{digits}f}"


def percent(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "<span class='tk-na'>–</span>"
    return f"{value:.0%}"


def table(frame: pl.DataFrame, columns: list[tuple[str, str, str]], *, empty: str = "Nothing to show.",
          limit: int | None = None) -> str:
    """An HTML table; ``columns`` are (column, header, kind) with kind text (cut at 60 characters),
    long (cut at 240), int, float1, pct or money."""
    if frame.is_empty():
        return f"<p class='tk-empty'>{html.escape(empty)}</p>"
    head = "".join(f"<th class='tk-{k}'>{html.escape(h)}</th>" for _c, h, k in columns)
    rows = []
    shown = frame if limit is None else frame.head(limit)
    for r in shown.iter_rows(named=True):
        cells = []
        for c, _h, k in columns:
            v = r.get(c)
            cell = {"int": lambda x: number(x), "float1": lambda x: number(x, 1), "pct": percent,
                    "money": lambda x: number(x), "long": lambda x: text(x, 240)}.get(k, text)(v)
            cells.append(f"<td class='tk-{k}'>{cell}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = "" if limit is None or frame.height <= limit else (
        f"<p class='tk-more'>… and {frame.height - limit:,} more.</p>")
    return f"<table class='tk-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def figure(chart: Any, caption: str) -> str:
    from toolkit.charts import to_svg

    return f"<figure class='tk-chart'>{to_svg(chart)}<figcaption>{html.escape(caption)}</figcaption></figure>"


@dataclass
class TeamReport:
    """A team's slice, opened for display."""

    data_dir: Path
    headline_data: dict[str, Any]
    tables: dict[str, pl.DataFrame]

    # --- sections, in report order ----------------------------------------------------------
    def headline(self) -> Block:
        h = self.headline_data
        banner = ""
        if h["quality_blocking"] or h["quality_failed_for_team"]:
            kind = "tk-banner-error" if h["quality_blocking"] else "tk-banner-warning"
            banner = (f"<div class='tk-banner {kind}'>Data quality: {h['quality_failed_for_team']} check(s) failed "
                      f"for this team's rows{' — the export has blocking errors' if h['quality_blocking'] else ''}. "
                      "See <a href='#data-quality'>Data quality</a> before acting on these figures.</div>")
        if not h["has_history"]:
            banner += ("<div class='tk-banner tk-banner-warning'>This export has no stage history: skipped stages, "
                       "backward moves, time limits and late starts could not be checked.</div>")
        verdict = h["control_verdict"]
        verdict_class = "tk-ok" if verdict == "in control" else "tk-signal"
        short = "In control" if verdict == "in control" else ("Signal" if verdict.startswith("signal") else verdict)
        rules = verdict.removeprefix("signal: ") if verdict.startswith("signal") else "only routine variation"
        cards = [
            ("Review this week", f"{number(h['review_hours_sampled'], 1)} h",
             f"{h['plan_deals']} deals, {h['sample_per_rep']} per rep, instead of {number(h['review_hours_full'], 1)} h "
             f"for all {h['open']} open deals ({percent(h['share_full'])} of a {number(h['manager_hours_per_week'])}-hour week)"),
            ("Process compliance", percent(h["compliance_rate"]),
             f"{h['compliant']} of {h['deals']} deals follow the process"),
            ("Process in control?", f"<span class='{verdict_class}'>{html.escape(short)}</span>",
             f"{html.escape(rules)}; weekly share of stage moves that follow the process, last "
             f"{h['control_points']} weeks"),
            ("Team", f"{h['reps']} reps", f"{h['open']} open, {h['won']} won, {h['lost']} lost"),
        ]
        card_html = "".join(f"<div class='tk-card'><div class='tk-card-title'>{html.escape(t)}</div>"
                            f"<div class='tk-card-value'>{v}</div><div class='tk-card-note'>{n}</div></div>"
                            for t, v, n in cards)
        fresh = h["data_freshness"][:16].replace("T", " ") if h["data_freshness"] else "unknown"
        return Block("headline", (
            f"<h1>{text(h[S.TEAM_NAME])}: sales process report</h1>"
            f"<p class='tk-meta'>Manager {text(h[S.MANAGER_NAME])} · as of {html.escape(h['as_of'])} · latest record "
            f"{html.escape(fresh)} · process “{text(h['process'])}” · source {text(h['source'])}</p>"
            f"{banner}<div class='tk-cards'>{card_html}</div>"))

    def review_plan(self) -> Block:
        plan = self.tables["plan"]
        h = self.headline_data
        k = h["sample_per_rep"]
        note = (f"<p class='tk-note'>Picked per rep: deals breaking the process first (most severe flag, then largest "
                f"amount), then the longest in their stage, then one random audit pick. If all {k} deals of a rep are "
                f"in order, the rep's share of out-of-process deals is, with 95 % confidence, below "
                f"{percent(h['clean_sample_bound'])}: a clean sample is reassuring, not proof.</p>")
        body = table(plan, [(S.OWNER_NAME, "Rep", "text"), (S.DEAL_NAME, "Deal", "text"), ("reason", "Why", "text"),
                            ("detail", "Evidence", "long"), (S.STAGE, "Stage", "text"),
                            ("days_in_stage", "Days in stage", "int"), (S.AMOUNT, "Amount", "money"),
                            (S.CURRENCY, "", "text")], empty="No open deals to review.")
        return Block("review-plan", f"<h2>This week's review plan</h2>{body}{note}")

    def review_time(self) -> Block:
        from toolkit.charts import review_time_chart

        h = self.headline_data
        load = self.tables["load"].with_columns(pl.lit(h[S.TEAM_NAME]).alias(S.TEAM_NAME))
        para = (f"<p>Reviewing every open deal ({h['open']} × {number(h['minutes_per_deal'])} min) takes "
                f"<b>{number(h['review_hours_full'], 1)} h</b> a week, {percent(h['share_full'])} of the manager's "
                f"{number(h['manager_hours_per_week'])} hours. The sampled review takes "
                f"<b>{number(h['review_hours_sampled'], 1)} h</b> ({percent(h['share_sampled'])}), freeing "
                f"{number(h['hours_freed'], 1)} h for coaching.</p>")
        chart = figure(review_time_chart(load, manager_hours=h["manager_hours_per_week"]),
                       "Hours per week: full review against the sampled review")
        return Block("review-time", f"<h2>Review time</h2>{para}{chart}")

    def deal_load(self) -> Block:
        from toolkit.charts import deal_load_chart

        counts = self.tables["counts"].sort("open", descending=True)
        body = table(counts, [(S.OWNER_NAME, "Rep", "text"), ("open", "Open", "int"), ("won", "Won", "int"),
                              ("lost", "Lost", "int"), ("new", "New (7 days)", "int"),
                              ("closed", "Closed (7 days)", "int"), ("avg_open_age_days", "Avg. age of open (days)", "int")])
        pipe = table(self.tables["pipeline"], [(S.CURRENCY, "Currency", "text"), ("deals", "Open deals", "int"),
                                               ("amount", "Open pipeline", "money")])
        chart = figure(deal_load_chart(counts, sample_per_rep=self.headline_data["sample_per_rep"]),
                       "Open deals per rep; the line marks the review sample per rep")
        return Block("deal-load", f"<h2>Deal load per rep</h2>{chart}{body}<h3>Open pipeline per currency</h3>{pipe}")

    def compliance(self) -> Block:
        from toolkit.charts import compliance_chart

        rates = self.tables["rates"]
        from toolkit.metrics.compliance import FLAG_LABELS

        flags = self.tables["flags"].sort(["flag", "value"], descending=[False, True], nulls_last=True).with_columns(
            pl.col("flag").replace_strict(FLAG_LABELS, default=pl.col("flag")))
        body = table(rates, [(S.OWNER_NAME, "Rep", "text"), ("deals", "Deals", "int"), ("compliant", "OK", "int"),
                             ("compliance_rate", "Rate", "pct"), ("skipped_stage", "Skip", "int"),
                             ("backward_move", "Back", "int"), ("over_time_limit", "Slow", "int"),
                             ("missing_required_field", "Field", "int"), ("started_late", "Late start", "int"),
                             ("overdue_close_date", "Overdue", "int")])
        legend = ("<p class='tk-note'>Deals per flag: Skip = skipped a stage, Back = moved backward, Slow = over a "
                  "stage's time limit, Field = missing a required field, Late start = started past the first stage, "
                  "Overdue = open past its close date.</p>")
        detail = table(flags, [(S.OWNER_NAME, "Rep", "text"), (S.DEAL_NAME, "Deal", "text"), ("flag", "Flag", "text"),
                               ("stage", "Stage", "text"), ("detail", "Evidence", "text")],
                       empty="No deal breaks the process.", limit=25)
        chart = figure(compliance_chart(rates), "Share of each rep's deals that follow the process")
        return Block("compliance", f"<h2>Process compliance per rep</h2>{chart}{body}{legend}"
                                   f"<h3>The flags behind it</h3>{detail}")

    def funnel(self) -> Block:
        from toolkit.charts import funnel_chart, time_in_stage_chart

        conv = self.tables["conversion"]
        tis = self.tables["time_in_stage"]
        t1 = table(conv, [("stage", "Stage", "text"), ("reached", "Reached", "int"),
                          ("next_stage", "Next stage", "text"), ("reached_next", "Reached next", "int"),
                          ("conversion", "Conversion", "pct")])
        t2 = table(tis, [("stage", "Stage", "text"), ("stays", "Completed stays", "int"),
                         ("median_days", "Median days", "float1"), ("p80_days", "80th percentile", "float1"),
                         ("max_days", "Limit", "int"), ("share_over_limit", "Over limit", "pct")])
        charts = (figure(funnel_chart(conv), "Deals reaching each stage and the next one") +
                  figure(time_in_stage_chart(tis), "Days in stage: median (bar), 80th percentile (dot), limit (red)"))
        return Block("funnel", f"<h2>Stage funnel and time in stage</h2>{charts}{t1}{t2}")

    def control(self) -> Block:
        from toolkit.charts import control_chart

        h = self.headline_data
        ctl = self.tables["control"]
        verdict = h["control_verdict"]
        if ctl.is_empty() or ctl["centre"].is_null().all():
            return Block("control", "<h2>Is the process in control?</h2><p>Not enough weeks of stage history.</p>")
        row = ctl.row(0, named=True)
        expl = (f"<p>Verdict: <b>{html.escape(verdict)}</b>. Each point is a week's share of stage moves that follow "
                f"the process. Natural process limits {percent(row['lower_limit'])} – {percent(row['upper_limit'])} "
                f"around the average {percent(row['centre'])}: weeks inside them are routine variation, not news. "
                "A signal (a week outside, 8 in a row on one side, 3 of 4 near a limit) is worth a look.</p>")
        chart = figure(control_chart(ctl, h["control_measure"], "Share of moves in process",
                                     moving_range="moving_range" in ctl.columns),
                       "XmR chart of the weekly in-process share, with its moving ranges")
        return Block("control", f"<h2>Is the process in control?</h2>{expl}{chart}")

    def data_quality(self) -> Block:
        h = self.headline_data
        q = self.tables["quality"]
        intro = (f"<p>{h['input_lines']:,} input lines read; {h['input_rejected']:,} rejected across the whole export "
                 "(each listed with its file, line and reason by <code>toolkit load --rejects</code>).</p>")
        body = table(q, [("severity", "Severity", "text"), ("description", "Check", "long"), ("rows", "Rows", "int"),
                         ("examples", "Examples (deal, line)", "long")],
                     empty="Every data-quality check passed for this team's rows.")
        return Block("data-quality", f"<h2>Data quality</h2>{intro}{body}")

    def appendix(self) -> Block:
        h = self.headline_data
        limits = ", ".join(f"{html.escape(k)} {v:g} days" for k, v in h["stage_limits"].items() if v is not None)
        items = [
            ("Review time, full", f"open deals × {number(h['minutes_per_deal'])} minutes, per week."),
            ("Review time, sampled", f"min(open deals, {h['sample_per_rep']}) per rep × {number(h['minutes_per_deal'])} minutes."),
            ("Clean-sample bound", "if all k reviewed deals are in order, the rep's share of out-of-process deals is "
                                   "below 1 − 0.05^(1/k) with 95 % confidence."),
            ("Compliant deal", "no flag the process treats as a violation."),
            ("Skipped stage", "moved forward past a stage of the process."),
            ("Backward move", "moved back to an earlier stage."),
            ("Over time limit", f"stayed longer than the stage's limit ({limits}); an open deal's current stay "
                                "counts up to the as-of date."),
            ("Missing field", "a field the process requires at a stage the deal reached is empty."),
            ("Started late", "the deal's history starts past the first stage."),
            ("Overdue", "still open after its close date."),
            ("Conversion", "of the deals that reached a stage, the share that reached the next one."),
            ("Control chart", "XmR: limits at the average ± 2.66 × the average week-to-week change; signals: a week "
                              "outside the limits, 8 weeks in a row on one side, 3 of 4 beyond half-way to a limit."),
        ]
        dl = "".join(f"<dt>{html.escape(t)}</dt><dd>{d}</dd>" for t, d in items)
        return Block("appendix", f"<h2>Appendix: what each figure means</h2><dl class='tk-defs'>{dl}</dl>")


def open_team(data_dir: str | Path, team_id: str) -> TeamReport:
    """Open a team's slice; refuses a slice of another team (a wrong data_dir never renders a
    foreign team's report)."""
    folder = Path(data_dir)
    meta_path = folder / "slice.json"
    if not meta_path.is_file():
        raise ToolkitError(f"a prepared team slice (slice.json) in {folder}", "no such file",
                           "prepare slices with `toolkit report` or `toolkit prepare`")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get(S.TEAM_ID) != team_id:
        raise ToolkitError(f"the slice of team {team_id!r}", f"a slice of team {meta.get(S.TEAM_ID)!r} in {folder}",
                           "pass the data_dir of the same team")
    tables = {name: pl.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    return TeamReport(folder, meta, tables)
