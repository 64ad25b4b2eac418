"""The ``toolkit`` command: a thin shell over the library, for ops and schedulers.

The commands live by concern: :mod:`.commands` (``load``, ``metrics``, ``validate``, ``process
suggest``, ``samples``), :mod:`.report` (``report``, ``prepare``); :mod:`.options` holds what they
share and :mod:`.text` the terminal summaries. Exit codes: :class:`toolkit.exit_codes.ExitCode`.
"""

from __future__ import annotations

import logging
import sys

import typer

from toolkit.cli import commands, report

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Manage the sales process, not every deal: load CRM exports, check the process, "
                       "review a sample.")
app.command("load")(commands.load_cmd)
app.command("metrics")(commands.metrics_cmd)
app.command("validate")(commands.validate_cmd)
app.command("report")(report.report_cmd)
app.command("prepare")(report.prepare_cmd)

process_app = typer.Typer(no_args_is_help=True, help="The sales process: read it from an export.")
process_app.command("suggest")(commands.process_suggest_cmd)
app.add_typer(process_app, name="process")

app.command("samples")(commands.samples_cmd)


class _ConsoleFilter(logging.Filter):
    """The terminal gets the toolkit's progress (INFO) and other libraries' warnings, except the
    chatter of those that talk on every run (GX, traitlets/zmq, setuptools...): that goes only
    to a report run's log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        from toolkit.reporting.kernels import CHATTY_LOGGERS

        if record.name == "toolkit" or record.name.startswith("toolkit."):
            return record.levelno >= logging.INFO
        if record.name.split(".")[0] in CHATTY_LOGGERS:
            return record.levelno >= logging.ERROR
        return record.levelno >= logging.WARNING


def main() -> None:
    """Entry point of the ``toolkit`` console script."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_ConsoleFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    from toolkit.reporting.kernels import filter_library_warnings

    filter_library_warnings()
    app()

