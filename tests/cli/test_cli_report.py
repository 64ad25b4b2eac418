"""The commands that write reports, run in-process: arguments refused before any work, and the
slices `prepare` writes for running the notebook yourself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cli_exports import write_export
from typer.testing import CliRunner

from toolkit.cli import app


def run(*args: str):  # noqa: ANN201
    return CliRunner().invoke(app, list(args))


def test_report_refuses_unknown_formats_before_reading_anything(tmp_path: Path) -> None:
    res = run("report", str(tmp_path / "not-read"), "--out", str(tmp_path / "r"), "--formats", "html,docx")
    assert res.exit_code == 2 and res.stderr == "error: --formats takes html,pdf or one of them; found 'html,docx'\n"
    assert run("report", str(tmp_path), "--formats", " , ").exit_code == 2
    assert not (tmp_path / "r").exists()


def test_report_of_an_unknown_team_lists_the_known(tmp_path: Path) -> None:
    export = write_export(tmp_path / "export")
    res = run("report", str(export), "-m", str(export / "mapping.yaml"), "--out", str(tmp_path / "r"), "--as-of",
              "2025-06-30", "--teams", "EMEA")
    assert res.exit_code == 1
    assert ("error: expected team ids or names from this export; found ['EMEA']. Hint: known teams: north-dc365e "
            "(North), south-2daa8d (South); or use --teams all") in res.stderr


def test_prepare_writes_a_slice_per_chosen_team(tmp_path: Path) -> None:
    export = write_export(tmp_path / "export")
    out = tmp_path / "slices"
    res = run("prepare", str(export), "-m", str(export / "mapping.yaml"), "--out", str(out), "--as-of", "2025-06-30",
              "--teams", " south ")
    assert res.exit_code == 0, res.output
    assert res.stdout == f"south-2daa8d\t{out / 'south-2daa8d'}\n"
    assert sorted(p.name for p in out.iterdir()) == ["south-2daa8d"]
    meta = json.loads((out / "south-2daa8d" / "slice.json").read_text(encoding="utf-8"))
    assert (meta["team_id"], meta["figures"]["team_name"], meta["figures"]["open"]) == ("south-2daa8d", "South", 1)
    # no check of severity error fails on this export (a rejected line is not one), so no warning
    assert "blocking data-quality errors" not in res.stderr


def test_the_report_command_imports_no_dataframe_library_before_it_has_work() -> None:
    # a rerun with nothing to do is decided from the inputs' hashes: polars and numpy alone
    # would cost more than the hashing
    code = ("import sys, toolkit.cli, toolkit.reporting.run; "
            "print(sorted(m for m in ('polars', 'numpy', 'pandas', 'papermill') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
