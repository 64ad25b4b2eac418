"""Spreadsheet-safe, atomic writes."""

from __future__ import annotations

import csv
import os

import polars as pl
import pytest

from toolkit.reporting.exports import (
    neutralise_formulas,
    write_atomic,
    write_csv_atomic,
)


def test_neutralise_formulas_text_only() -> None:
    frame = pl.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+1", "-x", "@sum", "\tx", "\rx", "plain", None, "a=b"],
                          "amount": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]})
    out = neutralise_formulas(frame)
    assert out["name"].to_list() == ["'=HYPERLINK(\"http://x\")", "'+1", "'-x", "'@sum", "'\tx", "'\rx", "plain", None,
                                     "a=b"]
    assert out["amount"].to_list() == frame["amount"].to_list()  # a negative number stays a number
    assert frame["name"][0] == "=HYPERLINK(\"http://x\")"  # the input is not mutated


def test_write_csv_atomic(tmp_path) -> None:
    path = tmp_path / "sub" / "rejects.csv"
    frame = pl.DataFrame({"line": [3, 4], "raw": ["=1+1", "Zoë, \"quoted\""]})
    assert write_csv_atomic(frame, path) == path
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for Excel
    with path.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh)) == [["line", "raw"], ["3", "'=1+1"], ["4", "Zoë, \"quoted\""]]
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in path.parent.iterdir()] == ["rejects.csv"]  # no temporary file left


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch) -> None:
    path = tmp_path / "index.html"
    path.write_text("old", encoding="utf-8")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(path, "new")
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]
