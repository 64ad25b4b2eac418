"""Bad values (design/robustness.md section 6): numbers and currencies (cases 5-10), dates (11-13), ids
(33-34). Each file is written as exact bytes, read with read_delimited and typed with cast_columns;
the typed frame replaces the table's frame (as the loaders do) so the ledger can be checked."""

from __future__ import annotations

import datetime as dt

import pytest
from ledger_check import check_ledger

from toolkit import schema as S
from toolkit.errors import FormatDetectionError
from toolkit.loaders import reading, rows
from toolkit.loaders.reading import read_delimited
from toolkit.loaders.values import cast_columns


def typed(write, name: str, data: bytes, kinds: dict[str, str], **kw):
    """(table, typed frame, FileFormat) of a file; the table's frame is the typed one."""
    table = read_delimited(write(name, data))
    frame, fmt = cast_columns(table, kinds, **kw)  # type: ignore[arg-type]
    table.frame = frame
    check_ledger(table)
    return table, frame, fmt


def rejects(table: reading.RawTable) -> list[tuple]:
    """(line, column, raw line, reason) of each reject, in order: the raw text is the whole record,
    so an analyst sees the row as the export has it."""
    return [(r[S.LINE], r[S.COLUMN], r[S.RAW], r[S.REASON]) for r in table.rejects]


# --- 5-10: numbers and currencies --------------------------------------------------------------

def test_case_05_semicolon_file_with_decimal_comma(write) -> None:
    data = b'Id;Amount\r\n1;1.234,56\r\n2;"2.000.000,5"\r\n3;7\r\n4;0,99\r\n'
    t, f, fmt = typed(write, "de.csv", data, {"Amount": "amount"})
    assert (t.delimiter, fmt.decimal) == (";", ",")
    assert f["Amount"].to_list() == [1234.56, 2000000.5, 7.0, 0.99]
    assert t.rejects == []


def test_case_05_declared_decimal_comma_is_used_even_without_evidence(write) -> None:
    # "1.234" alone shows no decimal separator; the declaration makes it 1234, not 1.234.
    t, f, fmt = typed(write, "de2.csv", b"Id;Amount\n1;1.234\n2;12\n", {"Amount": "amount"}, decimal=",")
    assert fmt.decimal == ","
    assert f["Amount"].to_list() == [1234.0, 12.0]


@pytest.mark.parametrize("space", ["\u0020", "\u00a0", "\u202f"], ids=["space", "nbsp", "narrow_nbsp"])
def test_case_06_grouped_with_spaces_and_euro_sign(write, space) -> None:
    amount = f"5{space}000{space}000 €"
    data = f"Id,Amount\n1,{amount}\n2,€5{space}000\n".encode()
    t, f, _ = typed(write, "spaces.csv", data, {"Amount": "amount"})
    assert f.select("Amount", "Amount__currency").rows() == [(5000000.0, "EUR"), (5000.0, "EUR")]
    assert t.rejects == []


def test_case_06_cp1252_nbsp_and_euro_byte(write) -> None:
    # In cp1252 the NBSP is 0xA0 and the euro sign 0x80.
    t, f, _ = typed(write, "cp.csv", b"Id;Amount\n1;5\xa0000\xa0000 \x80\n2;12,5 \x80\n", {"Amount": "amount"})
    assert t.encoding == "cp1252"
    assert f.select("Amount", "Amount__currency").rows() == [(5000000.0, "EUR"), (12.5, "EUR")]


def test_case_07_dollar_amount_with_grouping_commas(write) -> None:
    t, f, fmt = typed(write, "usd.csv", b'Id,Amount\n1,"$5,000,000"\n2,"$12.50"\n', {"Amount": "amount"})
    assert fmt.decimal == "."
    assert f.select("Amount", "Amount__currency").rows() == [(5000000.0, "USD"), (12.5, "USD")]


@pytest.mark.parametrize("declared", [None, ","], ids=["detected", "declared"])
def test_case_07_same_text_in_a_decimal_comma_file_is_rejected_never_5(write, declared) -> None:
    data = b"Id;Amount\n1;$5,000,000\n2;1,5\n3;2,25\n"
    t, f, fmt = typed(write, "eu_usd.csv", data, {"Amount": "amount"}, decimal=declared)
    assert fmt.decimal == ","
    assert f["Amount"].to_list() == [1.5, 2.25]
    assert rejects(t) == [(2, "Amount", "1;$5,000,000", "INVALID_NUMBER")]
    assert check_ledger(t) == (2, 1, 1)


def test_case_08_1234_with_unknown_locale_is_rejected_as_ambiguous(write) -> None:
    t, f, fmt = typed(write, "amb.csv", b'Id,Amount\n1,"1,234"\n2,500\n', {"Amount": "amount"})
    assert fmt.decimal is None
    assert f.select("Id", "Amount").rows() == [("2", 500.0)]
    assert rejects(t) == [(2, "Amount", '1,"1,234"', "AMBIGUOUS_NUMBER")]
    assert check_ledger(t) == (1, 1, 1)


@pytest.mark.parametrize(("other", "decimal", "value"), [("2,5", ",", 1.234), ("3.75", ".", 1234.0)])
def test_case_08_the_file_decides_the_locale_for_every_cell(write, other, decimal, value) -> None:
    data = f'Id,Amount\n1,"1,234"\n2,"{other}"\n'.encode()
    t, f, fmt = typed(write, "loc.csv", data, {"Amount": "amount"})
    assert fmt.decimal == decimal
    assert f["Amount"].to_list()[0] == value
    assert t.rejects == []


def test_case_08_conflicting_evidence_is_an_error_not_a_per_cell_guess(write) -> None:
    with pytest.raises(FormatDetectionError, match="one decimal separator per file"):
        typed(write, "conflict.csv", b'Id,Amount\n1,"1,5"\n2,1.5\n', {"Amount": "amount"})


def test_case_08_1_dot_234_with_unknown_locale_is_ambiguous_too(write) -> None:
    t, f, fmt = typed(write, "amb_dot.csv", b"Id,Amount\n1,1.234\n2,12.500\n3,500\n", {"Amount": "amount"})
    assert fmt.decimal is None
    assert rejects(t) == [(2, "Amount", "1,1.234", "AMBIGUOUS_NUMBER"), (3, "Amount", "2,12.500", "AMBIGUOUS_NUMBER")]
    assert f["Amount"].to_list() == [500.0]


def test_case_09_negative_forms(write) -> None:
    t, f, _ = typed(write, "neg_dot.csv", b'Id,Amount\n1,"(1,234.00)"\n2,"($1,234.00)"\n3,"-$1,234.00"\n',
                    {"Amount": "amount"})
    assert f.select("Amount", "Amount__currency").rows() == [(-1234.0, None), (-1234.0, "USD"), (-1234.0, "USD")]
    t, f, fmt = typed(write, "neg_comma.csv", b"Id;Amount\n1;-1.234,00\n2;1.234,00-\n3;(1.234,00)\n",
                      {"Amount": "amount"})
    assert fmt.decimal == ","
    assert f["Amount"].to_list() == [-1234.0, -1234.0, -1234.0]
    assert t.rejects == []


@pytest.mark.parametrize("text", ["2025-01-31", "5-3", "(5"])
def test_case_09_minus_or_parenthesis_in_the_middle_is_invalid(write, text) -> None:
    t, f, _ = typed(write, "mid.csv", f"Id,Amount\n1,{text}\n2,10.50\n".encode(), {"Amount": "amount"})
    assert rejects(t) == [(2, "Amount", f"1,{text}", "INVALID_NUMBER")]
    assert f["Amount"].to_list() == [10.5]


def test_case_10_two_currencies_in_one_column_are_kept_per_row_and_flagged(write) -> None:
    data = 'Id,Amount\n1,"€1,000.00"\n2,"$1,000.00"\n3,"USD 250.00"\n4,"2,000.00"\n'.encode()
    t, f, _ = typed(write, "mixed.csv", data, {"Amount": "amount"})
    assert f.select("Id", "Amount", "Amount__currency").rows() == [
        ("1", 1000.0, "EUR"), ("2", 1000.0, "USD"), ("3", 250.0, "USD"), ("4", 2000.0, None)]
    assert t.notes == ["column 'Amount' mixes currencies ['EUR', 'USD']; amounts are kept per currency "
                       "and never summed across them"]


# --- 11-13: dates ------------------------------------------------------------------------------

def test_case_11_day_first_export_reads_03_04_as_3_april(write) -> None:
    data = b"Id,Close\n1,03/04/2025\n2,01/02/2025\n"
    _, f, fmt = typed(write, "dmy.csv", data, {"Close": "date"}, date_default="dmy")
    assert fmt.date_style == "dmy"
    assert f["Close"].to_list() == [dt.date(2025, 4, 3), dt.date(2025, 2, 1)]
    _, f, fmt = typed(write, "dmy_fmt.csv", data, {"Close": "date"}, date_formats=("%d/%m/%Y",))
    assert f["Close"].to_list() == [dt.date(2025, 4, 3), dt.date(2025, 2, 1)]


def test_case_11_no_month_first_inference_when_the_order_is_unknown(write) -> None:
    with pytest.raises(FormatDetectionError, match="read either way"):
        typed(write, "either.csv", b"Id,Close\n1,03/04/2025\n2,01/02/2025\n", {"Close": "date"})


def test_case_11_a_day_over_12_settles_the_order_for_the_whole_file(write) -> None:
    _, f, fmt = typed(write, "dmy2.csv", b"Id,Close\n1,03/04/2025\n2,25/12/2025\n", {"Close": "date"})
    assert fmt.date_style == "dmy"
    assert f["Close"].to_list() == [dt.date(2025, 4, 3), dt.date(2025, 12, 25)]


def test_case_12_impossible_date_rejects_the_row_with_line_and_column(write) -> None:
    data = b"Id,close_date,Amount\r\n1,28/02/2025,5\r\n2,31/02/2025,6\r\n3,01/03/2025,7\r\n"
    t, f, _ = typed(write, "feb.csv", data, {"close_date": "date"}, date_default="dmy")
    assert f.select("Id", "close_date").rows() == [("1", dt.date(2025, 2, 28)), ("3", dt.date(2025, 3, 1))]
    assert rejects(t) == [(3, "close_date", "2,31/02/2025,6", "INVALID_DATE")]
    assert t.rejects[0][S.MESSAGE] == "expected a date in the file's format day-first (DD/MM/YYYY) in column close_date; found '31/02/2025'"
    assert check_ledger(t) == (2, 1, 1)


def test_case_12_reject_keeps_the_raw_line(write) -> None:
    t, _, _ = typed(write, "feb_raw.csv", b"Id,close_date,Amount\n2,31/02/2025,6\n", {"close_date": "date"},
                    date_default="dmy")
    assert t.rejects[0][S.RAW] == "2,31/02/2025,6"


def test_case_13_iso_and_dotted_dates_through_an_explicit_format_list(write) -> None:
    data = b"Id,Close\n1,2025-01-31\n2,31.01.2025\n3,31.01.25\n4,Jan 31 2025\n5,\n"
    t, f, fmt = typed(write, "two_formats.csv", data, {"Close": "date"}, date_formats=("%Y-%m-%d", "%d.%m.%Y"))
    assert fmt.date_formats == ("%Y-%m-%d", "%d.%m.%Y")
    assert f.select("Id", "Close").rows() == [("1", dt.date(2025, 1, 31)), ("2", dt.date(2025, 1, 31)), ("5", None)]
    # a two-digit year does not fit %Y (never year 25), and text fits no format: both rejected, no NaT
    assert rejects(t) == [(4, "Close", "3,31.01.25", "INVALID_DATE"), (5, "Close", "4,Jan 31 2025", "INVALID_DATE")]
    assert check_ledger(t) == (3, 2, 1)


def test_case_13_iso_and_dotted_dates_without_a_list_read_day_first(write) -> None:
    t, f, fmt = typed(write, "two_detect.csv", b"Id,Close\n1,2025-01-31\n2,31.01.2025\n3,Jan 31 2025\n",
                      {"Close": "date"})
    assert fmt.date_style == "dmy"
    assert f["Close"].to_list() == [dt.date(2025, 1, 31), dt.date(2025, 1, 31)]
    assert rejects(t) == [(4, "Close", "3,Jan 31 2025", "INVALID_DATE")]


# --- 33-34: ids --------------------------------------------------------------------------------

def test_case_33_ids_are_kept_as_exact_strings(write) -> None:
    data = b"Id,Owner\n00123,005000000000001\n0065g00000AbCdE,005000000000ABC\n0065g00000AbCdEAAX,x\n0065g00000ABCDE,y\n"
    t, f, _ = typed(write, "ids.csv", data, {"Id": "id", "Owner": "id"})
    assert f["Id"].to_list() == ["00123", "0065g00000AbCdE", "0065g00000AbCdEAAX", "0065g00000ABCDE"]
    assert f["Owner"].to_list() == ["005000000000001", "005000000000ABC", "x", "y"]
    assert f["Id"].dtype == f["Owner"].dtype == S.DEALS[0].dtype
    assert t.rejects == []


@pytest.mark.parametrize("text", ["1.23E+11", "1.23e+11", "1E+11", "6.5E-05"])
def test_case_34_scientific_notation_in_an_id_column_is_invalid(write, text) -> None:
    # (There is no phone kind: a phone column is text and is loaded as written.)
    t, f, _ = typed(write, "sci.csv", f"Id,Name\n{text},a\n00123,b\n".encode(), {"Id": "id"})
    assert f["Id"].to_list() == ["00123"]
    assert rejects(t) == [(2, "Id", f"{text},a", "INVALID_ID")]
    assert check_ledger(t) == (1, 1, 1)


def test_case_34_scientific_notation_with_decimal_comma_is_invalid_too(write) -> None:
    t, f, _ = typed(write, "sci_de.csv", b"Id;Name\n1,23E+11;a\n00123;b\n", {"Id": "id"})
    assert rejects(t) == [(2, "Id", "1,23E+11;a", "INVALID_ID")]
    assert f["Id"].to_list() == ["00123"]


# --- broken values found by mutating the sample exports ----------------------------------------

@pytest.mark.parametrize("text", ["1e400", "-1e400", "inf", "NaN"], ids=["1e400", "minus_1e400", "inf", "nan"])
def test_a_number_that_is_not_finite_is_an_invalid_number(write, text) -> None:
    data = f"Id,Amount\n1,5\n2,{text}\n3,7.5\n".encode()
    t, f, _ = typed(write, "inf.csv", data, {"Amount": "amount"}, null_tokens={"Amount": []})
    assert f.select("Id", "Amount").rows() == [("1", 5.0), ("3", 7.5)]
    assert rejects(t) == [(3, "Amount", f"2,{text}", "INVALID_NUMBER")]


def test_plain_and_formatted_amounts_in_one_column_read_alike(write) -> None:
    # Plain numbers are cast directly, the others parsed once per distinct text: both in one file.
    data = "Id;Amount\n1;1 054,00 €\n2;1054\n3;1 054,00 €\n4;(12,50)\n5;-3\n".encode()
    t, f, fmt = typed(write, "mixed.csv", data, {"Amount": "amount"})
    assert fmt.decimal == ","
    assert f.select("Amount", "Amount__currency").rows() == [(1054.0, "EUR"), (1054.0, None), (1054.0, "EUR"),
                                                             (-12.5, None), (-3.0, None)]
    assert t.rejects == []


def test_large_file_paths_read_runs_in_pieces_and_quote_rejects_from_the_file(write, monkeypatch) -> None:
    # A file's mapped bytes are let go before typing: a value reject re-reads its line from the
    # file. One record per piece handed to polars: pieces join in order.
    monkeypatch.setattr(rows, "_PIECE_BYTES", 1)
    data = b'Id,Amount,Close\n1,5,2025-01-31\n2,"x,y",2025-02-30\n3,"7\n8",2025-03-01\n4,9,2025-04-01\n'
    t, f, _ = typed(write, "big.csv", data, {"Amount": "amount", "Close": "date"})
    assert t.source_bytes is None and t.source_path is not None
    assert f.select("Id", "Amount").rows() == [("1", 5.0), ("4", 9.0)]
    assert rejects(t) == [(3, "Amount", '2,"x,y",2025-02-30', "INVALID_NUMBER"),
                          (4, "Amount", '3,"7\\n8",2025-03-01', "INVALID_NUMBER"),
                          (3, "Close", '2,"x,y",2025-02-30', "INVALID_DATE")]
