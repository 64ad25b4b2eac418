"""A deal-flow line whose JSON holds a lone surrogate escape ("\\ud800", half a UTF-16 pair) is a
reject of that line, not a UnicodeEncodeError from the frame (found by the fuzz test)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

import toolkit
from toolkit import schema as S

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "pipedrive"


def test_lone_surrogate_in_a_flow_line_is_a_reject(tmp_path: Path) -> None:
    folder = tmp_path / "pipedrive"
    shutil.copytree(SAMPLE, folder)
    flow = folder / "deal-flow.jsonl"
    lines = flow.read_bytes().split(b"\n")
    start = lines[2].index(b'"log_time":"') + len(b'"log_time":"')
    lines[2] = lines[2][:start] + b"\\ud800" + lines[2][start:]
    assert b"\\ud800" in lines[2]
    flow.write_bytes(b"\n".join(lines))
    data = toolkit.load(folder)
    rejects = data.rejects.filter(pl.col(S.FILE) == "deal-flow.jsonl")
    assert rejects.select(S.LINE, S.REASON).rows() == [(3, "MALFORMED_RECORD")]
    row = data.files.filter(pl.col("file") == "deal-flow.jsonl").row(0, named=True)
    assert row["rejected"] == 1 and row["row_lines"] + row["rejected"] + row["skipped"] == row["lines_in"]
