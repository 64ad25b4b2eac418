"""Faults: a failing team, an interrupted run, a second run, blocked data, other executors."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from report_runs import AS_OF, ROOT, SAMPLES, TWO_TEAMS

from toolkit.reporting.run import (
    DEFAULT_NOTEBOOK,
    EXIT_BLOCKED,
    EXIT_OK,
    EXIT_SOME_FAILED,
    RunLockedError,
    RunOptions,
    run_reports,
)


def notebook_with(tmp_path: Path, code: str) -> Path:
    nb = nbformat.read(DEFAULT_NOTEBOOK, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(code))
    path = tmp_path / "team_report.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_failing_team_leaves_the_others_published_and_its_old_report(tmp_path) -> None:
    out = tmp_path / "reports"
    broken, healthy = TWO_TEAMS
    old = out / AS_OF.isoformat() / broken / "team_report.html"
    old.parent.mkdir(parents=True)
    old.write_text("last week's report", encoding="utf-8")
    nb = notebook_with(tmp_path, f"if team_id == {broken!r}:\n    raise RuntimeError('injected failure')")
    told: list[tuple[str, str, int, int]] = []
    result = run_reports(RunOptions(input=SAMPLES / "salesforce_export", out=out, as_of=AS_OF, teams=TWO_TEAMS,
                                    formats=("html",), notebook=nb),
                         progress=lambda t, done, total: told.append((t.team_id, t.status, done, total)))
    assert result.exit_code == EXIT_SOME_FAILED
    assert sorted(told) == [(broken, "failed", told[[t[0] for t in told].index(broken)][2], 2),
                            (healthy, "rendered", told[[t[0] for t in told].index(healthy)][2], 2)]
    assert sorted(t[2] for t in told) == [1, 2]
    status = {t.team_id: t for t in result.teams}
    assert status[healthy].status == "published" and status[broken].status == "failed"
    assert "injected failure" in status[broken].reason
    assert old.read_text(encoding="utf-8") == "last week's report"
    assert (out / AS_OF.isoformat() / healthy / "team_report.html").stat().st_size > 10_000
    index = (out / AS_OF.isoformat() / "index.html").read_text(encoding="utf-8")
    assert "FAILED" in index and "injected failure" in index
    assert f"previous: <a href='{broken}/team_report.html'>HTML</a>" in index  # the kept report, linked


def test_a_cell_that_exits_early_is_caught_by_the_gate(tmp_path) -> None:
    nb = notebook_with(tmp_path, "import sys\nsys.exit(0)")
    result = run_reports(RunOptions(input=SAMPLES / "salesforce_export", out=tmp_path / "r", as_of=AS_OF,
                                    teams=TWO_TEAMS[:1], formats=("html",), notebook=nb))
    assert result.exit_code == EXIT_SOME_FAILED
    # papermill records the exit as an error output; were it to pass, the gate finds the sections missing
    assert "SystemExit" in result.teams[0].reason or "missing" in result.teams[0].reason


def test_an_interrupted_run_leaves_the_previous_reports_intact(tmp_path) -> None:
    out = tmp_path / "reports"
    first = run_reports(RunOptions(input=SAMPLES / "salesforce_export", out=out, as_of=AS_OF, teams=TWO_TEAMS[:1],
                                   formats=("html",)))
    assert first.exit_code == EXIT_OK
    day = out / AS_OF.isoformat()
    before = {p.relative_to(day): p.read_bytes() for p in day.rglob("*") if p.is_file() and p.name != ".lock"}
    slow = notebook_with(tmp_path, "import time\ntime.sleep(120)")
    code = (f"from toolkit.reporting.run import RunOptions, run_reports; import datetime as dt, pathlib as p\n"
            f"run_reports(RunOptions(input=p.Path({str(SAMPLES / 'salesforce_export')!r}), out=p.Path({str(out)!r}), "
            f"as_of=dt.date(2025, 6, 30), teams=({TWO_TEAMS[0]!r},), formats=('html',), force=True, "
            f"notebook=p.Path({str(slow)!r})))")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, start_new_session=True)
    staging = out / ".staging"
    deadline = time.time() + 90
    while time.time() < deadline and not list(staging.glob("*/out/*/team_report.ipynb")):
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole run: driver, workers, kernels
    proc.wait()
    after = {p.relative_to(day): p.read_bytes() for p in day.rglob("*") if p.is_file() and p.name != ".lock"}
    assert after == before
    assert not list(day.rglob("*.tmp"))


def test_a_second_run_on_the_same_folder_is_refused(tmp_path) -> None:
    day = tmp_path / AS_OF.isoformat()
    day.mkdir(parents=True)
    with (day / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(RunLockedError):
            run_reports(RunOptions(input=SAMPLES / "salesforce_export", out=tmp_path, as_of=AS_OF))
    cli = subprocess.run([sys.executable, "-m", "toolkit.cli", "report", str(SAMPLES / "salesforce_export"),
                          "--out", str(tmp_path), "--as-of", "2025-06-30"], capture_output=True, text=True)
    assert cli.returncode == 0 or cli.returncode == 3 or cli.returncode == 4  # free again: it may run


def test_blocked_data_publishes_nothing(tmp_path) -> None:
    # A process without the stage Negotiate: every deal in it has a stage the process does not know.
    process = tmp_path / "process.yaml"
    process.write_text("name: Short\nstages: [{name: Qualify}, {name: Discover}, {name: Propose}]\n"
                       "won: Closed Won\nlost: Closed Lost\n", encoding="utf-8")
    cli = subprocess.run([sys.executable, "-m", "toolkit.cli", "report", str(SAMPLES / "salesforce_export"),
                          "--out", str(tmp_path / "r"), "--as-of", "2025-06-30", "--process", str(process)],
                         capture_output=True, text=True, cwd=ROOT)
    assert cli.returncode == EXIT_BLOCKED, cli.stderr[-2000:]
    assert "deals.stage.known" in cli.stdout
    assert not (tmp_path / "r" / "2025-06-30" / "index.html").exists()


def test_papermill_directly_on_a_prepared_slice(tmp_path) -> None:
    slices = tmp_path / "slices"
    prep = subprocess.run([sys.executable, "-m", "toolkit.cli", "prepare", str(SAMPLES / "salesforce_export"),
                           "--out", str(slices), "--as-of", "2025-06-30"], capture_output=True, text=True, cwd=ROOT)
    assert prep.returncode == 0, prep.stderr[-2000:]
    team = TWO_TEAMS[1]
    out_nb = tmp_path / "out.ipynb"
    run = subprocess.run([sys.executable, "-m", "papermill", str(DEFAULT_NOTEBOOK), str(out_nb), "-p", "team_id", team,
                          "-p", "as_of", "2025-06-30", "-p", "data_dir", str(slices / team), "--no-progress-bar"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    nb = nbformat.read(out_nb, as_version=4)
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))
    assert "Nordics" in html and "data-section='appendix'" in html


def test_dask_executor_on_a_local_cluster(tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        result = run_reports(RunOptions(input=SAMPLES / "salesforce_export", out=tmp_path, as_of=AS_OF,
                                        teams=TWO_TEAMS[:1], formats=("html",)), executor=client.get_executor())
    assert result.exit_code == EXIT_OK, result.message
    manifest = json.loads((tmp_path / AS_OF.isoformat() / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["teams"][0]["status"] == "published"
