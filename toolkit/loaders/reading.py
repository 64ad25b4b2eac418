"""Reading delimited files so that nothing is lost.

Every physical line of a file ends in exactly one place: a row of the returned frame, a reject
(file, line, column, raw text, reason, message), or a counted skip (header, blank, preamble,
footer). Values stay text here; typing happens in :mod:`toolkit.loaders.values`, which adds its
own rejects.

The steps, one module each: the encoding (:mod:`~toolkit.loaders.encodings`), the delimiter and
the header, preamble and footer rules (:mod:`~toolkit.loaders.layout`), the records
(:mod:`~toolkit.loaders.splitting`: polars takes runs of many lines where it can, numpy scans
the others, Python's ``csv`` takes the records with stray quotes, bad bytes or broken quoting), the
ledger's decisions (:mod:`~toolkit.loaders.assembly`) and the frame (:mod:`~toolkit.loaders.rows`)
of a :class:`~toolkit.loaders.raw.RawTable`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl

from toolkit.errors import InputFileError
from toolkit.filebytes import Buffer, mapped_file, sha256_of
from toolkit.loaders.assembly import assemble
from toolkit.loaders.encodings import _BOMS, _collect_errors, bytes_encoding, decide_encoding, normalise_newlines
from toolkit.loaders.layout import detect_delimiter
from toolkit.loaders.raw import RawTable
from toolkit.loaders.scan import is_ascii
from toolkit.loaders.splitting import split_records

#: Tests set this to False to send every record through the careful splitter.
FAST_SPLIT = True
#: Tests set this to False to keep polars from taking runs of lines (numpy splits every record).
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
    # The file is mapped, not copied: its pages come and go as the splitter passes (the bytes of a
    # large file would otherwise be the largest buffer of the read).
    with mapped_file(path) as original:
        skip = max((len(bom) for bom, _enc in _BOMS if original[:len(bom)] == bom), default=0)
        if not re.compile(rb"[^\x00 \t\r\n]").search(original, skip):
            raise InputFileError("a file with a header and rows", f"{name} is empty (0 data bytes)",
                                 "re-run the CRM export; an empty file is never treated as 'no deals'")
        # hashlib lets go of the GIL: the file's hash is taken on the other core while it is split
        with ThreadPoolExecutor(max_workers=1) as pool:
            sha256 = pool.submit(sha256_of, original)
            table = _read_bytes(path, name, original, encoding, delimiter, expected, required_any)
            table.sha256 = sha256.result()
    return table


def _read_bytes(path: Path, name: str, original: Buffer, encoding: str | None, delimiter: str | None,
                expected: Sequence[str], required_any: int) -> RawTable:
    # (told once: the encoding and the splitter both ask, and each pass maps the whole file in)
    ascii_only = is_ascii(original)
    enc, data, bad, enc_note = decide_encoding(original, encoding, ascii_only)
    # The bytes as read stay ASCII with \r removed; transcoded ones (UTF-16) are looked at again.
    known_ascii = True if ascii_only and data is original else None
    text_enc = bytes_encoding(enc)
    if data.find(b"\r") >= 0:  # (memchr; "in" on a map is a byte-by-byte loop)
        data = normalise_newlines(data)
        if bad:  # offsets moved with the removed \r
            bad = _collect_errors(data, text_enc)
    sample = data[:65536].decode(text_enc, "replace")
    delim = delimiter or detect_delimiter(sample, expected)
    records = split_records(data, delim, text_enc, bad, fast=FAST_SPLIT, express=EXPRESS, ascii_only=known_ascii)
    lines_in = records.newlines + (0 if data[-1:] == b"\n" else 1)
    table = RawTable(file=name, sha256="", frame=pl.DataFrame(), header=[],
                     lines_in=lines_in, encoding=enc, delimiter=delim, header_line=0, source_bytes=data,
                     line_offsets=records.line_starts, text_encoding=text_enc)
    if enc_note:
        table.notes.append(enc_note)
    table.careful_records = int(records.careful.sum())
    table.chunk_records = sum(run.rows for run in records.runs)
    assemble(table, records, expected, required_any)
    if data is original:
        # The file holds exactly these bytes: the map is closed after reading, and a line that
        # typing rejects is read from the file when one is needed.
        table.source_bytes, table.source_path = None, path
    return table
