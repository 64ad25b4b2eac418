"""deal_states: every history row a source has, then each deal's current state; and the states of
two exports of the same CRM. Expected rows are written out by hand or counted with plain csv."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

import toolkit
from toolkit import schema as S
from toolkit.errors import ConfigError
from toolkit.loaders.states import states_from_two_exports

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
D = dt.datetime


def _by_deal(states: pl.DataFrame) -> pl.DataFrame:
    """``states`` with each deal's rows together, in the order the table gives them: the table
    holds the history's states, then the current ones, each deal's rows in order."""
    return states.sort(S.DEAL_ID, maintain_order=True)


def _states(ds: toolkit.Dataset) -> list[tuple]:
    return _by_deal(ds.deal_states).select(S.DEAL_ID, S.VALID_FROM, S.STAGE, S.AMOUNT, S.CURRENCY, S.CLOSE_DATE,
                                           S.SOURCE_FILE, S.SOURCE_LINE).rows()


def _salesforce(folder: Path, *, modified: bool = True) -> Path:
    folder.mkdir()
    mod = ",LastModifiedDate" if modified else ""
    (folder / "Opportunity.csv").write_text(
        f"Id,Name,StageName,Amount,CurrencyIsoCode,CloseDate,IsClosed,IsWon,CreatedDate{mod}\n"
        f"006A,Alpha,Closed Won,150,EUR,2024-03-20,true,true,2024-01-01 09:00:00{',2024-03-20 12:00:00' if modified else ''}\n"
        f"006B,Beta,Qualification,80,USD,2024-06-30,false,false,2024-02-01 09:00:00{',2024-02-10 08:00:00' if modified else ''}\n",
        encoding="utf-8")
    # 006A: created in Prospecting, amount raised, close date pushed (same stage), then won.
    (folder / "OpportunityHistory.csv").write_text(
        "Id,OpportunityId,CreatedDate,StageName,Amount,CloseDate\n"
        "008a,006A,2024-01-01 09:00:00,Prospecting,100,2024-03-01\n"
        "008b,006A,2024-01-15 10:00:00,Prospecting,150,2024-03-01\n"
        "008c,006A,2024-02-01 11:00:00,Prospecting,150,2024-03-31\n"
        "008d,006A,2024-03-20 12:00:00,Closed Won,150,2024-03-20\n"
        "008e,006B,2024-02-01 09:00:00,Qualification,,2024-06-30\n", encoding="utf-8")
    return folder


def test_salesforce_history_keeps_every_row_and_adds_the_current_state(tmp_path: Path) -> None:
    ds = toolkit.load(_salesforce(tmp_path / "sf"))
    h, o = "OpportunityHistory.csv", "Opportunity.csv"
    assert _states(ds) == [
        ("006A", D(2024, 1, 1, 9), "Qualify", 100.0, "EUR", dt.date(2024, 3, 1), h, 2),
        ("006A", D(2024, 1, 15, 10), "Qualify", 150.0, "EUR", dt.date(2024, 3, 1), h, 3),
        ("006A", D(2024, 2, 1, 11), "Qualify", 150.0, "EUR", dt.date(2024, 3, 31), h, 4),
        ("006A", D(2024, 3, 20, 12), "Closed Won", 150.0, "EUR", dt.date(2024, 3, 20), h, 5),
        # the current state starts at LastModifiedDate; at the same time it follows the history row
        ("006A", D(2024, 3, 20, 12), "Closed Won", 150.0, "EUR", dt.date(2024, 3, 20), o, 2),
        # an empty Amount in a history row is an empty amount in that state (not the current 80)
        ("006B", D(2024, 2, 1, 9), "Qualify", None, "USD", dt.date(2024, 6, 30), h, 6),
        ("006B", D(2024, 2, 10, 8), "Qualify", 80.0, "USD", dt.date(2024, 6, 30), o, 3),
    ]
    # stage_events still collapse the rows of one stage: 006A entered two stages, 006B one.
    assert ds.stage_events.select(S.DEAL_ID, S.STAGE).rows() == [("006A", "Qualify"), ("006A", "Closed Won"),
                                                                 ("006B", "Qualify")]
    assert ds.summary()["deal_states"] == 7


def test_current_state_without_a_modified_time_starts_at_the_latest_time_the_export_shows(tmp_path: Path) -> None:
    ds = toolkit.load(_salesforce(tmp_path / "sf", modified=False))
    current = ds.deal_states.filter(pl.col(S.SOURCE_FILE) == "Opportunity.csv")
    # 006A is closed: from its close (the won entry of the history); 006B is open: its last history row.
    assert current.select(S.DEAL_ID, S.VALID_FROM).rows() == [("006A", D(2024, 3, 20, 12)), ("006B", D(2024, 2, 1, 9))]


def test_a_source_without_history_has_one_state_per_deal(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text("Ref,Stage,Amount,Created\nA,Qualify,10,2024-01-02\nB,Propose,,2024-01-03\n",
                                        encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(
        "files: {deals: deals.csv}\ncolumns:\n  deals: {deal_id: Ref, stage_raw: Stage, amount: Amount, "
        "created_at: Created}\ncurrency: EUR\n", encoding="utf-8")
    ds = toolkit.load(tmp_path)
    assert _states(ds) == [("A", D(2024, 1, 2), "Qualify", 10.0, "EUR", None, "deals.csv", 2),
                           ("B", D(2024, 1, 3), "Propose", None, "EUR", None, "deals.csv", 3)]


def test_generic_history_with_amount_and_close_date_columns(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text("Ref,Stage,Amount,Due\nA,Propose,120,2024-05-31\n", encoding="utf-8")
    (tmp_path / "history.csv").write_text(
        "Ref,Stage,At,Value,Due\nA,Qualify,2024-01-02 10:00,100,2024-04-30\nA,Qualify,2024-01-09 10:00,110,2024-04-30\n"
        "A,Propose,2024-01-16 10:00,120,2024-05-31\n", encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(
        "files: {deals: deals.csv, stage_events: history.csv}\ncurrency: EUR\ncolumns:\n"
        "  deals: {deal_id: Ref, stage_raw: Stage, amount: Amount, close_date: Due}\n"
        "  stage_events: {deal_id: Ref, stage_raw: Stage, entered_at: At, amount: Value, close_date: Due}\n",
        encoding="utf-8")
    ds = toolkit.load(tmp_path)
    assert _states(ds) == [
        ("A", D(2024, 1, 2, 10), "Qualify", 100.0, "EUR", dt.date(2024, 4, 30), "history.csv", 2),
        ("A", D(2024, 1, 9, 10), "Qualify", 110.0, "EUR", dt.date(2024, 4, 30), "history.csv", 3),
        ("A", D(2024, 1, 16, 10), "Propose", 120.0, "EUR", dt.date(2024, 5, 31), "history.csv", 4),
        # no modified time, no creation: the current state starts at the last history row
        ("A", D(2024, 1, 16, 10), "Propose", 120.0, "EUR", dt.date(2024, 5, 31), "deals.csv", 2),
    ]
    assert ds.stage_events.height == 2


def test_a_stage_only_history_keeps_the_current_amount_and_close_date(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text("Ref,Stage,Amount\nA,Propose,50\n", encoding="utf-8")
    (tmp_path / "history.csv").write_text("Ref,Stage,At\nA,Qualify,2024-01-02\nA,Propose,2024-01-05\n",
                                          encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(
        "files: {deals: deals.csv, stage_events: history.csv}\ncolumns:\n"
        "  deals: {deal_id: Ref, stage_raw: Stage, amount: Amount}\n"
        "  stage_events: {deal_id: Ref, stage_raw: Stage, entered_at: At}\n", encoding="utf-8")
    rows = _states(toolkit.load(tmp_path))
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [("A", D(2024, 1, 2), "Qualify", 50.0),
                                                        ("A", D(2024, 1, 5), "Propose", 50.0),
                                                        ("A", D(2024, 1, 5), "Propose", 50.0)]


def test_states_from_two_exports(tmp_path: Path) -> None:
    def export(name: str, rows: str) -> toolkit.Dataset:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "deals.csv").write_text("Ref,Stage,Amount,Due\n" + rows, encoding="utf-8")
        (folder / "mapping.yaml").write_text("files: {deals: deals.csv}\ncurrency: EUR\ncolumns:\n"
                                             "  deals: {deal_id: Ref, stage_raw: Stage, amount: Amount, close_date: Due}\n",
                                             encoding="utf-8")
        return toolkit.load(folder)

    before = export("w1", "A,Qualify,100,2024-03-31\nB,Propose,50,2024-04-30\n")
    after = export("w2", "A,Propose,100,2024-04-30\nC,Qualify,10,2024-05-31\n")
    states = states_from_two_exports(before, after, dt.date(2024, 3, 1), D(2024, 3, 8, 6))
    end_of_day = D(2024, 3, 1, 23, 59, 59)
    assert states.rows() == [
        ("A", end_of_day, "Qualify", 100.0, "EUR", dt.date(2024, 3, 31), "deals.csv", 2),
        ("A", D(2024, 3, 8, 6), "Propose", 100.0, "EUR", dt.date(2024, 4, 30), "deals.csv", 2),
        ("B", end_of_day, "Propose", 50.0, "EUR", dt.date(2024, 4, 30), "deals.csv", 3),
        ("C", D(2024, 3, 8, 6), "Qualify", 10.0, "EUR", dt.date(2024, 5, 31), "deals.csv", 3),
    ]
    assert states.columns == S.names(S.DEAL_STATES)
    with pytest.raises(ConfigError):
        states_from_two_exports(after, before, dt.date(2024, 3, 8), dt.date(2024, 3, 1))


# --- the real Salesforce Data Exports ---------------------------------------------------------

def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.realdata
@pytest.mark.parametrize("folder, opportunities", [("sfdc-devorg-sample-elastic", "opportunity.csv"),
                                                   ("sfdc-devorg-sample-powerbi", "Opportunity.csv")])
def test_real_salesforce_exports_keep_every_history_row(folder: str, opportunities: str) -> None:
    path = REALDATA / folder
    if not path.is_dir():
        pytest.skip(f"real CRM exports not found at {path}")
    opps = _csv_rows(path / opportunities)
    live = {r["Id"] for r in opps if r.get("IsDeleted", "0").lower() not in ("1", "true")}
    history = [r for r in _csv_rows(path / "OpportunityHistory.csv")
               if r["OpportunityId"] in live and r.get("IsDeleted", "0").lower() not in ("1", "true")]
    ds = toolkit.load(path)
    # one state per live history row, plus one current state per opportunity
    assert ds.deal_states.height == len(history) + len(live)
    per_deal: dict[str, int] = {}
    for r in history:
        per_deal[r["OpportunityId"]] = per_deal.get(r["OpportunityId"], 0) + 1
    got = dict(ds.deal_states.group_by(S.DEAL_ID).len().rows())
    assert got == {d: per_deal.get(d, 0) + 1 for d in live}
    # the amounts of the history rows are kept, row by row
    want_amounts = sorted(float(r["Amount"]) for r in history if r["Amount"])
    got_amounts = sorted(ds.deal_states.filter(pl.col(S.SOURCE_FILE) == "OpportunityHistory.csv")[S.AMOUNT]
                         .drop_nulls().to_list())
    assert got_amounts == want_amounts


@pytest.mark.realdata
def test_real_salesforce_export_counts() -> None:
    """The figures of the two dev-org exports, as counted by the test above, written down."""
    for folder, states, events in (("sfdc-devorg-sample-elastic", 93, 31), ("sfdc-devorg-sample-powerbi", 84, 48)):
        path = REALDATA / folder
        if not path.is_dir():
            pytest.skip(f"real CRM exports not found at {path}")
        ds = toolkit.load(path)
        assert (ds.deal_states.height, ds.stage_events.height) == (states, events), folder


def test_hubspot_stage_entries_and_the_current_state_from_last_modified(tmp_path: Path) -> None:
    (tmp_path / "hubspot-crm-exports-all-deals-2024-03-01.csv").write_text(
        '"Record ID","Deal Name","Deal Stage","Deal owner","Amount","Close Date","Last Modified Date",'
        '"Date entered ""Qualify (Sales Pipeline)""","Date entered ""Propose (Sales Pipeline)"""\n'
        '"1","A","Propose","Ann","500","2024-04-30 00:00","2024-02-20 08:00","2024-01-01 10:00","2024-02-01 10:00"\n',
        encoding="utf-8")
    ds = toolkit.load(tmp_path)
    name = "hubspot-crm-exports-all-deals-2024-03-01.csv"
    # The export has no amount history: the stage entries carry the current amount and close date.
    assert _states(ds) == [("1", D(2024, 1, 1, 10), "Qualify", 500.0, None, dt.date(2024, 4, 30), name, 2),
                           ("1", D(2024, 2, 1, 10), "Propose", 500.0, None, dt.date(2024, 4, 30), name, 2),
                           ("1", D(2024, 2, 20, 8), "Propose", 500.0, None, dt.date(2024, 4, 30), name, 2)]


def test_salesforce_report_history_with_amount_and_close_date(tmp_path: Path) -> None:
    (tmp_path / "opportunities.csv").write_text(
        '"Opportunity ID","Opportunity Name","Stage","Opportunity Owner","Amount","Close Date"\n'
        '"006A","Alpha","Proposal","Ann","120","3/31/2024"\n', encoding="utf-8")
    (tmp_path / "stage_history.csv").write_text(
        '"Opportunity ID","To Stage","Edit Date","Amount","Close Date"\n'
        '"006A","Prospecting","1/5/2024","100","2/29/2024"\n"006A","Proposal","2/1/2024","120","3/31/2024"\n',
        encoding="utf-8")
    ds = toolkit.load(tmp_path, source="salesforce_report")
    h, o = "stage_history.csv", "opportunities.csv"
    assert _states(ds) == [("006A", D(2024, 1, 5), "Qualify", 100.0, None, dt.date(2024, 2, 29), h, 2),
                           ("006A", D(2024, 2, 1), "Propose", 120.0, None, dt.date(2024, 3, 31), h, 3),
                           # no modified time in a report: the current state from the last history row
                           ("006A", D(2024, 2, 1), "Propose", 120.0, None, dt.date(2024, 3, 31), o, 2)]


def test_the_current_state_never_starts_before_the_last_history_row(tmp_path: Path) -> None:
    folder = tmp_path / "sf"
    folder.mkdir()
    (folder / "Opportunity.csv").write_text(
        "Id,Name,StageName,Amount,CloseDate,IsClosed,IsWon,LastModifiedDate\n"
        "006A,Alpha,Proposal,90,2024-05-31,false,false,2024-01-01 00:00:00\n", encoding="utf-8")
    (folder / "OpportunityHistory.csv").write_text(
        "Id,OpportunityId,CreatedDate,StageName,Amount,CloseDate\n"
        "008a,006A,2024-02-01 09:00:00,Proposal,80,2024-05-31\n", encoding="utf-8")
    ds = toolkit.load(folder)
    # LastModifiedDate says January, the history February: the export's amount (90) is the latest.
    assert ds.deal_states.select(S.VALID_FROM, S.AMOUNT, S.SOURCE_FILE).rows() == [
        (D(2024, 2, 1, 9), 80.0, "OpportunityHistory.csv"), (D(2024, 2, 1, 9), 90.0, "Opportunity.csv")]


def test_changes_read_the_current_state_after_a_history_row_of_the_same_time(tmp_path: Path) -> None:
    """The first deal has no history, so the deals file is the first file of the frame; a later
    deal's current state (50, from its last history row's time) still comes after that row (40)."""
    from toolkit.metrics.changes import deal_changes

    (tmp_path / "opportunities.csv").write_text(
        '"Opportunity ID","Opportunity Name","Stage","Opportunity Owner","Amount","Close Date","Created Date"\n'
        '"006A","Alpha","Proposal","Ann","130","3/31/2024","1/1/2024"\n'
        '"006B","Beta","Proposal","Ann","50","3/31/2024","1/1/2024"\n', encoding="utf-8")
    (tmp_path / "stage_history.csv").write_text(
        '"Opportunity ID","To Stage","Edit Date","Amount","Close Date"\n'
        '"006B","Prospecting","1/5/2024","40","3/31/2024"\n"006B","Proposal","2/1/2024","40","3/31/2024"\n',
        encoding="utf-8")
    ds = toolkit.load(tmp_path, source="salesforce_report")
    assert ds.deal_states.select(S.DEAL_ID, S.VALID_FROM, S.AMOUNT, S.SOURCE_FILE).rows() == [
        ("006B", D(2024, 1, 5), 40.0, "stage_history.csv"), ("006B", D(2024, 2, 1), 40.0, "stage_history.csv"),
        ("006A", D(2024, 1, 1), 130.0, "opportunities.csv"), ("006B", D(2024, 2, 1), 50.0, "opportunities.csv")]
    # the same states with each deal's rows together (the deals file first in the frame) read alike
    for states in (ds.deal_states, _by_deal(ds.deal_states)):
        changes = deal_changes(states, ds.deals, toolkit.load_process(), dt.date(2024, 2, 3))
        assert changes.select(S.DEAL_ID, "amount_from", "amount_to", "amount_up", "stage_changed").rows() == [
            ("006B", 40.0, 50.0, True, True)]


def test_a_history_in_order_and_one_out_of_order_give_the_same_states() -> None:
    from toolkit.loaders.states import deal_states

    t = [dt.datetime(2025, 1, d) for d in range(1, 6)]
    history = pl.DataFrame({
        S.DEAL_ID: ["a", "a", "a", "b", "c"], S.VALID_FROM: [t[0], t[1], t[1], t[0], t[3]],
        S.STAGE: ["Qualify", "Discover", "Propose", "Qualify", "Qualify"], S.AMOUNT: [1.0, 2.0, 3.0, 4.0, 5.0],
        S.CURRENCY: ["EUR"] * 5, S.CLOSE_DATE: [dt.date(2025, 3, 1)] * 5, S.SOURCE_FILE: ["h.csv"] * 5,
        S.SOURCE_LINE: [2, 3, 4, 5, 6], "_rank": [0] * 5},
        schema_overrides={S.VALID_FROM: S.DATETIME, "_rank": pl.Int32})
    deals = pl.DataFrame({
        S.DEAL_ID: ["a", "b", "c", "d"], "_modified": [t[2], None, t[0], None], S.STATUS: ["open", "won", "open", "open"],
        S.CLOSED_AT: [None, t[4], None, None], S.CREATED_AT: [t[0], t[0], t[0], t[1]],
        S.STAGE: ["Propose", "Closed Won", "Qualify", "Qualify"], S.AMOUNT: [3.0, 4.0, 5.0, 6.0],
        S.CURRENCY: ["EUR"] * 4, S.CLOSE_DATE: [dt.date(2025, 3, 1)] * 4, S.SOURCE_FILE: ["o.csv"] * 4,
        S.SOURCE_LINE: [2, 3, 4, 5]}, schema_overrides={"_modified": S.DATETIME, S.CLOSED_AT: S.DATETIME,
                                                        S.CREATED_AT: S.DATETIME})
    ordered = deal_states(history, deals)
    shuffled = deal_states(history.reverse(), deals)
    # the history's states by deal and time, then each deal's current state
    assert ordered[S.SOURCE_FILE].to_list() == ["h.csv"] * 5 + ["o.csv"] * 4
    assert shuffled[S.SOURCE_FILE].to_list() == ["h.csv"] * 5 + ["o.csv"] * 4
    ordered, shuffled = _by_deal(ordered), _by_deal(shuffled)
    assert ordered.select(S.DEAL_ID, S.VALID_FROM, S.SOURCE_FILE, S.SOURCE_LINE).rows() == [
        ("a", t[0], "h.csv", 2), ("a", t[1], "h.csv", 3), ("a", t[1], "h.csv", 4), ("a", t[2], "o.csv", 2),
        ("b", t[0], "h.csv", 5), ("b", t[4], "o.csv", 3),
        ("c", t[3], "h.csv", 6), ("c", t[3], "o.csv", 4),  # modified before its last history row: not earlier
        ("d", t[1], "o.csv", 5)]
    # rows of one deal and time keep the history's order, so only the two rows of ("a", t[1]) swap
    assert shuffled.select(S.DEAL_ID, S.SOURCE_LINE).rows() == [
        ("a", 2), ("a", 4), ("a", 3), ("a", 2), ("b", 5), ("b", 3), ("c", 6), ("c", 4), ("d", 5)]


def test_states_left_to_the_end_of_a_load_are_those_made_at_once(tmp_path: Path) -> None:
    from toolkit.loaders.common import Roster
    from toolkit.loaders.salesforce import load_salesforce
    from toolkit.loaders.states import finish_deferred, states_deferred

    folder = _salesforce(tmp_path / "sf")
    process = toolkit.load_process()
    at_once = load_salesforce(folder, process=process, roster=Roster.empty())
    with states_deferred() as pending:
        discarded = load_salesforce(folder, process=process, roster=Roster.empty())
        later = load_salesforce(folder, process=process, roster=Roster.empty())
        assert later.deal_states.is_empty() and len(pending) == 2
    assert finish_deferred(later, pending) is later and not pending  # the other Dataset's states are dropped
    assert discarded.deal_states.is_empty()
    assert later.deal_states.height == 7 and later.deal_states.equals(at_once.deal_states)
    assert _states(toolkit.load(folder)) == _states(at_once)


def test_state_rows_of_a_history_carry_its_file_name_once_and_the_table_gives_it_as_text() -> None:
    from toolkit.loaders.common import source_file_column
    from toolkit.loaders.states import deal_states, history_states

    t = dt.datetime(2025, 1, 1)
    rows = pl.DataFrame({S.DEAL_ID: ["a", "a"], S.VALID_FROM: [t, t], S.STAGE: ["Qualify", "Propose"],
                         S.SOURCE_LINE: [2, 3]}, schema_overrides={S.VALID_FROM: S.DATETIME}
                        ).with_columns(source_file_column("OpportunityHistory.csv"))
    deals = pl.DataFrame({S.DEAL_ID: ["a"], S.STATUS: ["open"], S.CLOSED_AT: [None], S.CREATED_AT: [t],
                          S.STAGE: ["Propose"], S.AMOUNT: [3.0], S.CURRENCY: ["EUR"], S.CLOSE_DATE: [None],
                          S.SOURCE_FILE: ["Opportunity.csv"], S.SOURCE_LINE: [2]},
                         schema_overrides={S.CLOSED_AT: S.DATETIME, S.CREATED_AT: S.DATETIME, S.CLOSE_DATE: pl.Date})
    states = history_states(rows, deals)
    assert states.schema[S.SOURCE_FILE] == pl.Categorical
    table = deal_states(states, deals)
    assert table.schema[S.SOURCE_FILE] == pl.String
    assert table.select(S.SOURCE_FILE, S.SOURCE_LINE, S.AMOUNT).rows() == [
        ("OpportunityHistory.csv", 2, 3.0), ("OpportunityHistory.csv", 3, 3.0), ("Opportunity.csv", 2, 3.0)]
