"""Two pandas implementations of the transition and compliance logic, written for the benchmark
only (the toolkit has one implementation, in polars):

- ``vectorized``: sort, groupby-shift, masks, as a competent analyst would write it;
- ``apply``: a Python function per deal through ``groupby(...).apply``.

Both return the same counts as the toolkit: transitions per kind and deals per flag.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from toolkit.process import Process

DAY = pd.Timedelta(days=1)


def _codes(process: Process) -> dict[str, int]:
    codes = {s.name: i for i, s in enumerate(process.stages)}
    codes[process.won.name] = len(process.stages)
    codes[process.lost.name] = len(process.stages) + 1
    return codes


def vectorized(deals: pd.DataFrame, events: pd.DataFrame, process: Process, as_of: dt.date) -> tuple[dict, dict]:
    n = len(process.stages)
    end = pd.Timestamp(dt.datetime.combine(as_of, dt.time.max))
    today = pd.Timestamp(as_of)
    e = events.loc[events["entered_at"] <= end, ["deal_id", "stage", "entered_at", "source_line"]]
    e = e.sort_values(["deal_id", "entered_at", "source_line"], kind="stable").reset_index(drop=True)
    e["idx"] = e["stage"].map(_codes(process))
    g = e.groupby("deal_id", sort=False)
    e["from_idx"] = g["idx"].shift(1)
    e["from_at"] = g["entered_at"].shift(1)
    e["next_at"] = g["entered_at"].shift(-1)
    t = e[e["from_at"].notna()]
    f, to = t["from_idx"], t["idx"]
    kind = np.select(
        [f.isna() | to.isna(),
         (f < n) & (to < n) & (to == f + 1), (f < n) & (to < n) & (to > f + 1), (f < n) & (to < n) & (to < f),
         (f < n) & (to == n) & (f == n - 1), (f < n) & (to == n), (f < n) & (to == n + 1),
         (f >= n) & (to < n), (f >= n) & (to >= n) & (f != to)],
        ["unknown", "forward", "skip", "backward", "won", "skip", "lost", "reopen", "reclassify"], default="unknown")
    kinds = pd.Series(kind).value_counts().to_dict()
    flagged: dict[str, set] = {}
    flagged["skipped_stage"] = set(t.loc[kind == "skip", "deal_id"])
    flagged["backward_move"] = set(t.loc[kind == "backward", "deal_id"])
    is_open = deals.set_index("deal_id")["status"].eq("open")
    e["open"] = e["deal_id"].map(is_open).fillna(False).astype(bool)
    stay_end = e["next_at"].where(e["next_at"].notna(), np.where(e["open"], today, pd.NaT))
    stay_end = pd.to_datetime(stay_end)
    days = (stay_end - e["entered_at"]) / DAY
    limits = e["stage"].map({s.name: s.max_days for s in process.stages if s.max_days is not None})
    over = (e["idx"] < n) & days.notna() & limits.notna() & (days > limits)
    flagged["over_time_limit"] = set(e.loc[over, "deal_id"])
    first = e.drop_duplicates("deal_id")
    flagged["started_late"] = set(first.loc[first["idx"].notna() & (first["idx"] > 0), "deal_id"])
    reached = pd.concat([e[["deal_id", "stage"]], deals.loc[deals["stage"].isin([s.name for s in process.stages]),
                                                            ["deal_id", "stage"]]]).drop_duplicates()
    missing: set = set()
    for s in process.stages:
        ids = reached.loc[reached["stage"] == s.name, "deal_id"]
        for field in s.required:
            col = deals.set_index("deal_id")[field] if field in deals.columns else None
            if col is None:
                missing |= set(ids)
            else:
                empty = col.isna() | (col.astype("string").str.strip() == "")
                missing |= set(ids[ids.map(empty).fillna(False).astype(bool)])
    flagged["missing_required_field"] = missing
    overdue = (deals["status"] == "open") & (pd.to_datetime(deals["close_date"]) < today)
    flagged["overdue_close_date"] = set(deals.loc[overdue, "deal_id"])
    return kinds, {k: len(v) for k, v in flagged.items()}


def apply(deals: pd.DataFrame, events: pd.DataFrame, process: Process, as_of: dt.date) -> tuple[dict, dict]:
    n = len(process.stages)
    codes = _codes(process)
    limits = {s.name: s.max_days for s in process.stages}
    required = {s.name: s.required for s in process.stages}
    end = pd.Timestamp(dt.datetime.combine(as_of, dt.time.max))
    today = pd.Timestamp(as_of)
    info = deals.set_index("deal_id")
    e = events.loc[events["entered_at"] <= end].sort_values(["deal_id", "entered_at", "source_line"], kind="stable")

    def one(group: pd.DataFrame) -> pd.Series:
        deal = info.loc[group.name]
        stages = group["stage"].tolist()
        times = group["entered_at"].tolist()
        kinds: list[str] = []
        flags: set[str] = set()
        for i in range(1, len(stages)):
            f, to = codes.get(stages[i - 1]), codes.get(stages[i])
            if f is None or to is None:
                k = "unknown"
            elif f < n and to < n:
                k = "forward" if to == f + 1 else "skip" if to > f + 1 else "backward" if to < f else "unknown"
            elif f < n and to == n:
                k = "won" if f == n - 1 else "skip"
            elif f < n and to == n + 1:
                k = "lost"
            elif f >= n and to < n:
                k = "reopen"
            else:
                k = "reclassify" if f != to else "unknown"
            kinds.append(k)
            if k == "skip":
                flags.add("skipped_stage")
            if k == "backward":
                flags.add("backward_move")
        for i, st in enumerate(stages):
            stop = times[i + 1] if i + 1 < len(times) else (today if deal["status"] == "open" else None)
            if stop is not None and limits.get(st) is not None and (stop - times[i]) / DAY > limits[st]:
                flags.add("over_time_limit")
        if stages and codes.get(stages[0]) not in (None, 0):
            flags.add("started_late")
        for st in set(stages) | ({deal["stage"]} if deal["stage"] in required else set()):
            for field in required.get(st, ()):
                v = deal.get(field)
                if v is None or pd.isna(v) or str(v).strip() == "":
                    flags.add("missing_required_field")
        return pd.Series({"kinds": kinds, "flags": flags})

    per_deal = e.groupby("deal_id").apply(one, include_groups=False)
    kinds = pd.Series([k for ks in per_deal["kinds"] for k in ks]).value_counts().to_dict()
    counts: dict[str, int] = {}
    for fl in per_deal["flags"]:
        for f in fl:
            counts[f] = counts.get(f, 0) + 1
    overdue = (deals["status"] == "open") & (pd.to_datetime(deals["close_date"]) < today)
    counts["overdue_close_date"] = int(overdue.sum())
    return kinds, counts
