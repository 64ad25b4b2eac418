"""The careful splitter: Python's ``csv`` in strict mode, one record at a time, for the records the
fast splitter must not take (a broken quote, a byte that does not decode, a NUL, a byte-order mark
in the middle of the file). It rejects only the first line of a record whose quotes are broken and
hands back at the next line boundary."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence

import numpy as np

from toolkit import schema as S
from toolkit.filebytes import Buffer
from toolkit.loaders.scan import BOM

#: Longer records are rejected (a pasted e-mail thread, a broken quote swallowing the file).
MAX_RECORD_BYTES = 1 << 20


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
    bom = data[pos:pos + len(BOM)] == BOM

    def lines() -> Iterator[str]:
        at = pos + len(BOM) if bom else pos
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
