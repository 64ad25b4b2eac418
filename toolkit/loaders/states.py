"""deal_states: each deal's known states over time, from a source's history rows, from the deals
file itself, or from two exports of the same CRM.

A state row says: from ``valid_from`` on, the deal was in ``stage`` with ``amount`` (``currency``)
and ``close_date``, until its next state row. The deal's state at a time t is its latest row with
``valid_from <= t``; rows of one deal with the same ``valid_from`` are in the order they were
written (the history's own order: its lines, or the deal flow's changes as replayed; then the
deals file), which is the frame's order.

The table holds the history's states by deal and time, then every deal's current state by deal:
each deal's rows are in time order, its history before its current state. (Interleaving the two,
each deal's current state right after its history, would copy every row of the table once more:
a gigabyte and seconds for a history of ten million rows, for an order no reader needs.)

Where the rows come from:

- **history rows**: every row a source's history has, not only stage changes (Salesforce
  OpportunityHistory rows carry stage, amount and close date; Pipedrive's deal flow is replayed
  change by change; a generic history maps what it has). A field the history does not record takes
  the deal's current value: the history says nothing about it changing, and an empty value would
  read as a change to nothing.
- **the current state** of every deal, from the deals file. Its ``valid_from`` is the deal's last
  modification where the export has it (Salesforce ``LastModifiedDate``, HubSpot ``Last Modified
  Date``, Pipedrive ``Update time``): the current values certainly hold from then to the export,
  and a deal not modified since before a window did not change in it. Where the export has no
  such time, the latest moment the export itself shows for the deal: its close (closed deals),
  else its last history row or its creation; and never before the deal's last history row (the
  export's values are the latest the deal has, whatever its clock says). Never the time the
  toolkit reads the file: every deal would then seem to have changed (or closed) in the week of
  the load.
- **two exports** (:func:`states_from_two_exports`): each export's deals at that export's time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import polars as pl

from toolkit import schema as S
from toolkit.errors import ConfigError
from toolkit.loaders import labels
from toolkit.loaders.chunks import aligned
from toolkit.loaders.common import MODIFIED, conformed
from toolkit.loaders.order import DEAL_AT, all_distinct, in_order, positions, sorted_by
from toolkit.model import Dataset
from toolkit.process import Process

_RANK = "_rank"  # history rows (0) before the deals file's row (1) at the same valid_from
#: What a state says of its deal; a history row holds any of them (the others take the deal's own).
STATE_FIELDS = (S.STAGE, S.AMOUNT, S.CURRENCY, S.CLOSE_DATE)
#: State rows hold source_file as categorical until the table is finished (one name per file, not
#: one per row: see common.source_file_column); _finish makes it the schema's text (common.conformed).
_FILE = pl.col(S.SOURCE_FILE).cast(pl.Categorical)


def history_states(rows: pl.DataFrame, deals: pl.DataFrame, process: Process | None = None) -> pl.DataFrame:
    """State rows from history rows that have ``deal_id``, ``valid_from``, ``source_file``,
    ``source_line`` and any of ``stage`` (mapped) or ``stage_raw`` (mapped here by the deal's
    pipeline, with ``process``), ``amount``, ``currency``, ``close_date``; the fields a history
    lacks take the deal's current value. Rows of unknown deals are not states."""
    if rows.is_empty():
        return _empty_ranked()
    maps = S.STAGE not in rows.columns and S.STAGE_RAW in rows.columns and process is not None
    # Only what the rows lack travels through the join of millions of rows.
    current = deals.select(S.DEAL_ID, *([pl.col(S.PIPELINE).alias("_deal_pipeline")] if maps else []),
                           *[pl.col(c).alias(f"_now_{c}") for c in STATE_FIELDS
                             if c not in rows.columns and not (c == S.STAGE and maps)])
    ids = current[S.DEAL_ID]
    if ids.null_count() == 0 and all_distinct(ids):  # one deal per id, as loaders make them
        # Each row's deal is found by its position among the deals (where the loader found it
        # against these deals, as it is), and the deals' values are set beside the rows: a join
        # would copy every column (ids included) of millions of rows.
        at = rows[DEAL_AT] if DEAL_AT in rows.columns else positions(rows[S.DEAL_ID], ids)
        f = rows.hstack([current[c].gather(at) for c in current.columns if c != S.DEAL_ID])
        if at.null_count():  # rows of deals not loaded are not states
            f = f.filter(at.is_not_null())
    else:
        f = rows.join(current, on=S.DEAL_ID, how="inner", maintain_order="left")
    if maps and process is not None:
        pipeline = (pl.coalesce(labels.fold_label(pl.col(S.PIPELINE)), "_deal_pipeline")
                    if S.PIPELINE in f.columns else pl.col("_deal_pipeline"))
        f = labels.map_stages(f.with_columns(pipeline.alias("_pipe")), process, pipeline="_pipe")
    rows = f
    return f.select(
        pl.col(S.DEAL_ID).cast(pl.String), pl.col(S.VALID_FROM).cast(S.DATETIME),
        *[(pl.col(c) if c in rows.columns else pl.col(f"_now_{c}")).cast(dtype).alias(c)
          for c, dtype in ((S.STAGE, pl.String), (S.AMOUNT, pl.Float64), (S.CURRENCY, pl.String),
                           (S.CLOSE_DATE, pl.Date))],
        _FILE, pl.col(S.SOURCE_LINE).cast(pl.Int64), pl.lit(0).alias(_RANK),
        *([DEAL_AT] if DEAL_AT in f.columns else []))


def states_from_events(events: pl.DataFrame, deals: pl.DataFrame) -> pl.DataFrame:
    """States from a stage-only history (canonical stage_events): one per stage entry."""
    return history_states(events.select(S.DEAL_ID, pl.col(S.ENTERED_AT).alias(S.VALID_FROM), S.STAGE,
                                        S.SOURCE_FILE, S.SOURCE_LINE), deals)


def _deal_key(history: pl.DataFrame) -> str:
    """The column that orders and groups history states by deal: the deal's position where the
    loader found it (an integer), else its id."""
    return DEAL_AT if DEAL_AT in history.columns else S.DEAL_ID


def _in_time_order(history: pl.DataFrame) -> bool:
    """Whether every history state has a time and they are in order by deal, then time."""
    return history[S.VALID_FROM].null_count() == 0 and in_order(history, [_deal_key(history), S.VALID_FROM])


def current_states(deals: pl.DataFrame, history: pl.DataFrame, *, ordered: bool | None = None) -> pl.DataFrame:
    """Each deal's current state (see the module docstring for its ``valid_from``). ``ordered``:
    whether ``history`` is in time order (:func:`_in_time_order`), when the caller knows."""
    if ordered is None:
        ordered = _in_time_order(history)
    if ordered:
        # A history in order (as CRMs write it) has each deal's latest row last: taking those
        # rows spares hashing millions of ids.
        deal = pl.col(_deal_key(history))
        last = history.filter(deal.ne_missing(deal.shift(-1))).select(S.DEAL_ID,
                                                                      pl.col(S.VALID_FROM).alias("_last_history"))
    else:
        last = history.group_by(S.DEAL_ID).agg(pl.col(S.VALID_FROM).max().alias("_last_history"))
    f = deals.join(last, on=S.DEAL_ID, how="left", maintain_order="left")
    modified = pl.col(MODIFIED).cast(S.DATETIME) if MODIFIED in f.columns else pl.lit(None, S.DATETIME)
    closed = pl.when(pl.col(S.STATUS).is_in(["won", "lost"])).then(pl.col(S.CLOSED_AT)).otherwise(None)
    seen = pl.max_horizontal(pl.col("_last_history"), pl.col(S.CREATED_AT))
    # Never before the last history row: the export's values are the latest the deal has.
    start = pl.max_horizontal(pl.coalesce(modified, closed, seen), pl.col("_last_history"))
    return f.select(S.DEAL_ID, start.cast(S.DATETIME).alias(S.VALID_FROM),
                    *STATE_FIELDS, _FILE, S.SOURCE_LINE, pl.lit(1).alias(_RANK))


def deal_states(history: pl.DataFrame, deals: pl.DataFrame) -> pl.DataFrame:
    """The deal_states table (see the module docstring): the history's states by deal and time,
    then every deal's current state by deal."""
    ordered = _in_time_order(history)  # told once, for the current states and for their order
    # (each column in one piece: where the current states' columns are cut differently from one
    # another, the table's next operation copies every column of both, 0.5 s of the 1M-deal states)
    current = aligned(current_states(deals, history, ordered=ordered).with_columns(pl.col(_RANK).cast(pl.Int32)))
    history = history.with_columns(pl.col(_RANK).cast(pl.Int32), _FILE)
    if not ordered:
        history = history.sort([S.DEAL_ID, S.VALID_FROM], nulls_last=True, maintain_order=True)
    return _finish(pl.concat([history.drop(DEAL_AT, strict=False), sorted_by(current, [S.DEAL_ID])],
                             how="vertical", rechunk=False), sort=False)


#: Within :func:`states_deferred`: the deal_states of each Dataset assembled, still to be made.
_PENDING: ContextVar[dict[int, tuple[pl.DataFrame, pl.DataFrame]] | None] = ContextVar(
    "toolkit_states_pending", default=None)


@contextmanager
def states_deferred() -> Iterator[dict[int, tuple[pl.DataFrame, pl.DataFrame]]]:
    """Within the block, :func:`deal_states_of` leaves each Dataset's deal_states to
    :func:`finish_deferred`, called after the block: the largest table of a load (a state per
    history row) is then made once the files read for the load (the read cache, the typed history)
    are let go, not beside them."""
    pending: dict[int, tuple[pl.DataFrame, pl.DataFrame]] = {}
    token = _PENDING.set(pending)
    try:
        yield pending
    finally:
        _PENDING.reset(token)


def deal_states_of(data: Dataset, history: pl.DataFrame, deals: pl.DataFrame) -> None:
    """Give ``data`` its deal_states from ``history`` states and ``deals`` (with their private
    columns), now or, within :func:`states_deferred`, when the block is done."""
    pending = _PENDING.get()
    if pending is None:
        data.deal_states = deal_states(history, deals)
    else:
        pending[id(data)] = (history, deals)


def finish_deferred(data: Dataset, pending: dict[int, tuple[pl.DataFrame, pl.DataFrame]]) -> Dataset:
    """``data`` with the deal_states left pending for it (the other Datasets' are dropped)."""
    left = pending.pop(id(data), None)
    pending.clear()
    if left is not None:
        history, deals = left
        del left
        data.deal_states = deal_states(history, deals)
    return data


def states_from_two_exports(previous: Dataset, current: Dataset, previous_as_of: dt.date | dt.datetime,
                            current_as_of: dt.date | dt.datetime) -> pl.DataFrame:
    """deal_states from two exports of the same CRM (``--previous``): each export's deals as they
    were at that export's time (a date means the end of that day, 23:59:59). A deal only in the
    later export has no earlier state; a deal only in the earlier one keeps its last state."""
    before, after = _as_datetime(previous_as_of), _as_datetime(current_as_of)
    if before >= after:
        raise ConfigError("the previous export to be older than the current one",
                          f"previous as of {before}, current as of {after}", "swap the two, or check --previous")
    if previous.source != current.source:
        raise ConfigError("two exports of the same CRM", f"{previous.source!r} and {current.source!r}",
                          "pass an earlier export of the same source as --previous")

    def at(data: Dataset, when: dt.datetime, rank: int) -> pl.DataFrame:
        return data.deals.select(S.DEAL_ID, pl.lit(when, S.DATETIME).alias(S.VALID_FROM), *STATE_FIELDS,
                                 S.SOURCE_FILE, S.SOURCE_LINE, pl.lit(rank).alias(_RANK))

    return _finish(pl.concat([at(previous, before, 0), at(current, after, 1)], how="vertical"))


def _as_datetime(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time(23, 59, 59))


def _empty_ranked() -> pl.DataFrame:
    return S.empty(S.DEAL_STATES).with_columns(_FILE, pl.lit(0).alias(_RANK))


def _finish(frame: pl.DataFrame, *, sort: bool = True) -> pl.DataFrame:
    if sort:
        frame = (frame.with_columns(pl.col(_RANK).cast(pl.Int32))
                 .sort([S.DEAL_ID, S.VALID_FROM, _RANK], nulls_last=True, maintain_order=True))
    return conformed(frame, S.DEAL_STATES)


__all__ = ["STATE_FIELDS", "current_states", "deal_states", "deal_states_of", "finish_deferred", "history_states",
           "states_deferred", "states_from_events", "states_from_two_exports"]
