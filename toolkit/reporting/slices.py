"""Per-team slices: the figures model (``toolkit.metrics.figures``), computed once for the whole
export, serialised per team into the team's ``data_dir``. Nothing is computed here.

A slice holds only its team's rows (isolation: a notebook never sees another team's deals):
parquet tables (``TABLES``, the model's ``TeamTables`` plus the team's data-quality failures and
the headline control chart) and ``slice.json``: ``{"slice_version", "team_id", "provenance":
{...}, "figures": TeamFigures.to_dict()}`` (read by :mod:`toolkit.reporting.team.data`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import polars as pl

from toolkit import schema as S
from toolkit.loaders.states import states_from_two_exports
from toolkit.metrics.changes import DEFAULT_WINDOW_DAYS, Basis, change_window
from toolkit.metrics.figures import HEADLINE_MEASURE, Figures, TeamFigures, compute_figures
from toolkit.model import Dataset
from toolkit.process import Process
from toolkit.reporting.team.data import SLICE_VERSION
from toolkit.validation.report import DataQualityReport

TABLES = ("deals", "counts", "load", "plan", "rates", "flags", "conversion", "time_in_stage", "weekly", "control",
          "pipeline", "quality", "coaching", "changes")
CONTROL_MEASURE = HEADLINE_MEASURE


@dataclass(frozen=True)
class TeamSlice:
    """Where a team's slice was written, and what ``slice.json`` holds."""

    team_id: str
    team_name: str
    data_dir: Path
    meta: dict[str, Any]


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


def _control_table(team: TeamFigures) -> pl.DataFrame:
    """The headline chart's weeks, in the columns the chart builder reads."""
    chart = team.headline_control
    rows = [] if chart is None else [
        {"week": p.week, "value": p.value, CONTROL_MEASURE: p.value, "n": p.n, "centre": chart.center,
         "lower_limit": p.lower, "upper_limit": p.upper, "signal": ", ".join(p.signal), "judged": p.judged,
         "chart": chart.chart} for p in chart.points]
    return pl.DataFrame(rows, schema={"week": pl.Date, "value": pl.Float64, CONTROL_MEASURE: pl.Float64, "n": pl.Int64,
                                      "centre": pl.Float64, "lower_limit": pl.Float64, "upper_limit": pl.Float64,
                                      "signal": pl.String, "judged": pl.Boolean, "chart": pl.String})


def slice_figures(data: Dataset, process: Process, as_of: dt.date, *, teams: list[str] | None = None, seed: int = 0,
                  previous: Dataset | None = None, window_days: int = DEFAULT_WINDOW_DAYS) -> Figures:
    """The figures the slices hold (see :func:`prepare_slices`): the changes of the window from the
    export's own history, or from ``previous``."""
    states, basis = data.deal_states, cast(Basis | None, None)
    if previous is not None:
        states = states_from_two_exports(previous, data, change_window(as_of, window_days)[0], as_of)
        basis = "previous export"
    return compute_figures(data.deals, data.stage_events, data.reps, process, as_of, states=states,
                           states_basis=basis, window_days=window_days, seed=seed, teams=teams)


def prepare_slices(data: Dataset, process: Process, as_of: dt.date, out_dir: Path, *,
                   quality: DataQualityReport | None = None, teams: list[str] | None = None, seed: int = 0,
                   previous: Dataset | None = None, window_days: int = DEFAULT_WINDOW_DAYS,
                   figures: Figures | None = None) -> list[TeamSlice]:
    """Compute the figures once (or take ``figures``), then write one slice per team (all teams,
    or ``teams``). ``previous``: an earlier export of the same CRM, compared with this one for the
    changes of the window (``--previous``); otherwise the export's own history is used."""
    figs = figures if figures is not None else slice_figures(data, process, as_of, teams=teams, seed=seed,
                                                             previous=previous, window_days=window_days)
    deals = data.deals
    freshness = deals.select(pl.max_horizontal(pl.col(S.CREATED_AT).max(), pl.col(S.LAST_ACTIVITY_AT).max(),
                                               pl.col(S.CLOSED_AT).max())).item()
    provenance = {
        "source": data.source, "data_freshness": freshness.isoformat() if freshness else None,
        "has_history": data.has_history, "quality_blocking": bool(quality.blocking) if quality is not None else False,
        "input_lines": int(data.files["lines_in"].sum()) if data.files.height else 0,
        "input_rejected": int(data.files["rejected"].sum()) if data.files.height else 0,
        "stage_limits": {s.name: s.max_days for s in process.stages},
        # Set where no process file was given and the process was read from the export itself.
        "process_note": data.process_note,
    }
    out: list[TeamSlice] = []
    for team in figs.teams:
        if teams is not None and team.team_id not in teams:
            continue
        quality_table = _quality_for_team(quality, set(team.tables.deals[S.DEAL_ID].to_list()))
        # The changed deals largest amount first (the ones that matter most), with today's amount.
        changed = team.changes.deals.with_columns(pl.col("amount_to").alias(S.AMOUNT),
                                                  pl.col("currency_to").alias(S.CURRENCY)).sort(
            S.AMOUNT, descending=True, nulls_last=True)
        tables = {**team.tables.as_dict(), "control": _control_table(team), "quality": quality_table,
                  "changes": changed}
        meta = {"slice_version": SLICE_VERSION, S.TEAM_ID: team.team_id, "provenance": provenance,
                "figures": team.to_dict()}
        folder = out_dir / team.team_id
        folder.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            tables[name].write_parquet(folder / f"{name}.parquet")
        (folder / "slice.json").write_text(json.dumps(meta, indent=2, default=str, ensure_ascii=False),
                                           encoding="utf-8")
        out.append(TeamSlice(team.team_id, str(team.team_name), folder, meta))
    return out
