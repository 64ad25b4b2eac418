"""Labels as people type them: stage labels, pipeline, owner and team names compared after NFKC and
whitespace folding, the raw stage label kept; "(Deactivated User)" owners keep their identity and
are inactive."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import toolkit
from toolkit import schema as S
from toolkit.loaders import labels

LINES = (
    ('"Record ID","Deal Name","Pipeline","Deal Stage","Deal owner","HubSpot Team",'
     '"Date entered ""Qualify (Sales Pipeline)""","Date entered ""Closed Lost  (Sales  Pipeline)"""'),
    '"1","A","Sales Pipeline","Closed Lost ","Ann Lee","EMEA ","2024-01-01 10:00","2024-02-01 10:00"',
    ('"2","B","Sales  Pipeline","\uff31\uff55\uff41\uff4c\uff49\uff46\uff59","Ann  Lee (Deactivated User)","EMEA",'
     '"2024-01-02 10:00",""'),
    '"3","C","Sales\u00a0Pipeline","Closed  Lost","Bob Stone","emea","2024-01-03 10:00",""',
)
HUBSPOT = "\n".join(LINES) + "\n"


@pytest.fixture
def hubspot(tmp_path: Path) -> toolkit.Dataset:
    (tmp_path / "hubspot-crm-exports-all-deals-2024-03-01.csv").write_text(HUBSPOT, encoding="utf-8")
    return toolkit.load(tmp_path)


def test_stage_labels_fold_and_the_raw_label_stays(hubspot: toolkit.Dataset) -> None:
    rows = hubspot.deals.select(S.DEAL_ID, S.STAGE, S.STAGE_RAW, S.STATUS).rows()
    # full-width "Ｑｕａｌｉｆｙ" is "Qualify" after NFKC; "Closed  Lost" (two spaces) is "Closed Lost"
    assert rows == [("1", "Closed Lost", "Closed Lost", "lost"),
                    ("2", "Qualify", "\uff31\uff55\uff41\uff4c\uff49\uff46\uff59", "open"),
                    ("3", "Closed Lost", "Closed  Lost", "lost")]
    assert not any("not in the process" in n for n in hubspot.notes)


def test_pipeline_names_fold(hubspot: toolkit.Dataset) -> None:
    # a double space, a non-breaking space: one pipeline
    assert hubspot.deals[S.PIPELINE].to_list() == ["Sales Pipeline"] * 3
    assert hubspot.stage_events.select(S.DEAL_ID, S.STAGE, S.PIPELINE).rows() == [
        ("1", "Qualify", "Sales Pipeline"), ("1", "Closed Lost", "Sales Pipeline"),
        ("2", "Qualify", "Sales Pipeline"), ("3", "Qualify", "Sales Pipeline")]


def test_deactivated_owner_keeps_identity_and_is_inactive(hubspot: toolkit.Dataset) -> None:
    assert hubspot.deals.select(S.DEAL_ID, S.OWNER_ID, S.OWNER_NAME).rows() == [
        ("1", "Ann Lee", "Ann Lee"), ("2", "Ann Lee", "Ann Lee"), ("3", "Bob Stone", "Bob Stone")]
    assert hubspot.reps.select(S.OWNER_ID, S.ACTIVE).rows() == [("Ann Lee", False), ("Bob Stone", True)]


def test_team_names_fold_into_one_team(hubspot: toolkit.Dataset) -> None:
    assert hubspot.teams.select(S.TEAM_NAME, "reps", "deals").rows() == [("EMEA", 2, 3)]


def test_a_roster_matches_a_deactivated_owner_by_name(tmp_path: Path) -> None:
    (tmp_path / "hubspot-crm-exports-all-deals-2024-03-01.csv").write_text(HUBSPOT, encoding="utf-8")
    (tmp_path / "roster.csv").write_text("owner,team,manager\nANN LEE,Nordics,Kai\nBob\u00a0Stone,Nordics,Kai\n",
                                         encoding="utf-8")
    ds = toolkit.load(tmp_path)
    assert ds.deals.select(S.DEAL_ID, S.TEAM_NAME, S.MANAGER_NAME).rows() == [
        ("1", "Nordics", "Kai"), ("2", "Nordics", "Kai"), ("3", "Nordics", "Kai")]


def test_salesforce_users_inactive_in_user_csv_are_inactive_reps(tmp_path: Path) -> None:
    (tmp_path / "Opportunity.csv").write_text(
        "Id,Name,StageName,CloseDate,IsClosed,IsWon,OwnerId\n006A,A,Prospecting,2024-03-01,false,false,005A\n"
        "006B,B,Prospecting,2024-03-01,false,false,005B\n", encoding="utf-8")
    (tmp_path / "User.csv").write_text("Id,Name,IsActive\n005A,Ann Lee,true\n005B,Bob Stone,false\n", encoding="utf-8")
    ds = toolkit.load(tmp_path)
    assert ds.reps.select(S.OWNER_ID, S.OWNER_NAME, S.ACTIVE).rows() == [("005A", "Ann Lee", True),
                                                                         ("005B", "Bob Stone", False)]


@pytest.mark.parametrize("raw, folded, deactivated", [
    ("Ann Lee (Deactivated User)", "Ann Lee", True),
    ("Ann\u00a0Lee  (deactivated user) ", "Ann Lee", True),
    ("Ann Lee (Inactive)", "Ann Lee", True),
    ("Ann Lee (Sales)", "Ann Lee (Sales)", False),
    ("  ", None, False),
])
def test_owner_name_folding(raw: str, folded: str | None, deactivated: bool) -> None:
    f = pl.DataFrame({"o": [raw]}).select(labels.owner_name(pl.col("o")).alias("n"),
                                          labels.owner_deactivated(pl.col("o")).alias("d"))
    assert f.row(0) == (folded, deactivated)
