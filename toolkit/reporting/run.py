"""The report run ops schedule: load, validate and compute once, then render every team's report
in parallel and publish atomically.

Layout of ``out``: ``<as_of>/<team_id>/team_report.{html,pdf,ipynb}``, ``<as_of>/index.html``,
``<as_of>/manifest.json``. A run works in ``out/.staging/<run id>/`` and moves each finished file
into place with ``os.replace``; a team that fails keeps its previous report and shows as failed
in the index. A lock file stops two runs on one output folder; a rerun with the same inputs and
parameters is a no-op unless forced.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import fcntl
import hashlib
import html
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.errors import RunLockedError
from toolkit.exit_codes import ExitCode
from toolkit.loaders.options import LoadOptions
from toolkit.reporting.exports import write_atomic

log = logging.getLogger("toolkit.report")

EXIT_OK, EXIT_BLOCKED, EXIT_SOME_FAILED, EXIT_LOCKED = (ExitCode.OK, ExitCode.BLOCKED, ExitCode.SOME_FAILED,
                                                        ExitCode.LOCKED)
FORMATS = ("html", "pdf")
DEFAULT_NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "team_report.ipynb"
ORG_NOTEBOOK = DEFAULT_NOTEBOOK.with_name("org_summary.ipynb")
#: The only parameter names a notebook receives: names are inserted into code verbatim by papermill.
PARAMETERS = ("team_id", "as_of", "data_dir", "process_path")


@dataclass(frozen=True)
class RunOptions:
    """What to run; mirrors ``toolkit report``'s options."""

    input: Path
    out: Path = Path("reports")
    as_of: dt.date = field(default_factory=dt.date.today)
    load: LoadOptions = field(default_factory=LoadOptions)
    teams: tuple[str, ...] = ()
    jobs: int = 2
    formats: tuple[str, ...] = FORMATS
    force: bool = False
    notebook: Path = DEFAULT_NOTEBOOK
    cell_timeout: int = 600
    team_timeout: int = 300
    seed: int = 0


@dataclass
class TeamResult:
    team_id: str
    team_name: str
    status: str  # "published", "failed"
    seconds: float
    reason: str = ""
    files: list[str] = field(default_factory=list)
    #: a failed team's previous report files, kept in place and linked from the index
    previous: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    exit_code: int
    message: str
    index: Path | None = None
    teams: list[TeamResult] = field(default_factory=list)


@contextmanager
def _lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    fh = (folder / ".lock").open("w")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise RunLockedError(f"no other run on {folder}", "another run holds its lock",
                             "wait for it to finish; cron: use flock -n, Airflow: max_active_runs=1") from None
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def _run_key(file_hashes: list[str], opts: RunOptions, notebook_hash: str) -> str:
    parts = {"inputs": sorted(file_hashes), "as_of": opts.as_of.isoformat(), "teams": sorted(opts.teams),
             "formats": sorted(opts.formats), "load": opts.load.fingerprint(), "notebook": notebook_hash,
             "version": __version__, "seed": opts.seed}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _hash_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def render_team(task: dict[str, Any]) -> dict[str, Any]:
    """Execute one team's notebook and render its files into its staging folder. Runs in a worker
    process (or a Dask worker): takes and returns plain data."""
    import nbformat
    import papermill as pm

    from toolkit.reporting.render import gate, notebook_body, notebook_errors, page, write_pdf
    from toolkit.reporting.team import SECTIONS

    start = time.perf_counter()
    stage = Path(task["stage_dir"])
    stage.mkdir(parents=True, exist_ok=True)
    executed = stage / "team_report.ipynb"
    params = {k: task["parameters"][k] for k in PARAMETERS}
    result = {"team_id": task["team_id"], "team_name": task["team_name"], "status": "failed", "reason": "",
              "files": [], "seconds": 0.0}
    with _kernel_stderr_to(stage / "kernel.log"):
        _execute(task, executed, params, pm, nbformat)
    try:
        crash = executed.with_suffix(".error")
        if crash.is_file():
            raise RuntimeError(crash.read_text(encoding="utf-8"))
        nb = nbformat.read(executed, as_version=4)
        errors = notebook_errors(nb)
        if errors:
            raise RuntimeError(f"notebook error: {errors[0]}")
        document = page(f"{task['team_name']} — sales process report {task['parameters']['as_of']}", notebook_body(nb))
        gate(document, team_id=task["team_id"], other_team_ids=task["other_team_ids"], sections=SECTIONS)
        files = ["team_report.ipynb"]
        if "html" in task["formats"]:
            (stage / "team_report.html").write_text(document, encoding="utf-8")
            files.append("team_report.html")
        if "pdf" in task["formats"]:
            write_pdf(document, stage / "team_report.pdf")
            files.append("team_report.pdf")
        result.update(status="rendered", files=files)
    except Exception as exc:  # any failure fails this team only; the reason goes to the index
        name = type(exc).__name__
        text = str(exc).strip().splitlines()
        result["reason"] = f"{name}: {text[0][:300] if text else ''}"
    result["seconds"] = round(time.perf_counter() - start, 2)
    return result


@contextmanager
def _kernel_stderr_to(path: Path) -> Iterator[None]:
    """A kernel inherits its parent's stderr: send its chatter to a log beside the notebook, not
    to ops' log."""
    saved = os.dup(2)
    with path.open("ab") as log_file:
        os.dup2(log_file.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


#: This worker's kernel, kept from one team to the next: starting a kernel and warming up its
#: imports and chart engine cost about 3 s a team. Its namespace is cleared before each team.
_KERNEL: Any = None


def _worker_kernel() -> Any:
    """This worker process's kernel manager, started (again) when there is none alive."""
    global _KERNEL
    if _KERNEL is not None and _KERNEL.is_alive():
        return _KERNEL
    from multiprocessing.util import Finalize

    from jupyter_client.manager import KernelManager

    _KERNEL = KernelManager(kernel_name="python3")
    _KERNEL.start_kernel()
    # Shut the kernel down when the worker exits (ipykernel also exits when its parent dies).
    Finalize(None, _KERNEL.shutdown_kernel, kwargs={"now": True}, exitpriority=10)
    return _KERNEL


def _discard_kernel() -> None:
    global _KERNEL
    if _KERNEL is not None:
        try:
            _KERNEL.shutdown_kernel(now=True)
        finally:
            _KERNEL = None


def _reset_namespace(km: Any) -> None:
    """Nothing of the previous team's run survives into the next one."""
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        kc.execute_interactive("get_ipython().run_line_magic('reset', '-f')", timeout=60, store_history=False)
    finally:
        kc.stop_channels()


def _execute(task: dict[str, Any], executed: Path, params: dict[str, Any], pm: Any, nbformat: Any) -> None:
    """papermill on this worker's kernel, with one retry on a fresh kernel when the kernel fails
    to start (port races, slow start). Cell errors and timeouts are not retried: the notebook is
    kept and the gate reports them; the kernel is discarded after any failure."""
    for attempt in (1, 2):
        try:
            km = _worker_kernel()
            _reset_namespace(km)
            pm.execute_notebook(task["notebook"], str(executed), parameters=params, kernel_name="python3",
                                progress_bar=False, log_output=False, cwd=str(executed.parent),
                                execution_timeout=task["cell_timeout"], start_timeout=60, km=km)
            return
        except pm.PapermillExecutionError:
            _discard_kernel()
            return  # the executed notebook holds the error; notebook_errors() reports it
        except Exception as exc:  # timeouts and kernel deaths, and a kernel that never started
            _discard_kernel()
            started = executed.is_file() and any(
                c.get("execution_count") for c in nbformat.read(executed, as_version=4).cells)
            if attempt == 2 or started:
                executed.with_suffix(".error").write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")
                return
            log.warning("team %s: kernel start failed (%s); retrying once", task["team_id"], exc)


def run_reports(opts: RunOptions, *, executor: cf.Executor | None = None,
                progress: Callable[[TeamResult, int, int], None] | None = None) -> RunResult:
    """Run the whole job; see the module docstring. Returns the exit code ops act on."""
    from toolkit.validation import validate_dataset

    day_dir = opts.out / opts.as_of.isoformat()
    with _lock(day_dir):
        # Without --process: the default process, or the one the export describes (data.process_note).
        data = opts.load.load(opts.input)
        process = data.process if data.process is not None else opts.load.load_process()
        notebook_hash = _hash_file(opts.notebook)
        key = _run_key(data.files["sha256"].to_list(), opts, notebook_hash)
        manifest_path = day_dir / "manifest.json"
        if manifest_path.is_file() and not opts.force:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
            if old.get("run_key") == key and all(t["status"] == "published" for t in old.get("teams", [])):
                return RunResult(EXIT_OK, f"nothing to do: {day_dir} already has these reports (use --force)",
                                 day_dir / "index.html")
        quality = validate_dataset(data, process, as_of=opts.as_of)
        if quality.blocking:
            log.error("data blocked by validation:\n%s", quality.render_text())
            return RunResult(EXIT_BLOCKED, "data quality checks of severity 'error' failed; nothing published:\n"
                             + "\n".join(f"  {o.name}: {o.unexpected_count} rows, lines {o.source_lines[:5]}"
                                         for o in quality.failed if o.severity == "error"))
        staging = opts.out / ".staging" / f"{opts.as_of.isoformat()}-{uuid.uuid4().hex[:8]}"
        try:
            return _render_and_publish(opts, data, process, quality, staging, day_dir, key, executor, progress)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _render_and_publish(opts: RunOptions, data: Any, process: Any, quality: Any, staging: Path, day_dir: Path,
                        key: str, executor: cf.Executor | None,
                        progress: Callable[[TeamResult, int, int], None] | None) -> RunResult:
    from toolkit.reporting.slices import prepare_slices
    from toolkit.reporting.teams import resolve_teams

    teams = list(resolve_teams(data.teams, opts.teams)) or None
    known = data.teams["team_id"].to_list()
    slices = prepare_slices(data, process, opts.as_of, staging / "slices", quality=quality, teams=teams, seed=opts.seed)
    tasks = [{"team_id": s.team_id, "team_name": s.team_name, "notebook": str(opts.notebook),
              "stage_dir": str(staging / "out" / s.team_id), "formats": list(opts.formats),
              "cell_timeout": opts.cell_timeout, "other_team_ids": known,
              "parameters": {"team_id": s.team_id, "as_of": opts.as_of.isoformat(),
                             "data_dir": str(s.data_dir.resolve()),
                             "process_path": str(opts.load.process or "")}} for s in slices]
    own = executor is None
    pool = executor or cf.ProcessPoolExecutor(max_workers=max(1, opts.jobs))
    results: list[dict[str, Any]] = []
    try:
        futures = {pool.submit(render_team, t): t for t in tasks}
        for i, fut in enumerate(cf.as_completed(futures), start=1):
            t = futures[fut]
            try:
                results.append(fut.result())
            except Exception as exc:  # a worker that died (killed, out of memory) fails its team only
                results.append({"team_id": t["team_id"], "team_name": t["team_name"], "status": "failed",
                                "reason": f"{type(exc).__name__}: {exc}", "files": [], "seconds": 0.0})
            if progress:
                r = results[-1]
                progress(TeamResult(r["team_id"], r["team_name"], r["status"],
                                    r["seconds"], r["reason"], r["files"]), i, len(tasks))
    finally:
        if own:
            pool.shutdown(wait=True)
    outcome: list[TeamResult] = []
    for r in sorted(results, key=lambda r: r["team_id"]):
        if r["status"] == "rendered":
            target = day_dir / r["team_id"]
            target.mkdir(parents=True, exist_ok=True)
            for name in r["files"]:
                os.replace(staging / "out" / r["team_id"] / name, target / name)
            r["status"] = "published"
        kept = [] if r["status"] == "published" else [
            f for f in ("team_report.html", "team_report.pdf") if (day_dir / r["team_id"] / f).is_file()]
        outcome.append(TeamResult(r["team_id"], r["team_name"], r["status"], r["seconds"], r["reason"], r["files"],
                                  kept))
    org = _render_org(staging, opts) if any(t.status == "published" for t in outcome) else "no team published"
    if org == "ok":
        os.replace(staging / "org" / "org_summary.html", day_dir / "org_summary.html")
    manifest = {
        "run_key": key, "org_summary": org, "as_of": opts.as_of.isoformat(),
        "generated_at": dt.datetime.now().isoformat(timespec="seconds"),
        "toolkit_version": __version__, "versions": _versions(), "source": data.source,
        "parameters": {"input": str(opts.input), **opts.load.parameters(),
                       "teams": list(opts.teams) or "all", "formats": list(opts.formats), "seed": opts.seed},
        "inputs": [{"file": f["file"], "sha256": f["sha256"], "lines_in": f["lines_in"], "rows": f["rows"],
                    "rejected": f["rejected"], "skipped": f["skipped"], "encoding": f["encoding"]}
                   for f in data.files.to_dicts()],
        "data_quality": quality.summary(),
        "teams": [asdict(t) for t in outcome],
    }
    write_atomic(day_dir / "index.html", index_page(opts.as_of, outcome, manifest))
    write_atomic(day_dir / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    failed = [t for t in outcome if t.status != "published"]
    code = EXIT_SOME_FAILED if failed else EXIT_OK
    msg = (f"{len(outcome) - len(failed)} of {len(outcome)} team reports published; index: {day_dir / 'index.html'}"
           + ("".join(f"\n  FAILED {t.team_id}: {t.reason}" for t in failed)))
    return RunResult(code, msg, day_dir / "index.html", outcome)


def _render_org(staging: Path, opts: RunOptions) -> str:
    """The all-teams summary page for the sales director; "ok" or why it failed (it never fails
    the run: the team reports are what managers act on)."""
    import nbformat
    import papermill as pm

    from toolkit.reporting.render import active_content, notebook_body, notebook_errors, page

    folder = staging / "org"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        executed = folder / "org_summary.ipynb"
        with _kernel_stderr_to(folder / "kernel.log"):
            pm.execute_notebook(str(ORG_NOTEBOOK), str(executed), kernel_name="python3", progress_bar=False,
                                parameters={"as_of": opts.as_of.isoformat(),
                                            "data_dir": str((staging / "slices").resolve())},
                                cwd=str(folder), execution_timeout=opts.cell_timeout)
        nb = nbformat.read(executed, as_version=4)
        if notebook_errors(nb):
            return f"failed: {notebook_errors(nb)[0]}"
        document = page(f"All teams {opts.as_of.isoformat()}", notebook_body(nb))
        if active_content(document):
            return "failed: active content in the page"
        (folder / "org_summary.html").write_text(document, encoding="utf-8")
        return "ok"
    except Exception as exc:  # reported in the manifest and the index, never fatal
        return f"failed: {type(exc).__name__}: {str(exc)[:200]}"


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("polars", "pandas", "great-expectations", "papermill", "nbconvert", "altair", "vl-convert-python",
                "weasyprint"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def index_page(as_of: dt.date, teams: list[TeamResult], manifest: dict[str, Any]) -> str:
    """The all-teams index: every team, its status, links to its files."""
    from toolkit.reporting.render import page

    rows = []
    for t in teams:
        links = " ".join(f"<a href='{html.escape(t.team_id)}/{html.escape(f)}'>"
                         f"{html.escape(f.rsplit('.', 1)[1].upper())}</a>"
                         for f in t.files if not f.endswith(".ipynb")) if t.status == "published" else ""
        if t.status != "published" and t.previous:
            links = "previous: " + " ".join(
                f"<a href='{html.escape(t.team_id)}/{html.escape(f)}'>{html.escape(f.rsplit('.', 1)[1].upper())}</a>"
                for f in t.previous)
        status = ("<span class='tk-ok'>published</span>" if t.status == "published"
                  else f"<span class='tk-signal'>FAILED</span> <span class='tk-note'>{html.escape(t.reason)}</span>")
        rows.append(f"<tr><td><bdi>{html.escape(t.team_name)}</bdi></td><td>{status}</td><td>{links}</td>"
                    f"<td class='tk-float1'>{t.seconds:.1f}</td></tr>")
    dq = manifest["data_quality"]
    org = ("<p><a href='org_summary.html'>All teams side by side</a></p>" if manifest.get("org_summary") == "ok"
           else f"<p class='tk-note'>All-teams summary: {html.escape(str(manifest.get('org_summary')))}</p>")
    body = (f"<h1>Sales process reports, {as_of.isoformat()}</h1>{org}"
            f"<p class='tk-meta'>Source {html.escape(str(manifest['source']))} · generated "
            f"{html.escape(manifest['generated_at'])} · data quality: {dq['warning_failed']} warning(s), "
            f"{dq['error_failed']} blocking</p>"
            "<table class='tk-table'><thead><tr><th>Team</th><th>Status</th><th>Report</th><th>Seconds</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>")
    return page(f"Sales process reports {as_of.isoformat()}", body)
