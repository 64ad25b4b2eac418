"""Running the checks with Great Expectations (GX Core 1.x): the only module that imports GX.

GX runs in an ephemeral context (nothing written, no project folder), with usage analytics off
before the import and its progress bars off, on pandas frames that carry ``source_line`` and
``deal_id``, named as unexpected-index columns so every failure points at the rows it concerns.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from toolkit import schema as S
from toolkit.errors import require_columns
from toolkit.process import Process, ValidationSettings
from toolkit.validation.report import DataQualityReport, ExpectationOutcome
from toolkit.validation.suites import Check, build_checks, judged_by, reached_column

SAMPLE = 20
INDEX_COLUMNS = {"deals": [S.SOURCE_LINE, S.DEAL_ID], "stage_events": [S.SOURCE_LINE, S.DEAL_ID]}


def import_gx() -> None:
    """Import Great Expectations (seconds of CPU): a worker that will validate does it ahead."""
    _gx()


def _gx() -> Any:
    # Analytics must be off before the first import: offline, it retries and stalls (GX #10539).
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    # GX logs every ephemeral docs folder at INFO, and while it imports thousands of DEBUG lines
    # (its registrations, class dictionaries): noise in ops' run log, whose workers log at DEBUG.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx

    return gx


def _context(gx: Any) -> Any:
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _reached(deals: pl.DataFrame, events: pl.DataFrame, process: Process, as_of: dt.date) -> pl.DataFrame:
    """``_reached_<prefix><k>`` per deal: it reached open stage k of the process it is judged by,
    by the same rule as the compliance check (a stage in its history or its current stage; without
    history, every stage up to the current). A deal judged by another process has False."""
    from toolkit.metrics.compliance import _reached_masks
    from toolkit.process import label_key

    keys = (deals[S.PIPELINE].fill_null(S.DEFAULT_PIPELINE).to_list() if S.PIPELINE in deals.columns
            else [S.DEFAULT_PIPELINE] * deals.height)
    named = {label_key(n): f"{n}." for n in process.pipelines}
    judged = pl.Series([named.get(label_key(k), "") for k in keys], dtype=pl.String)
    out = deals
    for prefix, proc in judged_by(process):
        mine = judged == prefix
        if not any(s.required for s in proc.stages):
            continue
        part = deals.filter(mine)
        masks = _reached_masks(part, events.filter(pl.col(S.DEAL_ID).is_in(part[S.DEAL_ID].implode())), proc, as_of)
        for k, m in masks.items():
            full = pl.Series(np.zeros(deals.height, dtype=bool))
            full = full.scatter(mine.arg_true(), m) if part.height else full
            out = out.with_columns(full.alias(reached_column(prefix, k)))
    return out


def _for_gx(frame: pl.DataFrame) -> Any:
    # Only the columns GX looks at: fewer columns, less conversion, and no CRM free text in results.
    return frame.to_pandas(use_pyarrow_extension_array=False)


def validate(deals: pl.DataFrame, stage_events: pl.DataFrame, process: Process, *, as_of: dt.date,
             settings: ValidationSettings | None = None, roster_owners: list[str] | None = None,
             has_history: bool = True,
             data_docs: Path | None = None) -> DataQualityReport:
    """Run every check of the tables and return the data-quality report. The canonical columns are
    required (the loaders always write them): a frame without one is an error, not a check."""
    require_columns(deals, [c.name for c in S.DEALS], "the deals table")
    if has_history:
        require_columns(stage_events, [c.name for c in S.STAGE_EVENTS], "the stage_events table")
    gx = _gx()
    checks = build_checks(process, as_of=as_of, settings=settings, roster_owners=roster_owners,
                          has_history=has_history)
    needed = {t: {S.SOURCE_LINE, S.DEAL_ID} for t in ("deals", "stage_events")}
    for ch in checks:
        for key in ("column", "column_A", "column_B"):
            if key in ch.kwargs:
                needed[ch.table].add(ch.kwargs[key])
        if ch.condition is not None:
            needed[ch.table].add(ch.condition[1])
    d = _reached(deals, stage_events, process, as_of)
    if roster_owners is not None:
        d = d.with_columns(pl.col(S.OWNER_NAME).str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ")
                           .alias("_owner_key"))
    frames = {"deals": d, "stage_events": stage_events}
    pandas_frames = {t: _for_gx(f.select([c for c in f.columns if c in needed[t]])) for t, f in frames.items()}
    context = _context(gx)
    if data_docs is not None:
        _add_docs_site(context, data_docs)
    source = context.data_sources.add_pandas("toolkit")
    outcomes: list[ExpectationOutcome] = []
    for table in ("deals", "stage_events"):
        table_checks = [ch for ch in checks if ch.table == table]
        if not table_checks:
            continue
        pdf = pandas_frames[table]
        present = [ch for ch in table_checks if _columns_present(ch, pdf.columns)]
        absent = [ch for ch in table_checks if ch not in present]
        suite = gx.ExpectationSuite(name=table)
        for ch in present:
            kwargs = dict(ch.kwargs)
            if ch.condition is not None:
                kwargs["row_condition"] = _condition(ch.condition)
            suite.add_expectation(getattr(gx.expectations, ch.expectation)(
                **kwargs, meta={"name": ch.name, "severity": ch.severity}))
        suite = context.suites.add(suite)
        batch_def = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe("all")
        vd = context.validation_definitions.add(gx.ValidationDefinition(name=table, data=batch_def, suite=suite))
        actions = [gx.checkpoint.UpdateDataDocsAction(name="docs", site_names=["toolkit"])] if data_docs else []
        checkpoint = context.checkpoints.add(gx.Checkpoint(name=f"{table}_checkpoint", validation_definitions=[vd],
                                                           actions=actions, result_format={
            "result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS[table],
            "partial_unexpected_count": SAMPLE, "exclude_unexpected_values": False}))
        run = checkpoint.run(batch_parameters={"dataframe": pdf})
        result = next(iter(run.run_results.values()))
        by_name = {r.expectation_config.meta["name"]: r for r in result.results}
        for ch in table_checks:
            if ch in absent:
                outcomes.append(_absent(ch, frames[table] if table != "deals" else d))
            else:
                outcomes.append(_outcome(ch, by_name[ch.name]))
    return DataQualityReport(outcomes, as_of=as_of)


def _condition(spec: tuple[str, str, Any]) -> Any:
    """A GX row condition from a check's (op, column, value)."""
    from great_expectations.expectations.row_conditions import Column

    op, column, value = spec
    col = Column(column)
    if op == "in":
        return col.is_in(value)
    if op == "eq":
        return col == value
    if op == "ge":
        return col >= value
    return col.is_not_null()


def _columns_present(check: Check, columns: Any) -> bool:
    if check.expectation == "ExpectColumnToExist":
        return True
    return all(check.kwargs[k] in columns for k in ("column", "column_A", "column_B") if k in check.kwargs)


def _absent(check: Check, frame: pl.DataFrame) -> ExpectationOutcome:
    missing = [check.kwargs[k] for k in ("column", "column_A", "column_B") if k in check.kwargs
               and check.kwargs[k] not in frame.columns]
    # The rows the check is about: all of them, or those its condition selects.
    cond = check.condition
    rows = frame.filter(pl.col(cond[1]) == cond[2]) if cond and cond[0] == "eq" and cond[1] in frame.columns else frame
    rows = rows.sort(S.SOURCE_LINE) if S.SOURCE_LINE in rows.columns else rows
    lines = rows[S.SOURCE_LINE].head(SAMPLE).to_list() if S.SOURCE_LINE in rows.columns else []
    ids = rows[S.DEAL_ID].head(SAMPLE).to_list() if S.DEAL_ID in rows.columns else []
    return ExpectationOutcome(
        name=check.name, table=check.table, description=check.description + f" (column {missing} is not in the data)",
        severity=check.severity, success=rows.is_empty(), unexpected_count=rows.height, element_count=rows.height,
        source_lines=lines, deal_ids=ids, error=None)


def _outcome(check: Check, result: Any) -> ExpectationOutcome:
    r = result.result or {}
    index_list = r.get("unexpected_index_list") or []
    lines: list[int] = []
    ids: list[str | None] = []
    for item in index_list:
        if isinstance(item, dict):
            line = item.get(S.SOURCE_LINE)
            lines.append(int(line) if line is not None and line == line else -1)
            deal = item.get(S.DEAL_ID)
            ids.append(None if deal is None or deal != deal else str(deal))
    order = sorted(range(len(lines)), key=lambda i: lines[i])
    lines, ids = [lines[i] for i in order], [ids[i] for i in order]
    error = None
    info = getattr(result, "exception_info", None) or {}
    if isinstance(info, dict) and info.get("raised_exception"):
        error = str(info.get("exception_message"))
    count = r.get("unexpected_count")
    if count is None and check.expectation == "ExpectColumnToExist":
        count = 0 if result.success else 1
    return ExpectationOutcome(
        name=check.name, table=check.table, description=check.description, severity=check.severity,
        success=bool(result.success), unexpected_count=int(count or 0), element_count=int(r.get("element_count") or 0),
        source_lines=lines, deal_ids=ids, error=error)


def _add_docs_site(context: Any, folder: Path) -> None:
    """GX's own Data Docs site, for teams that use GX, written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    context.add_data_docs_site(site_name="toolkit", site_config={
        "class_name": "SiteBuilder", "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(folder.resolve())}})
