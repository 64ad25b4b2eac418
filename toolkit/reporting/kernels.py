"""The processes a run starts, and how they end with it.

A worker (a local process) keeps one Jupyter kernel from team to team (starting a kernel and
warming its imports costs about 3 s a team), started and warmed (:func:`warm_kernel`) while the
run loads the export. Neither may outlive the run: a worker dies with its
parent (``PR_SET_PDEATHSIG``) and watches the run's main process; a kernel exits when its worker
dies (ipykernel's parent poller). So a ``kill -9`` of ``toolkit report`` leaves no orphan
behind, and nothing but the main process ever holds the run's lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger("toolkit.report")

_PR_SET_PDEATHSIG = 1

#: Warnings of libraries, not of the toolkit, that say nothing an ops person can act on in a run:
#: (message regex, category, module regex). Matched precisely, so any other warning still shows.
LIBRARY_WARNINGS: tuple[tuple[str, type[Warning], str], ...] = (
    # WeasyPrint without libharfbuzz-subset0 (README: setup) falls back to fontTools.
    (r"HarfBuzz-Subset will be required", DeprecationWarning, r"weasyprint\.text\.ffi"),
    (r"Jupyter is migrating its paths to use standard platformdirs", DeprecationWarning, r"jupyter_core\.utils"),
    (r"datetime\.datetime\.utcnow\(\) is deprecated", DeprecationWarning, r"jupyter_client\.session"),
)
#: Loggers whose messages are chatter in a run (GX's ephemeral docs site, zmq context clean-up,
#: setuptools): they go to the run log at DEBUG, never to the terminal.
CHATTY_LOGGERS = ("great_expectations", "traitlets", "jupyter_client", "papermill", "nbclient", "setuptools",
                  "distutils", "fontTools", "weasyprint", "asyncio", "blib2to3", "numexpr", "urllib3")


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # a libc without prctl: the parent watchdog still holds
        pass


def filter_library_warnings() -> None:
    """Hide :data:`LIBRARY_WARNINGS`, and only those."""
    for message, category, module in LIBRARY_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category, module=module)


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(1.0)
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            os._exit(70)  # the run is gone: nothing of ours to save, and no lock to keep
        except PermissionError:  # pid reused by another user's process: ours is gone too
            os._exit(70)


def worker_init(parent_pid: int, log_file: str | None, nice: int = 0) -> None:
    """Initializer of a local worker process: die with the run, give way by ``nice`` priority steps,
    quiet libraries, log to the run log."""
    die_with_parent()
    if nice:
        os.nice(nice)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="toolkit-parent-watch", daemon=True).start()
    filter_library_warnings()
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    if log_file:
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter(f"%(asctime)s worker {os.getpid()} %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
    else:
        root.addHandler(logging.NullHandler())
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)


@contextmanager
def stderr_to(path: Path) -> Iterator[None]:
    """Send this process's fd 2 (and so a kernel's, which inherits it) to ``path``, not to ops' log."""
    saved = os.dup(2)
    with path.open("ab") as log_file:
        os.dup2(log_file.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


#: This worker's kernel, kept from one team to the next; its namespace is cleared before each team.
_KERNEL: Any = None


def worker_kernel() -> Any:
    """This worker process's kernel manager, started (again) when there is none alive."""
    global _KERNEL
    if _KERNEL is not None and _KERNEL.is_alive():
        return _KERNEL
    from multiprocessing.util import Finalize

    from jupyter_client.manager import KernelManager

    # papermill talks to a given kernel through km.client(): the blocking client's get_msg would
    # block the event loop, so a dead kernel went unnoticed for ever; the async client lets
    # nbclient's liveness check run and raise DeadKernelError.
    _KERNEL = KernelManager(kernel_name="python3", client_class="jupyter_client.asynchronous.AsyncKernelClient")
    # No PR_SET_PDEATHSIG here: jupyter_client starts the kernel from a helper thread, and the
    # signal follows the thread, not the process. ipykernel exits by itself within a second of
    # its parent's death (JPY_PARENT_PID), and Popen closes every inherited descriptor.
    _KERNEL.start_kernel()
    Finalize(None, _KERNEL.shutdown_kernel, kwargs={"now": True}, exitpriority=10)
    return _KERNEL


def kill_kernel() -> None:
    """Kill this worker's kernel at once (a hung or dead kernel is never reused)."""
    global _KERNEL
    km, _KERNEL = _KERNEL, None
    if km is None:
        return
    try:
        km.shutdown_kernel(now=True)
    except Exception as exc:  # noqa: BLE001  (already gone; nothing else to free)
        log.debug("kernel shutdown: %s", exc)


def signal_kernel(km: Any) -> None:
    """SIGKILL a kernel that stopped answering; its client then sees a dead kernel and returns."""
    try:
        pid = km.provisioner.process.pid if km.provisioner is not None else None
        if pid:
            os.killpg(pid, signal.SIGKILL)  # the kernel runs in its own session: kill its group
    except (ProcessLookupError, PermissionError, AttributeError, OSError) as exc:
        log.debug("kernel kill: %s", exc)


def run_code(km: Any, code: str, timeout: float, user_expressions: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``code`` in the kernel, outside any notebook, and wait for it (its errors are not raised);
    the kernel's reply, which holds the values of ``user_expressions`` evaluated after it."""
    from jupyter_client.blocking.client import BlockingKernelClient

    kc = BlockingKernelClient(parent=km, **km.get_connection_info(session=True))
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=timeout)
        reply: dict[str, Any] = kc.execute_interactive(code, timeout=timeout, store_history=False,
                                                       user_expressions=user_expressions or {})
        return reply
    finally:
        kc.stop_channels()


#: Clear the user's namespace and output history, then let the garbage collector pass over what
#: is left: ``%reset`` runs two full collections, which walked every object of the imported
#: libraries each team (0.15 s of the kernel's CPU a team); frozen, they are left out of the next.
_RESET_CODE = "get_ipython().run_line_magic('reset', '-f'); import gc; gc.freeze(); del gc"


def reset_namespace(km: Any, timeout: float) -> None:
    """Nothing of the previous team's run survives into the next one (imported modules do: that
    is what keeps the kernel warm)."""
    run_code(km, _RESET_CODE, timeout)


#: What a report notebook imports and starts on its first chart (Altair, vl-convert's engine and
#: its Vega-Lite), done before the first team: about 3 s a kernel that would otherwise delay it.
WARM_CODE = """try:
    import polars as _pl
    import toolkit.charts as _charts
    import toolkit.reporting.team
    import toolkit.reporting.org
    _charts.to_svg(_charts.deal_load_chart(_pl.DataFrame({"owner_name": ["warm"], "open": [1]})))
except Exception:
    pass
"""


def warm_kernel(log_file: str, timeout: float) -> None:
    """Start this worker's kernel and import what the report notebooks use, so the first team's
    notebook runs as fast as the next ones. A kernel that fails here is started again for the
    team (and fails it, if it must)."""
    try:
        with stderr_to(Path(log_file)) if log_file else contextlib.nullcontext():
            run_code(worker_kernel(), WARM_CODE, timeout)
    except Exception as exc:  # noqa: BLE001  (the team's own start retries, and reports what is wrong)
        log.debug("kernel warm-up: %s", exc)
        kill_kernel()
