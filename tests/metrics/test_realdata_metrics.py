"""Transitions and flags on real Salesforce dev-org exports, with a process naming their stages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import toolkit
from toolkit.metrics.figures import compute_figures

ROOT = Path(__file__).resolve().parents[2]
REALDATA = ROOT.parent / "shared" / "realdata"
PROCESS = ROOT / "examples" / "processes" / "salesforce_standard.yaml"

pytestmark = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"real CRM exports not found at {REALDATA}")


def figures(folder: str, as_of: dt.date) -> dict:
    process = toolkit.load_process(PROCESS)
    data = toolkit.load(REALDATA / folder, process=process)
    assert data.deals["stage"].null_count() == 0  # every stage label is in the process
    return compute_figures(data.deals, data.stage_events, data.reps, process, as_of, states=data.deal_states).to_dict()


def test_elastic_dev_org_export() -> None:
    m = figures("sfdc-devorg-sample-elastic", dt.date(2023, 11, 1))
    # The org was created with its sample data: one stage entry per opportunity, so no moves,
    # and 30 of the 31 opportunities start past Prospecting.
    assert m["transitions"] == {"forward": 0, "skip": 0, "backward": 0, "won": 0, "lost": 0, "reopen": 0,
                                "reclassify": 0, "unknown": 0}
    assert m["deals_flagged"] == {"skipped_stage": 0, "backward_move": 0, "over_time_limit": 0,
                                  "missing_required_field": 4, "started_late": 30, "overdue_close_date": 13}
    assert [(t["open"], t["won"], t["review_hours_full"], t["review_hours_sampled"]) for t in m["teams"]] == [
        (13, 18, 6.5, 1.5)]


def test_powerbi_round_trip_with_closed_won_to_lost_flips() -> None:
    m = figures("sfdc-devorg-sample-powerbi", dt.date(2026, 3, 31))
    assert m["transitions"] == {"forward": 0, "skip": 4, "backward": 0, "won": 0, "lost": 1, "reopen": 0,
                                "reclassify": 7, "unknown": 0}
    assert m["deals_flagged"] == {"skipped_stage": 4, "backward_move": 0, "over_time_limit": 16,
                                  "missing_required_field": 9, "started_late": 30, "overdue_close_date": 13}


def test_powerbi_changes_in_the_week_of_the_closed_lost_updates() -> None:
    """The export's author set seven won deals to Closed Lost on 7 March 2026, six of them with a
    new close date: counted from OpportunityHistory.csv with plain csv, the changes agree."""
    import csv

    folder = REALDATA / "sfdc-devorg-sample-powerbi"
    start, end = dt.datetime(2026, 2, 28, 23, 59, 59), dt.datetime(2026, 3, 7, 23, 59, 59)
    rows: dict[str, list[tuple[dt.datetime, str, dt.date]]] = {}
    with (folder / "OpportunityHistory.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["OpportunityId"], []).append((
                dt.datetime.strptime(r["CreatedDate"], "%m/%d/%y %I:%M %p"), r["StageName"],
                dt.datetime.strptime(r["CloseDate"], "%m/%d/%y").date()))
    lost = pushed = 0
    for history in rows.values():
        before = [h for h in sorted(history, key=lambda h: h[0]) if h[0] <= start]
        inside = [h for h in sorted(history, key=lambda h: h[0]) if start < h[0] <= end]
        if before and inside:
            lost += inside[-1][1] == "Closed Lost" != before[-1][1]
            pushed += inside[-1][2] > before[-1][2]
    assert (lost, pushed) == (7, 6)
    m = figures("sfdc-devorg-sample-powerbi", dt.date(2026, 3, 7))
    assert m["changes"]["basis"] == "history"
    assert m["changes"]["totals"] == {"new": 0, "pushed": pushed, "pulled_in": 0, "amount_up": 0, "amount_down": 0,
                                      "stage_changed": lost, "won": 0, "lost": lost}
