"""Validation: expectation suites built from the schema and the process, run with Great
Expectations (the only package that imports GX, and only when validation runs), and one check per
reject reason of the load, so the gate sees what the loader set aside."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import Executor

    from toolkit.model import Dataset
    from toolkit.process import Process, ValidationSettings
    from toolkit.validation.report import DataQualityReport

__all__ = ["validate_dataset", "validation_started"]


def validate_dataset(data: Dataset, process: Process, *, as_of: dt.date, settings: ValidationSettings | None = None,
                     data_docs: Path | None = None, executor: Executor | None = None) -> DataQualityReport:
    """Validate a loaded :class:`~toolkit.model.Dataset`: the load's rejects, one check per reason,
    then the expectation suites on its tables. ``settings`` default to the process's ``validation:``.
    ``executor``: where the suites run (a process that has imported Great Expectations already,
    see :func:`toolkit.validation.run.import_gx`); by default, here."""
    return validation_started(data, process, as_of=as_of, settings=settings, data_docs=data_docs,
                              executor=executor)()


def validation_started(data: Dataset, process: Process, *, as_of: dt.date, settings: ValidationSettings | None = None,
                       data_docs: Path | None = None,
                       executor: Executor | None = None) -> Callable[[], DataQualityReport]:
    """:func:`validate_dataset` started: the suites run (on ``executor``, the caller going on
    meanwhile; else here, now), and the returned call waits for them and gives the report
    (``concurrent.futures.BrokenExecutor`` where the worker died)."""
    from toolkit.validation.load_checks import load_checks
    from toolkit.validation.report import DataQualityReport
    from toolkit.validation.run import validate

    st = settings or process.validation
    run = functools.partial(validate, data.deals, data.stage_events, process, as_of=as_of, settings=st,
                            roster_owners=data.roster_owners, has_history=data.has_history, data_docs=data_docs)
    if executor is None:
        done = run()

        def tables() -> DataQualityReport:
            return done
    else:
        tables = executor.submit(run).result

    def report() -> DataQualityReport:
        return DataQualityReport(load_checks(data, st) + tables().outcomes, as_of=as_of)

    return report
