"""Page 1 of a team report, the whole answer for the manager: the cards (incl. "Process in
control?"), what changed this week, and this week's review plan with a coaching point per rep."""

from __future__ import annotations

from typing import Any

import polars as pl

from toolkit import schema as S
from toolkit.reporting.blocks import CHART_NAMES, Block, verdict_view
from toolkit.reporting.team.data import TeamData
from toolkit.reporting.team.wording import CHANGE_LABELS, at_stake, change_text, coaching_text, window_text
from toolkit.reporting.templating import render

#: The changed deals page 1 lists, largest first; the appendix lists them all.
TOP_CHANGES = 6
#: The all-teams page, beside the team folders.
ORG_LINK = "../org_summary.html"


def headline(r: TeamData) -> Block:
    """The cards: review time, compliance, control verdict, team; a banner for failed error checks."""
    f, rv, comp = r.figures, r.figures["review"], r.figures["compliance"]
    quality = r.tables["quality"]
    errors = quality.filter(pl.col("severity") == "error").to_dicts() if quality.height else []
    chart = r.headline_control()
    short, tone, why = verdict_view(f["verdict"], has_history=r.has_history)
    if chart.get("reason") and tone != "neutral":
        why = chart["reason"]
    if comp["period_rate"] is not None:
        value = f"{comp['period_rate']:.0%}"
        comp_note = (f"{comp['period_compliant']} of {comp['period_deals']} deals active in the last "
                     f"{comp['period_weeks']} weeks follow the process (all time {comp['rate']:.0%})")
        worst = max(comp["period_rules"] or [{}], key=lambda rule: rule.get("flagged") or 0)
        if worst.get("flagged"):
            comp_note += f"; most often: {worst['label']} ({worst['flagged']})"
    else:
        value = "–" if comp["rate"] is None else f"{comp['rate']:.0%}"
        comp_note = f"{comp['compliant']} of {comp['deals']} deals follow the process"
    if not r.has_history:
        comp_note += "; skips, backward moves and time limits need stage history, not in this export"
    cards = [
        {"title": "Review this week", "value": f"{rv['hours_sampled']:,.1f} h", "tone": "",
         "note": f"{r.tables['plan'].height} deals, {rv['sample_per_rep']} per rep, instead of "
                 f"{rv['hours_full']:,.1f} h for all {f['open']} open deals "
                 f"({rv['share_full']:.0%} of a {rv['manager_hours_per_week']:,.0f}-hour week)"},
        {"title": "Process compliance", "value": value, "tone": "", "note": comp_note},
        {"title": "Process in control?", "value": short, "tone": tone,
         "note": "Weekly share of stage moves that follow the process"
                 + (f" ({CHART_NAMES.get(chart.get('chart', ''), 'control')} chart)" if chart else "")
                 + f": {why}"},
        {"title": "Team", "value": f"{f['reps']} reps", "tone": "",
         "note": f"{f['open']} open, {f['won']} won, {f['lost']} lost"},
    ]
    freshness = r.provenance["data_freshness"]
    fresh = freshness[:16].replace("T", " ") if freshness else "unknown"
    return Block("headline", render("team/headline.html.j2", section="headline", team=f,
                                    source=r.provenance["source"], fresh=fresh, cards=cards, errors=errors,
                                    back_link=ORG_LINK))


def changes(r: TeamData) -> Block:
    """What changed this week: the counts per kind and the largest changed deals."""
    figures = r.figures["changes"]
    context: dict[str, Any] = {"section": "changes", "window": window_text(figures), "totals": None, "deals": [],
                               "more": 0, "missing": ""}
    if figures["basis"] == "none":
        context["missing"] = ("This export has no history of stages, amounts or close dates, so what changed "
                              "this week cannot be shown. Pass last week's export with --previous, or: "
                              + r.history_hint())
    else:
        t = figures["totals"]
        context["totals"] = [(label, int(t.get(key, 0))) for key, label in CHANGE_LABELS]
        deals = sorted(figures["deals"], key=at_stake, reverse=True)
        context["deals"] = [d | {"what": change_text(d), "amount": at_stake(d),
                                 S.DEAL_NAME: d.get(S.DEAL_NAME) or d.get(S.DEAL_ID),
                                 "currency": (d.get("currency") or {}).get("to")} for d in deals[:TOP_CHANGES]]
        context["more"] = max(len(deals) - TOP_CHANGES, 0)
    return Block("changes", render("team/changes.html.j2", **context))


def review_plan(r: TeamData) -> Block:
    """This week's review plan, per rep, each rep with their coaching point."""
    rv = r.figures["review"]
    plan = r.tables["plan"]
    coaching = _coaching_lines(r)
    reps: list[dict[str, Any]] = []
    by_rep: dict[str, dict[str, Any]] = {}
    for d in plan.iter_rows(named=True):
        key = d.get(S.OWNER_ID) or d[S.OWNER_NAME]
        if key not in by_rep:
            by_rep[key] = {"name": d[S.OWNER_NAME], "coaching": coaching.pop(key, (None, None))[1], "deals": []}
            reps.append(by_rep[key])
        kind = {"violation": "violation", "audit": "audit"}.get(d["reason"], "longest")
        why = "random audit pick" if kind == "audit" else (d.get("detail") or d["reason"])
        days = d["days_in_stage"] if r.has_history else None
        # A deal without a name is found in the CRM by its id.
        by_rep[key]["deals"].append(d | {"kind": kind, "why": why, "days_in_stage": days,
                                         S.DEAL_NAME: d.get(S.DEAL_NAME) or d.get(S.DEAL_ID)})
    reps += [{"name": name, "coaching": line, "deals": []} for name, line in coaching.values()]
    return Block("review-plan", render(
        "team/review_plan.html.j2", section="review-plan", reps=reps, n_deals=plan.height,
        k=rv["sample_per_rep"], bound=rv["clean_sample_bound"], has_history=r.has_history))


def _coaching_lines(r: TeamData) -> dict[Any, tuple[Any, Any]]:
    """(rep name, coaching line) by rep key, in the slice's order."""
    return {row.get(S.OWNER_ID) or row.get(S.OWNER_NAME): (row.get(S.OWNER_NAME), coaching_text(row))
            for row in r.tables["coaching"].iter_rows(named=True) if row.get("line")}
