"""The appendix of a team report, the detail behind page 1: funnel, time in stage, control chart,
flags, data quality, every change, workload and the definitions. A section that needs stage
history the export lacks says so instead of showing zeros."""

from __future__ import annotations

from typing import Any

import polars as pl

from toolkit import schema as S
from toolkit.reporting.blocks import CHART_NAMES, Block, section, verdict_view
from toolkit.reporting.team.data import FLAGS_NEEDING_HISTORY, HEADLINE_MEASURE, TeamData
from toolkit.reporting.team.wording import CHANGE_LABELS, at_stake, change_text
from toolkit.reporting.templating import figure, render, table


def funnel(r: TeamData) -> Block:
    from toolkit.charts import funnel_chart

    title = "Where deals go on, and where they stop"
    if not r.has_history:
        return section("funnel", title, [r.no_history("how deals move from stage to stage")], appendix_start=True)
    conv = r.tables["conversion"]
    return section("funnel", title, [
        ("html", figure(funnel_chart(conv), "Deals reaching each stage and the next one")),
        ("html", table(conv, [("stage", "Stage", "text"), ("reached", "Reached", "int"),
                              ("next_stage", "Next stage", "text"), ("reached_next", "Reached next", "int"),
                              ("conversion", "Went on", "pct")]))], appendix_start=True)


def time_in_stage(r: TeamData) -> Block:
    from toolkit.charts import time_in_stage_chart

    title = "How long deals stay in each stage"
    if not r.has_history:
        return section("time-in-stage", title, [r.no_history("the time deals spend in each stage")])
    tis = r.tables["time_in_stage"]
    return section("time-in-stage", title, [
        ("html", figure(time_in_stage_chart(tis), "Days in stage: median (bar), 80th percentile (dot), limit (red)")),
        ("html", table(tis, [("stage", "Stage", "text"), ("stays", "Completed stays", "int"),
                             ("median_days", "Median days", "float1"), ("p80_days", "80th percentile", "float1"),
                             ("max_days", "Limit", "int"), ("share_over_limit", "Over limit", "pct")]))])


def control(r: TeamData) -> Block:
    from toolkit.charts import p_chart

    ctl = r.tables["control"]
    title = "Is the process steady week to week?"
    if not r.has_history:
        return section("control", title, [r.no_history("the weekly share of moves that follow the process")])
    if ctl.is_empty() or ctl["centre"].is_null().all():
        return section("control", title, [("absent", ("Too few weeks with stage moves to draw limits yet; the "
                                                     "chart appears once there are enough."))])
    chart = r.headline_control()
    short, _tone, why = verdict_view(r.figures["verdict"], has_history=True)
    kind = CHART_NAMES.get(str(chart.get("chart", "p")), "p")
    parts: list[tuple[str, Any]] = [
        ("p", f"Verdict: {short}: {chart.get('reason') or why}."),
        ("p", ("Each point is a week's share of stage moves that follow the process; the dashed steps are that "
              "week's limits (centre ± 3 standard errors for its number of moves, inside 0–100 %): a week "
              "with few moves gets wide limits. Points inside are routine variation, not news; weeks with "
              "too few moves are shown but not judged.")),
        ("html", figure(p_chart(ctl), f"{kind} chart of the weekly in-process share"))]
    others = [c for c in r.figures["control"] if c["measure"] != HEADLINE_MEASURE]
    if others:
        rows = pl.DataFrame([{"label": c.get("label") or c.get("measure"),
                              "chart": CHART_NAMES.get(str(c.get("chart")), c.get("chart")),
                              "verdict": verdict_view(c.get("verdict"), has_history=True)[0],
                              "reason": c.get("reason")} for c in others])
        parts += [("h3", "The other weekly measures"),
                  ("html", table(rows, [("label", "Measure", "text"), ("chart", "Chart", "text"),
                                        ("verdict", "Verdict", "text"), ("reason", "Why", "long")])),
                  ("note", ("Rules (Western Electric): WE1 a week beyond a limit; WE2 2 of 3 weeks beyond 2 sigma "
                           "on one side; WE3 4 of 5 beyond 1 sigma on one side; WE4 8 weeks in a row on one side "
                           "of the centre."))]
    return section("control", title, parts)


def compliance(r: TeamData) -> Block:
    from toolkit.charts import compliance_chart
    from toolkit.metrics.compliance import FLAG_LABELS

    rates = r.tables["rates"]
    flags = r.tables["flags"].sort(["flag", "value"], descending=[False, True], nulls_last=True).with_columns(
        pl.col("flag").replace_strict(FLAG_LABELS, default=pl.col("flag")))
    flag_columns = [("skipped_stage", "Skip", "int"), ("backward_move", "Back", "int"),
                    ("over_time_limit", "Slow", "int"), ("missing_required_field", "Field", "int"),
                    ("started_late", "Late start", "int"), ("overdue_close_date", "Overdue", "int")]
    if not r.has_history:
        flag_columns = [c for c in flag_columns if c[0] not in FLAGS_NEEDING_HISTORY]
    parts: list[tuple[str, Any]] = [
        ("html", figure(compliance_chart(rates), "Share of each rep's deals that follow the process")),
        ("html", table(rates, [(S.OWNER_NAME, "Rep", "text"), ("deals", "Deals", "int"), ("compliant", "OK", "int"),
                               ("compliance_rate", "Rate", "pct"), *flag_columns])),
        ("note", ("Deals per flag: Skip = skipped a stage, Back = moved backward, Slow = over a stage's time "
                 "limit, Field = missing a required field, Late start = started past the first stage, "
                 "Overdue = open past its close date.")),
    ]
    if not r.has_history:
        parts.append(r.no_history("skipped stages, backward moves, time limits and late starts"))
    parts += [("h3", "The flags behind it"),
              ("html", table(flags, [(S.OWNER_NAME, "Rep", "text"), (S.DEAL_NAME, "Deal", "text"),
                                     ("flag", "Flag", "text"), ("stage", "Stage", "text"),
                                     ("detail", "Evidence", "text")],
                             empty="No deal breaks the process.", limit=25))]
    return section("compliance", "Which deals break the process, and how", parts)


def data_quality(r: TeamData) -> Block:
    p = r.provenance
    q = r.tables["quality"].sort(pl.col("severity") != "error")
    # Where no process file was given, the process was read from the export: say so.
    note = p["process_note"]
    return section("data-quality", "Can you trust the data? (data quality)", [
        *([("note", str(note))] if note else []),
        ("p", (f"{p['input_lines']:,} input lines read; {p['input_rejected']:,} rejected across the whole export "
              "(each listed with its file, line and reason by toolkit load --rejects). Only checks of severity "
              "“error” raise the banner on page 1; warnings are listed here.")),
        ("html", table(q, [("severity", "Severity", "text"), ("description", "Check", "long"),
                           ("rows", "Rows", "int"), ("examples", "Examples (deal, line)", "long")],
                       empty="Every data-quality check passed for this team's rows."))])


def all_changes(r: TeamData) -> Block:
    title = "Every deal that changed this week"
    figures = r.figures["changes"]
    if figures["basis"] == "none" or not figures["deals"]:
        return section("all-changes", title, [("absent", ("No deal changed in the window, or the export cannot "
                                                         "tell (see page 1)."))])
    per_rep = pl.DataFrame(figures["per_rep"], infer_schema_length=None)
    deals = sorted(figures["deals"], key=lambda d: (str(d.get(S.OWNER_NAME)), -at_stake(d)))
    rows = pl.DataFrame([{S.OWNER_NAME: d.get(S.OWNER_NAME), S.DEAL_NAME: d.get(S.DEAL_NAME) or d.get(S.DEAL_ID),
                          "what": change_text(d), "amount": at_stake(d)} for d in deals])
    parts: list[tuple[str, Any]] = []
    if per_rep.height:
        parts.append(("html", table(per_rep.sort(S.OWNER_NAME),
                                    [(S.OWNER_NAME, "Rep", "text"), *[(k, label.capitalize(), "int")
                                                                      for k, label in CHANGE_LABELS]])))
    parts.append(("html", table(rows, [(S.OWNER_NAME, "Rep", "text"), (S.DEAL_NAME, "Deal", "text"),
                                       ("what", "What changed", "long"), ("amount", "Amount", "money")])))
    return section("all-changes", title, parts)


def workload(r: TeamData) -> Block:
    from toolkit.charts import deal_load_chart, review_time_chart

    f, rv = r.figures, r.figures["review"]
    load = r.tables["load"].with_columns(pl.lit(f[S.TEAM_NAME]).alias(S.TEAM_NAME))
    counts = r.tables["counts"].sort("open", descending=True)
    return section("workload", "Review time and deal load", [
        ("p", (f"Reviewing every open deal ({f['open']} × {rv['minutes_per_deal']:,.0f} min) takes "
              f"{rv['hours_full']:,.1f} h a week, {rv['share_full']:.0%} of the manager's "
              f"{rv['manager_hours_per_week']:,.0f} hours. "
              f"The sampled review takes {rv['hours_sampled']:,.1f} h "
              f"({rv['share_sampled']:.0%}), freeing {rv['hours_freed']:,.1f} h for coaching.")),
        ("html", figure(review_time_chart(load, manager_hours=rv["manager_hours_per_week"]),
                        "Hours per week: full review against the sampled review")),
        ("html", figure(deal_load_chart(counts, sample_per_rep=rv["sample_per_rep"]),
                        "Open deals per rep; the line marks the review sample per rep")),
        ("html", table(counts, [(S.OWNER_NAME, "Rep", "text"), ("open", "Open", "int"), ("won", "Won", "int"),
                                ("lost", "Lost", "int"), ("new", "New (7 days)", "int"),
                                ("closed", "Closed (7 days)", "int"),
                                ("avg_open_age_days", "Avg. age of open (days)", "int")])),
        ("h3", "Open pipeline per currency"),
        ("html", table(r.tables["pipeline"], [(S.CURRENCY, "Currency", "text"), ("deals", "Open deals", "int"),
                                              ("amount", "Open pipeline", "money")]))])


def definitions(r: TeamData) -> Block:
    """What every figure means (the ``appendix`` section)."""
    rv = r.figures["review"]
    limits = ", ".join(f"{k} {v:g} days" for k, v in r.provenance["stage_limits"].items() if v is not None)
    k, minutes = rv["sample_per_rep"], rv["minutes_per_deal"]
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
