"""The careful splitter on its own: one record at a time, with Python's csv in strict mode."""

from __future__ import annotations

from toolkit import schema as S
from toolkit.loaders.careful import MAX_RECORD_BYTES, careful_record


def test_a_quoted_newline_makes_one_record_of_two_lines() -> None:
    data = b'"1","two\nlines"\n"2","x"\n'
    assert careful_record(data, 0, ",", "utf-8", []) == (0, 15, ["1", "two\nlines"], None, 16)
    assert careful_record(data, 16, ",", "utf-8", []) == (16, 23, ["2", "x"], None, 24)


def test_a_broken_quote_rejects_its_first_line_only() -> None:
    data = b'"1"x,"a"\n"2","b"\n'
    start, end, fields, problem, after = careful_record(data, 0, ",", "utf-8", [])
    assert (start, end, fields, after) == (0, 8, None, 9)
    assert problem is not None and problem[0] == S.Reason.TEXT_AFTER_QUOTE
    # a quote never closed: the first line is the reject, the next line is read on its own
    start, end, fields, problem, after = careful_record(b'"1","open\n2,b\n', 0, ",", "utf-8", [])
    assert (end, fields, after) == (9, None, 10)
    assert problem is not None and problem[0] == S.Reason.UNTERMINATED_QUOTE


def test_a_byte_that_does_not_decode_keeps_its_record_out() -> None:
    data = b'"1","M\xfcller"\n'
    start, end, fields, problem, after = careful_record(data, 0, ",", "utf-8", [6])
    assert (end, fields) == (12, None)
    assert problem is not None and problem[0] == S.Reason.INVALID_ENCODING


def test_a_byte_order_mark_opening_a_record_is_kept_on_its_first_field() -> None:
    # (two exports joined: the assembler removes the mark and records the repair)
    assert careful_record(b'\xef\xbb\xbf"1","a"\n', 0, ",", "utf-8", [])[2] == ["\ufeff1", "a"]


def test_a_record_over_the_limit_is_rejected_by_length() -> None:
    data = b'"' + b"x" * (MAX_RECORD_BYTES + 1) + b'"\n"2"\n'
    start, end, fields, problem, after = careful_record(data, 0, ",", "utf-8", [])
    assert (end, fields, after) == (MAX_RECORD_BYTES + 3, None, MAX_RECORD_BYTES + 4)
    assert problem is not None and problem[0] == S.Reason.LINE_TOO_LONG
