"""Salesforce: the Data Export / Data Loader files (API names), the same tables as a Fivetran-style
sync lands them (snake_case), and report exports with label headers.

Data Export: ``Opportunity.csv`` (deals), ``OpportunityHistory.csv`` (a row on any change of
stage, amount or close date: consecutive rows of one stage collapse into one stage entry),
``User.csv`` and ``UserRole.csv`` (a rep's team is the name of their role; the team's manager is
the user holding the parent role, else the user's ManagerId).
Report export: ``Opportunity Name``, ``Stage``, ``Opportunity Owner``, ``Close Date``, ... with a
report footer, in the exporting user's date style (detected per file), plus optionally an
Opportunity History report (``To Stage``/``Stage``, ``Edit Date``/``Last Modified``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import polars as pl

from toolkit import schema as S
from toolkit.loaders.catalog import catalog_from_rows, concat_catalogs
from toolkit.loaders.chunks import cut_like
from toolkit.loaders.columns import read_ahead
from toolkit.loaders.common import (
    ColumnSpec,
    ReadFile,
    Roster,
    assemble,
    drop_duplicate_ids,
    drop_flagged,
    drop_rows,
    fill_closed_at,
    find_files,
    finish_deals,
    finish_events,
    map_entries,
    read_file,
    require_ids,
    source_file_series,
)
from toolkit.loaders.order import DEAL_AT, deal_positions, known_keys, sorted_by
from toolkit.loaders.states import STATE_FIELDS, history_states
from toolkit.model import Dataset
from toolkit.process import Process

SOURCE_EXPORT = "salesforce"
SOURCE_REPORT = "salesforce_report"

FILES = {
    "opportunities": ("opportunity", "opportunities", "sf_opportunity_data", "sf_opportunity"),
    "history": ("opportunity_history", "sf_opportunity_history_data", "sf_opportunity_history"),
    "users": ("user", "users", "sf_user_data", "sf_user"),
    "roles": ("user_role", "user_roles", "sf_user_role_data", "sf_user_role"),
    "record_types": ("record_type", "record_types", "sf_record_type_data", "sf_record_type"),
    "stages": ("opportunity_stage", "opportunity_stages", "sf_opportunity_stage_data", "sf_opportunity_stage"),
}

OPPORTUNITY = (
    ColumnSpec(S.DEAL_ID, ("Id",), "id", required=True),
    ColumnSpec(S.DEAL_NAME, ("Name",)),
    ColumnSpec(S.STAGE_RAW, ("StageName",), required=True),
    ColumnSpec(S.AMOUNT, ("Amount",), "amount"),
    ColumnSpec(S.CURRENCY, ("CurrencyIsoCode",)),
    ColumnSpec(S.CLOSE_DATE, ("CloseDate",), "date"),
    ColumnSpec(S.CREATED_AT, ("CreatedDate",), "datetime"),
    ColumnSpec(S.LAST_ACTIVITY_AT, ("LastActivityDate",), "datetime"),
    ColumnSpec(S.OWNER_ID, ("OwnerId",), "id"),
    ColumnSpec("_is_closed", ("IsClosed",), "bool"),
    ColumnSpec("_is_won", ("IsWon",), "bool"),
    ColumnSpec("_is_deleted", ("IsDeleted",), "bool"),
    ColumnSpec("_active", ("_fivetran_active",), "bool"),
    ColumnSpec("_modified", ("LastModifiedDate", "SystemModstamp"), "datetime"),
    # The record type selects the opportunity's sales process: one pipeline per record type.
    ColumnSpec("_record_type_id", ("RecordTypeId",), "id"),
    ColumnSpec(S.PIPELINE, ("RecordType.Name", "RecordTypeName", "RecordType")),
    # Read as text: they only describe the stage (see loaders.catalog), a bad one rejects nothing.
    ColumnSpec("_sort_order", ("StageSortOrder",)),
    ColumnSpec("_probability", ("Probability",)),
)
# The org's stage picklist (OpportunityStage), where the export has it: the most trusted order.
STAGES = (
    ColumnSpec("_label", ("MasterLabel", "ApiName", "master_label", "api_name"), required=True),
    ColumnSpec("_sort_order", ("SortOrder",)),
    ColumnSpec("_is_closed", ("IsClosed",)),
    ColumnSpec("_is_won", ("IsWon",)),
    ColumnSpec("_probability", ("DefaultProbability",)),
    ColumnSpec("_is_active", ("IsActive",)),
)
HISTORY = (
    ColumnSpec(S.DEAL_ID, ("OpportunityId", "Id"), "id", required=True),
    ColumnSpec(S.STAGE_RAW, ("StageName",), required=True),
    ColumnSpec(S.AMOUNT, ("Amount",), "amount"),
    ColumnSpec(S.CLOSE_DATE, ("CloseDate",), "date"),
    ColumnSpec(S.CURRENCY, ("CurrencyIsoCode",)),
    ColumnSpec(S.ENTERED_AT, ("_fivetran_start", "CreatedDate"), "datetime", required=True),
    ColumnSpec(S.CHANGED_BY, ("CreatedById", "LastModifiedById")),
    ColumnSpec("_is_deleted", ("IsDeleted",), "bool"),
)
USERS = (
    ColumnSpec(S.OWNER_ID, ("Id",), "id", required=True),
    ColumnSpec(S.OWNER_NAME, ("Name",)),
    ColumnSpec("_first", ("FirstName",)),
    ColumnSpec("_last", ("LastName",)),
    ColumnSpec("_role_id", ("UserRoleId",)),
    ColumnSpec("_manager_id", ("ManagerId",)),
    ColumnSpec(S.ACTIVE, ("IsActive",), "bool"),
)
RECORD_TYPES = (
    ColumnSpec("_record_type_id", ("Id",), "id", required=True),
    ColumnSpec("_record_type", ("Name",), required=True),
    ColumnSpec("_sobject", ("SobjectType",)),
)
ROLES = (
    ColumnSpec("_role_id", ("Id",), "id", required=True),
    ColumnSpec("_role_name", ("Name",), required=True),
    ColumnSpec("_parent_role_id", ("ParentRoleId",)),
)
REPORT = (
    ColumnSpec(S.DEAL_ID, ("Opportunity ID", "Opportunity Id", "Record ID"), "id"),
    ColumnSpec(S.DEAL_NAME, ("Opportunity Name",), required=True),
    ColumnSpec(S.STAGE_RAW, ("Stage",), required=True),
    ColumnSpec(S.OWNER_NAME, ("Opportunity Owner", "Owner", "Owner Name", "Owner Full Name")),
    ColumnSpec(S.TEAM_NAME, ("Owner Role", "Role", "Team")),
    ColumnSpec(S.PIPELINE, ("Opportunity Record Type", "Record Type", "Sales Process")),
    ColumnSpec(S.MANAGER_NAME, ("Owner Manager", "Manager")),
    ColumnSpec(S.CURRENCY, ("Amount Currency", "Opportunity Currency", "Currency")),
    ColumnSpec(S.AMOUNT, ("Amount",), "amount"),
    ColumnSpec(S.CLOSE_DATE, ("Close Date",), "date"),
    ColumnSpec(S.CREATED_AT, ("Created Date",), "datetime"),
    ColumnSpec(S.CLOSED_AT, ("Closed Date",), "datetime"),
    ColumnSpec(S.LAST_ACTIVITY_AT, ("Last Activity", "Last Activity Date"), "datetime"),
    ColumnSpec("_is_closed", ("Closed",), "bool"),
    ColumnSpec("_is_won", ("Won",), "bool"),
)
REPORT_HISTORY = (
    ColumnSpec(S.DEAL_ID, ("Opportunity ID", "Opportunity Id"), "id", required=True),
    ColumnSpec(S.STAGE_RAW, ("To Stage", "Stage"), required=True),
    ColumnSpec(S.ENTERED_AT, ("Edit Date", "Last Modified", "Stage Change Date", "Last Modified Date"),
               "datetime", required=True),
    ColumnSpec(S.CHANGED_BY, ("Edited By", "Last Modified By")),
    ColumnSpec(S.AMOUNT, ("Amount",), "amount"),
    ColumnSpec(S.CLOSE_DATE, ("Close Date",), "date"),
)

REPORT_FILES = {
    "opportunities": ("opportunities", "opportunity_report", "opportunities_report", "report"),
    "history": ("stage_history", "opportunity_history_report", "opportunity_history", "history"),
}


def _status(frame: pl.DataFrame) -> pl.Expr:
    if "_is_closed" in frame.columns and "_is_won" in frame.columns:
        return (pl.when(pl.col("_is_closed") == False).then(pl.lit("open"))  # noqa: E712
                .when(pl.col("_is_won") == True).then(pl.lit("won"))  # noqa: E712
                .when(pl.col("_is_closed") == True).then(pl.lit("lost"))  # noqa: E712
                .otherwise(None))
    return pl.lit(None, pl.String)


def _teams_from_roles(users: ReadFile | None, roles: ReadFile | None) -> pl.DataFrame:
    """owner_id -> owner_name, team_name, manager_name, active, from users and the role tree."""
    if users is None:
        return pl.DataFrame(schema={S.OWNER_ID: pl.String, S.OWNER_NAME: pl.String, S.TEAM_NAME: pl.String,
                                    S.MANAGER_NAME: pl.String, S.ACTIVE: pl.Boolean})
    u = users.frame
    for c in ("_role_id", "_manager_id", S.OWNER_NAME, "_first", "_last"):
        if c not in u.columns:
            u = u.with_columns(pl.lit(None, pl.String).alias(c))
    if S.ACTIVE not in u.columns:
        u = u.with_columns(pl.lit(True).alias(S.ACTIVE))
    u = u.with_columns(pl.coalesce(S.OWNER_NAME, pl.concat_str("_first", "_last", separator=" ")).alias(S.OWNER_NAME))
    names = u.select(pl.col(S.OWNER_ID).alias("_manager_id"), pl.col(S.OWNER_NAME).alias("_by_manager_id"))
    if roles is not None:
        r = roles.frame
        if "_parent_role_id" not in r.columns:
            r = r.with_columns(pl.lit(None, pl.String).alias("_parent_role_id"))
        holders = (u.filter(pl.col("_role_id").is_not_null()).sort(S.OWNER_NAME)
                   .group_by("_role_id").agg(pl.col(S.OWNER_NAME).first().alias("_holder")))
        u = (u.join(r.select("_role_id", "_role_name", "_parent_role_id"), on="_role_id", how="left")
             .join(holders.rename({"_role_id": "_parent_role_id"}), on="_parent_role_id", how="left"))
    else:
        u = u.with_columns(pl.lit(None, pl.String).alias("_role_name"), pl.lit(None, pl.String).alias("_holder"))
    u = u.join(names, on="_manager_id", how="left")
    return u.select(S.OWNER_ID, S.OWNER_NAME, pl.col("_role_name").alias(S.TEAM_NAME),
                    pl.coalesce("_holder", "_by_manager_id").alias(S.MANAGER_NAME), S.ACTIVE)


def load_salesforce(path: Path, *, process: Process, roster: Roster, date_style: str | None = None,
                    include_deleted: bool = False) -> Dataset:
    """Load a Salesforce Data Export / Data Loader folder, or its Fivetran-synced tables."""
    folder = path if path.is_dir() else path.parent
    found = find_files(folder, FILES) if path.is_dir() else {"opportunities": path}
    if "opportunities" not in found:
        from toolkit.errors import InputFileError
        raise InputFileError("Opportunity.csv (or sf_opportunity_data.csv) in the folder",
                             f"files {sorted(p.name for p in folder.iterdir())}", "pass the export folder")
    history = _read_history(found.get("history"), folder, date_style, HISTORY)
    opp = read_file(found["opportunities"], "deals", OPPORTUNITY, what="Salesforce Opportunity file",
                    base=folder, date_default=date_style)
    require_ids(opp)
    # Deleted or superseded opportunities too say how the org orders its stages (a sync of deleted
    # records only still has a catalogue).
    catalog = _catalog(opp.frame)
    if not include_deleted:
        drop_flagged(opp, "_is_deleted", S.Reason.DELETED_RECORD,
                     "a live record; IsDeleted is true (the opportunity is in the recycle bin)")
    drop_flagged(opp, "_active", S.Reason.SUPERSEDED,
                 "the current version of the record; _fivetran_active is false (an older version)", when=False)
    drop_duplicate_ids(opp.table, ["_modified"])
    others: list[ReadFile] = []
    users = read_file(found["users"], "users", USERS, what="Salesforce User file", base=folder,
                      date_default=date_style) if "users" in found else None
    roles = read_file(found["roles"], "roles", ROLES, what="Salesforce UserRole file", base=folder,
                      date_default=date_style) if "roles" in found else None
    others += [f for f in (users, roles) if f is not None]
    if "stages" in found:
        picklist = read_file(found["stages"], "stages", STAGES, what="Salesforce OpportunityStage file", base=folder,
                             date_default=date_style)
        others.append(picklist)
        active = pl.col("_is_active").cast(pl.String).str.to_lowercase().is_in(["0", "false"]).not_() \
            if "_is_active" in picklist.frame.columns else None
        picklist_catalog = catalog_from_rows(
            picklist.frame, origin="OpportunityStage.SortOrder", stage="_label", order="_sort_order",
            probability="_probability", is_won="_is_won", is_closed="_is_closed", keep=active)
    else:
        picklist_catalog = S.empty(S.STAGE_CATALOG)
    people = _teams_from_roles(users, roles)
    opp.table.frame = _with_record_types(opp, found.get("record_types"), folder, date_style, others)
    # The live opportunities, once their pipeline is known, first; every one read after them.
    catalog = concat_catalogs(_catalog(opp.frame), catalog)
    frame = opp.frame.with_columns(_status(opp.frame).alias(S.STATUS),
                                   pl.col("_line").alias(S.SOURCE_LINE))
    # Kept as the other columns are, under their snake_case names.
    frame = frame.with_columns([pl.col(c).alias(n) for c, n in (("_sort_order", "stage_sort_order"),
                                                               ("_probability", "probability")) if c in frame.columns])
    frame = frame.join(people.select(S.OWNER_ID, S.OWNER_NAME, S.TEAM_NAME, S.MANAGER_NAME),
                       on=S.OWNER_ID, how="left") if S.OWNER_ID in frame.columns else frame
    deals = finish_deals(frame, source=SOURCE_EXPORT, file_of=opp.table.file, process=process, roster=roster)
    events, states, has_history = _history(history, process, deals, others, include_deleted)
    deals = fill_closed_at(deals, events, process)
    notes = [] if has_history else ["no OpportunityHistory file: checks that need stage history report 'no history'"]
    ds = assemble(SOURCE_EXPORT, [opp], deals, events, others, process, roster,
                  users=people.filter(pl.col(S.OWNER_ID).is_in(deals[S.OWNER_ID].implode())) if users else None,
                  has_history=has_history, notes=notes, history_states=states)
    ds.stage_catalog = concat_catalogs(picklist_catalog, catalog)
    return ds


def _catalog(opp: pl.DataFrame) -> pl.DataFrame:
    """The stages as the opportunities describe them; the origin names the most trusted field."""
    said = next((n for c, n in (("_sort_order", "StageSortOrder"), ("_probability", "Probability"),
                                ("_is_closed", "IsClosed")) if c in opp.columns), "StageName")
    pipe = next((c for c in (S.PIPELINE, "_record_type_id") if c in opp.columns), None)
    return catalog_from_rows(opp, origin=f"Opportunity.{said}", pipeline=pipe, order="_sort_order",
                             probability="_probability", is_won="_is_won", is_closed="_is_closed")


def _with_record_types(opp: ReadFile, path: Path | None, folder: Path, date_style: str | None,
                       others: list[ReadFile]) -> pl.DataFrame:
    """The opportunities with their pipeline: the name of their record type (RecordType.csv), else
    the record type id itself, so that deals of different sales processes stay apart."""
    f = opp.frame
    if "_record_type_id" not in f.columns:
        return f
    names = None
    if path is not None:
        rt = read_file(path, "record_types", RECORD_TYPES, what="Salesforce RecordType file", base=folder,
                       date_default=date_style)
        others.append(rt)
        r = rt.frame
        if "_sobject" in r.columns:
            r = r.filter(pl.col("_sobject").is_null() | (pl.col("_sobject") == "Opportunity"))
        names = r.select("_record_type_id", "_record_type").unique("_record_type_id", keep="first")
    if names is not None:
        f = f.join(names, on="_record_type_id", how="left")
    else:
        f = f.with_columns(pl.lit(None, pl.String).alias("_record_type"))
    own = pl.col(S.PIPELINE) if S.PIPELINE in f.columns else pl.lit(None, pl.String)
    return f.with_columns(pl.coalesce(own, "_record_type", "_record_type_id").alias(S.PIPELINE)).drop(
        "_record_type", "_record_type_id")


def _read_history(path: Path | None, folder: Path, date_style: str | None,
                  specs: tuple[ColumnSpec, ...]) -> Callable[[], ReadFile] | None:
    """The history file's read, started before the opportunities are read (see :func:`read_ahead`);
    None without a history file."""
    if path is None:
        return None
    return read_ahead(partial(read_file, path, "stage_events", specs, what="Salesforce history file", base=folder,
                              date_default=date_style, extras=False))


def _history(read: Callable[[], ReadFile] | None, process: Process, deals: pl.DataFrame, others: list[ReadFile],
             include_deleted: bool = False) -> tuple[pl.DataFrame, pl.DataFrame | None, bool]:
    """(stage events, the states every history row records, whether there is a history), from the
    history file's ``read`` (:func:`_read_history`)."""
    if read is None:
        return S.empty(S.STAGE_EVENTS), None, False
    hist = read()
    require_ids(hist)
    if not include_deleted:
        drop_flagged(hist, "_is_deleted", S.Reason.DELETED_RECORD, "a live history row; IsDeleted is true")
    drop_rows(hist.table, hist.frame[S.ENTERED_AT].is_null(), S.ENTERED_AT, S.Reason.INVALID_DATE,
              "the time of the change; found an empty cell")
    # Each row's deal is found once, as its position among the deals: the unknown ones are
    # rejected, the others keep it to be ordered, grouped and given their deal's values by it.
    at = deal_positions(hist.frame[S.DEAL_ID], deals)
    unknown = ~known_keys(hist.frame[S.DEAL_ID], deals[S.DEAL_ID]) if at is None else at.is_null()
    drop_rows(hist.table, unknown, S.DEAL_ID,
              S.Reason.UNKNOWN_DEAL, "a history row of a loaded opportunity; no such opportunity was loaded")
    others.append(hist)
    # Only the columns stage entries and states take travel on: the first operation that joins the
    # reader's chunked columns with new ones copies every column it is given.
    taken = [c for c in hist.frame.columns if c not in (S.SOURCE_FILE, S.SOURCE_LINE)
             and (c in S.names(S.STAGE_EVENTS) or c in STATE_FIELDS)]
    rows = hist.frame.select(*taken, pl.col("_line").alias(S.SOURCE_LINE))
    # (cut where the reader's columns are: a column in one piece beside them costs a copy of all)
    made = [source_file_series(hist.table.file, rows.height)]
    if at is not None:
        made.append(at.filter(~unknown) if unknown.any() else at)
    rows = rows.with_columns(cut_like(column, rows) for column in made)
    hist.table.keep_lines_only()
    # In the order of stage entries and states (by deal, then time), sorted at most once for both.
    rows = sorted_by(rows, [S.DEAL_ID if at is None else DEAL_AT, S.ENTERED_AT, S.SOURCE_LINE])
    # Stages mapped once for both tables: every history row is a state (a row is written on any
    # change of stage, amount or close date), while stage entries collapse rows of one stage.
    rows = map_entries(rows, process, deals)
    events = finish_events(rows, process, deals)
    rows = rows.select(S.DEAL_ID, pl.col(S.ENTERED_AT).alias(S.VALID_FROM), S.STAGE,
                       *[c for c in STATE_FIELDS if c != S.STAGE and c in rows.columns], S.SOURCE_FILE,
                       S.SOURCE_LINE, *([DEAL_AT] if DEAL_AT in rows.columns else []))
    # (the columns states do not take are let go before they are made)
    return events, history_states(rows, deals), True


def load_salesforce_report(path: Path, *, process: Process, roster: Roster, date_style: str | None = None) -> Dataset:
    """Load a Salesforce report export (label headers, report footer), with an optional
    Opportunity History report beside it."""
    folder = path if path.is_dir() else path.parent
    found = find_files(folder, REPORT_FILES) if path.is_dir() else {"opportunities": path}
    if "opportunities" not in found and path.is_dir():
        csvs = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".csv", ".xlsx"))
        found["opportunities"] = csvs[0]
    history = _read_history(found.get("history"), folder, date_style, REPORT_HISTORY)
    rep = read_file(found["opportunities"], "deals", REPORT, what="Salesforce opportunity report",
                    base=folder, date_default=date_style)
    if S.DEAL_ID not in rep.frame.columns:
        # Without an id column the name is the only key a report carries.
        rep.table.frame = rep.frame.with_columns(pl.col(S.DEAL_NAME).alias(S.DEAL_ID))
        rep.table.notes.append("no Opportunity ID column: deal names are used as ids")
    require_ids(rep)
    drop_duplicate_ids(rep.table)
    frame = rep.frame.with_columns(_status(rep.frame).alias(S.STATUS), pl.col("_line").alias(S.SOURCE_LINE))
    deals = finish_deals(frame, source=SOURCE_REPORT, file_of=rep.table.file, process=process, roster=roster)
    others: list[ReadFile] = []
    events, states, has_history = _history(history, process, deals, others)
    deals = fill_closed_at(deals, events, process)
    notes = [] if has_history else ["no opportunity history report: checks that need stage history report 'no history'"]
    return assemble(SOURCE_REPORT, [rep], deals, events, others, process, roster, has_history=has_history, notes=notes,
                    history_states=states)
