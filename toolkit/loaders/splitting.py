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

Elsewhere fields are not cut here: the assembler in :mod:`toolkit.loaders.reading` hands runs of
good fast records to polars' CSV reader, and takes the careful records' fields as they are.
"""

from __future__ import annotations

import bisect
import csv
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

from toolkit import schema as S
from toolkit.filebytes import Buffer, let_go

#: Longer records are rejected (a pasted e-mail thread, a broken quote swallowing the file).
MAX_RECORD_BYTES = 1 << 20
#: Bytes scanned by numpy at a time: bounds the temporary arrays (a few times this size).
CHUNK_BYTES = 1 << 23
_QUOTE, _NL = 34, 10
_SPACES = np.array([9, 11, 12, 32], dtype=np.uint8)
_BOM = b"\xef\xbb\xbf"
#: Unicode whitespace other than ASCII (what polars' strip_chars strips), as UTF-8 bytes: U+0085,
#: U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
_UNICODE_SPACES = tuple(chr(c).encode() for c in (0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
                                                 0x202F, 0x205F, 0x3000))
#: Those spaces as integers of their 2 or 3 bytes, by length.
_SPACE_CODES = {n: np.array([int.from_bytes(b, "big") for b in _UNICODE_SPACES if len(b) == n]) for n in (2, 3)}
#: A chunk polars parsed whose last column is null on more than this share of its rows has its
#: field counts taken by the numpy pass (checking each such row on its own would cost more).
_EXPRESS_CHECK_SHARE = 0.01
#: After this many chunks in a row that polars could not take, the rest of the file goes to numpy
#: directly (a file full of quoted newlines would otherwise be parsed twice).
_EXPRESS_GIVE_UP = 3
#: Chunks parsed ahead of the one at hand, each on a thread of its own.
PARSE_AHEAD = 2

#: What whitespace a file's values may have at their edges, as the splitter saw it: ``none``,
#: ``ascii`` (only the ASCII space: a prefix and suffix test tells which values have it) or ``any``
#: (tabs, Unicode spaces: only a regular expression tells).
Spaces = Literal["none", "ascii", "any"]
_SPACE_ORDER: dict[Spaces, int] = {"none": 0, "ascii": 1, "any": 2}


def wider(a: Spaces, b: Spaces) -> Spaces:
    """The kind of whitespace two parts of a file may hold between them."""
    return a if _SPACE_ORDER[a] >= _SPACE_ORDER[b] else b


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
            found = np.flatnonzero(arr[s:until] == _NL).astype(np.int64) + s
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


def byte_offsets(data: Buffer, needle: bytes, start: int = 0) -> list[int]:
    """Every offset of ``needle`` in ``data`` from ``start`` (found by memchr-speed search)."""
    out = []
    at = data.find(needle, start)
    while at >= 0:
        out.append(at)
        at = data.find(needle, at + 1)
    return out


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
    pos = np.flatnonzero((a == _QUOTE) | (a == _NL) | (a == delim))
    kind = a[pos]
    is_quote = kind == _QUOTE
    inside = (np.cumsum(is_quote, dtype=np.int32) & 1).astype(bool)  # after this byte
    violation = -1
    open_at_end = bool(inside[-1]) if inside.size else False
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
    # Every field edge is next to a special byte (or the chunk's first byte): a space, a tab or a
    # byte of a non-ASCII character there may be whitespace to strip.
    before = a[np.maximum(pos - 1, 0)]
    after = a[np.minimum(pos + 1, a.size - 1)]
    edge_space = bool(a.size and (a[0] in _SPACES or a[0] >= 0x80)) or bool(
        np.isin(before, _SPACES).any() or np.isin(after, _SPACES).any()
        or (before >= 0x80).any() or (after >= 0x80).any())
    spaces: Spaces = "any" if edge_space else "none"
    is_end = (kind == _NL) & ~inside
    ends = pos[is_end]
    if e == arr.size and e > s and a[-1] != _NL:
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
    newlines = pos[kind == _NL].astype(np.int64) + s
    return Scan(starts + s, ends.astype(np.int64) + s, counts.astype(np.int64), violation, complete, spaces,
                newlines)


def allow_long_fields() -> None:
    # csv refuses fields over 128 KiB with an error that would fail the whole file; records over
    # MAX_RECORD_BYTES are rejected by length instead, each on its own line.
    if csv.field_size_limit() < 1 << 31:
        csv.field_size_limit((1 << 31) - 1)


class _TooLong(Exception):
    pass


def careful_record(data: Buffer, pos: int, delimiter: str, encoding: str,
                   bad: Sequence[int]) -> tuple[int, int, list[str] | None, tuple[S.Reason, str] | None, int]:
    """One record from ``pos`` with Python's csv in strict mode: (start, end, fields or None,
    problem, where the next record starts). Where the quotes are broken only the first line is
    rejected, so the next line is read as a record of its own and two rows never merge."""
    n = len(data)
    first_end = data.find(b"\n", pos)
    first_end = n if first_end < 0 else first_end
    if first_end - pos > MAX_RECORD_BYTES:
        return pos, first_end, None, (S.Reason.LINE_TOO_LONG, (f"a record of {first_end - pos:,} bytes, over "
                                                              f"the limit of {MAX_RECORD_BYTES:,}")), first_end + 1
    consumed = [pos]

    # A byte-order mark opening the record (two exports joined) would make csv read a quoted first
    # field as text with its quotes: it is split without the mark, which is put back on the first
    # field for the assembler to remove and record as a repair.
    bom = data[pos:pos + len(_BOM)] == _BOM

    def lines() -> Iterator[str]:
        at = pos + len(_BOM) if bom else pos
        while at < n:
            stop = data.find(b"\n", at)
            stop = n if stop < 0 else stop
            if stop - pos > MAX_RECORD_BYTES:
                raise _TooLong
            consumed[0] = stop
            yield data[at:stop].decode(encoding, "replace") + "\n"
            at = stop + 1

    reader = csv.reader(lines(), delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
    problem: tuple[S.Reason, str] | None = None
    try:
        fields: list[str] | None = next(reader)
        end = consumed[0]
        if bom and fields:
            fields[0] = "\ufeff" + fields[0]
    except (_TooLong, csv.Error) as exc:
        fields, end = None, first_end
        if isinstance(exc, _TooLong) or "unexpected end of data" in str(exc):
            problem = (S.Reason.UNTERMINATED_QUOTE, ("a quote opened on this line is not closed within "
                                                    f"{MAX_RECORD_BYTES:,} bytes or before the end of the file"))
        else:
            problem = (S.Reason.TEXT_AFTER_QUOTE, ("text after the closing quote of a field (RFC 4180 allows "
                                                  "only a delimiter or the end of the line there)"))
    except StopIteration:
        fields, end = [], first_end
    if problem is None:
        i = int(np.searchsorted(np.asarray(bad, dtype=np.int64), pos)) if len(bad) else 0
        if i < len(bad) and bad[i] < end:
            fields, problem = None, (S.Reason.INVALID_ENCODING,
                                     f"bytes that are not valid {encoding}; the record is kept out rather than guessed")
    return pos, end, fields, problem, end + 1


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
    if any(chunk.find(bytes((ch,))) >= 0 for ch in (9, 11, 12)):
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
    newlines = np.flatnonzero(a == _NL).astype(np.int64) + s
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
    boms = byte_offsets(data, _BOM, 1) if not ascii_only else []
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
        return (express and width > 1 and refused < _EXPRESS_GIVE_UP and data[e - 1] == _NL
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
