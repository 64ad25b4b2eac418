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


SMALL_MAPPING = """\
files: {deals: deals.csv, stage_events: history.csv}
date_style: iso
currency: EUR
columns:
  deals: {deal_id: id, deal_name: name, owner_name: rep, team_name: team, manager_name: manager, stage_raw: stage,
          amount: amount, created_at: created, close_date: close, closed_at: closed, decision_maker: dm,
          next_step: next}
  stage_events: {deal_id: id, stage_raw: stage, entered_at: at}
"""
NORTH, SOUTH = "north-dc365e", "south-2daa8d"


def write_small_export(folder: Path) -> Path:
    """Two teams, four deals, figures known by hand (as of 2025-06-30, the default process):

    North (Mia; rep Ann): A1 new on 26 Jun, in Qualify; A2 won on 20 Jun after every stage in time;
    A3 skipped Discover (Qualify -> Propose on 25 Jun, after 23 days in Qualify, limit 14): 2 of 3 deals
    compliant, 2 open.
    South (Max; rep Bob): B1 in Discover without the decision maker Discover requires: 0 of 1.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deals.csv").write_text(
        "id,name,rep,team,manager,stage,amount,created,close,closed,dm,next\n"
        "A1,Alpha,Ann,North,Mia,Qualify,1000,2025-06-26,2025-08-01,,Kim,Call\n"
        "A2,Beta,Ann,North,Mia,Closed Won,2500,2025-05-01,2025-06-20,2025-06-20,Lee,Sign\n"
        "A3,Delta,Ann,North,Mia,Propose,700,2025-06-02,2025-07-31,,Joe,Demo\n"
        "B1,Gamma,Bob,South,Max,Discover,400,2025-06-10,2025-07-15,,,Call\n", encoding="utf-8")
    (folder / "history.csv").write_text(
        "id,stage,at\n"
        "A1,Qualify,2025-06-26 09:00\n"
        "A2,Qualify,2025-05-01 09:00\nA2,Discover,2025-05-10 09:00\nA2,Propose,2025-05-20 09:00\n"
        "A2,Negotiate,2025-06-01 09:00\nA2,Closed Won,2025-06-20 09:00\n"
        "A3,Qualify,2025-06-02 09:00\nA3,Propose,2025-06-25 09:00\n"
        "B1,Qualify,2025-06-10 09:00\nB1,Discover,2025-06-12 09:00\n", encoding="utf-8")
    (folder / "mapping.yaml").write_text(SMALL_MAPPING, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def small_slices(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small export's slices (``prepare_slices``), one folder per team."""
    import toolkit
    from toolkit.reporting.slices import prepare_slices

    export = write_small_export(tmp_path_factory.mktemp("small_export"))
    out = tmp_path_factory.mktemp("small_slices")
    prepare_slices(toolkit.load(export, mapping=export / "mapping.yaml"), toolkit.load_process(), AS_OF, out)
    return out


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
