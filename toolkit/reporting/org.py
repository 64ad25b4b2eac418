"""The sales director's view: every team's headline figures side by side, from the team slices,
each team linked to its report (``<team_id>/team_report.html`` beside this page)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from toolkit import schema as S
from toolkit.errors import InputFileError
from toolkit.reporting.blocks import Block, section, verdict_view
from toolkit.reporting.templating import figure, render

#: The headline keys the page reads from each slice.
KEYS = (S.TEAM_ID, S.TEAM_NAME, S.MANAGER_NAME, "reps", "open", "review_hours_full", "review_hours_sampled",
        "share_full", "compliance_rate", "control_verdict", "has_history", "quality_failed_for_team", "as_of")


@dataclass
class OrgSummary:
    """All teams' headlines."""

    headlines: pl.DataFrame

    def summary(self) -> Block:
        h = self.headlines.sort(S.TEAM_NAME) if self.headlines.height else self.headlines
        teams = []
        for row in h.iter_rows(named=True):
            short, tone, why = verdict_view(row.get("control_verdict"), has_history=bool(row.get("has_history", True)))
            if tone == "signal" and row.get("control_reason"):
                why = str(row["control_reason"]).split(":")[0]  # the rules, e.g. "WE2"; the team page says more
            teams.append(row | {"verdict": short, "tone": tone, "why": why if tone != "ok" else "",
                                "link": f"{row[S.TEAM_ID]}/team_report.html"})
        return Block("org-summary", render(
            "org/summary.html.j2", section="org-summary", as_of=h["as_of"][0] if h.height else "", teams=teams,
            reps=int(h["reps"].sum()) if h.height else 0, open=int(h["open"].sum()) if h.height else 0,
            full=float(h["review_hours_full"].sum()) if h.height else 0.0,
            sampled=float(h["review_hours_sampled"].sum()) if h.height else 0.0,
            period_weeks=next((w for w in h["period_weeks"].to_list() if w), 13) if h.height else 13))

    def review_time(self) -> Block:
        from toolkit.charts import review_time_chart

        chart = figure(review_time_chart(self.headlines.select("team_name", "review_hours_full",
                                                               "review_hours_sampled")),
                       "Hours per week per manager: full review against the sampled review")
        return section("org-review-time", "Review time per team", [("html", chart)])


def open_org(data_dir: str | Path) -> OrgSummary:
    """Read every team slice's headline under ``data_dir`` (as written by ``toolkit prepare``)."""
    folder = Path(data_dir)
    heads: list[dict[str, Any]] = []
    for meta in sorted(folder.glob("*/slice.json")):
        h = json.loads(meta.read_text(encoding="utf-8"))
        f = h.get("figures") or {}
        comp, changes = f.get("compliance") or {}, (f.get("changes") or {}).get("totals") or {}
        heads.append({c: h.get(c) for c in KEYS} | {
            "period_rate": comp.get("period_rate"), "period_weeks": comp.get("period_weeks"),
            "control_verdict": f.get("verdict", h.get("control_verdict")),
            "control_reason": next((c.get("reason") for c in f.get("control") or []
                                    if c.get("measure") == "in_process_share"), None),
            **{f"changes_{k}": changes.get(k) for k in ("new", "pushed", "won", "lost")}})
    if not heads:
        raise InputFileError(f"team slices (*/slice.json) under {folder}", "none", "run `toolkit prepare` first")
    return OrgSummary(pl.DataFrame(heads, infer_schema_length=None))
