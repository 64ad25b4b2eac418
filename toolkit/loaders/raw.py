"""One input file as read: its text columns, its share of the ledger, and the raw text of its lines
for the rejects that quote them."""

from __future__ import annotations

import mmap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from toolkit import schema as S
from toolkit.filebytes import Buffer
from toolkit.loaders.scan import byte_positions, line_starts

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
    #: reject can quote its whole line; released once the file is loaded. Offsets not known from the
    #: read (runs polars took whole) are found when a reject first quotes a line.
    source_bytes: Buffer | None = None
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

    def keep_lines_only(self) -> None:
        """Let go of the rows' values once the loader holds what it takes from them: the ledger
        needs only each row's lines (a history of millions of typed rows need not stay alive
        while the tables made from it are built)."""
        self.frame = self.frame.select(ROW_LINE, ROW_END_LINE)

    def raw_line(self, line: int, end_line: int) -> str | None:
        """The raw text of physical lines ``line``..``end_line`` (escaped), if still at hand."""
        data: Buffer | None = self.source_bytes
        if data is None and self.source_path is not None:
            if self._mapped is None:
                with self.source_path.open("rb") as fh:
                    self._mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            data = self._mapped
        if data is None:
            return None
        if self.line_offsets is None:
            self.line_offsets = line_starts(byte_positions(np.frombuffer(data, dtype=np.uint8)))
        start = int(self.line_offsets[line - 1])
        stop = int(self.line_offsets[end_line]) - 1 if end_line < len(self.line_offsets) else len(data)
        return escape_raw(data[start:min(stop, start + RAW_LIMIT)].decode(self.text_encoding, "backslashreplace"))

    def release(self) -> None:
        self.source_bytes = self.source_path = None
        self.line_offsets = None
        if self._mapped is not None:
            self._mapped.close()
            self._mapped = None

    def reject(self, line: int, end_line: int, column: str | None, raw: str, reason: S.Reason,
               message: str) -> None:
        self.rejects.append({S.FILE: self.file, S.LINE: line, S.END_LINE: end_line,
                             S.COLUMN: column, S.RAW: raw[:RAW_LIMIT], S.REASON: str(reason),
                             S.MESSAGE: message})


def escape_raw(text: str) -> str:
    """Raw text safe to print: control characters other than tab escaped, newlines shown as \\n."""
    out = []
    for ch in text:
        if ch == "\t" or (ch.isprintable() and ch not in "\r\n"):
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "".join(out)


def ledger_counts(table: RawTable) -> tuple[int, int, int]:
    """(lines in rows, lines in rejects, lines skipped) of a table as read."""
    f = table.frame
    row_lines = int((f[ROW_END_LINE] - f[ROW_LINE] + 1).sum()) if f.height else 0
    spans = {(r[S.LINE], r[S.END_LINE]) for r in table.rejects}
    rej_lines = sum(int(e) - int(s) + 1 for s, e in spans)  # type: ignore[call-overload]
    return row_lines, rej_lines, sum(table.skipped.values())
