"""Fanning notebooks out to workers, printing their pages as they finish, and bringing every
result back, whatever happens to them.

Two kinds of work, in two pools, so neither waits for the other: notebooks (each local worker
keeps a kernel, warmed before the first team) and the print pass (WeasyPrint, see
:mod:`toolkit.reporting.printing`), fed with each team as its notebook finishes while the kernels
go on with the next teams. Any ``concurrent.futures.Executor`` works for both (a Dask client's
executor too); the default is two local process pools whose workers are started by forkserver
(so they never inherit the run's lock) and die with the run (see :mod:`toolkit.reporting.kernels`).
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from toolkit.reporting.options import NotebookTask, PrintTask, RunOptions, TeamResult

#: How long past its own limit a worker may take to report a team before the run stops waiting
#: (the worker kills a hung kernel at ``team_timeout``; this covers a worker that hangs itself).
GRACE_SECONDS = 60
#: A warm-up that takes longer than this (a kernel that does not start) is left to the team.
WARM_TIMEOUT = 120
#: Priority steps the notebook and print workers (and their kernels) give way by.
WARM_NICE = 5


@dataclass
class Workers:
    """Where a run's work goes: ``notebooks`` and ``printer`` (the same executor when one is given)."""

    notebooks: cf.Executor
    printer: cf.Executor
    log_file: Path
    #: the pools are the run's: warmed at the start, ended (killed, if abandoned) with it
    own: bool
    #: a task did not answer in time: its worker is killed when the pools end
    abandoned: bool = False
    #: one worker that imports Great Expectations while the export loads, then validates it
    checker: cf.Executor | None = None


@contextmanager
def workers(opts: RunOptions, executor: cf.Executor | None, log_file: Path) -> Iterator[Workers]:
    """The run's workers. Local pools are started and warmed at once (kernels started, the
    notebooks' imports done, WeasyPrint and its fonts loaded, Great Expectations imported), while
    the main process loads the export; a given executor is used as it is and left running."""
    if executor is not None:
        yield Workers(executor, executor, log_file, own=False)
        return
    from toolkit.reporting.kernels import warm_kernel
    from toolkit.reporting.printing import warm_printer
    from toolkit.validation.run import import_gx

    # The load, Great Expectations' import and the validation decide when the first team can start;
    # the kernels' and printers' warm-ups have until then, so they give way to them on a busy machine.
    checker = local_pool(1, log_file)
    w = Workers(local_pool(opts.jobs, log_file, nice=WARM_NICE), local_pool(opts.jobs, log_file, nice=WARM_NICE),
                log_file, own=True, checker=checker)
    try:
        # Importing GX costs seconds of one core: spent beside the load, not after it.
        checker.submit(import_gx)
        # One warm-up per worker: each submit starts a worker while none is idle, and a warm-up
        # keeps its worker busy for seconds, so the next one goes to the next worker.
        for _ in range(max(1, opts.jobs)):
            w.notebooks.submit(warm_kernel, str(log_file), WARM_TIMEOUT)
            w.printer.submit(warm_printer)
        yield w
    except BaseException:
        # A run that stops (SIGTERM, an error) does not wait for a validation under way.
        kill_workers(checker)
        raise
    finally:
        for pool in (w.notebooks, w.printer, checker):
            if w.abandoned:
                kill_workers(pool)
            pool.shutdown(wait=not w.abandoned, cancel_futures=True)


def render_all(tasks: list[NotebookTask], workers: Workers) -> Iterator[TeamResult]:
    """Each task's result as it completes: its notebook run, then (where a PDF is asked for and
    the page passed the gate) its PDF printed. A task whose worker dies, or does not answer within
    its limit and the grace after it, comes back failed; the run never waits for it longer."""
    from toolkit.reporting.execute import render_notebook
    from toolkit.reporting.printing import print_pdf

    futures: dict[cf.Future[TeamResult], NotebookTask] = {workers.notebooks.submit(render_notebook, t): t
                                                          for t in tasks}
    #: print futures, with the result of the notebook whose page they print
    printing: dict[cf.Future[TeamResult], TeamResult] = {}
    seen_running: dict[cf.Future[TeamResult], float] = {}
    pending = set(futures)
    while pending:
        finished, pending = cf.wait(pending, timeout=1.0, return_when=cf.FIRST_COMPLETED)
        for fut in finished:
            t = futures[fut]
            r = _result(fut, t)
            if fut in printing:
                yield _printed(printing.pop(fut), r)
            elif r.status == "rendered" and "pdf" in t.formats:
                stem = "team_report" if t.kind == "team" else "org_summary"
                job = workers.printer.submit(print_pdf, PrintTask(t.team_id, t.team_name, t.stage_dir, stem,
                                                                  t.log_file))
                futures[job] = t
                printing[job] = r
                pending.add(job)
            else:
                yield r
        now = time.monotonic()
        for fut in list(pending):
            if fut.running():
                started = seen_running.setdefault(fut, now)
                limit = futures[fut].team_timeout * 2 + GRACE_SECONDS  # queued calls count as running
                if now - started > limit:
                    pending.discard(fut)
                    workers.abandoned = True
                    t = futures[fut]
                    yield TeamResult(t.team_id, t.team_name, "failed", round(now - started, 1),
                                     f"no answer from its worker within {limit} s")


def _result(fut: cf.Future[TeamResult], t: NotebookTask) -> TeamResult:
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001  (a worker that died, e.g. out of memory: its team only)
        return TeamResult(t.team_id, t.team_name, "failed", reason=f"worker died: {type(exc).__name__}: {exc}")


def _printed(notebook: TeamResult, printed: TeamResult) -> TeamResult:
    """A team's result once its PDF is printed (or failed to be): its time is both passes'."""
    seconds = round(notebook.seconds + printed.seconds, 2)
    if printed.status != "rendered":
        return replace(printed, seconds=seconds)
    return replace(notebook, seconds=seconds, files=notebook.files + printed.files)


def local_pool(jobs: int, log_file: Path, *, nice: int = 0) -> cf.ProcessPoolExecutor:
    """Workers started by forkserver (never forked from this process: they cannot inherit the lock),
    ``nice`` steps below this process's priority."""
    import multiprocessing as mp

    from toolkit.reporting.kernels import worker_init

    return cf.ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=mp.get_context("forkserver"),
                                  initializer=worker_init, initargs=(os.getpid(), str(log_file), nice))


def kill_workers(pool: cf.Executor) -> None:
    # ProcessPoolExecutor has no public way to stop a running call; its processes are its own.
    for proc in list(getattr(pool, "_processes", {}).values()):
        proc.kill()


@contextmanager
def terminate_as_exit() -> Iterator[None]:
    """SIGTERM (a scheduler stopping the task) ends the run through ``finally`` blocks, so the
    staging folder goes and the lock is released; SIGKILL cannot, and the next run cleans up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
