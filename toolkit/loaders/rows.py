"""The frame of a file's good records: the rows polars parsed with their chunk, runs of other fast
records read by polars from their bytes, and the careful splitter's rows as it split them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from toolkit import schema as S
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


def _finish_frame(frame: pl.DataFrame, header: list[str], *, spaces: Spaces = "any") -> pl.DataFrame:
    frame = frame.rename({f"c{i}": h for i, h in enumerate(header)})
    # Values are stripped and empty ones made null; a column costs a copy only where it has such
    # values, which one pass over all columns tells.
    if frame.height and spaces != "none":
        probe = frame.select(_needs_strip(h, spaces).any().alias(str(i)) for i, h in enumerate(header)).row(0)
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
    lines = column(ROW_LINE, first)
    # (a file of one record per line: the last lines are the first, and share their buffers)
    return frame.with_columns(lines, lines.alias(ROW_END_LINE) if last is first else column(ROW_END_LINE, last))


def frame_of(a: Assembly, good: np.ndarray, ncols: int, width_msg: str) -> pl.DataFrame:
    """The frame of the good records: runs of fast records read by polars, careful ones as split."""
    t, r = a.t, a.r
    pieces: list[pl.DataFrame] = []
    kept: list[np.ndarray] = []
    if good.size:
        careful = r.careful[good]
        breaks = np.flatnonzero((np.diff(good) != 1) | (careful[1:] != careful[:-1])) + 1
        chunks = _ParsedChunks(r.parsed)
        for run in np.split(good, breaks):
            parts = [_careful_rows(a, run, ncols, width_msg)] if r.careful[run[0]] else _fast_rows(a, run, chunks,
                                                                                                  ncols, width_msg)
            for frame, keep in parts:
                pieces.append(frame)
                kept.append(run[keep])
    if not pieces:
        pieces, kept = [pl.DataFrame(schema={f"c{i}": pl.String for i in range(ncols)})], [good[:0]]
    r.parsed.clear()  # the pieces hold those frames now: the joined frame must be their only holder
    frame = _aligned(pl.concat(pieces, how="vertical", rechunk=False))
    del pieces
    rows = np.concatenate(kept)
    first = rows + 1 if a.one_per_line else a.first[rows]
    frame = _with_lines(frame, first, first if a.last is a.first else a.last[rows])
    # Careful rows come stripped; fast ones need it only where the splitter saw whitespace.
    return _finish_frame(frame, t.header, spaces=r.spaces)


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


def _fast_rows(a: Assembly, run: np.ndarray, chunks: _ParsedChunks, ncols: int,
               width_msg: str) -> list[tuple[pl.DataFrame, np.ndarray]]:
    """A run of fast records as (frame, which records of the run it holds) pieces: the rows
    polars already parsed with their chunk, the others read from their bytes in pieces."""
    out: list[tuple[pl.DataFrame, np.ndarray]] = []
    done = 0
    for part, parsed in chunks.cut(run):
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


class _ParsedChunks:
    """Where the chunks polars parsed start and end among a file's records, found once."""

    def __init__(self, parsed: list[tuple[int, pl.DataFrame]]) -> None:
        self.parsed = parsed
        self.firsts = np.fromiter((f for f, _ in parsed), dtype=np.int64, count=len(parsed))
        self.ends = self.firsts + np.fromiter((fr.height for _, fr in parsed), dtype=np.int64, count=len(parsed))

    def cut(self, run: np.ndarray) -> list[tuple[np.ndarray, tuple[int, pl.DataFrame] | None]]:
        """``run`` cut where it enters or leaves a parsed chunk, each part with that chunk."""
        if not self.parsed:
            return [(run, None)]
        # ``run`` is ascending: it changes chunk only where a chunk starts or ends, so those edges
        # are looked up in it (a few per chunk), not each record among the chunks.
        edges = np.searchsorted(run, np.union1d(self.firsts, self.ends))
        cuts = np.unique(edges[(edges > 0) & (edges < run.size)])
        parts = np.split(run, cuts)
        which = np.searchsorted(self.firsts, [int(p[0]) for p in parts], side="right") - 1
        return [(part, self.parsed[k] if k >= 0 and part[0] < self.ends[k] else None)
                for part, k in zip(parts, which.tolist(), strict=True)]


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
