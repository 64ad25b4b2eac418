"""Three pipelines, each with its own stages and rules: every deal judged against its own
pipeline's process, transitions per pipeline equal to an independent count."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import polars as pl
import pytest
from metric_frames import AS_OF, as_polars, deals_frame, events_frame

from toolkit import schema as S
from toolkit.errors import UnknownTeamError
from toolkit.metrics.changes import KINDS, deal_changes
from toolkit.metrics.coaching import coaching_focus
from toolkit.metrics.compliance import deal_compliance, deal_flags, stage_conversion, stage_transitions
from toolkit.metrics.figures import compute_figures
from toolkit.process import parse_process

PROCESS = """\
name: Three
pipelines:
  Sales: {stages: [{name: A}, {name: B}, {name: C}], won: Won, lost: Lost}
  Renewals: {stages: [{name: R1}, {name: R2}], won: Renewed, lost: Churned}
  Partners: {stages: [{name: P1}, {name: P2}, {name: P3}], won: Signed, lost: Dropped, allow: {skip: true}}
"""
PIPES = {"Sales": (["A", "B", "C"], "Won", "Lost"), "Renewals": (["R1", "R2"], "Renewed", "Churned"),
         "Partners": (["P1", "P2", "P3"], "Signed", "Dropped")}
PATHS = {  # deal -> (pipeline, stages in order)
    "s1": ("Sales", ["A", "B", "C", "Won"]), "s2": ("Sales", ["A", "C"]), "s3": ("Sales", ["B", "A"]),
    "r1": ("Renewals", ["R1", "R2", "Renewed"]), "r2": ("Renewals", ["R1", "Churned"]),
    "r3": ("Renewals", ["R1", "Renewed"]), "r4": ("Renewals", ["R1", "A"]),      # A is not a Renewals stage
    "p1": ("Partners", ["P1", "P3"]), "p2": ("Partners", ["P1", "P2", "P3", "Signed"]),
}


def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    rows, deals = [], []
    for deal, (pipe, stages) in PATHS.items():
        rows += [(deal, s, dt.datetime(2025, 6, 1) + dt.timedelta(days=2 * i)) for i, s in enumerate(stages)]
        last = stages[-1]
        status = "won" if last == PIPES[pipe][1] else "lost" if last == PIPES[pipe][2] else "open"
        deals.append({S.DEAL_ID: deal, S.STAGE: last if last in PIPES[pipe][0] + list(PIPES[pipe][1:]) else None,
                      S.STATUS: status})
    pipe_of = {d: p for d, (p, _s) in PATHS.items()}
    events = events_frame(rows).with_columns(pl.col(S.DEAL_ID).replace_strict(pipe_of).alias(S.PIPELINE))
    return deals_frame(deals).with_columns(pl.col(S.DEAL_ID).replace_strict(pipe_of).alias(S.PIPELINE)), events


def independent_kinds() -> Counter[tuple[str, str]]:
    """(pipeline, kind) of every move, classified by plain Python from each pipeline's stage list."""
    out: Counter[tuple[str, str]] = Counter()
    for pipe, stages in PATHS.values():
        open_, won, lost = PIPES[pipe]
        code = {s: i for i, s in enumerate(open_)} | {won: len(open_), lost: len(open_) + 1}
        n = len(open_)
        for a, b in zip(stages, stages[1:], strict=False):
            f, t = code.get(a), code.get(b)
            if f is None or t is None:
                kind = "unknown"
            elif f < n and t < n:
                kind = "forward" if t == f + 1 else "skip" if t > f else "backward"
            elif f < n and t == n:
                kind = "won" if f == n - 1 else "skip"
            elif f < n:
                kind = "lost"
            else:
                kind = "reopen" if t < n else "reclassify"
            out[(pipe, kind)] += 1
    return out


def test_transitions_per_pipeline_equal_an_independent_count(backend) -> None:
    _deals, events = frames()
    moves = as_polars(stage_transitions(backend(events), parse_process(PROCESS)))
    counted = Counter((p, k) for p, k in moves.select(S.PIPELINE, "kind").iter_rows())
    assert counted == independent_kinds()
    assert counted == Counter({("Sales", "forward"): 2, ("Sales", "won"): 1, ("Sales", "skip"): 1,
                               ("Sales", "backward"): 1, ("Renewals", "forward"): 1, ("Renewals", "won"): 1,
                               ("Renewals", "lost"): 1, ("Renewals", "skip"): 1, ("Renewals", "unknown"): 1,
                               ("Partners", "skip"): 1, ("Partners", "forward"): 2, ("Partners", "won"): 1})


def test_each_deal_judged_by_its_own_pipeline(backend) -> None:
    process = parse_process(PROCESS)
    deals, events = frames()
    flags = as_polars(deal_flags(backend(deals), backend(events), process, AS_OF))
    assert sorted(flags.select(S.DEAL_ID, "flag", "stage").rows()) == [
        ("p1", "skipped_stage", "P2"), ("r3", "skipped_stage", "R2"), ("s2", "skipped_stage", "B"),
        ("s3", "backward_move", "A"), ("s3", "started_late", "B")]
    comp = as_polars(deal_compliance(backend(deals), backend(events), process, AS_OF))
    # Partners allow skips: p1 is compliant; Sales and Renewals do not.
    assert comp.filter(~pl.col("compliant"))[S.DEAL_ID].to_list() == ["r3", "s2", "s3"]
    conv = as_polars(stage_conversion(backend(events), process))
    assert conv.select(S.PIPELINE, "stage", "reached", "reached_next").rows() == [
        ("Partners", "P1", 2, 1), ("Partners", "P2", 1, 1), ("Partners", "P3", 2, 1),
        ("Renewals", "R1", 4, 1), ("Renewals", "R2", 1, 1),
        ("Sales", "A", 3, 2), ("Sales", "B", 2, 1), ("Sales", "C", 2, 1)]


def test_changes_use_each_pipelines_outcomes() -> None:
    process = parse_process(PROCESS)
    deals, events = frames()
    states = events.select(S.DEAL_ID, pl.col(S.ENTERED_AT).alias(S.VALID_FROM), S.STAGE,
                           pl.lit(1.0).alias(S.AMOUNT), pl.lit("EUR").alias(S.CURRENCY),
                           pl.lit(dt.date(2025, 8, 1)).alias(S.CLOSE_DATE), S.SOURCE_FILE, S.SOURCE_LINE)
    out = deal_changes(states, deals, process, dt.date(2025, 6, 7), window_days=7)
    won = {r[S.DEAL_ID] for r in out.iter_rows(named=True) if r["won"]}
    lost = {r[S.DEAL_ID] for r in out.iter_rows(named=True) if r["lost"]}
    # In the week to 7 June: s1 reached Won on 7 June, r1 Renewed on 5 June, r3 Renewed and r2
    # Churned on 3 June; p2 is signed only on 7 June too.
    assert won == {"s1", "r1", "r3", "p2"} and lost == {"r2"}
    assert set(KINDS) <= set(out.columns)


def test_figures_with_pipelines() -> None:
    process = parse_process(PROCESS)
    deals, events = frames()
    figs = compute_figures(deals, events, deals.select(S.OWNER_ID, S.OWNER_NAME, S.TEAM_ID, S.TEAM_NAME,
                                                       S.MANAGER_NAME).unique(), process, AS_OF)
    team = figs.team("t1")
    assert (team.compliance.deals, team.compliance.compliant) == (9, 6)
    assert sorted(team.tables.conversion[S.PIPELINE].unique().to_list()) == ["Partners", "Renewals", "Sales"]
    assert coaching_focus(events, deals, process, AS_OF).height == 1
    # One set of charts for the team's moves together, and one per pipeline.
    assert [(c.pipeline, c.measure) for c in team.control if c.measure == "in_process_share"] == [
        (None, "in_process_share"), ("Partners", "in_process_share"), ("Renewals", "in_process_share"),
        ("Sales", "in_process_share")]
    assert team.headline_control is not None and team.headline_control.pipeline is None
    with pytest.raises(UnknownTeamError):
        figs.team("nope")
