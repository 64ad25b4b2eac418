"""The commands that read an export and print what they find, run in-process on a small export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from cli_exports import write_export
from typer.testing import CliRunner

from toolkit.cli import app


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_export(tmp_path / "export")


def run(*args: str):  # noqa: ANN201
    return CliRunner().invoke(app, list(args))


def test_load_summarises_and_writes_the_rejects(export: Path, tmp_path: Path) -> None:
    res = run("load", str(export), "--mapping", str(export / "mapping.yaml"), "--json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert {k: d[k] for k in ("source", "deals", "stage_events", "reps", "teams", "lines_in", "rows", "rejected",
                              "skipped", "rejects_by_reason")} == {
        "source": "generic", "deals": 3, "stage_events": 5, "reps": 2, "teams": 2, "lines_in": 11, "rows": 8,
        "rejected": 1, "skipped": 2, "rejects_by_reason": {"INVALID_DATE": 1}}
    res = run("load", str(export), "-m", str(export / "mapping.yaml"), "--rejects", str(tmp_path / "rejects.csv"))
    assert res.exit_code == 0 and res.stdout.splitlines()[0] == "source        generic"
    assert res.stdout.splitlines()[-1] == f"rejected records written to {tmp_path / 'rejects.csv'}"
    assert (tmp_path / "rejects.csv").read_bytes().startswith(b"\xef\xbb\xbffile,line,")  # a BOM, for Excel
    with (tmp_path / "rejects.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["file"], r["line"], r["column"], r["reason"], r["message"]) for r in rows] == [
        ("deals.csv", "5", "created_at", "INVALID_DATE", "expected a date in the file's format ISO (YYYY-MM-DD) in "
                                                         "column created_at; found '2025-02-30'")]


def test_metrics_json_per_team(export: Path) -> None:
    res = run("metrics", str(export), "-m", str(export / "mapping.yaml"), "--as-of", "2025-06-30", "--json")
    assert res.exit_code == 0, res.output
    teams = {t["team_name"]: (t["reps"], t["open"], t["won"], t["lost"], t["review_hours_full"])
             for t in json.loads(res.stdout)["teams"]}
    assert teams == {"North": (1, 1, 1, 0, 0.5), "South": (1, 1, 0, 0, 0.5)}  # C1 was rejected


def test_wrong_arguments_exit_2_with_the_reason(export: Path, tmp_path: Path) -> None:
    res = run("metrics", str(export), "--as-of", "June")
    assert res.exit_code == 2 and res.stderr == "error: expected --as-of as YYYY-MM-DD; found 'June'\n"
    res = run("samples", "--out", str(tmp_path / "s"), "--formats", "hubspot,sap")
    assert res.exit_code == 2 and res.stderr.startswith("error: unknown format(s) ['sap']; choose from [")
    assert not (tmp_path / "s").exists()  # nothing written
    res = run("load", str(tmp_path / "nothing-here"))
    assert res.exit_code == 1 and res.stderr.startswith("error: expected ")


def test_process_suggest_prints_or_writes_the_yaml(export: Path, tmp_path: Path) -> None:
    res = run("process", "suggest", str(export), "-m", str(export / "mapping.yaml"))
    assert res.exit_code == 0, res.output
    assert "stages:" in res.stdout and "Qualify" in res.stdout
    out = tmp_path / "process.yaml"
    res = run("process", "suggest", str(export), "-m", str(export / "mapping.yaml"), "--out", str(out))
    assert res.exit_code == 0 and res.stdout == f"process written to {out}; edit it, then pass --process {out}\n"
    assert out.read_text(encoding="utf-8") == run("process", "suggest", str(export), "-m",
                                                  str(export / "mapping.yaml")).stdout
