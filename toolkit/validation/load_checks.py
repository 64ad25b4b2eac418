"""The gate sees what the loader did: one data-quality check per reject reason of the load.

The loader keeps its tables clean (one row per deal id, no history of an unknown deal), so checks
on the loaded tables cannot see what it set aside; these checks read the load's rejects instead,
the records as they were before the loader's repair. Each names the file and line of every record
it concerns; a duplicated deal id names every line of that id, the kept one too. Severities are
configurable under ``validation: severity:`` in the process file (``load.DUPLICATE_ID: warning``).
GX is not needed: the rejects are the loader's own account, counted here.
"""

from __future__ import annotations

import polars as pl

from toolkit import schema as S
from toolkit.model import Dataset
from toolkit.process import ValidationSettings
from toolkit.validation.report import ExpectationOutcome
from toolkit.validation.suites import ERROR, WARNING

__all__ = ["DESCRIPTIONS", "LOAD_TABLE", "REPAIRS_ONLY", "load_check_name", "load_checks"]

LOAD_TABLE = "load"
#: Reasons the reader records as repairs (the record is loaded, changed), never as rejects.
REPAIRS_ONLY = frozenset({S.Reason.NUL_BYTE, S.Reason.BOM_IN_DATA})
#: A duplicated primary key is an error: which of the rows is the deal is a guess.
DEFAULT_SEVERITY = {S.Reason.DUPLICATE_ID: ERROR}

DESCRIPTIONS: dict[S.Reason, str] = {
    S.Reason.INVALID_ENCODING: "No record is in an encoding the file's other records are not.",
    S.Reason.TOO_MANY_COLUMNS: "No record has more fields than the header.",
    S.Reason.MISSING_COLUMNS: "No record has fewer fields than the header.",
    S.Reason.UNTERMINATED_QUOTE: "No record opens a quote it never closes.",
    S.Reason.LINE_TOO_LONG: "No record is longer than the reader's limit.",
    S.Reason.INVALID_DATE: "Every date reads as a date.",
    S.Reason.INVALID_NUMBER: "Every number reads as a number.",
    S.Reason.AMBIGUOUS_NUMBER: "No number reads two ways (1,234 as a thousand or as a decimal).",
    S.Reason.INVALID_ID: "Every id is a usable id.",
    S.Reason.MISSING_ID: "Every record has an id.",
    S.Reason.INVALID_STATUS: "Every status is open, won or lost.",
    S.Reason.DUPLICATE_ID: "No deal id appears on more than one line.",
    S.Reason.DELETED_RECORD: "No record is marked deleted (deleted records are left out).",
    S.Reason.SUPERSEDED: "No record is an older version of another (older versions are left out).",
    S.Reason.UNKNOWN_DEAL: "Every history record belongs to a loaded deal.",
    S.Reason.MALFORMED_RECORD: "Every record has the structure its format requires.",
    S.Reason.TEXT_AFTER_QUOTE: "No quoted field is followed by text before the delimiter.",
    S.Reason.ROW_ABOVE_HEADER: "No data row stands above the header.",
    S.Reason.SUMMARY_ROW: "No summary row (Total, Summe, ...) stands among the data rows.",
}


def load_check_name(reason: S.Reason) -> str:
    """The check's name, as the process file's ``validation: severity:`` names it."""
    return f"{LOAD_TABLE}.{reason.value}"


def _records(data: Dataset) -> int:
    """Records the load read: rows loaded plus rows rejected (the share's denominator)."""
    files = data.files
    if files.is_empty() or "rows" not in files.columns:
        return data.rejects.height
    return int(files["rows"].sum()) + data.rejects.height


def _duplicate_lines(rejects: pl.DataFrame, deals: pl.DataFrame) -> pl.DataFrame:
    """The rejected copies of a deal id and the row the loader kept: every line of that id."""
    dropped = rejects.select(pl.col(S.FILE), pl.col(S.LINE), pl.col(S.RAW).alias(S.DEAL_ID))
    kept = (deals.select(pl.col(S.SOURCE_FILE).alias(S.FILE), pl.col(S.SOURCE_LINE).alias(S.LINE), S.DEAL_ID)
            .join(dropped.select(S.FILE, S.DEAL_ID).unique(), on=[S.FILE, S.DEAL_ID], how="semi"))
    return pl.concat([dropped, kept.select(dropped.columns)]).unique()


def load_checks(data: Dataset, settings: ValidationSettings) -> list[ExpectationOutcome]:
    """One outcome per reject reason (repair-only reasons aside), in the order of ``schema.Reason``."""
    rejects = data.rejects
    total = _records(data)
    out: list[ExpectationOutcome] = []
    for reason in S.Reason:
        if reason in REPAIRS_ONLY:
            continue
        name = load_check_name(reason)
        severity = settings.severity.get(name, DEFAULT_SEVERITY.get(reason, WARNING))
        hit = (rejects.filter(pl.col(S.REASON) == reason.value) if not rejects.is_empty()
               else pl.DataFrame(schema=S.polars_schema(S.REJECTS)))
        if reason is S.Reason.DUPLICATE_ID:
            rows = _duplicate_lines(hit, data.deals)
        else:
            ids = pl.when(pl.col(S.COLUMN).is_in([S.DEAL_ID, "item_id"])).then(pl.col(S.RAW)).otherwise(None)
            rows = hit.select(S.FILE, S.LINE, ids.alias(S.DEAL_ID))
        rows = rows.sort(S.FILE, S.LINE, S.DEAL_ID, nulls_last=True)
        out.append(ExpectationOutcome(
            name=name, table=LOAD_TABLE, description=DESCRIPTIONS.get(reason, f"No record is rejected as {reason}."),
            severity=severity, success=rows.is_empty(), unexpected_count=rows.height,
            element_count=max(total, rows.height), source_lines=rows[S.LINE].to_list(),
            deal_ids=rows[S.DEAL_ID].to_list(), source_files=rows[S.FILE].to_list()))
    return out
