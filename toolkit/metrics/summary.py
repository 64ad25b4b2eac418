"""Every headline figure of a load in one call: team and rep tables, transitions by kind, and
deals by flag. Used by ``toolkit metrics`` and by the reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from toolkit import schema as S
from toolkit.metrics.compliance import FLAGS, TRANSITION_KINDS, UNKNOWN, _compliance, _flags, _transitions
from toolkit.metrics.counts import deal_counts
from toolkit.metrics.review import review_load
from toolkit.process import Process


@dataclass(frozen=True)
class Metrics:
    """The computed tables (polars)."""

    as_of: dt.date
    teams: pl.DataFrame
    reps: pl.DataFrame
    transitions: pl.DataFrame
    flags: pl.DataFrame
    compliance: pl.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``toolkit metrics --json``."""
        kinds = dict(self.transitions.group_by("kind").len().iter_rows())
        flagged = (self.flags.select(S.DEAL_ID, "flag").unique().group_by("flag").len()
                   if not self.flags.is_empty() else pl.DataFrame({"flag": [], "len": []}))
        flag_counts = dict(flagged.iter_rows())
        return {
            "as_of": self.as_of.isoformat(),
            "teams": self.teams.select(S.TEAM_ID, S.TEAM_NAME, S.MANAGER_NAME, "reps", "open", "won", "lost",
                                       "review_hours_full", "review_hours_sampled", "compliance_rate").to_dicts(),
            "reps": self.reps.select(S.OWNER_ID, S.OWNER_NAME, S.TEAM_ID, "open", "won", "lost", "flagged",
                                     "compliance_rate").to_dicts(),
            "transitions": {k: int(kinds.get(k, 0)) for k in (*TRANSITION_KINDS, UNKNOWN)},
            "deals_flagged": {f: int(flag_counts.get(f, 0)) for f in FLAGS},
        }


def compute_metrics(deals: pl.DataFrame, events: pl.DataFrame, reps: pl.DataFrame, process: Process,
                    as_of: dt.date) -> Metrics:
    """Counts, review load, transitions, flags and compliance for a whole load, once."""
    flags = _flags(deals, events, process, as_of)
    comp = _compliance(deals, events, process, as_of, flags)
    by_rep_rate = comp.group_by(S.OWNER_ID).agg(
        (pl.col("violations") > 0).sum().cast(pl.Int64).alias("flagged"),
        pl.col("compliant").mean().alias("compliance_rate"))
    by_team_rate = comp.group_by(S.TEAM_ID).agg(pl.col("compliant").mean().alias("compliance_rate"))
    rep_table = deal_counts(deals, as_of, by="rep", reps=reps).join(by_rep_rate, on=S.OWNER_ID, how="left").with_columns(
        pl.col("flagged").fill_null(0))
    counts = deal_counts(deals, as_of, by="team").select(S.TEAM_ID, "won", "lost")
    load = review_load(deals, process, reps=reps)
    team_table = (load.join(counts, on=S.TEAM_ID, how="left").join(by_team_rate, on=S.TEAM_ID, how="left")
                  .with_columns(pl.col("won", "lost").fill_null(0)))
    return Metrics(as_of, team_table.sort(S.TEAM_ID), rep_table.sort(S.TEAM_ID, S.OWNER_ID),
                   _transitions(events, process, as_of).drop("_from", "_to"), flags, comp)
