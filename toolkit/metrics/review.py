"""The manager's review time: the full review against a sample, and this week's review plan.

Reviewing every open deal costs open deals × minutes per deal; reviewing a sample of k deals per
rep costs min(open, k) × minutes per rep. The plan picks the k deals where the data shows the
process slipping, plus one random audit pick that reps cannot predict.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import polars as pl

from toolkit import schema as S
from toolkit.frames import native_frames
from toolkit.metrics.compliance import FLAG_LABELS, SEVERITY, violations
from toolkit.metrics.transitions import _end_of
from toolkit.process import Process

CONFIDENCE = 0.95


def clean_sample_bound(k: int, confidence: float = CONFIDENCE) -> float:
    """If all k reviewed deals are in process, the upper bound (at ``confidence``) on the rep's
    share of out-of-process deals: 1 − (1 − confidence)^(1/k). k=3 gives 0.632: a clean sample of
    three says little, which is why the plan picks deals where problems are likely."""
    if k <= 0:
        return 1.0
    return float(1.0 - (1.0 - confidence) ** (1.0 / k))


@native_frames
def review_load(deals: pl.DataFrame, process: Process, *, reps: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per team: ``reps``, ``open`` deals, ``review_hours_full`` (open × minutes_per_deal / 60),
    ``review_hours_sampled`` (Σ over reps of min(open, k) × minutes / 60), each as a share of the
    manager's week (``share_full``, ``share_sampled``), and ``hours_freed``.

    ``reps`` counts every rep of the team (a rep with no open deal costs no review time); without
    it, the reps are the owners of the team's deals.
    """
    r = process.review
    per_rep = (deals.filter(pl.col(S.STATUS) == "open").group_by(S.TEAM_ID, S.OWNER_ID)
               .agg(pl.len().alias("open")))
    if reps is not None and not reps.is_empty():
        roster = reps.select(S.TEAM_ID, S.OWNER_ID).unique()
    else:
        roster = deals.select(S.TEAM_ID, S.OWNER_ID).unique()
    per_rep = roster.join(per_rep, on=[S.TEAM_ID, S.OWNER_ID], how="full", coalesce=True).with_columns(
        pl.col("open").fill_null(0))
    names = pl.concat([deals.select(S.TEAM_ID, S.TEAM_NAME, S.MANAGER_NAME),
                       *([reps.select(S.TEAM_ID, S.TEAM_NAME, S.MANAGER_NAME)] if reps is not None else [])])
    names = names.group_by(S.TEAM_ID).agg(pl.col(S.TEAM_NAME).drop_nulls().first(),
                                          pl.col(S.MANAGER_NAME).drop_nulls().mode().sort().first())
    minutes, k, week = r.minutes_per_deal, r.sample_per_rep, r.manager_hours_per_week
    out = per_rep.group_by(S.TEAM_ID).agg(
        pl.col(S.OWNER_ID).filter(pl.col(S.OWNER_ID).is_not_null()).n_unique().alias("reps"),
        pl.col("open").sum().alias("open"),
        pl.min_horizontal(pl.col("open"), pl.lit(k)).sum().alias("_sampled"))
    out = out.join(names, on=S.TEAM_ID, how="left").with_columns(
        (pl.col("open") * minutes / 60).alias("review_hours_full"),
        (pl.col("_sampled") * minutes / 60).alias("review_hours_sampled"),
    ).with_columns(
        (pl.col("review_hours_full") / week).alias("share_full"),
        (pl.col("review_hours_sampled") / week).alias("share_sampled"),
        (pl.col("review_hours_full") - pl.col("review_hours_sampled")).alias("hours_freed"),
    )
    return out.select(S.TEAM_ID, S.TEAM_NAME, S.MANAGER_NAME, pl.col("reps").cast(pl.Int64),
                      pl.col("open").cast(pl.Int64), "review_hours_full", "review_hours_sampled", "share_full",
                      "share_sampled", "hours_freed").sort(S.TEAM_ID)


def _rep_seed(seed: int, owner_id: str, as_of: dt.date) -> int:
    # A stable hash (not Python's salted hash()) so the same inputs give the same plan anywhere.
    digest = hashlib.sha256(f"{seed}|{owner_id}|{as_of.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


@native_frames
def review_plan(deals: pl.DataFrame, flags: pl.DataFrame, events: pl.DataFrame, process: Process, *,
                as_of: dt.date, seed: int = 0) -> pl.DataFrame:
    """For each rep, the k deals (``review.sample_per_rep``) to review this week, each with its
    reason:

    1. ``violation``: deals with a flag the process does not allow, most severe flag first, then
       the largest amount;
    2. ``longest in stage``: then the open deals that have sat longest in their current stage
       (known only from a stage entry); ``largest amount`` fills the slots left where it is not known;
    3. ``audit``: the last slot (when the rep gets two or more picks) is a random open deal from a
       generator seeded with (seed, rep, as_of): the same inputs give the same plan, another seed
       another, and reps cannot predict it.

    Columns: ``owner_id, owner_name, team_id, deal_id, deal_name, rank, reason, detail, amount,
    currency, stage, days_in_stage, clean_sample_bound`` (the bound is per rep, see
    :func:`clean_sample_bound`).
    """
    k = process.review.sample_per_rep
    allowed = set(violations(process))
    open_deals = deals.filter(pl.col(S.STATUS) == "open")
    # Days in the current stage: since the last stage entry. Without one it is not known (the
    # deal's age is not its time in stage: a deal may have moved many times unrecorded).
    last_entry = (events.filter(pl.col(S.ENTERED_AT) <= _end_of(as_of)).group_by(S.DEAL_ID)
                  .agg(pl.col(S.ENTERED_AT).max().alias("_entered")))
    today = dt.datetime.combine(as_of, dt.time())
    od = open_deals.join(last_entry, on=S.DEAL_ID, how="left").with_columns(
        ((pl.lit(today) - pl.col("_entered")).dt.total_seconds(fractional=True) / 86400.0)
        .alias("days_in_stage"))
    f = flags.filter(pl.col("flag").is_in(list(allowed))).with_columns(
        pl.col("flag").replace_strict(SEVERITY, return_dtype=pl.Int32).alias("_sev"))
    worst = (f.sort("_sev", descending=True).group_by(S.DEAL_ID, maintain_order=True)
             .agg(pl.col("_sev").first(), pl.col("flag").first().alias("_flag"),
                  pl.col("detail").first().alias("_detail"), pl.col("stage").first().alias("_fstage")))
    od = od.join(worst, on=S.DEAL_ID, how="left")
    cols = [S.OWNER_ID, S.OWNER_NAME, S.TEAM_ID, S.DEAL_ID, S.DEAL_NAME, S.AMOUNT, S.CURRENCY, S.STAGE,
            "days_in_stage", "_sev", "_flag", "_detail", "_fstage"]
    rows: list[dict[str, object]] = []
    for (owner,), group in od.select(cols).sort(S.DEAL_ID).group_by([S.OWNER_ID], maintain_order=True):
        n_pick = min(k, group.height)
        if n_pick == 0:
            continue
        audit_slot = 1 if n_pick >= 2 else 0
        ranked = group.sort(["_sev", S.AMOUNT, "days_in_stage", S.DEAL_ID],
                            descending=[True, True, True, False], nulls_last=True)
        chosen: list[tuple[dict[str, object], str, str]] = []
        for d in ranked.filter(pl.col("_sev").is_not_null()).head(n_pick - audit_slot).iter_rows(named=True):
            chosen.append((d, "violation", f"{FLAG_LABELS.get(d['_flag'], d['_flag'])}: {d['_detail']}"))
        taken = {c[0][S.DEAL_ID] for c in chosen}
        rest = group.filter(~pl.col(S.DEAL_ID).is_in(list(taken)) & pl.col("days_in_stage").is_not_null()).sort(
            ["days_in_stage", S.DEAL_ID], descending=[True, False])
        for d in rest.head(n_pick - audit_slot - len(chosen)).iter_rows(named=True):
            chosen.append((d, "longest in stage", f"{d['days_in_stage']:.0f} days in {d[S.STAGE]}"))
        taken = {c[0][S.DEAL_ID] for c in chosen}
        unknown = group.filter(~pl.col(S.DEAL_ID).is_in(list(taken))).sort(
            [S.AMOUNT, S.DEAL_ID], descending=[True, False], nulls_last=True)
        for d in unknown.head(n_pick - audit_slot - len(chosen)).iter_rows(named=True):
            chosen.append((d, "largest amount", "largest open amount (days in stage not known)"))
        taken = {c[0][S.DEAL_ID] for c in chosen}
        pool = group.filter(~pl.col(S.DEAL_ID).is_in(list(taken))).sort(S.DEAL_ID)
        if len(chosen) < n_pick and pool.height:
            rng = np.random.default_rng(_rep_seed(seed, str(owner), as_of))
            d = pool.row(int(rng.integers(pool.height)), named=True)
            chosen.append((d, "audit", "random audit pick"))
        bound = clean_sample_bound(len(chosen))
        for rank, (d, reason, detail) in enumerate(chosen, start=1):
            rows.append({S.OWNER_ID: d[S.OWNER_ID], S.OWNER_NAME: d[S.OWNER_NAME], S.TEAM_ID: d[S.TEAM_ID],
                         S.DEAL_ID: d[S.DEAL_ID], S.DEAL_NAME: d[S.DEAL_NAME], "rank": rank, "reason": reason,
                         "detail": detail, S.AMOUNT: d[S.AMOUNT], S.CURRENCY: d[S.CURRENCY], S.STAGE: d[S.STAGE],
                         "days_in_stage": d["days_in_stage"], "clean_sample_bound": bound})
    schema = {S.OWNER_ID: pl.String, S.OWNER_NAME: pl.String, S.TEAM_ID: pl.String, S.DEAL_ID: pl.String,
              S.DEAL_NAME: pl.String, "rank": pl.Int64, "reason": pl.String, "detail": pl.String,
              S.AMOUNT: pl.Float64, S.CURRENCY: pl.String, S.STAGE: pl.String, "days_in_stage": pl.Float64,
              "clean_sample_bound": pl.Float64}
    return pl.DataFrame(rows, schema=schema).sort(S.TEAM_ID, S.OWNER_ID, "rank")
