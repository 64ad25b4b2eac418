"""Pipedrive: the deals export (``Deal - Title``, ``Deal - Value``, ``Deal - Stage``, ...) and,
where it is exported beside it, the stage history as the deal-flow API returns it.

Won and lost are statuses in Pipedrive, not stages: ``Deal - Stage`` of a won deal is the last open
stage it was in. The export itself carries only ``Deal - Last stage change``; full history comes
from ``GET /v1/deals/{id}/flow`` saved as JSON lines (``deal-flow.jsonl``): ``dealChange`` items
whose ``field_key`` is ``stage_id`` (moves) or ``status`` (won, lost, reopened).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from toolkit import schema as S
from toolkit.model import Dataset
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
    finish_events,
    read_file,
    require_ids,
    snake,
)
from toolkit.loaders.reading import RawTable, escape_raw, file_sha256
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
    if flow is not None:
        events, flow_table = _flow_events(flow, folder, frame, process, rf.table.file)
        tables.append(flow_table)
    else:
        events = S.empty(S.STAGE_EVENTS)
    deals = fill_closed_at(deals, events, process)
    notes = [] if flow else ["a Pipedrive export has no stage history (only 'Last stage change'); save the deal "
                             "flow as deal-flow.jsonl beside it for history checks"]
    extra = [ReadFile(t, "stage_events", {}, {"date_style": "iso", "decimal": ""}) for t in tables]
    return assemble(SOURCE, [rf], deals, events, extra, process, roster, has_history=flow is not None, notes=notes)


def _flow_events(path: Path, folder: Path, deals: pl.DataFrame, process: Process,
                 deals_file: str) -> tuple[pl.DataFrame, RawTable]:
    """Stage entries from a deal-flow JSON-lines file; every line is an entry, a skip or a reject."""
    data = path.read_bytes()
    name = str(path.relative_to(folder))
    lines = data.decode("utf-8", "backslashreplace").splitlines()
    table = RawTable(file=name, sha256=file_sha256(data), frame=pl.DataFrame(), header=[], lines_in=len(lines),
                     encoding="utf-8", delimiter="", header_line=0)
    rows: list[dict[str, object]] = []
    known = set(deals[S.DEAL_ID].to_list())
    for i, text in enumerate(lines, start=1):
        if not text.strip():
            table.skipped["blank"] += 1
            continue
        try:
            item = json.loads(text)
            d = item["data"]
            key = d["field_key"]
            deal = str(d["item_id"])
            at = d["log_time"]
        except (ValueError, KeyError, TypeError) as exc:
            table.reject(i, i, None, escape_raw(text), S.Reason.MALFORMED_RECORD,
                         f"expected a dealChange object with data.item_id, field_key, log_time; found {exc!r}")
            continue
        if key not in ("stage_id", "status"):
            table.skipped["other_change"] += 1
            continue
        if deal not in known:
            table.reject(i, i, "item_id", deal, S.Reason.UNKNOWN_DEAL, "a change of a loaded deal; no such deal")
            continue
        extra = d.get("additional_data") or {}
        rows.append({S.DEAL_ID: deal, "_key": key, "_old": extra.get("old_value_formatted", d.get("old_value")),
                     "_new": extra.get("new_value_formatted", d.get("new_value")), "_at": at,
                     S.CHANGED_BY: None if d.get("user_id") is None else str(d.get("user_id")), "_line": i,
                     "_end_line": i})
    f = pl.DataFrame(rows, schema={S.DEAL_ID: pl.String, "_key": pl.String, "_old": pl.String, "_new": pl.String,
                                   "_at": pl.String, S.CHANGED_BY: pl.String, "_line": pl.Int64, "_end_line": pl.Int64})
    f = f.with_columns(pl.col("_at").str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False).alias(S.ENTERED_AT))
    bad = f[S.ENTERED_AT].is_null()
    for row in f.filter(bad).iter_rows(named=True):
        table.reject(row["_line"], row["_line"], "log_time", str(row["_at"]), S.Reason.INVALID_DATE,
                     "expected log_time as YYYY-MM-DD HH:MM:SS")
    f = f.filter(~bad)
    table.frame = f
    # The stage a deal is in after a status change back to open is the last open stage entered.
    status_stage = {"won": process.won.name, "lost": process.lost.name}
    moves = f.with_columns(
        pl.when(pl.col("_key") == "stage_id").then(pl.col("_new"))
        .when(pl.col("_new").str.to_lowercase().is_in(list(status_stage))).then(
            pl.col("_new").str.to_lowercase().replace_strict(status_stage, default=None))
        .otherwise(None).alias(S.STAGE_RAW))
    last_open = (pl.when(pl.col("_key") == "stage_id").then(pl.col("_new")).otherwise(None)
                 .forward_fill().over(S.DEAL_ID, order_by=[S.ENTERED_AT, "_line"]))
    moves = moves.with_columns(pl.when(pl.col(S.STAGE_RAW).is_null() & (pl.col("_new").str.to_lowercase() == "open"))
                               .then(last_open).otherwise(pl.col(S.STAGE_RAW)).alias(S.STAGE_RAW))
    first = (f.filter(pl.col("_key") == "stage_id").sort(S.ENTERED_AT, "_line")
             .group_by(S.DEAL_ID).agg(pl.col("_old").first().alias("_first")))
    created = (deals.select(S.DEAL_ID, S.CREATED_AT, pl.col(S.STAGE_RAW).alias("_current"), "_line")
               .join(first, on=S.DEAL_ID, how="left")
               .select(S.DEAL_ID, pl.coalesce("_first", "_current").alias(S.STAGE_RAW),
                       pl.col(S.CREATED_AT).alias(S.ENTERED_AT), pl.lit(None, pl.String).alias(S.CHANGED_BY),
                       pl.col("_line").alias(S.SOURCE_LINE), pl.lit(deals_file).alias(S.SOURCE_FILE)))
    created = created.filter(pl.col(S.ENTERED_AT).is_not_null())
    flow_rows = moves.select(S.DEAL_ID, S.STAGE_RAW, S.ENTERED_AT, S.CHANGED_BY, pl.col("_line").alias(S.SOURCE_LINE),
                             pl.lit(name).alias(S.SOURCE_FILE))
    return finish_events(pl.concat([created, flow_rows]), process), table
