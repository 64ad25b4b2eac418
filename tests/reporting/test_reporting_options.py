"""What a run is asked to do and what its workers send back: plain frozen values, and a
notebook receives exactly the parameters its parameters cell declares."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from pathlib import Path

import pytest

from toolkit.loaders.options import LoadOptions
from toolkit.reporting.options import (
    DEFAULT_NOTEBOOK,
    FORMATS,
    ORG_PARAMETERS,
    PARAMETERS,
    NotebookTask,
    RunOptions,
    TeamResult,
)


def task(kind: str) -> NotebookTask:
    return NotebookTask(kind, "dach-1f77f8", "DACH", str(DEFAULT_NOTEBOOK), "DACH", "/s/dach", "/st/dach",  # type: ignore[arg-type]
                        ("html",), 600, 300)


def test_a_notebook_gets_exactly_its_declared_parameters() -> None:
    assert task("team").parameters == {"team_id": "dach-1f77f8", "data_dir": "/s/dach"}
    assert tuple(task("team").parameters) == PARAMETERS
    assert task("org").parameters == {"data_dir": "/s/dach"} and tuple(task("org").parameters) == ORG_PARAMETERS


def test_run_options_default_to_toolkit_reports_defaults() -> None:
    opts = RunOptions(input=Path("export"))
    assert (opts.out, opts.teams, opts.jobs, opts.formats, opts.force, opts.team_timeout, opts.cell_timeout,
            opts.seed, opts.previous, opts.window_days) == (Path("reports"), (), 2, FORMATS, False, 300, 600, 0,
                                                            None, 7)
    assert opts.load == LoadOptions() and opts.notebook == DEFAULT_NOTEBOOK and opts.as_of == dt.date.today()


def test_results_cross_process_boundaries_as_frozen_values() -> None:
    result = TeamResult("dach-1f77f8", "DACH", "failed", 1.5, "ReportGateError: ...", ("team_report.html",), 4)
    assert pickle.loads(pickle.dumps(result)) == result
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = "published"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(task("team"))) == task("team")
