"""The gate sees what the loader did: each reject reason is a check with a severity, naming its
files and lines; a duplicated deal id blocks, naming every line of the id."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import toolkit
from toolkit import schema as S
from toolkit.cli import app
from toolkit.model import Dataset
from toolkit.process import load_process, parse_process
from toolkit.validation import validate_dataset
from toolkit.validation.load_checks import REPAIRS_ONLY, load_check_name, load_checks

ROOT = Path(__file__).resolve().parents[2]
SF = ROOT / "data" / "samples" / "salesforce_export"
REASONS = [r for r in S.Reason if r not in REPAIRS_ONLY]


def rejects(*rows: tuple[str, int, str | None, str, S.Reason]) -> pl.DataFrame:
    """(file, line, column, raw, reason) rows as a rejects frame."""
    return pl.DataFrame([{S.FILE: f, S.LINE: n, S.END_LINE: n, S.COLUMN: c, S.RAW: raw, S.REASON: str(r),
                          S.MESSAGE: "m"} for f, n, c, raw, r in rows], schema=S.polars_schema(S.REJECTS))


def dataset(rej: pl.DataFrame, deals: pl.DataFrame | None = None) -> Dataset:
    d = deals if deals is not None else pl.DataFrame(schema={S.DEAL_ID: pl.String, S.SOURCE_FILE: pl.String,
                                                             S.SOURCE_LINE: pl.Int64})
    files = pl.DataFrame({"file": ["a.csv", "b.csv"], "rows": [10, 5]})
    return Dataset("generic", d, pl.DataFrame(), pl.DataFrame(), rej, pl.DataFrame(), files)


@pytest.mark.parametrize("reason", REASONS, ids=str)
def test_each_reject_reason_is_a_check_naming_its_lines(reason: S.Reason) -> None:
    other = S.Reason.MALFORMED_RECORD if reason is not S.Reason.MALFORMED_RECORD else S.Reason.INVALID_DATE
    rej = rejects(("b.csv", 3, S.DEAL_ID, "D7", reason), ("a.csv", 7, "amount", "12,3,4", reason),
                  ("a.csv", 9, None, "x", other))
    deals = pl.DataFrame({S.DEAL_ID: ["D7", "D8"], S.SOURCE_FILE: ["b.csv", "a.csv"], S.SOURCE_LINE: [4, 5]})
    out = {o.name: o for o in load_checks(dataset(rej, deals), load_process().validation)}
    assert set(out) == {load_check_name(r) for r in REASONS}
    check = out[load_check_name(reason)]
    assert not check.success and check.table == "load"
    if reason is S.Reason.DUPLICATE_ID:
        # Every line of the id: the rejected copy (b.csv:3) and the row kept (b.csv:4); a duplicate
        # reject whose raw is not an id of the kept rows names its own line only.
        assert check.where() == ["a.csv:7", "b.csv:3", "b.csv:4"] and check.severity == "error"
        assert check.deal_ids == ["12,3,4", "D7", "D7"]
    else:
        assert check.where() == ["a.csv:7", "b.csv:3"] and check.severity == "warning"
        assert check.deal_ids == [None, "D7"]
    assert (check.unexpected_count, check.element_count) == (len(check.source_lines), 15 + 3)
    assert all(o.success for n, o in out.items() if n not in (check.name, load_check_name(other)))


def test_load_check_severity_comes_from_the_process() -> None:
    strict = parse_process(
        "name: T\nstages: [{name: A}]\nwon: W\nlost: L\n"
        "validation: {severity: {load.DUPLICATE_ID: warning, load.UNKNOWN_DEAL: error}}\n")
    rej = rejects(("a.csv", 2, S.DEAL_ID, "x", S.Reason.DUPLICATE_ID), ("h.csv", 5, S.DEAL_ID, "y",
                                                                      S.Reason.UNKNOWN_DEAL))
    out = {o.name: o.severity for o in load_checks(dataset(rej), strict.validation) if not o.success}
    assert out == {"load.DUPLICATE_ID": "warning", "load.UNKNOWN_DEAL": "error"}


# --- a real Salesforce Data Export with the problems written in -------------------------------

def csv_lines(path: Path, id_column: str) -> dict[str, list[int]]:
    """id -> the physical lines of its records (plain csv)."""
    out: dict[str, list[int]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        start = reader.line_num + 1
        for row in reader:
            out.setdefault(row[id_column], []).append(start)
            start = reader.line_num + 1
    return out


@pytest.fixture(scope="module")
def broken_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[int]], list[int]]:
    """The sample export with: line 11 a copy of line 10's id, line 20 deleted, line 30 an invalid
    close date, line 40 no id, line 50 one field too many. Returns the folder, the lost deals'
    history lines and the expected UNKNOWN_DEAL lines."""
    folder = tmp_path_factory.mktemp("sf")
    for f in SF.iterdir():
        shutil.copy(f, folder / f.name)
    lines = (folder / "Opportunity.csv").read_text(encoding="utf-8").split("\n")
    fields = {n: next(csv.reader([lines[n - 1]])) for n in (10, 11, 20, 30, 40, 50)}
    lost = [fields[n][0] for n in (11, 20, 30, 40, 50)]

    def line(values: list[str]) -> str:
        return ",".join('"' + v.replace('"', '""') + '"' for v in values)
    fields[11][0] = fields[10][0]
    fields[20][1] = "true"
    fields[30][6] = "2024-13-45"
    fields[40][0] = ""
    for n in (11, 20, 30, 40):
        lines[n - 1] = line(fields[n])
    lines[50 - 1] = line(fields[50] + ["extra"])
    (folder / "Opportunity.csv").write_text("\n".join(lines), encoding="utf-8")
    history = csv_lines(folder / "OpportunityHistory.csv", "OpportunityId")
    unknown = sorted(n for deal in lost for n in history.get(deal, []))
    return folder, history, unknown


def test_every_reject_of_a_real_export_is_a_failing_check(broken_export) -> None:  # type: ignore[no-untyped-def]
    folder, _history, unknown = broken_export
    data = toolkit.load(folder)
    report = validate_dataset(data, data.process, as_of=dt.date(2025, 6, 30))
    failed = {o.name: o for o in report.failed if o.table == "load"}
    opp = ["Opportunity.csv"]
    assert {n: (o.where(), o.severity) for n, o in failed.items() if n != "load.UNKNOWN_DEAL"} == {
        "load.DUPLICATE_ID": ([f"{f}:{n}" for f in opp for n in (10, 11)], "error"),
        "load.DELETED_RECORD": (["Opportunity.csv:20"], "warning"),
        "load.INVALID_DATE": (["Opportunity.csv:30"], "warning"),
        "load.MISSING_ID": (["Opportunity.csv:40"], "warning"),
        "load.TOO_MANY_COLUMNS": (["Opportunity.csv:50"], "warning"),
    }
    assert failed["load.UNKNOWN_DEAL"].where() == [f"OpportunityHistory.csv:{n}" for n in unknown]
    assert len(unknown) > 0 and failed["load.UNKNOWN_DEAL"].severity == "warning"
    assert report.blocking


def test_validate_exits_2_and_report_publishes_nothing_on_a_duplicated_id(broken_export, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, _history, _unknown = broken_export
    runner = CliRunner()
    res = runner.invoke(app, ["validate", str(folder), "--as-of", "2025-06-30", "--json"])
    assert res.exit_code == 2, res.output
    body = json.loads(res.stdout)
    dup = next(e for e in body["expectations"] if e["name"] == "load.DUPLICATE_ID")
    assert (dup["success"], dup["severity"], dup["source_lines"], dup["source_files"]) == (
        False, "error", [10, 11], ["Opportunity.csv", "Opportunity.csv"])
    res = runner.invoke(app, ["report", str(folder), "--as-of", "2025-06-30", "--out", str(tmp_path / "r"),
                              "--formats", "html"])
    assert res.exit_code == 2, res.output
    assert not list((tmp_path / "r").rglob("index.html")) and not list((tmp_path / "r").rglob("*.html"))


def test_a_clean_export_passes_every_load_check() -> None:
    data = toolkit.load(SF)
    report = validate_dataset(data, data.process, as_of=dt.date(2025, 6, 30))
    load = [o for o in report.outcomes if o.table == "load"]
    assert len(load) == len(REASONS) and all(o.success for o in load)


def test_a_worker_process_validates_a_dataset_as_this_process_does() -> None:
    # the report run hands the suites to a worker that imported GX while the export loaded: the
    # tables and the process cross to it by pickle, the outcomes come back the same
    import concurrent.futures as cf
    import multiprocessing as mp

    data = toolkit.load(Path(__file__).resolve().parents[2] / "data" / "samples" / "salesforce_export")
    day = dt.date(2025, 6, 30)
    here = validate_dataset(data, data.process, as_of=day)
    with cf.ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("forkserver")) as worker:
        there = validate_dataset(data, data.process, as_of=day, executor=worker)

    def seen(report) -> list[tuple[str, bool, int, list[int]]]:  # type: ignore[no-untyped-def]
        return [(o.name, o.success, o.unexpected_count, list(o.source_lines)) for o in report.outcomes]

    assert seen(there) == seen(here)
    assert len(here.outcomes) > 20 and not all(o.success for o in here.outcomes)
