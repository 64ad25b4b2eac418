"""The seeded fictional company (Northwind Instruments): teams, reps, deals with their stage
history, and the process problems planted in them, written down as ground truth.

The company runs the toolkit's default process (``toolkit/data/default_process.yaml``, read with
:func:`toolkit.process.load_process`): its open stages, time limits and required fields are the
ones the deals are generated against. See :mod:`toolkit.samples` for what is planted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from toolkit import schema as S
from toolkit.errors import ConfigError
from toolkit.process import Process, load_process
from toolkit.samples.arrays import DAY, IntArray, dates, datetimes, id_numbers, pick, sf_ids, within
from toolkit.samples.fields import Fields, company_names, draw_fields
from toolkit.samples.history import sf_history
from toolkit.samples.names import NAMES, NEXT_STEPS, PRODUCTS, TEAMS
from toolkit.samples.paths import BACKWARD, CATALOG, FLAGS, N_OPEN, SKIPPED, STARTED_LATE, WON_I, path_flags
from toolkit.samples.people import people, team_reps
from toolkit.samples.timeline import Timeline, draw_paths, timeline

# Per-rep deal counts at scale 1 follow a fixed pattern rather than the seed, so that scale_for()
# is exact arithmetic for any seed.
_OPEN_PATTERN = (8, 11, 9, 12, 10)
_CLOSED_PATTERN = (14, 18, 22, 16, 20)


@dataclass(frozen=True)
class Company:
    """One generated company: canonical frames, the planted ground truth, and what the writers need.

    ``deals``, ``stage_events``, ``reps`` use the canonical column names of :mod:`toolkit.schema`;
    ``planted`` has one row per planted problem (deal_id, flag, stage, detail). ``users`` and
    ``roles`` are the Salesforce user and role tables (reps, one manager per team, a VP of sales);
    ``history`` is the Salesforce OpportunityHistory: one row per stage entry plus the rows where
    only the amount or the close date changed. ``process`` is the process the company runs.
    """

    deals: pl.DataFrame
    stage_events: pl.DataFrame
    reps: pl.DataFrame
    planted: pl.DataFrame
    users: pl.DataFrame
    roles: pl.DataFrame
    history: pl.DataFrame
    seed: int
    process: Process


def company_process() -> Process:
    """The default process, which the company configured in every CRM."""
    process = load_process()
    if len(process.stages) != N_OPEN or any(s.max_days is None for s in process.stages):
        raise ConfigError(f"a default process of {N_OPEN} open stages, each with max_days, to generate samples",
                          f"{[(s.name, s.max_days) for s in process.stages]}",
                          "the sample paths are drawn for that shape; change toolkit/samples/paths.py with it")
    return process


def _rep_bases(n_reps: int) -> tuple[IntArray, IntArray]:
    k = np.arange(n_reps)
    return np.array(_OPEN_PATTERN)[k % 5], np.array(_CLOSED_PATTERN)[k % 5]


def scale_for(n_deals: int, *, teams: int = 4) -> float:
    """The ``scale`` that gives about ``n_deals`` deals (within a few deals per rep of rounding).

    At scale 1 each rep has 8-12 open and 14-22 closed deals (a fixed pattern: 1002 deals for the
    default 36 reps), and ``scale`` multiplies both, so ``scale_for(1_000_000)`` is about 998.
    """
    o, c = _rep_bases(team_reps(teams))
    return n_deals / float(o.sum() + c.sum())


def _deals_frame(t: Timeline, f: Fields, stages: list[str], status: IntArray, closed_min: IntArray,
                 deal_ids: pl.Series, users: pl.DataFrame, rep_team: IntArray, teams: int) -> pl.DataFrame:
    n_reps = len(rep_team)
    rep = t.rep
    firsts = [first for pool in NAMES.values() for first in pool[0]]
    lasts = [last for pool in NAMES.values() for last in pool[1]]
    manager_names = users["name"].slice(n_reps, teams)
    currency = np.array([TEAMS[i][1] for i in range(teams)])[rep_team[rep]]
    return pl.DataFrame({
        S.DEAL_ID: deal_ids,
        "_company": pick(company_names(), f.draws["company"]),
        "_product": pick(PRODUCTS, f.draws["product"]),
        S.OWNER_ID: users["user_id"].gather(rep),
        S.OWNER_NAME: users["name"].gather(rep),
        S.TEAM_NAME: pick([name for name, _, _ in TEAMS[:teams]], rep_team[rep]),
        S.MANAGER_NAME: manager_names.gather(rep_team[rep]),
        S.STAGE: pick(stages, t.ev_stage[t.d_last]),
        S.STATUS: pick(S.STATUSES, status),
        S.AMOUNT: f.amount,
        S.CURRENCY: pl.Series(currency, dtype=pl.String),
        S.CREATED_AT: datetimes(t.created),
        S.CLOSED_AT: datetimes(closed_min, ~t.is_open),
        S.CLOSE_DATE: dates(f.close_day),
        S.LAST_ACTIVITY_AT: datetimes(f.last_activity),
        "next_step": pick(NEXT_STEPS, f.draws["next_step"]),
        "_dm_first": pick(firsts, f.draws["dm_first"] % len(firsts)),
        "_dm_last": pick(lasts, f.draws["dm_last"] % len(lasts)),
        "_has_dm": f.has_dm, "_has_ns": f.has_ns,
    }).with_columns(
        pl.int_range(1, pl.len() + 1).over("_company", "_product").alias("_n"),
    ).select(
        S.DEAL_ID,
        pl.concat_str("_company", pl.lit(" - "), "_product", pl.lit(" "), pl.col("_n").cast(pl.String))
        .alias(S.DEAL_NAME),
        S.OWNER_ID, S.OWNER_NAME, S.TEAM_NAME, S.MANAGER_NAME, S.STAGE, S.STATUS, S.AMOUNT, S.CURRENCY,
        S.CREATED_AT, S.CLOSED_AT, S.CLOSE_DATE, S.LAST_ACTIVITY_AT,
        pl.when("_has_ns").then("next_step").alias("next_step"),
        pl.when("_has_dm").then(pl.concat_str("_dm_first", pl.lit(" "), "_dm_last")).alias("decision_maker"),
    )


def _planted(t: Timeline, f: Fields, stages: list[str], deal_ids: pl.Series) -> pl.DataFrame:
    """The ground truth: one row per planted problem, sorted by deal and flag."""
    flags = [path_flags(p) for p, *_ in CATALOG]
    t_flag = np.array([FLAGS.index(fl[0][0]) if fl else -1 for fl in flags])
    t_flag_stage = np.array([fl[0][1] if fl else -1 for fl in flags])
    path_deal = np.flatnonzero(np.isin(t.kind, (SKIPPED, BACKWARD, STARTED_LATE)))
    over_idx = np.flatnonzero(t.ev_over)
    missing, overdue = f.missing, f.overdue
    parts = [
        (path_deal, t_flag[t.tmpl[path_deal]], t_flag_stage[t.tmpl[path_deal]], np.full(len(path_deal), "")),
        (t.ev_deal[over_idx], np.full(len(over_idx), FLAGS.index("over_time_limit")), t.ev_stage[over_idx],
         np.char.add("days=", (t.stay[over_idx] // DAY).astype(str))),
        (np.flatnonzero(missing), np.full(int(missing.sum()), FLAGS.index("missing_required_field")),
         f.miss_stage[missing], np.where(f.miss_dm[missing], "field=decision_maker", "field=next_step")),
        (np.flatnonzero(overdue), np.full(int(overdue.sum()), FLAGS.index("overdue_close_date")),
         t.ev_stage[t.d_last][overdue], np.full(int(overdue.sum()), "")),
    ]
    p_deal = np.concatenate([p[0] for p in parts]).astype(np.int64)
    p_flag = np.concatenate([p[1] for p in parts]).astype(np.int64)
    p_order = np.lexsort((p_flag, p_deal))
    return pl.DataFrame({
        S.DEAL_ID: deal_ids.gather(p_deal[p_order]),
        "flag": pick(FLAGS, p_flag[p_order]),
        S.STAGE: pick(stages, np.concatenate([p[2] for p in parts]).astype(np.int64)[p_order]),
        "detail": pl.Series(np.concatenate([p[3] for p in parts]).astype(str)[p_order], dtype=pl.String),
    }).with_columns(pl.col("detail").replace("", None))


def generate_company(seed: int = 7, *, teams: int = 4, scale: float = 1.0) -> Company:
    """Generate the company: teams, reps, deals with their stage history, and the planted problems.

    ``teams`` (1-11; default 4) teams of 6, 8, 10, 12, 6, ... reps; ``scale`` multiplies the deals
    per rep (see :func:`scale_for`). Deterministic in ``seed``.
    """
    if not 1 <= teams <= len(TEAMS):
        raise ValueError(f"teams must be between 1 and {len(TEAMS)}, got {teams}")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    process = company_process()
    stages = process.stage_names
    limits = tuple(int(s.max_days or 0) for s in process.stages)
    rng = np.random.default_rng(seed)
    users, roles = people(rng, teams)
    n_reps = team_reps(teams)
    rep_team = users["team"].to_numpy()[:n_reps]
    o_base, c_base = _rep_bases(n_reps)
    n_open = np.floor(scale * o_base + 0.5).astype(np.int64)
    per_rep = n_open + np.floor(scale * c_base + 0.5).astype(np.int64)
    n = int(per_rep.sum())
    if n == 0:
        raise ValueError(f"scale {scale} gives no deals; use scale_for(n_deals)")
    rep = np.repeat(np.arange(n_reps), per_rep)
    is_open = within(per_rep) < n_open[rep]
    kind, tmpl = draw_paths(rng, is_open)
    t = timeline(rng, limits, rep, is_open, kind, tmpl)

    d_last = t.d_last
    status = np.where(t.is_open, 0, np.where(t.ev_stage[d_last] == WON_I, 1, 2))
    closed_min = t.entered[d_last]
    f = draw_fields(rng, process, t, closed_min)
    # who moved each stage: the owner, sometimes the team's manager (never for the creation)
    by_manager = (t.ev_pos > 0) & (rng.random(len(t.ev_stage)) < 0.1)
    ev_user = np.where(by_manager, n_reps + rep_team[t.rep][t.ev_deal], t.rep[t.ev_deal])
    deal_ids = sf_ids("006", id_numbers(rng, n, 40))

    deals = _deals_frame(t, f, stages, status, closed_min, deal_ids, users, rep_team, teams)
    stage_events = pl.DataFrame({
        S.DEAL_ID: deal_ids.gather(t.ev_deal),
        S.STAGE: pick(stages, t.ev_stage),
        S.ENTERED_AT: datetimes(t.entered),
        S.CHANGED_BY: users["name"].gather(ev_user),
    })
    reps = users.slice(0, n_reps).select(
        pl.col("user_id").alias(S.OWNER_ID), pl.col("name").alias(S.OWNER_NAME),
        pl.col("team_name").alias(S.TEAM_NAME),
        users["name"].slice(n_reps, teams).gather(rep_team).alias(S.MANAGER_NAME), pl.col("active").alias(S.ACTIVE))
    history = sf_history(rng, stages=stages, n=n, n_ev=t.n_ev, is_open=t.is_open, ev_deal=t.ev_deal,
                         ev_stage=t.ev_stage, entered=t.entered, stay=t.stay, ev_user=ev_user, rep=t.rep,
                         amount=f.amount, close_day=f.close_day, deal_ids=deal_ids, user_ids=users["user_id"])
    return Company(deals=deals, stage_events=stage_events, reps=reps, planted=_planted(t, f, stages, deal_ids),
                   users=users, roles=roles, history=history, seed=seed, process=process)
