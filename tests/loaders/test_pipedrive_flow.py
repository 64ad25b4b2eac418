"""Pipedrive's stage history from the deal-flow API items: every line is an entry, a skip or a reject."""

from __future__ import annotations

import csv
import datetime as dt
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
    other = {"object": "dealChange", "data": {"item_id": "x", "field_key": "title", "log_time": "2025-01-01 10:00:00"}}
    ghost = {"object": "dealChange", "data": {"item_id": "no-such-deal", "field_key": "stage_id",
                                              "log_time": "2025-01-01 10:00:00"}}
    with flow.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n\n" + json.dumps(other) + "\n" + json.dumps(ghost) + "\n")
    data = toolkit.load(folder)
    row = data.files.filter(pl.col("role") == "stage_events").row(0, named=True)
    assert row["lines_in"] == n + 4
    assert (row["rejected"], row["skipped"]) == (2, 2)  # bad JSON and an unknown deal; a blank and a title change
    assert sorted(data.rejects[S.REASON].to_list()) == ["MALFORMED_RECORD", "UNKNOWN_DEAL"]
    assert data.rejects.filter(pl.col(S.REASON) == "MALFORMED_RECORD")[S.LINE].to_list() == [n + 1]
    assert data.stage_events.height == 3356  # the sample's entries, unchanged


def test_flow_states_replay_every_followed_change(tmp_path) -> None:
    """Value, expected close date, pipeline and stage changes, each a state of its own."""
    (tmp_path / "deals-1-1.csv").write_text(
        "Deal - ID,Deal - Title,Deal - Owner,Deal - Value,Deal - Currency of Value,Deal - Pipeline,Deal - Stage,"
        "Deal - Status,Deal - Deal created,Deal - Update time,Deal - Expected close date,Deal - Won time\n"
        "7,A,Ann,300,EUR,Renewals,Contact Made,Won,2024-01-01 09:00:00,2024-03-01 12:00:00,2024-03-31,"
        "2024-02-20 10:00:00\n", encoding="utf-8")

    def change(key: str, old, new, at: str, fmt: tuple[str, str] | None = None) -> str:
        data = {"item_id": 7, "field_key": key, "old_value": old, "new_value": new, "log_time": at}
        if fmt:
            data["additional_data"] = {"old_value_formatted": fmt[0], "new_value_formatted": fmt[1]}
        return json.dumps({"object": "dealChange", "data": data})

    # newest first, as the API returns them
    lines = [change("status", "open", "won", "2024-02-20 10:00:00"),
             change("stage_id", "1", "2", "2024-02-01 10:00:00", ("Qualified", "Contact Made")),
             change("pipeline_id", "1", "2", "2024-02-01 10:00:00", ("Pipeline", "Renewals")),
             change("expected_close_date", "2024-02-28", "2024-03-31", "2024-01-20 10:00:00"),
             change("value", 200, 300, "2024-01-10 10:00:00"),
             change("title", "a", "A", "2024-01-05 10:00:00")]
    (tmp_path / "deal-flow.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = toolkit.load(tmp_path)
    at = dt.datetime
    d, f = "deals-1-1.csv", "deal-flow.jsonl"
    assert data.deal_states.select(S.VALID_FROM, S.STAGE, S.AMOUNT, S.CLOSE_DATE, S.SOURCE_FILE, S.SOURCE_LINE
                                   ).rows() == [
        (at(2024, 1, 1, 9), "Qualify", 200.0, dt.date(2024, 2, 28), d, 2),  # at creation: as the first changes say
        (at(2024, 1, 10, 10), "Qualify", 300.0, dt.date(2024, 2, 28), f, 5),
        (at(2024, 1, 20, 10), "Qualify", 300.0, dt.date(2024, 3, 31), f, 4),
        (at(2024, 2, 1, 10), "Discover", 300.0, dt.date(2024, 3, 31), f, 2),  # the stage move (line 2) ...
        (at(2024, 2, 1, 10), "Discover", 300.0, dt.date(2024, 3, 31), f, 3),  # ... and the pipeline move
        (at(2024, 2, 20, 10), "Closed Won", 300.0, dt.date(2024, 2, 20), f, 1),
        (at(2024, 3, 1, 12), "Closed Won", 300.0, dt.date(2024, 2, 20), d, 2),  # current, from Update time
    ]
    # the stage entries are in the pipeline the deal was in at the time
    assert data.stage_events.select(S.STAGE_RAW, S.PIPELINE).rows() == [
        ("Qualified", "Pipeline"), ("Contact Made", "Renewals"), ("Closed Won", "Renewals")]
    row = data.files.filter(pl.col("role") == "stage_events").row(0, named=True)
    assert (row["lines_in"], row["row_lines"], row["rejected"], row["skipped"]) == (6, 5, 0, 1)


def test_sample_flow_states_counted_from_the_files() -> None:
    with (SAMPLE / "deals-7345120-1.csv").open(encoding="utf-8", newline="") as fh:
        deals = list(csv.DictReader(fh))
    followed = {"stage_id", "status", "value", "expected_close_date", "currency", "pipeline_id"}
    changes = [json.loads(line)["data"] for line in (SAMPLE / "deal-flow.jsonl").read_text(encoding="utf-8").split("\n")
               if line.strip()]
    changes = [c for c in changes if c["field_key"] in followed]
    with_changes = {str(c["item_id"]) for c in changes}
    created = {r["Deal - ID"] for r in deals if r["Deal - Deal created"]}
    data = toolkit.load(SAMPLE)
    # a state at creation for deals with changes, one per change, one current state per deal
    assert data.deal_states.height == len(with_changes & created) + len(changes) + len(deals)
