"""Bad inputs end to end (design/robustness.md section 6): Excel workbooks (cases 14-16) and whole
loads through a generic mapping (2, 10-12, 24, 26-29, 33, 35-38). Files are written as exact bytes,
workbooks with openpyxl, mappings as YAML beside them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from ledger_check import check_ledger
from openpyxl.utils.datetime import CALENDAR_MAC_1904

import toolkit
from toolkit import schema as S
from toolkit.errors import InputFileError, SchemaError
from toolkit.loaders import load
from toolkit.loaders.excel import read_xlsx
from toolkit.loaders.values import cast_columns
from toolkit.model import team_id


def check_dataset(ds: toolkit.Dataset) -> dict:
    """The dataset's summary; asserts every file's lines add up."""
    f = ds.files
    assert (f["row_lines"] + f["rejected"] + f["skipped"] == f["lines_in"]).all(), f
    return ds.summary()


def load_csv(tmp_path: Path, data: bytes, mapping: str, name: str = "deals.csv") -> toolkit.Dataset:
    (tmp_path / name).write_bytes(data)
    (tmp_path / "mapping.yaml").write_text(mapping, encoding="utf-8")
    return load(tmp_path / name, mapping=tmp_path / "mapping.yaml")


def rejects(ds: toolkit.Dataset) -> list[tuple]:
    return ds.rejects.select(S.LINE, S.COLUMN, S.RAW, S.REASON).rows()


MAPPING = """\
files: {deals: deals.csv}
columns:
  deals: {deal_id: Id, team_name: Team, amount: Amount}
"""


def workbook(path: Path, rows: list[list[object]], *, epoch=None, title: str = "Deals") -> Path:
    wb = openpyxl.Workbook()
    if epoch is not None:
        wb.epoch = epoch
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


# --- 14-16: Excel ------------------------------------------------------------------------------

@pytest.mark.parametrize(("epoch", "serial_date"),
                         [(None, dt.date(2024, 1, 1)), (CALENDAR_MAC_1904, dt.date(2028, 1, 2))],
                         ids=["1900_system", "1904_system"])
def test_case_14_serial_numbers_and_date_cells_in_both_date_systems(tmp_path, epoch, serial_date) -> None:
    # 45292 is 2024-01-01 counted from 1899-12-30, and 2028-01-02 counted from 1904-01-01; a real
    # date cell reads as the same date in either system.
    path = workbook(tmp_path / "dates.xlsx", [["Id", "Close"], ["D1", 45292], ["D2", dt.date(2024, 1, 1)],
                                              ["D3", dt.datetime(2024, 1, 1, 13, 30)]], epoch=epoch)
    t = read_xlsx(path, date_columns=["Close"])
    assert t.frame.select("Id", "Close", "_line").rows() == [
        ("D1", f"{serial_date.isoformat()} 00:00:00", 2), ("D2", "2024-01-01 00:00:00", 3),
        ("D3", "2024-01-01 13:30:00", 4)]
    assert (epoch is not None) == ("sheet 'Deals' (1904 date system)" in t.notes)
    frame, _ = cast_columns(t, {"Close": "date"})
    assert frame["Close"].to_list() == [serial_date, dt.date(2024, 1, 1), dt.date(2024, 1, 1)]
    assert t.rejects == []
    assert check_ledger(t) == (3, 0, 1)


def test_case_14_1904_workbook_end_to_end(tmp_path) -> None:
    workbook(tmp_path / "deals.xlsx", [["Id", "Team", "Amount", "Close"], ["D1", "EMEA", 5, dt.date(2025, 3, 31)],
                                       ["D2", "EMEA", 6, 45292]], epoch=CALENDAR_MAC_1904)
    (tmp_path / "mapping.yaml").write_text(
        "files: {deals: deals.xlsx}\ncolumns:\n  deals: {deal_id: Id, team_name: Team, amount: Amount, close_date: Close}\n")
    ds = load(tmp_path / "mapping.yaml")
    assert ds.deals.select(S.DEAL_ID, S.CLOSE_DATE, S.AMOUNT).rows() == [
        ("D1", dt.date(2025, 3, 31), 5.0), ("D2", dt.date(2028, 1, 2), 6.0)]
    assert check_dataset(ds)["lines_in"] == 3


def test_case_15_formula_without_cached_value_rejects_the_file(tmp_path) -> None:
    path = workbook(tmp_path / "formula.xlsx", [["Id", "Amount", "Double"], ["D1", 5, "=B2*2"], ["D2", 6, 12]])
    with pytest.raises(InputFileError, match=r"a formula without a cached value at row 2, column 3 .*\(=B2\*2\)"):
        read_xlsx(path)
    (tmp_path / "mapping.yaml").write_text("files: {deals: formula.xlsx}\ncolumns:\n  deals: {deal_id: Id, amount: Amount}\n")
    with pytest.raises(InputFileError, match="formula without a cached value"):
        load(tmp_path / "mapping.yaml")


def _two_sheets(path: Path) -> Path:
    wb = openpyxl.Workbook()
    old = wb.active
    old.title = "Old"
    old.append(["Id", "Amount"])
    old.append(["X1", 999])
    old.sheet_state = "hidden"
    deals = wb.create_sheet("Deals")
    deals["A1"] = "Pipeline report Q1"
    deals.merge_cells("A1:C1")
    deals.append(["Id", "Amount", "Team"])
    deals.append(["D1", 5, "EMEA"])
    deals.append([])
    deals.append(["D2", 6, "EMEA"])
    wb.save(path)
    return path


def test_case_16_hidden_sheet_is_not_read_and_merged_title_is_preamble(tmp_path) -> None:
    path = _two_sheets(tmp_path / "two.xlsx")
    for sheet in (None, "Deals"):
        t = read_xlsx(path, sheet=sheet, expected=("Id", "Amount", "Team"))
        assert t.notes == ["sheet 'Deals'"]
        assert t.header == ["Id", "Amount", "Team"] and t.header_line == 2
        assert t.frame.select("Id", "Amount", "_line").rows() == [("D1", "5", 3), ("D2", "6", 5)]
        assert +t.skipped == {"preamble": 1, "header": 1, "blank": 1}
        assert check_ledger(t) == (2, 0, 3)


def test_case_16_declared_sheet_that_is_absent_rejects_the_file(tmp_path) -> None:
    path = _two_sheets(tmp_path / "two.xlsx")
    with pytest.raises(SchemaError, match=r"a sheet named 'Pipeline'.*\['Old', 'Deals'\]"):
        read_xlsx(path, sheet="Pipeline")
    (tmp_path / "mapping.yaml").write_text(
        "files: {deals: two.xlsx}\nsheet: Pipeline\ncolumns:\n  deals: {deal_id: Id, amount: Amount}\n")
    with pytest.raises(SchemaError, match="a sheet named 'Pipeline'"):
        load(tmp_path / "mapping.yaml")


def test_case_16_declared_sheet_through_a_mapping(tmp_path) -> None:
    _two_sheets(tmp_path / "two.xlsx")
    (tmp_path / "mapping.yaml").write_text(
        "files: {deals: two.xlsx}\nsheet: Deals\ncolumns:\n  deals: {deal_id: Id, amount: Amount, team_name: Team}\n")
    ds = load(tmp_path / "mapping.yaml")
    assert ds.deals.select(S.DEAL_ID, S.AMOUNT, S.TEAM_NAME).rows() == [("D1", 5.0, "EMEA"), ("D2", 6.0, "EMEA")]
    assert check_dataset(ds)["skipped"] == 3


def test_case_26_duplicate_header_in_a_workbook_is_listed_as_a_repeat(tmp_path) -> None:
    path = workbook(tmp_path / "dup.xlsx", [["Id", "Amount", "Amount"], ["D1", 5, 6]])
    t = read_xlsx(path)
    assert (t.header, t.repeats) == (["Id", "Amount", "Amount (2)"], {"Amount (2)": "Amount"})


@pytest.mark.parametrize("name", ["deals.csv", "deals.xlsx"])
def test_case_26_a_mapped_column_whose_copies_differ_rejects_the_file(tmp_path, name) -> None:
    rows_ = [["Id", "Amount", "Amount"], ["D1", "5", "5"], ["D2", "6", "7"], ["D3", "", ""]]
    if name.endswith(".xlsx"):
        workbook(tmp_path / name, rows_)
    else:
        (tmp_path / name).write_text("\n".join(",".join(r) for r in rows_) + "\n")
    (tmp_path / "mapping.yaml").write_text(f"files: {{deals: {name}}}\ncolumns:\n  deals: {{deal_id: Id, amount: Amount}}\n")
    with pytest.raises(SchemaError, match=r"copies of the column 'Amount' \(columns 2, 3, read as amount\) to agree"
                                          r".*1 row\(s\) of deals\.\w+ where they differ, on line\(s\) \[3\]"):
        load(tmp_path / "mapping.yaml")


def test_case_26_a_mapped_column_whose_copies_agree_loads_with_a_note(tmp_path) -> None:
    ds = load_csv(tmp_path, b"Id,Amount,Team,Amount\nD1,5,EMEA,5\nD2,,EMEA,\n",
                  "files: {deals: deals.csv}\ncolumns:\n  deals: {deal_id: Id, amount: Amount}\n")
    assert ds.deals.select(S.DEAL_ID, S.AMOUNT).rows() == [("D1", 5.0), ("D2", None)]
    assert "amount_2" not in ds.deals.columns and "team" in ds.deals.columns
    assert "deals.csv: column 'Amount' appears 2 times (columns 2, 4) with the same values; it is read once" in ds.notes
    assert check_dataset(ds)["lines_in"] == 3


# --- whole loads through a generic mapping -----------------------------------------------------

def test_case_02_encoding_recorded_in_the_file_manifest(tmp_path) -> None:
    data = "Id;Team;Amount\r\n1;Müller GmbH;€ 5\r\n".encode("cp1252")
    ds = load_csv(tmp_path, data, MAPPING)
    row = ds.files.row(0, named=True)
    assert (row["encoding"], row["delimiter"], row["notes"]) == ("cp1252", ";",
                                                                 "not UTF-8; read as cp1252 (Windows-1252)")
    assert ds.deals.select(S.TEAM_NAME, S.AMOUNT, S.CURRENCY).rows() == [("Müller GmbH", 5.0, "EUR")]
    check_dataset(ds)


def test_case_10_currency_per_deal_and_the_mix_is_noted(tmp_path) -> None:
    data = 'Id,Team,Amount\n1,A,"€1,000.00"\n2,A,"$1,000.00"\n3,A,"2,500.00"\n'.encode()
    ds = load_csv(tmp_path, data, MAPPING + "currency: GBP\n")
    # the mapping's currency only fills the rows whose text names none
    assert ds.deals.select(S.DEAL_ID, S.AMOUNT, S.CURRENCY).rows() == [
        ("1", 1000.0, "EUR"), ("2", 1000.0, "USD"), ("3", 2500.0, "GBP")]
    assert ("deals.csv: column 'amount' mixes currencies ['EUR', 'USD']; amounts are kept per currency and "
            "never summed across them") in ds.notes
    check_dataset(ds)


def test_case_11_declared_day_first_is_forced_not_inferred(tmp_path) -> None:
    mapping = "files: {deals: deals.csv}\ndate_style: dmy\ncolumns:\n  deals: {deal_id: Id, close_date: Close}\n"
    ds = load_csv(tmp_path, b"Id,Close\nD1,03/04/2025\nD2,04/13/2025\n", mapping)
    assert ds.deals.select(S.DEAL_ID, S.CLOSE_DATE).rows() == [("D1", dt.date(2025, 4, 3))]
    assert rejects(ds) == [(3, S.CLOSE_DATE, "D2,04/13/2025", "INVALID_DATE")]


def test_case_11_declared_day_first_settles_an_ambiguous_file(tmp_path) -> None:
    mapping = "files: {deals: deals.csv}\ndate_style: dmy\ncolumns:\n  deals: {deal_id: Id, close_date: Close}\n"
    ds = load_csv(tmp_path, b"Id,Close\nD1,03/04/2025\nD2,01/02/2025\n", mapping)
    assert ds.deals.select(S.DEAL_ID, S.CLOSE_DATE).rows() == [("D1", dt.date(2025, 4, 3)), ("D2", dt.date(2025, 2, 1))]
    assert ds.files["date_style"].to_list() == ["dmy"]


def test_case_12_impossible_date_is_a_reject_naming_close_date(tmp_path) -> None:
    mapping = "files: {deals: deals.csv}\ndate_format: '%d/%m/%Y'\ncolumns:\n  deals: {deal_id: Id, close_date: Close}\n"
    ds = load_csv(tmp_path, b"Id,Close\r\nD1,28/02/2025\r\nD2,31/02/2025\r\n", mapping)
    assert ds.deals.select(S.DEAL_ID, S.CLOSE_DATE).rows() == [("D1", dt.date(2025, 2, 28))]
    assert rejects(ds) == [(3, S.CLOSE_DATE, "D2,31/02/2025", "INVALID_DATE")]
    s = check_dataset(ds)
    assert (s["lines_in"], s["rows"], s["rejected"], s["rejects_by_reason"]) == (3, 1, 1, {"INVALID_DATE": 1})


def test_case_24_report_footer_never_becomes_a_deal(tmp_path) -> None:
    data = (b'"Id","Team","Amount"\n"D1","EMEA","5"\n\n"Deals report"\n'
            b'"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."\n'
            b'"Confidential Information - Do Not Distribute"\n"Generated By:  Jo Smith  6/30/2025 5:04 PM"\n')
    ds = load_csv(tmp_path, data, MAPPING)
    assert ds.deals[S.DEAL_ID].to_list() == ["D1"]
    assert ds.files.select("lines_in", "rows", "rejected", "skipped", "skipped_by_kind").row(0) == (
        7, 1, 0, 6, "blank=1, footer=4, header=1")


@pytest.mark.parametrize(("header", "column"),
                         [(b" Betrag ", "Betrag"), (b"Montant", "Montant"), (b" Amount ", "Amount")])
def test_case_27_header_aliases_are_mapped_by_the_mapping(tmp_path, header, column) -> None:
    mapping = f"files: {{deals: deals.csv}}\ncolumns:\n  deals: {{deal_id: Id, amount: {column}}}\n"
    ds = load_csv(tmp_path, b"Id;" + header + b";Notiz\nD1;1.234,50;x\n", mapping)
    assert ds.deals.select(S.DEAL_ID, S.AMOUNT).rows() == [("D1", 1234.5)]
    assert ds.deals["notiz"].to_list() == ["x"]  # an unmapped column is kept as an extra, snake_case
    check_dataset(ds)


def test_case_27_a_header_the_mapping_does_not_know_is_a_schema_error(tmp_path) -> None:
    mapping = "files: {deals: deals.csv}\ncolumns:\n  deals: {deal_id: Id, amount: Betrag}\n"
    with pytest.raises(SchemaError, match=r"a column for amount \('Betrag'\).*\['Id', 'Montant'\]"):
        load_csv(tmp_path, b"Id;Montant\nD1;5\n", mapping)


def test_case_28_required_team_column_missing_rejects_the_file(tmp_path) -> None:
    with pytest.raises(SchemaError, match=r"a column for team_name \('Team'\).*\['Id', 'Amount'\]"):
        load_csv(tmp_path, b"Id,Amount\nD1,5\n", MAPPING)


def test_case_29_header_only_export_is_an_explicit_zero(tmp_path) -> None:
    # Better than an error: a team with no deals is a valid export; the ledger shows the one line.
    ds = load_csv(tmp_path, b"Id,Team,Amount\r\n", MAPPING)
    s = check_dataset(ds)
    assert (s["deals"], s["lines_in"], s["rows"], s["rejected"], s["skipped"]) == (0, 1, 0, 0, 1)
    assert ds.deals.columns[: len(S.DEALS)] == S.names(S.DEALS)


def test_case_29_empty_deals_file_and_empty_workbook_fail_the_load(tmp_path) -> None:
    with pytest.raises(InputFileError, match="deals.csv is empty"):
        load_csv(tmp_path, b"", MAPPING)
    workbook(tmp_path / "empty.xlsx", [])
    with pytest.raises(InputFileError, match="a header line"):
        read_xlsx(tmp_path / "empty.xlsx")


def test_case_33_ids_differing_only_in_case_are_two_deals(tmp_path) -> None:
    data = b"Id,Team,Amount\n0065g00000AbCdE,A,1\n0065g00000ABCDE,A,2\n00123,A,3\n"
    ds = load_csv(tmp_path, data, MAPPING)
    assert sorted(ds.deals[S.DEAL_ID].to_list()) == ["00123", "0065g00000ABCDE", "0065g00000AbCdE"]
    assert ds.rejects.is_empty()


def test_case_33_text_ids_in_a_workbook_keep_leading_zeros(tmp_path) -> None:
    path = workbook(tmp_path / "ids.xlsx", [["Id", "Amount"], ["00123", 1], ["0065g00000AbCdEAAX", 2], [456, 3]])
    t = read_xlsx(path)
    assert t.frame["Id"].to_list() == ["00123", "0065g00000AbCdEAAX", "456"]


def test_case_35_team_na_is_a_team_and_null_tokens_are_per_column(tmp_path) -> None:
    data = b"Id,Team,Amount\nD1,NA,5\nD2,N/A,NA\nD3,-,7\nD4,NULL,8\nD5,null,9\n"
    ds = load_csv(tmp_path, data, MAPPING + 'null_tokens: {team_name: ["N/A", "-", "NULL"]}\n')
    assert ds.deals.select(S.DEAL_ID, S.TEAM_ID, S.TEAM_NAME, S.AMOUNT).rows() == [
        ("D1", team_id("NA"), "NA", 5.0),
        ("D2", "unassigned", "Unassigned", None),  # amount "NA" is a typed null
        ("D3", "unassigned", "Unassigned", 7.0),
        ("D4", "unassigned", "Unassigned", 8.0),
        ("D5", "unassigned", "Unassigned", 9.0)]  # tokens compare without case
    assert team_id("NA").startswith("na-")
    check_dataset(ds)


def test_case_35_without_a_mapping_of_null_tokens_team_text_is_kept(tmp_path) -> None:
    ds = load_csv(tmp_path, b"Id,Team,Amount\nD1,NA,5\nD2,N/A,6\n", MAPPING)
    assert ds.deals[S.TEAM_NAME].to_list() == ["NA", "N/A"]
    assert ds.teams.height == 2


def test_case_36_spelling_variants_are_one_team(tmp_path) -> None:
    variants = ["EMEA ", "emea", " EMEA", "EMEA\u00a0", "\uff25\uff2d\uff25\uff21"]  # last: full-width EMEA
    assert {team_id(v) for v in variants} == {team_id("EMEA")}
    data = "Id,Team,Amount\nD1,EMEA ,1\nD2,emea,2\nD3,EMEA,3\nD4,\"EMEA\u00a0\",4\nD5,\uff25\uff2d\uff25\uff21,5\n".encode()
    ds = load_csv(tmp_path, data, MAPPING)
    assert ds.teams.select(S.TEAM_ID, S.TEAM_NAME, "deals").rows() == [(team_id("EMEA"), "EMEA", 5)]
    assert set(ds.deals[S.TEAM_NAME].to_list()) == {"EMEA"}


def test_case_37_empty_team_goes_to_unassigned_only(tmp_path) -> None:
    data = b'Id,Team,Amount\nD1,,1\nD2,"   ",2\nD3,EMEA,3\nD4,APAC,4\n'
    ds = load_csv(tmp_path, data, MAPPING)
    assert ds.teams.select(S.TEAM_ID, "deals").sort(S.TEAM_ID).rows() == sorted(
        [(team_id("APAC"), 1), (team_id("EMEA"), 1), ("unassigned", 2)])
    assert ds.deals.filter(pl.col(S.TEAM_ID) == "unassigned")[S.DEAL_ID].to_list() == ["D1", "D2"]
    assert ds.deals.filter(pl.col(S.TEAM_ID) == "unassigned")[S.TEAM_NAME].unique().to_list() == ["Unassigned"]


def test_case_38_duplicate_deal_ids_keep_the_last_and_are_counted(tmp_path) -> None:
    data = b"Id,Team,Amount\nD1,A,1\nD2,A,2\nD1,A,3\n D2 ,A,4\nD3,A,5\n"
    ds = load_csv(tmp_path, data, MAPPING)
    # rule (common.drop_duplicate_ids): the later row of the file wins; ids are compared trimmed
    assert ds.deals.select(S.DEAL_ID, S.AMOUNT, S.SOURCE_LINE).rows() == [("D1", 3.0, 4), ("D2", 4.0, 5),
                                                                          ("D3", 5.0, 6)]
    assert rejects(ds) == [(2, S.DEAL_ID, "D1", "DUPLICATE_ID"), (3, S.DEAL_ID, "D2", "DUPLICATE_ID")]
    s = check_dataset(ds)
    assert (s["deals"], s["rejected"], s["rejects_by_reason"]) == (3, 2, {"DUPLICATE_ID": 2})


def test_case_38_salesforce_duplicates_keep_the_latest_modified_not_the_last_line(tmp_path) -> None:
    # Two exports appended: the stated rule for sources with a modification time is "latest
    # LastModifiedDate wins", whatever the order of the lines.
    data = (b"Id,StageName,Amount,LastModifiedDate\r\n"
            b"0065g00000AbCdEAAX,Prospecting,100,2025-03-01T10:00:00.000Z\r\n"
            b"0065g00000ZzZzZAAX,Prospecting,200,2025-03-01T10:00:00.000Z\r\n"
            b"0065g00000AbCdEAAX,Closed Won,150,2025-02-01T10:00:00.000Z\r\n")
    (tmp_path / "Opportunity.csv").write_bytes(data)
    ds = load(tmp_path / "Opportunity.csv", source="salesforce")
    assert ds.deals.select(S.DEAL_ID, S.AMOUNT, S.STAGE_RAW, S.SOURCE_LINE).rows() == [
        ("0065g00000AbCdEAAX", 100.0, "Prospecting", 2), ("0065g00000ZzZzZAAX", 200.0, "Prospecting", 3)]
    assert rejects(ds) == [(4, S.DEAL_ID, "0065g00000AbCdEAAX", "DUPLICATE_ID")]
    assert check_dataset(ds)["rejects_by_reason"] == {"DUPLICATE_ID": 1}


# --- broken files found by mutating the sample exports, end to end -----------------------------

def test_trailing_delimiters_on_some_rows_load_rows_and_rejects(tmp_path) -> None:
    data = b"Id,Team,Amount,Close\n1,EMEA,5,8/13/2025\n2,EMEA,6,8/14/2025,\n3,APAC,7,8/15/2025,x\n"
    mapping = MAPPING.replace("amount: Amount}", "amount: Amount, close_date: Close}")
    ds = load_csv(tmp_path, data, mapping)
    assert ds.deals.select(S.DEAL_ID, S.AMOUNT).sort(S.DEAL_ID).rows() == [("1", 5.0), ("2", 6.0)]
    assert rejects(ds) == [(4, None, "3,APAC,7,8/15/2025,x", "TOO_MANY_COLUMNS")]
    check_dataset(ds)


def test_a_cut_line_never_merges_two_deals(tmp_path) -> None:
    data = b'"Id","Team","Amount"\n"006A","EMEA","5"\n"006B\n"006C","EMEA","7"\n'
    ds = load_csv(tmp_path, data, MAPPING)
    assert sorted(ds.deals[S.DEAL_ID].to_list()) == ["006A", "006C"]
    assert rejects(ds) == [(3, None, '"006B', "TEXT_AFTER_QUOTE")]
    check_dataset(ds)


def test_a_mid_file_bom_stays_out_of_the_ids(tmp_path) -> None:
    data = b"Id,Team,Amount\n006A,EMEA,5\n\xef\xbb\xbf006B,EMEA,6\n"
    ds = load_csv(tmp_path, data, MAPPING)
    assert sorted(ds.deals[S.DEAL_ID].to_list()) == ["006A", "006B"]
    assert ds.repairs.select(S.LINE, S.REASON).rows() == [(3, "BOM_IN_DATA")]
    check_dataset(ds)


def test_an_infinite_amount_is_a_reject_not_a_warning(tmp_path) -> None:
    ds = load_csv(tmp_path, b"Id,Team,Amount\n1,EMEA,5\n2,EMEA,1e400\n", MAPPING)
    assert ds.deals[S.DEAL_ID].to_list() == ["1"]
    assert rejects(ds) == [(3, "amount", "2,EMEA,1e400", "INVALID_NUMBER")]
    check_dataset(ds)


# --- footers and title blocks of report exports (French, German, English layouts) ---------------

def _deal_rows(n: int, fmt: str) -> list[str]:
    """n data rows in a layout's own spelling of amounts and dates: (id, name, owner, team,
    stage, amount, close date); amounts are 1,054.00 * (i + 1)."""
    rows = []
    for i in range(n):
        whole, cents = divmod(105400 * (i + 1), 100)
        if fmt == "fr":
            amount, close = f"{whole:,}".replace(",", "\u00a0") + f",{cents:02d} €", f"{i + 10:02d}/08/2025"
            rows.append(f"006F{i};Affaire {i};Léa Müller;Équipe Sud;Qualify;{amount};{close}")
        elif fmt == "de":
            amount, close = f"{whole:,}".replace(",", ".") + f",{cents:02d} €", f"{i + 10:02d}.08.2025"
            rows.append(f"006G{i};Chance {i};Jörg Weiß;Team Süd;Qualify;{amount};{close}")
        else:
            amount, close = f'"${whole:,}.{cents:02d}"', f"08/{i + 10:02d}/2025"
            rows.append(f"006X{i},Deal {i},Jo Smith,West,Qualify,{amount},{close}")
    return rows


def _mapping(header: list[str], **options: str) -> str:
    names = ["deal_id", "deal_name", "owner_name", "team_name", "stage_raw", "amount", "close_date"]
    cols = ", ".join(f'{n}: "{h}"' for n, h in zip(names, header, strict=True))
    opts = "".join(f'{k}: "{v}"\n' for k, v in options.items())
    return f"files: {{deals: deals.csv}}\n{opts}columns:\n  deals: {{{cols}}}\n"


def test_french_report_title_block_total_row_and_free_text(tmp_path) -> None:
    header = ["Réf", "Intitulé", "Commercial", "Équipe", "Étape", "Montant", "Date de clôture prévue"]
    lines = ["Export des opportunités;;;;;;", "Société Exemple SA - pipeline commercial;;;;;;",
             "Extrait le 30/06/2025;;;;;;", ";".join(header), *_deal_rows(8, "fr"), "",
             "Total;8 opportunités;;;;37\u00a0944,00 €;", "Document confidentiel - ne pas diffuser"]
    data = ("\r\n".join(lines) + "\r\n").encode("cp1252")
    ds = load_csv(tmp_path, data, _mapping(header, encoding="cp1252", delimiter=";", decimal=",", date_style="dmy"))
    assert ds.deals.height == 8 and ds.rejects.is_empty()
    assert ds.deals[S.AMOUNT].sum() == pytest.approx(1054.0 * 36)  # 1 + 2 + ... + 8 = 36; the Total is not a deal
    assert sorted(ds.deals[S.OWNER_NAME].unique().to_list()) == ["Léa Müller"]
    assert ds.deals.filter(pl.col(S.DEAL_ID) == "006F0")[S.CLOSE_DATE].to_list() == [dt.date(2025, 8, 10)]
    f = ds.files.row(0, named=True)
    assert (f["header_line"], f["lines_in"], f["rows"], f["rejected"]) == (4, 15, 8, 0)
    assert f["skipped_by_kind"] == "blank=1, footer=2, header=1, preamble=3"
    check_dataset(ds)


def test_german_report_summe_row_as_wide_as_the_data_without_a_blank_line(tmp_path) -> None:
    header = ["Nr", "Name", "Verkäufer", "Team", "Phase", "Betrag", "Abschlussdatum"]
    lines = ["Verkaufschancen", "Gefiltert nach: Phase = offen", "", ";".join(header), *_deal_rows(5, "de"),
             "Summe;5 Chancen;;;;15.810,00 €;", "Erstellt am 30.06.2025 von CRM"]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    ds = load_csv(tmp_path, data, _mapping(header, delimiter=";", decimal=",", date_style="dmy"))
    assert sorted(ds.deals[S.DEAL_ID].to_list()) == [f"006G{i}" for i in range(5)]
    assert ds.deals[S.AMOUNT].sum() == pytest.approx(1054.0 * 15)
    assert ds.rejects.is_empty()
    f = ds.files.row(0, named=True)
    assert (f["header_line"], f["lines_in"], f["rows"]) == (4, 11, 5)
    assert f["skipped_by_kind"] == "blank=1, footer=2, header=1, preamble=2"
    check_dataset(ds)


def test_english_report_grand_total_footer_and_a_subtotal_among_the_data(tmp_path) -> None:
    header = ["Opportunity ID", "Opportunity Name", "Owner", "Team", "Stage", "Amount", "Close Date"]
    rows = _deal_rows(6, "en")
    lines = ['"Pipeline by Stage"', '"As of 6/30/2025"', ",".join(header), *rows[:3],
             ',Subtotal,,,,"$6,324.00",', *rows[3:], "",
             'Grand Total (6 records),,,,,"$22,134.00",', "", '"Copyright (c) 2000-2025 salesforce.com, inc."']
    data = ("\n".join(lines) + "\n").encode("utf-8")
    ds = load_csv(tmp_path, data, _mapping(header, date_style="mdy"))
    assert sorted(ds.deals[S.DEAL_ID].to_list()) == [f"006X{i}" for i in range(6)]
    assert ds.deals[S.AMOUNT].sum() == pytest.approx(1054.0 * 21)
    assert rejects(ds) == [(7, None, ',Subtotal,,,,"$6,324.00",', "SUMMARY_ROW")]
    f = ds.files.row(0, named=True)
    assert (f["header_line"], f["lines_in"], f["rows"], f["rejected"]) == (3, 14, 6, 1)
    assert f["skipped_by_kind"] == "blank=2, footer=2, header=1, preamble=2"
    check_dataset(ds)
