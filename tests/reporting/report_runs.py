"""Report runs shared by the reporting tests (each run executes real notebooks: kept few)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from toolkit.loaders.options import LoadOptions
from toolkit.reporting.options import RunOptions, RunResult
from toolkit.reporting.run import run_reports

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
AS_OF = dt.date(2025, 6, 30)
TWO_TEAMS = ("dach-1f77f8", "nordics-49521b")

EVIL = "<img src=x onerror=alert(1)>"
MAPPING = """\
files: {deals: deals.csv, stage_events: history.csv}
date_style: iso
currency: EUR
columns:
  deals: {deal_id: id, deal_name: name, owner_name: rep, team_name: team, manager_name: manager, stage_raw: stage,
          amount: amount, created_at: created, close_date: close, decision_maker: dm, next_step: next}
  stage_events: {deal_id: id, stage_raw: stage, entered_at: at}
"""


def write_hostile_export(folder: Path) -> Path:
    """Two teams; deal and rep names that try to inject HTML, markdown and formulas."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["id,name,rep,team,manager,stage,amount,created,close,dm,next"]
    hist = ["id,stage,at"]
    names = [EVIL, "[x](javascript:alert(1))", "=HYPERLINK(\"http://x\")", "**bold** | `tick`",
             "<script>alert(2)</script>", "Plain deal"]
    for i, name in enumerate(names):
        team = "Sales/EMEA" if i % 2 == 0 else "Sales EMEA"
        rep = "O'Brien \"X\"" if i % 2 == 0 else "Zoë Ødegaard"
        quoted = '"' + name.replace('"', '""') + '"'
        rows.append(f"D{i},{quoted},\"{rep.replace(chr(34), chr(34) * 2)}\",{team},Mgr {i % 2},Qualify,{1000 + i},"
                    f"2025-06-0{i + 1},2025-08-01,Ann,Call")
        hist.append(f"D{i},Qualify,2025-06-0{i + 1} 09:00")
    (folder / "deals.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "history.csv").write_text("\n".join(hist) + "\n", encoding="utf-8")
    (folder / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def two_team_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    out = tmp_path_factory.mktemp("reports")
    result = run_reports(RunOptions(input=SAMPLES / "salesforce_export", out=out, as_of=AS_OF, teams=TWO_TEAMS,
                                    jobs=2))
    return result, out / AS_OF.isoformat()


@pytest.fixture(scope="session")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    export = write_hostile_export(tmp_path_factory.mktemp("hostile"))
    out = tmp_path_factory.mktemp("hostile_reports")
    result = run_reports(RunOptions(input=export, out=out, as_of=AS_OF, jobs=2))
    return result, out / AS_OF.isoformat()


TEN_REPS = "us-east-4be210"  # the sample team of 10 reps: page 1 must hold its whole answer
NO_HISTORY_TEAM = "dach-1f77f8"


@pytest.fixture(scope="session")
def ten_rep_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ten_reps")
    result = run_reports(RunOptions(input=SAMPLES / "salesforce_export", out=out, as_of=AS_OF, teams=(TEN_REPS,)))
    assert result.exit_code == 0, result.message
    return out / AS_OF.isoformat() / TEN_REPS


def write_pipedrive_without_history(folder: Path) -> Path:
    """The Pipedrive sample without deal-flow.jsonl: deals and roster only, so no stage history."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("deals-7345120-1.csv", "roster.csv"):
        (folder / name).write_bytes((SAMPLES / "pipedrive" / name).read_bytes())
    return folder


@pytest.fixture(scope="session")
def no_history_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    export = write_pipedrive_without_history(tmp_path_factory.mktemp("pipedrive_no_history"))
    out = tmp_path_factory.mktemp("no_history_reports")
    result = run_reports(RunOptions(input=export, load=LoadOptions(roster=export / "roster.csv"), out=out, as_of=AS_OF,
                                    teams=(NO_HISTORY_TEAM,)))
    assert result.exit_code == 0, result.message
    return out / AS_OF.isoformat() / NO_HISTORY_TEAM
