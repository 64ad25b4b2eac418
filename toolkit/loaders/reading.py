"""Reading delimited files so that nothing is lost.

Every physical line of a file ends in exactly one place: a row of the returned frame, a reject
(file, line, column, raw text, reason, message), or a counted skip (header, blank, preamble,
footer). Values stay text here; typing happens in :mod:`toolkit.loaders.values`, which adds its
own rejects.

Two record splitters give the same result: a vectorised one (numpy over the bytes, then polars to
split fields) for well-formed files, which is the common case and the only one fast enough for
millions of rows, and Python's ``csv`` module for files with stray quotes, bad bytes or broken
records, where every record has to be looked at on its own.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import mmap
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from toolkit import schema as S
from toolkit.errors import InputFileError, SchemaError
from toolkit.loaders.splitting import (
    CHUNK_BYTES,
    MAX_RECORD_BYTES,
    Records,
    split_records,
)

DELIMITER_CANDIDATES = (",", ";", "\t", "|")
#: How many leading records may precede the header (report titles, filter descriptions).
MAX_PREAMBLE = 30
RAW_LIMIT = 2000

ROW_LINE = S.ROW_LINE
ROW_END_LINE = S.ROW_END_LINE



@dataclass
class RawTable:
    """One input file as text columns, with its share of the ledger."""

    file: str
    sha256: str
    frame: pl.DataFrame
    header: list[str]
    lines_in: int
    encoding: str
    delimiter: str
    header_line: int
    rejects: list[dict[str, object]] = field(default_factory=list)
    repairs: list[dict[str, object]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    #: Columns whose header repeats an earlier one: frame column of the copy -> the first's.
    repeats: dict[str, str] = field(default_factory=dict)
    #: The file's bytes (newlines normalised) and line offsets, kept while values are typed so a
    #: reject can quote its whole line; released once the file is loaded.
    source_bytes: bytes | None = None
    line_offsets: np.ndarray | None = None
    text_encoding: str = "utf-8"
    #: Records the careful splitter took (broken quotes, bad bytes, NULs): the rest went fast.
    careful_records: int = 0
    #: Records polars took with their whole chunk (the numpy splitter never looked at them).
    chunk_records: int = 0

    #: The file itself, when its bytes are exactly what was split (no BOM, CR or transcoding): its
    #: bytes are then let go after splitting and a reject's line is re-read from the file.
    source_path: Path | None = None
    _mapped: mmap.mmap | None = None

    def raw_line(self, line: int, end_line: int) -> str | None:
        """The raw text of physical lines ``line``..``end_line`` (escaped), if still at hand."""
        if self.line_offsets is None:
            return None
        data: bytes | mmap.mmap | None = self.source_bytes
        if data is None and self.source_path is not None:
            if self._mapped is None:
                with self.source_path.open("rb") as fh:
                    self._mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            data = self._mapped
        if data is None:
            return None
        start = int(self.line_offsets[line - 1])
        stop = int(self.line_offsets[end_line]) - 1 if end_line < len(self.line_offsets) else len(data)
        return escape_raw(data[start:min(stop, start + RAW_LIMIT)].decode(self.text_encoding, "backslashreplace"))

    def release(self) -> None:
        self.source_bytes = None
        self.line_offsets = None
        if self._mapped is not None:
            self._mapped.close()
            self._mapped = None

    def reject(self, line: int, end_line: int, column: str | None, raw: str, reason: S.Reason,
               message: str) -> None:
        self.rejects.append({S.FILE: self.file, S.LINE: line, S.END_LINE: end_line,
                             S.COLUMN: column, S.RAW: raw[:RAW_LIMIT], S.REASON: str(reason),
                             S.MESSAGE: message})


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def escape_raw(text: str) -> str:
    """Raw text safe to print: control characters other than tab escaped, newlines shown as \\n."""
    out = []
    for ch in text:
        if ch == "\t" or (ch.isprintable() and ch not in "\r\n"):
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "".join(out)


# --- encodings ---------------------------------------------------------------------------------

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def _collect_errors(data: bytes, encoding: str) -> list[int]:
    """Byte offsets that do not decode; empty when the whole buffer decodes.

    Pure ASCII (checked by numpy) decodes in every encoding offered here; other buffers are decoded
    in chunks cut at newlines (a newline byte is never part of a multi-byte character in them), so
    no copy of the whole text is ever made."""
    if not data or int(np.frombuffer(data, dtype=np.uint8).max()) < 128:
        return []
    bad: list[int] = []
    base = [0]

    def handler(err: UnicodeError) -> tuple[str, int]:
        assert isinstance(err, UnicodeDecodeError)
        bad.append(base[0] + err.start)
        return ("", err.end)

    name = f"toolkit_collect_{id(bad)}"
    codecs.register_error(name, handler)
    at = 0
    while at < len(data):
        stop = data.find(b"\n", min(at + CHUNK_BYTES, len(data)))
        stop = len(data) if stop < 0 else stop + 1
        chunk = data[at:stop]
        try:
            chunk.decode(encoding)
        except UnicodeDecodeError:
            base[0] = at
            chunk.decode(encoding, name)
        at = stop
    return bad


def _has_valid_multibyte_utf8(data: bytes) -> bool:
    # Non-ASCII text that decodes as UTF-8 proves the file was written as UTF-8; a cp1252 file
    # almost never contains such sequences by accident.
    arr = np.frombuffer(data, dtype=np.uint8)
    lead = np.flatnonzero((arr >= 0xC2) & (arr <= 0xF4))
    for pos in lead[:1000]:
        chunk = data[pos: pos + 4]
        for n in (2, 3, 4):
            try:
                chunk[:n].decode("utf-8")
                return True
            except UnicodeDecodeError:
                continue
    return False


def decide_encoding(data: bytes, encoding: str | None) -> tuple[str, bytes, list[int], str]:
    """(encoding name, bytes in an ASCII-compatible encoding without BOM, bad offsets, note).

    UTF-16 is transcoded to UTF-8 so the rest can scan bytes. ``cp1252`` is chosen only where the
    bytes are not UTF-8 and show no UTF-8 text at all; a UTF-8 file with a few bad bytes keeps
    UTF-8, and the records holding those bytes are rejected instead of decoded into mojibake.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            if name == "utf-16":
                try:
                    text = data.decode("utf-16")
                except UnicodeDecodeError as exc:
                    raise InputFileError("a UTF-16 file that decodes", f"a bad byte at offset {exc.start}",
                                         "re-export the file as UTF-8 CSV") from exc
                return "utf-16", text.encode("utf-8"), [], "UTF-16 BOM found; read as UTF-16"
            body = data[len(bom):]
            return "utf-8-sig", body, _collect_errors(body, "utf-8"), "UTF-8 BOM removed"
    if encoding:
        enc = codecs.lookup(encoding).name
        if enc in ("utf-16", "utf-16-le", "utf-16-be"):
            try:
                return enc, data.decode(enc).encode("utf-8"), [], ""
            except UnicodeDecodeError as exc:
                raise InputFileError(f"a file in {encoding}", f"a bad byte at offset {exc.start}",
                                     "check the encoding in the mapping") from exc
        return enc, data, _collect_errors(data, enc), f"encoding {enc} as configured"
    bad = _collect_errors(data, "utf-8")
    if not bad:
        return "utf-8", data, [], ""
    if _has_valid_multibyte_utf8(data):
        return "utf-8", data, bad, f"{len(bad)} byte(s) are not valid UTF-8"
    cp_bad = _collect_errors(data, "cp1252")
    if len(cp_bad) >= len(bad):  # cp1252 reads none of them either: nothing speaks for it
        return "utf-8", data, bad, f"{len(bad)} byte(s) are valid neither in UTF-8 nor in cp1252"
    return "cp1252", data, cp_bad, "not UTF-8; read as cp1252 (Windows-1252)"


# --- dialect -----------------------------------------------------------------------------------

def _sample_lines(text: str, n: int = 60) -> list[str]:
    return [ln for ln in text.split("\n")[:n] if ln.strip()]


def detect_delimiter(sample: str, expected: Iterable[str] = ()) -> str:
    """The delimiter whose split of the sample is most consistent, preferring one that splits a
    line into the expected header names."""
    expected_set = {_norm(e) for e in expected}
    lines = _sample_lines(sample)
    if not lines:
        return ","
    best, best_score = ",", (-1, -1, -1)
    for delim in DELIMITER_CANDIDATES:
        counts = [len(r) for r in csv.reader(lines, delimiter=delim)]
        hits = max((len(expected_set & {_norm(f) for f in row})
                    for row in csv.reader(lines[:MAX_PREAMBLE], delimiter=delim)), default=0)
        common, freq = Counter(counts).most_common(1)[0]
        score = (hits, freq if common > 1 else 0, common)
        if score > best_score:
            best, best_score = delim, score
    return best


def _norm(name: str) -> str:
    # NFKC: a non-breaking space, a ligature or a decomposed accent is the name as typed.
    return " ".join(unicodedata.normalize("NFKC", name.replace("\ufeff", "")).split()).casefold()


# --- lines and records ------------------------------------------------------------------------

def normalise_newlines(data: bytes) -> bytes:
    """CRLF and lone CR become LF, so values never keep a stray \\r and lines are counted alike."""
    if b"\r" not in data:
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


#: Tests set this to False to send every record through the careful splitter.
FAST_SPLIT = True
#: Tests set this to False to keep polars from taking whole chunks (numpy splits every record).
EXPRESS = True


def read_delimited(path: Path, *, display_name: str | None = None, encoding: str | None = None,
                   delimiter: str | None = None, expected: Sequence[str] = (),
                   required_any: int = 2) -> RawTable:
    """Read one delimited file as text columns with a complete ledger.

    ``expected`` are header names the file's format knows (matched ignoring case and spacing); the
    header is the first of the leading records that holds ``required_any`` of them, and records
    above it are counted as preamble. Without ``expected`` the first non-blank record is the
    header.
    """
    name = display_name or str(path)
    original = path.read_bytes()
    skip = max((len(bom) for bom, _enc in _BOMS if original.startswith(bom)), default=0)
    if not re.compile(rb"[^\x00 \t\r\n]").search(original, skip):
        raise InputFileError("a file with a header and rows", f"{name} is empty (0 data bytes)",
                             "re-run the CRM export; an empty file is never treated as 'no deals'")
    # hashlib lets go of the GIL: the file's hash is taken on the other core while it is split
    with ThreadPoolExecutor(max_workers=1) as pool:
        sha256 = pool.submit(file_sha256, original)
        table = _read_bytes(path, name, original, encoding, delimiter, expected, required_any)
        table.sha256 = sha256.result()
    return table


def _read_bytes(path: Path, name: str, original: bytes, encoding: str | None, delimiter: str | None,
                expected: Sequence[str], required_any: int) -> RawTable:
    enc, data, bad, enc_note = decide_encoding(original, encoding)
    if b"\r" in data:
        data = normalise_newlines(data)
        if bad:  # offsets moved with the removed \r
            bad = _collect_errors(data, "utf-8" if enc == "utf-8-sig" else enc)
    # UTF-16 was transcoded and the UTF-8 BOM removed: what is left reads as UTF-8 or as ``enc``.
    text_enc = "utf-8" if enc in ("utf-16", "utf-8-sig") else enc
    sample = data[:65536].decode(text_enc, "replace")
    delim = delimiter or detect_delimiter(sample, expected)
    records = split_records(data, delim, text_enc, bad, fast=FAST_SPLIT, express=EXPRESS)
    lines_in = int(records.line_starts.size - (1 if data.endswith(b"\n") else 0))
    table = RawTable(file=name, sha256="", frame=pl.DataFrame(), header=[],
                     lines_in=lines_in, encoding=enc, delimiter=delim, header_line=0, source_bytes=data,
                     line_offsets=records.line_starts, text_encoding=text_enc)
    if enc_note:
        table.notes.append(enc_note)
    table.careful_records = int(records.careful.sum())
    table.chunk_records = sum(frame.height for _, frame in records.parsed)
    _assemble(table, records, expected, required_any)
    if data is original and len(data) > _COPY_LIMIT:
        # The file holds exactly these bytes: let them go while values are typed (the largest
        # buffer of a load) and re-read a rejected line from the file when one is needed.
        table.source_bytes, table.source_path = None, path
    return table


def _is_blank(raw: str) -> bool:
    return not raw.strip().strip(",;|\t").strip()


def _find_header(candidates: list[tuple[int, list[str]]], expected: Sequence[str],
                 required_any: int, name: str) -> int:
    """Index into candidates of the header record."""
    if not candidates:
        raise InputFileError("a header line", "only blank lines", "check that the file is the export")
    if not expected:
        return 0
    want = {_norm(e) for e in expected}
    need = min(required_any, len(want))
    for i, (_line, fields) in enumerate(candidates[:MAX_PREAMBLE]):
        if len(want & {_norm(f) for f in fields}) >= need:
            return i
    first = candidates[0][1]
    raise SchemaError(f"a header with at least {need} of {sorted(expected)[:8]}...",
                      f"first line {first[:8]!r} in {name}",
                      "pass source=... or a mapping file if this is another CRM's export")


def _header_names(fields: list[str], name: str, line: int, repeats: dict[str, str] | None = None) -> list[str]:
    """Column names of a header: whitespace folded, empty ones numbered. A name seen before gets
    a unique name and is listed in ``repeats`` (copy -> first): the loader decides whether a
    repeat matters (vendors write some columns twice), so reading never fails on one."""
    header = [" ".join(f.replace("\ufeff", "").split()) for f in fields]
    out = [h if h else f"unnamed_{i + 1}" for i, h in enumerate(header)]
    first: dict[str, str] = {}
    taken = {_norm(h) for h in out}
    for i, h in enumerate(out):
        key = _norm(h)
        if not header[i] or key not in first:
            first.setdefault(key, h)
            continue
        k = 2
        while _norm(f"{h} ({k})") in taken:
            k += 1
        out[i] = f"{h} ({k})"
        taken.add(_norm(out[i]))
        if repeats is not None:
            repeats[out[i]] = first[key]
    return out


#: First fields of the summary rows report tools write (English, French, German, Spanish, ...).
_SUMMARY = (r"(grand[ -]total|sub-?total|total\s+g[ée]n[ée]ral|sous-total|totale?s?|totaux|summe|"
            r"gesamt(summe|ergebnis)?|zwischensumme|ergebnis|suma|sum)\s*(:.*|\(.*)?")
SUMMARY_RE = re.compile(rf"^\s*{_SUMMARY}$", re.IGNORECASE)
FOOTER_MARKERS = ("copyright", "confidential", "generated by", "total", "grand total")
#: How many trailing records are looked at for a footer block.
FOOTER_WINDOW = 40


def is_summary(fields: Sequence[str]) -> bool:
    """True when the first non-empty field is a summary word (``Total``, ``Summe``, ...)."""
    first = next((f for f in fields if f.strip()), "")
    return bool(SUMMARY_RE.match(first))


def _footer_start(counts: list[int], blanks: list[bool], raws: list[str], summary: list[bool],
                  ncols: int) -> int:
    """Index of the first footer record (len(counts) when there is none).

    A footer is a trailing block of records that are blank, narrower than the header, summary rows
    (Total, Summe, ... even as wide as the header) or lines a report tool writes (copyright,
    generated by). It starts at the blank line that separates it from the data, else at its first
    summary or marker line; a narrow row with neither is data with missing fields, to be rejected."""
    i = len(counts)
    while i > 0 and (blanks[i - 1] or counts[i - 1] < ncols or summary[i - 1]):
        i -= 1
    tail = list(range(i, len(counts)))
    if all(blanks[j] for j in tail):
        return len(counts)
    blank_at = [j for j in tail if blanks[j] and any(not blanks[k] for k in range(j + 1, len(counts)))]
    if blank_at:
        return blank_at[0] if any(summary[k] for k in tail) else blank_at[-1]
    marked = [j for j in tail
              if not blanks[j] and (summary[j] or raws[j].lstrip(' "').casefold().startswith(FOOTER_MARKERS))]
    if marked:
        return marked[0]
    return len(counts)


def _looks_like_data(fields: list[str], ncols: int) -> bool:
    """A record above the header as wide as the header and mostly filled: a data row, not a title."""
    return ncols >= 2 and len(fields) == ncols and sum(bool(f.strip()) for f in fields) * 2 > ncols


def _finish_frame(frame: pl.DataFrame, header: list[str], *, clean: bool = False) -> pl.DataFrame:
    frame = frame.rename({f"c{i}": h for i, h in enumerate(header)})
    # Values are stripped and empty ones made null; a column costs a copy only where it has such
    # values, which one pass over all columns tells.
    if frame.height and not clean:
        probe = frame.select(pl.col(h).str.contains(r"^\s|\s$|^$").any().alias(str(i))
                             for i, h in enumerate(header)).row(0)
        frame = frame.with_columns(pl.col(h).str.strip_chars().replace("", None)
                                   for h, need in zip(header, probe, strict=True) if need)
    # A trailing delimiter on every line makes an unnamed, empty last column: not data.
    drop = [h for h in header if h.startswith("unnamed_") and frame[h].null_count() == frame.height]
    return frame.drop(drop) if drop else frame


def _aligned(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every column cut into the same chunks. polars copies a frame whose columns
    are cut differently as a whole before its next operation (the largest buffer of a load, twice):
    such columns are made one chunk here one at a time, which holds a second copy of one column
    at most."""
    if len(set(frame.n_chunks("all"))) <= 1:
        return frame
    columns = frame.get_columns()
    del frame
    for i, column in enumerate(columns):
        columns[i] = column.rechunk()
        del column
    return pl.DataFrame(columns)


def _with_lines(frame: pl.DataFrame, first: np.ndarray, last: np.ndarray) -> pl.DataFrame:
    """``frame`` with each row's first and last line, cut into the frame's chunks."""
    lengths = frame.get_column(frame.columns[0]).chunk_lengths() if frame.width else [frame.height]
    cuts = np.cumsum(lengths)[:-1]

    def column(name: str, values: np.ndarray) -> pl.Series:
        return pl.concat([pl.Series(name, part, dtype=pl.Int64) for part in np.split(values, cuts)], rechunk=False)
    return frame.with_columns(column(ROW_LINE, first), column(ROW_END_LINE, last))


class _Assembly:
    """The one record assembler: header, preamble, footer, blank lines and widths decided in one
    place for the records of both splitters."""

    def __init__(self, table: RawTable, records: Records) -> None:
        assert table.source_bytes is not None and table.line_offsets is not None
        self.t, self.r = table, records
        self.data, self.enc = table.source_bytes, table.text_encoding
        starts, ends = records.starts, records.ends
        if records.size == table.lines_in:  # one record per line: no search needed
            self.first = np.arange(1, records.size + 1, dtype=np.int64)
            self.last = self.first
        else:
            self.first = np.searchsorted(table.line_offsets, starts, side="right").astype(np.int64)
            self.last = np.maximum(np.searchsorted(table.line_offsets, np.maximum(ends - 1, starts), side="right"),
                                   self.first).astype(np.int64)
        self.lengths = ends - starts
        self.blank = np.zeros(records.size, dtype=bool)
        self.filler = b' \t"' + table.delimiter.encode()
        self.header_fields: list[str] = []

    def span(self, i: int) -> int:
        return int(self.last[i] - self.first[i] + 1)

    def text(self, i: int) -> str:
        s, e = int(self.r.starts[i]), int(self.r.ends[i])
        return self.data[s:min(e, s + RAW_LIMIT)].decode(self.enc, "backslashreplace")

    def raw(self, i: int) -> str:
        """The record as a reject quotes it: escaped, so only rejects pay for escaping."""
        return escape_raw(self.text(i))

    def mark_blank(self, idx: Iterable[int]) -> None:
        # Blank = nothing but spaces, quotes and delimiters (an empty spreadsheet row).
        for i in idx:
            if i not in self.r.problems:
                self.blank[i] = not self.data[self.r.starts[i]:self.r.ends[i]].translate(None, self.filler)

    def fields_of(self, i: int) -> list[str]:
        if i in self.r.fields:
            return self.r.fields[i]
        if i in self.r.problems or self.lengths[i] > MAX_RECORD_BYTES:
            return []
        text = self.data[self.r.starts[i]:self.r.ends[i]].decode(self.enc, "replace")
        return next(csv.reader([text], delimiter=self.t.delimiter), [])

    def reject(self, i: int, reason: S.Reason, message: str) -> None:
        self.t.reject(int(self.first[i]), int(self.last[i]), None, self.raw(i), reason, message)

    def skip(self, i: int, kind: str) -> None:
        self.t.skipped["blank" if self.blank[i] else kind] += self.span(i)


def _assemble(table: RawTable, records: Records, expected: Sequence[str], required_any: int) -> None:
    a = _Assembly(table, records)
    n = records.size
    a.mark_blank(i for i in range(min(n, MAX_PREAMBLE + 5)) if a.lengths[i] <= 4096)
    lead = [i for i in range(min(n, MAX_PREAMBLE + 5)) if not a.blank[i] and a.lengths[i] <= MAX_RECORD_BYTES]
    cands = [(int(a.first[i]), a.fields_of(i)) for i in lead]
    hidx = _find_header(cands, expected, required_any, table.file)
    hpos = lead[hidx]
    if hpos in records.problems:
        raise InputFileError("a readable header line",
                             f"line {int(a.first[hpos])} of {table.file}: {records.problems[hpos][1]}",
                             "re-export the file; the header must decode in the file's encoding")
    header = _header_names(cands[hidx][1], table.file, cands[hidx][0], table.repeats)
    a.header_fields = cands[hidx][1]
    ncols = len(header)
    table.header, table.header_line = header, int(a.first[hpos])
    table.skipped["header"] += a.span(hpos)
    for i in range(hpos):
        if not a.blank[i] and _looks_like_data(a.fields_of(i), ncols):
            a.reject(i, S.Reason.ROW_ABOVE_HEADER, f"a title or filter line above the header (line "
                                                   f"{table.header_line}); found a row as wide as the header")
        else:
            a.skip(i, "preamble")

    body = np.arange(hpos + 1, n)
    counts = records.counts
    a.mark_blank(body[(a.lengths[body] <= 2 * ncols + 16) | (counts[body] != ncols)].tolist())
    tail = body[-FOOTER_WINDOW:].tolist()
    tail_fields = [a.fields_of(i) for i in tail]
    footer_rel = _footer_start([len(f) if f or a.blank[i] else int(counts[i]) for i,
                                f in zip(tail, tail_fields, strict=True)],
                               [bool(a.blank[i]) for i in tail], [a.text(i) for i in tail],
                               [is_summary(f) for f in tail_fields], ncols)
    footer_at = body.size - len(tail) + footer_rel
    for i in body[footer_at:].tolist():
        a.skip(i, "footer")
    body = body[:footer_at]
    is_blank = a.blank[body]
    table.skipped["blank"] += int((a.last[body][is_blank] - a.first[body][is_blank] + 1).sum())
    body = body[~is_blank]

    careful = records.careful[body]
    too_long = ~careful & (a.lengths[body] > MAX_RECORD_BYTES)
    narrow = counts[body] < ncols
    bad = too_long | narrow
    with_problem = np.isin(body, np.fromiter(records.problems, dtype=np.int64, count=len(records.problems)))
    for i in body[with_problem].tolist():
        a.reject(i, *records.problems[i])
    bad |= with_problem
    for i in body[too_long].tolist():
        a.reject(i, S.Reason.LINE_TOO_LONG, f"a record of {int(a.lengths[i]):,} bytes, over the limit of "
                                            f"{MAX_RECORD_BYTES:,}")
    width_msg = "expected {} fields as in the header (line {}); found {}"
    for i in body[narrow & ~too_long].tolist():
        if i not in records.problems:
            a.reject(i, S.Reason.MISSING_COLUMNS, width_msg.format(ncols, table.header_line, int(counts[i])))
    good = body[~bad]
    frame = _rows(a, good, ncols, width_msg)
    table.frame = frame
    table.rejects.sort(key=lambda r: (r[S.LINE], r[S.END_LINE]))


def _rows(a: _Assembly, good: np.ndarray, ncols: int, width_msg: str) -> pl.DataFrame:
    """The frame of the good records: runs of fast records read by polars, careful ones as split."""
    t, r = a.t, a.r
    pieces: list[pl.DataFrame] = []
    kept: list[np.ndarray] = []
    if good.size:
        careful = r.careful[good]
        breaks = np.flatnonzero((np.diff(good) != 1) | (careful[1:] != careful[:-1])) + 1
        for run in np.split(good, breaks):
            parts = [_careful_rows(a, run, ncols, width_msg)] if r.careful[run[0]] else _fast_rows(a, run, ncols,
                                                                                                  width_msg)
            for frame, keep in parts:
                pieces.append(frame)
                kept.append(run[keep])
    if not pieces:
        pieces, kept = [pl.DataFrame(schema={f"c{i}": pl.String for i in range(ncols)})], [good[:0]]
    r.parsed.clear()  # the pieces hold those frames now: the joined frame must be their only holder
    frame = _aligned(pl.concat(pieces, how="vertical", rechunk=False))
    del pieces
    rows = np.concatenate(kept)
    frame = _with_lines(frame, a.first[rows], a.last[rows])
    # Careful rows come stripped; fast ones need it only where the splitter saw space at an edge.
    frame = _finish_frame(frame, t.header, clean=not r.edge_space)
    return _drop_repeated_headers(a, _drop_summary_rows(a, frame))


def _drop_repeated_headers(a: _Assembly, frame: pl.DataFrame) -> pl.DataFrame:
    """A line repeating the header (exports joined with their headers) is a header line, skipped
    and named in the notes, never a deal."""
    first = next((h for h in a.t.header if h in frame.columns), None)
    if first is None or frame.is_empty() or not a.header_fields:
        return frame
    name = a.header_fields[a.t.header.index(first)].strip()
    candidates = frame.filter(pl.col(first) == name)
    if candidates.is_empty():
        return frame
    want = [_norm(f) for f in a.header_fields]
    cols = [h for h in a.t.header if h in frame.columns]
    at = [a.t.header.index(h) for h in cols]
    lines = [(row[-2], row[-1]) for row in candidates.select(*cols, ROW_LINE, ROW_END_LINE).iter_rows()
             if all(_norm(v or "") == want[k] for v, k in zip(row[:-2], at, strict=True))]
    if not lines:
        return frame
    for line, end in lines:
        a.t.skipped["header"] += end - line + 1
    shown = ", ".join(str(line) for line, _ in lines[:10]) + (", ..." if len(lines) > 10 else "")
    a.t.notes.append(f"the header is repeated on line(s) {shown} (files joined?): skipped as header lines")
    return frame.filter(~pl.col(ROW_LINE).is_in([line for line, _ in lines]))


def _careful_rows(a: _Assembly, run: np.ndarray, ncols: int, width_msg: str) -> tuple[pl.DataFrame, np.ndarray]:
    t, rows, keep = a.t, [], []
    for j, i in enumerate(run.tolist()):
        fields = a.fields_of(i)
        if len(fields) > ncols and all(not f.strip() for f in fields[ncols:]):
            fields = fields[:ncols]  # a trailing delimiter the header lacks adds only empty fields
        if len(fields) != ncols:
            reason = S.Reason.TOO_MANY_COLUMNS if len(fields) > ncols else S.Reason.MISSING_COLUMNS
            a.reject(i, reason, width_msg.format(ncols, t.header_line, len(fields)))
            continue
        for bad, reason, what in (("\x00", S.Reason.NUL_BYTE, "NUL bytes"), ("\ufeff", S.Reason.BOM_IN_DATA,
                                                                              "a byte-order mark (files joined?)")):
            if any(bad in f for f in fields):
                fields = [f.replace(bad, "") for f in fields]
                t.repairs.append({S.FILE: t.file, S.LINE: int(a.first[i]), S.END_LINE: int(a.last[i]),
                                  S.COLUMN: None, S.RAW: a.raw(i), S.REASON: str(reason),
                                  S.MESSAGE: f"{what} removed from the record; the row is loaded"})
        rows.append([f.strip() or None for f in fields])
        keep.append(j)
    frame = pl.DataFrame({f"c{k}": [row[k] for row in rows] for k in range(ncols)},
                         schema={f"c{k}": pl.String for k in range(ncols)})
    return frame, np.asarray(keep, dtype=np.int64)


#: A file larger than this lets its bytes go before typing (see read_delimited).
_COPY_LIMIT = 1 << 26
#: Runs of fast records are handed to polars in pieces of about this many bytes: polars parses
#: whatever buffer it gets to its end, so each piece is a copy of exactly its records (a malformed
#: line after a run must never reach it), and the copies stay small.
_PIECE_BYTES = 1 << 25


def _fast_rows(a: _Assembly, run: np.ndarray, ncols: int, width_msg: str) -> list[tuple[pl.DataFrame, np.ndarray]]:
    """A run of fast records as (frame, which records of the run it holds) pieces: the rows
    polars already parsed with their chunk, the others read from their bytes in pieces."""
    out: list[tuple[pl.DataFrame, np.ndarray]] = []
    done = 0
    for part, parsed in _by_parsed_chunk(a.r, run):
        if parsed is None:
            offsets = a.r.starts[part] - a.r.starts[part[0]]
            pieces = np.split(part, np.flatnonzero(np.diff(offsets // _PIECE_BYTES)) + 1)
            results = [_fast_piece(a, piece, ncols, width_msg) for piece in pieces]
            sizes = [piece.size for piece in pieces]
        else:
            first, frame = parsed
            if part.size != frame.height:
                frame = frame.select(pl.all().gather(pl.Series(part - first, dtype=pl.Int64)))
            results, sizes = [_fit_width(a, part, frame, ncols, width_msg)], [part.size]
        for (frame, keep), size in zip(results, sizes, strict=True):
            out.append((frame, keep + done))
            done += size
    return out


def _by_parsed_chunk(r: Records, run: np.ndarray) -> list[tuple[np.ndarray, tuple[int, pl.DataFrame] | None]]:
    """``run`` cut where it enters or leaves a chunk polars parsed, each part with that chunk."""
    if not r.parsed:
        return [(run, None)]
    firsts = np.fromiter((f for f, _ in r.parsed), dtype=np.int64, count=len(r.parsed))
    heights = np.fromiter((fr.height for _, fr in r.parsed), dtype=np.int64, count=len(r.parsed))
    which = np.searchsorted(firsts, run, side="right") - 1
    inside = (which >= 0) & (run < firsts[np.maximum(which, 0)] + heights[np.maximum(which, 0)])
    key = np.where(inside, which, -1)
    cuts = np.flatnonzero(np.diff(key)) + 1
    keys = key[np.concatenate(([0], cuts)).astype(np.int64)].tolist()
    return [(part, r.parsed[k] if k >= 0 else None) for part, k in zip(np.split(run, cuts), keys, strict=True)]


def _fast_piece(a: _Assembly, run: np.ndarray, ncols: int, width_msg: str) -> tuple[pl.DataFrame, np.ndarray]:
    t, r = a.t, a.r
    width = max(ncols, int(r.counts[run].max()))
    schema = {f"c{k}": pl.String for k in range(width)}
    s, e = int(r.starts[run[0]]), int(r.ends[run[-1]])
    piece = a.data[s:e] if a.enc == "utf-8" else a.data[s:e].decode(a.enc).encode("utf-8")
    frame = pl.read_csv(piece, has_header=False, separator=t.delimiter, quote_char='"', schema=schema,
                        truncate_ragged_lines=True, missing_columns="insert",
                        null_values=[""])  # empty fields, quoted or not, are null from the start
    del piece
    if frame.height != run.size:  # never trust a count we cannot explain: split these carefully
        a.r.fields.update({i: a.fields_of(i) for i in run.tolist()})
        return _careful_rows(a, run, ncols, width_msg)
    return _fit_width(a, run, frame, ncols, width_msg)


def _fit_width(a: _Assembly, run: np.ndarray, frame: pl.DataFrame, ncols: int,
               width_msg: str) -> tuple[pl.DataFrame, np.ndarray]:
    """The header's columns of ``frame`` (one row per record of ``run``): a row with text past
    them is a reject; fields past them that are empty (a trailing delimiter) are dropped."""
    t, r = a.t, a.r
    keep = np.arange(run.size, dtype=np.int64)
    if frame.width > ncols:
        extra = [f"c{k}" for k in range(ncols, frame.width)]
        filled = frame.select(pl.any_horizontal(pl.col(c).str.strip_chars().fill_null("") != "" for c in extra)
                              ).to_series().fill_null(False).to_numpy()
        for i in run[filled].tolist():
            a.reject(i, S.Reason.TOO_MANY_COLUMNS, width_msg.format(ncols, t.header_line, int(r.counts[i])))
        if filled.any():
            frame = frame.filter(pl.Series(~filled))
            keep = keep[~filled]
        frame = frame.select(f"c{k}" for k in range(ncols))
    return frame, keep


def _drop_summary_rows(a: _Assembly, frame: pl.DataFrame) -> pl.DataFrame:
    """A summary row (Total, Summe, ...) among the data is a reject of its own, never a deal."""
    cols = [h for h in a.t.header[:3] if h in frame.columns]
    if not cols or frame.is_empty():
        return frame
    # The first non-empty of these fields is the summary word: values are stripped and empty ones
    # null, so each field is a summary word where the ones before it are null (coalesce would copy
    # the column's text; these are boolean).
    word = [pl.col(c).str.contains(rf"(?i)^{_SUMMARY}$").fill_null(False) for c in cols]
    hit = frame.select(pl.any_horizontal(
        pl.all_horizontal([pl.col(c).is_null() for c in cols[:k]] + [word[k]]) for k in range(len(cols))
    )).to_series()
    if not hit.any():
        return frame
    for line, end in frame.filter(hit).select(ROW_LINE, ROW_END_LINE).iter_rows():
        a.t.reject(line, end, None, a.t.raw_line(line, end) or "", S.Reason.SUMMARY_ROW,
                   "a data row; found a summary row (Total, Summe, ...) among the data, not a deal")
    a.t.rejects.sort(key=lambda r: (r[S.LINE], r[S.END_LINE]))
    return frame.filter(~hit)


def ledger_counts(table: RawTable) -> tuple[int, int, int]:
    """(lines in rows, lines in rejects, lines skipped) of a table as read."""
    f = table.frame
    row_lines = int((f[ROW_END_LINE] - f[ROW_LINE] + 1).sum()) if f.height else 0
    spans = {(r[S.LINE], r[S.END_LINE]) for r in table.rejects}
    rej_lines = sum(int(e) - int(s) + 1 for s, e in spans)  # type: ignore[call-overload]
    return row_lines, rej_lines, sum(table.skipped.values())
