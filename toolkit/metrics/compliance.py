"""Process compliance: per-deal flags with their evidence and compliance rates, each deal judged
by its own pipeline's process (transitions: ``transitions.py``; the funnel: ``funnel.py``).

Pure functions: frames in, frames out; ``as_of`` is a parameter, never the clock. Each takes a
pandas or a polars frame and returns the caller's type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import polars as pl

from toolkit import schema as S
from toolkit.errors import require_columns
from toolkit.frames import native_frames
from toolkit.metrics.funnel import stage_conversion, suggested_limits, time_in_stage
from toolkit.metrics.pipelines import split_deals
from toolkit.metrics.transitions import (
    BACKWARD,
    FORWARD,
    LOST,
    RECLASSIFY,
    REOPEN,
    SKIP,
    TRANSITION_KINDS,
    UNKNOWN,
    WON,
    _end_of,
    _ordered_events,
    _transitions_one,
    stage_transitions,
)
from toolkit.process import Process

SKIPPED_STAGE = "skipped_stage"
BACKWARD_MOVE = "backward_move"
OVER_TIME_LIMIT = "over_time_limit"
MISSING_REQUIRED_FIELD = "missing_required_field"
STARTED_LATE = "started_late"
OVERDUE_CLOSE_DATE = "overdue_close_date"
#: Flags, most severe first (the review plan picks in this order, then by amount).
FLAGS = (SKIPPED_STAGE, BACKWARD_MOVE, OVER_TIME_LIMIT, MISSING_REQUIRED_FIELD, STARTED_LATE, OVERDUE_CLOSE_DATE)
#: Flags that need stage history; without it they are "no history", never "passed".
HISTORY_FLAGS = (SKIPPED_STAGE, BACKWARD_MOVE, OVER_TIME_LIMIT, STARTED_LATE)
SEVERITY = {flag: len(FLAGS) - i for i, flag in enumerate(FLAGS)}
#: The flags in a manager's words.
FLAG_LABELS = {SKIPPED_STAGE: "skipped a stage", BACKWARD_MOVE: "moved backward",
               OVER_TIME_LIMIT: "over the time limit",
               MISSING_REQUIRED_FIELD: "missing a required field", STARTED_LATE: "started past the first stage",
               OVERDUE_CLOSE_DATE: "past its close date"}

FLAG_COLUMNS = {"deal_id": pl.String, "flag": pl.String, "stage": pl.String, "value": pl.Float64, "detail": pl.String}
DAY = 86_400.0


def violations(process: Process) -> tuple[str, ...]:
    """The flags this process treats as violations (``allow:`` exempts skips and backward moves)."""
    allowed = {SKIPPED_STAGE} if process.allow.skip else set()
    if process.allow.backward:
        allowed.add(BACKWARD_MOVE)
    return tuple(f for f in FLAGS if f not in allowed)

def _stays(events: pl.DataFrame, deals: pl.DataFrame, process: Process, as_of: dt.date | dt.datetime) -> pl.DataFrame:
    """Each stay of a deal in an open stage with its length in days; an open deal's current stay
    runs until ``as_of``."""
    n = len(process.stages)
    e = _ordered_events(events, process, as_of)
    nxt = pl.col(S.DEAL_ID) == pl.col(S.DEAL_ID).shift(-1)
    open_ids = deals.filter(pl.col(S.STATUS) == "open").select(S.DEAL_ID, pl.lit(True).alias("_open"))
    e = e.join(open_ids, on=S.DEAL_ID, how="left")
    # An open deal's current stay runs to the as_of date (midnight), as a manager counts days.
    until = as_of if isinstance(as_of, dt.datetime) else dt.datetime.combine(as_of, dt.time())
    end = (pl.when(nxt.fill_null(False)).then(pl.col(S.ENTERED_AT).shift(-1))
           .when(pl.col("_open").fill_null(False)).then(pl.lit(until).cast(S.DATETIME))
           .otherwise(None))
    return (e.with_columns(end.alias("_end"))
            .filter(pl.col("_idx").is_not_null() & (pl.col("_idx") < n) & pl.col("_end").is_not_null())
            .with_columns(((pl.col("_end") - pl.col(S.ENTERED_AT)).dt.total_seconds(fractional=True) / DAY)
                          .alias("days")))


def _flags(deals: pl.DataFrame, events: pl.DataFrame, process: Process, as_of: dt.date) -> pl.DataFrame:
    """Every deal's flags, each deal judged by its own pipeline's process."""
    require_columns(deals, [S.DEAL_ID, S.STAGE, S.STATUS, S.CLOSE_DATE], "deals")
    require_columns(events, [S.DEAL_ID, S.STAGE, S.ENTERED_AT], "stage_events")
    parts = split_deals(deals, events, process)
    if parts is None:
        return _flags_one(deals, events, process, as_of)
    return pl.concat([_flags_one(d, e, p, as_of) for _n, p, d, e in parts]).sort(
        S.DEAL_ID, "flag", "stage", nulls_last=True)


def _flags_one(deals: pl.DataFrame, events: pl.DataFrame, process: Process, as_of: dt.date) -> pl.DataFrame:
    names = [s.name for s in process.stages]
    events = _ordered_events(events, process, as_of)
    parts: list[pl.DataFrame] = []
    t = _transitions_one(events, process, as_of)
    skips = t.filter(pl.col("kind") == SKIP).with_columns(
        pl.col("_from").add(1).replace_strict(dict(enumerate(names)), default=None,
                                              return_dtype=pl.String).alias("stage"))
    parts.append(skips.select(S.DEAL_ID, pl.lit(SKIPPED_STAGE).alias("flag"), "stage",
                              pl.lit(None, pl.Float64).alias("value"),
                              pl.concat_str(pl.col("from_stage"), pl.lit(" → "), pl.col("to_stage")).alias("detail")))
    back = t.filter(pl.col("kind") == BACKWARD)
    parts.append(back.select(S.DEAL_ID, pl.lit(BACKWARD_MOVE).alias("flag"), pl.col("to_stage").alias("stage"),
                             pl.lit(None, pl.Float64).alias("value"),
                             pl.concat_str(pl.col("from_stage"), pl.lit(" → "), pl.col("to_stage")).alias("detail")))
    limits = {s.name: float(s.max_days) for s in process.stages if s.max_days is not None}
    if limits:
        stays = _stays(events, deals, process, as_of).with_columns(
            pl.col(S.STAGE).replace_strict(limits, default=None, return_dtype=pl.Float64).alias("_limit"))
        over = stays.filter(pl.col("days") > pl.col("_limit"))
        parts.append(over.select(S.DEAL_ID, pl.lit(OVER_TIME_LIMIT).alias("flag"), S.STAGE,
                                 pl.col("days").alias("value"),
                                 pl.concat_str(pl.col("days").round(1).cast(pl.String), pl.lit(" days, limit "),
                                               pl.col("_limit").cast(pl.Int64).cast(pl.String))
                                 .alias("detail")))
    first = _ordered_events(events, process, as_of).group_by(S.DEAL_ID, maintain_order=True).first()
    entry = list(process.entry_stage_names)
    # Late: the first recorded stage is not one a deal may start in (an outcome never is).
    late = first.filter(pl.col("_idx").is_not_null() & ((pl.col("_idx") >= len(names)) | ~pl.col(S.STAGE).is_in(entry)))
    parts.append(late.select(S.DEAL_ID, pl.lit(STARTED_LATE).alias("flag"), S.STAGE,
                             pl.lit(None, pl.Float64).alias("value"),
                             pl.concat_str(pl.lit("first stage "), pl.col(S.STAGE)).alias("detail")))
    parts.append(_missing_fields(deals, events, process, as_of))
    overdue = deals.filter((pl.col(S.STATUS) == "open") & (pl.col(S.CLOSE_DATE) < as_of))
    parts.append(overdue.select(
        S.DEAL_ID, pl.lit(OVERDUE_CLOSE_DATE).alias("flag"), S.STAGE,
        (pl.lit(as_of) - pl.col(S.CLOSE_DATE)).dt.total_days().cast(pl.Float64).alias("value"),
        pl.concat_str(pl.lit("close date "), pl.col(S.CLOSE_DATE).cast(pl.String)).alias("detail")))
    out = pl.concat([p.select([pl.col(c).cast(t) for c, t in FLAG_COLUMNS.items()]) for p in parts])
    return out.sort(S.DEAL_ID, "flag", "stage", nulls_last=True)


def _missing_fields(deals: pl.DataFrame, events: pl.DataFrame, process: Process, as_of: dt.date) -> pl.DataFrame:
    """A (deal, stage, field) row per field the process requires at a stage the deal reached and the
    deal lacks (see :func:`_reached_masks` for "reached")."""
    reached = _reached_masks(deals, events, process, as_of)
    out = [pl.DataFrame(schema=FLAG_COLUMNS)]
    for k, stage in enumerate(process.stages):
        for field in stage.required:
            if field in deals.columns:
                col = pl.col(field)
                empty = (col.is_null() | (col.str.strip_chars() == "") if deals.schema[field] == pl.String
                         else col.is_null())
                detail = f"field {field} is empty"
            else:
                empty, detail = pl.lit(True), f"field {field} is not in the export"
            rows = deals.filter(reached[k] & deals.select(empty.fill_null(True)).to_series())
            out.append(rows.select(S.DEAL_ID, pl.lit(MISSING_REQUIRED_FIELD).alias("flag"),
                                   pl.lit(stage.name).alias("stage"), pl.lit(None, pl.Float64).alias("value"),
                                   pl.lit(detail).alias("detail")))
    return pl.concat([o.select([pl.col(c).cast(t) for c, t in FLAG_COLUMNS.items()]) for o in out])


def _reached_masks(deals: pl.DataFrame, events: pl.DataFrame, process: Process,
                   as_of: dt.date) -> dict[int, pl.Series]:
    """Per open stage k with required fields, a boolean per deal (in ``deals`` order): it reached k
    = k is in its history, or is its current stage; a deal without any history reached every open
    stage up to its current one (won: all of them)."""
    # One join gives each event its deal's row; the masks are then numpy scatters, not one hash
    # lookup of every deal id per stage.
    e = _ordered_events(events, process, as_of).select(S.DEAL_ID, "_idx").join(
        deals.select(S.DEAL_ID).with_row_index("_row"), on=S.DEAL_ID, how="inner")
    rows, idx = e["_row"].to_numpy(), e["_idx"].fill_null(-1).to_numpy()
    n = deals.height
    has_history = np.zeros(n, dtype=bool)
    has_history[rows] = True
    order = {st.name: i for i, st in enumerate(process.stages)}
    order[process.won.name] = len(process.stages) - 1
    current = deals[S.STAGE].replace_strict(order, default=-1, return_dtype=pl.Int32).to_numpy()
    masks = {}
    for k, stage in enumerate(process.stages):
        if not stage.required:
            continue
        mask = (~has_history) & (current >= k)
        mask[rows[idx == k]] = True
        mask |= (deals[S.STAGE] == stage.name).fill_null(False).to_numpy()
        masks[k] = pl.Series(f"_reached_{k}", mask)
    return masks


@native_frames
def deal_flags(deals: pl.DataFrame, events: pl.DataFrame, process: Process, as_of: dt.date) -> pl.DataFrame:
    """Every process flag of every deal, with its evidence: ``deal_id, flag, stage, value, detail``.

    Flags: skipped_stage (stage = the first stage skipped), backward_move (stage = the stage moved
    back to), over_time_limit (a stay longer than the stage's max_days; an open deal's current
    stay counts up to as_of; value = days), missing_required_field (stage and field), started_late
    (the first stage in the history is not the first stage), overdue_close_date (open, close date
    before as_of; value = days overdue).
    """
    return _flags(deals, events, process, as_of)


def _compliance(deals: pl.DataFrame, events: pl.DataFrame, process: Process, as_of: dt.date,
                flags: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per deal compliance, each deal judged by its own pipeline's process (its ``allow``)."""
    flags = _flags(deals, events, process, as_of) if flags is None else flags
    parts = split_deals(deals, events, process)
    if parts is None:
        return _compliance_one(deals, events, process, as_of, flags)
    return pl.concat([_compliance_one(d, e, p, as_of, flags.filter(pl.col(S.DEAL_ID).is_in(d[S.DEAL_ID].implode())))
                      for _n, p, d, e in parts], how="diagonal_relaxed").sort(S.DEAL_ID)


def _compliance_one(deals: pl.DataFrame, events: pl.DataFrame, process: Process, as_of: dt.date,
                    flags: pl.DataFrame) -> pl.DataFrame:
    counted = flags.group_by(S.DEAL_ID, "flag").len().pivot(on="flag", index=S.DEAL_ID, values="len")
    for f in FLAGS:
        if f not in counted.columns:
            counted = counted.with_columns(pl.lit(None, pl.UInt32).alias(f))
    hist = events.filter(pl.col(S.ENTERED_AT) <= _end_of(as_of)).select(S.DEAL_ID).unique().with_columns(
        pl.lit(True).alias("has_history"))
    base = deals.select(S.DEAL_ID, S.OWNER_ID, S.OWNER_NAME, S.TEAM_ID, S.TEAM_NAME, S.STATUS, S.STAGE, S.AMOUNT,
                        S.CURRENCY)
    out = base.join(hist, on=S.DEAL_ID, how="left").join(counted, on=S.DEAL_ID, how="left").with_columns(
        pl.col("has_history").fill_null(False))
    viol = violations(process)
    out = out.with_columns([
        (pl.when(~pl.col("has_history") & pl.lit(f in HISTORY_FLAGS)).then(None)
         .otherwise(pl.col(f).fill_null(0) > 0)).alias(f) for f in FLAGS])
    return out.with_columns(
        pl.sum_horizontal([pl.col(f).fill_null(False).cast(pl.Int32) for f in viol]).alias("violations"),
    ).with_columns((pl.col("violations") == 0).alias("compliant")).sort(S.DEAL_ID)


@native_frames
def deal_compliance(deals: pl.DataFrame, events: pl.DataFrame, process: Process, as_of: dt.date) -> pl.DataFrame:
    """One row per deal: its owner and team, ``has_history``, one column per flag (true/false; null
    = "no history" for the checks that need it), ``violations`` (flags the process does not allow)
    and ``compliant`` (no violation among the checks that could run)."""
    return _compliance(deals, events, process, as_of)


@native_frames
def compliance_rates(compliance: pl.DataFrame, by: str | Sequence[str] = S.TEAM_ID) -> pl.DataFrame:
    """Compliance per group (``team_id`` or ``owner_id``, or several columns): deals, deals with
    history, compliant, ``compliance_rate`` = compliant / deals, and deals per flag."""
    keys = [by] if isinstance(by, str) else list(by)
    names = {S.TEAM_ID: [S.TEAM_NAME], S.OWNER_ID: [S.OWNER_NAME, S.TEAM_ID]}
    extra = [c for k in keys for c in names.get(k, []) if c not in keys]
    return (compliance.group_by(keys).agg(
        *[pl.col(c).first() for c in extra],
        pl.len().alias("deals"), pl.col("has_history").sum().alias("with_history"),
        pl.col("compliant").sum().alias("compliant"), (pl.col("violations") > 0).sum().alias("flagged"),
        *[pl.col(f).fill_null(False).sum().alias(f) for f in FLAGS],
    ).with_columns((pl.col("compliant") / pl.col("deals")).alias("compliance_rate")).sort(keys))



__all__ = [  # the funnel and the transitions used to live here: still importable from this module
    "BACKWARD", "BACKWARD_MOVE", "FLAGS", "FLAG_LABELS", "FORWARD", "HISTORY_FLAGS", "LOST", "MISSING_REQUIRED_FIELD",
    "OVERDUE_CLOSE_DATE", "OVER_TIME_LIMIT", "RECLASSIFY", "REOPEN", "SEVERITY", "SKIP", "SKIPPED_STAGE",
    "STARTED_LATE", "TRANSITION_KINDS", "UNKNOWN", "WON", "compliance_rates", "deal_compliance", "deal_flags",
    "stage_conversion", "stage_transitions", "suggested_limits", "time_in_stage", "violations",
]
