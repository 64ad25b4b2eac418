"""``--source`` names a CRM, whichever layout its files are; errors speak the user's words
(their column names and the canonical field names, never the reader's helper columns), a roster
with a wrong header says the header to write, and a binary file is named as binary."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from toolkit import schema as S
from toolkit.errors import (
    ConfigError,
    FormatDetectionError,
    InputFileError,
    SchemaError,
)
from toolkit.loaders import load

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"

REPORT = (b'"Opportunity Name","Stage","Opportunity Owner","Amount","Close Date","Created Date"\n'
          b'"Acme - Pilot","Qualify","Anna Berg","1,200.00","3/14/2024","2/1/2024 9:15 AM"\n'
          b'"Globex - Renewal","Closed Won","Tom Weiss","800.00","2/29/2024","1/9/2024 4:02 PM"\n'
          b'\n"Grand Totals (2 records)"\n"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."\n')


def test_source_salesforce_reads_a_report_export_like_detection(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_bytes(REPORT)
    named, detected = load(path, source="salesforce"), load(path)
    assert named.source == detected.source == "salesforce_report"
    assert named.deals.equals(detected.deals)
    assert named.deals.select(S.DEAL_ID, S.STAGE_RAW, S.OWNER_NAME, S.AMOUNT).sort(S.DEAL_ID).rows() == [
        ("Acme - Pilot", "Qualify", "Anna Berg", 1200.0), ("Globex - Renewal", "Closed Won", "Tom Weiss", 800.0)]
    assert named.notes[0] == ("source: salesforce_report (a Salesforce report export; --source salesforce: "
                              "report.csv has a Salesforce report's 'Opportunity Name'/'Stage')")
    f = named.files.row(0, named=True)
    # 6 lines: header, 2 rows, a blank line and 2 footer lines.
    assert (f["lines_in"], f["row_lines"], f["rejected"], f["skipped"]) == (6, 2, 0, 4)


def test_source_salesforce_reads_a_data_export_and_says_so() -> None:
    ds = load(SAMPLES / "salesforce_export", source="salesforce")
    assert ds.source == "salesforce"
    assert ds.notes[0].startswith("source: salesforce (a Salesforce Data Export; --source salesforce: ")


def test_source_salesforce_on_the_sample_report_folder_equals_detection() -> None:
    named, detected = load(SAMPLES / "salesforce_report", source="salesforce"), load(SAMPLES / "salesforce_report")
    assert named.source == "salesforce_report"
    assert named.deals.equals(detected.deals) and named.stage_events.equals(detected.stage_events)


@pytest.mark.skipif(not (REALDATA / "fivetran-salesforce-seeds").is_dir(), reason=f"no real exports at {REALDATA}")
def test_source_salesforce_reads_a_fivetran_sync_and_says_so() -> None:
    ds = load(REALDATA / "fivetran-salesforce-seeds", source="salesforce")
    assert ds.source == "salesforce"
    assert ds.notes[0].startswith("source: salesforce (a Salesforce sync (Fivetran-style tables); --source salesforce")


@pytest.mark.skipif(not (REALDATA / "fivetran-hubspot-seeds").is_dir(), reason=f"no real exports at {REALDATA}")
def test_source_hubspot_reads_a_sync_folder() -> None:
    named = load(REALDATA / "fivetran-hubspot-seeds", source="hubspot")
    assert named.source == "hubspot_sync"
    assert named.deals.equals(load(REALDATA / "fivetran-hubspot-seeds").deals)
    assert named.notes[0].startswith("source: hubspot_sync (a HubSpot sync (Fivetran-style tables); --source hubspot")


def test_source_hubspot_reads_an_export() -> None:
    ds = load(SAMPLES / "hubspot", source="hubspot")
    assert ds.source == "hubspot" and ds.deals.height == 1002
    assert ds.notes[0].startswith("source: hubspot (a HubSpot deals export; --source hubspot: ")


def test_old_layout_names_keep_working(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_bytes(REPORT)
    ds = load(path, source="salesforce_report")
    assert ds.source == "salesforce_report"
    assert ds.notes[0] == "source: salesforce_report (a Salesforce report export; source given)"
    assert load(SAMPLES / "salesforce_export", source="salesforce").source == "salesforce"


def test_source_naming_another_crm_says_what_the_files_look_like(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_bytes(REPORT)
    with pytest.raises(FormatDetectionError, match=r"expected a HubSpot deals export or a HubSpot sync "
                                                   r"\(Fivetran-style tables\) \(--source hubspot\); found a "
                                                   r"Salesforce report export: .*Hint: pass --source salesforce"):
        load(path, source="hubspot")


# --- errors in the user's words ----------------------------------------------------------------

def test_status_column_error_lists_the_mapped_fields_not_helper_columns(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text("Ref,Stage,Rep\nD1,Won,Ann\nD2,Open,Bob\n")
    (tmp_path / "mapping.yaml").write_text(
        "files: {deals: deals.csv}\ncolumns:\n  deals: {deal_id: Ref, stage_raw: Stage, owner_name: Rep}\n"
        "stages: {Won: Closed Won}\nstatus: {column: state, won: [Won], open: [Open]}\n")
    with pytest.raises(ConfigError) as err:
        load(tmp_path / "mapping.yaml")
    text = str(err.value)
    assert "{'deal_id': 'Ref', 'stage_raw': 'Stage', 'owner_name': 'Rep'}" in text and "'state'" in text
    for helper in ("_line", "_end_line", "_stage_label"):
        assert helper not in text


def test_missing_column_error_names_the_users_columns_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "deals-1234-1.csv"
    path.write_text("Deal - ID,Deal - Title,Deal - Value,Deal - Stage\n1,A,5,Qualified\n")
    with pytest.raises(SchemaError) as err:
        load(path)
    text = str(err.value)
    assert "a column for owner_name ('Deal - Owner' or 'Owner')" in text
    assert "['Deal - ID', 'Deal - Title', 'Deal - Value', 'Deal - Stage']" in text
    assert "_line" not in text


def test_roster_with_a_wrong_header_says_the_expected_header(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text("Rep Name;Squad;Boss\nAnna Berg;EMEA;Lena\n")
    with pytest.raises(SchemaError) as err:
        load(SAMPLES / "hubspot" / "hubspot-crm-exports-all-deals-2025-06-30.csv", roster=tmp_path / "roster.csv")
    text = str(err.value)
    assert "expected a roster whose header is owner,team,manager (optionally also owner_id, active)" in text
    assert "found the header ['Rep Name', 'Squad', 'Boss'] in roster.csv" in text
    assert "write the first line of roster.csv as: owner,team,manager" in text


def test_roster_missing_the_team_column_says_the_expected_header(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text("owner,manager\nAnna Berg,Lena\n")
    with pytest.raises(SchemaError, match=r"header is owner,team,manager .*found the header \['owner', 'manager'\]"):
        load(SAMPLES / "hubspot" / "hubspot-crm-exports-all-deals-2025-06-30.csv", roster=tmp_path / "roster.csv")


BINARIES = {
    "zip": b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)) * 4,
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "noise": bytes((i * 37 + 11) % 256 for i in range(4096)),
}
KINDS = {"zip": "a ZIP archive", "pdf": "a PDF document", "png": "a PNG image", "noise": "a binary file, not text"}


@pytest.mark.parametrize("kind", sorted(BINARIES))
def test_binary_file_is_named_as_binary_when_detecting(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "deals.csv"
    path.write_bytes(BINARIES[kind])
    with pytest.raises(InputFileError) as err:
        load(path)
    text = str(err.value)
    assert f"found deals.csv is {KINDS[kind]}" in text
    assert "\\x" not in text and "\ufffd" not in text and "PK" not in text.split("found")[1][:40]


@pytest.mark.parametrize("kind", sorted(BINARIES))
def test_binary_file_is_named_as_binary_with_a_source_or_as_roster(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "deals.csv"
    path.write_bytes(BINARIES[kind])
    with pytest.raises(InputFileError, match=f"deals.csv is {KINDS[kind]}"):
        load(path, source="pipedrive")
    roster = tmp_path / "team.csv"
    roster.write_bytes(BINARIES[kind])
    with pytest.raises(InputFileError, match=f"team.csv is {KINDS[kind]}"):
        load(SAMPLES / "hubspot" / "hubspot-crm-exports-all-deals-2025-06-30.csv", roster=roster)


def test_text_with_a_stray_nul_byte_is_not_called_binary(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_bytes(b"Record ID,Deal Name,Deal Stage,Deal owner\n1,a\x00b,Closed Won,Ann\n")
    ds = load(path)
    assert ds.deals[S.DEAL_NAME].to_list() == ["ab"]
    assert ds.repairs[S.REASON].to_list() == ["NUL_BYTE"]
    assert pl.Series(ds.files["lines_in"]).to_list() == [2]


def test_a_broken_workbook_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "deals.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(FormatDetectionError, match="whose headers match none of them"):
        load(tmp_path / "deals.xlsx")
    with pytest.raises(InputFileError, match=r"a readable \.xlsx workbook"):
        load(tmp_path / "deals.xlsx", source="pipedrive")


def test_a_stray_binary_file_beside_an_export_does_not_hide_it(tmp_path: Path) -> None:
    (tmp_path / "report.csv").write_bytes(REPORT)
    (tmp_path / "screenshot.txt").write_bytes(BINARIES["png"])
    assert load(tmp_path).source == "salesforce_report"


def _salesforce_export(folder: Path, opportunities: str, history: str) -> Path:
    folder.mkdir()
    (folder / "Opportunity.csv").write_text(opportunities, encoding="utf-8")
    (folder / "OpportunityHistory.csv").write_text(history, encoding="utf-8")
    return folder


GOOD_OPPORTUNITIES = "Id,Name,StageName,Amount,CloseDate,CreatedDate\n006A,Alpha,Qualify,150,2024-03-20,2024-01-01\n"
GOOD_HISTORY = "Id,OpportunityId,CreatedDate,StageName\n008a,006A,2024-01-01 09:00:00,Qualify\n"
# (the history is read on a thread of its own while the opportunities are read: its error is
# raised where the loader would have read it, after the opportunities' own)
NO_STAGE_OPPORTUNITIES = "Id,Name,Amount,CloseDate\n006A,Alpha,150,2024-03-20\n"
NO_TIME_HISTORY = "Id,OpportunityId,StageName\n008a,006A,Qualify\n"


def test_a_salesforce_export_with_two_broken_files_names_the_opportunity_file(tmp_path: Path) -> None:
    folder = _salesforce_export(tmp_path / "sf", NO_STAGE_OPPORTUNITIES, NO_TIME_HISTORY)
    with pytest.raises(SchemaError, match=r"in the Salesforce Opportunity file; found the header \['Id', 'Name'"):
        load(folder, source="salesforce")


def test_a_salesforce_export_with_a_broken_history_names_the_history_file(tmp_path: Path) -> None:
    folder = _salesforce_export(tmp_path / "sf", GOOD_OPPORTUNITIES, NO_TIME_HISTORY)
    with pytest.raises(SchemaError, match=r"entered_at .* in the Salesforce history file; found the header "
                                          r"\['Id', 'OpportunityId', 'StageName'\]"):
        load(folder, source="salesforce")
    assert load(_salesforce_export(tmp_path / "good", GOOD_OPPORTUNITIES, GOOD_HISTORY)).stage_events.height == 1


def _mapped_export(folder: Path, deals: str, history: str | None) -> Path:
    folder.mkdir()
    (folder / "deals.csv").write_text(deals, encoding="utf-8")
    if history is not None:
        (folder / "history.csv").write_text(history, encoding="utf-8")
    (folder / "mapping.yaml").write_text(
        "files: {deals: deals.csv, stage_events: history.csv}\ncolumns:\n"
        "  deals: {deal_id: Ref, stage_raw: Stage}\n  stage_events: {deal_id: Ref, stage_raw: Stage, entered_at: At}\n",
        encoding="utf-8")
    return folder


def test_a_mapped_export_reports_the_deals_files_error_before_the_historys(tmp_path: Path) -> None:
    no_ref = "Stage\nQualify\n"
    with pytest.raises(SchemaError, match=r"a column for deal_id \('Ref'\) in the deals file"):
        load(_mapped_export(tmp_path / "both", no_ref, "Ref,Stage\nA,Qualify\n"))
    with pytest.raises(SchemaError, match=r"a column for deal_id \('Ref'\) in the deals file"):
        load(_mapped_export(tmp_path / "missing", no_ref, None))
    with pytest.raises(ConfigError, match=r"the stage_events file 'history.csv' named in .*mapping.yaml"):
        load(_mapped_export(tmp_path / "history", "Ref,Stage\nA,Qualify\n", None))
