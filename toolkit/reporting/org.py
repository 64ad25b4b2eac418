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
from toolkit.reporting.team.data import HEADLINE_MEASURE
from toolkit.reporting.templating import figure, render


@dataclass
class OrgSummary:
    """All teams' headlines."""

    headlines: pl.DataFrame

    def summary(self) -> Block:
        h = self.headlines.sort(S.TEAM_NAME) if self.headlines.height else self.headlines
        teams = []
        for row in h.iter_rows(named=True):
            short, tone, why = verdict_view(row["control_verdict"], has_history=bool(row["has_history"]))
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
    """Read every team slice's figures under ``data_dir`` (as written by ``toolkit prepare``)."""
    folder = Path(data_dir)
    heads: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*/slice.json")):
        meta = json.loads(path.read_text(encoding="utf-8"))
        f, p = meta["figures"], meta["provenance"]
        rv, comp, changes = f["review"], f["compliance"], f["changes"]["totals"]
        # the team's failed data-quality checks are the rows of its slice's quality table
        failed = pl.scan_parquet(path.parent / "quality.parquet").select(pl.len()).collect().item()
        heads.append({
            S.TEAM_ID: f[S.TEAM_ID], S.TEAM_NAME: f[S.TEAM_NAME], S.MANAGER_NAME: f[S.MANAGER_NAME],
            "as_of": f["as_of"], "reps": f["reps"], "open": f["open"], "review_hours_full": rv["hours_full"],
            "review_hours_sampled": rv["hours_sampled"], "share_full": rv["share_full"],
            "compliance_rate": comp["rate"], "period_rate": comp["period_rate"], "period_weeks": comp["period_weeks"],
            "control_verdict": f["verdict"], "has_history": p["has_history"],
            "control_reason": next((c["reason"] for c in f["control"]
                                    if c["measure"] == HEADLINE_MEASURE and c["pipeline"] is None), None),
            "quality_failed_for_team": failed,
            **{f"changes_{k}": changes.get(k) for k in ("new", "pushed", "won", "lost")}})
    if not heads:
        raise InputFileError(f"team slices (*/slice.json) under {folder}", "none", "run `toolkit prepare` first")
    return OrgSummary(pl.DataFrame(heads, infer_schema_length=None))
