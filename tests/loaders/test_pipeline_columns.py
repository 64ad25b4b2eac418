"""deals.pipeline and stage_events.pipeline: read from each source, ``default`` where it has none."""

from __future__ import annotations

from pathlib import Path

import polars as pl

import toolkit
from toolkit import schema as S


def _col(ds: toolkit.Dataset, table: str, *cols: str) -> list[tuple]:
    return getattr(ds, table).select(*cols).sort(list(cols)).rows()


def test_hubspot_pipeline_column_and_stage_columns_of_each_pipeline(tmp_path: Path) -> None:
    header = ('"Record ID","Deal Name","Pipeline","Deal Stage","Deal owner",'
              '"Date entered ""Appointment Scheduled (Sales Pipeline)""",'
              '"Date entered ""Closed Won (Sales Pipeline)""",'
              '"Date entered ""Appointment Scheduled (Renewals )""",'
              '"Date entered ""Closed Won (Renewals)"""\n')
    rows = ('"1","A","Sales Pipeline","Closed Won","Ann","2024-01-01 10:00","2024-02-01 10:00","",""\n'
            '"2","B","Renewals ","Appointment Scheduled","Ann","","","2024-01-05 09:00",""\n'
            '"3","C","","Appointment Scheduled","Bob","2024-01-07 09:00","","",""\n')
    (tmp_path / "hubspot-crm-exports-all-deals-2024-03-01.csv").write_text(header + rows, encoding="utf-8")
    ds = toolkit.load(tmp_path)
    assert ds.source == "hubspot"
    # "Renewals " (a stray space) is the pipeline "Renewals"; an empty cell is the default pipeline.
    assert _col(ds, "deals", S.DEAL_ID, S.PIPELINE) == [("1", "Sales Pipeline"), ("2", "Renewals"),
                                                        ("3", S.DEFAULT_PIPELINE)]
    # A stage column belongs to the pipeline in its label, whatever the deal's pipeline.
    assert _col(ds, "stage_events", S.DEAL_ID, S.STAGE_RAW, S.PIPELINE) == [
        ("1", "Appointment Scheduled", "Sales Pipeline"), ("1", "Closed Won", "Sales Pipeline"),
        ("2", "Appointment Scheduled", "Renewals"), ("3", "Appointment Scheduled", "Sales Pipeline")]


def _sf_export(folder: Path, *, record_types: bool) -> Path:
    folder.mkdir()
    (folder / "Opportunity.csv").write_text(
        "Id,Name,StageName,Amount,CloseDate,IsClosed,IsWon,CreatedDate,RecordTypeId\n"
        "006A,Alpha,Prospecting,100,2024-03-01,false,false,2024-01-01 10:00:00,012N\n"
        "006B,Beta,Prospecting,200,2024-03-01,false,false,2024-01-01 10:00:00,012R\n"
        "006C,Gamma,Prospecting,300,2024-03-01,false,false,2024-01-01 10:00:00,\n", encoding="utf-8")
    (folder / "OpportunityHistory.csv").write_text(
        "Id,OpportunityId,CreatedDate,StageName,Amount,CloseDate\n"
        "008A,006A,2024-01-01 10:00:00,Prospecting,100,2024-03-01\n"
        "008B,006B,2024-01-01 10:00:00,Prospecting,200,2024-03-01\n", encoding="utf-8")
    if record_types:
        (folder / "RecordType.csv").write_text(
            "Id,Name,SobjectType\n012N,New Business,Opportunity\n012R,Renewal,Opportunity\n012X,Service,Case\n",
            encoding="utf-8")
    return folder


def test_salesforce_record_type_names_the_pipeline(tmp_path: Path) -> None:
    ds = toolkit.load(_sf_export(tmp_path / "sf", record_types=True))
    assert _col(ds, "deals", S.DEAL_ID, S.PIPELINE) == [("006A", "New Business"), ("006B", "Renewal"),
                                                        ("006C", S.DEFAULT_PIPELINE)]
    assert _col(ds, "stage_events", S.DEAL_ID, S.PIPELINE) == [("006A", "New Business"), ("006B", "Renewal")]
    # RecordType.csv is in the ledger: 4 lines, 3 rows, the header skipped.
    rt = ds.files.filter(pl.col("role") == "record_types").row(0, named=True)
    assert (rt["lines_in"], rt["rows"], rt["skipped"]) == (4, 3, 1)


def test_salesforce_record_type_id_without_the_record_type_file(tmp_path: Path) -> None:
    ds = toolkit.load(_sf_export(tmp_path / "sf", record_types=False))
    assert _col(ds, "deals", S.DEAL_ID, S.PIPELINE) == [("006A", "012N"), ("006B", "012R"),
                                                        ("006C", S.DEFAULT_PIPELINE)]


def test_salesforce_report_record_type_column(tmp_path: Path) -> None:
    (tmp_path / "report.csv").write_text(
        '"Opportunity Name","Stage","Opportunity Owner","Opportunity Record Type","Amount"\n'
        '"Alpha","Prospecting","Ann","Enterprise","10"\n"Beta","Prospecting","Ann","","20"\n', encoding="utf-8")
    ds = toolkit.load(tmp_path / "report.csv", source="salesforce_report")
    assert _col(ds, "deals", S.DEAL_ID, S.PIPELINE) == [("Alpha", "Enterprise"), ("Beta", S.DEFAULT_PIPELINE)]


def test_pipedrive_deal_pipeline(tmp_path: Path) -> None:
    (tmp_path / "deals-1-1.csv").write_text(
        "Deal - ID,Deal - Title,Deal - Owner,Deal - Pipeline,Deal - Stage,Deal - Status\n"
        "1,A,Ann,Pipeline,Qualified,Open\n2,B,Ann,Partners\u00a0 Channel,Qualified,Open\n", encoding="utf-8")
    ds = toolkit.load(tmp_path)
    assert ds.source == "pipedrive"
    # a non-breaking space and a double space fold to one space
    assert _col(ds, "deals", S.DEAL_ID, S.PIPELINE) == [("1", "Pipeline"), ("2", "Partners Channel")]


def test_generic_mapping_pipeline_field(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text("Ref,Stage,Line\nA,Qualify,Direct\nB,Qualify,\n", encoding="utf-8")
    (tmp_path / "history.csv").write_text("Ref,Stage,At,Line\nA,Qualify,2024-01-01,Direct\n"
                                          "B,Qualify,2024-01-02,Resellers\n", encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(
        "files: {deals: deals.csv, stage_events: history.csv}\n"
        "columns:\n  deals: {deal_id: Ref, stage_raw: Stage, pipeline: Line}\n"
        "  stage_events: {deal_id: Ref, stage_raw: Stage, entered_at: At, pipeline: Line}\n", encoding="utf-8")
    ds = toolkit.load(tmp_path)
    assert _col(ds, "deals", S.DEAL_ID, S.PIPELINE) == [("A", "Direct"), ("B", S.DEFAULT_PIPELINE)]
    assert _col(ds, "stage_events", S.DEAL_ID, S.PIPELINE) == [("A", "Direct"), ("B", "Resellers")]


def test_sources_without_pipelines_say_default() -> None:
    samples = Path(__file__).resolve().parents[2] / "data" / "samples"
    for fmt in ("salesforce_export", "salesforce_report", "generic_fr"):
        ds = toolkit.load(samples / fmt)
        assert ds.deals[S.PIPELINE].unique().to_list() == [S.DEFAULT_PIPELINE], fmt
        assert ds.stage_events[S.PIPELINE].unique().to_list() == [S.DEFAULT_PIPELINE], fmt
        assert ds.deals.columns[: len(S.DEALS)] == S.names(S.DEALS)
        assert ds.stage_events.columns == S.names(S.STAGE_EVENTS)
