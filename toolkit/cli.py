"""The ``toolkit`` command: a thin shell over the library, for ops and schedulers.

Exit codes: 0 done; 1 an input cannot be used (the message says why); 2 wrong arguments.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from toolkit.errors import ToolkitError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Manage the sales process, not every deal: load CRM exports, check the process, "
                       "review a sample.")

EXIT_INPUT = 1

PathArg = Annotated[Path, typer.Argument(help="An export file or folder.", show_default=False)]
SourceOpt = Annotated[str | None, typer.Option("--source", "-s", help="salesforce, salesforce_report, hubspot, "
                                                "hubspot_sync, pipedrive or generic (detected when left out).")]
MappingOpt = Annotated[Path | None, typer.Option("--mapping", "-m", help="Mapping YAML for a generic CSV/Excel export.")]
RosterOpt = Annotated[Path | None, typer.Option("--roster", "-r", help="Roster CSV/XLSX: owner, team, manager.")]
ProcessOpt = Annotated[Path | None, typer.Option("--process", "-p", help="Sales-process YAML (default: the built-in one).")]
DateOpt = Annotated[str | None, typer.Option("--date-style", help="iso, dmy or mdy, for files whose dates read either way.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of the summary.")]


def _fail(exc: ToolkitError) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(EXIT_INPUT)


@app.command("load")
def load_cmd(path: PathArg, source: SourceOpt = None, mapping: MappingOpt = None, roster: RosterOpt = None,
             process: ProcessOpt = None, date_style: DateOpt = None,
             rejects: Annotated[Path | None, typer.Option("--rejects", help="Write every rejected record to this CSV.")] = None,
             as_json: JsonOpt = False) -> None:
    """Load an export and summarise it: rows per table, teams, and where every input line went."""
    from toolkit.loaders import load

    try:
        data = load(path, source=source, mapping=mapping, roster=roster, process=process, date_style=date_style)
    except ToolkitError as exc:
        _fail(exc)
        return
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
           f"lines in      {summary['lines_in']:,} = {summary['rows']:,} rows + {summary['rejected']:,} rejected "
           f"+ {summary['skipped']:,} skipped",
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


@app.command("samples")
def samples_cmd(out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the samples to.")] = Path("data/samples"),
                seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 7,
                deals: Annotated[int | None, typer.Option(help="About this many deals (e.g. 1000000 for benchmarks).")] = None,
                formats: Annotated[str | None, typer.Option(help="Comma-separated formats (default: all).")] = None) -> None:
    """Write the sample company's exports in every supported format, with the planted ground truth."""
    from toolkit import samples

    scale = samples.scale_for(deals) if deals else 1.0
    chosen = tuple(f.strip() for f in formats.split(",")) if formats else samples.FORMATS
    unknown = [f for f in chosen if f not in samples.FORMATS]
    if unknown:
        typer.echo(f"error: unknown format(s) {unknown}; choose from {list(samples.FORMATS)}", err=True)
        raise typer.Exit(2)
    written = samples.write_samples(out, seed=seed, scale=scale, formats=chosen)
    for fmt, paths in written.items():
        typer.echo(f"{fmt}: " + ", ".join(str(p) for p in paths))


def main() -> None:
    """Entry point of the ``toolkit`` console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
