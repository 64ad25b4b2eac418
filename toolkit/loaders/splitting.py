"""Splitting a delimited file's bytes into records, fast where the bytes allow and carefully where
they do not.

Most of a file goes to polars' CSV reader (Rust, strict about quotes) in runs of many megabytes
(:mod:`~toolkit.loaders.express`): a run it parses into exactly one row per line is taken as
parsed, and only the rows it cannot vouch for (a last field empty or blank: a narrower row or a
blank line) are counted from their raw lines. A run it refuses is taken again in chunks of
:data:`CHUNK_BYTES`, so a defect costs its chunk, not the run; a chunk polars refuses goes to the
numpy scan (:mod:`~toolkit.loaders.scan`), which finds the records and field counts from the
special bytes alone and the first byte where RFC 4180 is broken. Only the record holding such a
byte (or a byte that does not decode, a NUL, a byte-order mark in the middle of the file) goes to
the careful splitter (:mod:`~toolkit.loaders.careful`, Python's ``csv`` in strict mode), which
hands back to the fast path at the next line boundary. So one bad byte costs a few lines of Python
and one chunk of numpy, not the file.

The head of a file (its first :data:`HEAD_RECORDS` records, at least :data:`HEAD_BYTES`: the
header and any preamble are among them) and its tail (the last :data:`TAIL_LINES` lines: a footer
is among them) are always scanned, so the assembler sees each of their records on its own.

Elsewhere fields are not cut here: the assembler in :mod:`toolkit.loaders.reading` hands runs of
good scanned records to polars' CSV reader, and takes the careful records' fields as they are.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from toolkit import schema as S
from toolkit.filebytes import Buffer, let_go
from toolkit.loaders.careful import allow_long_fields, careful_record
from toolkit.loaders.express import Run, parse_chunk, take_run
from toolkit.loaders.layout import FOOTER_WINDOW, MAX_PREAMBLE
from toolkit.loaders.scan import (
    NEWLINE,
    Spaces,
    bom_offsets,
    byte_offsets,
    byte_positions,
    fast_scan,
    is_ascii,
    line_starts,
    tail_start,
    wider,
)

#: Bytes scanned by numpy at a time, and the size of the pieces a refused run is taken again in.
CHUNK_BYTES = 1 << 23
#: Bytes polars is given at a time where it takes the file whole: large enough that its own
#: threads share the work, small enough that a run it refuses costs little to take again, and
#: below the C allocator's largest mmap threshold (32 MiB in glibc), so that the copy of each run
#: reuses the memory of the last instead of faulting in fresh pages (five times the cost).
RUN_BYTES = 24 << 20
#: Runs parsed at a time, each on a thread of its own.
PARSE_AHEAD = 2
#: After this many chunks in a row that polars could not take, the rest of the file goes to numpy
#: directly (a file full of quoted newlines would otherwise be parsed twice).
_EXPRESS_GIVE_UP = 3
#: Records scanned at the start of a file before polars takes runs: the header and its preamble
#: are among them (see layout.MAX_PREAMBLE). They are scanned in chunks of HEAD_BYTES.
HEAD_RECORDS = MAX_PREAMBLE + 5
HEAD_BYTES = 1 << 16
#: Lines scanned at the end of a file: a footer (layout.FOOTER_WINDOW records) is among them.
TAIL_LINES = 2 * FOOTER_WINDOW


@dataclass
class Records:
    """The records of a file, in order: the scanned ones one by one (byte spans, field counts,
    lines, what was wrong), and the runs polars took between them."""

    starts: np.ndarray  # int64: offset of the record's first byte
    ends: np.ndarray  # int64: offset just past its last byte (its newline excluded)
    counts: np.ndarray  # int64: fields in the record
    careful: np.ndarray  # bool: split by the careful splitter (its fields are in ``fields``)
    first: np.ndarray  # int64: the physical line of its first byte
    last: np.ndarray  # int64: the line of its last byte
    fields: dict[int, list[str]] = field(default_factory=dict)
    problems: dict[int, tuple[S.Reason, str]] = field(default_factory=dict)
    #: Which whitespace a scanned fast record's values may have at their edges: ``none`` lets the
    #: reader skip stripping, ``ascii`` lets it find the values to strip by a prefix and suffix test
    #: (each run says its own).
    spaces: Spaces = "any"
    #: The runs polars took, each after ``run.after`` scanned records.
    runs: list[Run] = field(default_factory=list)
    #: Newlines in the file.
    newlines: int = 0
    #: Offset of every physical line's first byte (plus len(data) after a final newline), where the
    #: scan saw every newline (no runs); else None, and found again when a reject needs a line.
    line_starts: np.ndarray | None = None

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
    #: Newlines found so far (the scanned ones and the runs' lines).
    newline_count: int = 0
    #: Bytes before this offset have their newlines counted (in ``newlines`` or a run).
    newlines_until: int = 0
    runs: list[Run] = field(default_factory=list)

    def add_newlines(self, arr: np.ndarray, until: int, found: np.ndarray | None = None) -> None:
        """Record the newlines between ``newlines_until`` and ``until`` (``found``: the newline
        offsets of a scan that covered them, when one did)."""
        s = self.newlines_until
        if until <= s:
            return
        if found is None:
            found = byte_positions(arr[s:until]) + s
        else:
            found = found[(found >= s) & (found < until)]
        self.newlines.append(found)
        self.newline_count += found.size
        self.newlines_until = until

    def add_fast(self, starts: np.ndarray, ends: np.ndarray, counts: np.ndarray) -> None:
        self.starts.append(starts)
        self.ends.append(ends)
        self.counts.append(counts)
        self.careful.append(np.zeros(starts.size, dtype=bool))
        self.n += starts.size

    def add_run(self, run: Run) -> None:
        run.after, run.line = self.n, self.newline_count + 1
        self.runs.append(run)
        self.newline_count += run.rows  # one line each
        self.newlines_until = run.end

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
        nl = cat(self.newlines, np.int64)
        starts, ends = cat(self.starts, np.int64), cat(self.ends, np.int64)
        # The line of an offset outside the runs: one more than the scanned newlines before it and
        # the lines of the runs before it.
        run_starts = np.fromiter((r.start for r in self.runs), dtype=np.int64, count=len(self.runs))
        run_lines = np.concatenate([[0], np.cumsum([r.rows for r in self.runs], dtype=np.int64)])

        def line_of(at: np.ndarray) -> np.ndarray:
            found: np.ndarray = 1 + np.searchsorted(nl, at) + run_lines[np.searchsorted(run_starts, at, side="right")]
            return found
        first = line_of(starts).astype(np.int64)
        last = np.maximum(line_of(np.maximum(ends - 1, starts)), first).astype(np.int64)
        starts_of_lines = None if self.runs else line_starts(nl)
        return Records(starts, ends, cat(self.counts, np.int64), cat(self.careful, bool), first, last, self.fields,
                       self.problems, self.spaces, self.runs, self.newline_count, starts_of_lines)


def split_records(data: Buffer, delimiter: str, encoding: str, bad_offsets: Sequence[int], *,
                  fast: bool = True, express: bool = True, ascii_only: bool | None = None) -> Records:
    """Every record of ``data`` (newlines already LF). ``fast=False`` sends every record through the
    careful splitter (the reference the tests compare the fast one with); ``express=False`` keeps
    polars from taking runs, so numpy splits every fast record. ``ascii_only``: whether every byte
    is ASCII, where the caller knows."""
    allow_long_fields()
    arr = np.frombuffer(data, dtype=np.uint8)
    n = arr.size
    delim = ord(delimiter)
    # Bytes the fast splitter must not take: undecodable, NUL, byte-order marks past the start.
    if ascii_only is None:
        ascii_only = is_ascii(data)
    nul = byte_offsets(data, b"\x00")
    boms = [] if ascii_only else bom_offsets(arr, 1)
    special = sorted(set(bad_offsets) | set(nul) | set(boms))
    let_go(data)  # what the passes over the whole file mapped: the chunks below map it again, one at a time
    bad = sorted(bad_offsets)
    parts = _Parts()
    pos = 0
    width = 0  # the usual field count, learnt from the first chunk; polars takes runs from then on
    refused = 0
    small_until = 0  # a run polars refused is taken again in chunks up to here
    tail = tail_start(data, TAIL_LINES)

    def chunk_end(s: int, size: int) -> int:
        e = min(n, s + size)
        if e < n:
            cut = data.rfind(b"\n", s, e)
            e = cut + 1 if cut >= 0 else (data.find(b"\n", e) + 1 or n)
        return e

    def first_special(s: int, e: int) -> int | None:
        """The first byte in ``data[s:e]`` the fast splitter must not take, if any."""
        i = bisect.bisect_left(special, s)
        return special[i] if i < len(special) and special[i] < e else None

    def run_end(s: int, small_until: int) -> int:
        """Where a run from ``s`` ends: RUN_BYTES on, or CHUNK_BYTES within a refused run."""
        return min(chunk_end(s, RUN_BYTES if s >= small_until else CHUNK_BYTES), tail)

    def runnable(s: int, e: int) -> bool:
        return data[e - 1] == NEWLINE and first_special(s, e) is None

    def take(s: int, e: int) -> Run | None:
        parsed = parse_chunk(data, s, e, delimiter, encoding, width)
        return take_run(arr, s, e, delimiter, parsed, ascii_only=ascii_only)

    # Runs are parsed on threads, PARSE_AHEAD at a time: polars lets go of the GIL while it parses,
    # and one parse alone leaves a core idle while it starts and ends.
    ahead: dict[tuple[int, int], Future[Run | None]] = {}
    pool = ThreadPoolExecutor(max_workers=PARSE_AHEAD)
    try:
        while pos < n:
            if not fast:
                start, end, fields, problem, pos = careful_record(data, pos, delimiter, encoding, bad)
                parts.add_careful(start, end, fields, problem)
                continue
            parts.add_newlines(arr, pos)  # those of the careful records before this chunk
            if express and width > 1 and parts.n >= HEAD_RECORDS and refused < _EXPRESS_GIVE_UP and pos < tail:
                whole = pos >= small_until
                e = run_end(pos, small_until)
                if runnable(pos, e):
                    future = ahead.pop((pos, e), None)
                    run = future.result() if future is not None else take(pos, e)
                    # The next runs are parsed on the pool meanwhile; one made for a span that turns
                    # out not to be the next (after a refused run) is dropped.
                    ahead = {span: f for span, f in ahead.items() if span[0] >= e}
                    s2 = e
                    for _ in range(PARSE_AHEAD if run is not None else 0):
                        e2 = run_end(s2, small_until)
                        if s2 >= tail or not runnable(s2, e2):
                            break
                        if (s2, e2) not in ahead:
                            ahead[(s2, e2)] = pool.submit(take, s2, e2)
                        s2 = e2
                    if run is not None:
                        parts.add_run(run)
                        let_go(data, pos, e)
                        pos, refused = e, 0
                        continue
                if whole:  # taken again in chunks, so a defect costs its chunk
                    small_until = e
                    continue
                refused += 1
            e = chunk_end(pos, CHUNK_BYTES if parts.n >= HEAD_RECORDS else HEAD_BYTES)
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
