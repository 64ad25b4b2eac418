"""The ``toolkit`` command: a thin shell over the library, for ops and schedulers.

Exit codes: 0 done; 1 an input cannot be used (the message says why); 2 wrong arguments, or
(``validate``) an error-severity data-quality check failed.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from toolkit.errors import RunLockedError, ToolkitError
from toolkit.exit_codes import ExitCode
from toolkit.loaders.options import LoadOptions

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from toolkit.metrics.changes import Basis
    from toolkit.model import Dataset
    from toolkit.process import Process
    from toolkit.reporting.options import RunOptions, RunResult, TeamResult

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Manage the sales process, not every deal: load CRM exports, check the process, "
                       "review a sample.")

PathArg = Annotated[Path, typer.Argument(help="An export file or folder.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of the summary.")]

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
        from toolkit.loaders.options import LoadOptions

        chosen = LoadOptions(**{name: kwargs.pop(name) for name, _ in LOAD_OPTIONS})
        return command(*args, load_options=chosen, **kwargs)

    params = [*kept, *added]
    with_load_options.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    with_load_options.__annotations__ = {p.name: p.annotation for p in params} | {"return": sig.return_annotation}
    return with_load_options  # type: ignore[return-value]


def _fail(exc: ToolkitError) -> NoReturn:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(ExitCode.INPUT)


def _load(path: Path, options: LoadOptions) -> tuple[Process, Dataset]:
    """(process, dataset), or exit 1 with the error's message. Without --process, the default
    process, or the one the export describes where its stages are not the default's (said on stderr)."""
    try:
        data = options.load(path)
        if data.process_note:
            typer.echo(data.process_note, err=True)
        return (data.process if data.process is not None else options.load_process()), data
    except ToolkitError as exc:
        _fail(exc)


@app.command("load")
@load_options
def load_cmd(path: PathArg, load_options: LoadOptions,
             rejects: Annotated[Path | None,
                                typer.Option("--rejects", help="Write every rejected record to this CSV.")] = None,
             as_json: JsonOpt = False) -> None:
    """Load an export and summarise it: rows per table, teams, and where every input line went."""
    try:
        data = load_options.load(path)
    except ToolkitError as exc:
        _fail(exc)
    if rejects is not None:
        from toolkit.reporting.exports import write_csv_atomic
        write_csv_atomic(data.rejects, rejects)
    summary = data.summary()
    if as_json:
        typer.echo(json.dumps(summary, default=str, ensure_ascii=False))
        return
    typer.echo(render_summary(summary, data.rejects.head(0) if data.rejects.is_empty() else data.rejects))
    if rejects is not None:
        typer.echo(f"rejected records written to {rejects}")


def render_summary(summary: dict[str, Any], rejects: Any) -> str:
    """The load summary as text for a terminal or a log."""
    import polars as pl

    out = [f"source        {summary['source']}",
           f"deals         {summary['deals']:,}",
           f"stage_events  {summary['stage_events']:,}" + ("" if summary["has_history"] else "  (no stage history)"),
           f"reps          {summary['reps']:,}",
           f"teams         {summary['teams']:,}",
           (f"lines in      {summary['lines_in']:,} = {summary['rows']:,} rows + {summary['rejected']:,} rejected "
            f"+ {summary['skipped']:,} skipped"),
           ""]
    out.append("files")
    for f in summary["files"]:
        out.append(f"  {f['file']} ({f['role']}): {f['lines_in']:,} lines, {f['rows']:,} rows, {f['rejected']:,} "
                   f"rejected, skipped {f['skipped_by_kind'] or 0}; encoding {f['encoding']}, delimiter "
                   f"{f['delimiter']!r}, dates {f['date_style']}, decimal {f['decimal'] or '-'}")
    if summary["rejects_by_reason"]:
        out += ["", "rejects by reason"]
        for reason, n in summary["rejects_by_reason"].items():
            out.append(f"  {reason}: {n:,}")
            for row in rejects.filter(pl.col("reason") == reason).head(3).iter_rows(named=True):
                out.append(f"    {row['file']}:{row['line']} {row['column'] or ''} {row['raw'][:60]!r}")
    if summary["notes"]:
        out += ["", "notes"] + [f"  {n}" for n in summary["notes"]]
    return "\n".join(out)


def _as_of(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        typer.echo(f"error: expected --as-of as YYYY-MM-DD; found {value!r}", err=True)
        raise typer.Exit(ExitCode.BLOCKED) from None


PreviousOpt = Annotated[Path | None, typer.Option("--previous", help="An earlier export of the same CRM: the "
                                                  "changes compare it with this one.")]
WindowOpt = Annotated[int, typer.Option("--window-days", min=1, help="Days up to --as-of that the changes cover.")]


@app.command("metrics")
@load_options
def metrics_cmd(path: PathArg, load_options: LoadOptions,
                as_of: Annotated[str | None, typer.Option("--as-of", help="The day the figures are for, "
                                                          "YYYY-MM-DD (default: today).")] = None,
                previous: PreviousOpt = None, window_days: WindowOpt = 7, as_json: JsonOpt = False) -> None:
    """Team and rep figures: counts, review hours, compliance, changes, control verdicts, coaching."""
    from toolkit.metrics.figures import compute_figures

    day = _as_of(as_of)
    proc, data = _load(path, load_options)
    states = data.deal_states
    basis: Basis | None = None
    if previous is not None:
        from toolkit.loaders.states import states_from_two_exports
        from toolkit.metrics.changes import change_window

        try:
            states = states_from_two_exports(_load(previous, load_options)[1], data,
                                             change_window(day, window_days)[0], day)
        except ToolkitError as exc:
            _fail(exc)
        basis = "previous export"
    result = compute_figures(data.deals, data.stage_events, data.reps, proc, day,
                             states=states, states_basis=basis, window_days=window_days)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), default=str, ensure_ascii=False))
        return
    typer.echo(render_metrics(result.to_dict(), has_history=data.has_history))


def render_metrics(m: dict[str, Any], *, has_history: bool) -> str:
    """The metrics as plain tables for a terminal or a log."""
    lines = [f"as of {m['as_of']}", "", "teams"]
    lines.append(f"  {'team':<28} {'reps':>4} {'open':>5} {'won':>5} {'lost':>5} {'full h':>7} {'sample h':>8} "
                 f"{'compliant':>9} {'period':>6}  in control?")

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.0%}"

    for t in m["teams"]:
        lines.append(f"  {str(t['team_name'])[:28]:<28} {t['reps']:>4} {t['open']:>5} {t['won']:>5} {t['lost']:>5} "
                     f"{t['review_hours_full']:>7.1f} {t['review_hours_sampled']:>8.1f} {pct(t['compliance_rate']):>9} "
                     f"{pct(t['period_compliance_rate']):>6}  {t['verdict']}")
    lines += ["", "reps"]
    lines.append(f"  {'rep':<28} {'team':<22} {'open':>5} {'won':>5} {'lost':>5} {'flagged':>7} {'compliant':>9}")
    for r in m["reps"]:
        lines.append(f"  {str(r['owner_name'])[:28]:<28} {str(r['team_id'])[:22]:<22} {r['open']:>5} {r['won']:>5} "
                     f"{r['lost']:>5} {r['flagged']:>7} {pct(r['compliance_rate']):>9}")
    lines += ["", "stage moves: " + ", ".join(f"{k} {v}" for k, v in m["transitions"].items()),
              "deals flagged: " + ", ".join(f"{k} {v}" for k, v in m["deals_flagged"].items())]
    c = m["changes"]
    lines += ["", f"changes {c['start'][:16].replace('T', ' ')} – {c['end'][:16].replace('T', ' ')} "
                  f"({c['window_days']} days, from {c['basis']})",
              "  " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in c["totals"].items())]
    if c["basis"] == "none":
        lines.append("  no deal history in this export: only new deals are counted; pass --previous PATH "
                     "(an earlier export) to see the rest")
    lines += ["", "control (Western Electric rules 1-4)"]
    for ch in m["control"]:
        where = ch["team_id"] + (f" / {ch['pipeline']}" if ch.get("pipeline") else "")
        lines.append(f"  {where[:34]:<34} {ch['measure']:<22} {ch['chart']:<4} {ch['verdict']}: {ch['reason']}")
    focus = [row for row in m["coaching"] if row["stage"] is not None]
    lines += ["", "coaching (behind the team beyond chance: 95 % Wilson interval, Bonferroni per rep, >= 5 deals)"]
    lines += [f"  {row['line']}" for row in focus]
    lines.append(f"  {len(m['coaching']) - len(focus)} other rep(s): no stage behind the team beyond chance")
    if not has_history:
        lines.append("no stage history in this export: skips, backward moves, time limits and late starts "
                     "could not be checked")
    return "\n".join(lines)


@app.command("validate")
@load_options
def validate_cmd(path: PathArg, load_options: LoadOptions,
                 as_of: Annotated[str | None, typer.Option("--as-of", help="The day the data is "
                                                           "checked for, YYYY-MM-DD (default: today).")] = None,
                 as_json: JsonOpt = False,
                 data_docs: Annotated[Path | None, typer.Option("--data-docs", help="Also build GX Data Docs in "
                                                                "this folder.")] = None) -> None:
    """Check the data with Great Expectations; exit 2 when an error-severity check fails."""
    from toolkit.validation import validate_dataset

    day = _as_of(as_of)
    proc, data = _load(path, load_options)
    report = validate_dataset(data, proc, as_of=day, data_docs=data_docs)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), default=str, ensure_ascii=False))
    else:
        typer.echo(report.render_text())
        if data_docs is not None:
            typer.echo(f"Data Docs written to {data_docs}")
    if report.blocking:
        raise typer.Exit(ExitCode.BLOCKED)


@app.command("report")
@load_options
def report_cmd(path: PathArg, load_options: LoadOptions,
               as_of: Annotated[str | None,
                                typer.Option("--as-of", help="Report date YYYY-MM-DD (default: today).")] = None,
               teams: Annotated[str,
                                typer.Option("--teams", help="'all' or comma-separated team ids or names.")] = "all",
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
    opts = RunOptions(input=path, out=out, as_of=_as_of(as_of), load=load_options, teams=_teams(teams), jobs=jobs,
                      formats=chosen, force=force, seed=seed, team_timeout=team_timeout,
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


def _teams(value: str) -> tuple[str, ...]:
    """``--teams``: () for all, else the ids or names given (resolved against the data by the run)."""
    return () if value.strip() in ("", "all") else tuple(t.strip() for t in value.split(",") if t.strip())


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
        _fail(exc)


@app.command("prepare")
@load_options
def prepare_cmd(path: PathArg, load_options: LoadOptions,
                out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the team slices.")],
                as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: today).")] = None,
                teams: Annotated[str,
                                 typer.Option("--teams", help="'all' or comma-separated team ids or names.")] = "all",
                seed: Annotated[int, typer.Option(help="Audit-pick seed.")] = 0,
                previous: PreviousOpt = None, window_days: WindowOpt = 7) -> None:
    """Write each team's slice (OUT/<team_id>/) for running notebooks/team_report.ipynb with papermill yourself."""
    from toolkit.reporting.slices import prepare_slices
    from toolkit.reporting.teams import resolve_teams
    from toolkit.validation import validate_dataset

    day = _as_of(as_of)
    proc, data = _load(path, load_options)
    try:
        chosen = resolve_teams(data.teams, _teams(teams))
    except ToolkitError as exc:
        _fail(exc)
    quality = validate_dataset(data, proc, as_of=day)
    earlier = _load(previous, load_options)[1] if previous is not None else None
    for s in prepare_slices(data, proc, day, out, quality=quality, teams=list(chosen) or None, seed=seed,
                            previous=earlier, window_days=window_days):
        typer.echo(f"{s.team_id}\t{s.data_dir}")
    if quality.blocking:
        typer.echo("warning: the data has blocking data-quality errors (see toolkit validate)", err=True)


process_app = typer.Typer(no_args_is_help=True, help="The sales process: read it from an export.")
app.add_typer(process_app, name="process")


@process_app.command("suggest")
@load_options
def process_suggest_cmd(path: PathArg, load_options: LoadOptions,
                        out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the YAML here "
                                                                 "(default: print it).")] = None,
                        as_of: Annotated[str | None, typer.Option("--as-of", help="History up to this day, "
                                                                  "YYYY-MM-DD (default: all of it).")] = None) -> None:
    """Write the process the export describes (stage order, won and lost, entry stages, time limits
    from the team's history, skips and backward moves) as a commented YAML to edit."""
    from toolkit.process_suggest import suggest_process_yaml

    day = _as_of(as_of) if as_of is not None else None
    try:
        data = load_options.load(path)
        text = suggest_process_yaml(data, as_of=day, export=path.name)
    except ToolkitError as exc:
        _fail(exc)
    if out is None:
        typer.echo(text, nl=False)
        return
    from toolkit.reporting.exports import write_atomic
    write_atomic(out, text)
    typer.echo(f"process written to {out}; edit it, then pass --process {out}")


@app.command("samples")
def samples_cmd(out: Annotated[Path,
                               typer.Option("--out", "-o",
                                            help="Folder to write the samples to.")] = Path("data/samples"),
                seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 7,
                deals: Annotated[int | None,
                                 typer.Option(help="About this many deals (e.g. 1000000 for benchmarks).")] = None,
                formats: Annotated[str | None,
                                   typer.Option(help="Comma-separated formats (default: all).")] = None) -> None:
    """Write the sample company's exports in every supported format, with the planted ground truth."""
    from toolkit import samples

    scale = samples.scale_for(deals) if deals else 1.0
    chosen = tuple(f.strip() for f in formats.split(",")) if formats else samples.FORMATS
    unknown = [f for f in chosen if f not in samples.FORMATS]
    if unknown:
        typer.echo(f"error: unknown format(s) {unknown}; choose from {list(samples.FORMATS)}", err=True)
        raise typer.Exit(ExitCode.BLOCKED)
    written = samples.write_samples(out, seed=seed, scale=scale, formats=chosen)
    for fmt, paths in written.items():
        typer.echo(f"{fmt}: " + ", ".join(str(p) for p in paths))


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


if __name__ == "__main__":  # pragma: no cover
    main()
