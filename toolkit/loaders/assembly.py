"""The one record assembler: header, preamble, footer, blank lines, widths and summary rows decided
in one place for the records of every splitter; :mod:`toolkit.loaders.rows` builds the frame."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

import numpy as np
import polars as pl

from toolkit import schema as S
from toolkit.errors import InputFileError
from toolkit.loaders.careful import MAX_RECORD_BYTES
from toolkit.loaders.express import Run
from toolkit.loaders.layout import (
    _SUMMARY,
    FOOTER_WINDOW,
    MAX_PREAMBLE,
    _find_header,
    _footer_start,
    _header_names,
    _looks_like_data,
    _norm,
    is_summary,
)
from toolkit.loaders.raw import RAW_LIMIT, ROW_END_LINE, ROW_LINE, RawTable, escape_raw
from toolkit.loaders.rows import frame_of
from toolkit.loaders.splitting import Records


class Assembly:
    """The one record assembler: header, preamble, footer, blank lines and widths decided in one
    place for the records of both splitters."""

    def __init__(self, table: RawTable, records: Records) -> None:
        assert table.source_bytes is not None
        self.t, self.r = table, records
        self.data, self.enc = table.source_bytes, table.text_encoding
        self.first, self.last = records.first, records.last
        self.lengths = records.ends - records.starts
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

    def reject_run_row(self, run: Run, row: int, reason: S.Reason, message: str) -> None:
        """Reject a row of a run polars took: its line, quoted from the bytes."""
        s, e = run.line_span(self.data, row)
        raw = escape_raw(self.data[s:min(e, s + RAW_LIMIT)].decode(self.enc, "backslashreplace"))
        self.t.reject(run.line + row, run.line + row, None, raw, reason, message)

    def skip(self, i: int, kind: str) -> None:
        self.t.skipped["blank" if self.blank[i] else kind] += self.span(i)


def assemble(table: RawTable, records: Records, expected: Sequence[str], required_any: int) -> None:
    a = Assembly(table, records)
    n = records.size
    # The header is among the leading records the splitter scanned (runs start after them).
    lead_end = min(n, MAX_PREAMBLE + 5, records.runs[0].after if records.runs else n)
    a.mark_blank(i for i in range(lead_end) if a.lengths[i] <= 4096)
    lead = [i for i in range(lead_end) if not a.blank[i] and a.lengths[i] <= MAX_RECORD_BYTES]
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
    # The footer is among the records scanned after the last run.
    tail = body[body >= (records.runs[-1].after if records.runs else 0)][-FOOTER_WINDOW:].tolist()
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
    table.frame = _drop_repeated_headers(a, _drop_summary_rows(a, frame_of(a, good, ncols, width_msg)))
    table.rejects.sort(key=lambda r: (r[S.LINE], r[S.END_LINE]))


def _drop_repeated_headers(a: Assembly, frame: pl.DataFrame) -> pl.DataFrame:
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


def _drop_summary_rows(a: Assembly, frame: pl.DataFrame) -> pl.DataFrame:
    """A summary row (Total, Summe, ...) among the data is a reject of its own, never a deal."""
    cols = [h for h in a.t.header[:3] if h in frame.columns]
    if not cols or frame.is_empty():
        return frame
    # The first non-empty of these fields is the summary word: values are stripped and empty ones
    # null, so a field is looked at only in the rows where the ones before it are null (the first
    # column, in a file whose first column is never empty).
    word = rf"(?i)^{_SUMMARY}$"
    hit = frame.get_column(cols[0]).str.contains(word).fill_null(False)
    left = frame.get_column(cols[0]).is_null()
    for c in cols[1:]:
        if not left.any():
            break
        at = left.arg_true()
        values = frame.get_column(c).gather(at)
        hit = hit.scatter(at, values.str.contains(word).fill_null(False))
        left = left.scatter(at, values.is_null())
    if not hit.any():
        return frame
    for line, end in frame.filter(hit).select(ROW_LINE, ROW_END_LINE).iter_rows():
        a.t.reject(line, end, None, a.t.raw_line(line, end) or "", S.Reason.SUMMARY_ROW,
                   "a data row; found a summary row (Total, Summe, ...) among the data, not a deal")
    a.t.rejects.sort(key=lambda r: (r[S.LINE], r[S.END_LINE]))
    return frame.filter(~hit)
