"""One figures model: every figure of a load computed once, then read per team by the CLI, the
slices, the notebooks and the org page alike (reporting only serialises and renders it).

>>> figs = compute_figures(data.deals, data.stage_events, data.reps, process, as_of)  # doctest: +SKIP
>>> team = figs.team("dach-1a2b3c"); team.compliance.period_rate, team.verdict  # doctest: +SKIP

Frames inside the model are polars; their columns are those of the function that made them
(named beside each field).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from toolkit import schema as S
from toolkit.errors import UnknownTeamError, require_columns
from toolkit.frames import to_polars
from toolkit.metrics.changes import DEFAULT_WINDOW_DAYS, Basis, DealChanges, compute_changes
from toolkit.metrics.coaching import coaching_focus
from toolkit.metrics.compliance import FLAGS, _compliance, _flags, compliance_rates
from toolkit.metrics.control import NOT_ENOUGH
from toolkit.metrics.control_charts import ControlChart, control_charts
from toolkit.metrics.counts import deal_counts, pipeline_by_currency
from toolkit.metrics.funnel import stage_conversion, time_in_stage
from toolkit.metrics.period import period_bounds, period_compliance, rule_rates
from toolkit.metrics.review import clean_sample_bound, review_load, review_plan
from toolkit.metrics.transitions import TRANSITION_KINDS, UNKNOWN, _transitions
from toolkit.metrics.weekly import weekly_process_measures
from toolkit.process import Process

FIGURES_VERSION = 2
#: The measure whose verdict is the team's headline "in control?" answer.
HEADLINE_MEASURE = "in_process_share"
WEEKS = 26


@dataclass(frozen=True)
class ReviewFigures:
    """The manager's review time (see ``review_load``, ``clean_sample_bound``)."""

    reps: int
    open: int
    hours_full: float
    hours_sampled: float
    share_full: float
    share_sampled: float
    hours_freed: float
    minutes_per_deal: float
    sample_per_rep: int
    manager_hours_per_week: float
    clean_sample_bound: float


@dataclass(frozen=True)
class RuleRate:
    """One compliance rule: deals it could be checked on, deals breaking it, and the share."""

    rule: str
    label: str
    checked: int
    flagged: int
    share: float | None


@dataclass(frozen=True)
class ComplianceFigures:
    """Compliance all time and over the deals active in the reporting period, and per rule."""

    deals: int
    compliant: int
    rate: float | None
    period_weeks: int
    period_start: dt.datetime
    period_deals: int
    period_compliant: int
    period_rate: float | None
    has_history: bool
    rules: tuple[RuleRate, ...]          # all time
    period_rules: tuple[RuleRate, ...]   # deals active in the period


@dataclass(frozen=True)
class CoachingLine:
    """A rep's coaching focus (``coaching_focus`` columns); ``stage`` is None when no stage
    stands out beyond chance."""

    owner_id: str
    owner_name: str | None
    stage: str | None
    measure: str | None
    rep_hits: int | None
    rep_n: int | None
    rep_value: float | None
    team_value: float | None
    gap: float | None
    line: str


@dataclass(frozen=True, eq=False)
class TeamTables:
    """The team's tables (polars), each with the columns of the function named."""

    deals: pl.DataFrame          # the team's deals (canonical columns)
    counts: pl.DataFrame         # deal_counts(by="rep")
    load: pl.DataFrame           # review_load
    plan: pl.DataFrame           # review_plan
    rates: pl.DataFrame          # compliance_rates(by="owner_id") + period_compliance(by="owner_id")
    flags: pl.DataFrame          # deal_flags + deal_name, owner_name
    conversion: pl.DataFrame     # stage_conversion
    time_in_stage: pl.DataFrame  # time_in_stage
    weekly: pl.DataFrame         # weekly_process_measures
    pipeline: pl.DataFrame       # pipeline_by_currency(by="team")
    coaching: pl.DataFrame       # coaching_focus

    def as_dict(self) -> dict[str, pl.DataFrame]:
        return dict(self.__dict__)


@dataclass(frozen=True, eq=False)
class TeamFigures:
    """Everything one team's report shows."""

    team_id: str
    team_name: str | None
    manager_name: str | None
    as_of: dt.date
    process: str
    reps: int
    open: int
    won: int
    lost: int
    review: ReviewFigures
    compliance: ComplianceFigures
    control: tuple[ControlChart, ...]
    changes: DealChanges
    coaching: tuple[CoachingLine, ...]
    tables: TeamTables

    @property
    def headline_control(self) -> ControlChart | None:
        """The chart behind the headline verdict (the weekly in-process share)."""
        return next((c for c in self.control if c.measure == HEADLINE_MEASURE and c.pipeline is None), None)

    @property
    def verdict(self) -> str:
        chart = self.headline_control
        return chart.verdict if chart is not None else NOT_ENOUGH

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: scalars and nested objects (the tables are left to the caller)."""
        return {
            "figures_version": FIGURES_VERSION, S.TEAM_ID: self.team_id, S.TEAM_NAME: self.team_name,
            S.MANAGER_NAME: self.manager_name, "as_of": self.as_of.isoformat(), "process": self.process,
            "reps": self.reps, "open": self.open, "won": self.won, "lost": self.lost,
            "review": dict(self.review.__dict__), "compliance": _compliance_dict(self.compliance),
            "verdict": self.verdict, "control": [c.to_dict() for c in self.control],
            "changes": self.changes.to_dict(), "coaching": [dict(c.__dict__) for c in self.coaching],
        }


def _compliance_dict(c: ComplianceFigures) -> dict[str, Any]:
    d = {k: v for k, v in c.__dict__.items() if k not in ("rules", "period_rules", "period_start")}
    return {**d, "period_start": c.period_start.isoformat(), "rules": [dict(r.__dict__) for r in c.rules],
            "period_rules": [dict(r.__dict__) for r in c.period_rules]}


def _rules(frame: pl.DataFrame) -> tuple[RuleRate, ...]:
    return tuple(RuleRate(**r) for r in frame.iter_rows(named=True))


@dataclass(frozen=True, eq=False)
class Figures:
    """The figures of a whole load: per team, plus the load-wide tables."""

    as_of: dt.date
    teams: tuple[TeamFigures, ...]
    reps: pl.DataFrame           # deal_counts(by="rep") + compliance per rep
    transitions: pl.DataFrame    # stage_transitions
    flags: pl.DataFrame          # deal_flags
    compliance: pl.DataFrame     # deal_compliance
    changes: DealChanges

    def team(self, team_id: str) -> TeamFigures:
        for t in self.teams:
            if t.team_id == team_id:
                return t
        raise UnknownTeamError(f"one of the teams {[t.team_id for t in self.teams]}", repr(team_id),
                               "use a team_id from `toolkit load --json` or the index page")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``toolkit metrics --json``."""
        kinds = dict(self.transitions.group_by("kind").len().iter_rows())
        flagged = dict(self.flags.select(S.DEAL_ID, "flag").unique().group_by("flag").len().iter_rows()) \
            if self.flags.height else {}
        teams = [{S.TEAM_ID: t.team_id, S.TEAM_NAME: t.team_name, S.MANAGER_NAME: t.manager_name, "reps": t.reps,
                  "open": t.open, "won": t.won, "lost": t.lost, "review_hours_full": t.review.hours_full,
                  "review_hours_sampled": t.review.hours_sampled, "compliance_rate": t.compliance.rate,
                  "period_compliance_rate": t.compliance.period_rate, "verdict": t.verdict} for t in self.teams]
        rep_cols = [S.OWNER_ID, S.OWNER_NAME, S.TEAM_ID, "open", "won", "lost", "flagged", "compliance_rate",
                    "period_deals", "period_rate"]
        return {
            "as_of": self.as_of.isoformat(), "teams": teams, "reps": self.reps.select(rep_cols).to_dicts(),
            "transitions": {k: int(kinds.get(k, 0)) for k in (*TRANSITION_KINDS, UNKNOWN)},
            "deals_flagged": {f: int(flagged.get(f, 0)) for f in FLAGS},
            "compliance": [{S.TEAM_ID: t.team_id, **_compliance_dict(t.compliance)} for t in self.teams],
            "changes": self.changes.to_dict(),
            "control": [c.to_dict() for t in self.teams for c in t.control],
            "coaching": [{S.TEAM_ID: t.team_id, **c.__dict__} for t in self.teams for c in t.coaching],
        }


def compute_figures(deals: Any, events: Any, reps: Any, process: Process, as_of: dt.date, *,
                    states: Any = None, states_basis: Basis | None = None, window_days: int = DEFAULT_WINDOW_DAYS,
                    seed: int = 0, weeks: int = WEEKS, teams: list[str] | None = None) -> Figures:
    """Every figure of a load, once (pandas or polars frames in; the model holds polars).

    ``states``: the deals' states over time (``schema.DEAL_STATES``: ``Dataset.deal_states``, or two
    exports compared by ``toolkit.loaders.states.states_from_two_exports``, then with
    ``states_basis="previous export"``); ``teams``: only these team ids (default every team).
    """
    deals, _ = to_polars(deals, "deals")
    events, _ = to_polars(events, "stage_events")
    reps, _ = to_polars(reps, "reps")
    require_columns(deals, [S.DEAL_ID, S.OWNER_ID, S.OWNER_NAME, S.TEAM_ID, S.TEAM_NAME, S.MANAGER_NAME, S.STAGE,
                            S.STATUS, S.AMOUNT, S.CURRENCY, S.CREATED_AT, S.CLOSED_AT, S.CLOSE_DATE], "deals")
    require_columns(events, [S.DEAL_ID, S.STAGE, S.ENTERED_AT], "stage_events")
    states = to_polars(states, "deal_states")[0] if states is not None else None
    r = process.review
    flags = _flags(deals, events, process, as_of)
    comp = _compliance(deals, events, process, as_of, flags)
    rep_rates = compliance_rates(comp, by=S.OWNER_ID).join(
        period_compliance(comp, deals, as_of, weeks=r.period_weeks, by=S.OWNER_ID).select(
            S.OWNER_ID, "period_deals", "period_compliant", "period_rate"), on=S.OWNER_ID, how="left")
    counts = deal_counts(deals, as_of, by="rep", reps=reps)
    rep_table = counts.join(rep_rates.select(S.OWNER_ID, "flagged", "compliance_rate", "period_deals", "period_rate"),
                            on=S.OWNER_ID, how="left").with_columns(pl.col("flagged", "period_deals").fill_null(0))
    load = review_load(deals, process, reps=reps)
    plan = review_plan(deals, flags, events, process, as_of=as_of, seed=seed)
    weekly = weekly_process_measures(events, deals, process, as_of=as_of, weeks=weeks)
    charts = control_charts(weekly) + _pipeline_charts(deals, events, process, as_of, weeks)
    pipeline = pipeline_by_currency(deals, by="team")
    coaching = coaching_focus(events, deals, process, as_of)
    changes = compute_changes(deals, process, as_of, states=states, basis=states_basis, window_days=window_days)
    period_start, _ = period_bounds(as_of, r.period_weeks)
    team_rows = _team_rows(deals, reps)
    if teams is not None:
        team_rows = team_rows.filter(pl.col(S.TEAM_ID).is_in(teams))
    out = []
    for team in team_rows.iter_rows(named=True):
        tid = team[S.TEAM_ID]
        in_team = pl.col(S.TEAM_ID) == tid
        team_deals = deals.filter(in_team)
        ids = team_deals[S.DEAL_ID].implode()
        team_events = events.filter(pl.col(S.DEAL_ID).is_in(ids))
        team_comp = comp.filter(in_team)
        team_flags = flags.filter(pl.col(S.DEAL_ID).is_in(ids)).join(
            team_deals.select(S.DEAL_ID, S.DEAL_NAME, S.OWNER_NAME), on=S.DEAL_ID, how="left")
        load_row = load.filter(in_team).row(0, named=True) if load.filter(in_team).height else {}
        period = period_compliance(team_comp, team_deals, as_of, weeks=r.period_weeks)
        p_row = period.row(0, named=True) if period.height else {}
        review = ReviewFigures(
            int(load_row.get("reps", 0)), int(load_row.get("open", 0)), float(load_row.get("review_hours_full", 0.0)),
            float(load_row.get("review_hours_sampled", 0.0)), float(load_row.get("share_full", 0.0)),
            float(load_row.get("share_sampled", 0.0)), float(load_row.get("hours_freed", 0.0)), r.minutes_per_deal,
            r.sample_per_rep, r.manager_hours_per_week, clean_sample_bound(r.sample_per_rep))
        compliance = ComplianceFigures(
            team_comp.height, int(team_comp["compliant"].sum()),
            float(team_comp["compliant"].mean()) if team_comp.height else None,  # type: ignore[arg-type]
            r.period_weeks, period_start, int(p_row.get("period_deals", 0)), int(p_row.get("period_compliant", 0)),
            p_row.get("period_rate"), bool(team_comp["has_history"].any()) if team_comp.height else False,
            _rules(rule_rates(team_comp)), _rules(rule_rates(team_comp, team_deals, as_of, weeks=r.period_weeks)))
        team_coaching = coaching.filter(in_team)
        tables = TeamTables(
            deals=team_deals, counts=counts.filter(in_team), load=load.filter(in_team), plan=plan.filter(in_team),
            rates=rep_rates.filter(in_team).sort(S.OWNER_NAME), flags=team_flags,
            conversion=stage_conversion(team_events, process, as_of),
            time_in_stage=time_in_stage(team_events, process, as_of),
            weekly=weekly.filter(in_team), pipeline=pipeline.filter(in_team), coaching=team_coaching)
        out.append(TeamFigures(
            tid, team[S.TEAM_NAME], team[S.MANAGER_NAME], as_of, process.name, review.reps, review.open,
            int((team_deals[S.STATUS] == "won").sum()), int((team_deals[S.STATUS] == "lost").sum()), review, compliance,
            tuple(c for c in charts if c.team_id == tid), changes.for_team(tid),
            tuple(CoachingLine(**{k: row[k] for k in CoachingLine.__dataclass_fields__})
                  for row in team_coaching.iter_rows(named=True)), tables))
    return Figures(as_of, tuple(out), rep_table.sort(S.TEAM_ID, S.OWNER_ID),
                   _transitions(events, process, as_of).drop("_from", "_to"), flags, comp, changes)


def _pipeline_charts(deals: pl.DataFrame, events: pl.DataFrame, process: Process, as_of: dt.date,
                     weeks: int) -> list[ControlChart]:
    """With a process per pipeline and deals in several, each pipeline's own charts per team."""
    if not process.pipelines or S.PIPELINE not in deals.columns or deals[S.PIPELINE].n_unique() < 2:
        return []
    sep = "\x1f"
    keyed = deals.with_columns(pl.concat_str(S.TEAM_ID, pl.lit(sep), pl.col(S.PIPELINE).fill_null("")).alias("_tp"))
    weekly = weekly_process_measures(events, keyed, process, as_of=as_of, weeks=weeks, by="_tp")
    out = []
    for c in control_charts(weekly, by="_tp"):
        team, pipeline = c.team_id.split(sep, 1)
        out.append(replace(c, team_id=team, pipeline=pipeline or None))
    return out


def _team_rows(deals: pl.DataFrame, reps: pl.DataFrame) -> pl.DataFrame:
    both = pl.concat([deals.select(S.TEAM_ID, S.TEAM_NAME, S.MANAGER_NAME),
                      reps.select(S.TEAM_ID, S.TEAM_NAME, S.MANAGER_NAME)])
    return both.filter(pl.col(S.TEAM_ID).is_not_null()).group_by(S.TEAM_ID).agg(
        pl.col(S.TEAM_NAME).drop_nulls().first(),
        pl.col(S.MANAGER_NAME).drop_nulls().mode().sort().first()).sort(S.TEAM_ID)
