"""Splitting a delimited file's bytes into records, fast where the bytes allow and carefully where
they do not.

The fast splitter works on the bytes with numpy, one chunk at a time: the quote state after each
byte is a running XOR of the quotes (RFC 4180's doubled quote flips it twice), so record ends are
the newlines outside quotes and a record's field count is one more than its delimiters outside
quotes. The same pass finds every byte where RFC 4180 is broken: a quote opening in the middle of
a field, text after a closing quote, a quote never closed. Only the record holding such a byte (or
a byte that does not decode, a NUL, a byte-order mark in the middle of the file) goes to the
careful splitter, Python's ``csv`` in strict mode, which splits that record on its own, rejects
only its first line where its quotes are broken, and hands back to the fast splitter at the next
line boundary. So one bad byte costs a few lines of Python, not the whole file.

Before numpy looks at a chunk, polars' CSV reader (Rust, strict about quotes) is given it whole
(on threads, two chunks ahead of the checks: a parse of one chunk keeps about one core busy, so
two parses and the checks share the cores):
where it parses the chunk into exactly one row per line, every field count it cannot see (a row
narrower than the rest leaves its last field null) is checked on those rows alone, and the chunk's
records are taken with the parsed frame, so the bytes are split once and never scanned by numpy.
A chunk polars refuses (a broken quote, a wider row) or parses into fewer rows than lines (a
quoted newline) goes through the numpy pass above instead, so a defect costs its chunk, not the
file.

One module each: the numpy scan (:mod:`~toolkit.loaders.scan`), polars' chunks
(:mod:`~toolkit.loaders.express`), the careful splitter (:mod:`~toolkit.loaders.careful`); this one
chooses, chunk by chunk, which of them splits what.

Elsewhere fields are not cut here: the assembler in :mod:`toolkit.loaders.reading` hands runs of
good fast records to polars' CSV reader, and takes the careful records' fields as they are.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from toolkit import schema as S
from toolkit.filebytes import Buffer, let_go
from toolkit.loaders.careful import BOM, allow_long_fields, careful_record
from toolkit.loaders.express import express_chunk, parse_chunk
from toolkit.loaders.scan import NEWLINE, Spaces, byte_offsets, fast_scan, wider

#: Bytes scanned by numpy at a time: bounds the temporary arrays (a few times this size).
CHUNK_BYTES = 1 << 23
#: After this many chunks in a row that polars could not take, the rest of the file goes to numpy
#: directly (a file full of quoted newlines would otherwise be parsed twice).
_EXPRESS_GIVE_UP = 3
#: Chunks parsed ahead of the one at hand, each on a thread of its own.
PARSE_AHEAD = 2

@dataclass
class Records:
    """The records of a file, in order: byte spans, field counts, and what was wrong."""

    starts: np.ndarray  # int64: offset of the record's first byte
    ends: np.ndarray  # int64: offset just past its last byte (its newline excluded)
    counts: np.ndarray  # int64: fields in the record
    careful: np.ndarray  # bool: split by the careful splitter (its fields are in ``fields``)
    fields: dict[int, list[str]] = field(default_factory=dict)
    problems: dict[int, tuple[S.Reason, str]] = field(default_factory=dict)
    #: Which whitespace a fast record's values may have at their edges: ``none`` lets the reader skip
    #: stripping, ``ascii`` lets it find the values to strip by a prefix and suffix test.
    spaces: Spaces = "any"
    #: Offset of every physical line's first byte (plus len(data) after a final newline).
    line_starts: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    #: Chunks polars already parsed: (index of the chunk's first record, its frame, one row per
    #: record, columns c0..c{n-1} as text, empty fields null).
    parsed: list[tuple[int, pl.DataFrame]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return int(self.starts.size)


@dataclass
class _Parts:
    """Records as they are found, before they are joined into one :class:`Records`."""

    starts: list[np.ndarray] = field(default_factory=list)
    ends: list[np.ndarray] = field(default_factory=list)
    counts: list[np.ndarray] = field(default_factory=list)
    careful: list[np.ndarray] = field(default_factory=list)
    fields: dict[int, list[str]] = field(default_factory=dict)
    problems: dict[int, tuple[S.Reason, str]] = field(default_factory=dict)
    n: int = 0
    spaces: Spaces = "none"
    newlines: list[np.ndarray] = field(default_factory=list)
    #: Bytes before this offset have their newlines in ``newlines``.
    newlines_until: int = 0
    parsed: list[tuple[int, pl.DataFrame]] = field(default_factory=list)

    def add_newlines(self, arr: np.ndarray, until: int, found: np.ndarray | None = None) -> None:
        """Record the newlines between ``newlines_until`` and ``until`` (``found``: the newline
        offsets of a scan that covered them, when one did)."""
        s = self.newlines_until
        if until <= s:
            return
        if found is None:
            found = np.flatnonzero(arr[s:until] == NEWLINE).astype(np.int64) + s
        else:
            found = found[(found >= s) & (found < until)]
        self.newlines.append(found)
        self.newlines_until = until

    def add_fast(self, starts: np.ndarray, ends: np.ndarray, counts: np.ndarray) -> None:
        self.starts.append(starts)
        self.ends.append(ends)
        self.counts.append(counts)
        self.careful.append(np.zeros(starts.size, dtype=bool))
        self.n += starts.size

    def add_parsed(self, starts: np.ndarray, ends: np.ndarray, counts: np.ndarray, frame: pl.DataFrame) -> None:
        self.parsed.append((self.n, frame))
        self.add_fast(starts, ends, counts)

    def add_careful(self, start: int, end: int, fields: list[str] | None,
                    problem: tuple[S.Reason, str] | None) -> None:
        self.starts.append(np.array([start], dtype=np.int64))
        self.ends.append(np.array([end], dtype=np.int64))
        self.counts.append(np.array([len(fields) if fields is not None else 0], dtype=np.int64))
        self.careful.append(np.ones(1, dtype=bool))
        if fields is not None:
            self.fields[self.n] = fields
        if problem is not None:
            self.problems[self.n] = problem
        self.n += 1

    def join(self, arr: np.ndarray) -> Records:
        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype=dtype)
        self.add_newlines(arr, arr.size)
        line_starts = np.concatenate([np.zeros(1, dtype=np.int64), *(nl + 1 for nl in self.newlines)])
        return Records(cat(self.starts, np.int64), cat(self.ends, np.int64), cat(self.counts, np.int64),
                       cat(self.careful, bool), self.fields, self.problems, self.spaces, line_starts,
                       self.parsed)


def split_records(data: Buffer, delimiter: str, encoding: str, bad_offsets: Sequence[int], *,
                  fast: bool = True, express: bool = True) -> Records:
    """Every record of ``data`` (newlines already LF). ``fast=False`` sends every record through the
    careful splitter (the reference the tests compare the fast one with); ``express=False`` keeps
    polars from taking whole chunks, so numpy splits every fast record."""
    allow_long_fields()
    arr = np.frombuffer(data, dtype=np.uint8)
    n = arr.size
    delim = ord(delimiter)
    # Bytes the fast splitter must not take: undecodable, NUL, byte-order marks past the start.
    # (numpy's min and max tell in one pass each whether a NUL or a BOM's first byte is there at all)
    nul = byte_offsets(data, b"\x00") if n and int(arr.min()) == 0 else []
    ascii_only = not n or int(arr.max()) < 0x80
    boms = byte_offsets(data, BOM, 1) if not ascii_only else []
    special = sorted(set(bad_offsets) | set(nul) | set(boms))
    let_go(data)  # what the passes over the whole file mapped: the chunks below map it again, one at a time
    bad = sorted(bad_offsets)
    parts = _Parts()
    pos = 0
    width = 0  # the usual field count, learnt from the first chunk; polars takes chunks from then on
    refused = 0

    def chunk_end(s: int) -> int:
        e = min(n, s + CHUNK_BYTES)
        if e < n:
            cut = data.rfind(b"\n", s, e)
            e = cut + 1 if cut >= 0 else (data.find(b"\n", e) + 1 or n)
        return e

    def first_special(s: int, e: int) -> int | None:
        """The first byte in ``data[s:e]`` the fast splitter must not take, if any."""
        i = bisect.bisect_left(special, s)
        return special[i] if i < len(special) and special[i] < e else None

    def expressible(s: int, e: int) -> bool:
        """Whether polars may take ``data[s:e]`` whole."""
        return (express and width > 1 and refused < _EXPRESS_GIVE_UP and data[e - 1] == NEWLINE
                and first_special(s, e) is None)

    # While the chunk at hand is checked (numpy, mostly without the GIL), polars parses the next
    # ones on threads (``ahead``: each span's parse); a parse made for a chunk that turns out not to
    # be one (the one at hand went to the numpy pass, which may end elsewhere) is dropped.
    ahead: dict[tuple[int, int], Future[tuple[bytes, pl.DataFrame] | None]] = {}
    pool = ThreadPoolExecutor(max_workers=PARSE_AHEAD)
    try:
        while pos < n:
            if not fast:
                start, end, fields, problem, pos = careful_record(data, pos, delimiter, encoding, bad)
                parts.add_careful(start, end, fields, problem)
                continue
            parts.add_newlines(arr, pos)  # those of the careful records before this chunk
            e = chunk_end(pos)
            if expressible(pos, e):
                future = ahead.pop((pos, e), None)
                parsed = future.result() if future is not None else parse_chunk(data, pos, e, delimiter,
                                                                                 encoding, width)
                ahead = {span: f for span, f in ahead.items() if span[0] >= e}
                s2 = e
                for _ in range(PARSE_AHEAD):
                    if s2 >= n:
                        break
                    e2 = chunk_end(s2)
                    if (s2, e2) not in ahead and expressible(s2, e2):
                        ahead[(s2, e2)] = pool.submit(parse_chunk, data, s2, e2, delimiter, encoding, width)
                    s2 = e2
                got = express_chunk(arr, data, pos, e, delimiter, encoding, parsed, ascii_only=ascii_only)
                del parsed
                if got is not None:
                    scan, frame = got
                    parts.add_parsed(scan.starts, scan.ends, scan.counts, frame)
                    parts.spaces = wider(parts.spaces, scan.spaces)
                    parts.add_newlines(arr, e, scan.newlines)
                    let_go(data, pos, e)
                    pos, refused = e, 0
                    continue
                refused += 1
            scan = fast_scan(arr, pos, e, delim)
            starts, ends, counts, violation, complete = (scan.starts, scan.ends, scan.counts, scan.violation,
                                                         scan.complete)
            parts.spaces = wider(parts.spaces, scan.spaces)
            avoid = first_special(pos, e)
            if avoid is not None and (violation < 0 or avoid < violation):
                violation = avoid
            if violation >= 0:
                keep = ends < violation
                starts, ends, counts = starts[keep], ends[keep], counts[keep]
                complete = int(ends[-1]) + 1 if ends.size else pos
            parts.add_fast(starts, ends, counts)
            parts.add_newlines(arr, complete, scan.newlines)
            if not width and counts.size:
                width = int(np.bincount(counts).argmax())
            let_go(data, pos, complete)
            pos = complete
            if violation >= 0:
                # The careful splitter takes the record holding the broken byte and the records
                # after it up to that byte's line, then hands back to the fast splitter.
                line_end = data.find(b"\n", violation)
                until = n if line_end < 0 else line_end
                while pos < n and pos <= until:
                    start, end, fields, problem, pos = careful_record(data, pos, delimiter, encoding, bad)
                    parts.add_careful(start, end, fields, problem)
            elif not starts.size:
                # No record ends in this chunk: a quoted field longer than the chunk, too long for
                # data.
                start, end, fields, problem, pos = careful_record(data, pos, delimiter, encoding, bad)
                parts.add_careful(start, end, fields, problem)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return parts.join(arr)
