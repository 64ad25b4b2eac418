"""Exports as the vendors write them: HubSpot's all-properties deals export with its repeated
association columns, localised Pipedrive and HubSpot headers, and ``--source`` naming a CRM.

Expected values are counted by hand from the bytes written here."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest

from toolkit import schema as S
from toolkit.errors import SchemaError
from toolkit.loaders import load

Q = '"'


def quoted(rows: list[list[str]]) -> bytes:
    """CSV the way HubSpot writes it: every field double-quoted, LF line ends, no BOM."""
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def entered(stage: str, pipeline: str = "Sales Pipeline") -> str:
    return f"Date entered {Q}{stage} ({pipeline}){Q}"


HUBSPOT_HEADER = ["Record ID", "Deal Name", "Pipeline", "Deal Stage", "Amount", "Close Date", "Create Date",
                  "Deal owner", "Deal Type", "Last Activity Date",
                  entered("Appointment Scheduled"), entered("Contract Sent"), entered("Closed Won"),
                  f"Cumulative time in {Q}Appointment Scheduled (Sales Pipeline){Q}",
                  "Associated Company", "Associated Company IDs", "Associated Contact", "Associated Contact IDs",
                  "Associated Company", "Associated Company IDs"]
HUBSPOT_ROWS = [
    ["18204417552", "Nordwind GmbH - Renewal", "Sales Pipeline", "Closed Won", "24000.0", "2024-03-14 16:02",
     "2024-01-09 10:23", "Anna Berg", "Existing Business", "2024-03-14 15:40",
     "2024-01-09 10:23", "2024-02-20 11:00", "2024-03-14 16:02", "1118520000",
     "Nordwind GmbH", "9802944514", "Jonas Krüger", "501", "Nordwind GmbH", "9802944514"],
    ["18219930871", "Acme Corp - New", "Sales Pipeline", "Contract Sent", "8500", "2024-04-30 00:00",
     "2024-02-01 08:47", "Tom Weiss", "New Business", "",
     "2024-02-01 08:47", "2024-02-10 09:30", "", "366180000",
     "Acme Corp", "9803040373;9803066399", "", "", "Acme Corp", "9803040373;9803066399"],
    ["18230051216", "Globex - Pilot", "Sales Pipeline", "Appointment Scheduled", "", "2024-02-29 11:05",
     "2024-02-12 13:00", "Anna Berg", "New Business", "2024-02-20 09:12",
     "2024-02-12 13:00", "", "", "",
     "", "", "", "", "", ""],
]


def test_hubspot_all_properties_export_with_repeated_association_columns(tmp_path: Path) -> None:
    data = quoted([HUBSPOT_HEADER, *HUBSPOT_ROWS])
    # The header line holds the stage-history names with their quotes doubled, as HubSpot writes them.
    assert data.split(b"\n")[0].count(b'"Date entered ""Contract Sent (Sales Pipeline)"""') == 1
    path = tmp_path / "hubspot-crm-exports-all-deals-2024-08-27.csv"
    path.write_bytes(data)
    ds = load(path)
    assert ds.source == "hubspot"
    assert ds.deals.select(S.DEAL_ID, S.STAGE_RAW, S.OWNER_NAME, S.AMOUNT).sort(S.DEAL_ID).rows() == [
        ("18204417552", "Closed Won", "Anna Berg", 24000.0),
        ("18219930871", "Contract Sent", "Tom Weiss", 8500.0),
        ("18230051216", "Appointment Scheduled", "Anna Berg", None)]
    # Date entered cells that are filled: 3 + 2 + 1.
    assert ds.stage_events.height == 6
    assert ds.stage_events.filter(pl.col(S.DEAL_ID) == "18219930871").sort(S.ENTERED_AT)[S.STAGE_RAW].to_list() == [
        "Appointment Scheduled", "Contract Sent"]
    # The first copy of each association column is kept, and the repeat is said.
    assert ds.deals.filter(pl.col(S.DEAL_ID) == "18219930871")["associated_company_ids"].to_list() == [
        "9803040373;9803066399"]
    name = path.name
    assert f"{name}: column 'Associated Company' appears 2 times (columns 15, 19); the first is kept, " \
           "the other copies are not read" in ds.notes
    assert f"{name}: column 'Associated Company IDs' appears 2 times (columns 16, 20); the first is kept, " \
           "the other copies are not read" in ds.notes
    f = ds.files.row(0, named=True)
    assert (f["lines_in"], f["row_lines"], f["rejected"], f["skipped"]) == (4, 3, 0, 1)
    assert ds.rejects.height == 0


def test_hubspot_repeated_mapped_column_that_disagrees_names_the_lines(tmp_path: Path) -> None:
    header = [*HUBSPOT_HEADER[:10], "Deal Stage"]
    rows = [r[:10] + [r[3]] for r in HUBSPOT_ROWS]
    rows[1][-1] = "Closed Lost"  # line 3 of the file
    path = tmp_path / "hubspot-crm-exports-all-deals-2024-08-27.csv"
    path.write_bytes(quoted([header, *rows]))
    with pytest.raises(SchemaError, match=r"copies of the column 'Deal Stage' \(columns 4, 11, read as stage_raw\) "
                                          r"to agree on every row; found 1 row\(s\) of .* on line\(s\) \[3\]"):
        load(path)


def test_hubspot_repeated_mapped_column_that_agrees_loads(tmp_path: Path) -> None:
    header = [*HUBSPOT_HEADER[:10], "Deal owner"]
    rows = [r[:10] + [r[7]] for r in HUBSPOT_ROWS]
    path = tmp_path / "deals.csv"
    path.write_bytes(quoted([header, *rows]))
    ds = load(path)
    assert ds.deals.height == 3
    assert "deals.csv: column 'Deal owner' appears 2 times (columns 8, 11) with the same values; it is read once" \
        in ds.notes


def test_header_names_compare_after_nfkc_and_whitespace_folding(tmp_path: Path) -> None:
    # A non-breaking space, a double space, and a full-width letter (NFKC folds it to ASCII).
    header = ["Record\u00a0ID", "Deal  Name", "Deal Stage", "Deal \uff4fwner", "Amount"]
    path = tmp_path / "deals.csv"
    path.write_bytes(quoted([header, ["1", "A", "Closed Won", "Anna Berg", "5"], ["2", "B", "Contract Sent", "Tom", ""]]))
    ds = load(path)
    assert ds.source == "hubspot"
    assert ds.deals.select(S.DEAL_ID, S.DEAL_NAME, S.STAGE_RAW, S.OWNER_NAME, S.AMOUNT).rows() == [
        ("1", "A", "Closed Won", "Anna Berg", 5.0), ("2", "B", "Contract Sent", "Tom", None)]
