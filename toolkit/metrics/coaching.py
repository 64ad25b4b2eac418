"""Coaching focus: per rep, the one stage where the rep falls furthest behind the team, and only
where the gap is larger than chance on the rep's own numbers.

Two measures per open stage:

- **conversion**: of the rep's deals that left the stage (moved on, or closed, or sit anywhere but
  there), the share that went on (to a later stage or won). Behind beyond chance when the upper
  end of the rep's 95 % Wilson interval is below the team's rate (the team includes the rep).
- **time in stage**: of the rep's completed stays in the stage, the share longer than the team's
  median stay there. By chance about half are; behind beyond chance when the lower end of the
  95 % Wilson interval of that share is above one half.

A rep needs at least ``min_deals`` (default 5) deals or stays in a stage for it to be judged.
The intervals are widened for the number of comparisons judged for the rep (Bonferroni: with m
stage-and-measure comparisons each is made at 95 % / m two-sided), so that picking the worst of
several does not find a "gap" by chance. The gap (team − rep conversion; slow share − ½) decides
the one stage shown.
"""

from __future__ import annotations

import datetime as dt
import math
from statistics import NormalDist

import polars as pl

from toolkit import schema as S
from toolkit.errors import require_columns
from toolkit.frames import native_frames
from toolkit.metrics.pipelines import split_deals
from toolkit.metrics.transitions import LOST, _ordered_events, _transitions
from toolkit.process import Process

Z95 = 1.959963984540054
MIN_DEALS = 5
COACHING_SCHEMA: dict[str, pl.DataType] = {
    S.OWNER_ID: pl.String(), S.OWNER_NAME: pl.String(), S.TEAM_ID: pl.String(), "stage": pl.String(),
    "measure": pl.String(), "rep_hits": pl.Int64(), "rep_n": pl.Int64(), "rep_value": pl.Float64(),
    "team_value": pl.Float64(), "interval_low": pl.Float64(), "interval_high": pl.Float64(), "gap": pl.Float64(),
    "line": pl.String(),
}


def wilson_interval(hits: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of hits / n (95 % by default); (0, 1) when n is 0.

    >>> [round(x, 4) for x in wilson_interval(3, 9)]
    [0.1206, 0.6458]
    """
    if n <= 0:
        return 0.0, 1.0
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _conversion(events: pl.DataFrame, deals: pl.DataFrame, process: Process, as_of: dt.date) -> pl.DataFrame:
    """Per deal and open stage it reached: ``went_on`` (a later open stage or won after it), and
    whether it is decided (not an open deal sitting in that stage now)."""
    n = len(process.stages)
    e = _ordered_events(events, process, as_of).filter(pl.col("_idx").is_not_null())
    reached = e.filter(pl.col("_idx") < n).group_by(S.DEAL_ID, "_idx").agg(pl.col(S.ENTERED_AT).min().alias("_first"))
    later = e.select(S.DEAL_ID, pl.col("_idx").alias("_later_idx"), pl.col(S.ENTERED_AT).alias("_later_at"))
    went = (reached.join(later, on=S.DEAL_ID).filter((pl.col("_later_at") > pl.col("_first"))
                                                     & (pl.col("_later_idx") > pl.col("_idx"))
                                                     & (pl.col("_later_idx") <= n))
            .select(S.DEAL_ID, "_idx").unique().with_columns(pl.lit(True).alias("went_on")))
    current = {s.name: i for i, s in enumerate(process.stages)}
    sitting = deals.filter(pl.col(S.STATUS) == "open").select(
        S.DEAL_ID, pl.col(S.STAGE).replace_strict(current, default=None, return_dtype=pl.Int32).alias("_now"))
    return (reached.join(went, on=[S.DEAL_ID, "_idx"], how="left").join(sitting, on=S.DEAL_ID, how="left")
            .with_columns(pl.col("went_on").fill_null(False))
            .filter(pl.col("went_on") | pl.col("_now").ne_missing(pl.col("_idx").cast(pl.Int32))))


def _candidates(events: pl.DataFrame, deals: pl.DataFrame, process: Process, as_of: dt.date,
                min_deals: int) -> dict[str, list[dict[str, object]]]:
    """Per rep, the stages where the rep is behind the team beyond chance (one process)."""
    names = [s.name for s in process.stages]
    owners = deals.select(S.DEAL_ID, S.OWNER_ID, S.TEAM_ID)
    tests: list[dict[str, object]] = []    # every comparison a rep has enough deals for
    conv = _conversion(events, deals, process, as_of).join(owners, on=S.DEAL_ID, how="inner")
    team_conv = {(r[S.TEAM_ID], r["_idx"]): r["rate"] for r in conv.group_by(S.TEAM_ID, "_idx").agg(
        pl.col("went_on").mean().alias("rate")).iter_rows(named=True)}
    for r in conv.group_by(S.OWNER_ID, S.TEAM_ID, "_idx").agg(pl.col("went_on").sum().alias("h"),
                                                             pl.len().alias("n")).iter_rows(named=True):
        if r["n"] >= min_deals:
            team = team_conv[(r[S.TEAM_ID], r["_idx"])]
            tests.append({"owner": r[S.OWNER_ID], "stage": names[r["_idx"]], "measure": "conversion",
                          "rep_hits": r["h"], "rep_n": r["n"], "rep_value": r["h"] / r["n"], "team_value": team,
                          "gap": team - r["h"] / r["n"]})
    stays = _transitions(events, process, as_of).filter(pl.col("from_stage").is_in(names) & (pl.col("kind") != LOST))
    stays = stays.join(owners, on=S.DEAL_ID, how="inner")
    medians = stays.group_by(S.TEAM_ID, "from_stage").agg(pl.col("days_in_stage").median().alias("_median"))
    slow = stays.join(medians, on=[S.TEAM_ID, "from_stage"]).filter(pl.col("days_in_stage") != pl.col("_median"))
    for r in slow.group_by(S.OWNER_ID, "from_stage").agg(
            (pl.col("days_in_stage") > pl.col("_median")).sum().alias("h"), pl.len().alias("n"),
            pl.col("_median").first(), pl.col("days_in_stage").median().alias("_rep_median")).iter_rows(named=True):
        if r["n"] >= min_deals:
            tests.append({"owner": r[S.OWNER_ID], "stage": r["from_stage"], "measure": "days_in_stage",
                          "rep_hits": r["h"], "rep_n": r["n"], "rep_value": r["_rep_median"],
                          "team_value": r["_median"], "gap": r["h"] / r["n"] - 0.5})
    judged: dict[str, int] = {}
    for t in tests:
        judged[str(t["owner"])] = judged.get(str(t["owner"]), 0) + 1
    candidates: dict[str, list[dict[str, object]]] = {}
    for t in tests:
        owner = str(t.pop("owner"))
        low, high = wilson_interval(int(t["rep_hits"]), int(t["rep_n"]),  # type: ignore[call-overload]
                                    _z(judged[owner]))
        behind = high < float(t["team_value"]) if t["measure"] == "conversion" else low > 0.5  # type: ignore[arg-type]
        if behind:
            candidates.setdefault(owner, []).append({**t, "interval_low": low, "interval_high": high})
    return candidates


def _z(comparisons: int) -> float:
    """The two-sided 95 % z, Bonferroni-corrected for a rep's ``comparisons`` (stages x measures):
    picking the worst of eight comparisons would otherwise find a "gap" in one rep of three."""
    return NormalDist().inv_cdf(1 - 0.05 / (2 * max(1, comparisons)))


@native_frames
def coaching_focus(events: pl.DataFrame, deals: pl.DataFrame, process: Process, as_of: dt.date, *,
                   min_deals: int = MIN_DEALS) -> pl.DataFrame:
    """One row per rep of ``deals``: ``owner_id, owner_name, team_id``, the stage where the rep is
    furthest behind the team beyond chance (null when none), ``measure`` ("conversion" or
    "days_in_stage"), ``rep_hits`` of ``rep_n`` (deals that went on / stays longer than the team
    median), ``rep_value``, ``team_value`` (team conversion, or team median days), the rep's 95 %
    Wilson interval, ``gap``, and ``line``, one sentence a manager reads in a one-on-one."""
    require_columns(events, [S.DEAL_ID, S.STAGE, S.ENTERED_AT], "stage_events")
    require_columns(deals, [S.DEAL_ID, S.OWNER_ID, S.OWNER_NAME, S.TEAM_ID, S.STAGE, S.STATUS], "deals")
    candidates: dict[str, list[dict[str, object]]] = {}
    parts = split_deals(deals, events, process) or [(None, process, deals, events)]
    for pipeline, proc, part_deals, part_events in parts:
        for owner, found in _candidates(part_events, part_deals, proc, as_of, min_deals).items():
            label = f" ({pipeline})" if len(parts) > 1 and pipeline is not None else ""
            candidates.setdefault(owner, []).extend({**c, "stage": f"{c['stage']}{label}"} for c in found)
    reps = deals.group_by(S.OWNER_ID).agg(pl.col(S.OWNER_NAME).drop_nulls().first(), pl.col(S.TEAM_ID).first())
    rows = []
    for rep in reps.sort(S.TEAM_ID, S.OWNER_ID).iter_rows(named=True):
        found = sorted(candidates.get(rep[S.OWNER_ID], []),
                       key=lambda c: (-float(c["gap"]), str(c["stage"])))  # type: ignore[arg-type]
        best = found[0] if found else {}
        rows.append({**rep, **{c: best.get(c) for c in COACHING_SCHEMA if c not in rep},
                     "line": _line(str(rep[S.OWNER_NAME] or rep[S.OWNER_ID]), best, min_deals)})
    return pl.DataFrame(rows, schema=COACHING_SCHEMA)


def _line(name: str, c: dict[str, object], min_deals: int) -> str:
    if not c:
        return (f"{name}: no stage where the rep is behind the team beyond chance "
                f"(judged where the rep has at least {min_deals} deals or stays)")
    if c["measure"] == "conversion":
        return (f"{name}: {c['rep_hits']} of {c['rep_n']} deals went on from {c['stage']}, "
                f"team {float(c['team_value']):.0%}")  # type: ignore[arg-type]
    return (f"{name}: {c['rep_hits']} of {c['rep_n']} stays in {c['stage']} took longer than the team's median "
            f"of {float(c['team_value']):.0f} days (rep's median {float(c['rep_value']):.0f})")  # type: ignore[arg-type]
