"""Pipedrive's stage history from the deal-flow API items: every line is an entry, a skip or a reject."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl

import toolkit
from toolkit import schema as S

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "pipedrive"


def test_flow_lines_are_all_accounted_for(tmp_path) -> None:
    folder = tmp_path / "pipedrive"
    shutil.copytree(SAMPLE, folder)
    flow = folder / "deal-flow.jsonl"
    n = len(flow.read_text(encoding="utf-8").splitlines())
    other = {"object": "dealChange", "data": {"item_id": "x", "field_key": "value", "log_time": "2025-01-01 10:00:00"}}
    ghost = {"object": "dealChange", "data": {"item_id": "no-such-deal", "field_key": "stage_id",
                                              "log_time": "2025-01-01 10:00:00"}}
    with flow.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n\n" + json.dumps(other) + "\n" + json.dumps(ghost) + "\n")
    data = toolkit.load(folder)
    row = data.files.filter(pl.col("role") == "stage_events").row(0, named=True)
    assert row["lines_in"] == n + 4
    assert (row["rejected"], row["skipped"]) == (2, 2)  # bad JSON and an unknown deal; a blank and a value change
    assert sorted(data.rejects[S.REASON].to_list()) == ["MALFORMED_RECORD", "UNKNOWN_DEAL"]
    assert data.rejects.filter(pl.col(S.REASON) == "MALFORMED_RECORD")[S.LINE].to_list() == [n + 1]
    assert data.stage_events.height == 3356  # the sample's entries, unchanged
