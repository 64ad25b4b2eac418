"""Bad inputs to the delimited reader (design/robustness.md section 6): encodings (cases 1-4), record
splitting (17-23, 30-32), file structure (24-26, 29).

Every file is written as exact bytes. Tests that take the ``read_via`` fixture run twice, once
through the vectorised splitter and once through the csv-module splitter (forced on the same
bytes), and expect exactly the same result from both; a few tests force the csv-module path the
natural way, with a stray-quote row, and compare the other rows with the vectorised read.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from ledger_check import check_ledger

from toolkit import schema as S
from toolkit.errors import InputFileError, SchemaError
from toolkit.loaders import reading, splitting
from toolkit.loaders import rows as frame_rows
from toolkit.loaders.careful import MAX_RECORD_BYTES
from toolkit.loaders.raw import RAW_LIMIT
from toolkit.loaders.reading import read_delimited


@pytest.fixture(params=["vectorised", "polars_runs", "csv_module"])
def read_via(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Callable[..., reading.RawTable]:
    """read_via(path, **kw): read_delimited through the splitter named by the param. "vectorised"
    is the numpy splitter alone, and must take every record of these files on the fast path;
    "polars_runs" lets polars take runs from the line after the first and to the end of the file
    (a real file's head and tail are always scanned), in chunks of about a line where it refuses a
    run, and numpy the rest; "csv_module" sends every record through the careful splitter, so each
    test using this fixture checks the three splitters alike."""
    monkeypatch.setattr(reading, "FAST_SPLIT", request.param != "csv_module")
    monkeypatch.setattr(reading, "EXPRESS", request.param == "polars_runs")
    if request.param == "polars_runs":
        monkeypatch.setattr(splitting, "CHUNK_BYTES", 24)
        monkeypatch.setattr(splitting, "HEAD_RECORDS", 1)
        monkeypatch.setattr(splitting, "HEAD_BYTES", 1)
        monkeypatch.setattr(splitting, "TAIL_LINES", 0)

    def read(path: Path, **kw: object) -> reading.RawTable:
        table = read_delimited(path, **kw)  # type: ignore[arg-type]
        if request.param == "vectorised":
            assert table.careful_records == 0, f"{table.careful_records} record(s) left the fast path"
        check_ledger(table)
        return table

    read.splitter = request.param  # type: ignore[attr-defined]
    return read


def rows(table: reading.RawTable, *cols: str) -> list[tuple]:
    """The frame's rows as tuples of the named columns plus _line and _end_line."""
    return table.frame.select(*cols, S.ROW_LINE, S.ROW_END_LINE).rows()


def rejects(table: reading.RawTable) -> list[tuple]:
    """(line, end_line, column, raw, reason) of each reject, in order."""
    return [(r[S.LINE], r[S.END_LINE], r[S.COLUMN], r[S.RAW], r[S.REASON]) for r in table.rejects]


def read_natural(path, **kw) -> tuple[reading.RawTable, int]:
    """(table, how many records the reader sent to the careful splitter by itself)."""
    table = read_delimited(path, **kw)
    check_ledger(table)
    return table, table.careful_records


def both_splitters(path, monkeypatch: pytest.MonkeyPatch, **kw) -> tuple[reading.RawTable, reading.RawTable]:
    """(fast read, all-careful read) of one file; asserts the reader kept every record fast."""
    fast, careful = read_natural(path, **kw)
    assert careful == 0
    with monkeypatch.context() as m:
        m.setattr(reading, "FAST_SPLIT", False)
        slow = read_delimited(path, **kw)
    check_ledger(slow)
    return fast, slow


def assert_same(a: reading.RawTable, b: reading.RawTable) -> None:
    assert a.header == b.header
    assert a.frame.equals(b.frame), f"\n{a.frame}\n!=\n{b.frame}"
    assert rejects(a) == rejects(b)
    assert +a.skipped == +b.skipped
    assert a.lines_in == b.lines_in


# --- 1-4: encodings ----------------------------------------------------------------------------

def test_case_01_utf8_bom_is_dropped_and_first_column_name_is_exact(write, read_via) -> None:
    t = read_via(write("bom.csv", b"\xef\xbb\xbfId,Name\r\n1,a\r\n"))
    assert t.header == ["Id", "Name"]
    assert t.frame.columns == ["Id", "Name", "_line", "_end_line"]
    assert not any("\ufeff" in c for c in t.frame.columns)
    assert rows(t, "Id", "Name") == [("1", "a", 2, 2)]
    assert t.encoding == "utf-8-sig"
    assert "UTF-8 BOM removed" in t.notes
    assert (t.lines_in, check_ledger(t)) == (2, (1, 0, 1))


def test_case_01_bom_before_a_quoted_header_and_header_lookup_by_name(write, read_via) -> None:
    t = read_via(write("bom_q.csv", b'\xef\xbb\xbf"Id","Amount"\n7,5\n'), expected=("Id", "Amount"))
    assert t.header == ["Id", "Amount"] and t.header_line == 1
    assert rows(t, "Id", "Amount") == [("7", "5", 2, 2)]


def test_case_02_cp1252_file_is_decoded_without_mojibake(write, read_via) -> None:
    data = "Id;Name;Amount\r\n1;Müller;€ 5\r\n2;Gärtner & Söhne;1.000 €\r\n".encode("cp1252")
    assert b"\x80" in data and b"\xfc" in data
    t = read_via(write("cp1252.csv", data))
    assert t.encoding == "cp1252"
    assert t.delimiter == ";"
    assert rows(t, "Id", "Name", "Amount") == [("1", "Müller", "€ 5", 2, 2), ("2", "Gärtner & Söhne", "1.000 €", 3, 3)]
    text = str(t.frame.rows()) + str(t.header)
    assert "â‚¬" not in text and "Ã" not in text and "\ufffd" not in text
    assert t.notes == ["not UTF-8; read as cp1252 (Windows-1252)"]
    assert check_ledger(t) == (2, 0, 1)


def test_case_02_byte_undefined_in_cp1252_rejects_only_its_record(write) -> None:
    # 0x81 has no character in cp1252: the record holding it is rejected, its neighbours load.
    t = read_delimited(write("cp1252_bad.csv", b"Id,Name\n1,M\xfcller\n2,x\x81y\n3,c\n"))
    assert t.encoding == "cp1252"
    assert rows(t, "Id", "Name") == [("1", "Müller", 2, 2), ("3", "c", 4, 4)]
    assert rejects(t) == [(3, 3, None, "2,x\\x81y", "INVALID_ENCODING")]
    assert check_ledger(t) == (2, 1, 1)


def test_case_03_invalid_utf8_byte_rejects_that_record_with_escaped_bytes(write) -> None:
    t = read_delimited(write("bad.csv", b"Id,Name\n1,M\xc3\xbcller\n2,bad\xff\n3,ok\n"))
    assert t.encoding == "utf-8"  # the valid UTF-8 text (\xc3\xbc) proves the file's encoding
    assert rows(t, "Id", "Name") == [("1", "Müller", 2, 2), ("3", "ok", 4, 4)]
    assert rejects(t) == [(3, 3, None, "2,bad\\xff", "INVALID_ENCODING")]
    assert "1 byte(s) are not valid UTF-8" in t.notes
    assert "\ufffd" not in str(t.frame.rows())
    assert check_ledger(t) == (2, 1, 1)


def test_case_03_invalid_byte_inside_a_multiline_record_rejects_all_its_lines(write) -> None:
    t = read_delimited(write("bad_ml.csv", b'Id,Name,Amount\n1,M\xc3\xbcller,5\n2,"multi\nli\xffne",6\n3,c,7\n'))
    assert rows(t, "Id", "Name") == [("1", "Müller", 2, 2), ("3", "c", 5, 5)]
    assert rejects(t) == [(3, 4, None, '2,"multi\\nli\\xffne",6', "INVALID_ENCODING")]
    assert check_ledger(t) == (2, 2, 1)


def test_case_03_invalid_byte_in_the_header_line_fails_the_file(write) -> None:
    with pytest.raises(InputFileError, match="line 1|header"):
        read_delimited(write("bad_header.csv", b"Id,Na\xffme\n1,M\xc3\xbcller\n2,b\n"))


def test_case_04_utf16le_tab_separated_excel_unicode_text(write, read_via) -> None:
    text = 'Id\tName\tAmount\r\n1\tMüller\t5\r\n2\t"24"" monitor"\t6\r\n'
    t = read_via(write("unicode.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le")))
    assert (t.encoding, t.delimiter) == ("utf-16", "\t")
    assert rows(t, "Id", "Name", "Amount") == [("1", "Müller", "5", 2, 2), ("2", '24" monitor', "6", 3, 3)]
    assert "UTF-16 BOM found; read as UTF-16" in t.notes
    assert check_ledger(t) == (2, 0, 1)


def test_case_04_utf16be_with_bom_and_a_stray_quote(write) -> None:
    text = 'Id\tName\n1\t24" monitor\n2\tb\n'
    t = read_delimited(write("be.txt", codecs.BOM_UTF16_BE + text.encode("utf-16-be")))
    assert (t.encoding, t.delimiter) == ("utf-16", "\t")
    assert rows(t, "Id", "Name") == [("1", '24" monitor', 2, 2), ("2", "b", 3, 3)]
    assert check_ledger(t) == (2, 0, 1)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_case_04_utf16_without_bom_read_with_its_configured_byte_order(write, read_via, encoding) -> None:
    text = 'Id,Name\n1,Müller\n2,"24"" monitor"\n'
    t = read_via(write("no_bom.csv", text.encode(encoding)), encoding=encoding)
    assert (t.encoding, t.delimiter) == (encoding, ",")
    assert rows(t, "Id", "Name") == [("1", "Müller", 2, 2), ("2", '24" monitor', 3, 3)]
    assert check_ledger(t) == (2, 0, 1)


def test_case_04_broken_utf16_is_rejected_as_a_file(write) -> None:
    data = codecs.BOM_UTF16_LE + "Id\tName\n1\ta\n".encode("utf-16-le") + b"\x00\xd8"  # lone surrogate
    with pytest.raises(InputFileError, match="UTF-16"):
        read_delimited(write("broken16.txt", data))


# --- 17-23: records ----------------------------------------------------------------------------

def test_case_17_quoted_delimiter_and_newline_is_one_record_with_physical_lines(write, read_via) -> None:
    data = b'Id,Name,Amount\n1,"Acme, Inc.\nBerlin office",5\n2,b,6,7\n3,"x\n\ny",8\n4,d,9\n'
    t = read_via(write("ml.csv", data))
    assert rows(t, "Id", "Name", "Amount") == [
        ("1", "Acme, Inc.\nBerlin office", "5", 2, 3),
        ("3", "x\n\ny", "8", 5, 7),  # a blank physical line inside quotes is part of the value
        ("4", "d", "9", 8, 8),
    ]
    # the reject after a multi-line record names its own physical line, not its record number
    assert rejects(t) == [(4, 4, None, "2,b,6,7", "TOO_MANY_COLUMNS")]
    assert (t.lines_in, check_ledger(t)) == (8, (6, 1, 1))


def test_case_18_unterminated_quote_on_the_last_line(write) -> None:
    t = read_delimited(write("unterminated.csv", b'Id,Name,Amount\n1,a,5\n2,b,6\n3,"unterminated,7\n'))
    assert rows(t, "Id", "Name", "Amount") == [("1", "a", "5", 2, 2), ("2", "b", "6", 3, 3)]
    assert rejects(t) == [(4, 4, None, '3,"unterminated,7', "UNTERMINATED_QUOTE")]
    assert check_ledger(t) == (2, 1, 1)


def test_case_18_unterminated_quote_mid_file_rejects_its_line_and_reads_on(write) -> None:
    # A quote never closed cannot tell where its field would end: the line it opens on is rejected
    # and the lines after it are read as records of their own, so nothing is swallowed or merged.
    data = b'Id,Name,Amount\n1,a,5\n2,"broken,6\n3,c,7\n4,d,8'  # no final newline
    t = read_delimited(write("unterminated_mid.csv", data))
    assert rows(t, "Id") == [("1", 2, 2), ("3", 4, 4), ("4", 5, 5)]
    assert rejects(t) == [(3, 3, None, '2,"broken,6', "UNTERMINATED_QUOTE")]
    assert (t.lines_in, check_ledger(t)) == (5, (3, 1, 1))


def test_case_19_stray_quote_mid_field_is_literal_and_never_merges_rows(write) -> None:
    t, careful = read_natural(write("stray.csv", b'Id,Name,Amount\n1,24" monitor,5\n2,27" monitor,6\n3,c,7\n'))
    assert careful == 2  # only the two records with a stray quote left the fast path
    assert rows(t, "Id", "Name", "Amount") == [
        ("1", '24" monitor', "5", 2, 2), ("2", '27" monitor', "6", 3, 3), ("3", "c", "7", 4, 4)]
    assert t.rejects == []
    assert check_ledger(t) == (3, 0, 1)


def test_case_19_stray_quote_rows_do_not_change_the_other_rows(write) -> None:
    clean = b'Id,Name,Amount\n1,"Acme, Inc.",5\n2,"multi\nline",6\n3,"say ""hi""",7\n4,d,8,9\n'
    fast, fast_careful = read_natural(write("clean.csv", clean))
    slow, slow_careful = read_natural(write("with_stray.csv", clean + b'5,24" monitor,10\n6,f,11\n'))
    assert (fast_careful, slow_careful) == (0, 1)
    assert rows(slow, "Id", "Name")[-2:] == [("5", '24" monitor', 7, 7), ("6", "f", 8, 8)]
    assert slow.frame.head(fast.frame.height).equals(fast.frame)
    assert rejects(fast) == rejects(slow) == [(6, 6, None, "4,d,8,9", "TOO_MANY_COLUMNS")]
    assert check_ledger(fast) == (4, 1, 1) and check_ledger(slow) == (6, 1, 1)


def test_case_19_stray_quote_on_the_last_line_is_parsed_like_anywhere_else(write) -> None:
    t = read_delimited(write("stray_last.csv", b'Id,Name,Amount\n1,a,5\n2,24" monitor,6\n'))
    assert rejects(t) == []
    assert rows(t, "Id", "Name", "Amount") == [("1", "a", "5", 2, 2), ("2", '24" monitor', "6", 3, 3)]


def test_case_20_too_many_fields_rejected_with_raw_text(write, read_via) -> None:
    t = read_via(write("wide.csv", b'Id,Name,Amount\n1,a,5\n2,"b, c",6,extra\n3,c,7\n'))
    assert rows(t, "Id") == [("1", 2, 2), ("3", 4, 4)]
    assert rejects(t) == [(3, 3, None, '2,"b, c",6,extra', "TOO_MANY_COLUMNS")]
    assert t.rejects[0][S.MESSAGE] == "expected 3 fields as in the header (line 1); found 4"
    assert check_ledger(t) == (2, 1, 1)


def test_case_20_empty_padding_fields_are_treated_alike_by_both_splitters(write, monkeypatch) -> None:
    fast, slow = both_splitters(write("padded.csv", b"Id,Name,Amount\n1,a,5,,\n2,b,6\n"), monkeypatch)
    # the reference (csv-module) splitter loads the row: the extra fields are empty
    assert rows(slow, "Id", "Amount") == [("1", "5", 2, 2), ("2", "6", 3, 3)]
    assert_same(fast, slow)


def test_case_21_too_few_fields_rejected_not_padded(write, read_via) -> None:
    t = read_via(write("narrow.csv", b"Id,Name,Amount\n1,a,5\n2,b\n3,c,7\n"))
    assert rows(t, "Id", "Name", "Amount") == [("1", "a", "5", 2, 2), ("3", "c", "7", 4, 4)]
    assert rejects(t) == [(3, 3, None, "2,b", "MISSING_COLUMNS")]
    assert t.rejects[0][S.MESSAGE] == "expected 3 fields as in the header (line 1); found 2"
    assert check_ledger(t) == (2, 1, 1)


def test_case_21_too_few_fields_on_the_last_line_is_rejected_not_a_footer(write, read_via) -> None:
    t = read_via(write("narrow_last.csv", b"Id,Name,Amount\n1,a,5\n2,b\n"))
    assert rejects(t) == [(3, 3, None, "2,b", "MISSING_COLUMNS")]
    assert check_ledger(t) == (1, 1, 1)


def test_case_21_narrow_last_row_mentioning_total_is_rejected(write) -> None:
    t = read_delimited(write("total_name.csv", b"Id,Name,Amount\n1,a,5\n2,TotalEnergies\n"))
    assert rejects(t) == [(3, 3, None, "2,TotalEnergies", "MISSING_COLUMNS")]
    assert t.skipped["footer"] == 0


def test_case_22_trailing_delimiter_on_every_line_is_one_empty_column(write, read_via) -> None:
    t = read_via(write("trailing.csv", b"Id,Name,Amount,\r\n1,a,5,\r\n2,b,,\r\n"))
    assert t.header == ["Id", "Name", "Amount", "unnamed_4"]
    assert t.frame.columns == ["Id", "Name", "Amount", "_line", "_end_line"]  # the empty column is dropped
    assert rows(t, "Id", "Name", "Amount") == [("1", "a", "5", 2, 2), ("2", "b", None, 3, 3)]
    assert t.rejects == []
    assert check_ledger(t) == (2, 0, 1)


def test_case_22_trailing_delimiter_on_data_lines_only(write, read_via) -> None:
    t = read_via(write("trailing_data.csv", b"Id;Name;Amount\n1;a;5;\n2;b;6;\n"))
    assert t.frame.columns == ["Id", "Name", "Amount", "_line", "_end_line"]
    assert rows(t, "Id", "Amount") == [("1", "5", 2, 2), ("2", "6", 3, 3)]
    assert t.rejects == []
    assert check_ledger(t) == (2, 0, 1)


def test_case_23_blank_and_whitespace_lines_are_skipped_not_rows(write, read_via) -> None:
    data = b"Id,Name\n1,a\n\n   \n\t\n,\n2,b\n\n"
    t = read_via(write("blanks.csv", data))
    assert rows(t, "Id", "Name") == [("1", "a", 2, 2), ("2", "b", 7, 7)]
    assert t.rejects == []
    assert +t.skipped == {"header": 1, "blank": 5}
    assert (t.lines_in, check_ledger(t)) == (8, (2, 0, 6))


@pytest.mark.parametrize("blank_line", [b" " * 70, b"," * 79], ids=["70_spaces", "80_empty_fields"])
def test_case_23_long_blank_lines_are_skipped_by_both_splitters(write, read_via, request, blank_line) -> None:
    header = b",".join(b"c%d" % i for i in range(80))
    values = b",".join(b"%d" % i for i in range(80))
    t = read_via(write("long_blank.csv", header + b"\n" + values + b"\n" + blank_line + b"\n" + values + b"\n"))
    assert rows(t, "c0", "c79") == [("0", "79", 2, 2), ("0", "79", 4, 4)]
    assert t.rejects == []
    assert +t.skipped == {"header": 1, "blank": 1}


# --- 24-26: file structure ---------------------------------------------------------------------

SF_FOOTER = (b'\n"Opportunity Pipeline"\n"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."\n'
             b'"Confidential Information - Do Not Distribute"\n"Generated By:  Jo Smith  6/30/2025 5:04 PM"\n'
             b'"Northwind Instruments"\n')


def _footer_needs_the_scanned_tail(read_via: Callable[..., reading.RawTable]) -> None:
    if read_via.splitter == "polars_runs":  # type: ignore[attr-defined]
        pytest.skip("a footer is found among a file's scanned tail lines; this mode lets runs take them")


def test_case_24_salesforce_report_footer_is_dropped_and_counted(write, read_via) -> None:
    _footer_needs_the_scanned_tail(read_via)
    data = b'"Id","Opportunity Name","Amount"\n"0061","Acme","5"\n"0062","Globex","6"\n' + SF_FOOTER
    t = read_via(write("report.csv", data))
    assert rows(t, "Id", "Opportunity Name") == [("0061", "Acme", 2, 2), ("0062", "Globex", 3, 3)]
    assert t.rejects == []
    assert +t.skipped == {"header": 1, "blank": 1, "footer": 5}
    assert (t.lines_in, check_ledger(t)) == (9, (2, 0, 7))


def test_case_24_footer_of_marker_lines_without_a_blank_line(write, read_via) -> None:
    _footer_needs_the_scanned_tail(read_via)
    data = b"Id,Name,Amount\n1,a,5\n2,b,6\nGrand Total,11\nGenerated by CRM 5.1\n"
    t = read_via(write("totals.csv", data))
    assert rows(t, "Id") == [("1", 2, 2), ("2", 3, 3)]
    assert +t.skipped == {"header": 1, "footer": 2}
    assert check_ledger(t) == (2, 0, 3)


def test_case_25_preamble_above_header_is_counted(write, read_via) -> None:
    data = (b'"Opportunity Pipeline"\n"Filtered By:"\n"  Close Date equals THIS FISCAL YEAR, Amount > 0"\n\n'
            b'"Id","Name","Amount"\n1,a,5\n2,b,6\n')
    t = read_via(write("preamble.csv", data), expected=("Id", "Name", "Amount", "Stage"))
    assert t.header == ["Id", "Name", "Amount"]
    assert t.header_line == 5
    assert rows(t, "Id", "Name", "Amount") == [("1", "a", "5", 6, 6), ("2", "b", "6", 7, 7)]
    assert +t.skipped == {"preamble": 3, "blank": 1, "header": 1}
    assert (t.lines_in, check_ledger(t)) == (7, (2, 0, 5))


def test_case_25_header_not_found_by_expected_names_is_a_schema_error(write) -> None:
    with pytest.raises(SchemaError, match="a header with at least 2 of"):
        read_delimited(write("noheader.csv", b'"Report"\nFoo,Bar\n1,2\n'), expected=("Id", "Amount"))


@pytest.mark.parametrize("header", [b"Id,Amount,Amount", b"Id,Amount, amount ", b"Id,Amount,AMOUNT"])
def test_case_26_duplicate_header_is_read_with_the_repeat_listed(write, read_via, header) -> None:
    # Reading keeps both copies under distinct names and lists the repeat; whether a repeat is an
    # error is the loader's call (a mapped column whose copies differ is; see test_robustness).
    t = read_via(write("dup.csv", header + b"\n1,5,6\n"))
    second = header.decode().split(",")[2].strip()
    assert t.header == ["Id", "Amount", f"{second} (2)"]
    assert t.repeats == {f"{second} (2)": "Amount"}
    assert rows(t, "Id", "Amount", f"{second} (2)") == [("1", "5", "6", 2, 2)]
    assert (t.lines_in, check_ledger(t)) == (2, (1, 0, 1))


# --- 29: empty files ---------------------------------------------------------------------------

@pytest.mark.parametrize("data",
                         [b"", b"\xef\xbb\xbf", b"\n\n  \r\n", codecs.BOM_UTF16_LE + "\r\n".encode("utf-16-le")],
                         ids=["0_bytes", "bom_only", "blank_lines_only", "utf16_bom_newline"])
def test_case_29_empty_file_is_an_explicit_error(write, data) -> None:
    with pytest.raises(InputFileError, match="is empty"):
        read_delimited(write("empty.csv", data))


def test_case_29_header_only_file_is_zero_rows_with_its_line_counted(write, read_via) -> None:
    # Better than an error: an export of a team with no deals is a valid, explicit "no data" result
    # (0 rows, 1 line in, 1 header line skipped); an empty (0-byte) file is the error.
    t = read_via(write("header_only.csv", b"Id,Name,Amount\r\n"))
    assert t.header == ["Id", "Name", "Amount"]
    assert t.frame.height == 0
    assert t.frame.columns == ["Id", "Name", "Amount", "_line", "_end_line"]
    assert t.frame.dtypes == [pl.String, pl.String, pl.String, pl.Int64, pl.Int64]
    assert (t.lines_in, +t.skipped, check_ledger(t)) == (1, {"header": 1}, (0, 0, 1))


# --- 30-32: line endings, NUL, huge lines ------------------------------------------------------

BODY_LINES = [b"Id,Name,Amount", b'1,"a', b'b",5', b"2,b,6,7", b"3,c,7"]


@pytest.mark.parametrize("endings", [[b"\r\n"] * 5, [b"\n"] * 5, [b"\r"] * 5, [b"\r\n", b"\r", b"\n", b"\r\n", b""]],
                         ids=["crlf", "lf", "cr_only", "mixed_no_final_newline"])
def test_case_30_line_endings_give_the_same_rows_and_rejects(write, read_via, endings) -> None:
    t = read_via(write("endings.csv", b"".join(line + end for line, end in zip(BODY_LINES, endings, strict=True))))
    assert rows(t, "Id", "Name", "Amount") == [("1", "a\nb", "5", 2, 3), ("3", "c", "7", 5, 5)]
    assert rejects(t) == [(4, 4, None, "2,b,6,7", "TOO_MANY_COLUMNS")]
    assert "\r" not in str(t.frame.rows()) + str(t.rejects) + str(t.header)
    assert (t.lines_in, check_ledger(t)) == (5, (3, 1, 1))


def test_case_31_nul_byte_is_stripped_with_a_repair_record_and_no_truncation(write) -> None:
    t = read_delimited(write("nul.csv", b"Id,Name,Amount\n1,a\x00b,5\n2,c,6\n"))
    assert rows(t, "Id", "Name", "Amount") == [("1", "ab", "5", 2, 2), ("2", "c", "6", 3, 3)]
    assert t.rejects == []
    assert [(r[S.LINE], r[S.RAW], r[S.REASON]) for r in t.repairs] == [(2, "1,a\\x00b,5", "NUL_BYTE")]
    assert check_ledger(t) == (2, 0, 1)


def _long_line_file(write, n_before: int, *, stray_quote: bool = False, quoted: bool = False):
    head = b"Id,Name,Amount\n" + b"".join(b"%d,n,%d\n" % (i, i) for i in range(n_before))
    body = b"x" * (3 * 1024 * 1024)
    long_rec = b'L,"' + body[:1_000_000] + b'\n' + body[1_000_000:] + b'",1\n' if quoted else b"L," + body + b",1\n"
    # the stray quote (forcing the csv-module path) is not on the last line: see test_case_19
    tail = (b'S,24" monitor,2\n' if stray_quote else b"S,s,2\n") + b"T,t,3\n"
    return write("long.csv", head + long_rec + tail), n_before + 2


def test_case_32_three_megabyte_line_is_rejected_line_too_long(write) -> None:
    path, line = _long_line_file(write, 40)
    t, careful = read_natural(path)
    assert careful == 0
    assert [(r[S.LINE], r[S.END_LINE], r[S.REASON]) for r in t.rejects] == [(line, line, "LINE_TOO_LONG")]
    assert t.rejects[0][S.RAW] == "L," + "x" * (RAW_LIMIT - 2)
    assert t.rejects[0][S.MESSAGE] == f"a record of {3 * 1024 * 1024 + 4:,} bytes, over the limit of {MAX_RECORD_BYTES:,}"
    assert t.frame.height == 42 and rows(t, "Id")[-2:] == [("S", line + 1, line + 1), ("T", line + 2, line + 2)]
    assert check_ledger(t) == (42, 1, 1)


def test_case_32_three_megabyte_quoted_email_over_two_lines(write) -> None:
    path, line = _long_line_file(write, 40, quoted=True)
    t, careful = read_natural(path)
    assert careful == 0
    assert [(r[S.LINE], r[S.END_LINE], r[S.REASON]) for r in t.rejects] == [(line, line + 1, "LINE_TOO_LONG")]
    assert len(t.rejects[0][S.RAW]) <= RAW_LIMIT
    assert rows(t, "Id")[-2:] == [("S", line + 2, line + 2), ("T", line + 3, line + 3)]
    assert check_ledger(t) == (42, 2, 1)


@pytest.mark.parametrize(("n_before", "stray_quote"), [(1, False), (40, True)],
                         ids=["vectorised_near_the_top", "csv_module_path"])
def test_case_32_long_line_anywhere_is_a_reject_not_a_crash(write, n_before, stray_quote) -> None:
    path, line = _long_line_file(write, n_before, stray_quote=stray_quote)
    t = read_delimited(path)
    assert [(r[S.LINE], r[S.REASON]) for r in t.rejects] == [(line, "LINE_TOO_LONG")]
    assert rows(t, "Id")[-2:] == [("S", line + 1, line + 1), ("T", line + 2, line + 2)]
    assert check_ledger(t) == (n_before + 2, 1, 1)


# --- both splitters on one realistic file ------------------------------------------------------

def test_splitters_agree_on_a_file_with_every_structural_problem(write, monkeypatch) -> None:
    data = (b'"Pipeline report"\n\n'
            b'Id,Name,Amount\r\n'
            b'1,"Acme, Inc.",5\r\n'
            b'2,"multi\r\nline ""quoted""",6\r\n'
            b'3,too,many,fields\r\n'
            b'4,few\r\n'
            b'   \r\n'
            b'5,e,\r\n'
            b'6,f,7\r\n'
            + SF_FOOTER)
    fast, slow = both_splitters(write("mixed.csv", data), monkeypatch, expected=("Id", "Amount"))
    assert_same(fast, slow)
    assert rows(fast, "Id", "Name", "Amount") == [
        ("1", "Acme, Inc.", "5", 4, 4), ("2", 'multi\nline "quoted"', "6", 5, 6), ("5", "e", None, 10, 10),
        ("6", "f", "7", 11, 11)]
    assert rejects(fast) == [(7, 7, None, "3,too,many,fields", "TOO_MANY_COLUMNS"),
                             (8, 8, None, "4,few", "MISSING_COLUMNS")]
    assert +fast.skipped == {"preamble": 1, "blank": 3, "header": 1, "footer": 5}
    assert (fast.lines_in, check_ledger(fast)) == (17, (5, 2, 10))


def test_case_32_field_between_128_kib_and_the_limit_loads(write) -> None:
    note = "x" * 200_000
    t = read_delimited(write("notes.csv", f"Id,Notes\n1,short\n2,{note}\n".encode()))
    assert rows(t, "Id", "Notes") == [("1", "short", 2, 2), ("2", note, 3, 3)]
    assert t.rejects == []


# --- broken files found by mutating the sample exports -----------------------------------------

def test_trailing_delimiter_on_some_rows_gives_rows_and_rejects_not_a_crash(write, read_via) -> None:
    # The first data row is as wide as the header, later ones carry an empty trailing field, one
    # a filled one: widths differ inside one run of fast records.
    data = b"Id,Name,Close\n1,a,8/13/2025\n2,b,8/14/2025,\n3,c,8/15/2025,,\n4,d,8/16/2025,x\n5,e,8/17/2025\n"
    t = read_via(write("trailing_some.csv", data))
    assert rows(t, "Id", "Close") == [("1", "8/13/2025", 2, 2), ("2", "8/14/2025", 3, 3), ("3", "8/15/2025", 4, 4),
                                      ("5", "8/17/2025", 6, 6)]
    assert rejects(t) == [(5, 5, None, "4,d,8/16/2025,x", "TOO_MANY_COLUMNS")]
    assert check_ledger(t) == (4, 1, 1)


def test_a_line_cut_short_inside_quotes_never_merges_with_the_next_deal(write) -> None:
    # '"006B' lost its end (a truncated line): its quote would close at the start of the next line
    # and glue '006C' onto it. Text after a closing quote breaks RFC 4180: the cut line is
    # rejected and the next line is read as the record it is.
    data = b'"Id","Name","Amount"\n"006A","Alpha","5"\n"006B\n"006C","Gamma","7"\n"006D","Delta","8"\n'
    t, careful = read_natural(write("cut.csv", data))
    assert rows(t, "Id", "Name", "Amount") == [("006A", "Alpha", "5", 2, 2), ("006C", "Gamma", "7", 4, 4),
                                               ("006D", "Delta", "8", 5, 5)]
    assert rejects(t) == [(3, 3, None, '"006B', "TEXT_AFTER_QUOTE")]
    assert careful == 2  # the cut line and the line after it; the rest stayed on the fast path
    assert check_ledger(t) == (3, 1, 1)


def test_text_after_a_closing_quote_is_a_reject_on_both_splitters(write, monkeypatch) -> None:
    data = b'Id,Name,Amount\n1,"Acme"x,5\n2,b,6\n'
    for fast in (True, False):
        monkeypatch.setattr(reading, "FAST_SPLIT", fast)
        t = read_delimited(write("after_quote.csv", data))
        assert rows(t, "Id") == [("2", 3, 3)]
        assert rejects(t) == [(2, 2, None, '1,"Acme"x,5', "TEXT_AFTER_QUOTE")]
        assert check_ledger(t) == (1, 1, 1)


def test_a_data_row_above_the_header_is_a_reject_not_preamble(write, read_via) -> None:
    data = b'"Pipeline"\n1,Alpha,5\nId,Name,Amount\n2,Beta,6\n'
    t = read_via(write("row_above.csv", data), expected=("Id", "Name", "Amount"))
    assert t.header_line == 3
    assert rows(t, "Id", "Name") == [("2", "Beta", 4, 4)]
    assert rejects(t) == [(2, 2, None, "1,Alpha,5", "ROW_ABOVE_HEADER")]
    assert +t.skipped == {"preamble": 1, "header": 1}
    assert check_ledger(t) == (1, 1, 2)


def test_a_byte_order_mark_in_mid_file_is_removed_and_noted(write) -> None:
    # Two exports joined with cat: the second one's BOM lands in the middle of the file.
    data = b"\xef\xbb\xbfId,Name\n006A,a\n\xef\xbb\xbf006B,b\n006C,c\n"
    t, careful = read_natural(write("joined.csv", data))
    assert rows(t, "Id", "Name") == [("006A", "a", 2, 2), ("006B", "b", 3, 3), ("006C", "c", 4, 4)]
    assert [(r[S.LINE], r[S.REASON]) for r in t.repairs] == [(3, "BOM_IN_DATA")]
    assert t.rejects == [] and careful == 1
    assert check_ledger(t) == (3, 0, 1)


def test_one_invalid_byte_sends_only_its_record_to_the_careful_path(write) -> None:
    body = b"".join(b'"%d","M\xc3\xbcller %d","%d"\n' % (i, i, i) for i in range(2000))
    clean = b'"Id","Name","Amount"\n' + body
    bad = clean.replace(b'"1000","M\xc3\xbcller', b'"1000","M\xfcller')
    fast, fast_careful = read_natural(write("clean.csv", clean))
    t, careful = read_natural(write("one_bad_byte.csv", bad))
    assert (fast_careful, careful) == (0, 1)
    assert rejects(t) == [(1002, 1002, None, '"1000","M\\xfcller 1000","1000"', "INVALID_ENCODING")]
    assert t.frame.equals(fast.frame.filter(pl.col("Id") != "1000"))
    assert check_ledger(t) == (1999, 1, 1)


@pytest.mark.parametrize("space", [" ", "\t", "\u00a0", "\u202f"], ids=["space", "tab", "nbsp", "narrow_nbsp"])
def test_values_are_stripped_whatever_the_space_next_to_a_delimiter(write, read_via, space) -> None:
    data = f'Id,Name,Note\n1,{space}a{space},"{space}x"\n2,b,{space}\n'.encode()
    t = read_via(write("spaces.csv", data))
    assert rows(t, "Id", "Name", "Note") == [("1", "a", "x", 2, 2), ("2", "b", None, 3, 3)]


def test_utf16_bytes_below_0x80_are_looked_at_again_once_transcoded(write, read_via) -> None:
    # U+2000 and U+0141 are written in UTF-16-LE with bytes below 0x80 only: the file's bytes are
    # "ASCII", its text is not, and the space at a value's edge is still found and stripped
    text = "Id,Name,Note\n1,\u2000a,\u0141\n2,b\u2000,c\n"
    data = text.encode("utf-16-le")
    assert max(data) < 0x80
    t = read_via(write("utf16.csv", data), encoding="utf-16-le")
    assert rows(t, "Id", "Name", "Note") == [("1", "a", "\u0141", 2, 2), ("2", "b", "c", 3, 3)]


def test_a_file_without_space_at_any_field_edge_is_not_stripped_again(write, monkeypatch) -> None:
    data = b'"Id","Name"\n"1","a b"\n"2","c"\n'
    recs = reading.split_records(data, ",", "utf-8", [])
    assert recs.spaces == "none"
    assert reading.split_records(data.replace(b'"c"', b'"c "'), ",", "utf-8", []).spaces == "any"


def test_a_broken_line_after_a_long_run_never_reaches_polars(write, monkeypatch) -> None:
    # polars parses a buffer to its end whatever n_rows says: each piece it gets must hold only
    # its own records, so the text after the closing quote on line 5 is the reader's reject.
    monkeypatch.setattr(frame_rows, "_PIECE_BYTES", 16)
    data = b'"Id","Name"\n"1","a"\n"2","b"\n"3","c"\n"4"x,"d"\n"5","e"\n'
    t, careful = read_natural(write("late_break.csv", data))
    assert rows(t, "Id") == [("1", 2, 2), ("2", 3, 3), ("3", 4, 4), ("5", 6, 6)]
    assert rejects(t) == [(5, 5, None, '"4"x,"d"', "TEXT_AFTER_QUOTE")]
    assert careful == 1


def test_a_byte_order_mark_before_a_quoted_first_field_leaves_no_quotes(write) -> None:
    data = b'"Id","Name"\n"006A","a"\n\xef\xbb\xbf"006B","b"\n"006C","c"\n'
    t, careful = read_natural(write("joined_quoted.csv", data))
    assert rows(t, "Id", "Name") == [("006A", "a", 2, 2), ("006B", "b", 3, 3), ("006C", "c", 4, 4)]
    assert [(r[S.LINE], r[S.REASON]) for r in t.repairs] == [(3, "BOM_IN_DATA")]
    assert (t.rejects, careful) == ([], 1)


def test_a_repeated_header_line_is_skipped_as_a_header_not_loaded(write, read_via) -> None:
    # two exports joined with cat, each with its header
    data = b'Id,Name,Amount\n1,a,5\n2,b,6\nId,Name,Amount\n3,c,7\n"Id","Name","Amount"\n4,d,8\n'
    t = read_via(write("joined_headers.csv", data))
    assert rows(t, "Id", "Name") == [("1", "a", 2, 2), ("2", "b", 3, 3), ("3", "c", 5, 5), ("4", "d", 7, 7)]
    assert t.rejects == []
    assert +t.skipped == {"header": 3}
    assert "the header is repeated on line(s) 4, 6 (files joined?): skipped as header lines" in t.notes
    assert check_ledger(t) == (4, 0, 3)


def test_a_byte_valid_in_no_encoding_keeps_an_ascii_file_utf8(write) -> None:
    # 0x81 is undefined in cp1252 too: reading the file as cp1252 would explain nothing
    data = b"Id,Name\n" + b"".join(b"%d,n%d\n" % (i, i) for i in range(1, 6)).replace(b"n3", b"n\x813")
    t, careful = read_natural(write("ascii_one_bad.csv", data))
    assert t.encoding == "utf-8"
    assert "1 byte(s) are valid neither in UTF-8 nor in cp1252" in t.notes
    assert rejects(t) == [(4, 4, None, "3,n\\x813", "INVALID_ENCODING")]
    assert rows(t, "Id") == [("1", 2, 2), ("2", 3, 3), ("4", 5, 5), ("5", 6, 6)]
    assert careful == 1


def test_a_summary_word_is_the_first_non_empty_of_the_first_three_fields(write) -> None:
    data = (b"Id,Name,Team,Amount\n1,Total Recall,EMEA,5\n,Subtotal,,5\n,,Summe,5\n2,b,Total,6\n"
            b",,,7\nTotal,,,12\n3,c,NA,1\n")
    t = read_delimited(write("totals.csv", data))
    assert [(r[S.LINE], r[S.REASON]) for r in t.rejects] == [(3, "SUMMARY_ROW"), (4, "SUMMARY_ROW"),
                                                             (7, "SUMMARY_ROW")]
    assert rows(t, "Id", "Name") == [("1", "Total Recall", 2, 2), ("2", "b", 5, 5), (None, None, 6, 6),
                                     ("3", "c", 8, 8)]
