"""A team's slice opened for display: its ``slice.json`` and parquet tables, and what the export
lacks (stage history) said in the words of its source.

``slice.json`` (written by :mod:`toolkit.reporting.slices`) is ``{"slice_version", "team_id",
"provenance": {...}, "figures": TeamFigures.to_dict()}``: the pages read the figures model and the
load's provenance, nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from toolkit import schema as S
from toolkit.errors import InputFileError, UnknownTeamError

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
#: The compliance flags an export without stage history cannot raise.
FLAGS_NEEDING_HISTORY = ("skipped_stage", "backward_move", "over_time_limit", "started_late")
HEADLINE_MEASURE = "in_process_share"
#: The layout of slice.json the pages read; a slice of another version is prepared again.
SLICE_VERSION = 3


@dataclass
class TeamData:
    """A team's slice, opened for display."""

    data_dir: Path
    meta: dict[str, Any]
    tables: dict[str, pl.DataFrame]

    @property
    def figures(self) -> dict[str, Any]:
        """The team's figures model (``TeamFigures.to_dict()``)."""
        figures: dict[str, Any] = self.meta["figures"]
        return figures

    @property
    def provenance(self) -> dict[str, Any]:
        """What the figures were computed from: source, freshness, input lines, stage limits, ..."""
        provenance: dict[str, Any] = self.meta["provenance"]
        return provenance

    @property
    def has_history(self) -> bool:
        return bool(self.provenance["has_history"])

    def history_hint(self) -> str:
        """What would add the stage history this export lacks."""
        return HISTORY_HINTS.get(str(self.provenance.get("source")), HISTORY_HINTS["generic"])

    def no_history(self, what: str) -> tuple[str, str]:
        """The part a section shows instead of ``what``, which needs stage history."""
        return ("absent", f"This export has no stage history, so {what} cannot be shown. {self.history_hint()}")

    def headline_control(self) -> dict[str, Any]:
        """The chart behind the headline verdict; empty where there is none."""
        charts: list[dict[str, Any]] = self.figures["control"]
        return next((c for c in charts if c["measure"] == HEADLINE_MEASURE and c["pipeline"] is None), {})


def read_slice(data_dir: str | Path, team_id: str) -> tuple[Path, dict[str, Any], dict[str, pl.DataFrame]]:
    """(folder, slice.json, tables) of a team's slice; refuses a slice of another team (a wrong
    data_dir never renders a foreign team's report)."""
    folder = Path(data_dir)
    meta_path = folder / "slice.json"
    if not meta_path.is_file():
        raise InputFileError(f"a prepared team slice (slice.json) in {folder}", "no such file",
                           "prepare slices with `toolkit report` or `toolkit prepare`")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get(S.TEAM_ID) != team_id:
        raise UnknownTeamError(f"the slice of team {team_id!r}", f"a slice of team {meta.get(S.TEAM_ID)!r} in {folder}",
                           "pass the data_dir of the same team")
    if meta.get("slice_version") != SLICE_VERSION:
        raise InputFileError(f"a team slice of version {SLICE_VERSION} in {folder}",
                             f"version {meta.get('slice_version')!r}", "prepare the slice again with this version "
                             "of the toolkit (`toolkit prepare`)")
    tables = {p.stem: pl.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    return folder, meta, tables
