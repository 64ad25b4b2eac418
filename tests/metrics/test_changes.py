"""Week-over-week changes from hand-built deal histories: every kind, ties, the window's edges, a
deal created and won inside the window, and the same answer from two exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from metric_frames import AS_OF, as_polars, deals_frame

from toolkit import schema as S
from toolkit.errors import ColumnNotFoundError
from toolkit.loaders.states import states_from_two_exports
from toolkit.metrics.changes import KINDS, change_window, changes_by_rep, compute_changes, deal_changes
from toolkit.model import Dataset

t = dt.datetime
d = dt.date
BEFORE = t(2025, 6, 1)
# The window of as_of 30 June, 7 days: (23 June 23:59:59, 30 June 23:59:59].
START, END = t(2025, 6, 23, 23, 59, 59), t(2025, 6, 30, 23, 59, 59)

# (deal, valid_from, stage, amount, close_date, source_line), in file order.
HISTORY: list[tuple[str, dt.datetime, str, float | None, dt.date]] = [
    ("P", BEFORE, "A", 100.0, d(2025, 7, 15)), ("P", t(2025, 6, 25), "A", 100.0, d(2025, 8, 15)),   # pushed
    ("Q", BEFORE, "A", 100.0, d(2025, 8, 1)), ("Q", t(2025, 6, 26), "A", 100.0, d(2025, 7, 10)),    # pulled in
    ("U", BEFORE, "A", None, d(2025, 8, 1)), ("U", t(2025, 6, 27), "A", 50.0, d(2025, 8, 1)),       # empty -> 50: up
    ("D", BEFORE, "A", 200.0, d(2025, 8, 1)), ("D", t(2025, 6, 28), "B", 150.0, d(2025, 8, 1)),     # down, stage
    ("W", BEFORE, "C", 100.0, d(2025, 8, 1)), ("W", t(2025, 6, 29), "Won", 100.0, d(2025, 6, 29)),  # won
    ("L", BEFORE, "B", 100.0, d(2025, 8, 1)), ("L", t(2025, 6, 24), "Lost", 100.0, d(2025, 8, 1)),  # lost
    ("N", t(2025, 6, 25), "A", 80.0, d(2025, 7, 31)), ("N", t(2025, 6, 27), "Won", 80.0, d(2025, 6, 27)),  # new+won
    ("E", BEFORE, "A", 100.0, d(2025, 7, 1)), ("E", START, "A", 100.0, d(2025, 9, 1)),   # at start: no change
    ("F", BEFORE, "A", 100.0, d(2025, 7, 1)), ("F", END, "A", 100.0, d(2025, 9, 1)),     # at end: pushed
    ("O", BEFORE, "A", 100.0, d(2025, 7, 1)), ("O", t(2025, 6, 10), "B", 90.0, d(2025, 7, 5)),   # before the window
    ("R", BEFORE, "Won", 100.0, d(2025, 5, 30)), ("R", t(2025, 6, 25), "B", 100.0, d(2025, 5, 30)),  # reopened
    ("X", BEFORE, "Won", 100.0, d(2025, 5, 30)), ("X", t(2025, 6, 26), "Won", 90.0, d(2025, 5, 30)),  # won before
    ("T", BEFORE, "A", 300.0, d(2025, 8, 1)),
    ("T", t(2025, 6, 26, 10), "A", 300.0, d(2025, 8, 1)), ("T", t(2025, 6, 26, 10), "A", 400.0, d(2025, 8, 1)),
]
# Tie written out of order: line 41 (500) comes before line 40 (100) in the frame; line order decides.
TIE_OUT_OF_ORDER = [("V", BEFORE, "A", 300.0, d(2025, 8, 1), 30), ("V", t(2025, 6, 26), "A", 500.0, d(2025, 8, 1), 41),
                    ("V", t(2025, 6, 26), "A", 100.0, d(2025, 8, 1), 40)]
OWNERS = {"P": "r1", "Q": "r1", "U": "r1", "D": "r1", "W": "r2", "L": "r2", "N": "r2", "E": "r2", "F": "r2",
          "O": "r2", "R": "r2", "T": "r2", "V": "r2", "X": "r1"}
CREATED = {"N": t(2025, 6, 25)}


def states() -> pl.DataFrame:
    rows = [(*r, i + 2) for i, r in enumerate(HISTORY)] + TIE_OUT_OF_ORDER
    return pl.DataFrame([{S.DEAL_ID: r[0], S.VALID_FROM: r[1], S.STAGE: r[2], S.AMOUNT: r[3], S.CURRENCY: "EUR",
                          S.CLOSE_DATE: r[4], S.SOURCE_FILE: "h.csv", S.SOURCE_LINE: r[5]} for r in rows],
                        schema=S.polars_schema(S.DEAL_STATES))


def deals(state_at: dict[str, tuple[str, float | None, dt.date]] | None = None) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for deal, owner in OWNERS.items():
        row: dict[str, Any] = {S.DEAL_ID: deal, S.OWNER_ID: owner, S.OWNER_NAME: owner.upper(),
                               S.CREATED_AT: CREATED.get(deal, BEFORE)}
        if state_at is not None:
            if deal not in state_at:
                continue
            stage, amount, close = state_at[deal]
            row |= {S.STAGE: stage, S.AMOUNT: amount, S.CLOSE_DATE: close,
                    S.STATUS: {"Won": "won", "Lost": "lost"}.get(stage, "open")}
        rows.append(row)
    return deals_frame(rows)


EXPECTED = {  # deal -> the kinds that changed
    "D": {"amount_down", "stage_changed"}, "F": {"pushed"}, "L": {"lost", "stage_changed"}, "N": {"new", "won"},
    "P": {"pushed"}, "Q": {"pulled_in"}, "R": {"stage_changed"}, "T": {"amount_up"}, "U": {"amount_up"},
    "V": {"amount_up"}, "X": {"amount_down"}, "W": {"won", "stage_changed", "pulled_in"},
    # won on 29 June, expected 1 August
}


def kinds_of(frame: pl.DataFrame) -> dict[str, set[str]]:
    return {r[S.DEAL_ID]: {k for k in KINDS if r[k]} for r in frame.iter_rows(named=True)}


def test_window() -> None:
    assert change_window(AS_OF) == (START, END)
    assert change_window(AS_OF, 14)[0] == t(2025, 6, 16, 23, 59, 59)


def test_every_kind_ties_and_edges(backend, process) -> None:
    out = as_polars(deal_changes(backend(states()), backend(deals()), process, AS_OF))
    # pandas has no date type: dates come back as datetimes
    out = out.with_columns(pl.col("close_date_from", "close_date_to").cast(pl.Date))
    assert kinds_of(out) == EXPECTED
    by_id = {r[S.DEAL_ID]: r for r in out.iter_rows(named=True)}
    assert (by_id["P"]["close_date_from"], by_id["P"]["close_date_to"]) == (d(2025, 7, 15), d(2025, 8, 15))
    assert (by_id["U"]["amount_from"], by_id["U"]["amount_to"]) == (None, 50.0)
    assert (by_id["T"]["amount_from"], by_id["T"]["amount_to"]) == (300.0, 400.0)   # the later line of the tie
    assert by_id["V"]["amount_to"] == 500.0                                           # line 41 over line 40
    assert (by_id["N"]["stage_from"], by_id["N"]["stage_to"]) == (None, "Won")
    assert (by_id["R"]["stage_from"], by_id["R"]["stage_to"]) == ("Won", "B")
    assert by_id["D"]["what"] == "A → B; amount down 200 → 150"
    assert by_id["P"]["what"] == "close date pushed 2025-07-15 → 2025-08-15"
    assert by_id["N"]["what"] == "new; won" and by_id["U"]["what"] == "amount up empty → 50"


def test_totals_and_per_rep(process) -> None:
    out = deal_changes(states(), deals(), process, AS_OF)
    per_rep = changes_by_rep(out)
    assert per_rep.select(S.OWNER_ID, *KINDS).rows() == [
        # r1: P pushed, Q pulled in, U up, D down + stage, X down (already won: not won again)
        ("r1", 0, 1, 1, 1, 2, 1, 0, 0),
        # r2: N new; F pushed; W pulled in; T, V up; L, R, W stage; W, N won; L lost
        ("r2", 1, 1, 1, 2, 0, 3, 2, 1)]
    result = compute_changes(deals(), process, AS_OF, states=states())
    assert result.basis == "history"
    assert result.totals == {"new": 1, "pushed": 2, "pulled_in": 2, "amount_up": 3, "amount_down": 2,
                             "stage_changed": 4, "won": 2, "lost": 1}
    shape = result.to_dict()
    assert (shape["window_days"], shape["start"], shape["end"]) == (7, "2025-06-23T23:59:59", "2025-06-30T23:59:59")
    p = next(x for x in shape["deals"] if x["deal_id"] == "P")
    assert p["changes"] == ["pushed"] and p["close_date"] == {"from": "2025-07-15", "to": "2025-08-15"}


def _state_at(moment: dt.datetime) -> dict[str, tuple[str, float | None, dt.date]]:
    """Each deal's state at a moment, by plain Python over the rows (latest valid_from, then line)."""
    rows = [(*r, i + 2) for i, r in enumerate(HISTORY)] + TIE_OUT_OF_ORDER
    out: dict[str, tuple[Any, ...]] = {}
    for r in sorted((r for r in rows if r[1] <= moment), key=lambda r: (r[0], r[1], r[5])):
        out[r[0]] = r
    return {k: (v[2], v[3], v[4]) for k, v in out.items()}


def export(frame: pl.DataFrame) -> Dataset:
    empty = pl.DataFrame()
    return Dataset("test", frame, S.empty(S.STAGE_EVENTS), S.empty(S.REPS), empty, empty, empty)


def test_two_exports_give_the_same_answer_as_the_history(backend, process) -> None:
    previous, current = deals(_state_at(START)), deals(_state_at(END))
    assert "N" not in previous[S.DEAL_ID].to_list()                     # created after the earlier export
    # The earlier export holds from the window's start, this one at its end (as `--previous` does).
    from_exports = states_from_two_exports(export(previous), export(current), START, AS_OF)
    out = as_polars(deal_changes(backend(from_exports), backend(current), process, AS_OF))
    assert kinds_of(out) == EXPECTED
    result = compute_changes(current, process, AS_OF, states=from_exports, basis="previous export")
    assert result.basis == "previous export"
    assert result.totals == compute_changes(deals(), process, AS_OF, states=states()).totals


def test_without_any_state_only_new_deals_count(process) -> None:
    result = compute_changes(deals(), process, AS_OF, states=None)
    assert result.basis == "none" and result.totals == {k: (1 if k == "new" else 0) for k in KINDS}


def test_missing_columns_raise_the_toolkit_error(process) -> None:
    with pytest.raises(ColumnNotFoundError, match="valid_from"):
        deal_changes(states().drop(S.VALID_FROM), deals(), process, AS_OF)
