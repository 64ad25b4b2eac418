"""Executing one notebook in a worker and rendering its pages into the staging folder.

Runs in a worker process (local or Dask): takes a :class:`NotebookTask`, returns a
:class:`TeamResult`, and never raises for the team's own failures: a failing cell, a kernel that
dies, a kernel that stops answering (killed after ``team_timeout``), a page the gate refuses all
come back as a failed result whose reason comes from a :class:`ReportExecutionError` or
:class:`ReportGateError`. papermill saves the executed notebook before it raises, so it is kept
beside the log for ops.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from toolkit.errors import ReportExecutionError, ReportGateError
from toolkit.reporting.kernels import (
    filter_library_warnings,
    kill_kernel,
    reset_namespace,
    signal_kernel,
    stderr_to,
    worker_kernel,
)
from toolkit.reporting.options import NotebookTask, TeamResult

log = logging.getLogger("toolkit.report")

KERNEL_START_TIMEOUT = 60


def _run_notebook(task: NotebookTask, executed: Path) -> None:
    """papermill on this worker's kernel; raises :class:`ReportExecutionError` for a failed cell,
    a dead kernel, or no answer within ``task.team_timeout`` (the kernel is then killed, which
    makes the waiting client return). A kernel that fails to start is retried once."""
    import nbformat
    import papermill as pm

    for attempt in (1, 2):
        km = None
        timer: threading.Timer | None = None
        expired = threading.Event()
        try:
            km = worker_kernel()
            reset_namespace(km, KERNEL_START_TIMEOUT)

            def expire(km: Any = km, expired: threading.Event = expired) -> None:
                expired.set()
                signal_kernel(km)

            timer = threading.Timer(task.team_timeout, expire)
            timer.daemon = True
            timer.start()
            pm.execute_notebook(task.notebook, str(executed), parameters=task.parameters, kernel_name="python3",
                                progress_bar=False, log_output=False, cwd=str(executed.parent),
                                execution_timeout=task.cell_timeout, start_timeout=KERNEL_START_TIMEOUT, km=km)
            if expired.is_set():  # the kill raced a last cell: the run is over its limit all the same
                raise TimeoutError("over the time limit")
            return
        except pm.PapermillExecutionError as exc:
            kill_kernel()
            raise ReportExecutionError(task.team_id, Path(task.notebook).name, exc.cell_index,
                                       f"{exc.ename}: {exc.evalue}"[:300],
                                       "the executed notebook is kept as the team's team_report.failed.ipynb") from None
        except Exception as exc:  # noqa: BLE001  (a timeout, a dead kernel, a kernel that never started)
            kill_kernel()
            cell = _last_started_cell(executed, nbformat)
            if expired.is_set():
                raise ReportExecutionError(task.team_id, Path(task.notebook).name, cell,
                                           f"no result within {task.team_timeout} s; the kernel was stopped",
                                           "raise --team-timeout if reports are this slow") from None
            if attempt == 2 or cell is not None:
                raise ReportExecutionError(task.team_id, Path(task.notebook).name, cell,
                                           f"{type(exc).__name__}: {exc}"[:300],
                                           "a kernel that dies is often out of memory or crashed in native code"
                                           ) from None
            log.warning("team %s: kernel start failed (%s); retrying once", task.team_id, exc)
        finally:
            if timer is not None:
                timer.cancel()


def _last_started_cell(executed: Path, nbformat: Any) -> int | None:
    """The index of the last cell papermill started, from the saved notebook; None if none ran."""
    if not executed.is_file():
        return None
    try:
        cells = nbformat.read(executed, as_version=4).cells
    except Exception:  # noqa: BLE001  (a half-written notebook: no cell to name)
        return None
    started = [i for i, c in enumerate(cells) if c.get("metadata", {}).get("papermill", {}).get("start_time")]
    return started[-1] if started else None


def render_notebook(task: NotebookTask) -> TeamResult:
    """Execute ``task``'s notebook, gate its page and write it into its staging folder.

    The page is written as ``<stem>.html`` whatever the formats (the print pass reads it: see
    :mod:`toolkit.reporting.printing`); the result lists it only when HTML was asked for. The PDF
    is not this worker's: its kernel is free for the next team as soon as the page is written."""
    import nbformat

    from toolkit.reporting.gate import gate_page
    from toolkit.reporting.render import first_error, notebook_body, page

    filter_library_warnings()
    start = time.perf_counter()
    stage = Path(task.stage_dir)
    stage.mkdir(parents=True, exist_ok=True)
    stem = "team_report" if task.kind == "team" else "org_summary"
    executed = stage / f"{stem}.ipynb"
    try:
        with stderr_to(Path(task.log_file) if task.log_file else stage / "kernel.log"):
            _run_notebook(task, executed)
        nb = nbformat.read(executed, as_version=4)
        error = first_error(nb)
        if error is not None:
            raise ReportExecutionError(task.team_id, Path(task.notebook).name, error[0], error[1][:300])
        document = page(task.title, notebook_body(nb))
        gate_page(document, sections=task.sections)
        files = [executed.name]
        (stage / f"{stem}.html").write_text(document, encoding="utf-8")
        if "html" in task.formats:
            files.append(f"{stem}.html")
    except ReportExecutionError as exc:
        return TeamResult(task.team_id, task.team_name, "failed", since(start), one_line(exc), cell=exc.cell)
    except ReportGateError as exc:
        return TeamResult(task.team_id, task.team_name, "failed", since(start), one_line(exc))
    except Exception as exc:  # noqa: BLE001  (nbconvert, a disk: fails this team only)
        return TeamResult(task.team_id, task.team_name, "failed", since(start), one_line(exc))
    return TeamResult(task.team_id, task.team_name, "rendered", since(start), files=tuple(files))


def since(start: float) -> float:
    return round(time.perf_counter() - start, 2)


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:400]}"
