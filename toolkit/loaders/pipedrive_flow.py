"""Pipedrive's deal flow (``GET /v1/deals/{id}/flow`` saved as JSON lines, ``deal-flow.jsonl``):
the deals' stage entries and their states over time.

Each line is one ``dealChange`` item: ``data.field_key`` says which field changed (``stage_id``,
``status``, ``value``, ``expected_close_date``, ``currency``, ``pipeline_id``), ``old_value`` and
``new_value`` what it was and became (``additional_data.*_formatted``: the labels of stage and
pipeline ids), ``log_time`` when. Every line is a change read, a skip (blank, a field the toolkit does
not follow) or a reject with its line and reason; lines end at ``\\n`` only (a U+2028 inside a JSON
string is text, not a line end).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from toolkit import schema as S
from toolkit.filebytes import sha256_of
from toolkit.loaders import labels
from toolkit.loaders.common import finish_events
from toolkit.loaders.raw import RawTable, escape_raw
from toolkit.process import Process

FOLLOWED = ("stage_id", "status", "value", "expected_close_date", "currency", "pipeline_id")
_SCALAR = (str, int, float)
_TIME = "%Y-%m-%d %H:%M:%S"
CHANGES = {S.DEAL_ID: pl.String, "_key": pl.String, "_old": pl.String, "_new": pl.String, "_at": pl.String,
           S.CHANGED_BY: pl.String, "_line": pl.Int64, "_end_line": pl.Int64, "_old_id": pl.String,
           "_new_id": pl.String}


@dataclass
class Flow:
    """The changes read from a deal-flow file (``table.frame``: one row per change, by line)."""

    table: RawTable
    name: str


def _has_lone_surrogate(item: object) -> bool:
    """Whether a parsed JSON value holds a lone surrogate (from an escape such as ``"\\ud800"``),
    which no text column can hold."""
    try:
        json.dumps(item, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _value(v: object) -> str | None:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool) or not isinstance(v, _SCALAR):
        raise TypeError(f"a text or number, found {type(v).__name__}")
    return repr(v) if isinstance(v, float) else str(v)


def _check(key: str, value: str | None) -> tuple[S.Reason, str] | None:
    """Why a followed field's value cannot be used, or None."""
    if value is None or value == "":
        return None
    if key == "value":
        try:
            float(value)
        except ValueError:
            return S.Reason.INVALID_NUMBER, f"a number as the deal's value; found {value!r}"
    if key == "expected_close_date":
        try:
            dt.date.fromisoformat(value[:10])
        except ValueError:
            return S.Reason.INVALID_DATE, f"an expected close date as YYYY-MM-DD; found {value!r}"
    return None


def read_flow(path: Path, folder: Path, deals: pl.DataFrame) -> Flow:
    """Read a deal-flow file; changes of deals not in ``deals`` are rejects."""
    data = path.read_bytes()
    name = str(path.relative_to(folder))
    text = data.decode("utf-8", "backslashreplace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line does not start another
    table = RawTable(file=name, sha256=sha256_of(data), frame=pl.DataFrame(schema=CHANGES), header=[],
                     lines_in=len(lines), encoding="utf-8", delimiter="", header_line=0)
    known = set(deals[S.DEAL_ID].to_list())
    rows: list[dict[str, object]] = []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            table.skipped["blank"] += 1
            continue
        raw = escape_raw(line)
        try:
            item = json.loads(line)
        except RecursionError:
            table.reject(i, i, None, raw, S.Reason.MALFORMED_RECORD,
                         "a dealChange object; found JSON nested too deeply")
            continue
        except ValueError as exc:
            table.reject(i, i, None, raw, S.Reason.MALFORMED_RECORD, f"a dealChange object; found invalid JSON ({exc})")
            continue
        if ("\\ud" in line or "\\uD" in line) and _has_lone_surrogate(item):
            table.reject(i, i, None, raw, S.Reason.MALFORMED_RECORD,
                         "a dealChange object; found a \\u escape of half a UTF-16 pair, which is no character")
            continue
        d = item.get("data") if isinstance(item, dict) else None
        if not isinstance(d, dict) or not all(isinstance(d.get(k), str) for k in ("field_key", "log_time")) \
                or not isinstance(d.get("item_id"), (str, int)) or isinstance(d.get("item_id"), bool):
            table.reject(i, i, None, raw, S.Reason.MALFORMED_RECORD,
                         "a dealChange object with data.item_id (text or number), data.field_key and data.log_time "
                         "(text)")
            continue
        key, deal = d["field_key"], str(d["item_id"])
        if key not in FOLLOWED:
            table.skipped["other_change"] += 1
            continue
        extra = d.get("additional_data")
        if extra is not None and not isinstance(extra, dict):
            table.reject(i, i, "additional_data", raw, S.Reason.MALFORMED_RECORD,
                         f"additional_data as an object; found {type(extra).__name__}")
            continue
        # Ids of stages and pipelines are labelled in additional_data; other fields are their values
        # (a formatted amount would carry a currency sign).
        labelled = (extra or {}) if key in ("stage_id", "pipeline_id") else {}
        try:
            old = _value(labelled.get("old_value_formatted", d.get("old_value")))
            new = _value(labelled.get("new_value_formatted", d.get("new_value")))
            user = _value(d.get("user_id"))
        except TypeError as exc:
            table.reject(i, i, key, raw, S.Reason.MALFORMED_RECORD, f"old_value, new_value and user_id as {exc}")
            continue
        problem = _check(key, new) or _check(key, old)
        if problem is not None:
            table.reject(i, i, key, raw, problem[0], problem[1])
            continue
        if deal not in known:
            table.reject(i, i, "item_id", deal, S.Reason.UNKNOWN_DEAL, "a change of a loaded deal; no such deal")
            continue
        # The ids too: Pipedrive numbers a pipeline's stages in the order they were made.
        ids = {f"_{side}_id": d.get(f"{side}_value") if key == "stage_id" else None for side in ("old", "new")}
        rows.append({S.DEAL_ID: deal, "_key": key, "_old": old, "_new": new, "_at": d["log_time"],
                     S.CHANGED_BY: user, "_line": i, "_end_line": i,
                     **{k: None if v is None or isinstance(v, (dict, list, bool)) else str(v) for k, v in ids.items()}})
    f = pl.DataFrame(rows, schema=CHANGES)
    f = f.with_columns(pl.col("_at").str.to_datetime(_TIME, strict=False).alias(S.ENTERED_AT))
    bad = f[S.ENTERED_AT].is_null()
    for row in f.filter(bad).iter_rows(named=True):
        table.reject(row["_line"], row["_line"], "log_time", str(row["_at"]), S.Reason.INVALID_DATE,
                     "expected log_time as YYYY-MM-DD HH:MM:SS")
    table.frame = f.filter(~bad).sort(S.DEAL_ID, S.ENTERED_AT, "_line")
    return Flow(table, name)


def _pipeline_at(frame: pl.DataFrame, changes: pl.DataFrame, deals: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (deal_id, entered_at) with the pipeline each deal was in at that time: the latest
    pipeline change up to then, before the first one its old pipeline, else the deal's pipeline."""
    moves = changes.filter(pl.col("_key") == "pipeline_id")
    first = moves.group_by(S.DEAL_ID).agg(pl.col("_old").first().alias("_first_pipeline"))
    out = frame.with_row_index("_row").sort(S.ENTERED_AT)
    if not moves.is_empty():
        out = out.join_asof(moves.select(S.DEAL_ID, S.ENTERED_AT, pl.col("_new").alias("_pipeline_then"))
                            .sort(S.ENTERED_AT), on=S.ENTERED_AT, by=S.DEAL_ID, strategy="backward")
    else:
        out = out.with_columns(pl.lit(None, pl.String).alias("_pipeline_then"))
    out = out.join(first, on=S.DEAL_ID, how="left").join(
        deals.select(S.DEAL_ID, pl.col(S.PIPELINE).alias("_deal_pipeline")), on=S.DEAL_ID, how="left")
    pipeline = pl.coalesce(labels.fold_label(pl.col("_pipeline_then")), labels.fold_label(pl.col("_first_pipeline")),
                           "_deal_pipeline", pl.lit(S.DEFAULT_PIPELINE))
    return (out.with_columns(pipeline.alias(S.PIPELINE)).sort("_row")
            .drop("_row", "_pipeline_then", "_first_pipeline", "_deal_pipeline"))


def flow_events(flow: Flow, deals: pl.DataFrame, process: Process, deals_file: str) -> pl.DataFrame:
    """Stage entries: the creation (in the stage before the first move), then every move and every
    status change (won, lost; reopened: back to the last open stage entered)."""
    f = flow.table.frame.filter(pl.col("_key").is_in(["stage_id", "status"]))
    status = pl.col("_new").str.to_lowercase()
    moves = f.with_columns(
        pl.when(pl.col("_key") == "stage_id").then(pl.col("_new"))
        .when(status == "won").then(pl.lit(process.won.name))
        .when(status == "lost").then(pl.lit(process.lost.name)).otherwise(None).alias(S.STAGE_RAW))
    last_open = (pl.when(pl.col("_key") == "stage_id").then(pl.col("_new")).otherwise(None)
                 .forward_fill().over(S.DEAL_ID, order_by=[S.ENTERED_AT, "_line"]))
    moves = moves.with_columns(pl.when(pl.col(S.STAGE_RAW).is_null() & (status == "open"))
                               .then(last_open).otherwise(pl.col(S.STAGE_RAW)).alias(S.STAGE_RAW))
    first = (f.filter(pl.col("_key") == "stage_id").sort(S.ENTERED_AT, "_line")
             .group_by(S.DEAL_ID).agg(pl.col("_old").first().alias("_first")))
    created = (deals.select(S.DEAL_ID, S.CREATED_AT, pl.col(S.STAGE_RAW).alias("_current"), S.SOURCE_LINE)
               .join(first, on=S.DEAL_ID, how="left")
               .select(S.DEAL_ID, pl.coalesce("_first", "_current").alias(S.STAGE_RAW),
                       pl.col(S.CREATED_AT).alias(S.ENTERED_AT), pl.lit(None, pl.String).alias(S.CHANGED_BY),
                       pl.lit(None, pl.String).alias("_status"), S.SOURCE_LINE,
                       pl.lit(deals_file).alias(S.SOURCE_FILE)))
    created = created.filter(pl.col(S.ENTERED_AT).is_not_null())
    flow_rows = moves.select(S.DEAL_ID, S.STAGE_RAW, S.ENTERED_AT, S.CHANGED_BY,
                             pl.when(pl.col("_key") == "status").then(status).otherwise(None).alias("_status"),
                             pl.col("_line").alias(S.SOURCE_LINE), pl.lit(flow.name).alias(S.SOURCE_FILE))
    rows = _pipeline_at(pl.concat([created, flow_rows]), flow.table.frame, deals)
    # Won and lost are statuses in Pipedrive: their stage is the pipeline process's outcome.
    rows = rows.with_columns(pl.when(pl.col("_status") == "won").then(labels.won_name(process, pl.col(S.PIPELINE)))
                             .when(pl.col("_status") == "lost").then(labels.lost_name(process, pl.col(S.PIPELINE)))
                             .otherwise(None).alias(S.STAGE)).drop("_status")
    return finish_events(rows, process, deals)


def flow_states(flow: Flow, deals: pl.DataFrame, expected_close: dict[str, dt.date | None], process: Process,
                deals_file: str) -> pl.DataFrame:
    """The deals' states, replayed change by change: the state at creation (each field as the
    first change of it says it was, else as it is now), then one state per change read.
    ``expected_close``: each deal's expected close date now (the export's close date of a closed
    deal is its close; the flow's changes are of the expected date)."""
    from toolkit.loaders.states import history_states

    changes = flow.table.frame
    out: list[dict[str, object]] = []
    now = {r[S.DEAL_ID]: r for r in deals.iter_rows(named=True)}
    for (deal,), group in changes.group_by(S.DEAL_ID, maintain_order=True):
        out += _replay(now[str(deal)], group.sort(S.ENTERED_AT, "_line"), expected_close.get(str(deal)),
                       deals_file, flow.name)
    rows = pl.DataFrame(out, schema={S.DEAL_ID: pl.String, S.VALID_FROM: S.DATETIME, S.STAGE_RAW: pl.String,
                                     "_status": pl.String, S.PIPELINE: pl.String, S.AMOUNT: pl.Float64,
                                     S.CURRENCY: pl.String, S.CLOSE_DATE: pl.Date, S.SOURCE_FILE: pl.String,
                                     S.SOURCE_LINE: pl.Int64})
    pipeline = labels.pipeline_name(pl.col(S.PIPELINE))
    rows = rows.with_columns(
        pl.when(pl.col("_status") == "won").then(labels.won_name(process, pipeline))
        .when(pl.col("_status") == "lost").then(labels.lost_name(process, pipeline))
        .otherwise(labels.stage_of(process, pl.col(S.STAGE_RAW), pipeline)).alias(S.STAGE))
    return history_states(rows.select(S.DEAL_ID, S.VALID_FROM, S.STAGE, S.AMOUNT, S.CURRENCY, S.CLOSE_DATE,
                                      S.SOURCE_FILE, S.SOURCE_LINE), deals)


def _replay(cur: dict[str, Any], changes: pl.DataFrame, expected_close: dt.date | None, deals_file: str,
            flow_name: str) -> list[dict[str, object]]:
    """One deal's states: at creation, then after each change (in time order)."""
    first: dict[str, str | None] = {}
    for c in changes.iter_rows(named=True):
        first.setdefault(c["_key"], c["_old"])
    state: dict[str, object] = {
        "stage_id": first.get("stage_id", cur[S.STAGE_RAW]),
        "status": (first["status"] or "").lower() if "status" in first else cur[S.STATUS],
        "value": _amount(first["value"]) if "value" in first else cur[S.AMOUNT],
        "expected_close_date": _date(first["expected_close_date"]) if "expected_close_date" in first
        else expected_close,
        "currency": first.get("currency", cur[S.CURRENCY]),
        "pipeline_id": first.get("pipeline_id", cur[S.PIPELINE]),
    }
    # A closed state's close date is when it closed (as the export's close date of a closed deal).
    closed_on = cur[S.CLOSE_DATE] if state["status"] in ("won", "lost") else None
    out: list[dict[str, object]] = []

    def emit(at: object, file: str, line: int) -> None:
        closed = state["status"] in ("won", "lost")
        out.append({S.DEAL_ID: cur[S.DEAL_ID], S.VALID_FROM: at, S.STAGE_RAW: state["stage_id"],
                    "_status": state["status"], S.PIPELINE: state["pipeline_id"], S.AMOUNT: state["value"],
                    S.CURRENCY: state["currency"], S.CLOSE_DATE: closed_on if closed else state["expected_close_date"],
                    S.SOURCE_FILE: file, S.SOURCE_LINE: line})

    if cur[S.CREATED_AT] is not None:
        emit(cur[S.CREATED_AT], deals_file, cur[S.SOURCE_LINE])
    for c in changes.iter_rows(named=True):
        key, new = c["_key"], c["_new"]
        if key == "value":
            state[key] = _amount(new)
        elif key == "expected_close_date":
            state[key] = _date(new)
        elif key == "status":
            state[key] = (new or "").lower() or None
            closed_on = c[S.ENTERED_AT].date() if state[key] in ("won", "lost") else None
        else:
            state[key] = new
        emit(c[S.ENTERED_AT], flow_name, c["_line"])
    return out


def _amount(value: str | None) -> float | None:
    return None if value is None or value == "" else float(value)


def _date(value: str | None) -> dt.date | None:
    return None if value is None or value == "" else dt.date.fromisoformat(value[:10])
