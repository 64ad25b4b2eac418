"""Canonical column names, types and meanings: the one place the rest of the toolkit refers to.

Loaders rename a source's columns to these names once, at load time; everything downstream uses
the constants below instead of string literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from polars._typing import PolarsDataType


@dataclass(frozen=True)
class Column:
    """One canonical column: its name, polars type and what it means."""

    name: str
    dtype: PolarsDataType
    meaning: str


# --- deals -------------------------------------------------------------------------------------
DEAL_ID = "deal_id"
DEAL_NAME = "deal_name"
OWNER_ID = "owner_id"
OWNER_NAME = "owner_name"
TEAM_ID = "team_id"
TEAM_NAME = "team_name"
MANAGER_NAME = "manager_name"
STAGE = "stage"
STAGE_RAW = "stage_raw"
STATUS = "status"
AMOUNT = "amount"
CURRENCY = "currency"
CREATED_AT = "created_at"
CLOSED_AT = "closed_at"
CLOSE_DATE = "close_date"
LAST_ACTIVITY_AT = "last_activity_at"
SOURCE = "source"
SOURCE_FILE = "source_file"
SOURCE_LINE = "source_line"

# --- stage_events ------------------------------------------------------------------------------
ENTERED_AT = "entered_at"
CHANGED_BY = "changed_by"

# --- pipelines ---------------------------------------------------------------------------------
PIPELINE = "pipeline"
#: The pipeline of a source that has none.
DEFAULT_PIPELINE = "default"

# --- deal_states -------------------------------------------------------------------------------
VALID_FROM = "valid_from"

# --- reps --------------------------------------------------------------------------------------
ACTIVE = "active"

DATETIME = pl.Datetime("us")

DEALS: tuple[Column, ...] = (
    Column(DEAL_ID, pl.String, "the CRM's id, kept exactly (leading zeros, case)"),
    Column(DEAL_NAME, pl.String, "display name; untrusted text, escape wherever rendered"),
    Column(OWNER_ID, pl.String, "id of the rep who owns the deal"),
    Column(OWNER_NAME, pl.String, "name of the rep who owns the deal"),
    Column(TEAM_ID, pl.String, "stable slug + short hash of the team name; used for file names"),
    Column(TEAM_NAME, pl.String, "team from the roster, role hierarchy or export"),
    Column(MANAGER_NAME, pl.String, "the team's manager"),
    Column(STAGE, pl.String, "current stage mapped to the process's stage names (null: unknown)"),
    Column(STAGE_RAW, pl.String, "the CRM's own stage label"),
    Column(PIPELINE, pl.String, "the pipeline (sales process) the deal is in; 'default' where the source has none"),
    Column(STATUS, pl.String, "open, won or lost"),
    Column(AMOUNT, pl.Float64, "amount in the deal's currency"),
    Column(CURRENCY, pl.String, "ISO 4217 code of the amount"),
    Column(CREATED_AT, DATETIME, "when the deal was created"),
    Column(CLOSED_AT, DATETIME, "when the deal was won or lost; null while open"),
    Column(CLOSE_DATE, pl.Date, "expected (open) or actual (closed) close date"),
    Column(LAST_ACTIVITY_AT, DATETIME, "last activity, where the CRM has it"),
    Column(SOURCE, pl.String, "the source format the row was read as"),
    Column(SOURCE_FILE, pl.String, "file the row came from"),
    Column(SOURCE_LINE, pl.Int64, "physical line (1-based) of the row's first byte"),
)

STAGE_EVENTS: tuple[Column, ...] = (
    Column(DEAL_ID, pl.String, "the deal that entered the stage"),
    Column(STAGE, pl.String, "the stage entered, mapped to the process (null: unknown)"),
    Column(STAGE_RAW, pl.String, "the CRM's own stage label"),
    Column(PIPELINE, pl.String, "the pipeline the stage belongs to; 'default' where the source has none"),
    Column(ENTERED_AT, DATETIME, "when the deal entered the stage"),
    Column(CHANGED_BY, pl.String, "who moved it, where the CRM says"),
    Column(SOURCE_FILE, pl.String, "file the entry came from"),
    Column(SOURCE_LINE, pl.Int64, "physical line of the entry"),
)

REPS: tuple[Column, ...] = (
    Column(OWNER_ID, pl.String, "the rep's id"),
    Column(OWNER_NAME, pl.String, "the rep's name"),
    Column(TEAM_ID, pl.String, "the rep's team id"),
    Column(TEAM_NAME, pl.String, "the rep's team"),
    Column(MANAGER_NAME, pl.String, "the rep's manager"),
    Column(ACTIVE, pl.Boolean, "whether the rep is active"),
)

DEAL_STATES: tuple[Column, ...] = (
    Column(DEAL_ID, pl.String, "the deal"),
    Column(VALID_FROM, DATETIME, "from when this state holds (until the deal's next state)"),
    Column(STAGE, pl.String, "the stage in this state, mapped to the process (null: unknown)"),
    Column(AMOUNT, pl.Float64, "the amount in this state (null: empty)"),
    Column(CURRENCY, pl.String, "ISO 4217 code of the amount"),
    Column(CLOSE_DATE, pl.Date, "the expected or actual close date in this state"),
    Column(SOURCE_FILE, pl.String, "file the state came from"),
    Column(SOURCE_LINE, pl.Int64, "physical line of the state (file order breaks ties)"),
)

# --- the ledger --------------------------------------------------------------------------------
FILE = "file"
LINE = "line"
END_LINE = "end_line"
#: A raw row's first and last physical line, kept beside its text until the row is typed.
ROW_LINE = "_line"
ROW_END_LINE = "_end_line"
COLUMN = "column"
RAW = "raw"
REASON = "reason"
MESSAGE = "message"

REJECTS: tuple[Column, ...] = (
    Column(FILE, pl.String, "the input file"),
    Column(LINE, pl.Int64, "physical line where the rejected record starts (1-based)"),
    Column(END_LINE, pl.Int64, "physical line where it ends (multi-line records)"),
    Column(COLUMN, pl.String, "the column at fault, where one is"),
    Column(RAW, pl.String, "the raw text, non-printable bytes escaped"),
    Column(REASON, pl.String, "a reason code (see Reason)"),
    Column(MESSAGE, pl.String, "what was expected and what was found"),
)

UNASSIGNED_TEAM_ID = "unassigned"
UNASSIGNED_TEAM_NAME = "Unassigned"

STATUSES = ("open", "won", "lost")


class Reason(StrEnum):
    """Why a record was rejected, repaired or skipped."""

    INVALID_ENCODING = "INVALID_ENCODING"
    TOO_MANY_COLUMNS = "TOO_MANY_COLUMNS"
    MISSING_COLUMNS = "MISSING_COLUMNS"
    UNTERMINATED_QUOTE = "UNTERMINATED_QUOTE"
    LINE_TOO_LONG = "LINE_TOO_LONG"
    NUL_BYTE = "NUL_BYTE"
    INVALID_DATE = "INVALID_DATE"
    INVALID_NUMBER = "INVALID_NUMBER"
    AMBIGUOUS_NUMBER = "AMBIGUOUS_NUMBER"
    INVALID_ID = "INVALID_ID"
    MISSING_ID = "MISSING_ID"
    INVALID_STATUS = "INVALID_STATUS"
    DUPLICATE_ID = "DUPLICATE_ID"
    DELETED_RECORD = "DELETED_RECORD"
    SUPERSEDED = "SUPERSEDED"
    UNKNOWN_DEAL = "UNKNOWN_DEAL"
    MALFORMED_RECORD = "MALFORMED_RECORD"
    #: A quoted field closed and followed by text (RFC 4180 allows only a delimiter or a newline).
    TEXT_AFTER_QUOTE = "TEXT_AFTER_QUOTE"
    #: A record above the header that looks like data (as wide as the header, mostly filled).
    ROW_ABOVE_HEADER = "ROW_ABOVE_HEADER"
    #: A summary row (Total, Grand Total, Summe, ...) among the data rows.
    SUMMARY_ROW = "SUMMARY_ROW"
    #: A byte-order mark inside the file (files concatenated): removed from the values (a repair).
    BOM_IN_DATA = "BOM_IN_DATA"


def names(columns: tuple[Column, ...]) -> list[str]:
    """The column names of a canonical table, in order."""
    return [c.name for c in columns]


def polars_schema(columns: tuple[Column, ...]) -> dict[str, PolarsDataType]:
    """The polars schema of a canonical table."""
    return {c.name: c.dtype for c in columns}


def empty(columns: tuple[Column, ...]) -> pl.DataFrame:
    """An empty frame with a canonical table's columns and types."""
    return pl.DataFrame(schema=polars_schema(columns))


# --- the stages an export itself describes (read by the process derivation) ---------------------
ORDER = "order"
IS_WON = "is_won"
IS_CLOSED = "is_closed"
PROBABILITY = "probability"
ORIGIN = "origin"

STAGE_CATALOG: tuple[Column, ...] = (
    Column(PIPELINE, pl.String, "the pipeline the stage belongs to (default where the source has none)"),
    Column(STAGE_RAW, pl.String, "the CRM's own stage label"),
    Column(ORDER, pl.Float64, "the stage's place in the CRM's own order (null: the source does not say)"),
    Column(IS_WON, pl.Boolean, "the CRM marks the stage won (null: the source does not say)"),
    Column(IS_CLOSED, pl.Boolean, "the CRM marks the stage closed (null: the source does not say)"),
    Column(PROBABILITY, pl.Float64, "the CRM's win probability of the stage, 0-100 (null: not given)"),
    Column(ORIGIN, pl.String, "where the row came from, e.g. 'Opportunity.StageSortOrder'"),
)
