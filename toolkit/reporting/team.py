"""What a team report notebook shows: one call per section, each returning an HTML block.

Page 1 is the whole answer for the manager: the cards (incl. "Process in control?"), what changed
this week, and this week's review plan with a coaching point per rep. Everything else follows as
an appendix: funnel, time in stage, control chart, flags, data quality, workload, definitions.

All HTML comes from the package's Jinja2 templates (autoescape on; see
:mod:`toolkit.reporting.templating`): CRM text is escaped there, never here. Charts are inline SVG.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from toolkit import schema as S
from toolkit.errors import InputFileError, UnknownTeamError
from toolkit.reporting.templating import figure, render, table

#: Every section a complete report holds, in page order (the publication gate checks them).
SECTIONS = ("headline", "changes", "review-plan", "funnel", "time-in-stage", "control", "compliance",
            "data-quality", "all-changes", "workload", "appendix")

#: What would add stage history, per source: said wherever a section needs history the export lacks.
HISTORY_HINTS = {
    "salesforce": "Add OpportunityHistory.csv from the same Salesforce Data Export to get it.",
    "salesforce_report": "Export an Opportunity History report (CSV) beside the opportunities report to get it.",
    "hubspot": "Export the deals with their “Date entered <stage>” columns (all properties) to get it.",
    "hubspot_sync": "Include the deal stage history table in the sync to get it.",
    "pipedrive": "Add deal-flow.jsonl (the deals' change log) beside the deals export to get it.",
    "generic": "Add a stage history file (deal id, stage, date entered) under files: stage_events in the mapping "
               "to get it.",
}
FLAGS_NEEDING_HISTORY = ("skipped_stage", "backward_move", "over_time_limit", "started_late")
HEADLINE_MEASURE = "in_process_share"
CHANGE_LABELS = (("new", "new"), ("pushed", "pushed"), ("pulled_in", "pulled in"), ("amount_up", "amount up"),
                 ("amount_down", "amount down"), ("stage_changed", "moved stage"), ("won", "won"), ("lost", "lost"))
TOP_CHANGES = 6
_CHART_NAMES = {"p": "p", "p'": "Laney p′", "xmr": "XmR"}


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


@dataclass
class TeamReport:
    """A team's slice, opened for display."""

    data_dir: Path
    headline_data: dict[str, Any]
    tables: dict[str, pl.DataFrame]

    @property
    def has_history(self) -> bool:
        return bool(self.headline_data.get("has_history", True))

    def _history_hint(self) -> str:
        return HISTORY_HINTS.get(str(self.headline_data.get("source")), HISTORY_HINTS["generic"])

    def _no_history(self, what: str) -> tuple[str, str]:
        return ("absent", f"This export has no stage history, so {what} cannot be shown. {self._history_hint()}")

    def _table(self, name: str) -> pl.DataFrame | None:
        return self.tables.get(name)

    # --- page 1 -------------------------------------------------------------------------------
    @property
    def figures(self) -> dict[str, Any]:
        """The figures model of the slice (``TeamFigures.to_dict()``); empty for an older slice."""
        f = self.headline_data.get("figures")
        return f if isinstance(f, dict) else {}

    def _headline_control(self) -> dict[str, Any]:
        charts = self.figures.get("control") or []
        return next((c for c in charts if c.get("measure") == HEADLINE_MEASURE), {})

    def headline(self) -> Block:
        h = self.headline_data
        quality = self.tables["quality"]
        errors = quality.filter(pl.col("severity") == "error").to_dicts() if quality.height else []
        chart = self._headline_control()
        short, tone, why = verdict_view(self.figures.get("verdict", h.get("control_verdict")),
                                        has_history=self.has_history)
        if chart.get("reason") and tone != "neutral":
            why = chart["reason"]
        comp = self.figures.get("compliance", {})
        if comp.get("period_rate") is not None:
            value = f"{comp['period_rate']:.0%}"
            comp_note = (f"{comp['period_compliant']} of {comp['period_deals']} deals active in the last "
                         f"{comp['period_weeks']} weeks follow the process (all time {comp['rate']:.0%})")
            worst = max(comp.get("period_rules") or [{}], key=lambda r: r.get("flagged") or 0)
            if worst.get("flagged"):
                comp_note += f"; most often: {worst['label']} ({worst['flagged']})"
        else:
            rate = h.get("compliance_rate")
            value = "–" if rate is None else f"{rate:.0%}"
            comp_note = f"{h['compliant']} of {h['deals']} deals follow the process"
        if not self.has_history:
            comp_note += "; skips, backward moves and time limits need stage history, not in this export"
        cards = [
            {"title": "Review this week", "value": f"{h['review_hours_sampled']:,.1f} h", "tone": "",
             "note": f"{h['plan_deals']} deals, {h['sample_per_rep']} per rep, instead of "
                     f"{h['review_hours_full']:,.1f} h for all {h['open']} open deals "
                     f"({h['share_full']:.0%} of a {h['manager_hours_per_week']:,.0f}-hour week)"},
            {"title": "Process compliance", "value": value, "tone": "", "note": comp_note},
            {"title": "Process in control?", "value": short, "tone": tone,
             "note": "Weekly share of stage moves that follow the process"
                     + (f" ({_CHART_NAMES.get(chart.get('chart', ''), 'control')} chart)" if chart else "")
                     + f": {why}"},
            {"title": "Team", "value": f"{h['reps']} reps", "tone": "",
             "note": f"{h['open']} open, {h['won']} won, {h['lost']} lost"},
        ]
        fresh = h["data_freshness"][:16].replace("T", " ") if h.get("data_freshness") else "unknown"
        return Block("headline", render("team/headline.html.j2", section="headline", h=h, fresh=fresh, cards=cards,
                                        errors=errors, back_link=h.get("org_link", "../org_summary.html")))

    def changes(self) -> Block:
        figures = self.figures.get("changes")
        context: dict[str, Any] = {"section": "changes", "window": "", "totals": None, "deals": [], "more": 0,
                                   "missing": "Week-over-week changes are not in this slice: prepare it again "
                                              "with this version of the toolkit."}
        if isinstance(figures, dict):
            context["window"] = _window(figures)
            if figures.get("basis") == "none":
                context["missing"] = ("This export has no history of stages, amounts or close dates, so what changed "
                                      "this week cannot be shown. Pass last week's export with --previous, or: "
                                      + self._history_hint())
            else:
                t = figures.get("totals", {})
                context["totals"] = [(label, int(t.get(key, 0))) for key, label in CHANGE_LABELS]
                deals = sorted(figures.get("deals") or [], key=_at_stake, reverse=True)
                context["deals"] = [d | {"what": change_text(d), "amount": _at_stake(d),
                                         S.DEAL_NAME: d.get(S.DEAL_NAME) or d.get(S.DEAL_ID),
                                         "currency": (d.get("currency") or {}).get("to")} for d in deals[:TOP_CHANGES]]
                context["more"] = max(len(deals) - TOP_CHANGES, 0)
        return Block("changes", render("team/changes.html.j2", **context))

    def review_plan(self) -> Block:
        h = self.headline_data
        plan = self.tables["plan"]
        coaching = self._coaching_lines()
        reps: list[dict[str, Any]] = []
        by_rep: dict[str, dict[str, Any]] = {}
        for d in plan.iter_rows(named=True):
            key = d.get(S.OWNER_ID) or d[S.OWNER_NAME]
            if key not in by_rep:
                by_rep[key] = {"name": d[S.OWNER_NAME], "coaching": coaching.pop(key, (None, None))[1], "deals": []}
                reps.append(by_rep[key])
            kind = {"violation": "violation", "audit": "audit"}.get(d["reason"], "longest")
            why = "random audit pick" if kind == "audit" else (d.get("detail") or d["reason"])
            days = d["days_in_stage"] if self.has_history else None
            # A deal without a name is found in the CRM by its id.
            by_rep[key]["deals"].append(d | {"kind": kind, "why": why, "days_in_stage": days,
                                             S.DEAL_NAME: d.get(S.DEAL_NAME) or d.get(S.DEAL_ID)})
        reps += [{"name": name, "coaching": line, "deals": []} for name, line in coaching.values()]
        return Block("review-plan", render(
            "team/review_plan.html.j2", section="review-plan", reps=reps, n_deals=plan.height,
            k=h["sample_per_rep"], bound=h["clean_sample_bound"], has_history=self.has_history,
            coaching_note="" if self._table("coaching") is not None else
            "Coaching points per rep are not in this slice: prepare it again with this version of the toolkit."))

    def _coaching_lines(self) -> dict[Any, tuple[Any, Any]]:
        """(rep name, coaching line) by rep key, in the slice's order."""
        frame = self._table("coaching")
        if frame is None:
            return {}
        return {r.get(S.OWNER_ID) or r.get(S.OWNER_NAME): (r.get(S.OWNER_NAME), coaching_text(r))
                for r in frame.iter_rows(named=True) if r.get("line")}

    # --- appendix -----------------------------------------------------------------------------
    def funnel(self) -> Block:
        from toolkit.charts import funnel_chart

        title = "Where deals go on, and where they stop"
        if not self.has_history:
            return section("funnel", title, [self._no_history("how deals move from stage to stage")],
                           appendix_start=True)
        conv = self.tables["conversion"]
        return section("funnel", title, [
            ("html", figure(funnel_chart(conv), "Deals reaching each stage and the next one")),
            ("html", table(conv, [("stage", "Stage", "text"), ("reached", "Reached", "int"),
                                  ("next_stage", "Next stage", "text"), ("reached_next", "Reached next", "int"),
                                  ("conversion", "Went on", "pct")]))], appendix_start=True)

    def time_in_stage(self) -> Block:
        from toolkit.charts import time_in_stage_chart

        title = "How long deals stay in each stage"
        if not self.has_history:
            return section("time-in-stage", title, [self._no_history("the time deals spend in each stage")])
        tis = self.tables["time_in_stage"]
        return section("time-in-stage", title, [
            ("html",
             figure(time_in_stage_chart(tis), "Days in stage: median (bar), 80th percentile (dot), limit (red)")),
            ("html", table(tis, [("stage", "Stage", "text"), ("stays", "Completed stays", "int"),
                                 ("median_days", "Median days", "float1"), ("p80_days", "80th percentile", "float1"),
                                 ("max_days", "Limit", "int"), ("share_over_limit", "Over limit", "pct")]))])

    def control(self) -> Block:
        from toolkit.charts import control_chart, p_chart

        h = self.headline_data
        ctl = self.tables["control"]
        title = "Is the process steady week to week?"
        if not self.has_history:
            return section("control", title, [self._no_history("the weekly share of moves that follow the process")])
        if ctl.is_empty() or ctl["centre"].is_null().all():
            return section("control", title, [("absent", ("Too few weeks with stage moves to draw limits yet; the "
                                                         "chart appears once there are enough."))])
        chart = self._headline_control()
        short, _tone, why = verdict_view(self.figures.get("verdict", h.get("control_verdict")), has_history=True)
        parts: list[tuple[str, Any]] = [("p", f"Verdict: {short}: {chart.get('reason') or why}.")]
        if "judged" in ctl.columns:
            kind = _CHART_NAMES.get(str(chart.get("chart", "p")), "p")
            parts += [
                ("p", ("Each point is a week's share of stage moves that follow the process; the dashed steps are that "
                      "week's limits (centre ± 3 standard errors for its number of moves, inside 0–100 %): a week "
                      "with few moves gets wide limits. Points inside are routine variation, not news; weeks with "
                      "too few moves are shown but not judged.")),
                ("html", figure(p_chart(ctl), f"{kind} chart of the weekly in-process share"))]
        else:
            parts.append(("html", figure(control_chart(ctl, h["control_measure"], "Share of moves in process",
                                                       moving_range="moving_range" in ctl.columns),
                                         "XmR chart of the weekly in-process share")))
        others = [c for c in self.figures.get("control") or [] if c.get("measure") != HEADLINE_MEASURE]
        if others:
            rows = pl.DataFrame([{"label": c.get("label") or c.get("measure"),
                                  "chart": _CHART_NAMES.get(str(c.get("chart")), c.get("chart")),
                                  "verdict": verdict_view(c.get("verdict"), has_history=True)[0],
                                  "reason": c.get("reason")} for c in others])
            parts += [("h3", "The other weekly measures"),
                      ("html", table(rows, [("label", "Measure", "text"), ("chart", "Chart", "text"),
                                            ("verdict", "Verdict", "text"), ("reason", "Why", "long")])),
                      ("note", ("Rules (Western Electric): WE1 a week beyond a limit; WE2 2 of 3 weeks beyond 2 sigma "
                               "on one side; WE3 4 of 5 beyond 1 sigma on one side; WE4 8 weeks in a row on one side "
                               "of the centre."))]
        return section("control", title, parts)

    def compliance(self) -> Block:
        from toolkit.charts import compliance_chart
        from toolkit.metrics.compliance import FLAG_LABELS

        rates = self.tables["rates"]
        flags = self.tables["flags"].sort(["flag", "value"], descending=[False, True], nulls_last=True).with_columns(
            pl.col("flag").replace_strict(FLAG_LABELS, default=pl.col("flag")))
        flag_columns = [("skipped_stage", "Skip", "int"), ("backward_move", "Back", "int"),
                        ("over_time_limit", "Slow", "int"), ("missing_required_field", "Field", "int"),
                        ("started_late", "Late start", "int"), ("overdue_close_date", "Overdue", "int")]
        if not self.has_history:
            flag_columns = [c for c in flag_columns if c[0] not in FLAGS_NEEDING_HISTORY]
        parts: list[tuple[str, Any]] = [
            ("html", figure(compliance_chart(rates), "Share of each rep's deals that follow the process")),
            ("html", table(rates, [(S.OWNER_NAME, "Rep", "text"), ("deals", "Deals", "int"), ("compliant", "OK", "int"),
                                   ("compliance_rate", "Rate", "pct"), *flag_columns])),
            ("note", ("Deals per flag: Skip = skipped a stage, Back = moved backward, Slow = over a stage's time "
                     "limit, Field = missing a required field, Late start = started past the first stage, "
                     "Overdue = open past its close date.")),
        ]
        if not self.has_history:
            parts.append(self._no_history("skipped stages, backward moves, time limits and late starts"))
        parts += [("h3", "The flags behind it"),
                  ("html", table(flags, [(S.OWNER_NAME, "Rep", "text"), (S.DEAL_NAME, "Deal", "text"),
                                         ("flag", "Flag", "text"), ("stage", "Stage", "text"),
                                         ("detail", "Evidence", "text")],
                                 empty="No deal breaks the process.", limit=25))]
        return section("compliance", "Which deals break the process, and how", parts)

    def data_quality(self) -> Block:
        h = self.headline_data
        q = self.tables["quality"].sort(pl.col("severity") != "error")
        # Where no process file was given, the process was read from the export: say so.
        note = (h.get("provenance") or {}).get("process_note")
        return section("data-quality", "Can you trust the data? (data quality)", [
            *([("note", str(note))] if note else []),
            ("p", (f"{h['input_lines']:,} input lines read; {h['input_rejected']:,} rejected across the whole export "
                  "(each listed with its file, line and reason by toolkit load --rejects). Only checks of severity "
                  "“error” raise the banner on page 1; warnings are listed here.")),
            ("html", table(q, [("severity", "Severity", "text"), ("description", "Check", "long"),
                               ("rows", "Rows", "int"), ("examples", "Examples (deal, line)", "long")],
                           empty="Every data-quality check passed for this team's rows."))])

    def all_changes(self) -> Block:
        title = "Every deal that changed this week"
        figures = self.figures.get("changes")
        if not isinstance(figures, dict) or figures.get("basis") == "none" or not figures.get("deals"):
            return section("all-changes", title, [("absent", ("No deal changed in the window, or the export cannot "
                                                             "tell (see page 1)."))])
        per_rep = pl.DataFrame(figures.get("per_rep") or [], infer_schema_length=None)
        deals = sorted(figures["deals"], key=lambda d: (str(d.get(S.OWNER_NAME)), -_at_stake(d)))
        rows = pl.DataFrame([{S.OWNER_NAME: d.get(S.OWNER_NAME), S.DEAL_NAME: d.get(S.DEAL_NAME) or d.get(S.DEAL_ID),
                              "what": change_text(d), "amount": _at_stake(d)} for d in deals])
        parts: list[tuple[str, Any]] = []
        if per_rep.height:
            parts.append(("html", table(per_rep.sort(S.OWNER_NAME),
                                        [(S.OWNER_NAME, "Rep", "text"), *[(k, label.capitalize(), "int")
                                                                          for k, label in CHANGE_LABELS]])))
        parts.append(("html", table(rows, [(S.OWNER_NAME, "Rep", "text"), (S.DEAL_NAME, "Deal", "text"),
                                           ("what", "What changed", "long"), ("amount", "Amount", "money")])))
        return section("all-changes", title, parts)

    def workload(self) -> Block:
        from toolkit.charts import deal_load_chart, review_time_chart

        h = self.headline_data
        load = self.tables["load"].with_columns(pl.lit(h[S.TEAM_NAME]).alias(S.TEAM_NAME))
        counts = self.tables["counts"].sort("open", descending=True)
        return section("workload", "Review time and deal load", [
            ("p", (f"Reviewing every open deal ({h['open']} × {h['minutes_per_deal']:,.0f} min) takes "
                  f"{h['review_hours_full']:,.1f} h a week, {h['share_full']:.0%} of the manager's "
                  f"{h['manager_hours_per_week']:,.0f} hours. "
                  f"The sampled review takes {h['review_hours_sampled']:,.1f} h "
                  f"({h['share_sampled']:.0%}), freeing {h['hours_freed']:,.1f} h for coaching.")),
            ("html", figure(review_time_chart(load, manager_hours=h["manager_hours_per_week"]),
                            "Hours per week: full review against the sampled review")),
            ("html", figure(deal_load_chart(counts, sample_per_rep=h["sample_per_rep"]),
                            "Open deals per rep; the line marks the review sample per rep")),
            ("html", table(counts, [(S.OWNER_NAME, "Rep", "text"), ("open", "Open", "int"), ("won", "Won", "int"),
                                    ("lost", "Lost", "int"), ("new", "New (7 days)", "int"),
                                    ("closed", "Closed (7 days)", "int"),
                                    ("avg_open_age_days", "Avg. age of open (days)", "int")])),
            ("h3", "Open pipeline per currency"),
            ("html", table(self.tables["pipeline"], [(S.CURRENCY, "Currency", "text"), ("deals", "Open deals", "int"),
                                                     ("amount", "Open pipeline", "money")]))])

    def appendix(self) -> Block:
        h = self.headline_data
        limits = ", ".join(f"{k} {v:g} days" for k, v in h["stage_limits"].items() if v is not None)
        k, minutes = h["sample_per_rep"], h["minutes_per_deal"]
        items = [
            ("Review time, full", f"open deals × {minutes:,.0f} minutes, per week."),
            ("Review time, sampled", f"min(open deals, {k}) per rep × {minutes:,.0f} minutes."),
            ("Clean-sample bound", ("if all k reviewed deals are in order, the rep's share of out-of-process deals is "
                                   "below 1 − 0.05^(1/k) with 95 % confidence.")),
            ("Compliant deal", "no flag the process treats as a violation."),
            ("Skipped stage", "moved forward past a stage of the process."),
            ("Backward move", "moved back to an earlier stage."),
            ("Over time limit", (f"stayed longer than the stage's limit ({limits}); an open deal's current stay "
                                "counts up to the as-of date.")),
            ("Missing field", "a field the process requires at a stage the deal reached is empty."),
            ("Started late", "the deal's history starts past the first stage."),
            ("Overdue", "still open after its close date."),
            ("Went on (conversion)", "of the deals that reached a stage, the share that reached the next one."),
            ("Control chart", ("shares (in-process share, win rate) on a p-chart: centre p̄ = all hits / all moves, "
                              "each week's limits p̄ ± 3·√(p̄(1−p̄)/n) inside [0, 1] (Laney p′ when weeks vary more "
                              "than chance allows); durations and counts on XmR charts. Signals follow the Western "
                              "Electric rules 1-4; weeks with too few moves are not judged.")),
        ]
        return Block("appendix", render("team/definitions.html.j2", section="appendix", items=items))


def _day(value: Any) -> str:
    return str(value or "")[:10]


def _window(changes: dict[str, Any]) -> str:
    """The window (start, end] as the days it covers: "24 Jun – 30 Jun 2025"."""
    import datetime as dt

    try:
        first = dt.datetime.fromisoformat(str(changes["start"])).date() + dt.timedelta(days=1)
        last = dt.datetime.fromisoformat(str(changes["end"])).date()
    except (KeyError, ValueError):
        return ""
    return f"{first:%-d %b} – {last:%-d %b %Y}"


def _money(value: Any) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _at_stake(deal: dict[str, Any]) -> float:
    """What a changed deal weighs: its larger amount, before or after."""
    amount = deal.get("amount") or {}
    return float(max(amount.get("from") or 0.0, amount.get("to") or 0.0))


def change_text(deal: dict[str, Any]) -> str:
    """What changed on a deal, in a manager's words: "won; close date 17 Jul → 28 Jun"."""
    kinds = set(deal.get("changes") or [])
    stage, amount, close = (deal.get(k) or {} for k in ("stage", "amount", "close_date"))
    parts = []
    if "new" in kinds:
        parts.append("new deal")
    if "won" in kinds or "lost" in kinds:
        parts.append(("won" if "won" in kinds else "lost") + (f" from {stage['from']}" if stage.get("from") else ""))
    elif "stage_changed" in kinds:
        parts.append(f"stage {stage.get('from')} → {stage.get('to')}")
    if "pushed" in kinds or "pulled_in" in kinds:
        word = "pushed" if "pushed" in kinds else "pulled in"
        parts.append(f"close date {word} {_day(close.get('from'))} → {_day(close.get('to'))}")
    if "amount_up" in kinds or "amount_down" in kinds:
        parts.append(f"amount {_money(amount.get('from'))} → {_money(amount.get('to'))}")
    return "; ".join(parts)


def coaching_text(row: dict[str, Any]) -> str:
    """A rep's coaching line without the rep's name (the plan shows it beside the line)."""
    line = str(row.get("line") or "")
    name = row.get(S.OWNER_NAME)
    if name and line.startswith(f"{name}: "):
        line = line[len(name) + 2:]
    if row.get("stage") is None and line.startswith("no stage"):
        return "no stage behind the team beyond chance"
    return line


def open_team(data_dir: str | Path, team_id: str) -> TeamReport:
    """Open a team's slice; refuses a slice of another team (a wrong data_dir never renders a
    foreign team's report)."""
    folder = Path(data_dir)
    meta_path = folder / "slice.json"
    if not meta_path.is_file():
        raise InputFileError(f"a prepared team slice (slice.json) in {folder}", "no such file",
                           "prepare slices with `toolkit report` or `toolkit prepare`")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get(S.TEAM_ID) != team_id:
        raise UnknownTeamError(f"the slice of team {team_id!r}", f"a slice of team {meta.get(S.TEAM_ID)!r} in {folder}",
                           "pass the data_dir of the same team")
    # Every table the slice holds (newer slices hold more: changes, coaching); the page says what is absent.
    tables = {p.stem: pl.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    return TeamReport(folder, meta, tables)


__all__ = ["SECTIONS", "Block", "TeamReport", "open_team"]
