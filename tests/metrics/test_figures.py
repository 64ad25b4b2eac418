"""The one figures model: per-team figures read by the CLI, the slices and the pages."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from metric_frames import AS_OF, deals_frame, events_frame

from toolkit import schema as S
from toolkit.errors import ColumnNotFoundError, UnknownTeamError
from toolkit.metrics.figures import compute_figures

t = dt.datetime


def data() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    deals = deals_frame([
        {S.DEAL_ID: "1", S.OWNER_ID: "r1", S.OWNER_NAME: "Ana", S.STAGE: "B"},
        {S.DEAL_ID: "2", S.OWNER_ID: "r1", S.OWNER_NAME: "Ana", S.STAGE: "C"},                      # skipped B
        {S.DEAL_ID: "3", S.OWNER_ID: "r2", S.OWNER_NAME: "Ben", S.STAGE: "Won", S.STATUS: "won",
         S.CLOSED_AT: t(2025, 6, 20)},
        {S.DEAL_ID: "4", S.OWNER_ID: "r3", S.OWNER_NAME: "Cy", S.TEAM_ID: "t2", S.TEAM_NAME: "Two",
         S.CREATED_AT: t(2025, 6, 28)},                                                          # new this week
    ])
    events = events_frame([("1", "A", t(2025, 6, 20)), ("1", "B", t(2025, 6, 25)),
                           ("2", "A", t(2025, 6, 20)), ("2", "C", t(2025, 6, 25)),
                           ("3", "A", t(2025, 6, 1)), ("3", "B", t(2025, 6, 5)), ("3", "C", t(2025, 6, 10)),
                           ("3", "Won", t(2025, 6, 20)), ("4", "A", t(2025, 6, 28))])
    reps = deals.select(S.OWNER_ID, S.OWNER_NAME, S.TEAM_ID, S.TEAM_NAME, S.MANAGER_NAME).unique().with_columns(
        pl.lit(True).alias(S.ACTIVE))
    return deals, events, reps


@pytest.mark.parametrize("library", ["polars", "pandas"])
def test_team_figures(process, library: str) -> None:
    deals, events, reps = data()
    if library == "pandas":
        deals, events, reps = deals.to_pandas(), events.to_pandas(), reps.to_pandas()
    figs = compute_figures(deals, events, reps, process, AS_OF)
    assert [t.team_id for t in figs.teams] == ["t1", "t2"]
    one = figs.team("t1")
    assert (one.reps, one.open, one.won, one.lost) == (2, 2, 1, 0)
    # 2 open deals x 30 min = 1 h, both in the sample.
    assert (one.review.hours_full, one.review.hours_sampled) == (1.0, 1.0)
    # Deal 2 skipped B: 2 of 3 compliant, all active in the period.
    c = one.compliance
    assert (c.deals, c.compliant, c.period_deals, c.period_compliant) == (3, 2, 3, 2)
    assert c.rate == pytest.approx(2 / 3) and c.period_rate == pytest.approx(2 / 3)
    skip = next(r for r in c.rules if r.rule == "skipped_stage")
    assert (skip.checked, skip.flagged) == (3, 1)
    assert one.verdict == "not enough weeks" and [ch.measure for ch in one.control] == [
        "in_process_share", "win_rate", "median_days_in_stage", "moves"]
    assert figs.team("t2").changes.totals["new"] == 1 and one.changes.totals["new"] == 0
    assert [line.owner_id for line in one.coaching] == ["r1", "r2"]
    # The compliance rate per rep is computed once: the CLI's rep table and the slices' rates agree.
    cli = dict(figs.reps.select(S.OWNER_ID, "compliance_rate").iter_rows())
    assert dict(one.tables.rates.select(S.OWNER_ID, "compliance_rate").iter_rows()) == {
        "r1": cli["r1"], "r2": cli["r2"]} == {"r1": 0.5, "r2": 1.0}


def test_json_shape(process) -> None:
    figs = compute_figures(*data(), process, AS_OF)
    d = json.loads(json.dumps(figs.to_dict(), default=str))
    assert {"as_of", "teams", "reps", "transitions", "deals_flagged", "compliance", "changes", "control",
            "coaching"} <= set(d)
    assert set(d["changes"]) == {"window_days", "start", "end", "basis", "totals", "per_rep", "deals"}
    assert {"team_id", "measure", "kind", "chart", "center", "points", "verdict"} <= set(d["control"][0])
    assert set(d["control"][0]["points"][0]) >= {"week", "value", "n", "lower", "upper", "signal"}
    assert {"owner_id", "stage", "line"} <= set(d["coaching"][0])
    team = json.loads(json.dumps(figs.team("t1").to_dict(), default=str))
    assert team["compliance"]["period_weeks"] == 13 and team["verdict"] == "not enough weeks"


def test_errors(process) -> None:
    deals, events, reps = data()
    with pytest.raises(UnknownTeamError):
        compute_figures(deals, events, reps, process, AS_OF).team("nope")
    with pytest.raises(ColumnNotFoundError, match="status"):
        compute_figures(deals.drop(S.STATUS), events, reps, process, AS_OF)
