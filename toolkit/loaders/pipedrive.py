"""Pipedrive: the deals export (``Deal - Title``, ``Deal - Value``, ``Deal - Stage``, ...) and,
where it is exported beside it, the stage history as the deal-flow API returns it.

Won and lost are statuses in Pipedrive, not stages: ``Deal - Stage`` of a won deal is the last open
stage it was in. The export itself carries only ``Deal - Last stage change``; full history comes
from ``GET /v1/deals/{id}/flow`` saved as JSON lines (``deal-flow.jsonl``), read in
:mod:`toolkit.loaders.pipedrive_flow`: stage moves, status changes (won, lost, reopened), and the
value, expected close date, currency and pipeline changes that make the deals' states over time.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit import schema as S
from toolkit.loaders.catalog import catalog_from_rows
from toolkit.loaders.common import (
    ColumnSpec,
    ReadFile,
    Roster,
    assemble,
    drop_duplicate_ids,
    drop_rows,
    export_file,
    fill_closed_at,
    finish_deals,
    read_file,
    require_ids,
    snake,
)
from toolkit.loaders.pipedrive_flow import flow_events, flow_states, read_flow
from toolkit.loaders.raw import RawTable
from toolkit.model import Dataset
from toolkit.process import Process

SOURCE = "pipedrive"

DEALS = (
    ColumnSpec(S.DEAL_ID, ("Deal - ID", "ID"), "id", required=True),
    ColumnSpec(S.DEAL_NAME, ("Deal - Title", "Title")),
    ColumnSpec(S.OWNER_NAME, ("Deal - Owner", "Owner"), required=True),
    ColumnSpec(S.AMOUNT, ("Deal - Value", "Value"), "amount"),
    ColumnSpec(S.CURRENCY, ("Deal - Currency of Value", "Deal - Currency", "Currency")),
    ColumnSpec(S.PIPELINE, ("Deal - Pipeline", "Pipeline")),
    ColumnSpec(S.STAGE_RAW, ("Deal - Stage", "Stage"), required=True),
    ColumnSpec("_status", ("Deal - Status", "Status")),
    ColumnSpec(S.CREATED_AT, ("Deal - Deal created", "Deal created", "Deal - Add time"), "datetime"),
    ColumnSpec("_expected_close", ("Deal - Expected close date", "Expected close date"), "date"),
    ColumnSpec("_won_time", ("Deal - Won time", "Won time"), "datetime"),
    ColumnSpec("_lost_time", ("Deal - Lost time", "Lost time"), "datetime"),
    ColumnSpec("_closed_on", ("Deal - Deal closed on", "Deal closed on"), "datetime"),
    ColumnSpec(S.LAST_ACTIVITY_AT, ("Deal - Last activity date", "Last activity date"), "datetime"),
    ColumnSpec("_last_stage_change", ("Deal - Last stage change",), "datetime"),
    ColumnSpec("_modified", ("Deal - Update time",), "datetime"),
)
STATUSES = {"open": "open", "won": "won", "lost": "lost"}
FLOW_NAMES = ("deal-flow.jsonl", "deal_flow.jsonl", "deals-flow.jsonl", "flow.jsonl")


def load_pipedrive(path: Path, *, process: Process, roster: Roster, date_style: str | None = None) -> Dataset:
    """Load a Pipedrive deals export (CSV or XLSX, or a folder with one and its deal flow)."""
    file, folder = export_file(path, "Pipedrive deals export", "export deals from the Deals list view")
    rf = read_file(file, "deals", DEALS, what="Pipedrive deals export", base=folder, date_default=date_style,
                   vendor=SOURCE)
    require_ids(rf)
    if rf.header_set is not None and rf.header_set.statuses and "_status" in rf.frame.columns:
        # A localised export writes its status in the UI language ("Ganho"): read it as Pipedrive's own.
        words = rf.header_set.statuses
        rf.table.frame = rf.frame.with_columns(
            pl.col("_status").str.strip_chars().str.to_lowercase()
            .replace_strict(words, default=pl.col("_status")).alias("_status"))
    f = rf.frame
    status = f["_status"].str.strip_chars().str.to_lowercase() if "_status" in f.columns else None
    if status is not None:
        drop_rows(rf.table, (status == "deleted").fill_null(False), rf.columns["_status"], S.Reason.DELETED_RECORD,
                  "a live deal; its status is Deleted", raw_column="_status")
        f = rf.frame
        status = f["_status"].str.strip_chars().str.to_lowercase()
        bad = status.is_not_null() & ~status.is_in(list(STATUSES))
        drop_rows(rf.table, bad, rf.columns["_status"], S.Reason.INVALID_STATUS,
                  "a status Open, Won or Lost", raw_column="_status")
    drop_duplicate_ids(rf.table, ["_modified"])
    f = rf.frame
    # "Deal - Next step" arrives as deal_next_step: the entity prefix is noise for deal fields
    # ("Negócio - Etiqueta" in a Portuguese export).
    entity = snake(rf.header_set.entity) + "_" if rf.header_set is not None and rf.header_set.entity else "deal_"
    rename = {c: c.removeprefix(entity) for c in f.columns if c.startswith(entity) and c not in S.names(S.DEALS)
              and c.removeprefix(entity) not in f.columns}
    f = f.rename(rename)
    status_expr = (pl.col("_status").str.strip_chars().str.to_lowercase() if "_status" in f.columns
                   else pl.lit(None, pl.String))
    closed_at = pl.coalesce(*[pl.col(c) for c in ("_won_time", "_lost_time", "_closed_on") if c in f.columns],
                            pl.lit(None, S.DATETIME))
    frame = f.with_columns(
        status_expr.alias(S.STATUS),
        pl.when(status_expr.is_in(["won", "lost"])).then(closed_at).otherwise(None).alias(S.CLOSED_AT),
        pl.col("_line").alias(S.SOURCE_LINE),
    ).with_columns(
        pl.when(pl.col(S.STATUS).is_in(["won", "lost"])).then(pl.col(S.CLOSED_AT).cast(pl.Date))
        .otherwise(pl.col("_expected_close") if "_expected_close" in f.columns else pl.lit(None, pl.Date))
        .alias(S.CLOSE_DATE))
    deals = finish_deals(frame, source=SOURCE, file_of=rf.table.file, process=process, roster=roster)
    flow = next((folder / n for n in FLOW_NAMES if (folder / n).is_file()), None)
    tables: list[RawTable] = []
    states = None
    if flow is not None:
        read = read_flow(flow, folder, deals)
        tables.append(read.table)
        events = flow_events(read, deals, process, rf.table.file)
        expected = (dict(frame.select(S.DEAL_ID, "_expected_close").iter_rows()) if "_expected_close" in frame.columns
                    else {})
        states = flow_states(read, deals, expected, process, rf.table.file)
        catalog = _flow_catalog(read.table.frame, frame)
    else:
        events = S.empty(S.STAGE_EVENTS)
        catalog = S.empty(S.STAGE_CATALOG)
    deals = fill_closed_at(deals, events, process)
    notes = [] if flow else ["a Pipedrive export has no stage history (only 'Last stage change'); save the deal "
                             "flow as deal-flow.jsonl beside it for history checks"]
    extra = [ReadFile(t, "stage_events", {}, {"date_style": "iso", "decimal": ""}) for t in tables]
    ds = assemble(SOURCE, [rf], deals, events, extra, process, roster, has_history=flow is not None, notes=notes,
                  history_states=states)
    ds.stage_catalog = catalog
    return ds


def _flow_catalog(flow: pl.DataFrame, deals: pl.DataFrame) -> pl.DataFrame:
    """Pipedrive numbers a pipeline's stages as they are created, which is their order unless a
    stage was added or moved later; the deal flow names each stage id it moves a deal between."""
    if flow.is_empty():
        return S.empty(S.STAGE_CATALOG)
    moves = flow.filter(pl.col("_key") == "stage_id")
    pairs = pl.concat([moves.select(S.DEAL_ID, pl.col("_old").alias("stage"), pl.col("_old_id").alias("id")),
                       moves.select(S.DEAL_ID, pl.col("_new").alias("stage"), pl.col("_new_id").alias("id"))])
    pipe = next((c for c in (S.PIPELINE, "_pipeline") if c in deals.columns), None)
    if pipe is not None:
        pairs = pairs.join(deals.select(S.DEAL_ID, pl.col(pipe).alias("pipeline")).unique(S.DEAL_ID),
                           on=S.DEAL_ID, how="left")
    pairs = pairs.filter(pl.col("id").str.contains(r"^\d+$"))
    return catalog_from_rows(pairs, origin="Pipedrive stage ids (deal flow)", stage="stage",
                             pipeline="pipeline" if pipe is not None else None, order="id")

