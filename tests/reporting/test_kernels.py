"""Process hygiene of a run's workers: warnings filtered precisely, processes that die with their parent, kernels reset between teams."""

from __future__ import annotations

import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from toolkit.reporting.kernels import (
    LIBRARY_WARNINGS,
    filter_library_warnings,
    kill_kernel,
    reset_namespace,
    run_code,
    worker_kernel,
)

HARFBUZZ = ("HarfBuzz-Subset will be required by future versions of WeasyPrint. "
            "Please install this library with your package manager.")


def test_library_warnings_are_filtered_by_message_and_module() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        filter_library_warnings()
        warnings.warn_explicit(HARFBUZZ, DeprecationWarning, "ffi.py", 529, module="weasyprint.text.ffi")
        with pytest.raises(DeprecationWarning):  # the same words from anywhere else still count
            warnings.warn_explicit(HARFBUZZ, DeprecationWarning, "x.py", 1, module="toolkit.reporting.render")
        with pytest.raises(UserWarning):  # and our own warnings are errors in tests
            warnings.warn_explicit("something odd", UserWarning, "x.py", 1, module="toolkit.loaders")
    assert all(module and message for message, _c, module in LIBRARY_WARNINGS)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_process_that_asked_dies_with_its_parent(tmp_path) -> None:
    pid_file = tmp_path / "child.pid"
    parent = (
        "import os, subprocess, sys\n"
        "from toolkit.reporting.kernels import die_with_parent\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], preexec_fn=die_with_parent)\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", parent], check=True, cwd=Path(__file__).resolve().parents[2], timeout=60)
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.1)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _value(km: Any, expression: str) -> str:
    """The repr of ``expression`` evaluated in the kernel."""
    value = run_code(km, "", 60, user_expressions={"v": expression})["content"]["user_expressions"]["v"]
    assert value["status"] == "ok", value
    return str(value["data"]["text/plain"])


def test_a_reset_kernel_keeps_nothing_of_the_last_team_and_collects_only_the_new() -> None:
    km = worker_kernel()
    try:
        run_code(km, "import polars as pl\nlast_team = pl.DataFrame({'deal': [1, 2]})\nlast_team", 60)
        assert _value(km, "'last_team' in globals(), 'pl' in globals(), len(Out)") == "(True, True, 1)"
        reset_namespace(km, 60)
        # the names and the output history are gone; the modules stay imported (a warm kernel)
        assert _value(km, "'last_team' in globals(), 'pl' in globals(), len(Out), 'polars' in __import__('sys').modules"
                      ) == "(False, False, 0, True)"
        # what survived the reset is left out of the next collections
        assert int(_value(km, "__import__('gc').get_freeze_count()")) > 10_000
        assert _value(km, "'gc' in globals()") == "False"
    finally:
        kill_kernel()
