"""The commands that write reports: ``report`` (every team's report, an index and a manifest,
with progress on the terminal) and ``prepare`` (the team slices, for running the notebook with
papermill yourself)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from toolkit.cli.options import (
    PathArg,
    PreviousOpt,
    TeamsOpt,
    WindowOpt,
    as_of_date,
    fail,
    load_export,
    load_options,
    team_choice,
)
from toolkit.errors import RunLockedError, ToolkitError
from toolkit.exit_codes import ExitCode
from toolkit.loaders.options import LoadOptions

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from toolkit.reporting.options import RunOptions, RunResult, TeamResult


@load_options
def report_cmd(path: PathArg, load_options: LoadOptions,
               as_of: Annotated[str | None,
                                typer.Option("--as-of", help="Report date YYYY-MM-DD (default: today).")] = None,
               teams: TeamsOpt = "all",
               out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("reports"),
               jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Team reports rendered at once.")] = 2,
               formats: Annotated[str, typer.Option("--formats", help="html,pdf or one of them.")] = "html,pdf",
               force: Annotated[bool,
                                typer.Option("--force", help="Render even if the same run was published.")] = False,
               team_timeout: Annotated[int, typer.Option("--team-timeout", min=10, help="Seconds one team's report may "
                                                         "take before it is failed (a hung kernel).")] = 300,
               scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address "
                                                             "(tcp://host:8786) to render on a cluster.")] = None,
               notebook: Annotated[Path | None, typer.Option("--notebook", help="Team report notebook.")] = None,
               seed: Annotated[int, typer.Option(help="Seed of the review plan's audit picks.")] = 0,
               previous: PreviousOpt = None, window_days: WindowOpt = 7) -> None:
    """Render every team's report (HTML and PDF), an index and a manifest, for ops to schedule.

    Exit codes: 0 all published (or nothing to do), 1 input unusable, 2 data blocked by validation
    (nothing published), 3 some teams failed (the others are published), 4 another run holds the lock.
    """
    from toolkit.reporting.options import DEFAULT_NOTEBOOK, FORMATS, RunOptions

    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    if not chosen or any(f not in FORMATS for f in chosen):
        typer.echo(f"error: --formats takes {','.join(FORMATS)} or one of them; found {formats!r}", err=True)
        raise typer.Exit(ExitCode.BLOCKED)
    opts = RunOptions(input=path, out=out, as_of=as_of_date(as_of), load=load_options, teams=team_choice(teams),
                      jobs=jobs, formats=chosen, force=force, seed=seed, team_timeout=team_timeout,
                      notebook=notebook or DEFAULT_NOTEBOOK, previous=previous, window_days=window_days)
    executor = None
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            typer.echo("error: --scheduler needs the dask extra: pip install 'sales-process-toolkit[dask]'", err=True)
            raise typer.Exit(ExitCode.BLOCKED) from None
        executor = Client(scheduler).get_executor()
    result = _run_with_progress(opts, executor)
    typer.echo(result.message)
    raise typer.Exit(result.exit_code)


def _run_with_progress(opts: RunOptions, executor: Executor | None) -> RunResult:
    from toolkit.reporting.run import run_reports

    log = logging.getLogger("toolkit.report")
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("rendering team reports", total=None)

            def tick(team: TeamResult, done: int, total: int) -> None:
                word = "FAILED" if team.status == "failed" else team.status
                bar.update(task, completed=done, total=total, description=f"{word} {team.team_id}")
                if team.status == "failed":
                    bar.console.print(f"FAILED {team.team_id}: {team.reason}")

            return _guarded(lambda: run_reports(opts, executor=executor, progress=tick))

    def line(team: TeamResult, done: int, total: int) -> None:
        if team.status != "failed":
            log.info("%s %s (%d/%d)", team.status, team.team_id, done, total)
        else:
            log.error("FAILED %s (%d/%d): %s", team.team_id, done, total, team.reason)

    return _guarded(lambda: run_reports(opts, executor=executor, progress=line))


def _guarded(call: Callable[[], RunResult]) -> RunResult:
    try:
        return call()
    except RunLockedError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(ExitCode.LOCKED) from None
    except ToolkitError as exc:
        fail(exc)


@load_options
def prepare_cmd(path: PathArg, load_options: LoadOptions,
                out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the team slices.")],
                as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: today).")] = None,
                teams: TeamsOpt = "all",
                seed: Annotated[int, typer.Option(help="Audit-pick seed.")] = 0,
                previous: PreviousOpt = None, window_days: WindowOpt = 7) -> None:
    """Write each team's slice (OUT/<team_id>/) for running notebooks/team_report.ipynb with papermill yourself."""
    from toolkit.reporting.slices import prepare_slices
    from toolkit.reporting.teams import resolve_teams
    from toolkit.validation import validate_dataset

    day = as_of_date(as_of)
    proc, data = load_export(path, load_options)
    try:
        chosen = resolve_teams(data.teams, team_choice(teams))
    except ToolkitError as exc:
        fail(exc)
    quality = validate_dataset(data, proc, as_of=day)
    earlier = load_export(previous, load_options)[1] if previous is not None else None
    for s in prepare_slices(data, proc, day, out, quality=quality, teams=list(chosen) or None, seed=seed,
                            previous=earlier, window_days=window_days):
        typer.echo(f"{s.team_id}\t{s.data_dir}")
    if quality.blocking:
        typer.echo("warning: the data has blocking data-quality errors (see toolkit validate)", err=True)
