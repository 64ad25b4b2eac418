"""A delimited file's bytes as numpy and memchr see them: the scan of a chunk (where its records
end, how many fields each has, and the first byte that breaks RFC 4180, told from the positions of
the special bytes alone: quote, newline, delimiter), and the counts and searches the splitter makes
over the whole file (newlines, byte-order marks, the start of its last lines). See
:mod:`toolkit.loaders.splitting` for how the chunks are chosen."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from toolkit.filebytes import Buffer

QUOTE, NEWLINE, SPACE = 34, 10, 32
BOM = b"\xef\xbb\xbf"
#: ASCII whitespace other than the space that can be in a value (CR is gone: newlines are LF).
TAB_LIKE = b"\t\x0b\x0c"
_SPACES = np.frombuffer(TAB_LIKE + b" ", dtype=np.uint8)

#: What whitespace a file's values may have at their edges, as the splitter saw it: ``none``,
#: ``ascii`` (only the ASCII space: a prefix and suffix test tells which values have it) or ``any``
#: (tabs, Unicode spaces: only a regular expression tells).
Spaces = Literal["none", "ascii", "any"]
_SPACE_ORDER: dict[Spaces, int] = {"none": 0, "ascii": 1, "any": 2}


def wider(a: Spaces, b: Spaces) -> Spaces:
    """The kind of whitespace two parts of a file may hold between them."""
    return a if _SPACE_ORDER[a] >= _SPACE_ORDER[b] else b


#: Bytes compared at a time by the whole-buffer counts: bounds their temporary array.
_BLOCK = 1 << 22


def _masks(a: np.ndarray, byte: int) -> Iterator[tuple[int, np.ndarray]]:
    """(offset, where ``byte`` is) for each block of the bytes ``a``, in one reused mask."""
    mask = np.empty(min(a.size, _BLOCK), dtype=bool)
    for at in range(0, a.size, _BLOCK):
        block = a[at:at + _BLOCK]
        m = mask[:block.size]
        np.equal(block, byte, out=m)
        yield at, m


def count_newlines(a: np.ndarray) -> int:
    """How many newlines the bytes ``a`` hold (numpy, block by block into one reused mask)."""
    return sum(int(np.count_nonzero(m)) for _at, m in _masks(a, NEWLINE))


def byte_positions(a: np.ndarray, byte: int = NEWLINE) -> np.ndarray:
    """Offsets (int64) of every ``byte`` (a newline) in the bytes ``a``, found block by block."""
    return np.concatenate([np.zeros(0, dtype=np.int64),
                           *(np.flatnonzero(m).astype(np.int64) + at for at, m in _masks(a, byte))])


def line_starts(newlines: np.ndarray) -> np.ndarray:
    """Offset of each line's first byte, from the offsets of the newlines: 0, then one past each
    newline (so one more than the newlines: after a final newline, the end of the bytes)."""
    starts = np.empty(newlines.size + 1, dtype=np.int64)
    starts[0] = 0
    starts[1:] = newlines + 1
    return starts


def is_ascii(data: Buffer) -> bool:
    """Whether every byte of ``data`` is ASCII (one numpy pass; an empty buffer is)."""
    return not data or int(np.frombuffer(data, dtype=np.uint8).max()) < 0x80


def byte_offsets(data: Buffer, needle: bytes, start: int = 0, stop: int | None = None) -> list[int]:
    """Every offset of ``needle`` in ``data[start:stop]`` (found by memchr-speed search)."""
    stop = len(data) if stop is None else stop
    out = []
    at = data.find(needle, start, stop)
    while at >= 0:
        out.append(at)
        at = data.find(needle, at + 1, stop)
    return out


def bom_offsets(arr: np.ndarray, start: int = 0) -> list[int]:
    """Offsets of every UTF-8 byte-order mark in the bytes ``arr`` from ``start``: its first byte
    is found by numpy (a substring search for three bytes takes a second a gigabyte), then the
    two after it are compared."""
    if arr[start:].size == 0 or int(arr[start:].max()) < BOM[0]:  # (one pass: no byte that high at all)
        return []
    lead = byte_positions(arr[start:], BOM[0]) + start
    lead = lead[lead + 2 < arr.size]
    hit = (arr[lead + 1] == BOM[1]) & (arr[lead + 2] == BOM[2])
    return [int(at) for at in lead[hit]]


def tail_start(data: Buffer, lines: int) -> int:
    """Offset of the first byte of the last ``lines`` lines of ``data`` (0 if it has no more)."""
    at = len(data) - 1 if data[-1:] == b"\n" else len(data)
    for _ in range(lines):
        at = data.rfind(b"\n", 0, at)
        if at < 0:
            return 0
    return at + 1


@dataclass
class Scan:
    """What :func:`fast_scan` found in one chunk."""

    starts: np.ndarray
    ends: np.ndarray
    counts: np.ndarray
    #: First byte breaking RFC 4180, or -1.
    violation: int
    #: Where the complete records end.
    complete: int
    #: Which whitespace may touch a field edge.
    spaces: Spaces
    #: Offsets of every newline in the chunk, quoted ones included.
    newlines: np.ndarray


def fast_scan(arr: np.ndarray, s: int, e: int, delim: int) -> Scan:
    """Split ``arr[s:e]`` (``s`` a record start outside quotes, ``e`` a line boundary).

    Records from the one holding a broken byte on are not returned.
    Works on the positions of the special bytes (quote, newline, delimiter) only: one is inside
    quotes when an odd number of quotes precede it."""
    a = arr[s:e]
    pos = np.flatnonzero((a == QUOTE) | (a == NEWLINE) | (a == delim))
    kind = a[pos]
    is_quote = kind == QUOTE
    inside = (np.cumsum(is_quote, dtype=np.int32) & 1).astype(bool)  # after this byte
    violation = -1
    open_at_end = bool(inside[-1]) if inside.size else False
    newline_at_edge = False  # a quoted newline that opens or ends its value: whitespace to strip
    if is_quote.any():
        # A quote that opens must start a field (or be the second of a doubled pair); one that
        # closes must end the field (or be the first of a doubled pair): the byte before or
        # after it is then another special byte, or the edge of the chunk.
        prev_special = np.ones(pos.size, dtype=bool)
        prev_special[1:] = pos[:-1] == pos[1:] - 1
        prev_special[pos == 0] = True
        next_special = np.ones(pos.size, dtype=bool)
        next_special[:-1] = pos[1:] == pos[:-1] + 1
        next_special[pos == a.size - 1] = True
        bad = is_quote & np.where(inside, ~prev_special, ~next_special)
        if bad.any():
            violation = s + int(pos[int(bad.argmax())])
        newline_at_edge = bool(((kind == NEWLINE) & inside & (prev_special | next_special)).any())
    # Every field edge is next to a special byte or an edge of the chunk (its first byte; its last
    # where the file ends without a newline): a space, a tab or a byte of a non-ASCII character
    # there may be whitespace to strip.
    before = a[np.maximum(pos - 1, 0)]
    after = a[np.minimum(pos + 1, a.size - 1)]
    edge_space = newline_at_edge or bool(a.size and any(b in _SPACES or b >= 0x80 for b in (a[0], a[-1]))) or bool(
        np.isin(before, _SPACES).any() or np.isin(after, _SPACES).any()
        or (before >= 0x80).any() or (after >= 0x80).any())
    spaces: Spaces = "any" if edge_space else "none"
    is_end = (kind == NEWLINE) & ~inside
    ends = pos[is_end]
    if e == arr.size and e > s and a[-1] != NEWLINE:
        if open_at_end:  # the last record's quote is never closed
            if violation < 0:
                violation = s + (int(ends[-1]) + 1 if ends.size else 0)
        else:
            ends = np.concatenate((ends, [e - s]))
    if violation >= 0:
        ends = ends[ends < violation - s]
    complete = min(s + int(ends[-1]) + 1, e) if ends.size else s
    starts = np.empty(ends.size, dtype=np.int64)
    if ends.size:
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
    # The record of a delimiter outside quotes is the number of record ends before it.
    record_of = np.cumsum(is_end, dtype=np.int64)[(kind == delim) & ~inside]
    counts = np.bincount(record_of, minlength=ends.size + 1)[: ends.size] + 1
    newlines = pos[kind == NEWLINE].astype(np.int64) + s
    return Scan(starts + s, ends.astype(np.int64) + s, counts.astype(np.int64), violation, complete, spaces,
                newlines)
