"""The model floor: the rule that names a team, and the dataset's teams and summary."""

from __future__ import annotations

from pathlib import Path

import pytest

import toolkit
from toolkit.model import team_id, team_key

MAPPING = """\
files: {deals: deals.csv, stage_events: history.csv}
date_style: iso
columns:
  deals: {deal_id: id, owner_name: rep, team_name: team, manager_name: manager, stage_raw: stage, created_at: created}
  stage_events: {deal_id: id, stage_raw: stage, entered_at: at}
"""


def test_team_key_folds_case_spacing_and_unicode_form() -> None:
    assert team_key("  Sales   EMEA ") == team_key("sales emea") == "sales emea"
    assert team_key("ＮＯＲＴＨ") == "north"  # full-width letters (NFKC)


@pytest.mark.parametrize(("name", "expected"), [
    ("North", "north-dc365e"), ("  north ", "north-dc365e"), ("ＮＯＲＴＨ", "north-dc365e"),  # one team
    ("Sales/EMEA", "sales-emea-14595d"), ("Sales EMEA", "sales-emea-ce3324"),  # one slug, two teams
    ("Zoë Ødegaard Team", "zoe-degaard-team-16a36e"),  # accents dropped to ASCII; Ø has no ASCII form
    ("日本", "team-cf2abf"),  # nothing left in ASCII
    ("x" * 60, "x" * 40 + "-42f2d9"),  # the slug is cut at 40 characters
    ("", "unassigned"), (None, "unassigned"), (" unassigned ", "unassigned"),
])
def test_team_id_is_stable_and_file_name_safe(name: str | None, expected: str) -> None:
    assert team_id(name) == expected


def test_teams_and_summary_of_a_load(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text("id,rep,team,manager,stage,created\n"
                                        "A1,Ann,North,Mia,Qualify,2025-06-02\n"
                                        "A2,Ann,north ,,Discover,2025-06-03\n"
                                        "B1,Bob,South,Max,Qualify,2025-06-04\n\n", encoding="utf-8")
    (tmp_path / "history.csv").write_text("id,stage,at\nA1,Qualify,2025-06-02\nA2,Qualify,2025-06-03\n"
                                          "A2,Discover,2025-06-05\n", encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    data = toolkit.load(tmp_path, mapping=tmp_path / "mapping.yaml")
    # "north " is North; the manager comes from the rows that name one
    assert data.teams.rows() == [("north-dc365e", "North", "Mia", 1, 2), ("south-2daa8d", "South", "Max", 1, 1)]
    assert data.teams.columns == ["team_id", "team_name", "manager_name", "reps", "deals"]
    summary = data.summary()
    assert {k: summary[k] for k in ("source", "deals", "stage_events", "reps", "teams", "lines_in", "rows",
                                    "rejected", "skipped", "repaired", "rejects_by_reason", "has_history")} == {
        "source": "generic", "deals": 3, "stage_events": 3, "reps": 2, "teams": 2,
        "lines_in": 9, "rows": 6, "rejected": 0, "skipped": 3,  # 9 lines = 3 + 3 rows + 2 headers + 1 blank
        "repaired": 0, "rejects_by_reason": {}, "has_history": True}
    assert [(f["file"], f["lines_in"], f["rows"], f["skipped"]) for f in summary["files"]] == [
        ("deals.csv", 5, 3, 2), ("history.csv", 4, 3, 1)]
