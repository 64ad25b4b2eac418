"""Column names live in one place: every canonical table a loader returns has the schema's
columns, in its order and types, whatever the source (deals then the fields the process requires)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import toolkit
from toolkit import schema as S

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
TABLES = {"deals": S.DEALS, "stage_events": S.STAGE_EVENTS, "reps": S.REPS, "deal_states": S.DEAL_STATES,
          "rejects": S.REJECTS}


def test_helpers() -> None:
    assert S.names(S.REPS) == ["owner_id", "owner_name", "team_id", "team_name", "manager_name", "active"]
    assert S.polars_schema(S.REPS)["active"] == pl.Boolean
    frame = S.empty(S.DEAL_STATES)
    assert frame.height == 0 and frame.schema == pl.Schema(S.polars_schema(S.DEAL_STATES))
    assert frame.schema[S.VALID_FROM] == pl.Datetime("us")


def test_each_table_names_a_column_once_and_reasons_are_their_names() -> None:
    for table in (*TABLES.values(), S.STAGE_CATALOG):
        assert len(S.names(table)) == len(set(S.names(table)))
    assert all(r.value == r.name for r in S.Reason)
    assert S.STATUSES == ("open", "won", "lost")


@pytest.mark.parametrize("sample", ["salesforce_export", "salesforce_report", "hubspot", "pipedrive", "generic_fr"])
def test_every_source_loads_into_the_canonical_schema(sample: str) -> None:
    folder = SAMPLES / sample
    mapping = folder / "mapping.yaml"
    data = toolkit.load(folder, mapping=mapping if mapping.is_file() else None)
    for name, columns in TABLES.items():
        schema = list(getattr(data, name).schema.items())
        # the canonical columns first, in order and type; deals may carry the process's extra fields after them
        assert schema[:len(columns)] == list(S.polars_schema(columns).items()), (sample, name)
        assert name == "deals" or len(schema) == len(columns), (sample, name)
    assert set(data.deals[S.STATUS].unique()) <= set(S.STATUSES)
    assert data.stage_catalog.columns == S.names(S.STAGE_CATALOG)
