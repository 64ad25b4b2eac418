"""The record splitters agree: polars taking runs of lines gives exactly what numpy's scan gives
(rows, line numbers, rejects, repairs, skips, line count) on files that mix good rows with every
kind of defect, wherever the runs and chunks end; and the careful splitter agrees with both on the
files numpy keeps on its fast path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_check import check_ledger

from toolkit import schema as S
from toolkit.loaders import reading, splitting
from toolkit.loaders.reading import read_delimited

HEADER = b'"Id","Name","Amount","Note"\n'

#: One line (or record) of each kind; ``{i}`` is the row number, so ids stay unique.
KINDS: dict[str, bytes] = {
    "quoted": b'"{i}","Name {i}","{i}00","x"\n',
    "plain": b'{i},Name {i},{i}00,x\n',
    "empty_last": b'{i},Name {i},{i}00,\n',
    "quoted_empty_last": b'"{i}","Name {i}","{i}00",""\n',
    "blank_last": b'{i},Name {i},{i}00,  \n',
    "narrow": b'{i},Name {i}\n',
    "narrow_quoted": b'"{i}","Name, {i}"\n',
    "wide": b'{i},Name {i},{i}00,x,extra\n',
    "trailing_delimiter": b'{i},Name {i},{i}00,x,\n',
    "blank": b"\n",
    "spaces_only": b"  \n",
    "delimiters_only": b",,,\n",
    "quotes_and_delimiters": b'"","", ,""\n',
    "nbsp_only": "\u00a0,,,\n".encode(),
    "embedded_newline": b'"{i}","Two\nlines","{i}00","x"\n',
    "doubled_quote": b'"{i}","Say ""hi""","{i}00","x"\n',
    "comma_in_quotes": b'"{i}","Smith, J","{i}00","x"\n',
    "text_after_quote": b'"{i}"x,"Name","1","x"\n',
    "quote_mid_field": b'{i},Na"me,1,x\n',
    "unclosed_quote": b'"{i},"Name,1,x\n',
    "edge_space": b'{i}, Name {i} ,{i}00,x\n',
    "nbsp_edge": '{i},Name {i}\u00a0,{i}00,x\n'.encode(),
    "accented": '{i},Zoë {i},{i}00,é\n'.encode(),
    "summary": b'Total,,900,\n',
    "nul": b'{i},Na\x00me,1,x\n',
    "bad_byte": b'{i},Na\xffme,1,x\n',
    "bom": b'\xef\xbb\xbf{i},Name,1,x\n',
    "bom_quoted": b'\xef\xbb\xbf"{i}","Name","1","x"\n',
    "header_again": HEADER,
}
GOOD = ("quoted", "plain", "quoted_empty_last", "comma_in_quotes", "doubled_quote", "accented")
#: Lines after the body, enough for the scanned tail of the file (where a footer would be).
TAIL = b"".join(b'%d,Tail,1,x\n' % (10_000 + i) for i in range(splitting.TAIL_LINES))


def _body(kinds: list[str]) -> bytes:
    return b"".join(KINDS[k].replace(b"{i}", str(i + 1).encode()) for i, k in enumerate(kinds))


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, chunk: int, run: int = 1 << 26
          ) -> reading.RawTable:
    with monkeypatch.context() as m:
        m.setattr(reading, "FAST_SPLIT", mode != "careful")
        m.setattr(reading, "EXPRESS", mode == "polars")
        m.setattr(splitting, "CHUNK_BYTES", chunk)
        m.setattr(splitting, "RUN_BYTES", run)
        # The header is the first line of these files: runs may start right after it.
        m.setattr(splitting, "HEAD_RECORDS", 1)
        m.setattr(splitting, "HEAD_BYTES", 1)
        table = read_delimited(path)
    check_ledger(table)
    return table


def _outcome(t: reading.RawTable) -> tuple:
    rejects = [(r[S.LINE], r[S.END_LINE], r[S.RAW], r[S.REASON]) for r in t.rejects]
    repairs = [(r[S.LINE], r[S.REASON]) for r in t.repairs]
    return t.header, t.frame.rows(), rejects, repairs, +t.skipped, t.lines_in


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kinds=st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=40),
       chunk=st.integers(min_value=16, max_value=160), run=st.integers(min_value=16, max_value=4000))
def test_polars_runs_give_what_numpy_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           kinds: list[str], chunk: int, run: int) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(HEADER + _body(kinds) + TAIL)
    polars_read = _read(path, monkeypatch, "polars", chunk, run)
    assert _outcome(polars_read) == _outcome(_read(path, monkeypatch, "numpy", chunk, run))


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kinds=st.lists(st.sampled_from(GOOD), min_size=1, max_size=40), chunk=st.integers(min_value=16, max_value=160))
def test_the_careful_splitter_agrees_on_good_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   kinds: list[str], chunk: int) -> None:
    path = tmp_path / "good.csv"
    path.write_bytes(HEADER + _body(kinds) + TAIL)
    polars_read = _read(path, monkeypatch, "polars", chunk)
    assert _outcome(polars_read) == _outcome(_read(path, monkeypatch, "careful", chunk))
    assert polars_read.frame.height == len(kinds) + splitting.TAIL_LINES
    assert polars_read.chunk_records == len(kinds)  # one run took every line between header and tail


def test_a_clean_file_is_one_run_between_its_scanned_head_and_tail(tmp_path: Path) -> None:
    lines = [b'"%d","Name %d","%d00","x"\n' % (i, i, i) for i in range(1, 20_001)]
    data = HEADER + b"".join(lines)
    path = tmp_path / "clean.csv"
    path.write_bytes(data)
    t = read_delimited(path)
    check_ledger(t)
    head_rows = data.count(b"\n", 0, data.rfind(b"\n", 0, splitting.HEAD_BYTES) + 1) - 1  # scanned after the header
    assert (t.lines_in, t.frame.height, t.careful_records) == (20_001, 20_000, 0)
    assert t.chunk_records == 20_000 - head_rows - splitting.TAIL_LINES
    assert t.frame.row(15_000, named=True) == {"Id": "15001", "Name": "Name 15001", "Amount": "1500100", "Note": "x",
                                               S.ROW_LINE: 15_002, S.ROW_END_LINE: 15_002}


def test_a_narrow_row_in_a_run_is_counted_from_its_line(tmp_path: Path, monkeypatch) -> None:
    # polars pads the narrow row with nulls: only its null last field makes it looked at again
    kinds = ["plain"] * 30 + ["narrow"] + ["empty_last"] + ["narrow_quoted"] + ["plain"] * 30
    path = tmp_path / "narrow.csv"
    path.write_bytes(HEADER + _body(kinds) + TAIL)
    t = _read(path, monkeypatch, "polars", 200)
    assert t.chunk_records == len(kinds)  # one run took them all
    assert [(r[S.LINE], r[S.REASON], r[S.RAW]) for r in t.rejects] == [
        (32, "MISSING_COLUMNS", "31,Name 31"), (34, "MISSING_COLUMNS", '"33","Name, 33"')]
    assert t.frame.filter(pl.col("Id") == "32").select("Note", S.ROW_LINE).rows() == [(None, 33)]


def test_blank_lines_in_a_run_are_skipped_and_a_line_of_other_spaces_is_a_row(tmp_path: Path, monkeypatch) -> None:
    kinds = ["plain"] * 5 + ["blank", "spaces_only", "delimiters_only", "quotes_and_delimiters", "nbsp_only",
                             "blank_last"] + ["plain"] * 5
    path = tmp_path / "blank.csv"
    path.write_bytes(HEADER + _body(kinds) + TAIL)
    t = _read(path, monkeypatch, "polars", 4096)
    assert t.chunk_records == len(kinds)
    assert t.skipped == {"header": 1, "blank": 4}
    # a no-break space is text to csv, not a blank: the row loads (its values stripped to nothing)
    assert t.frame.filter(pl.col(S.ROW_LINE) == 11).select("Id", "Note").rows() == [(None, None)]
    assert t.frame.filter(pl.col(S.ROW_LINE) == 12).select("Id", "Note").rows() == [("11", None)]


def test_a_run_polars_refuses_is_taken_again_in_chunks_and_only_the_bad_one_is_scanned(tmp_path: Path,
                                                                                       monkeypatch) -> None:
    kinds = ["plain"] * 200 + ["text_after_quote"] + ["plain"] * 200
    path = tmp_path / "one_defect.csv"
    path.write_bytes(HEADER + _body(kinds) + TAIL)
    t = _read(path, monkeypatch, "polars", 120)
    assert [(r[S.LINE], r[S.REASON]) for r in t.rejects] == [(202, "TEXT_AFTER_QUOTE")]
    assert t.careful_records == 1
    # the run before the defect and every chunk but the one holding line 202 went to polars
    per_chunk = 120 // len(KINDS["plain"].replace(b"{i}", b"100"))
    assert t.chunk_records >= 400 - 2 * per_chunk
    assert np.array_equal(t.frame[S.ROW_LINE].to_numpy()[:400], np.r_[2:202, 203:403])


@pytest.mark.parametrize(("inside", "spaces"), [(b"Name_{i}", "none"), (b"Name {i}", "none"), (b" Name{i}", "ascii"),
                                                (b"Name{i} ", "ascii"), (b"Name\t{i}", "any"),
                                                ("Name\u00a0{i}".encode(), "any")],
                         ids=["no_space", "space_inside", "space_first", "space_last", "tab", "nbsp"])
def test_runs_tell_which_whitespace_their_values_may_hold(monkeypatch, inside: bytes, spaces: str) -> None:
    # the head goes to numpy, which sees no space at a field edge; the rest to polars: a space
    # next to a quote, a delimiter or a line's edge may start or end a value, a tab or a Unicode
    # space anywhere may
    line = b'"{i}","' + inside + b'","{i}00","x"\n'
    data = HEADER + b"".join(line.replace(b"{i}", str(i).encode()) for i in range(1, 300))
    monkeypatch.setattr(splitting, "HEAD_RECORDS", 1)
    monkeypatch.setattr(splitting, "HEAD_BYTES", 1)
    records = splitting.split_records(data, ",", "utf-8", [])
    assert [r.rows for r in records.runs] == [299 - splitting.TAIL_LINES]
    assert records.runs[0].spaces == spaces


def test_a_space_at_an_edge_in_a_run_is_stripped(tmp_path: Path, monkeypatch) -> None:
    kinds = ["quoted"] * 40 + ["edge_space"] + ["quoted"] * 10
    path = tmp_path / "edge.csv"
    path.write_bytes(HEADER + _body(kinds) + TAIL)
    t = _read(path, monkeypatch, "polars", 256)
    assert t.chunk_records == len(kinds)
    assert t.frame.filter(pl.col(S.ROW_LINE) == 42).select("Id", "Name").rows() == [("41", "Name 41")]


def test_lines_after_runs_are_numbered_from_the_runs_lines(tmp_path: Path, monkeypatch) -> None:
    # a quoted newline after a run: the scanned records after it count the run's lines too
    kinds = ["plain"] * 50 + ["embedded_newline"] + ["plain"] * 50
    path = tmp_path / "after_run.csv"
    path.write_bytes(HEADER + _body(kinds) + TAIL)
    t = _read(path, monkeypatch, "polars", 100, run=1000)
    assert t.chunk_records > 50
    assert t.frame.filter(pl.col("Id") == "51").select(S.ROW_LINE, S.ROW_END_LINE).rows() == [(52, 53)]
    assert t.frame.filter(pl.col("Id") == "52").select(S.ROW_LINE, S.ROW_END_LINE).rows() == [(54, 54)]
    assert t.lines_in == 1 + 102 + splitting.TAIL_LINES


def test_a_reject_in_a_run_quotes_its_line_from_the_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "quote.csv"
    path.write_bytes(HEADER + _body(["plain"] * 60) + TAIL)
    t = _read(path, monkeypatch, "polars", 4096)
    assert t.chunk_records == 60 and t.line_offsets is None  # the run's lines were never listed
    assert t.raw_line(31, 31) == "30,Name 30,3000,x"
    assert t.line_offsets is not None and t.line_offsets.size == t.lines_in + 1


def test_a_footer_after_runs_is_found_in_the_scanned_tail(tmp_path: Path, monkeypatch) -> None:
    footer = b'\n"Total",,"90000",\n\n"Confidential Information - Do Not Distribute"\n"Copyright (c) 2000-2025 salesforce.com"\n'
    path = tmp_path / "report.csv"
    path.write_bytes(HEADER + _body(["quoted"] * 300) + footer)
    runs, scanned = (_read(path, monkeypatch, mode, 4096) for mode in ("polars", "numpy"))
    assert _outcome(runs) == _outcome(scanned)
    assert runs.chunk_records == 300 - (splitting.TAIL_LINES - 5)
    assert (+runs.skipped, runs.frame.height) == ({"header": 1, "footer": 3, "blank": 2}, 300)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-8-sig"])
def test_runs_of_a_crlf_file_in_another_encoding_read_as_numpy_does(tmp_path: Path, monkeypatch,
                                                                    encoding: str) -> None:
    # transcoded runs (cp1252), a file whose newlines are made LF first (CRLF) and one whose BOM
    # is cut off: the rows, lines and rejects are those of the numpy scan, and quote the file's text
    lines = ['"Id","Name","Amount","Note"'] + [f'"{i}","Müller {i}","{i}00","ä"' for i in range(1, 300)]
    lines[120] = '"120","Müller, narrow"'
    lines[200] = '"200","Müller","1","x","wide"'
    lines[250] = '"250","Gärtner","1",""'
    path = tmp_path / "legacy.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    runs, scanned = (_read(path, monkeypatch, mode, 2048) for mode in ("polars", "numpy"))
    assert _outcome(runs) == _outcome(scanned)
    assert runs.chunk_records > 150 and runs.encoding == encoding  # (the tail and the wide row's chunk scanned)
    assert [(r[S.LINE], r[S.REASON], r[S.RAW]) for r in runs.rejects] == [
        (121, "MISSING_COLUMNS", '"120","Müller, narrow"'), (201, "TOO_MANY_COLUMNS", '"200","Müller","1","x","wide"')]
    assert runs.frame.filter(pl.col(S.ROW_LINE) == 251).select("Name", "Note").rows() == [("Gärtner", None)]
