"""The one table of process exit codes, used by the CLI, the report run and the README."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a ``toolkit`` command's exit status means."""

    #: done (``load``: rejected records are reported, not fatal; ``report``: all published, or nothing to do)
    OK = 0
    #: an input cannot be used (missing column, unknown format, empty file, bad mapping or process, unusable --out)
    INPUT = 1
    #: wrong arguments; ``validate``/``report``: a data-quality check of severity ``error`` failed
    BLOCKED = 2
    #: ``report``: some teams failed (the others are published; the index says which and why)
    SOME_FAILED = 3
    #: ``report``: another run holds the output folder's lock
    LOCKED = 4
