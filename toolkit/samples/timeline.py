"""When things happen: each deal's path through the stages, how long it stays in each, when it was
created, with the planted over-limit stays. Deals come out in creation order (ids follow it)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.samples.arrays import AS_OF_MIN, DAY, BoolArray, IntArray, group_starts, within
from toolkit.samples.paths import BACKWARD, CATALOG, KIND_P, KINDS, OVER, WON_I

_MIN_STAY = 120                      # minutes; room for the history rows inside a stay
_CLOSED_LIMIT = 99                   # days; won and lost have no limit (their stays are 0 anyway)


@dataclass(frozen=True)
class Timeline:
    """Per deal (``rep`` .. ``created``, in creation order) and per stage entry (``ev_*``, ``stay``,
    ``entered``, grouped by deal in path order). Times are minutes from HISTORY_START."""

    rep: IntArray
    is_open: BoolArray
    kind: IntArray
    tmpl: IntArray
    n_ev: IntArray
    created: IntArray
    ev_deal: IntArray
    ev_stage: IntArray
    ev_pos: IntArray
    stay: IntArray
    entered: IntArray
    ev_over: BoolArray

    @property
    def d_first(self) -> IntArray:
        """Each deal's first stage entry."""
        return group_starts(self.n_ev)

    @property
    def d_last(self) -> IntArray:
        """Each deal's last stage entry."""
        return self.d_first + self.n_ev - 1

    @property
    def closing(self) -> BoolArray:
        """Entries into won or lost."""
        return self.ev_stage >= WON_I


def draw_paths(rng: np.random.Generator, is_open: BoolArray) -> tuple[IntArray, IntArray]:
    """(kind, path template) per deal: the kind by its share, the template by its weight."""
    n = len(is_open)
    kind = rng.choice(len(KINDS), size=n, p=KIND_P)
    tmpl = np.empty(n, dtype=np.int64)
    for k in range(len(KINDS)):
        for openness in (True, False):
            mask = (kind == k) & (is_open == openness)
            ids = [i for i, (_, kk, o, _) in enumerate(CATALOG) if kk == k and o == openness]
            w = np.array([CATALOG[i][3] for i in ids])
            tmpl[mask] = np.array(ids)[rng.choice(len(ids), size=int(mask.sum()), p=w / w.sum())]
    return kind, tmpl


def timeline(rng: np.random.Generator, limits: tuple[int, ...], rep: IntArray, is_open: BoolArray,
             kind: IntArray, tmpl: IntArray) -> Timeline:
    """Stays and entry times for the drawn paths, ``limits`` being the open stages' max days."""
    n = len(is_open)
    t_len = np.array([len(p) for p, *_ in CATALOG])
    t_start = group_starts(t_len)
    t_flat = np.concatenate([np.array(p) for p, *_ in CATALOG])

    n_ev = t_len[tmpl]
    ev_deal = np.repeat(np.arange(n), n_ev)
    ev_pos = within(n_ev)
    ev_stage = t_flat[t_start[tmpl][ev_deal] + ev_pos]
    ev_last = ev_pos == n_ev[ev_deal] - 1
    closing = ev_stage >= WON_I

    # stays (minutes until the next entry; for an open deal's current stage, until AS_OF 00:00)
    max_days = np.array((*limits, _CLOSED_LIMIT, _CLOSED_LIMIT))[ev_stage]
    hi = np.where(ev_last, max_days - 2, max_days - 1) * DAY
    # short stays in backward deals: HubSpot keeps only the latest entries, and the lost ones must
    # not add up to an apparent over-limit stay there
    hi = np.where(kind[ev_deal] == BACKWARD, np.minimum(hi, 3 * DAY), hi)
    stay = rng.integers(_MIN_STAY, hi + 1)
    stay[closing] = 0
    is_over = kind == OVER
    n_seg = n_ev - (~is_open)
    over_ev = (group_starts(n_ev) + np.floor(rng.random(n) * n_seg).astype(np.int64))[is_over]
    over_days = np.array(limits)[ev_stage[over_ev]] + rng.integers(1, 26, len(over_ev))
    stay[over_ev] = over_days * DAY + rng.integers(0, 600, len(over_ev))
    ev_over = np.zeros(len(stay), dtype=bool)
    ev_over[over_ev] = True

    total = np.add.reduceat(stay, group_starts(n_ev))
    span = np.maximum(AS_OF_MIN - DAY - total, 1)
    created = np.where(is_open, AS_OF_MIN - total, (rng.random(n) * span).astype(np.int64))
    excl = np.cumsum(stay) - stay
    entered = created[ev_deal] + excl - excl[group_starts(n_ev)][ev_deal]

    # ids follow creation time, as in Salesforce: reorder deals (and their events) by created
    order = np.argsort(created, kind="stable")
    ev_order = np.repeat(group_starts(n_ev)[order], n_ev[order]) + within(n_ev[order])
    return Timeline(rep=rep[order], is_open=is_open[order], kind=kind[order], tmpl=tmpl[order],
                    n_ev=n_ev[order], created=created[order], ev_deal=np.repeat(np.arange(n), n_ev[order]),
                    ev_stage=ev_stage[ev_order], ev_pos=ev_pos[ev_order], stay=stay[ev_order],
                    entered=entered[ev_order], ev_over=ev_over[ev_order])
