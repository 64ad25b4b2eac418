"""Whole chunks taken by polars' CSV reader (Rust, strict about quotes): a chunk it parses into
exactly one row per line has its records taken with the parsed frame, once the field counts it
cannot see (a narrower row leaves its last field null) are checked on those rows alone. A chunk it
refuses, or parses into fewer rows than lines (a quoted newline), goes to the numpy scan."""

from __future__ import annotations

import csv

import numpy as np
import polars as pl

from toolkit.filebytes import Buffer
from toolkit.loaders.scan import NEWLINE, TAB_LIKE, Scan, Spaces, fast_scan

#: Unicode whitespace other than ASCII (what polars' strip_chars strips), as UTF-8 bytes: U+0085,
#: U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
_UNICODE_SPACES = tuple(chr(c).encode() for c in (0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
                                                 0x202F, 0x205F, 0x3000))
#: Those spaces as integers of their 2 or 3 bytes, by length.
_SPACE_CODES = {n: np.array([int.from_bytes(b, "big") for b in _UNICODE_SPACES if len(b) == n]) for n in (2, 3)}
#: A chunk polars parsed whose last column is null on more than this share of its rows has its
#: field counts taken by the numpy pass (checking each such row on its own would cost more).
_EXPRESS_CHECK_SHARE = 0.01


def has_unicode_space(u: np.ndarray) -> bool:
    """Whether the UTF-8 bytes ``u`` hold one of :data:`_UNICODE_SPACES`. Their first bytes are
    rare in text (accented letters start otherwise): numpy finds those and compares the bytes after
    them with the spaces', at numpy's speed rather than a regular expression's."""
    lead = np.flatnonzero((u == 0xC2) | (u == 0xE1) | (u == 0xE2) | (u == 0xE3))
    if not lead.size:
        return False

    def byte(k: int) -> np.ndarray:  # the k-th byte from each lead, 0 past the end
        return np.where(lead + k < u.size, u[np.minimum(lead + k, u.size - 1)], 0).astype(np.int32)

    code = (byte(0) << 16) | (byte(1) << 8) | byte(2)
    return bool(np.isin(code, _SPACE_CODES[3]).any() or np.isin(code >> 8, _SPACE_CODES[2]).any())


def _spaces_in(chunk: bytes, ascii_only: bool) -> Spaces:
    """Which whitespace ``chunk`` (UTF-8; ``ascii_only``: the file has no byte past ASCII) holds
    anywhere, told by memchr and numpy over the bytes; which values have it at an edge is told
    later, from the parsed values."""
    if any(chunk.find(bytes((ch,))) >= 0 for ch in TAB_LIKE):
        return "any"
    if not ascii_only and has_unicode_space(np.frombuffer(chunk, dtype=np.uint8)):
        return "any"
    return "ascii" if chunk.find(b" ") >= 0 else "none"


def _field_count(line: bytes, delimiter: str, encoding: str) -> int:
    """Fields in one record of one line whose quotes polars accepted (an empty line has one)."""
    return max(1, len(next(csv.reader([line.decode(encoding, "replace")], delimiter=delimiter), [])))


def parse_chunk(data: Buffer, s: int, e: int, delimiter: str, encoding: str,
                width: int) -> tuple[bytes, pl.DataFrame] | None:
    """``data[s:e]`` (as UTF-8) and polars' frame of it, or None where polars refuses it (a broken
    quote, a wider row) or it does not decode. Runs on a thread beside the checks of the chunk
    before: polars lets go of the GIL while it parses."""
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


def express_chunk(arr: np.ndarray, data: Buffer, s: int, e: int, delimiter: str, encoding: str,
                  parsed: tuple[bytes, pl.DataFrame] | None, *,
                  ascii_only: bool = False) -> tuple[Scan, pl.DataFrame] | None:
    """The records of ``data[s:e]`` (whole lines, ``s`` a record start) as polars parsed them
    (``parsed``, from :func:`parse_chunk`), or None where polars refused them or a record spans
    lines, so the numpy pass must look.

    Polars pads a narrower row with nulls and fails on a wider one or a broken quote; a row whose
    last field is null is counted on its own (or, when many are, by the numpy pass), so every
    count is exact."""
    if parsed is None:
        return None
    chunk, frame = parsed
    width = frame.width
    a = arr[s:e]
    newlines = np.flatnonzero(a == NEWLINE).astype(np.int64) + s
    if frame.height != newlines.size:
        return None
    starts = np.empty(newlines.size, dtype=np.int64)
    starts[:1] = s
    starts[1:] = newlines[:-1] + 1
    counts = np.full(newlines.size, width, dtype=np.int64)
    unsure = np.flatnonzero(frame.get_column(f"c{width - 1}").is_null().to_numpy())
    if unsure.size > max(16, _EXPRESS_CHECK_SHARE * frame.height):
        scan = fast_scan(arr, s, e, ord(delimiter))
        if scan.violation >= 0 or scan.complete != e or scan.starts.size != frame.height:
            return None
        counts = scan.counts
    else:
        for i in unsure.tolist():
            counts[i] = _field_count(data[int(starts[i]):int(newlines[i])], delimiter, encoding)
    return Scan(starts, newlines, counts, -1, e, _spaces_in(chunk, ascii_only), newlines), frame
