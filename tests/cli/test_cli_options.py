"""What the commands share: the load options defined once, --as-of and --teams read, an unusable
input turned into exit 1 with its message."""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from toolkit.cli.options import LOAD_OPTIONS, as_of_date, load_export, load_options, team_choice
from toolkit.exit_codes import ExitCode
from toolkit.loaders.options import LoadOptions


def test_team_choice() -> None:
    assert team_choice("all") == () and team_choice(" ") == () and team_choice("") == ()
    assert team_choice(" dach ,nordics-49521b,, ") == ("dach", "nordics-49521b")
    assert team_choice("DACH") == ("DACH",)


def test_as_of_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert as_of_date("2025-06-30") == dt.date(2025, 6, 30)
    assert as_of_date(None) == dt.date.today()
    with pytest.raises(typer.Exit) as exc:
        as_of_date("30/06/2025")
    assert exc.value.exit_code == ExitCode.BLOCKED == 2
    assert capsys.readouterr().err == "error: expected --as-of as YYYY-MM-DD; found '30/06/2025'\n"


def test_load_options_become_one_argument() -> None:
    seen: list[LoadOptions] = []

    @load_options
    def command(path: Path, load_options: LoadOptions, flag: bool = False) -> None:
        seen.append(load_options)

    params = inspect.signature(command).parameters
    assert list(params) == ["path", "flag", "source", "mapping", "roster", "process", "date_style"]
    assert [name for name, _ in LOAD_OPTIONS] == ["source", "mapping", "roster", "process", "date_style"]
    assert all(params[n].kind is inspect.Parameter.KEYWORD_ONLY and params[n].default is None
               for n, _ in LOAD_OPTIONS)
    app = typer.Typer()
    app.command()(command)
    res = CliRunner().invoke(app, ["export/", "--source", "hubspot", "-r", "teams.csv", "--date-style", "dmy"])
    assert res.exit_code == 0, res.output
    assert seen == [LoadOptions(source="hubspot", roster=Path("teams.csv"), date_style="dmy")]


def test_an_unusable_export_exits_1_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(typer.Exit) as exc:
        load_export(tmp_path / "x.csv", LoadOptions())
    assert exc.value.exit_code == ExitCode.INPUT == 1
    err = capsys.readouterr().err
    assert err.startswith("error: expected ") and "Hint: " in err
