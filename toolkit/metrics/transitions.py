"""Stage transitions: each change of stage of a deal, its kind and the days spent in the stage left.

Pure functions; a process per pipeline judges each move by its pipeline's process.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from toolkit import schema as S
from toolkit.frames import native_frames
from toolkit.metrics.pipelines import split_events
from toolkit.process import Process

# --- transition kinds and flags ----------------------------------------------------------------

FORWARD, SKIP, BACKWARD, WON, LOST, REOPEN, RECLASSIFY = (
    "forward", "skip", "backward", "won", "lost", "reopen", "reclassify")
TRANSITION_KINDS = (FORWARD, SKIP, BACKWARD, WON, LOST, REOPEN, RECLASSIFY)
UNKNOWN = "unknown"  # a move from or to a stage label the process does not know
DAY = 86_400.0


def _codes(process: Process) -> dict[str, int]:
    """Open stages 0..n-1, won n, lost n+1."""
    codes = {s.name: i for i, s in enumerate(process.stages)}
    codes[process.won.name] = len(process.stages)
    codes[process.lost.name] = len(process.stages) + 1
    return codes


def _ordered_events(events: pl.DataFrame, process: Process, as_of: dt.date | dt.datetime | None) -> pl.DataFrame:
    """Events up to as_of, sorted per deal by time, with the stage's position (``_idx``). A frame
    this function already returned passes through unsorted again: the checks share one sort."""
    if "_idx" in events.columns:
        return events if as_of is None else events.filter(pl.col(S.ENTERED_AT) <= _end_of(as_of))
    e = events.select(S.DEAL_ID, S.STAGE, S.ENTERED_AT, *(c for c in (S.SOURCE_LINE,) if c in events.columns))
    if as_of is not None:
        e = e.filter(pl.col(S.ENTERED_AT) <= _end_of(as_of))
    keys = [S.DEAL_ID, S.ENTERED_AT] + ([S.SOURCE_LINE] if S.SOURCE_LINE in e.columns else [])
    return e.sort(keys).with_columns(
        pl.col(S.STAGE).replace_strict(_codes(process), default=None, return_dtype=pl.Int32).alias("_idx"))


def _end_of(as_of: dt.date | dt.datetime) -> dt.datetime:
    """A date as_of means the end of that day: events of the day count, later ones don't."""
    if isinstance(as_of, dt.datetime):
        return as_of
    return dt.datetime.combine(as_of, dt.time.max)


def _transitions(events: pl.DataFrame, process: Process, as_of: dt.date | dt.datetime | None) -> pl.DataFrame:
    """Transitions, each judged by its pipeline's process (with a ``pipeline`` column then)."""
    parts = split_events(events, process)
    if parts is None:
        return _transitions_one(events, process, as_of)
    return pl.concat([_transitions_one(e, p, as_of).with_columns(pl.lit(name, pl.String).alias(S.PIPELINE))
                      for name, p, e in parts])


def _transitions_one(events: pl.DataFrame, process: Process, as_of: dt.date | dt.datetime | None) -> pl.DataFrame:
    n = len(process.stages)
    e = _ordered_events(events, process, as_of)
    same = pl.col(S.DEAL_ID) == pl.col(S.DEAL_ID).shift(1)
    t = e.with_columns(
        pl.when(same).then(pl.col(S.STAGE).shift(1)).alias("from_stage"),
        pl.when(same).then(pl.col("_idx").shift(1)).alias("_from"),
        pl.when(same).then(pl.col(S.ENTERED_AT).shift(1)).alias("_from_at"),
        same.fill_null(False).alias("_has_from"),
    ).filter(pl.col("_has_from"))
    f, to = pl.col("_from"), pl.col("_idx")
    kind = (pl.when(f.is_null() | to.is_null()).then(pl.lit(UNKNOWN))
            .when((f < n) & (to < n) & (to == f + 1)).then(pl.lit(FORWARD))
            .when((f < n) & (to < n) & (to > f + 1)).then(pl.lit(SKIP))
            .when((f < n) & (to < n) & (to < f)).then(pl.lit(BACKWARD))
            .when((f < n) & (to == n) & (f == n - 1)).then(pl.lit(WON))
            .when((f < n) & (to == n)).then(pl.lit(SKIP))
            .when((f < n) & (to == n + 1)).then(pl.lit(LOST))
            .when((f >= n) & (to < n)).then(pl.lit(REOPEN))
            .when((f >= n) & (to >= n) & (f != to)).then(pl.lit(RECLASSIFY))
            .otherwise(pl.lit(UNKNOWN)))
    return t.select(
        S.DEAL_ID, "from_stage", pl.col(S.STAGE).alias("to_stage"), pl.col(S.ENTERED_AT).alias("at"),
        ((pl.col(S.ENTERED_AT) - pl.col("_from_at")).dt.total_seconds(fractional=True) / DAY).alias("days_in_stage"),
        kind.alias("kind"), pl.col("_from").alias("_from"), pl.col("_idx").alias("_to"))


@native_frames
def stage_transitions(events: pl.DataFrame, process: Process,
                      as_of: dt.date | dt.datetime | None = None) -> pl.DataFrame:
    """One row per change of stage of a deal: ``deal_id, from_stage, to_stage, at, days_in_stage,
    kind``.

    ``days_in_stage`` is the time spent in ``from_stage`` before the move. ``kind`` is one of
    forward (to the next open stage), skip (forward past one or more open stages, or to won from
    an open stage other than the last), backward (to an earlier open stage), won (last open stage
    to won), lost (any open stage to lost), reopen (won or lost back to an open stage),
    reclassify (won to lost or back), or unknown (a stage label the process does not know).
    Events after ``as_of`` are left out.
    """
    return _transitions(events, process, as_of).drop("_from", "_to")
