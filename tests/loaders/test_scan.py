"""The numpy scan of a chunk on its own: record ends, field counts, the first broken byte, and
whether whitespace may sit at a field edge."""

from __future__ import annotations

import numpy as np

from toolkit.loaders.scan import (
    bom_offsets,
    byte_offsets,
    byte_positions,
    count_newlines,
    fast_scan,
    is_ascii,
    line_starts,
    tail_start,
    wider,
)


def scan(data: bytes):  # type: ignore[no-untyped-def]
    return fast_scan(np.frombuffer(data, dtype=np.uint8), 0, len(data), ord(","))


def test_records_end_at_newlines_outside_quotes_and_count_their_delimiters() -> None:
    data = b'"1","a,b"\n"2","two\nlines","x"\n3\n'
    s = scan(data)
    assert s.starts.tolist() == [0, 10, 30]
    assert s.ends.tolist() == [9, 29, 31]
    assert s.counts.tolist() == [2, 3, 1]
    assert (s.violation, s.complete) == (-1, len(data))
    assert s.newlines.tolist() == [9, 18, 29, 31]  # the quoted one too


def test_the_first_broken_quote_stops_the_scan_before_its_record() -> None:
    data = b'"1","a"\n"2"x,"b"\n"3","c"\n'
    s = scan(data)
    assert s.violation == 10  # the closing quote with text after it
    assert s.ends.tolist() == [7] and s.complete == 8


def test_whitespace_is_seen_only_next_to_a_field_edge() -> None:
    assert scan(b'"1","a b"\n').spaces == "none"
    assert scan(b'"1"," a"\n').spaces == "any"
    assert scan(b'"1","a"\n2,b ').spaces == "any"  # the end of a file without a final newline
    assert scan(b'"1","a\n"\n').spaces == "any"  # a quoted newline ending its value


def test_the_wider_kind_of_whitespace_wins() -> None:
    assert (wider("none", "ascii"), wider("any", "ascii"), wider("none", "none")) == ("ascii", "any", "none")


def test_byte_offsets_finds_every_occurrence() -> None:
    assert byte_offsets(b"a\x00b\x00\x00", b"\x00") == [1, 3, 4]
    assert byte_offsets(b"\xef\xbb\xbfx\xef\xbb\xbf", b"\xef\xbb\xbf", 1) == [4]


def test_newlines_and_other_bytes_are_counted_and_found_across_blocks(monkeypatch) -> None:
    from toolkit.loaders import scan as scan_module
    data = np.frombuffer(b"a\nbb\n\nccc\nd", dtype=np.uint8)
    monkeypatch.setattr(scan_module, "_BLOCK", 3)  # blocks end inside and between the lines
    assert count_newlines(data) == 4
    assert byte_positions(data).tolist() == [1, 4, 5, 9]
    assert byte_positions(data, ord("c")).tolist() == [6, 7, 8]
    assert (count_newlines(data[:0]), byte_positions(data[:0]).tolist()) == (0, [])


def test_lines_start_at_zero_and_one_past_each_newline() -> None:
    data = np.frombuffer(b"a\nbb\n\nccc", dtype=np.uint8)
    assert line_starts(byte_positions(data)).tolist() == [0, 2, 5, 6]
    assert line_starts(byte_positions(data[:6])).tolist() == [0, 2, 5, 6]  # after a final newline: the end
    assert line_starts(byte_positions(data[:0])).tolist() == [0]


def test_the_tail_starts_at_the_last_lines() -> None:
    assert tail_start(b"a\nb\nc\n", 1) == 4
    assert tail_start(b"a\nb\nc\n", 2) == 2
    assert tail_start(b"a\nb\nc", 1) == 4  # no final newline
    assert tail_start(b"a\nb\nc\n", 5) == 0


def test_byte_order_marks_are_found_by_their_first_byte() -> None:
    data = "x\ufeffy\u00ef\u00bb\ufeff".encode()
    at = [i for i in range(len(data)) if data[i:i + 3] == b"\xef\xbb\xbf"]
    assert bom_offsets(np.frombuffer(data, dtype=np.uint8)) == at == [1, 9]
    assert bom_offsets(np.frombuffer(data, dtype=np.uint8), 2) == [9]


def test_ascii_is_every_byte_below_0x80() -> None:
    assert is_ascii(b"") and is_ascii(b"Id,Name\n1,a\x7f\n")
    assert not is_ascii("Zoë".encode()) and not is_ascii(b"a\x80")
