"""Faults of a report run, each contained: failing, dying and hanging kernels, a killed run, a
second run, publish errors, interrupted publishes, blocked data, other executors."""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from report_runs import AS_OF, ROOT, SAMPLES, TWO_TEAMS

from toolkit.errors import RunLockedError
from toolkit.exit_codes import ExitCode
from toolkit.reporting.options import DEFAULT_NOTEBOOK, RunOptions
from toolkit.reporting.run import run_reports

SF = SAMPLES / "salesforce_export"


def notebook_with(tmp_path: Path, code: str) -> Path:
    nb = nbformat.read(DEFAULT_NOTEBOOK, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(code))
    path = tmp_path / "team_report.ipynb"
    nbformat.write(nb, path)
    return path


def cli(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "toolkit.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=900, check=False, **kw)  # type: ignore[call-overload]


def manifest(day: Path) -> dict:
    return json.loads((day / "manifest.json").read_text(encoding="utf-8"))


def test_a_failing_team_leaves_the_others_published_and_its_old_report(tmp_path) -> None:
    out = tmp_path / "reports"
    broken, healthy = TWO_TEAMS
    old = out / AS_OF.isoformat() / broken / "team_report.html"
    old.parent.mkdir(parents=True)
    old.write_text("last week's report", encoding="utf-8")
    nb = notebook_with(tmp_path, f"if team_id == {broken!r}:\n    raise RuntimeError('injected failure')")
    told: list[tuple[str, str]] = []
    result = run_reports(RunOptions(input=SF, out=out, as_of=AS_OF, teams=TWO_TEAMS, formats=("html",), notebook=nb),
                         progress=lambda t, done, total: told.append((t.team_id, t.status)))
    assert result.exit_code == ExitCode.SOME_FAILED
    assert sorted(told) == [(broken, "failed"), (healthy, "published")]
    status = {t.team_id: t for t in result.teams}
    assert status[healthy].status == "published" and status[broken].status == "failed"
    # cell 3 of the executed notebook (kept for ops): papermill adds its injected-parameters cell
    assert status[broken].cell == 3 and "RuntimeError: injected failure" in status[broken].reason
    assert old.read_text(encoding="utf-8") == "last week's report"
    assert (old.parent / "team_report.failed.ipynb").is_file()  # the executed notebook, for ops
    day = out / AS_OF.isoformat()
    assert (day / healthy / "team_report.html").stat().st_size > 10_000
    index = (day / "index.html").read_text(encoding="utf-8")
    assert "FAILED" in index and "injected failure" in index
    assert f'previous: <a href="{broken}/team_report.html">HTML</a>' in index  # the kept report, linked
    entry = next(t for t in manifest(day)["teams"] if t["team_id"] == broken)
    assert entry["status"] == "failed" and entry["run_key"] is None  # files of unknown origin, kept


def test_a_cell_that_exits_early_is_caught(tmp_path) -> None:
    nb = notebook_with(tmp_path, "import sys\nsys.exit(0)")
    result = run_reports(RunOptions(input=SF, out=tmp_path / "r", as_of=AS_OF, teams=TWO_TEAMS[:1],
                                    formats=("html",), notebook=nb))
    assert result.exit_code == ExitCode.SOME_FAILED
    # the kernel records the exit as an error output (were it not, the gate would find the later
    # sections missing: tests/reporting/test_gate.py)
    assert result.teams[0].cell == 3
    assert result.teams[0].reason == (f"ReportExecutionError: expected notebook team_report.ipynb to run for team "
                                      f"{TWO_TEAMS[0]}; found cell 3: SystemExit: 0")


def test_a_dead_or_hung_kernel_fails_its_team_only(tmp_path) -> None:
    """Issue case 1: a kernel that dies (as vl-convert's panic kills it) or stops answering."""
    dies, hangs = TWO_TEAMS
    nb = notebook_with(tmp_path, f"import os, time\nif team_id == {dies!r}:\n    os.kill(os.getpid(), 9)\n"
                                 f"if team_id == {hangs!r}:\n    time.sleep(10**6)")
    teams = (*TWO_TEAMS, "DACH")  # DACH is dies' name: asked twice, rendered once
    result = run_reports(RunOptions(input=SF, out=tmp_path / "r", as_of=AS_OF, teams=teams, formats=("html",),
                                    notebook=nb, team_timeout=20, jobs=2))
    assert result.exit_code == ExitCode.SOME_FAILED
    status = {t.team_id: t for t in result.teams}
    assert set(status) == set(TWO_TEAMS)
    assert status[dies].status == "failed" and "DeadKernelError" in status[dies].reason, status[dies].reason
    assert status[hangs].status == "failed" and "no result within 20 s" in status[hangs].reason
    # the run went on: the all-teams page was rendered after both
    assert manifest(tmp_path / "r" / AS_OF.isoformat())["org_summary"]["status"] == "published"


def control_char_export(folder: Path) -> Path:
    from report_runs import MAPPING

    folder.mkdir(parents=True)
    (folder / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    rows = ["id,name,rep,team,manager,stage,amount,created,close,dm,next"]
    hist = ["id,stage,at"]
    for i, rep in enumerate(["Ann\x0bLee", "Bob\x1cKay", "Cem\x07Ova"]):
        rows.append(f"D{i},Deal {i},\"{rep}\",Team A,Mgr,Qualify,{100 + i},2025-06-0{i + 1},2025-08-01,Ann,Call")
        hist.append(f"D{i},Qualify,2025-06-0{i + 1} 09:00")
    (folder / "deals.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "history.csv").write_text("\n".join(hist) + "\n", encoding="utf-8")
    return folder


def test_control_characters_in_names_render(tmp_path) -> None:
    """Issue case 1: a vertical tab in a rep name made vl-convert abort the kernel."""
    result = run_reports(RunOptions(input=control_char_export(tmp_path / "x"), out=tmp_path / "r", as_of=AS_OF,
                                    team_timeout=120))
    assert result.exit_code == ExitCode.OK, result.message
    html = (tmp_path / "r" / AS_OF.isoformat() / result.teams[0].team_id / "team_report.html").read_text("utf-8")
    # tables keep the name readable (the loader may already have turned the control into a space)
    assert re.search("<bdi>Ann[\x0b ]Lee</bdi>", html)


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in found:
                found.add(c)
                todo.append(c)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_the_run_frees_the_lock_and_a_new_run_publishes(tmp_path) -> None:
    """Issue case 2: workers and kernels die with the main process; the next run starts at once."""
    out = tmp_path / "reports"
    day = out / AS_OF.isoformat()
    slow = notebook_with(tmp_path, "import time\ntime.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-m", "toolkit.cli", "report", str(SF), "--out", str(out), "--as-of",
                             AS_OF.isoformat(), "--teams", TWO_TEAMS[0], "--formats", "html", "--notebook", str(slow)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list(day.glob(".staging/*/out/*/team_report.ipynb")):
        time.sleep(0.5)
    assert list(day.glob(".staging/*/out/*/team_report.ipynb")), "the run never started rendering"
    family = _descendants(proc.pid)
    assert len(family) >= 3  # forkserver, a worker, its kernel
    proc.send_signal(signal.SIGKILL)  # the main process only: the others must follow by themselves
    proc.wait()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(_alive(p) for p in family):
        time.sleep(0.5)
    assert not [p for p in family if _alive(p)]
    again = cli("report", str(SF), "--out", str(out), "--as-of", AS_OF.isoformat(), "--teams", TWO_TEAMS[0],
                "--formats", "html")
    assert again.returncode == ExitCode.OK, again.stderr[-2000:]
    assert [t["status"] for t in manifest(day)["teams"]] == ["published"]
    assert not (day / ".staging").exists()  # the killed run's staging (with every slice) is gone
    # Issue case 9: libraries' chatter goes to the run log, not to ops' terminal
    for noise in ("Created temporary directory", "zmq context", "setuptools", "Traceback"):
        assert noise not in again.stderr
    assert "Created temporary directory" in (day / "run.log").read_text(encoding="utf-8")
    assert again.stderr.splitlines()[-1] == f"INFO toolkit.report: published {TWO_TEAMS[0]} (1/1)"


def test_a_second_run_on_the_same_folder_is_refused(tmp_path) -> None:
    day = tmp_path / AS_OF.isoformat()
    day.mkdir(parents=True)
    with (day / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(RunLockedError):
            run_reports(RunOptions(input=SF, out=tmp_path, as_of=AS_OF))
        held = cli("report", str(SF), "--out", str(tmp_path), "--as-of", AS_OF.isoformat())
    assert held.returncode == ExitCode.LOCKED
    assert "another run" in held.stderr and "source salesforce" not in held.stderr  # refused before loading


def test_out_problems_are_one_line_before_any_work(tmp_path) -> None:
    """Issue case 3: --out a file, a folder that cannot be written; no space (tests/reporting/test_publish.py)."""
    a_file = tmp_path / "reports"
    a_file.write_text("not a folder", encoding="utf-8")
    for out in (a_file, Path("/sys/toolkit-reports")):
        res = cli("report", str(SF), "--out", str(out), "--as-of", AS_OF.isoformat())
        assert res.returncode == ExitCode.INPUT
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: expected an output folder"), res.stderr


def test_a_publish_error_fails_that_team_only(tmp_path) -> None:
    """Issue case 3: one team's folder cannot be written; the others publish, index and manifest too."""
    out = tmp_path / "r"
    blocked, fine = TWO_TEAMS
    (out / AS_OF.isoformat()).mkdir(parents=True)
    (out / AS_OF.isoformat() / blocked).write_text("a file where the team folder goes", encoding="utf-8")
    result = run_reports(RunOptions(input=SF, out=out, as_of=AS_OF, teams=TWO_TEAMS, formats=("html",)))
    assert result.exit_code == ExitCode.SOME_FAILED
    status = {t.team_id: t for t in result.teams}
    assert status[fine].status == "published"
    assert status[blocked].status == "failed" and status[blocked].reason.startswith("publishing failed: ")
    m = manifest(out / AS_OF.isoformat())
    assert {t["team_id"]: t["status"] for t in m["teams"]} == {blocked: "failed", fine: "published"}
    assert f"FAILED {blocked}: publishing failed" in result.message


def _changed_export(tmp_path: Path) -> Path:
    """The sample export with one amount changed: another input, the same teams."""
    b = tmp_path / "input_b"
    shutil.copytree(SF, b)
    opp = b / "Opportunity.csv"
    text = opp.read_text(encoding="utf-8")
    first_row = text.splitlines()[1]
    opp.write_text(text.replace(first_row, first_row.replace(",", ", ", 1), 1), encoding="utf-8")
    return b


def test_an_interrupted_publish_is_redone_by_the_next_run(tmp_path) -> None:
    """Issue case 4: a run of input B killed right after one team's files were replaced."""
    out = tmp_path / "reports"
    day = out / AS_OF.isoformat()
    team = TWO_TEAMS[0]
    first = run_reports(RunOptions(input=SF, out=out, as_of=AS_OF, teams=(team,), formats=("html",)))
    assert first.exit_code == ExitCode.OK
    key_a = manifest(day)["teams"][0]["run_key"]
    b = _changed_export(tmp_path)
    # Die the moment the team's files are in place, before the manifest says "published".
    code = ("import os, signal, datetime as dt, pathlib as p\n"
            "import toolkit.reporting.publish as publish\n"
            "import toolkit.reporting.run as run\n"
            "real = publish.publish_files\n"
            "def publish_then_die(stage, target, files):\n"
            "    hashes = real(stage, target, files)\n"
            f"    if target.name == {team!r}:\n"
            "        os.kill(os.getpid(), signal.SIGKILL)\n"
            "    return hashes\n"
            "publish.publish_files = publish_then_die\n"
            f"run.run_reports(run.RunOptions(input=p.Path({str(b)!r}), out=p.Path({str(out)!r}), "
            f"as_of=dt.date(2025, 6, 30), teams=({team!r},), formats=('html',)))\n")
    killed = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    assert killed.wait(timeout=900) == -signal.SIGKILL
    entry = manifest(day)["teams"][0]
    assert entry["status"] == "publishing" and entry["run_key"] == key_a  # the truth: B's files, not A's
    assert list((day / ".staging").iterdir())  # the killed run's slices are still there...
    again = run_reports(RunOptions(input=SF, out=out, as_of=AS_OF, teams=(team,), formats=("html",)))
    assert not again.message.startswith("nothing to do")
    assert again.exit_code == ExitCode.OK and [t.status for t in again.teams] == ["published"]
    entry = manifest(day)["teams"][0]
    assert entry["status"] == "published" and entry["run_key"] == key_a
    assert not (day / ".staging").exists()  # ...and cleaned by the next run
    noop = run_reports(RunOptions(input=SF, out=out, as_of=AS_OF, teams=(team,), formats=("html",)))
    assert noop.message.startswith("nothing to do")


def test_a_teams_run_merges_into_the_days_index(tmp_path) -> None:
    """Issue case 6: a one-team run keeps the other teams of the day in the index and manifest."""
    out = tmp_path / "r"
    day = out / AS_OF.isoformat()
    for team in TWO_TEAMS:
        assert run_reports(RunOptions(input=SF, out=out, as_of=AS_OF, teams=(team,), formats=("html",),
                                      force=True)).exit_code == ExitCode.OK
    m = manifest(day)
    assert [(t["team_id"], t["status"]) for t in m["teams"]] == [(t, "published") for t in sorted(TWO_TEAMS)]
    index = (day / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{t}/team_report.html"' in index for t in TWO_TEAMS)
    org = (day / "org_summary.html").read_text(encoding="utf-8")
    assert "<p>4 teams," in org  # every team of the day, not the run's one


def test_blocked_data_publishes_nothing(tmp_path) -> None:
    # A process without the stage Negotiate: every deal in it has a stage the process does not know.
    process = tmp_path / "process.yaml"
    process.write_text("name: Short\nstages: [{name: Qualify}, {name: Discover}, {name: Propose}]\n"
                       "won: Closed Won\nlost: Closed Lost\n", encoding="utf-8")
    res = cli("report", str(SF), "--out", str(tmp_path / "r"), "--as-of", "2025-06-30", "--process", str(process))
    assert res.returncode == ExitCode.BLOCKED, res.stderr[-2000:]
    assert "deals.stage.known" in res.stdout
    assert not (tmp_path / "r" / "2025-06-30" / "index.html").exists()


def test_papermill_directly_on_a_prepared_slice(tmp_path) -> None:
    slices = tmp_path / "slices"
    prep = cli("prepare", str(SF), "--out", str(slices), "--as-of", "2025-06-30")
    assert prep.returncode == 0, prep.stderr[-2000:]
    team = TWO_TEAMS[1]
    out_nb = tmp_path / "out.ipynb"
    run = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "notebooks" / "team_report.ipynb"), str(out_nb),
                          "-p", "team_id", team, "-p", "data_dir", str(slices / team), "--no-progress-bar"],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    nb = nbformat.read(out_nb, as_version=4)
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))
    assert "Nordics" in html and "data-section='appendix'" in html


def test_dask_executor_on_a_local_cluster(tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        result = run_reports(RunOptions(input=SF, out=tmp_path, as_of=AS_OF, teams=TWO_TEAMS[:1], formats=("html",)),
                             executor=client.get_executor())
    assert result.exit_code == ExitCode.OK, result.message
    m = manifest(tmp_path / AS_OF.isoformat())
    assert [t["status"] for t in m["teams"]] == ["published"] and m["org_summary"]["status"] == "published"


def test_validation_stays_in_the_run_where_its_worker_is_dead_or_the_tables_are_large(monkeypatch) -> None:
    import concurrent.futures as cf
    from concurrent.futures.process import BrokenProcessPool

    import toolkit
    from toolkit.reporting import run as run_module
    from toolkit.reporting.pool import Workers

    class Dead(cf.Executor):
        calls = 0

        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
            Dead.calls += 1
            raise BrokenProcessPool("the worker was killed")

    data = toolkit.load(SAMPLES / "salesforce_export")
    day = AS_OF
    pool = Workers(cf.ThreadPoolExecutor(1), cf.ThreadPoolExecutor(1), Path("run.log"), own=False, checker=Dead())
    validation = run_module._validation(data, data.process, day, pool)
    report = validation.report()
    assert Dead.calls == 1 and len(report.outcomes) > 20 and not validation.elsewhere
    monkeypatch.setattr(run_module, "HANDOVER_ROWS", data.deals.height - 1)
    assert [o.name for o in run_module._validation(data, data.process, day, pool).report().outcomes] == [
        o.name for o in report.outcomes]
    assert Dead.calls == 1  # too many rows to hand over: not even tried


def test_the_figures_made_beside_the_validation_give_way_to_a_blocking_result() -> None:
    from toolkit.reporting import run as run_module

    class Report:
        def __init__(self, blocking: bool) -> None:
            self.blocking = blocking

    def broken() -> object:
        raise ValueError("a bug in the figures")

    made: list[str] = []

    def figures() -> object:
        made.append("figures")
        return "figures"

    blocked = run_module._Validation(lambda: Report(True), elsewhere=True)  # type: ignore[arg-type, return-value]
    fine = run_module._Validation(lambda: Report(False), elsewhere=True)  # type: ignore[arg-type, return-value]
    here = run_module._Validation(lambda: Report(False), elsewhere=False)  # type: ignore[arg-type, return-value]
    quality, got = run_module._checked(blocked, broken)  # type: ignore[arg-type]
    assert quality.blocking and got is None  # the blocking result, not the error
    with pytest.raises(ValueError, match="a bug in the figures"):
        run_module._checked(fine, broken)  # type: ignore[arg-type]
    assert run_module._checked(fine, figures)[1] == "figures"  # type: ignore[arg-type]
    # validated here: the figures wait until the data is known not to be blocked
    assert run_module._checked(here, figures)[1] is None and made == ["figures"]  # type: ignore[arg-type]
