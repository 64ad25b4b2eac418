"""Fixtures of the reporting tests; the shared runs live in report_runs (a unique module name)."""

from report_runs import hostile_run, no_history_run, ten_rep_run, two_team_run  # noqa: F401  (pytest fixtures)
