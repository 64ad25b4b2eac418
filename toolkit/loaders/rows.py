"""The frame of a file's good records: the runs polars took whole, the other fast records read by
polars from their bytes, and the careful splitter's rows as it split them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from toolkit import schema as S
from toolkit.loaders.chunks import aligned, cut_like
from toolkit.loaders.express import Run
from toolkit.loaders.raw import ROW_END_LINE, ROW_LINE
from toolkit.loaders.scan import Spaces

if TYPE_CHECKING:
    from toolkit.loaders.assembly import Assembly


def _needs_strip(column: str, spaces: Spaces) -> pl.Expr:
    """Whether a value of ``column`` has whitespace at an edge or is empty; where the splitter saw
    only ASCII spaces (and fast records hold no empty text), a prefix and suffix test tells, a few
    times faster than the regular expression."""
    if spaces == "ascii":
        return pl.col(column).str.starts_with(" ") | pl.col(column).str.ends_with(" ")
    return pl.col(column).str.contains(r"^\s|\s$|^$")


def _stripped(frame: pl.DataFrame, spaces: Spaces) -> pl.DataFrame:
    """``frame`` (text columns c0.., and lines) with its values stripped and empty ones null, where
    ``spaces`` says its splitter saw whitespace that may sit at a value's edge; a column costs a
    copy only where it has such values, which one pass over all columns tells."""
    text = [c for c in frame.columns if c not in (ROW_LINE, ROW_END_LINE)]
    if not frame.height or spaces == "none":
        return frame
    probe = frame.select(_needs_strip(c, spaces).any().alias(c) for c in text).row(0)
    return frame.with_columns(pl.col(c).str.strip_chars().replace("", None)
                              for c, need in zip(text, probe, strict=True) if need)


def _finish_frame(frame: pl.DataFrame, header: list[str]) -> pl.DataFrame:
    frame = frame.rename({f"c{i}": h for i, h in enumerate(header)})
    # A trailing delimiter on every line makes an unnamed, empty last column: not data.
    drop = [h for h in header if h.startswith("unnamed_") and frame[h].null_count() == frame.height]
    return frame.drop(drop) if drop else frame


def _with_lines(frame: pl.DataFrame, first: np.ndarray, last: np.ndarray) -> pl.DataFrame:
    """``frame`` with each row's first and last line, cut into the frame's chunks."""
    lines = cut_like(pl.Series(ROW_LINE, first, dtype=pl.Int64), frame)
    # (records of one line each: the last lines are the first, and share their buffers)
    return frame.with_columns(lines, lines.alias(ROW_END_LINE) if last is first
                              else cut_like(pl.Series(ROW_END_LINE, last, dtype=pl.Int64), frame))


def frame_of(a: Assembly, good: np.ndarray, ncols: int, width_msg: str) -> pl.DataFrame:
    """The frame of the good records, in file order: the runs polars took, the scanned fast
    records read by polars from their bytes, the careful ones as split; each row with its lines."""
    t, r = a.t, a.r
    pieces: list[pl.DataFrame] = []
    between = np.split(good, np.searchsorted(good, [run.after for run in r.runs]))
    # Each piece is stripped as far as its own splitter saw whitespace at a value's edge (careful
    # rows come stripped).
    for k, scanned in enumerate(between):
        pieces += _scanned_rows(a, scanned, ncols, width_msg)
        if k < len(r.runs):
            pieces.append(_stripped(_run_rows(a, r.runs[k], ncols, width_msg), r.runs[k].spaces))
            r.runs[k].frame = pl.DataFrame()  # the piece holds it now: the joined frame must be its only holder
    if not pieces:
        pieces = [pl.DataFrame(schema={**{f"c{i}": pl.String for i in range(ncols)}, ROW_LINE: pl.Int64,
                                       ROW_END_LINE: pl.Int64})]
    frame = aligned(pl.concat(pieces, how="vertical", rechunk=False))
    del pieces
    return _finish_frame(frame, t.header)


def _scanned_rows(a: Assembly, good: np.ndarray, ncols: int, width_msg: str) -> list[pl.DataFrame]:
    """Good scanned records (ascending) as frames with their lines: consecutive careful ones as
    split, consecutive fast ones read by polars from their bytes."""
    if not good.size:
        return []
    careful = a.r.careful[good]
    breaks = np.flatnonzero((np.diff(good) != 1) | (careful[1:] != careful[:-1])) + 1
    out = []
    for seq in np.split(good, breaks):
        parts = [_careful_rows(a, seq, ncols, width_msg)] if a.r.careful[seq[0]] else _fast_rows(a, seq, ncols,
                                                                                                width_msg)
        for frame, keep in parts:
            rows = seq[keep]
            out.append(_with_lines(frame if a.r.careful[seq[0]] else _stripped(frame, a.r.spaces), a.first[rows],
                                   a.last[rows]))
    return out


def _run_rows(a: Assembly, run: Run, ncols: int, width_msg: str) -> pl.DataFrame:
    """A run's rows with their lines: its blank lines skipped, its rows narrower than the header
    rejected, fields past the header's dropped where empty (a trailing delimiter), rejected
    where not."""
    t = a.t
    keep = np.ones(run.rows, dtype=bool)
    keep[run.blank] = False
    t.skipped["blank"] += len(run.blank)
    width, frame = run.frame.width, run.frame
    narrow = run.counts if width >= ncols else {i: run.counts.get(i, width) for i in np.flatnonzero(keep).tolist()}
    for row, count in narrow.items():
        if keep[row] and count < ncols:
            a.reject_run_row(run, row, S.Reason.MISSING_COLUMNS, width_msg.format(ncols, t.header_line, count))
            keep[row] = False
    if width > ncols:
        filled = keep & _text_past(frame, ncols)
        for row in np.flatnonzero(filled).tolist():
            a.reject_run_row(run, row, S.Reason.TOO_MANY_COLUMNS,
                             width_msg.format(ncols, t.header_line, run.counts.get(row, width)))
        keep &= ~filled
        frame = frame.select(f"c{k}" for k in range(ncols))
    elif width < ncols:  # (every row was rejected above)
        frame = frame.with_columns(pl.lit(None, pl.String).alias(f"c{k}") for k in range(width, ncols))
    rows = np.flatnonzero(keep)
    if rows.size < run.rows:
        frame = frame.filter(pl.Series(keep))
    lines = rows + run.line
    return _with_lines(frame, lines, lines)


def _text_past(frame: pl.DataFrame, ncols: int) -> np.ndarray:
    """Whether each row of ``frame`` has text in a field past the header's ``ncols``."""
    extra = [f"c{k}" for k in range(ncols, frame.width)]
    return frame.select(pl.any_horizontal(pl.col(c).str.strip_chars().fill_null("") != "" for c in extra)
                        ).to_series().fill_null(False).to_numpy()


def _careful_rows(a: Assembly, run: np.ndarray, ncols: int, width_msg: str) -> tuple[pl.DataFrame, np.ndarray]:
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


#: Runs of fast records are handed to polars in pieces of about this many bytes: polars parses
#: whatever buffer it gets to its end, so each piece is a copy of exactly its records (a malformed
#: line after a run must never reach it), and the copies stay small.
_PIECE_BYTES = 1 << 25


def _fast_rows(a: Assembly, seq: np.ndarray, ncols: int, width_msg: str) -> list[tuple[pl.DataFrame, np.ndarray]]:
    """Consecutive fast records as (frame, which records of ``seq`` it holds) pieces, each read by
    polars from its bytes."""
    offsets = a.r.starts[seq] - a.r.starts[seq[0]]
    out: list[tuple[pl.DataFrame, np.ndarray]] = []
    done = 0
    for piece in np.split(seq, np.flatnonzero(np.diff(offsets // _PIECE_BYTES)) + 1):
        frame, keep = _fast_piece(a, piece, ncols, width_msg)
        out.append((frame, keep + done))
        done += piece.size
    return out


def _fast_piece(a: Assembly, run: np.ndarray, ncols: int, width_msg: str) -> tuple[pl.DataFrame, np.ndarray]:
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


def _fit_width(a: Assembly, run: np.ndarray, frame: pl.DataFrame, ncols: int,
               width_msg: str) -> tuple[pl.DataFrame, np.ndarray]:
    """The header's columns of ``frame`` (one row per record of ``run``): a row with text past
    them is a reject; fields past them that are empty (a trailing delimiter) are dropped."""
    t, r = a.t, a.r
    keep = np.arange(run.size, dtype=np.int64)
    if frame.width > ncols:
        filled = _text_past(frame, ncols)
        for i in run[filled].tolist():
            a.reject(i, S.Reason.TOO_MANY_COLUMNS, width_msg.format(ncols, t.header_line, int(r.counts[i])))
        if filled.any():
            frame = frame.filter(pl.Series(~filled))
            keep = keep[~filled]
        frame = frame.select(f"c{k}" for k in range(ncols))
    return frame, keep
