"""The process read from the export: the derived order equals the source's own order (read here
with plain csv/json), per pipeline; won and lost stages, entry stages; the load uses it when no
process file is given and the default does not fit; `toolkit process suggest` writes it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

import toolkit
from toolkit import schema as S
from toolkit.model import Dataset
from toolkit.process import load_process, parse_process
from toolkit.process_derive import derive_process

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
REALDATA = ROOT.parent / "shared" / "realdata"
real = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"real CRM exports not found at {REALDATA}")
DEFAULT_OPEN = ["Qualify", "Discover", "Propose", "Negotiate"]


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def open_stages(derived) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.name for s in derived.stages]


# --- real exports: their own stage names and their own order ----------------------------------

def salesforce_sort_order(folder: str) -> tuple[list[str], str]:
    """(open stages by StageSortOrder, the won label) from Opportunity.csv, by hand."""
    opp = rows(REALDATA / folder / "opportunity.csv")
    order = {r["StageName"]: int(r["StageSortOrder"]) for r in opp}
    open_ = sorted({r["StageName"] for r in opp if r["IsClosed"] == "0"}, key=order.__getitem__)
    (won,) = {r["StageName"] for r in opp if r["IsWon"] == "1"}
    return open_, won


@real
def test_salesforce_data_export_order_is_stage_sort_order() -> None:
    expected, won = salesforce_sort_order("sfdc-devorg-sample-elastic")
    der = derive_process(toolkit.load(REALDATA / "sfdc-devorg-sample-elastic"))
    assert open_stages(der.process) == expected
    assert der.process.won.name == won == "Closed Won"
    assert der.pipelines[0].order_origin == "Opportunity.StageSortOrder"
    # No lost deal in this export: the lost end keeps the default's name.
    assert der.process.lost.name == "Closed Lost"


@real
def test_salesforce_export_without_sort_order_orders_by_probability_then_flow() -> None:
    opp = rows(REALDATA / "sfdc-devorg-sample-powerbi" / "Opportunity.csv")
    prob = {r["StageName"]: float(r["Probability"]) for r in opp}
    der = derive_process(toolkit.load(REALDATA / "sfdc-devorg-sample-powerbi"))
    got = open_stages(der.process)
    assert set(got) == {r["StageName"] for r in opp if r["IsClosed"] == "FALSE"}
    assert [prob[s] for s in got] == sorted(prob[s] for s in got)
    # The same org's stages: the order equals the elastic export's StageSortOrder, the tie at
    # 10 % (Prospecting, Qualification) settled by where deals start (6 vs 1 in the history).
    assert got == salesforce_sort_order("sfdc-devorg-sample-elastic")[0]
    assert (der.process.won.name, der.process.lost.name) == ("Closed Won", "Closed Lost")
    hist = rows(REALDATA / "sfdc-devorg-sample-powerbi" / "OpportunityHistory.csv")
    first: dict[str, str] = {}
    for r in sorted(hist, key=lambda r: dt.datetime.strptime(r["CreatedDate"], "%m/%d/%y %I:%M %p")):
        first.setdefault(r["OpportunityId"], r["StageName"])
    assert der.pipelines[0].first_recorded == dict(Counter(first.values()))


@real
def test_fivetran_salesforce_hashed_stages() -> None:
    # Every opportunity of the seed is deleted; their stages still say the org's process, one per
    # record type (the pipeline). One record type has closed stages only: no process of its own.
    opp = rows(REALDATA / "fivetran-salesforce-seeds" / "sf_opportunity_data.csv")
    by_type: dict[str, list[dict[str, str]]] = {}
    for r in opp:
        by_type.setdefault(r["record_type_id"], []).append(r)
    with_open = {t: rs for t, rs in by_type.items() if any(r["is_closed"] == "false" for r in rs)}
    der = derive_process(toolkit.load(REALDATA / "fivetran-salesforce-seeds"))
    assert [d.pipeline for d in der.pipelines] == list(with_open) and set(der.skipped) == set(by_type) - set(with_open)
    (rs,) = with_open.values()
    assert open_stages(der.process) == sorted({r["stage_name"] for r in rs if r["is_closed"] == "false"})
    (won,) = {r["stage_name"] for r in rs if r["is_won"] == "true"}
    assert not {r["stage_name"] for r in rs if r["is_closed"] == "true" and r["is_won"] == "false"}
    assert (der.process.won.name, der.process.lost.name) == (won, "Closed Lost")


@real
def test_hubspot_sync_one_process_per_pipeline_in_display_order() -> None:
    stages = [r for r in rows(REALDATA / "fivetran-hubspot-seeds" / "deal_pipeline_stage_data.csv")
              if r["_fivetran_deleted"] == "FALSE" and r["active"] == "TRUE"]
    expected: dict[str, list[str]] = {}
    for r in sorted(stages, key=lambda r: int(r["display_order"])):
        if r["is_closed"] == "FALSE":
            expected.setdefault(r["pipeline_id"], []).append(r["label"])
    der = derive_process(toolkit.load(REALDATA / "fivetran-hubspot-seeds"))
    got = {name: open_stages(p) for name, p in der.process.pipelines.items()}
    assert got == expected
    for name, p in der.process.pipelines.items():
        won = [r["label"] for r in sorted(stages, key=lambda r: int(r["display_order"]))
               if r["pipeline_id"] == name and r["closed_won"] == "TRUE"]
        assert (p.won.name, p.won.aliases[:len(won) - 1]) == (won[0], tuple(won[1:])) if won else (
            p.won.name == "Closed Won")
    # A pipeline of won stages only has no open stage to make a process of.
    only_closed = {r["pipeline_id"] for r in stages} - set(expected)
    assert set(der.skipped) == only_closed


# --- the project's samples, one per source ------------------------------------------------------

def test_hubspot_export_order_is_the_date_entered_columns() -> None:
    path = SAMPLES / "hubspot" / "hubspot-crm-exports-all-deals-2025-06-30.csv"
    with path.open(newline="", encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh))
    in_columns = [m.group(1) for h in header if (m := re.match(r"Date entered \"(.+) \(.+\)\"$", h))]
    der = derive_process(toolkit.load(SAMPLES / "hubspot"))
    names = [s for p in der.process.all_processes()[:1] for s in p.stage_names]
    assert names == [s for s in in_columns] and len(in_columns) == 6


def test_pipedrive_order_is_the_stage_ids_and_won_lost_are_statuses() -> None:
    ids: dict[str, int] = {}
    for line in (SAMPLES / "pipedrive" / "deal-flow.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)["data"]
        if d["field_key"] == "stage_id":
            for side in ("old", "new"):
                ids[d["additional_data"][f"{side}_value_formatted"]] = int(d[f"{side}_value"])
    der = derive_process(toolkit.load(SAMPLES / "pipedrive"))
    assert open_stages(der.process) == sorted(ids, key=ids.__getitem__)
    assert der.pipelines[0].order_origin == "Pipedrive stage ids (deal flow)"
    assert "statuses" in der.pipelines[0].outcome_origin


@pytest.mark.parametrize("folder", ["salesforce_export", "salesforce_report", "generic_fr"])
def test_history_only_sources_follow_the_observed_flow(folder: str) -> None:
    # The samples are generated from the default process: the flow of their history is its order.
    der = derive_process(toolkit.load(SAMPLES / folder))
    assert open_stages(der.process) == DEFAULT_OPEN
    assert der.pipelines[0].deals == 1002  # the samples' deals (README of data/samples)


# --- tiny datasets: flow, statuses, pipelines ---------------------------------------------------

def dataset(deals: list[tuple[str, str, str | None, str]], events: list[tuple[str, str, str, str]],
            source: str = "generic") -> Dataset:
    """deals (id, stage_raw, status, pipeline); events (id, stage_raw, day, pipeline)."""
    d = pl.DataFrame(deals, schema={S.DEAL_ID: pl.String, S.STAGE_RAW: pl.String, S.STATUS: pl.String,
                                    S.PIPELINE: pl.String}, orient="row")
    e = pl.DataFrame([(i, s, dt.datetime.fromisoformat(day), p, n) for n, (i, s, day, p) in enumerate(events, 2)],
                     schema={S.DEAL_ID: pl.String, S.STAGE_RAW: pl.String, S.ENTERED_AT: S.DATETIME,
                             S.PIPELINE: pl.String, S.SOURCE_LINE: pl.Int64}, orient="row")
    empty = pl.DataFrame()
    return Dataset(source, d, e, empty, empty, empty, empty)


def test_flow_orders_stages_no_catalogue_names() -> None:
    # Deals enter Erstgespräch before Angebot before Verhandlung, one skips, one goes back.
    ds = dataset([("1", "Gewonnen", "won", "x"), ("2", "Angebot", "open", "x"), ("3", "Verloren", "lost", "x")],
                 [("1", "Erstgespräch", "2024-01-01", "x"), ("1", "Angebot", "2024-01-05", "x"),
                  ("1", "Verhandlung", "2024-01-09", "x"), ("1", "Gewonnen", "2024-01-20", "x"),
                  ("2", "Erstgespräch", "2024-02-01", "x"), ("2", "Verhandlung", "2024-02-03", "x"),
                  ("2", "Angebot", "2024-02-04", "x"), ("3", "Angebot", "2024-03-01", "x"),
                  ("3", "Verloren", "2024-03-02", "x")])
    der = derive_process(ds)
    assert open_stages(der.process) == ["Erstgespräch", "Angebot", "Verhandlung"]
    assert (der.process.won.name, der.process.lost.name) == ("Gewonnen", "Verloren")
    assert der.pipelines[0].first_recorded == {"Erstgespräch": 2, "Angebot": 1}
    # 1 of 3 deals starts in Angebot (33 % >= 20 %): an entry stage.
    assert der.process.entry_stages == ("Erstgespräch", "Angebot")


def test_pipelines_with_stray_spaces_are_one_pipeline_each() -> None:
    ds = dataset([("1", "A", "open", "East"), ("2", "B", "open", " east  "), ("3", "P", "open", "Renewals")],
                 [("1", "A", "2024-01-01", "East"), ("1", "B", "2024-01-02", "EAST"),
                  ("2", "A", "2024-01-01", "east"), ("2", "B", "2024-01-03", "east"),
                  ("3", "Q", "2024-01-01", "Renewals"), ("3", "P", "2024-01-04", "Renewals")])
    der = derive_process(ds)
    assert {k: open_stages(v) for k, v in der.process.pipelines.items()} == {"East": ["A", "B"],
                                                                             "Renewals": ["Q", "P"]}
    assert der.process.for_pipeline(" EAST ").stage_names[:2] == ["A", "B"]


def test_derived_process_reads_back_from_yaml() -> None:
    from toolkit.process_yaml import process_to_yaml
    der = derive_process(toolkit.load(SAMPLES / "pipedrive"))
    again = parse_process(process_to_yaml(der.process))
    assert again.stage_names == der.process.stage_names and again.entry_stages == der.process.entry_stages


# --- the load and the CLI -----------------------------------------------------------------------

@real
def test_load_without_a_process_reads_it_from_the_export() -> None:
    expected, _ = salesforce_sort_order("sfdc-devorg-sample-elastic")
    ds = toolkit.load(REALDATA / "sfdc-devorg-sample-elastic")
    assert ds.process is not None and open_stages(ds.process) == expected
    assert ds.process_note is not None and ds.process_note.startswith(
        "process read from the export: stages " + " → ".join(expected))
    assert "edit process.yaml to set limits and required fields" in ds.process_note
    assert ds.process_note in ds.notes
    assert ds.deals[S.STAGE].null_count() == 0 and ds.stage_events[S.STAGE].null_count() == 0
    # A process given is used as given (the labels stay unknown).
    given = toolkit.load(REALDATA / "sfdc-devorg-sample-elastic", process=load_process())
    assert given.process_note is None and given.deals[S.STAGE].null_count() == 4


@real
def test_a_derived_process_reads_each_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The export is finished twice (default process, then its own) but read and typed once, and
    # the second finish starts from the files as first read: the same load as with a process given.
    from toolkit.loaders import reading
    folder = REALDATA / "sfdc-devorg-sample-elastic"
    reads: Counter[str] = Counter()
    read = reading.read_delimited

    def counted(path: Path, **kw: object) -> reading.RawTable:
        reads[path.name] += 1
        return read(path, **kw)  # type: ignore[arg-type]
    monkeypatch.setattr(reading, "read_delimited", counted)
    ds = toolkit.load(folder)
    assert ds.process_note is not None and reads and set(reads.values()) == {1}
    given = toolkit.load(folder, process=ds.process)
    for name in ("deals", "stage_events", "deal_states", "rejects", "files"):
        assert getattr(ds, name).equals(getattr(given, name)), name


def test_load_keeps_the_default_process_where_it_fits() -> None:
    ds = toolkit.load(SAMPLES / "salesforce_export")
    assert ds.process is not None and ds.process.name == "Standard B2B" and ds.process_note is None


def test_entry_stages_are_no_late_start() -> None:
    from toolkit.metrics.compliance import deal_flags
    base = """name: T\nstages: [{name: A}, {name: B}, {name: C}]\nwon: W\nlost: L\n"""
    deals = pl.DataFrame({S.DEAL_ID: ["1", "2"], S.STAGE: ["B", "C"], S.STATUS: ["open", "open"],
                          S.CLOSE_DATE: [None, None]}, schema_overrides={S.CLOSE_DATE: pl.Date})
    events = pl.DataFrame({S.DEAL_ID: ["1", "2"], S.STAGE: ["B", "C"],
                           S.ENTERED_AT: [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)]})
    day = dt.date(2024, 1, 10)

    def late(text: str) -> list[str]:
        f = deal_flags(deals, events, parse_process(text), day)
        return f.filter(pl.col("flag") == "started_late")[S.DEAL_ID].to_list()
    assert late(base) == ["1", "2"]
    assert late(base + "entry_stages: [A, B]\n") == ["2"]


def test_cli_process_suggest_writes_an_editable_commented_process(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from toolkit.cli import app
    out = tmp_path / "process.yaml"
    res = CliRunner().invoke(app, ["process", "suggest", str(SAMPLES / "salesforce_export"), "--out", str(out),
                                   "--as-of", "2025-06-30"])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    p = parse_process(text)
    assert open_stages(p) == DEFAULT_OPEN
    # Where the order came from, how many deals start where, limits and moves, as comments.
    assert "# order: the observed flow of the history" in text
    hist = rows(SAMPLES / "salesforce_export" / "OpportunityHistory.csv")
    first: dict[str, str] = {}
    for r in sorted(hist, key=lambda r: r["CreatedDate"]):  # stable: file order breaks ties
        first.setdefault(r["OpportunityId"], r["StageName"])
    starts = Counter(first.values())
    now = Counter(r["StageName"] for r in rows(SAMPLES / "salesforce_export" / "Opportunity.csv"))
    assert f"# {now['Qualify']:,} deals here now; {starts['Qualify']:,} first recorded here" in text
    assert re.search(r"# max_days: \d+ +# p80 of [\d,]+ completed stays", text)
    assert re.search(r"# the history shows [\d,]+ moves: backward \d+", text)
    assert "skips (from → to, moves): Qualify → Propose" in text


@real
@pytest.mark.parametrize(("folder", "as_of"), [("sfdc-devorg-sample-elastic", "2023-11-01"),
                                              ("sfdc-devorg-sample-powerbi", "2026-03-31")])
def test_report_on_a_real_export_with_its_own_stages_and_no_process_file(folder: str, as_of: str,
                                                                          tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from toolkit.cli import app
    res = CliRunner().invoke(app, ["report", str(REALDATA / folder), "--as-of", as_of, "--out", str(tmp_path),
                                   "--formats", "html", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    day = tmp_path / as_of
    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["teams"] and all(t["status"] == "published" for t in manifest["teams"])
    for t in manifest["teams"]:
        page = (day / t["team_id"] / "team_report.html").read_text(encoding="utf-8")
        # The report says the process was read from the export, and which stages it has.
        assert "process read from the export: stages Prospecting → Qualification → Needs Analysis" in page
    assert (day / "index.html").is_file()

