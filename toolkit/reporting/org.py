"""The sales director's view: every team's headline figures side by side, from the team slices."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.errors import ToolkitError
from toolkit.reporting.team import Block, figure, table

COLUMNS = [("team_name", "Team", "text"), ("manager_name", "Manager", "text"), ("reps", "Reps", "int"),
           ("open", "Open deals", "int"), ("review_hours_full", "Full review (h)", "float1"),
           ("review_hours_sampled", "Sampled review (h)", "float1"), ("share_full", "Full review, share of week", "pct"),
           ("compliance_rate", "Compliant", "pct"), ("control_verdict", "Process in control?", "long"),
           ("quality_failed_for_team", "Data checks failed", "int")]


@dataclass
class OrgSummary:
    """All teams' headlines."""

    headlines: pl.DataFrame

    def summary(self) -> Block:
        h = self.headlines
        as_of = h["as_of"][0] if h.height else ""
        body = table(h.sort("team_name"), COLUMNS, empty="No team slices found.")
        total_full = float(h["review_hours_full"].sum()) if h.height else 0.0
        total_sampled = float(h["review_hours_sampled"].sum()) if h.height else 0.0
        lead = (f"<p>{h.height} teams, {int(h['reps'].sum()) if h.height else 0} reps, "
                f"{int(h['open'].sum()) if h.height else 0} open deals. Reviewing every open deal would take the "
                f"managers {total_full:,.1f} h this week; the sampled reviews take {total_sampled:,.1f} h.</p>")
        return Block("org-summary", f"<h1>All teams, as of {as_of}</h1>{lead}{body}")

    def review_time(self) -> Block:
        from toolkit.charts import review_time_chart

        chart = figure(review_time_chart(self.headlines.select("team_name", "review_hours_full", "review_hours_sampled")),
                       "Hours per week per manager: full review against the sampled review")
        return Block("org-review-time", f"<h2>Review time per team</h2>{chart}")


def open_org(data_dir: str | Path) -> OrgSummary:
    """Read every team slice's headline under ``data_dir`` (as written by ``toolkit prepare``)."""
    folder = Path(data_dir)
    heads: list[dict[str, Any]] = []
    for meta in sorted(folder.glob("*/slice.json")):
        h = json.loads(meta.read_text(encoding="utf-8"))
        heads.append({c: h.get(c) for c, _h, _k in COLUMNS} | {"as_of": h.get("as_of")})
    if not heads:
        raise ToolkitError(f"team slices (*/slice.json) under {folder}", "none", "run `toolkit prepare` first")
    return OrgSummary(pl.DataFrame(heads, infer_schema_length=None))
