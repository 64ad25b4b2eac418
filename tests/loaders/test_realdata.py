"""Real public CRM exports load, with every line accounted for.

The files live outside the project (../shared/realdata); these tests skip where it is absent.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import toolkit
from toolkit import schema as S

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
MAVEN_MAPPING = Path(__file__).resolve().parents[2] / "examples" / "mappings" / "maven_crm.yaml"

pytestmark = [pytest.mark.realdata,
              pytest.mark.skipif(not REALDATA.is_dir(), reason=f"real CRM exports not found at {REALDATA}")]


def ledger(ds: toolkit.Dataset) -> tuple[int, int, int, int]:
    s = ds.summary()
    f = ds.files
    assert (f["row_lines"] + f["rejected"] + f["skipped"] == f["lines_in"]).all()
    return s["lines_in"], int(f["row_lines"].sum()), s["rejected"], s["skipped"]


def test_maven_loads_through_the_shipped_mapping() -> None:
    ds = toolkit.load(REALDATA / "maven-crm-sales-opportunities", mapping=MAVEN_MAPPING)
    assert ds.source == "generic"
    assert ds.deals.height == 8800
    assert ds.rejects.height == 0
    assert ds.reps.height == 35
    assert ds.teams.height == 6
    assert dict(ds.deals.group_by(S.STATUS).len().rows()) == {"won": 4238, "lost": 2473, "open": 2089}
    assert dict(ds.deals.group_by(S.STAGE_RAW).len().rows()) == {"Won": 4238, "Lost": 2473, "Engaging": 1589,
                                                                 "Prospecting": 500}
    # sales_pipeline.csv: 8,801 lines (header + 8,800); sales_teams.csv: 36 (header + 35)
    assert ledger(ds) == (8837, 8835, 0, 2)
    assert set(ds.teams[S.MANAGER_NAME]) == {"Cara Losch", "Celia Rouche", "Dustin Brinkmann", "Melvin Marxen",
                                             "Rocco Neubert", "Summer Sewald"}
    # Five agents of the roster have no deals: they are reps all the same.
    assert ds.reps.filter(~pl.col(S.OWNER_ID).is_in(ds.deals[S.OWNER_ID].implode())).height == 5
    assert ds.deals[S.CURRENCY].unique().to_list() == ["USD"]
    assert ds.deals.filter(pl.col(S.STATUS) == "won")[S.AMOUNT].sum() == 10005534.0
    assert ds.has_history is False


def test_salesforce_data_export_from_a_dev_org() -> None:
    # The default process given on purpose: without one, the process is read from the export
    # (tests/test_process_derive.py).
    ds = toolkit.load(REALDATA / "sfdc-devorg-sample-elastic", process=toolkit.load_process())
    assert ds.source == "salesforce"
    assert ds.deals.height == 31
    # OpportunityHistory has two rows per opportunity of the same stage: one stage entry each.
    assert ds.stage_events.height == 31
    assert ledger(ds) == (114, 111, 0, 3)
    assert dict(ds.deals.group_by(S.STATUS).len().rows()) == {"open": 13, "won": 18}
    assert ds.deals[S.AMOUNT].sum() == 5760000.0
    # 18-character ids are kept exactly, case included.
    assert "006Hp000015Yh7kIAC" in ds.deals[S.DEAL_ID].to_list()
    unknown = sorted(ds.deals.filter(pl.col(S.STAGE).is_null())[S.STAGE_RAW].unique().to_list())
    assert unknown == ["Id. Decision Makers", "Perception Analysis"]
    assert any("not in the process" in n for n in ds.notes)


def test_salesforce_export_after_an_excel_round_trip_reads_us_dates() -> None:
    ds = toolkit.load(REALDATA / "sfdc-devorg-sample-powerbi")
    assert ds.deals.height == 36 and ds.stage_events.height == 48
    assert set(ds.files["date_style"]) == {"mdy"}
    assert dict(ds.deals.group_by(S.STATUS).len().rows()) == {"open": 16, "won": 12, "lost": 8}
    first = ds.deals.filter(pl.col(S.DEAL_ID) == "006bm00000LKJNNAA5").row(0, named=True)
    assert str(first[S.CLOSE_DATE]) == "2024-02-03"  # "02/03/24": February 3rd, month first
    assert ds.deals[S.OWNER_ID].null_count() == 36  # this export has no OwnerId column
    assert ledger(ds) == (86, 84, 0, 2)


def test_fivetran_salesforce_tables_reject_deleted_records_by_default() -> None:
    ds = toolkit.load(REALDATA / "fivetran-salesforce-seeds")
    assert ds.deals.height == 0
    assert ds.summary()["rejects_by_reason"] == {"DELETED_RECORD": 20}
    assert ledger(ds) == (44, 20, 20, 4)


def test_fivetran_salesforce_tables_with_deleted_records_kept() -> None:
    ds = toolkit.load(REALDATA / "fivetran-salesforce-seeds", include_deleted=True)
    assert ds.deals.height == 8
    assert ds.summary()["rejects_by_reason"] == {"SUPERSEDED": 2, "UNKNOWN_DEAL": 2}
    assert dict(ds.deals.group_by(S.STATUS).len().rows()) == {"won": 5, "lost": 3}
    assert ledger(ds) == (44, 36, 4, 4)


def test_fivetran_hubspot_tables() -> None:
    ds = toolkit.load(REALDATA / "fivetran-hubspot-seeds")
    assert ds.source == "hubspot_sync"
    assert ds.deals.height == 44
    # The seed's stage history was hashed apart from its deals: no entry joins, each is listed.
    assert ds.summary()["rejects_by_reason"] == {"UNKNOWN_DEAL": 14}
    assert sorted(ds.teams[S.TEAM_NAME].to_list()) == ["Unassigned", "team_01", "team_02"]
    # deal_pipeline_data.csv (7 lines: header + 6 pipelines) is read for pipeline labels
    assert ledger(ds) == (248, 227, 14, 7)
    # The seed's deals name no pipeline (deal_pipeline_id is empty on all 44): the default one.
    assert ds.deals[S.PIPELINE].to_list() == [S.DEFAULT_PIPELINE] * 44
    assert ds.deal_states.height == 44  # no history joins: each deal's current state only
