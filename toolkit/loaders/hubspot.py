"""HubSpot: the deals export from the CRM (CRM > Deals > Export) and the deal tables of a
Fivetran-style sync.

The export names properties by their labels (``Record ID``, ``Deal Name``, ``Deal Stage``, ``Deal
owner``, ...) and carries the stage history as ``Date entered "<stage> (<pipeline>)"`` columns
(single quotes in older portals). HubSpot keeps only the latest entry per stage, so a deal that
went back to a stage it had left shows its last entry only: the history is complete for deals that
only move forward. The sync has ``deal``, ``deal_stage`` (every entry), ``deal_pipeline_stage``
(labels, won/closed flags), ``owner`` and ``owner_team``/``team`` tables.
"""

from __future__ import annotations

import re
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
    drop_flagged,
    drop_rows,
    export_file,
    fill_closed_at,
    find_files,
    finish_deals,
    finish_events,
    read_file,
    require_ids,
    source_file_column,
)
from toolkit.loaders.order import known_keys
from toolkit.model import Dataset
from toolkit.process import Process

SOURCE = "hubspot"
SOURCE_SYNC = "hubspot_sync"

DEALS = (
    ColumnSpec(S.DEAL_ID, ("Record ID", "Deal ID", "hs_object_id"), "id", required=True),
    ColumnSpec(S.DEAL_NAME, ("Deal Name",)),
    ColumnSpec(S.STAGE_RAW, ("Deal Stage",), required=True),
    ColumnSpec(S.PIPELINE, ("Pipeline",)),
    ColumnSpec(S.AMOUNT, ("Amount",), "amount"),
    ColumnSpec(S.CURRENCY, ("Currency", "Deal currency code")),
    ColumnSpec(S.CLOSE_DATE, ("Close Date",), "datetime"),
    ColumnSpec(S.CREATED_AT, ("Create Date", "HubSpot Create Date"), "datetime"),
    ColumnSpec(S.OWNER_NAME, ("Deal owner", "Deal Owner", "HubSpot Owner"), required=True),
    ColumnSpec(S.TEAM_NAME, ("HubSpot Team", "Team")),
    ColumnSpec(S.LAST_ACTIVITY_AT, ("Last Activity Date",), "datetime"),
    ColumnSpec("_modified", ("Last Modified Date",), "datetime"),
    ColumnSpec("_is_won", ("Is Closed Won",), "bool"),
    ColumnSpec("_is_closed", ("Is Deal Closed?", "Is Closed"), "bool"),
)
_STAGE_COLUMN = re.compile(r"""^Date entered\s+["'](?P<stage>.+?)(?:\s+\((?P<pipeline>[^()]*)\))?["']$""", re.I)
_HISTORY_EXTRAS = re.compile(r"^(date_entered|date_exited|latest_time_in|cumulative_time_in|time_in)_")


def _stage_columns(header: list[str]) -> list[ColumnSpec]:
    specs = []
    for i, h in enumerate(header):
        m = _STAGE_COLUMN.match(h.strip())
        if m:
            specs.append(ColumnSpec(f"_entered_{i}::{m.group('stage')}", (h,), "datetime"))
    return specs


def load_hubspot(path: Path, *, process: Process, roster: Roster, date_style: str | None = None) -> Dataset:
    """Load a HubSpot deals export (a CSV or XLSX file, or a folder holding one)."""
    path_file, folder = export_file(path, "HubSpot deals export", "export deals from CRM > Deals > Export")
    rf = read_file(path_file, "deals", DEALS, what="HubSpot deals export", base=folder,
                   date_default=date_style, dynamic=_stage_columns, vendor=SOURCE)
    require_ids(rf)
    drop_duplicate_ids(rf.table, ["_modified"])
    f = rf.frame
    stage_cols = [c for c in f.columns if c.startswith("_entered_")]
    status = pl.lit(None, pl.String)
    if "_is_won" in f.columns and "_is_closed" in f.columns:
        status = (pl.when(pl.col("_is_closed") == False).then(pl.lit("open"))  # noqa: E712
                  .when(pl.col("_is_won") == True).then(pl.lit("won"))  # noqa: E712
                  .when(pl.col("_is_closed") == True).then(pl.lit("lost")))  # noqa: E712
    frame = f.with_columns(status.alias(S.STATUS), pl.col("_line").alias(S.SOURCE_LINE),
                           pl.col(S.CLOSE_DATE).cast(pl.Date) if S.CLOSE_DATE in f.columns else pl.lit(None))
    frame = frame.drop([c for c in frame.columns if _HISTORY_EXTRAS.match(c)] + stage_cols)
    deals = finish_deals(frame, source=SOURCE, file_of=rf.table.file, process=process, roster=roster)
    if stage_cols:
        # A stage column belongs to its pipeline: `Date entered "Closed Won (Renewals)"`.
        parts = {c: _STAGE_COLUMN.match(rf.columns[c].strip()) for c in stage_cols}
        stage_of_col = {c: m.group("stage") for c, m in parts.items() if m}
        pipeline_of_col = {c: m.group("pipeline") for c, m in parts.items() if m and m.group("pipeline")}
        long = (f.select(S.DEAL_ID, "_line", *stage_cols)
                .unpivot(index=[S.DEAL_ID, "_line"], on=stage_cols, variable_name="_col", value_name=S.ENTERED_AT)
                .filter(pl.col(S.ENTERED_AT).is_not_null())
                .with_columns(pl.col("_col").replace_strict(stage_of_col, return_dtype=pl.String).alias(S.STAGE_RAW),
                              pl.col("_col").replace_strict(pipeline_of_col, default=None, return_dtype=pl.String)
                              .alias(S.PIPELINE),
                              pl.col("_line").alias(S.SOURCE_LINE), pl.lit(rf.table.file).alias(S.SOURCE_FILE)))
        events = finish_events(long, process, deals)
    else:
        events = S.empty(S.STAGE_EVENTS)
    deals = fill_closed_at(deals, events, process)
    notes = [] if stage_cols else ['no "Date entered" columns: stage history is not in this export']
    if not stage_cols and rf.header_set is not None:
        # The stage-history columns are known in English only (toolkit/data/headers/hubspot.yaml).
        notes = [f"no English 'Date entered' columns; their {rf.header_set.name} names are not known to the "
                 "toolkit, so any stage-history columns are kept as plain columns and the load has no history "
                 "(export with English headers to read them)"]
    ds = assemble(SOURCE, [rf], deals, events, [], process, roster, has_history=bool(stage_cols), notes=notes)
    ds.stage_catalog = _column_catalog(rf.table.header)
    return ds


def _column_catalog(header: list[str]) -> pl.DataFrame:
    """HubSpot writes the "Date entered" columns of each pipeline in the pipeline's stage order."""
    rows = []
    for h in header:
        m = _STAGE_COLUMN.match(h.strip())
        if m:
            rows.append({"stage": m.group("stage"), "pipeline": m.group("pipeline")})
    frame = pl.DataFrame(rows, schema={"stage": pl.String, "pipeline": pl.String}).with_columns(
        pl.int_range(pl.len()).over(pl.col("pipeline").fill_null("")).alias("order"))
    return catalog_from_rows(frame, origin='"Date entered" column order', stage="stage", pipeline="pipeline",
                             order="order")


# --- the sync ----------------------------------------------------------------------------------

SYNC_FILES = {
    "deals": ("deal", "deal_data", "deals"),
    "stages": ("deal_pipeline_stage", "deal_pipeline_stage_data"),
    "pipelines": ("deal_pipeline", "deal_pipeline_data"),
    "history": ("deal_stage", "deal_stage_data"),
    "owners": ("owner", "owner_data", "owners"),
    "owner_teams": ("owner_team", "owner_team_data"),
    "teams": ("team", "team_data", "teams"),
}
SYNC_DEALS = (
    ColumnSpec(S.DEAL_ID, ("deal_id",), "id", required=True),
    ColumnSpec(S.DEAL_NAME, ("property_dealname",)),
    ColumnSpec("_stage_id", ("deal_pipeline_stage_id", "property_dealstage")),
    ColumnSpec("_pipeline_id", ("deal_pipeline_id", "property_pipeline")),
    ColumnSpec(S.OWNER_ID, ("owner_id", "property_hubspot_owner_id"), "id"),
    ColumnSpec(S.AMOUNT, ("property_amount",), "amount"),
    ColumnSpec(S.CURRENCY, ("property_deal_currency_code",)),
    ColumnSpec(S.CLOSE_DATE, ("property_closedate",), "datetime"),
    ColumnSpec(S.CREATED_AT, ("property_createdate",), "datetime"),
    ColumnSpec("_is_deleted", ("is_deleted",), "bool"),
)
SYNC_STAGES = (
    ColumnSpec("_stage_id", ("stage_id",), "id", required=True),
    ColumnSpec("_label", ("label",), required=True),
    ColumnSpec("_closed_won", ("closed_won",), "bool"),
    ColumnSpec("_is_closed", ("is_closed",), "bool"),
    ColumnSpec("_deleted", ("_fivetran_deleted",), "bool"),
    ColumnSpec("_display_order", ("display_order",)),
    ColumnSpec("_probability", ("probability",)),
    ColumnSpec("_pipeline_id", ("pipeline_id",)),
    ColumnSpec("_active", ("active",)),
)
SYNC_PIPELINES = (
    ColumnSpec("_pipeline_id", ("pipeline_id",), "id", required=True),
    ColumnSpec("_pipeline_label", ("label",), required=True),
    ColumnSpec("_deleted", ("_fivetran_deleted",), "bool"),
)
SYNC_HISTORY = (
    ColumnSpec(S.DEAL_ID, ("deal_id",), "id", required=True),
    ColumnSpec(S.ENTERED_AT, ("date_entered",), "datetime", required=True),
    ColumnSpec("_stage_id", ("value",), required=True),
    ColumnSpec(S.CHANGED_BY, ("source_id",)),
)
SYNC_OWNERS = (
    ColumnSpec(S.OWNER_ID, ("owner_id",), "id", required=True),
    ColumnSpec("_first", ("first_name",)),
    ColumnSpec("_last", ("last_name",)),
    ColumnSpec("_email", ("email",)),
)
SYNC_OWNER_TEAMS = (
    ColumnSpec(S.OWNER_ID, ("owner_id",), "id", required=True),
    ColumnSpec("_team_id", ("team_id",), "id", required=True),
    ColumnSpec("_primary", ("is_team_primary",), "bool"),
)
SYNC_TEAMS = (ColumnSpec("_team_id", ("id",), "id", required=True), ColumnSpec("_team", ("name",), required=True))


def load_hubspot_sync(folder: Path, *, process: Process, roster: Roster) -> Dataset:
    """Load the deal tables of a HubSpot sync (Fivetran schema)."""
    found = find_files(folder, SYNC_FILES)
    deals_rf = read_file(found["deals"], "deals", SYNC_DEALS, what="HubSpot deal table", base=folder)
    require_ids(deals_rf)
    drop_flagged(deals_rf, "_is_deleted", S.Reason.DELETED_RECORD, "a live deal; is_deleted is true")
    others: list[ReadFile] = []

    def side(role: str, specs: tuple[ColumnSpec, ...]) -> ReadFile | None:
        if role not in found:
            return None
        rf = read_file(found[role], role, specs, what=f"HubSpot {role} table", base=folder)
        others.append(rf)
        return rf

    stages, owners = side("stages", SYNC_STAGES), side("owners", SYNC_OWNERS)
    owner_teams, teams = side("owner_teams", SYNC_OWNER_TEAMS), side("teams", SYNC_TEAMS)
    f = deals_rf.frame.with_columns(pl.col("_line").alias(S.SOURCE_LINE), pl.col(S.CLOSE_DATE).cast(pl.Date))
    catalogue = None
    if stages is not None:
        catalogue = (stages.frame.filter(~pl.col("_deleted").fill_null(False)) if "_deleted" in stages.frame.columns
                     else stages.frame)
        catalogue = catalogue.select("_stage_id", "_label",
                                     *(c for c in ("_closed_won",
                                                   "_is_closed") if c in catalogue.columns)).unique("_stage_id")
        f = f.join(catalogue, on="_stage_id", how="left")
        if "_is_closed" in f.columns:
            f = f.with_columns(pl.when(pl.col("_is_closed") == False).then(pl.lit("open"))  # noqa: E712
                               .when(pl.col("_closed_won") == True).then(pl.lit("won"))  # noqa: E712
                               .when(pl.col("_is_closed") == True).then(pl.lit("lost")).alias(S.STATUS))  # noqa: E712
        f = f.with_columns(pl.coalesce("_label", "_stage_id").alias(S.STAGE_RAW))
    elif "_stage_id" in f.columns:
        f = f.with_columns(pl.col("_stage_id").alias(S.STAGE_RAW))
    pipelines = side("pipelines", SYNC_PIPELINES)
    if "_pipeline_id" in f.columns:
        # The pipeline's label where the pipeline table has it, else its id.
        if pipelines is not None:
            p = pipelines.frame
            p = p.filter(~pl.col("_deleted").fill_null(False)) if "_deleted" in p.columns else p
            f = f.join(p.select("_pipeline_id", "_pipeline_label").unique("_pipeline_id", keep="first"),
                       on="_pipeline_id", how="left")
        else:
            f = f.with_columns(pl.lit(None, pl.String).alias("_pipeline_label"))
        f = f.with_columns(pl.coalesce("_pipeline_label", "_pipeline_id").alias(S.PIPELINE)).drop(
            "_pipeline_label", "_pipeline_id")
    if owners is not None:
        o = owners.frame.select(S.OWNER_ID, pl.concat_str("_first", "_last", separator=" ", ignore_nulls=True)
                                .replace("", None).alias(S.OWNER_NAME))
        f = f.join(o, on=S.OWNER_ID, how="left")
    if owner_teams is not None and teams is not None:
        ot = owner_teams.frame.sort("_primary", descending=True, nulls_last=True).unique(S.OWNER_ID, keep="first")
        ot = ot.join(teams.frame.select("_team_id", "_team"), on="_team_id", how="left")
        f = f.join(ot.select(S.OWNER_ID, pl.col("_team").alias(S.TEAM_NAME)), on=S.OWNER_ID, how="left")
    deals = finish_deals(f.drop([c for c in ("_label", "_closed_won", "_is_closed") if c in f.columns]),
                         source=SOURCE_SYNC, file_of=deals_rf.table.file, process=process, roster=roster)
    events = S.empty(S.STAGE_EVENTS)
    hist = side("history", SYNC_HISTORY)
    if hist is not None:
        require_ids(hist)
        drop_rows(hist.table, ~known_keys(hist.frame[S.DEAL_ID], deals[S.DEAL_ID]), S.DEAL_ID,
                  S.Reason.UNKNOWN_DEAL, "a stage entry of a loaded deal; no such deal was loaded")
        h = hist.frame
        if catalogue is not None:
            h = h.join(catalogue.select("_stage_id", "_label"), on="_stage_id", how="left")
        else:
            h = h.with_columns(pl.lit(None, pl.String).alias("_label"))
        h = h.with_columns(pl.coalesce("_label", "_stage_id").alias(S.STAGE_RAW), pl.col("_line").alias(S.SOURCE_LINE),
                           source_file_column(hist.table.file))
        hist.table.keep_lines_only()
        events = finish_events(h, process, deals)
    deals = fill_closed_at(deals, events, process)
    ds = assemble(SOURCE_SYNC, [deals_rf], deals, events, others, process, roster, has_history=hist is not None)
    if stages is not None:
        ds.stage_catalog = _sync_catalog(stages.frame, pipelines)
    return ds


def _sync_catalog(stages: pl.DataFrame, pipelines: ReadFile | None) -> pl.DataFrame:
    """The sync's deal_pipeline_stage table: display_order, probability (0-1) and flags per
    pipeline; a pipeline is named by its label where the deal_pipeline table gives one."""
    f = stages
    keep = pl.lit(True)
    for flag, live in (("_deleted", False), ("_active", True)):
        if flag in f.columns:
            text = pl.col(flag).cast(pl.String).str.to_lowercase()
            keep = keep & (text.is_null() | (text.is_in(["true", "1"]) == live))
    if "_pipeline_id" in f.columns and pipelines is not None and "_pipeline_label" in pipelines.frame.columns:
        labels = pipelines.frame.select("_pipeline_id", "_pipeline_label").unique("_pipeline_id")
        f = f.join(labels, on="_pipeline_id", how="left").with_columns(
            pl.coalesce("_pipeline_label", "_pipeline_id").alias("_pipeline_id"))
    if "_probability" in f.columns:
        f = f.with_columns(pl.col("_probability").cast(pl.String).str.replace(",", ".").cast(pl.Float64,
                                                                                             strict=False) * 100)
    return catalog_from_rows(f, origin="deal_pipeline_stage.display_order", stage="_label", pipeline="_pipeline_id",
                             order="_display_order", probability="_probability", is_won="_closed_won",
                             is_closed="_is_closed", keep=keep)

