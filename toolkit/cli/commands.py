"""The commands that read an export and print what they find: ``load``, ``metrics``,
``validate``, ``process suggest``; and ``samples``, which writes the sample company's exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from toolkit.cli.options import (
    JsonOpt,
    PathArg,
    PreviousOpt,
    WindowOpt,
    as_of_date,
    fail,
    load_export,
    load_options,
)
from toolkit.cli.text import render_metrics, render_summary
from toolkit.errors import ToolkitError
from toolkit.exit_codes import ExitCode
from toolkit.loaders.options import LoadOptions

if TYPE_CHECKING:
    from toolkit.metrics.changes import Basis


@load_options
def load_cmd(path: PathArg, load_options: LoadOptions,
             rejects: Annotated[Path | None,
                                typer.Option("--rejects", help="Write every rejected record to this CSV.")] = None,
             as_json: JsonOpt = False) -> None:
    """Load an export and summarise it: rows per table, teams, and where every input line went."""
    try:
        data = load_options.load(path)
    except ToolkitError as exc:
        fail(exc)
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


@load_options
def metrics_cmd(path: PathArg, load_options: LoadOptions,
                as_of: Annotated[str | None, typer.Option("--as-of", help="The day the figures are for, "
                                                          "YYYY-MM-DD (default: today).")] = None,
                previous: PreviousOpt = None, window_days: WindowOpt = 7, as_json: JsonOpt = False) -> None:
    """Team and rep figures: counts, review hours, compliance, changes, control verdicts, coaching."""
    from toolkit.metrics.figures import compute_figures

    day = as_of_date(as_of)
    proc, data = load_export(path, load_options)
    states = data.deal_states
    basis: Basis | None = None
    if previous is not None:
        from toolkit.loaders.states import states_from_two_exports
        from toolkit.metrics.changes import change_window

        try:
            states = states_from_two_exports(load_export(previous, load_options)[1], data,
                                             change_window(day, window_days)[0], day)
        except ToolkitError as exc:
            fail(exc)
        basis = "previous export"
    result = compute_figures(data.deals, data.stage_events, data.reps, proc, day,
                             states=states, states_basis=basis, window_days=window_days)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), default=str, ensure_ascii=False))
        return
    typer.echo(render_metrics(result.to_dict(), has_history=data.has_history))


@load_options
def validate_cmd(path: PathArg, load_options: LoadOptions,
                 as_of: Annotated[str | None, typer.Option("--as-of", help="The day the data is "
                                                           "checked for, YYYY-MM-DD (default: today).")] = None,
                 as_json: JsonOpt = False,
                 data_docs: Annotated[Path | None, typer.Option("--data-docs", help="Also build GX Data Docs in "
                                                                "this folder.")] = None) -> None:
    """Check the data with Great Expectations; exit 2 when an error-severity check fails."""
    from toolkit.validation import validate_dataset

    day = as_of_date(as_of)
    proc, data = load_export(path, load_options)
    report = validate_dataset(data, proc, as_of=day, data_docs=data_docs)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), default=str, ensure_ascii=False))
    else:
        typer.echo(report.render_text())
        if data_docs is not None:
            typer.echo(f"Data Docs written to {data_docs}")
    if report.blocking:
        raise typer.Exit(ExitCode.BLOCKED)


@load_options
def process_suggest_cmd(path: PathArg, load_options: LoadOptions,
                        out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the YAML here "
                                                                 "(default: print it).")] = None,
                        as_of: Annotated[str | None, typer.Option("--as-of", help="History up to this day, "
                                                                  "YYYY-MM-DD (default: all of it).")] = None) -> None:
    """Write the process the export describes (stage order, won and lost, entry stages, time limits
    from the team's history, skips and backward moves) as a commented YAML to edit."""
    from toolkit.process_suggest import suggest_process_yaml

    day = as_of_date(as_of) if as_of is not None else None
    try:
        data = load_options.load(path)
        text = suggest_process_yaml(data, as_of=day, export=path.name)
    except ToolkitError as exc:
        fail(exc)
    if out is None:
        typer.echo(text, nl=False)
        return
    from toolkit.reporting.exports import write_atomic
    write_atomic(out, text)
    typer.echo(f"process written to {out}; edit it, then pass --process {out}")


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
