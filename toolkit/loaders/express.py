"""Runs: pieces of a file that polars' CSV reader (Rust, strict about quotes) parses whole. A piece
it parses into exactly one row per line is taken as parsed, once the rows it cannot vouch for are
looked at from their raw lines: a row whose last field is empty or blank may be narrower than the
rest (polars pads it with nulls) or a blank line. A piece it refuses (a broken quote, a wider row,
a byte that does not decode) or parses into fewer rows than lines (a quoted newline) goes to the
numpy scan instead.

A run keeps no per-line arrays: its rows are its lines, in order, and the offsets of its lines
are found again only for a row a reject quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa

from toolkit.filebytes import Buffer
from toolkit.loaders.careful import MAX_RECORD_BYTES
from toolkit.loaders.scan import (
    NEWLINE,
    QUOTE,
    SPACE,
    TAB_LIKE,
    Spaces,
    byte_positions,
    count_newlines,
    line_starts,
)

#: Unicode whitespace other than ASCII (what polars' strip_chars strips), as UTF-8 bytes: U+0085,
#: U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
_UNICODE_SPACES = tuple(chr(c).encode() for c in (0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
                                                 0x202F, 0x205F, 0x3000))
#: Those spaces as integers of their 2 or 3 bytes, by length.
_SPACE_CODES = {n: np.array([int.from_bytes(b, "big") for b in _UNICODE_SPACES if len(b) == n]) for n in (2, 3)}
#: Their first bytes.
_SPACE_LEADS = tuple(sorted({b[:1] for b in _UNICODE_SPACES}))


@dataclass
class Run:
    """Lines of a file that polars parsed into one row each: ``frame`` (columns c0..c{w-1} as
    text, empty fields null) holds the row of each line of ``data[start:end]``, in order."""

    start: int
    end: int
    frame: pl.DataFrame
    #: Rows whose field count is not the frame's width (narrower: polars padded them), by row.
    counts: dict[int, int] = field(default_factory=dict)
    #: Rows that are blank lines (nothing but spaces, quotes and delimiters).
    blank: list[int] = field(default_factory=list)
    spaces: Spaces = "any"
    #: Scanned records before the run (set by the splitter) and the line of its first row.
    after: int = 0
    line: int = 0
    _line_starts: np.ndarray | None = None

    @property
    def rows(self) -> int:
        return self.frame.height

    def line_span(self, data: Buffer, row: int) -> tuple[int, int]:
        """Byte offsets of a row's line in ``data`` (its newline excluded)."""
        if self._line_starts is None:
            self._line_starts = line_starts_in(data, self.start, self.end)
        s = int(self._line_starts[row])
        e = int(self._line_starts[row + 1]) - 1 if row + 1 < self._line_starts.size else self.end - 1
        return s, e


def line_starts_in(data: Buffer, s: int, e: int) -> np.ndarray:
    """Offsets of the first byte of each line of ``data[s:e]`` (whole lines)."""
    return line_starts(byte_positions(np.frombuffer(data, dtype=np.uint8)[s:e]))[:-1] + s


def has_unicode_space(chunk: bytes) -> bool:
    """Whether the UTF-8 bytes ``chunk`` hold one of :data:`_UNICODE_SPACES`. Their first bytes are
    rare in text (accented Latin letters lead with others): memchr rules most chunks out, and numpy
    compares the bytes after each lead found with the spaces', at numpy's speed rather than a
    regular expression's."""
    if not any(chunk.find(lead) >= 0 for lead in _SPACE_LEADS):
        return False
    u = np.frombuffer(chunk, dtype=np.uint8)
    is_lead = np.zeros(u.size, dtype=bool)
    for b in _SPACE_LEADS:
        is_lead |= u == b[0]
    lead = np.flatnonzero(is_lead)

    def byte(k: int) -> np.ndarray:  # the k-th byte from each lead, 0 past the end
        return np.where(lead + k < u.size, u[np.minimum(lead + k, u.size - 1)], 0).astype(np.int32)

    code = (byte(0) << 16) | (byte(1) << 8) | byte(2)
    return bool(np.isin(code, _SPACE_CODES[3]).any() or np.isin(code >> 8, _SPACE_CODES[2]).any())


#: Bytes at the head of a run searched for a space at a value's edge before every space is found.
_EDGE_PROBE_BYTES = 1 << 16


def _spaces_in(chunk: bytes, delimiter: str, ascii_only: bool) -> Spaces:
    """Which whitespace the values of ``chunk`` (UTF-8 lines; ``ascii_only``: the file has no byte
    past ASCII) may have at an edge: ``any`` where it holds a tab-like byte or a Unicode space
    anywhere, ``ascii`` where a space touches a delimiter, a quote or a line's edge (a value's edge
    is next to one of those), else ``none``. Told by memchr and numpy over the bytes; which values
    have it is told later, from the parsed values."""
    if any(chunk.find(bytes((ch,))) >= 0 for ch in TAB_LIKE):
        return "any"
    u = np.frombuffer(chunk, dtype=np.uint8)
    if not ascii_only and has_unicode_space(chunk):
        return "any"
    edges = np.array([NEWLINE, QUOTE, ord(delimiter)], dtype=np.uint8)
    # Text with spaces beside quotes or delimiters ("Closed Won", "a, b") shows one early: its
    # head tells at memchr speed, where finding every space (one every few words) takes a pass.
    head = chunk[:_EDGE_PROBE_BYTES]
    if any(pair in head for e in edges.tobytes() for pair in (bytes((SPACE, e)), bytes((e, SPACE)))):
        return "ascii"
    at = byte_positions(u, SPACE)
    if not at.size:
        return "none"
    edge = (np.isin(u[np.maximum(at - 1, 0)], edges) | np.isin(u[np.minimum(at + 1, u.size - 1)], edges)
            | (at == 0) | (at == u.size - 1))
    return "ascii" if edge.any() else "none"


def parse_chunk(data: Buffer, s: int, e: int, delimiter: str, encoding: str,
                width: int) -> tuple[bytes, pl.DataFrame] | None:
    """``data[s:e]`` (as UTF-8) and polars' frame of it, or None where polars refuses it (a broken
    quote, a wider row) or it does not decode."""
    chunk = data[s:e]
    if encoding != "utf-8":
        try:
            chunk = chunk.decode(encoding).encode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        frame = pl.read_csv(chunk, has_header=False, separator=delimiter, quote_char='"',
                            schema={f"c{k}": pl.String for k in range(width)}, truncate_ragged_lines=False,
                            null_values=[""], raise_if_empty=False)
    except pl.exceptions.PolarsError:
        return None
    return chunk, frame


def line_texts(chunk: bytes, rows: np.ndarray) -> pl.Series:
    """The text of lines ``rows`` of ``chunk`` (UTF-8, whole lines), without their newlines."""
    offsets = line_starts(byte_positions(np.frombuffer(chunk, dtype=np.uint8)))
    lines = pa.Array.from_buffers(pa.large_string(), offsets.size - 1,
                                  [None, pa.py_buffer(offsets), pa.py_buffer(chunk)])
    taken = pl.Series(lines.take(pa.array(rows, type=pa.int64())))
    return taken.str.strip_suffix("\n")


def field_counts(lines: pl.Series, delimiter: str) -> pl.Series:
    """Fields in each line, as Python's csv splits a line polars accepted: the delimiters outside
    the quoted fields, plus one (an empty line has one field). A quote opens a field only at its
    start; elsewhere it is text, as it is to csv."""
    d = re.escape(delimiter)
    quoted = rf'(^|{d})"(?:[^"]|"")*"'
    return lines.str.replace_all(quoted, "${1}").str.count_matches(delimiter, literal=True) + 1


def blank_lines(lines: pl.Series, delimiter: str) -> pl.Series:
    """Whether each line holds nothing but spaces, tabs, quotes and delimiters (an empty
    spreadsheet row)."""
    return lines.str.replace_all(rf'[ \t"{re.escape(delimiter)}]', "").str.len_bytes() == 0


def take_run(arr: np.ndarray, s: int, e: int, delimiter: str, parsed: tuple[bytes, pl.DataFrame] | None, *,
             ascii_only: bool = False) -> Run | None:
    """The run of ``data[s:e]`` (whole lines, ``s`` a record start) as polars parsed it
    (``parsed``, from :func:`parse_chunk`), or None where polars refused it, a record spans lines
    or a line may be longer than a record may be, so the numpy scan must look."""
    if parsed is None:
        return None
    chunk, frame = parsed
    if frame.height != count_newlines(arr[s:e]):
        return None
    width = frame.width
    # A line can be no longer than its fields, twice over (doubled quotes), with their quotes and
    # delimiters: only where that bound passes the limit may one be too long.
    longest = frame.select(pl.col(c).str.len_bytes().max() for c in frame.columns).row(0)
    if sum(2 * (m or 0) + 3 for m in longest) > MAX_RECORD_BYTES:
        return None
    # Polars pads a narrower row with nulls, and a blank line has nothing but blanks: only a row
    # whose last field is empty or blank may be either.
    last = pl.col(f"c{width - 1}")
    blankish = rf'^[ \t"{re.escape(delimiter)}]*$'
    unsure = np.flatnonzero(frame.select(last.is_null() | last.str.contains(blankish)).to_series().to_numpy())
    run = Run(s, e, frame, spaces=_spaces_in(chunk, delimiter, ascii_only))
    if unsure.size:
        lines = line_texts(chunk, unsure)
        counts = field_counts(lines, delimiter).to_numpy()
        blank = blank_lines(lines, delimiter).to_numpy()
        run.blank = unsure[blank].tolist()
        narrow = ~blank & (counts != width)
        run.counts = dict(zip(unsure[narrow].tolist(), counts[narrow].tolist(), strict=True))
    return run


__all__ = ["Run", "blank_lines", "field_counts", "has_unicode_space", "line_starts_in", "line_texts", "parse_chunk",
           "take_run"]
