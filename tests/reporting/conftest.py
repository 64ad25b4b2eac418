"""Fixtures of the reporting tests; the shared runs live in report_runs (a unique module name)."""

from report_runs import (  # noqa: F401  (pytest fixtures)
    hostile_run,
    no_history_run,
    small_slices,
    ten_rep_run,
    two_team_run,
)
