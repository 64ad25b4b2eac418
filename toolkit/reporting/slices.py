"""Per-team slices: everything one team's report shows, computed once for the whole export and
then cut per team, written to the team's ``data_dir``.

A slice holds only its team's rows (isolation: a notebook never sees another team's deals), as
parquet tables plus ``slice.json`` with the headline figures and provenance.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from toolkit import schema as S
from toolkit.model import Dataset
from toolkit.metrics.compliance import FLAGS, _compliance, _flags, stage_conversion, time_in_stage
from toolkit.metrics.control import verdicts, weekly_process_measures, xmr
from toolkit.metrics.counts import deal_counts, pipeline_by_currency
from toolkit.metrics.review import clean_sample_bound, review_load, review_plan
from toolkit.process import Process
from toolkit.validation.report import DataQualityReport

SLICE_VERSION = 1
TABLES = ("deals", "counts", "load", "plan", "rates", "flags", "conversion", "time_in_stage", "weekly", "control",
          "pipeline", "quality")
CONTROL_MEASURE = "in_process_share"
WEEKS = 26


@dataclass(frozen=True)
class TeamSlice:
    """Where a team's slice was written, and its headline."""

    team_id: str
    team_name: str
    data_dir: Path
    headline: dict[str, Any]


def _quality_for_team(dq: DataQualityReport | None, deal_ids: set[str]) -> pl.DataFrame:
    """The failed checks restricted to this team's deals (a check on other teams' rows only is
    not this team's problem)."""
    rows = []
    for o in (dq.outcomes if dq is not None else []):
        if o.success:
            continue
        if o.table == "deals" or o.table == "stage_events":
            pairs = [(d, ln) for d, ln in zip(o.deal_ids, o.source_lines, strict=False) if d in deal_ids]
            if not pairs and o.deal_ids:
                continue
            count = len(pairs) if o.deal_ids else o.unexpected_count
        else:
            pairs, count = [], o.unexpected_count
        rows.append({"name": o.name, "description": o.description, "severity": o.severity, "rows": count,
                     "examples": ", ".join(f"{d} (line {ln})" for d, ln in pairs[:5])})
    return pl.DataFrame(rows, schema={"name": pl.String, "description": pl.String, "severity": pl.String,
                                      "rows": pl.Int64, "examples": pl.String})


def prepare_slices(data: Dataset, process: Process, as_of: dt.date, out_dir: Path, *,
                   quality: DataQualityReport | None = None, teams: list[str] | None = None,
                   seed: int = 0) -> list[TeamSlice]:
    """Compute every figure once, then write one slice per team (all teams, or ``teams``)."""
    deals, events = data.deals, data.stage_events
    flags = _flags(deals, events, process, as_of)
    comp = _compliance(deals, events, process, as_of, flags)
    counts = deal_counts(deals, as_of, by="rep", reps=data.reps)
    load = review_load(deals, process, reps=data.reps)
    plan = review_plan(deals, flags, events, process, as_of=as_of, seed=seed)
    rates = comp.group_by(S.OWNER_ID).agg(
        pl.col(S.OWNER_NAME).first(), pl.col(S.TEAM_ID).first(), pl.len().alias("deals"),
        pl.col("compliant").sum().alias("compliant"), pl.col("compliant").mean().alias("compliance_rate"),
        *[pl.col(f).fill_null(False).sum().alias(f) for f in FLAGS])
    weekly = weekly_process_measures(events, deals, process, as_of=as_of, weeks=WEEKS)
    control = xmr(weekly, CONTROL_MEASURE, by=S.TEAM_ID)
    verdict = {r[S.TEAM_ID]: r for r in verdicts(control, by=S.TEAM_ID).iter_rows(named=True)} if control.height else {}
    pipeline = pipeline_by_currency(deals, by="team")
    rejected = int(data.files["rejected"].sum()) if data.files.height else 0
    lines_in = int(data.files["lines_in"].sum()) if data.files.height else 0
    freshness = deals.select(pl.max_horizontal(pl.col(S.CREATED_AT).max(), pl.col(S.LAST_ACTIVITY_AT).max(),
                                               pl.col(S.CLOSED_AT).max())).item()
    team_rows = data.teams
    chosen = team_rows if teams is None else team_rows.filter(pl.col(S.TEAM_ID).is_in(teams))
    out: list[TeamSlice] = []
    for team in chosen.iter_rows(named=True):
        tid = team[S.TEAM_ID]
        team_deals = deals.filter(pl.col(S.TEAM_ID) == tid)
        ids = team_deals[S.DEAL_ID]
        team_events = events.filter(pl.col(S.DEAL_ID).is_in(ids.implode()))
        team_flags = flags.filter(pl.col(S.DEAL_ID).is_in(ids.implode())).join(
            team_deals.select(S.DEAL_ID, S.DEAL_NAME, S.OWNER_NAME), on=S.DEAL_ID, how="left")
        tables = {
            "deals": team_deals.select(S.DEAL_ID, S.DEAL_NAME, S.OWNER_ID, S.OWNER_NAME, S.STAGE, S.STATUS, S.AMOUNT,
                                       S.CURRENCY, S.CREATED_AT, S.CLOSE_DATE),
            "counts": counts.filter(pl.col(S.TEAM_ID) == tid),
            "load": load.filter(pl.col(S.TEAM_ID) == tid),
            "plan": plan.filter(pl.col(S.TEAM_ID) == tid),
            "rates": rates.filter(pl.col(S.TEAM_ID) == tid).sort(S.OWNER_NAME),
            "flags": team_flags,
            "conversion": stage_conversion(team_events, process, as_of),
            "time_in_stage": time_in_stage(team_events, process, as_of),
            "weekly": weekly.filter(pl.col(S.TEAM_ID) == tid),
            "control": control.filter(pl.col(S.TEAM_ID) == tid) if control.height else control,
            "pipeline": pipeline.filter(pl.col(S.TEAM_ID) == tid),
            "quality": _quality_for_team(quality, set(ids.to_list())),
        }
        load_row = tables["load"].row(0, named=True) if tables["load"].height else {}
        comp_team = comp.filter(pl.col(S.TEAM_ID) == tid)
        v = verdict.get(tid, {})
        headline = {
            "slice_version": SLICE_VERSION, S.TEAM_ID: tid, S.TEAM_NAME: team[S.TEAM_NAME],
            S.MANAGER_NAME: team[S.MANAGER_NAME], "as_of": as_of.isoformat(), "process": process.name,
            "source": data.source, "data_freshness": freshness.isoformat() if freshness else None,
            "reps": int(load_row.get("reps", 0)), "open": int(load_row.get("open", 0)),
            "won": int((team_deals[S.STATUS] == "won").sum()), "lost": int((team_deals[S.STATUS] == "lost").sum()),
            "review_hours_full": load_row.get("review_hours_full", 0.0),
            "review_hours_sampled": load_row.get("review_hours_sampled", 0.0),
            "share_full": load_row.get("share_full", 0.0), "share_sampled": load_row.get("share_sampled", 0.0),
            "hours_freed": load_row.get("hours_freed", 0.0),
            "manager_hours_per_week": process.review.manager_hours_per_week,
            "minutes_per_deal": process.review.minutes_per_deal, "sample_per_rep": process.review.sample_per_rep,
            "clean_sample_bound": clean_sample_bound(process.review.sample_per_rep),
            "deals": comp_team.height, "compliant": int(comp_team["compliant"].sum()),
            "compliance_rate": float(comp_team["compliant"].mean()) if comp_team.height else None,
            "has_history": data.has_history, "control_measure": CONTROL_MEASURE,
            "control_verdict": v.get("verdict", "not enough weeks"), "control_points": v.get("points", 0),
            "plan_deals": tables["plan"].height,
            "quality_blocking": bool(quality.blocking) if quality is not None else False,
            "quality_failed_for_team": tables["quality"].height,
            "input_lines": lines_in, "input_rejected": rejected,
            "stage_limits": {s.name: s.max_days for s in process.stages},
        }
        folder = out_dir / tid
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            frame.write_parquet(folder / f"{name}.parquet")
        (folder / "slice.json").write_text(json.dumps(headline, indent=2, default=str, ensure_ascii=False),
                                           encoding="utf-8")
        out.append(TeamSlice(tid, team[S.TEAM_NAME], folder, headline))
    return out
