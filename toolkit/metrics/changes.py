"""What changed in a window: new deals, close dates pushed or pulled in, amounts up or down, stage
changes, won and lost, per deal and per rep, from the deals' states over time.

The window is (start, end] with end = the ``as_of`` day at 23:59:59 and start = end − N days. A
deal's state at time t is its latest state row with ``valid_from`` <= t; rows with the same
``valid_from`` keep file order (``source_line``, then row order). Per deal:

- ``new``: created in the window (``deals.created_at``);
- for a deal with a state at both start and end: ``pushed`` (close date later at the end than at
  the start), ``pulled_in`` (earlier), ``amount_up`` / ``amount_down`` (an empty amount counts
  as 0), ``stage_changed`` (the stage differs);
- ``won`` / ``lost``: the last state row inside the window is the won / lost stage, and the deal
  was not already won / lost at the start (an amount corrected on a deal won last month is not a
  win this week).

Two exports of the same CRM give the same answer through
``toolkit.loaders.states.states_from_two_exports(previous, current, start, as_of)``: the earlier
export is the state at start, this one the state at end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from toolkit import schema as S
from toolkit.errors import require_columns
from toolkit.frames import native_frames
from toolkit.metrics.pipelines import outcome_names
from toolkit.process import Process

KINDS = ("new", "pushed", "pulled_in", "amount_up", "amount_down", "stage_changed", "won", "lost")
#: The kinds in a manager's words.
KIND_LABELS = {"new": "new", "pushed": "close date pushed", "pulled_in": "close date pulled in",
               "amount_up": "amount up", "amount_down": "amount down", "stage_changed": "stage changed",
               "won": "won", "lost": "lost"}
DEFAULT_WINDOW_DAYS = 7
STATE_COLUMNS = [S.DEAL_ID, S.VALID_FROM, S.STAGE, S.AMOUNT, S.CURRENCY, S.CLOSE_DATE]
_SIDES = (S.STAGE, S.AMOUNT, S.CURRENCY, S.CLOSE_DATE)
_SIDE_TYPES: dict[str, pl.DataType] = {S.STAGE: pl.String(), S.AMOUNT: pl.Float64(), S.CURRENCY: pl.String(),
                                       S.CLOSE_DATE: pl.Date()}
CHANGE_SCHEMA: dict[str, pl.DataType] = {
    S.DEAL_ID: pl.String(), S.DEAL_NAME: pl.String(), S.OWNER_ID: pl.String(), S.OWNER_NAME: pl.String(),
    S.TEAM_ID: pl.String(), **{k: pl.Boolean() for k in KINDS},
    **{f"{c}_{side}": _SIDE_TYPES[c] for c in _SIDES for side in ("from", "to")},
}


def change_window(as_of: dt.date, days: int = DEFAULT_WINDOW_DAYS) -> tuple[dt.datetime, dt.datetime]:
    """(start, end) of the window: end = as_of at 23:59:59, start = end − days."""
    end = dt.datetime.combine(as_of, dt.time(23, 59, 59))
    return end - dt.timedelta(days=days), end


def _ordered(states: pl.DataFrame) -> pl.DataFrame:
    """Rows per deal by ``valid_from``; ties in file order: the files in the order the frame
    lists them at that time (``Dataset.deal_states``: the deal's history, then its row of the
    deals file), lines in ``source_line`` order within a file. (Ranking files by where they first
    appear in the whole frame would put the deals file first as soon as the first deal has no
    history, and a deal's current state before a history row of the same time.)"""
    f = states.with_row_index("_row")
    keys = [S.DEAL_ID, S.VALID_FROM]
    if S.SOURCE_FILE in f.columns:
        f = f.with_columns(pl.col("_row").min().over(S.DEAL_ID, S.VALID_FROM, S.SOURCE_FILE).alias("_file"))
        keys.append("_file")
    if S.SOURCE_LINE in f.columns:
        keys.append(S.SOURCE_LINE)
    return f.sort([*keys, "_row"], nulls_last=True)


def _state_at(ordered: pl.DataFrame, t: dt.datetime, suffix: str) -> pl.DataFrame:
    return (ordered.filter(pl.col(S.VALID_FROM) <= t).group_by(S.DEAL_ID, maintain_order=True).last()
            .select(S.DEAL_ID, *[pl.col(c).alias(f"{c}_{suffix}") for c in _SIDES]))


@native_frames
def deal_changes(states: pl.DataFrame, deals: pl.DataFrame, process: Process, as_of: dt.date, *,
                 window_days: int = DEFAULT_WINDOW_DAYS) -> pl.DataFrame:
    """One row per deal with at least one change in the window (see the module docstring):
    ``deal_id, deal_name, owner_id, owner_name, team_id``, a boolean per kind (``new, pushed,
    pulled_in, amount_up, amount_down, stage_changed, won, lost``), and the state at start and
    at end (``stage_from``, ``stage_to``, ``amount_from``, ..., ``close_date_to``; null where the
    deal has no state then), and ``what`` (the changes in words, from → to). Only deals of
    ``deals`` are reported (it names their owners)."""
    require_columns(states, STATE_COLUMNS, "deal_states")
    require_columns(deals, [S.DEAL_ID, S.DEAL_NAME, S.OWNER_ID, S.OWNER_NAME, S.TEAM_ID, S.CREATED_AT], "deals")
    start, end = change_window(as_of, window_days)
    ordered = _ordered(states.with_columns(pl.col(S.VALID_FROM).cast(S.DATETIME)))
    last_in = (ordered.filter((pl.col(S.VALID_FROM) > start) & (pl.col(S.VALID_FROM) <= end))
               .group_by(S.DEAL_ID, maintain_order=True).last().select(S.DEAL_ID, pl.col(S.STAGE).alias("_last")))
    won, lost = outcome_names(deals, process)   # each deal's own pipeline's won and lost stages
    base = deals.select(S.DEAL_ID, S.DEAL_NAME, S.OWNER_ID, S.OWNER_NAME, S.TEAM_ID, S.CREATED_AT,
                        won.alias("_won"), lost.alias("_lost")).unique(S.DEAL_ID, keep="first", maintain_order=True)
    out = (base.join(_state_at(ordered, start, "from"), on=S.DEAL_ID, how="left")
           .join(_state_at(ordered, end, "to"), on=S.DEAL_ID, how="left")
           .join(last_in, on=S.DEAL_ID, how="left"))
    both = pl.col("_has_from") & pl.col("_has_to")
    a_from, a_to = pl.col("amount_from").fill_null(0.0), pl.col("amount_to").fill_null(0.0)
    d_from, d_to = pl.col("close_date_from"), pl.col("close_date_to")
    out = out.join(ordered.filter(pl.col(S.VALID_FROM) <= start).select(S.DEAL_ID).unique()
                   .with_columns(pl.lit(True).alias("_has_from")), on=S.DEAL_ID, how="left").join(
        ordered.filter(pl.col(S.VALID_FROM) <= end).select(S.DEAL_ID).unique()
        .with_columns(pl.lit(True).alias("_has_to")), on=S.DEAL_ID, how="left").with_columns(
        pl.col("_has_from", "_has_to").fill_null(False))
    out = out.with_columns(
        pl.col(S.CREATED_AT).is_between(start, end, closed="right").fill_null(False).alias("new"),
        (both & (d_to > d_from)).fill_null(False).alias("pushed"),
        (both & (d_to < d_from)).fill_null(False).alias("pulled_in"),
        (both & (a_to > a_from)).alias("amount_up"),
        (both & (a_to < a_from)).alias("amount_down"),
        (both & pl.col("stage_from").ne_missing(pl.col("stage_to"))).alias("stage_changed"),
        # An edit of a deal already won (or lost) at the start is not a new win (or loss).
        ((pl.col("_last") == pl.col("_won")) & pl.col("stage_from").ne_missing(pl.col("_won"))).fill_null(False)
        .alias("won"),
        ((pl.col("_last") == pl.col("_lost")) & pl.col("stage_from").ne_missing(pl.col("_lost"))).fill_null(False)
        .alias("lost"),
    )
    out = (out.filter(pl.any_horizontal(*KINDS)).select(list(CHANGE_SCHEMA))
           .with_columns([pl.col(c).cast(t) for c, t in CHANGE_SCHEMA.items()]).sort(S.TEAM_ID, S.OWNER_ID, S.DEAL_ID))
    return out.with_columns(pl.Series("what", [_what(r) for r in out.iter_rows(named=True)], dtype=pl.String))


def _what(r: dict[str, Any]) -> str:
    """What changed, from -> to, in a manager's words."""
    def amount(v: float | None) -> str:
        return "empty" if v is None else f"{v:,.0f}"

    parts = []
    if r["new"]:
        parts.append("new")
    if r["stage_changed"]:
        parts.append(f"{r['stage_from']} → {r['stage_to']}")
    elif r["won"] or r["lost"]:
        parts.append("won" if r["won"] else "lost")
    if r["pushed"] or r["pulled_in"]:
        parts.append(f"close date {'pushed' if r['pushed'] else 'pulled in'} "
                     f"{r['close_date_from']} → {r['close_date_to']}")
    if r["amount_up"] or r["amount_down"]:
        parts.append(f"amount {'up' if r['amount_up'] else 'down'} "
                     f"{amount(r['amount_from'])} → {amount(r['amount_to'])}")
    return "; ".join(parts)


@native_frames
def changes_by_rep(changes: pl.DataFrame) -> pl.DataFrame:
    """Per rep (``owner_id, owner_name, team_id``): the number of deals of each kind."""
    require_columns(changes, [S.OWNER_ID, S.OWNER_NAME, S.TEAM_ID, *KINDS], "the deal_changes() frame")
    return (changes.group_by(S.OWNER_ID).agg(pl.col(S.OWNER_NAME, S.TEAM_ID).first(),
                                             *[pl.col(k).sum().cast(pl.Int64) for k in KINDS])
            .sort(S.TEAM_ID, S.OWNER_ID))


# --- the typed result -----------------------------------------------------------------------------

Basis = Literal["history", "previous export", "none"]


@dataclass(frozen=True, eq=False)
class DealChanges:
    """The changes of a window for a whole load or one team. ``basis`` says where the states came
    from: the export's own history, a previous export, or nothing (then only ``new`` counts)."""

    window_days: int
    start: dt.datetime
    end: dt.datetime
    basis: Basis
    deals: pl.DataFrame     # deal_changes() columns
    per_rep: pl.DataFrame   # changes_by_rep() columns

    @property
    def totals(self) -> dict[str, int]:
        return {k: int(self.deals[k].sum()) if self.deals.height else 0 for k in KINDS}

    def for_team(self, team_id: str) -> DealChanges:
        return DealChanges(self.window_days, self.start, self.end, self.basis,
                           self.deals.filter(pl.col(S.TEAM_ID) == team_id),
                           self.per_rep.filter(pl.col(S.TEAM_ID) == team_id))

    def to_dict(self) -> dict[str, Any]:
        def pair(r: dict[str, Any], c: str) -> dict[str, Any]:
            return {"from": _json(r[f"{c}_from"]), "to": _json(r[f"{c}_to"])}

        deals = [{S.DEAL_ID: r[S.DEAL_ID], S.DEAL_NAME: r[S.DEAL_NAME], S.OWNER_ID: r[S.OWNER_ID],
                  S.OWNER_NAME: r[S.OWNER_NAME], S.TEAM_ID: r[S.TEAM_ID], "changes": [k for k in KINDS if r[k]],
                  "what": r["what"],
                  "stage": pair(r, S.STAGE), "amount": pair(r, S.AMOUNT), "currency": pair(r, S.CURRENCY),
                  "close_date": pair(r, S.CLOSE_DATE)} for r in self.deals.iter_rows(named=True)]
        return {"window_days": self.window_days, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "basis": self.basis, "totals": self.totals, "per_rep": self.per_rep.to_dicts(), "deals": deals}


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def compute_changes(deals: pl.DataFrame, process: Process, as_of: dt.date, *, states: pl.DataFrame | None,
                    basis: Basis | None = None, window_days: int = DEFAULT_WINDOW_DAYS) -> DealChanges:
    """The changes of the window from ``states`` (the export's history, or two exports compared:
    say so with ``basis="previous export"``); without states only new deals are counted (basis
    "none")."""
    start, end = change_window(as_of, window_days)
    if states is None or states.is_empty():
        states, basis = S.empty(S.DEAL_STATES), "none"
    frame = deal_changes(states, deals, process, as_of, window_days=window_days)
    return DealChanges(window_days, start, end, basis or "history", frame, changes_by_rep(frame))
