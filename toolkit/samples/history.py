"""Salesforce OpportunityHistory: the stage entries, and the rows where only the amount or the
expected close date changed, as the real table holds them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from toolkit import schema as S
from toolkit.samples.arrays import (
    DAY,
    BoolArray,
    FloatArray,
    IntArray,
    dates,
    datetimes,
    group_starts,
    id_numbers,
    pick,
    sf_ids,
)
from toolkit.samples.paths import WON_I

#: Salesforce's default probability per stage index (open stages, won, lost).
PROBABILITY = (10, 20, 50, 75, 100, 0)


def sf_history(rng: np.random.Generator, *, stages: Sequence[str], n: int, n_ev: IntArray, is_open: BoolArray,
               ev_deal: IntArray, ev_stage: IntArray, entered: IntArray, stay: IntArray, ev_user: IntArray,
               rep: IntArray, amount: FloatArray, close_day: IntArray, deal_ids: pl.Series,
               user_ids: pl.Series) -> pl.DataFrame:
    """Salesforce OpportunityHistory: the stage entries plus, for about a third of the deals, rows
    where only the amount or the close date changed, placed strictly inside the stays."""
    d_first = group_starts(n_ev)
    extra = np.where(rng.random(n) < 1 / 3, rng.integers(4, 37, n), 0)
    x_deal = np.repeat(np.arange(n), extra)
    # a point in the deal's open life, uniformly, then the stay that holds it (closing entries have
    # no stay, so they are never picked)
    ends = np.cumsum(stay)
    life = np.add.reduceat(stay, d_first)
    target = (ends[d_first] - stay[d_first])[x_deal] + (rng.random(len(x_deal)) * life[x_deal]).astype(np.int64)
    x_ev = np.sort(np.searchsorted(ends, target, side="right"))       # x_deal is unchanged: in deal order
    per_ev = np.bincount(x_ev, minlength=len(ev_stage))
    rank = np.arange(len(x_ev)) - group_starts(per_ev)[x_ev]
    # evenly inside the stay: stays are >= 120 minutes and hold at most 36 rows, so every row
    # gets its own minute strictly between the entries
    x_time = entered[x_ev] + ((rank + 1) * stay[x_ev]) // (per_ev[x_ev] + 1)
    x_kind = rng.integers(1, 3, len(x_ev))                      # 1 amount changed, 2 close date changed

    # rows in (deal, time) order without a sort: each stage entry, then the rows inside its stay
    ev_row = np.arange(len(ev_stage)) + group_starts(per_ev)
    x_row = ev_row[x_ev] + 1 + rank

    def merged(of_events: IntArray, of_extras: IntArray) -> IntArray:
        out = np.empty(len(ev_row) + len(x_row), dtype=np.int64)
        out[ev_row], out[x_row] = of_events, of_extras
        return out

    h_deal = merged(ev_deal, x_deal)
    h_time = merged(entered, x_time)
    h_kind = merged(np.zeros(len(ev_deal), dtype=np.int64), x_kind)
    h_stage = merged(ev_stage, ev_stage[x_ev])
    h_user = merged(ev_user, rep[x_deal])
    counts = np.bincount(h_deal, minlength=n)
    starts = group_starts(counts)

    def version(is_kind: IntArray) -> IntArray:
        """How many changes of this kind are still to come after each row, within its deal."""
        cum = np.cumsum(is_kind)
        total = np.add.reduceat(is_kind, starts)
        done = cum - (cum[starts] - is_kind[starts])[h_deal]
        return total[h_deal] - done

    to_come_a = version((h_kind == 1).astype(np.int64))
    to_come_c = version((h_kind == 2).astype(np.int64))
    n_a = np.maximum(np.bincount(x_deal[x_kind == 1], minlength=n), 1)
    n_c = np.bincount(x_deal[x_kind == 2], minlength=n)
    # the amount grows to its final value; the expected close date slips towards its final value
    # (a closed deal's closing row has the real close date)
    h_amount = np.round(amount[h_deal] * (1 - 0.4 * to_come_a / n_a[h_deal]), 2)
    created_day = entered[d_first] // DAY
    expected = np.where(is_open, close_day, close_day + rng.integers(-20, 31, n))
    step = np.clip((expected - created_day) // (n_c + 1), 1, 14)
    h_close = np.where(h_stage >= WON_I, close_day[h_deal], expected[h_deal] - step[h_deal] * to_come_c)
    return pl.DataFrame({
        "history_id": sf_ids("008", id_numbers(rng, len(h_deal), 20)),
        S.DEAL_ID: deal_ids.gather(h_deal),
        "created_by": user_ids.gather(h_user),
        S.ENTERED_AT: datetimes(h_time),
        S.STAGE: pick(stages, h_stage),
        S.AMOUNT: h_amount,
        S.CLOSE_DATE: dates(h_close),
        "probability": np.array(PROBABILITY)[h_stage],
    })
