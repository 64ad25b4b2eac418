"""The product's central types, on the model floor: the loaded dataset and the rule that names a
team. Loaders build a :class:`Dataset`; validation, metrics and reporting read it."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from toolkit import schema as S

if TYPE_CHECKING:  # pragma: no cover
    from toolkit.process import Process

# --- teams -------------------------------------------------------------------------------------

def team_key(name: str) -> str:
    """Team names that differ only in case, spacing or Unicode form are one team."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def team_id(name: str | None) -> str:
    """A stable, file-name-safe id: ASCII slug + 6 hex of the name's hash (``Sales/EMEA`` and
    ``Sales EMEA`` share a slug, not a hash). Empty names are the ``unassigned`` team."""
    if name is None or team_key(name) in ("", team_key(S.UNASSIGNED_TEAM_NAME)):
        return S.UNASSIGNED_TEAM_ID
    key = team_key(name)
    ascii_name = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:40] or "team"
    return f"{slug}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"



# --- the dataset -------------------------------------------------------------------------------

@dataclass
class Dataset:
    """The canonical tables of one load, with the ledger of every input file.

    ``deals``, ``stage_events``, ``reps``, ``deal_states`` are polars frames (``.to_pandas()`` for pandas users);
    ``rejects`` lists every input record that was not loaded, ``repairs`` the loaded records that
    were changed (e.g. NUL bytes removed), ``files`` one row per input file with its ledger.
    """

    source: str
    deals: pl.DataFrame
    stage_events: pl.DataFrame
    reps: pl.DataFrame
    rejects: pl.DataFrame
    repairs: pl.DataFrame
    files: pl.DataFrame
    #: One row per known state of a deal over time (``schema.DEAL_STATES``): every state the
    #: source's history records, then the deal's current state (see toolkit.loaders.states).
    deal_states: pl.DataFrame = field(default_factory=lambda: S.empty(S.DEAL_STATES))
    notes: list[str] = field(default_factory=list)
    has_history: bool = True
    #: The roster's owners (case-folded names), when a roster was given; None otherwise.
    roster_owners: list[str] | None = None
    #: The stages as the export itself describes them (order, won/closed flags, probability), one
    #: row per pipeline and label (``schema.STAGE_CATALOG``); empty where the source says nothing.
    stage_catalog: pl.DataFrame = field(default_factory=lambda: S.empty(S.STAGE_CATALOG))
    #: The process the stage labels were mapped with: the one given, the default, or the one read
    #: from the export (then ``process_note`` says so, for the load notes and the report).
    process: Process | None = None
    process_note: str | None = None

    @property
    def teams(self) -> pl.DataFrame:
        """One row per team: id, name, manager, reps and deals."""
        reps = self.reps.group_by(S.TEAM_ID).agg(pl.len().alias("reps"))
        deals = self.deals.group_by(S.TEAM_ID).agg(pl.len().alias("deals"))
        base = (self.reps.select(S.TEAM_ID, S.TEAM_NAME, S.MANAGER_NAME)
                .vstack(self.deals.select(S.TEAM_ID, S.TEAM_NAME, S.MANAGER_NAME))
                .group_by(S.TEAM_ID).agg(pl.col(S.TEAM_NAME).drop_nulls().first(),
                                         pl.col(S.MANAGER_NAME).drop_nulls().mode().sort().first()))
        return (base.join(reps, on=S.TEAM_ID, how="left").join(deals, on=S.TEAM_ID, how="left")
                .with_columns(pl.col("reps", "deals").fill_null(0)).sort(S.TEAM_ID))

    def summary(self) -> dict[str, Any]:
        """The load in numbers: rows per table, teams, and the ledger (JSON-ready)."""
        by_reason = (self.rejects.group_by(S.REASON).len().sort(S.REASON).rows()
                     if not self.rejects.is_empty() else [])
        return {
            "source": self.source,
            "deals": self.deals.height,
            "stage_events": self.stage_events.height,
            "deal_states": self.deal_states.height,
            "reps": self.reps.height,
            "teams": self.teams.height,
            "lines_in": int(self.files["lines_in"].sum()) if self.files.height else 0,
            "rows": int(self.files["rows"].sum()) if self.files.height else 0,
            "rejected": int(self.files["rejected"].sum()) if self.files.height else 0,
            "skipped": int(self.files["skipped"].sum()) if self.files.height else 0,
            "repaired": self.repairs.height,
            "rejects_by_reason": dict(by_reason),
            "has_history": self.has_history,
            "files": self.files.to_dicts(),
            "notes": list(self.notes),
        }
