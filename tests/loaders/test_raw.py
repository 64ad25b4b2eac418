"""One file as read: raw text safe to print, a line re-read for its reject, the ledger's counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from toolkit import schema as S
from toolkit.loaders.raw import ROW_END_LINE, ROW_LINE, RawTable, escape_raw, ledger_counts


def _table(frame: pl.DataFrame, lines_in: int, **kw: object) -> RawTable:
    return RawTable(file="f.csv", sha256="", frame=frame, header=[], lines_in=lines_in, encoding="utf-8",
                    delimiter=",", header_line=1, **kw)  # type: ignore[arg-type]


def test_raw_text_escapes_control_characters_and_newlines_but_keeps_tabs() -> None:
    assert escape_raw("a\tb\nc\rd\x00e\u200bf") == "a\tb\\nc\\rd\\x00e\\u200bf"
    assert escape_raw("Zoë, 5 €") == "Zoë, 5 €"


def test_a_rejected_line_is_read_again_from_the_file_once_its_bytes_are_gone(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"Id,Name\n1,a\n2,\x01b\n3,c\nd\n")
    t = _table(pl.DataFrame(), 5, line_offsets=np.array([0, 8, 12, 17, 21, 23]), source_path=path)
    assert t.raw_line(3, 3) == "2,\\x01b"
    assert t.raw_line(4, 5) == "3,c\\nd"
    t.release()
    assert t.raw_line(3, 3) is None


def test_the_ledger_counts_lines_of_rows_rejects_and_skips_once_each() -> None:
    frame = pl.DataFrame({ROW_LINE: [2, 3], ROW_END_LINE: [2, 5]})  # the second row spans 3 lines
    t = _table(frame, 9)
    t.reject(6, 7, None, "x", S.Reason.TOO_MANY_COLUMNS, "m")
    t.reject(6, 7, "Amount", "x", S.Reason.INVALID_NUMBER, "m")  # the same lines twice count once
    t.skipped.update({"header": 1, "blank": 1})
    assert ledger_counts(t) == (4, 2, 2)



def test_a_table_whose_rows_are_taken_keeps_only_their_lines_and_the_same_ledger() -> None:
    frame = pl.DataFrame({"Amount": ["1", "2"], ROW_LINE: [2, 3], ROW_END_LINE: [2, 5]})
    t = _table(frame, 5)
    t.skipped.update({"header": 1})
    before = ledger_counts(t)
    t.keep_lines_only()
    assert t.frame.columns == [ROW_LINE, ROW_END_LINE] and t.frame.height == 2
    assert ledger_counts(t) == before == (4, 0, 1)
