"""What the reps typed into each deal: amounts, expected close dates (some overdue), decision maker
and next step (some planted missing), last activity, and which names and texts a deal gets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.process import Process
from toolkit.samples.arrays import AS_OF_DAY, AS_OF_MIN, DAY, BoolArray, FloatArray, IntArray
from toolkit.samples.names import COMPANY_PREFIXES, COMPANY_SPECIALS, COMPANY_SUFFIXES, NEXT_STEPS, PRODUCTS
from toolkit.samples.paths import N_OPEN
from toolkit.samples.timeline import Timeline


def _field_mask(process: Process, name: str) -> int:
    """Bit i set where open stage i requires the field."""
    return sum(1 << i for i, st in enumerate(process.stages) if name in st.required)


@dataclass(frozen=True)
class Fields:
    """The deal fields drawn per deal (in creation order)."""

    amount: FloatArray
    close_day: IntArray
    overdue: BoolArray
    missing: BoolArray
    miss_dm: BoolArray
    miss_stage: IntArray
    has_dm: BoolArray
    has_ns: BoolArray
    last_activity: IntArray
    draws: dict[str, IntArray]


def draw_fields(rng: np.random.Generator, process: Process, t: Timeline, closed_min: IntArray) -> Fields:
    """Amounts, close dates (some overdue), decision maker and next step (some planted missing),
    last activity, and the picks of names and texts."""
    n = len(t.is_open)
    d_first, d_last, is_open = t.d_first, t.d_last, t.is_open
    last_open_entry = np.where(is_open, t.entered[d_last], t.entered[np.maximum(d_last - 1, d_first)])
    open_bits = np.where(t.closing, 0, 1 << np.minimum(t.ev_stage, N_OPEN - 1))
    reached = np.bitwise_or.reduceat(open_bits, d_first)
    raw = np.exp(rng.uniform(np.log(3000), np.log(250_000), n))
    how = rng.random(n)
    amount = np.where(how < 0.4, np.maximum(np.round(raw / 500) * 500, 500),
                      np.where(how < 0.85, np.round(raw / 50) * 50, np.round(raw, 2)))
    overdue = is_open & (rng.random(n) < 0.08)
    close_day = np.where(~is_open, closed_min // DAY,
                         np.where(overdue, AS_OF_DAY - rng.integers(1, 61, n), AS_OF_DAY + rng.integers(1, 151, n)))
    # a missing field is planted only where exactly one reached stage requires it: that stage is named
    req_dm, req_ns = _field_mask(process, "decision_maker"), _field_mask(process, "next_step")
    elig_dm = ((reached & req_dm) != 0) & ((reached & req_dm) != req_dm)
    elig_ns = ((reached & req_ns) != 0) & ((reached & req_ns) != req_ns)
    missing = (elig_dm | elig_ns) & (rng.random(n) < 0.06)
    pick_dm = elig_dm & (~elig_ns | (rng.random(n) < 0.5))
    miss_dm, miss_ns = missing & pick_dm, missing & ~pick_dm
    only = np.where(miss_dm, reached & req_dm, reached & req_ns)
    miss_stage = np.log2(np.maximum(only, 1)).astype(np.int64)
    has_dm = (((reached & req_dm) != 0) | (rng.random(n) < 0.5)) & ~miss_dm
    has_ns = (((reached & req_ns) != 0) | (rng.random(n) < 0.4)) & ~miss_ns
    last_activity = np.where(is_open,
                             last_open_entry + (rng.random(n) * (AS_OF_MIN - last_open_entry)).astype(np.int64),
                             last_open_entry + (rng.random(n) * (closed_min - last_open_entry + 1)).astype(np.int64))
    draws = {name: rng.integers(0, size, n) for name, size in (
        ("company", len(company_names())), ("product", len(PRODUCTS)), ("dm_first", 1 << 30),
        ("dm_last", 1 << 30), ("next_step", len(NEXT_STEPS)))}
    return Fields(amount=amount, close_day=close_day, overdue=overdue, missing=missing, miss_dm=miss_dm,
                   miss_stage=miss_stage, has_dm=has_dm, has_ns=has_ns, last_activity=last_activity, draws=draws)


def company_names() -> list[str]:
    """Every customer name a deal can be named after."""
    return [f"{p} {s}" for p in COMPANY_PREFIXES for s in COMPANY_SUFFIXES] + list(COMPANY_SPECIALS)
