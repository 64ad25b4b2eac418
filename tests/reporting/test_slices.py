"""A slice is the figures model serialised for one team: slice.json holds the version, the team,
the load's provenance and ``TeamFigures.to_dict()`` and nothing else; the tables hold only the
team's rows; the data-quality table only the checks that failed on the team's rows."""

from __future__ import annotations

import json

import polars as pl
import pytest
from report_runs import AS_OF, NORTH, SOUTH, write_small_export

import toolkit
from toolkit import schema as S
from toolkit.reporting.slices import TABLES, prepare_slices
from toolkit.validation.report import DataQualityReport, ExpectationOutcome


def meta(folder, team_id: str) -> dict:
    return json.loads((folder / team_id / "slice.json").read_text(encoding="utf-8"))


def test_slice_json_is_the_figures_model_and_the_provenance(small_slices) -> None:
    north = meta(small_slices, NORTH)
    assert sorted(north) == ["figures", "provenance", "slice_version", "team_id"]  # no flat legacy keys
    assert north["slice_version"] == 3 and north["team_id"] == NORTH
    assert north["provenance"] == {
        "source": "generic", "data_freshness": "2025-06-26T00:00:00",  # A1's creation, the latest record
        "has_history": True, "quality_blocking": False,
        "input_lines": 16, "input_rejected": 0,  # 5 lines of deals.csv, 11 of history.csv, headers included
        "stage_limits": {"Qualify": 14.0, "Discover": 21.0, "Propose": 21.0, "Negotiate": 30.0},
        "process_note": None}
    f = north["figures"]
    assert {k: f[k] for k in ("team_id", "team_name", "manager_name", "as_of", "process", "reps", "open", "won",
                              "lost", "verdict")} == {
        "team_id": NORTH, "team_name": "North", "manager_name": "Mia", "as_of": "2025-06-30",
        "process": "Standard B2B", "reps": 1, "open": 2, "won": 1, "lost": 0, "verdict": "not enough weeks"}
    # 2 open deals x 30 minutes = 1 h of a 40-hour week; 3 per rep covers both
    assert f["review"] == {"reps": 1, "open": 2, "hours_full": 1.0, "hours_sampled": 1.0, "share_full": 0.025,
                           "share_sampled": 0.025, "hours_freed": 0.0, "minutes_per_deal": 30.0, "sample_per_rep": 3,
                           "manager_hours_per_week": 40.0, "clean_sample_bound": pytest.approx(1 - 0.05 ** (1 / 3))}
    comp = f["compliance"]
    assert (comp["deals"], comp["compliant"], comp["rate"]) == (3, 2, pytest.approx(2 / 3))  # A3 skipped Discover
    assert f["changes"]["totals"] == {"new": 1, "pushed": 0, "pulled_in": 0, "amount_up": 0, "amount_down": 0,
                                      "stage_changed": 1, "won": 0, "lost": 0}  # A2 was won before the window
    assert sorted((d[S.DEAL_ID], d["changes"]) for d in f["changes"]["deals"]) == [("A1", ["new"]),
                                                                                  ("A3", ["stage_changed"])]
    south = meta(small_slices, SOUTH)["figures"]
    assert (south["open"], south["compliance"]["deals"], south["compliance"]["compliant"]) == (1, 1, 0)
    assert south["changes"]["deals"] == []


def test_every_table_holds_only_its_teams_rows(small_slices) -> None:
    for team, ids in ((NORTH, ["A1", "A2", "A3"]), (SOUTH, ["B1"])):
        folder = small_slices / team
        assert sorted(p.stem for p in folder.glob("*.parquet")) == sorted(TABLES)
        assert sorted(pl.read_parquet(folder / "deals.parquet")[S.DEAL_ID]) == ids
        assert sorted(pl.read_parquet(folder / "plan.parquet")[S.DEAL_ID]) == sorted(set(ids) - {"A2"})  # open ones
        assert set(pl.read_parquet(folder / "flags.parquet")[S.DEAL_ID]) <= set(ids)
    # the changed deals largest amount first, with today's amount and currency
    changes = pl.read_parquet(small_slices / NORTH / "changes.parquet")
    assert changes.select(S.DEAL_ID, S.AMOUNT, S.CURRENCY).rows() == [("A1", 1000.0, "EUR"), ("A3", 700.0, "EUR")]


def test_quality_table_keeps_the_checks_failed_on_the_teams_rows(tmp_path) -> None:
    export = write_small_export(tmp_path / "export")
    data = toolkit.load(export, mapping=export / "mapping.yaml")

    def outcome(name: str, table: str, success: bool, deal_ids: list[str | None], lines: list[int],
                count: int) -> ExpectationOutcome:
        return ExpectationOutcome(name, table, f"check {name}", "error", success, count, 4, lines, deal_ids)

    quality = DataQualityReport([
        outcome("passed", "deals", True, [], [], 0),
        outcome("both", "deals", False, ["A1", "B1", "A3"], [2, 5, 4], 3),
        outcome("south_only", "deals", False, ["B1"], [5], 1),
        outcome("load_wide", "files", False, [], [], 2),  # not about deals: every team sees it
    ])
    prepare_slices(data, toolkit.load_process(), AS_OF, tmp_path / "slices", quality=quality)
    north = pl.read_parquet(tmp_path / "slices" / NORTH / "quality.parquet")
    assert north.rows() == [("both", "check both", "error", 2, "A1 (line 2), A3 (line 4)"),
                            ("load_wide", "check load_wide", "error", 2, "")]
    south = pl.read_parquet(tmp_path / "slices" / SOUTH / "quality.parquet")
    assert south.select("name", "rows", "examples").rows() == [("both", 1, "B1 (line 5)"),
                                                              ("south_only", 1, "B1 (line 5)"),
                                                              ("load_wide", 2, "")]
    assert meta(tmp_path / "slices", NORTH)["provenance"]["quality_blocking"] is True


def test_teams_writes_only_those_teams(tmp_path) -> None:
    export = write_small_export(tmp_path / "export")
    data = toolkit.load(export, mapping=export / "mapping.yaml")
    written = prepare_slices(data, toolkit.load_process(), AS_OF, tmp_path / "slices", teams=[SOUTH])
    assert [(s.team_id, s.team_name, s.data_dir.name) for s in written] == [(SOUTH, "South", SOUTH)]
    assert sorted(p.name for p in (tmp_path / "slices").iterdir()) == [SOUTH]
    assert written[0].meta == meta(tmp_path / "slices", SOUTH)
