"""What the commands share: the argument and option types, the load options every command that
reads an export takes (defined once), and reading an export or a date or exiting with the reason."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from toolkit.errors import ToolkitError
from toolkit.exit_codes import ExitCode
from toolkit.loaders.options import LoadOptions

if TYPE_CHECKING:
    from toolkit.model import Dataset
    from toolkit.process import Process

PathArg = Annotated[Path, typer.Argument(help="An export file or folder.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of the summary.")]
PreviousOpt = Annotated[Path | None, typer.Option("--previous", help="An earlier export of the same CRM: the "
                                                  "changes compare it with this one.")]
WindowOpt = Annotated[int, typer.Option("--window-days", min=1, help="Days up to --as-of that the changes cover.")]
TeamsOpt = Annotated[str, typer.Option("--teams", help="'all' or comma-separated team ids or names.")]

_READING = "Reading the export"
#: The load options every command that reads an export takes, defined once (see :func:`load_options`).
LOAD_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("source", Annotated[str | None, typer.Option(
        "--source", "-s", rich_help_panel=_READING,
        help="The CRM: salesforce (a Data Export, a sync or a report export, whichever the files are), hubspot "
             "(an export or a sync), pipedrive, or generic (with --mapping); salesforce_report and hubspot_sync "
             "name one layout. Detected when left out.")]),
    ("mapping", Annotated[Path | None, typer.Option(
        "--mapping", "-m", rich_help_panel=_READING, help="Mapping YAML for a generic CSV/Excel export.")]),
    ("roster", Annotated[Path | None, typer.Option(
        "--roster", "-r", rich_help_panel=_READING, help="Roster CSV/XLSX: owner, team, manager.")]),
    ("process", Annotated[Path | None, typer.Option(
        "--process", "-p", rich_help_panel=_READING, help="Sales-process YAML (default: the built-in one).")]),
    ("date_style", Annotated[str | None, typer.Option(
        "--date-style", rich_help_panel=_READING, help="iso, dmy or mdy, for files whose dates read either way.")]),
)

Command = TypeVar("Command", bound=Callable[..., Any])


def load_options(command: Command) -> Command:
    """Give ``command`` the load options of :data:`LOAD_OPTIONS`; it receives them as one
    ``load_options: LoadOptions`` argument instead of five."""
    sig = inspect.signature(command, eval_str=True)
    kept = [p for p in sig.parameters.values() if p.name != "load_options"]
    added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
             for name, annotation in LOAD_OPTIONS]

    @functools.wraps(command)
    def with_load_options(*args: Any, **kwargs: Any) -> Any:
        chosen = LoadOptions(**{name: kwargs.pop(name) for name, _ in LOAD_OPTIONS})
        return command(*args, load_options=chosen, **kwargs)

    params = [*kept, *added]
    with_load_options.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    with_load_options.__annotations__ = {p.name: p.annotation for p in params} | {"return": sig.return_annotation}
    return with_load_options  # type: ignore[return-value]


def fail(exc: ToolkitError) -> NoReturn:
    """Exit 1 with the error's message (what was expected, what was found, a hint)."""
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(ExitCode.INPUT)


def load_export(path: Path, options: LoadOptions) -> tuple[Process, Dataset]:
    """(process, dataset), or exit 1 with the error's message. Without --process, the default
    process, or the one the export describes where its stages are not the default's (said on stderr)."""
    try:
        data = options.load(path)
        if data.process_note:
            typer.echo(data.process_note, err=True)
        return (data.process if data.process is not None else options.load_process()), data
    except ToolkitError as exc:
        fail(exc)


def as_of_date(value: str | None) -> dt.date:
    """``--as-of``: the day given (YYYY-MM-DD), or today; exit 2 for anything else."""
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        typer.echo(f"error: expected --as-of as YYYY-MM-DD; found {value!r}", err=True)
        raise typer.Exit(ExitCode.BLOCKED) from None


def team_choice(value: str) -> tuple[str, ...]:
    """``--teams``: () for all, else the ids or names given (resolved against the data by the run)."""
    return () if value.strip() in ("", "all") else tuple(t.strip() for t in value.split(",") if t.strip())
