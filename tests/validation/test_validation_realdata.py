"""Real exports validate, and real data has real problems: which checks fail on them, asserted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import toolkit
from toolkit.validation import validate_dataset

ROOT = Path(__file__).resolve().parents[2]
REALDATA = ROOT.parent / "shared" / "realdata"
pytestmark = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"real CRM exports not found at {REALDATA}")


def failures(folder: str, as_of: dt.date, **kw) -> dict[str, int]:
    process = toolkit.load_process(kw.pop("process", None))
    data = toolkit.load(REALDATA / folder, process=process, **kw)
    report = validate_dataset(data, process, as_of=as_of)
    return {o.name: o.unexpected_count for o in report.failed}


def test_maven() -> None:
    got = failures("maven-crm-sales-opportunities", dt.date(2017, 12, 31),
                   mapping=ROOT / "examples" / "mappings" / "maven_crm.yaml")
    # Open deals carry no amount or close date in this data set (2,089 of them), and it has no
    # decision maker or next step at all, which the default process requires.
    assert got == {"process.Qualify.amount": 2089, "process.Qualify.close_date": 2089,
                   "process.Discover.decision_maker": 5827, "process.Propose.next_step": 4238,
                   "process.Negotiate.decision_maker": 4238, "process.Negotiate.next_step": 4238}


def test_salesforce_dev_org_with_its_own_stages() -> None:
    got = failures("sfdc-devorg-sample-elastic", dt.date(2023, 11, 1),
                   process=ROOT / "examples" / "processes" / "salesforce_standard.yaml")
    # One owner with no role (no team), no currency column, next steps left empty.
    assert got == {"deals.currency.present": 31, "deals.team.assigned": 31,
                   "process.Proposal/Price Quote.next_step": 2, "process.Negotiation/Review.next_step": 2}


def test_salesforce_dev_org_with_the_default_process_is_blocked() -> None:
    got = failures("sfdc-devorg-sample-elastic", dt.date(2023, 11, 1))
    # 'Id. Decision Makers' and 'Perception Analysis' are not stages of the default process: an
    # error, because compliance figures on unknown stages would be wrong.
    assert got["deals.stage.known"] == 4 and got["stage_events.stage.known"] == 4
