"""The record splitters agree: polars taking whole chunks gives exactly what numpy's scan gives
(rows, line numbers, rejects, repairs, skips, line count) on files that mix good rows with every
kind of defect, wherever the chunk edges fall; and the careful splitter agrees with both on the
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
    "narrow": b'{i},Name {i}\n',
    "wide": b'{i},Name {i},{i}00,x,extra\n',
    "trailing_delimiter": b'{i},Name {i},{i}00,x,\n',
    "blank": b"\n",
    "delimiters_only": b",,,\n",
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


def _body(kinds: list[str]) -> bytes:
    return b"".join(KINDS[k].replace(b"{i}", str(i + 1).encode()) for i, k in enumerate(kinds))


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, chunk: int) -> reading.RawTable:
    with monkeypatch.context() as m:
        m.setattr(reading, "FAST_SPLIT", mode != "careful")
        m.setattr(reading, "EXPRESS", mode == "polars")
        m.setattr(splitting, "CHUNK_BYTES", chunk)
        table = read_delimited(path)
    check_ledger(table)
    return table


def _outcome(t: reading.RawTable) -> tuple:
    rejects = [(r[S.LINE], r[S.END_LINE], r[S.RAW], r[S.REASON]) for r in t.rejects]
    repairs = [(r[S.LINE], r[S.REASON]) for r in t.repairs]
    return t.header, t.frame.rows(), rejects, repairs, +t.skipped, t.lines_in


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kinds=st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=40),
       chunk=st.integers(min_value=16, max_value=160))
def test_polars_chunks_give_what_numpy_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             kinds: list[str], chunk: int) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(HEADER + _body(kinds))
    assert _outcome(_read(path, monkeypatch, "polars", chunk)) == _outcome(_read(path, monkeypatch, "numpy", chunk))


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kinds=st.lists(st.sampled_from(GOOD), min_size=1, max_size=40), chunk=st.integers(min_value=16, max_value=160))
def test_the_careful_splitter_agrees_on_good_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   kinds: list[str], chunk: int) -> None:
    path = tmp_path / "good.csv"
    path.write_bytes(HEADER + _body(kinds))
    polars_read = _read(path, monkeypatch, "polars", chunk)
    assert _outcome(polars_read) == _outcome(_read(path, monkeypatch, "careful", chunk))
    assert polars_read.frame.height == len(kinds)


def test_polars_takes_every_chunk_after_the_first_of_a_clean_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "clean.csv"
    data = HEADER + _body(["quoted", "plain", "comma_in_quotes", "doubled_quote"] * 50)
    path.write_bytes(data)
    t = _read(path, monkeypatch, "polars", 256)
    assert (t.careful_records, t.frame.height, t.lines_in) == (0, 200, 201)
    # numpy splits the first chunk (the header and the lines that end within its 256 bytes)
    assert t.chunk_records == 200 - (data[:256].count(b"\n") - 1)
    assert t.frame.row(58, named=True) == {"Id": "59", "Name": "Smith, J", "Amount": "5900", "Note": "x",
                                           S.ROW_LINE: 60, S.ROW_END_LINE: 60}
    assert t.frame.row(59, named=True)["Name"] == 'Say "hi"'


def test_a_narrow_row_in_a_polars_chunk_is_counted_on_its_own(tmp_path: Path, monkeypatch) -> None:
    # polars pads the narrow row with nulls: only its null last field makes it looked at again
    kinds = ["plain"] * 30 + ["narrow"] + ["empty_last"] + ["plain"] * 30
    path = tmp_path / "narrow.csv"
    path.write_bytes(HEADER + _body(kinds))
    t = _read(path, monkeypatch, "polars", 200)
    assert t.chunk_records > 31
    assert [(r[S.LINE], r[S.REASON]) for r in t.rejects] == [(32, "MISSING_COLUMNS")]
    assert t.frame.filter(pl.col("Id") == "32").select("Note", S.ROW_LINE).rows() == [(None, 33)]


def test_a_chunk_polars_refuses_goes_to_numpy_alone(tmp_path: Path, monkeypatch) -> None:
    kinds = ["plain"] * 40 + ["text_after_quote"] + ["plain"] * 40
    path = tmp_path / "one_defect.csv"
    path.write_bytes(HEADER + _body(kinds))
    t = _read(path, monkeypatch, "polars", 120)
    assert [(r[S.LINE], r[S.REASON]) for r in t.rejects] == [(42, "TEXT_AFTER_QUOTE")]
    assert t.careful_records == 1
    # every chunk but the first and the one holding line 42 went to polars
    per_chunk = 120 // len(KINDS["plain"].replace(b"{i}", b"10"))
    assert t.chunk_records >= 80 - 3 * per_chunk
    assert np.array_equal(t.frame[S.ROW_LINE].to_numpy(), np.r_[2:42, 43:83])


@pytest.mark.parametrize(("inside", "spaces"), [(b"Name_{i}", "none"), (b"Name {i}", "ascii"), (b"Name\t{i}", "any"),
                                                ("Name\u00a0{i}".encode(), "any")],
                         ids=["no_space", "space", "tab", "nbsp"])
def test_polars_chunks_tell_which_whitespace_their_values_may_hold(monkeypatch, inside: bytes, spaces: str) -> None:
    # the first chunk goes to numpy, which sees no space at a field edge; the others to polars,
    # which tells only what whitespace the chunk holds anywhere
    line = b'"{i}","' + inside + b'","{i}00","x"\n'
    data = HEADER + b"".join(line.replace(b"{i}", str(i).encode()) for i in range(1, 60))
    monkeypatch.setattr(splitting, "CHUNK_BYTES", 256)
    records = splitting.split_records(data, ",", "utf-8", [])
    assert records.parsed
    assert records.spaces == spaces


def test_a_space_at_an_edge_in_a_polars_chunk_is_stripped(tmp_path: Path, monkeypatch) -> None:
    kinds = ["quoted"] * 40 + ["edge_space"] + ["quoted"] * 10
    path = tmp_path / "edge.csv"
    path.write_bytes(HEADER + _body(kinds))
    t = _read(path, monkeypatch, "polars", 256)
    assert t.chunk_records > 41
    assert t.frame.filter(pl.col(S.ROW_LINE) == 42).select("Id", "Name").rows() == [("41", "Name 41")]


@pytest.mark.parametrize(("data", "last"), [(b'"Id","Name"\n"1","a"\n2,b ', "b"), (b'"Id","Name"\n"1","a"\n2,b\t', "b"),
                                           (b'"Id","Name"\n"1","a\n"\n', "a"), (b'"Id","Name"\n"1","\nb"\n', "b")],
                         ids=["space_at_the_end_of_a_file", "tab_at_the_end_of_a_file", "quoted_newline_last",
                              "quoted_newline_first"])
def test_whitespace_where_no_delimiter_is_next_to_it_is_still_stripped(tmp_path: Path, monkeypatch, data: bytes,
                                                                        last: str) -> None:
    # the end of a file without a final newline, a quoted newline ending or opening a value:
    # each reads as the careful splitter reads it, stripped
    path = tmp_path / "edges.csv"
    path.write_bytes(data)
    fast, careful = (_read(path, monkeypatch, mode, 4096) for mode in ("numpy", "careful"))
    assert _outcome(fast) == _outcome(careful)
    assert fast.frame["Name"].to_list()[-1] == last
