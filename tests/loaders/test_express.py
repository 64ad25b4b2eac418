"""The run path's own checks: which whitespace a run holds, how many fields and whether blank a
line polars padded is, the text of a run's lines."""

from __future__ import annotations

import csv

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import toolkit.loaders.express as express
from toolkit.loaders.express import Run, blank_lines, field_counts, has_unicode_space, line_texts


@pytest.mark.parametrize(("text", "found"), [
    ("plain ascii", False), ("Zoë, Müller, ½ £5 – it’s…", False), ("a\u00a0b", True), ("a\u0085", True),
    ("\u1680", True), ("x\u2000", True), ("\u200a", True), ("\u200b", False), ("\u2028", True), ("\u2029", True),
    ("\u202f", True), ("\u205f", True), ("\u3000", True), ("\u3001", False), ("end\u00c2", False)])
def test_unicode_spaces_are_found_in_utf8_bytes(text: str, found: bool) -> None:
    assert has_unicode_space(text.encode()) is found
    # the same answer as polars' own: a character beyond ASCII that strip_chars strips away
    stripped = pl.Series([c for c in text if ord(c) >= 0x80], dtype=pl.String).str.strip_chars()
    assert bool((stripped == "").any()) is found


@settings(max_examples=400, deadline=None, derandomize=True)
@given(text=st.text(alphabet='ab," \n\t\u00a0', max_size=40), delimiter=st.sampled_from([",", ";"]),
       probe=st.integers(0, 8))
def test_a_space_at_an_edge_found_in_a_runs_head_is_what_the_whole_scan_finds(text: str, delimiter: str,
                                                                              probe: int) -> None:
    chunk = text.encode()
    ascii_only = chunk.isascii()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(express, "_EDGE_PROBE_BYTES", 0)  # no head search: every space is found and looked at
        whole = express._spaces_in(chunk, delimiter, ascii_only)
        mp.setattr(express, "_EDGE_PROBE_BYTES", probe)
        assert express._spaces_in(chunk, delimiter, ascii_only) == whole


def test_which_whitespace_a_run_may_hold_at_its_values_edges() -> None:
    spaces = express._spaces_in
    assert spaces(b'"Closed Won","x"\n', ",", True) == "none"  # a space inside a value only
    assert spaces(b'"Closed Won"," x"\n', ",", True) == "ascii"  # after a quote
    assert spaces(b"a, b\n", ",", True) == "ascii" and spaces(b"a ;b\n", ";", True) == "ascii"
    assert spaces(b"a,b\tc\n", ",", True) == "any"  # a tab anywhere
    assert spaces("a,b\u00a0c\n".encode(), ",", False) == "any"  # a Unicode space anywhere


def _csv_count(line: str, delimiter: str) -> int:
    return max(1, len(next(csv.reader([line], delimiter=delimiter), [])))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(line=st.text(alphabet='a,;|" é\t', max_size=24), delimiter=st.sampled_from([",", ";", "\t", "|"]))
def test_field_counts_agree_with_csv_on_every_line_polars_accepts(line: str, delimiter: str) -> None:
    try:
        pl.read_csv((line + "\n").encode(), has_header=False, separator=delimiter,
                    schema={f"c{k}": pl.String for k in range(30)}, truncate_ragged_lines=False)
    except pl.exceptions.PolarsError:
        return  # polars refuses it: such a line never reaches a run
    assert field_counts(pl.Series([line]), delimiter).to_list() == [_csv_count(line, delimiter)]


def test_field_counts_of_quoted_fields_empty_lines_and_doubled_quotes() -> None:
    lines = pl.Series(['"a,b",c', "", '"x""y,z",', 'a"b,c', ',"",', '"only"'])
    assert field_counts(lines, ",").to_list() == [2, 1, 2, 2, 3, 1]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(line=st.text(alphabet='a," \t\u00a0', max_size=12))
def test_blank_lines_are_those_of_spaces_tabs_quotes_and_delimiters_only(line: str) -> None:
    assert blank_lines(pl.Series([line]), ",").to_list() == [not line.encode().translate(None, b' \t",')]


def test_line_texts_takes_the_named_lines_without_their_newlines() -> None:
    chunk = "a,b\nZoë,c\n\nlast,x\n".encode()
    assert line_texts(chunk, np.array([3, 1, 2])).to_list() == ["last,x", "Zoë,c", ""]
    assert Run(10, 10 + len(chunk), pl.DataFrame({"c0": ["a", "Zoë", None, "last"]})).line_span(
        b"0123456789" + chunk, 3) == (10 + chunk.index(b"last"), 10 + len(chunk) - 1)
