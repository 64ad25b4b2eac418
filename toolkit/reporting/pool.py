"""Fanning notebooks out to workers and bringing every result back, whatever happens to them.

Any ``concurrent.futures.Executor`` works (a Dask client's executor too); the default is a local
process pool whose workers are started by forkserver (so they never inherit the run's lock) and
die with the run (see :mod:`toolkit.reporting.kernels`).
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from toolkit.reporting.options import NotebookTask, RunOptions, TeamResult

#: How long past its own limit a worker may take to report a team before the run stops waiting
#: (the worker kills a hung kernel at ``team_timeout``; this covers a worker that hangs itself).
GRACE_SECONDS = 60


def render_all(tasks: list[NotebookTask], opts: RunOptions, executor: cf.Executor | None,
                log_file: Path) -> Iterator[TeamResult]:
    """Each task's result as it completes. A task whose worker dies, or does not answer within
    its limit and the grace after it, comes back failed; the run never waits for it longer."""
    from toolkit.reporting.execute import render_notebook

    if not tasks:
        return
    own = executor is None
    pool = executor or local_pool(opts.jobs, log_file)
    futures = {pool.submit(render_notebook, t): t for t in tasks}
    seen_running: dict[cf.Future[TeamResult], float] = {}
    abandoned = False
    try:
        pending = set(futures)
        while pending:
            finished, pending = cf.wait(pending, timeout=1.0, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                t = futures[fut]
                try:
                    yield fut.result()
                except Exception as exc:  # noqa: BLE001  (a worker that died, e.g. out of memory: its team only)
                    yield TeamResult(t.team_id, t.team_name, "failed",
                                     reason=f"worker died: {type(exc).__name__}: {exc}")
            now = time.monotonic()
            for fut in list(pending):
                if fut.running():
                    started = seen_running.setdefault(fut, now)
                    limit = futures[fut].team_timeout * 2 + GRACE_SECONDS  # queued calls count as running
                    if now - started > limit:
                        pending.discard(fut)
                        abandoned = True
                        t = futures[fut]
                        yield TeamResult(t.team_id, t.team_name, "failed", round(now - started, 1),
                                         f"no answer from its worker within {limit} s")
    finally:
        if own:
            if abandoned:
                kill_workers(pool)
            pool.shutdown(wait=not abandoned, cancel_futures=True)


def local_pool(jobs: int, log_file: Path) -> cf.ProcessPoolExecutor:
    """Workers started by forkserver (never forked from this process: they cannot inherit the lock)."""
    import multiprocessing as mp

    from toolkit.reporting.kernels import worker_init

    return cf.ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=mp.get_context("forkserver"),
                                  initializer=worker_init, initargs=(os.getpid(), str(log_file)))


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
