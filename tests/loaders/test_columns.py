"""Reading one file of a source: its columns named by the source's specs, the others kept under
their snake_case names or, for a history, not kept; a file read again in a load is not re-read; a
file read ahead, on a thread of its own, is the file read in place."""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path

import pytest

import toolkit.loaders.columns as columns
from toolkit.errors import SchemaError
from toolkit.loaders.columns import ColumnSpec, read_ahead, read_file, reads_kept, snake
from toolkit.loaders.raw import ROW_END_LINE, ROW_LINE

SPECS = (ColumnSpec("deal_id", ("OpportunityId",), "id", required=True),
         ColumnSpec("entered_at", ("CreatedDate",), "datetime", required=True),
         ColumnSpec("amount", ("Amount",), "amount"))
HISTORY = ('"Id","OpportunityId","CreatedDate","Amount","Probability"\n'
           '"h1","o1","2025-01-02 10:00:00","100.5","10"\n'
           '"h2","o1","2025-01-03 11:00:00","","20"\n')


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "OpportunityHistory.csv"
    path.write_text(HISTORY, encoding="utf-8")
    return path


def test_other_columns_are_kept_under_their_snake_case_names(tmp_path: Path) -> None:
    rf = read_file(_file(tmp_path), "stage_events", SPECS, what="history")
    assert rf.frame.columns == ["id", "deal_id", "entered_at", "amount", "probability", ROW_LINE, ROW_END_LINE,
                                "amount__currency"]
    assert rf.columns == {"deal_id": "OpportunityId", "entered_at": "CreatedDate", "amount": "Amount"}
    assert rf.frame["amount"].to_list() == [100.5, None] and rf.frame["probability"].to_list() == ["10", "20"]


def test_without_extras_only_the_specs_columns_and_lines_are_kept(tmp_path: Path) -> None:
    rf = read_file(_file(tmp_path), "stage_events", SPECS, what="history", extras=False)
    assert rf.frame.columns == ["deal_id", "entered_at", "amount", ROW_LINE, ROW_END_LINE, "amount__currency"]
    assert rf.frame[ROW_LINE].to_list() == [2, 3] and rf.table.lines_in == 3


def test_a_file_read_again_in_a_load_is_handed_out_as_first_read(tmp_path: Path) -> None:
    path = _file(tmp_path)
    with reads_kept():
        first = read_file(path, "stage_events", SPECS, what="history", extras=False)
        first.table.rejects.append({"line": 9})  # what one finishing of the load does to its copy
        again = read_file(path, "stage_events", SPECS, what="history", extras=False)
        other = read_file(path, "stage_events", SPECS, what="history")  # other arguments: read anew
    assert again.frame.equals(first.frame) and again.table.rejects == []
    assert "probability" in other.frame.columns


def test_snake_case_names() -> None:
    assert [snake(n) for n in ("StageName", "Decision_Maker__c", "Next Step", "IDs", "\ufeffId")] == [
        "stage_name", "decision_maker", "next_step", "ids", "id"]


def test_a_file_read_ahead_is_read_on_its_own_thread_as_read_in_place(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = _file(tmp_path)
    threads: list[str] = []
    real = columns._read_file

    def spy(*args: object, **kwargs: object) -> columns.ReadFile:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(columns, "_read_file", spy)
    wait = read_ahead(partial(read_file, path, "stage_events", SPECS, what="history", extras=False))
    ahead = wait()
    here = read_file(path, "stage_events", SPECS, what="history", extras=False)
    assert threads == ["toolkit-read-ahead", "MainThread"]
    assert ahead.frame.equals(here.frame) and ahead.frame["amount"].to_list() == [100.5, None]
    assert ahead.columns == here.columns and ahead.table.lines_in == here.table.lines_in == 3


def test_a_file_read_ahead_raises_its_error_where_it_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "OpportunityHistory.csv"
    path.write_text('"Id","CreatedDate"\n"h1","2025-01-02 10:00:00"\n', encoding="utf-8")
    wait = read_ahead(partial(read_file, path, "stage_events", SPECS, what="history"))  # no OpportunityId column
    with pytest.raises(SchemaError, match="OpportunityId"):
        wait()


def test_a_file_read_ahead_in_a_load_is_kept_for_the_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _file(tmp_path)
    reads: list[Path] = []
    real = columns._read_file

    def spy(file: Path, *args: object, **kwargs: object) -> columns.ReadFile:
        reads.append(file)
        return real(file, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(columns, "_read_file", spy)
    with reads_kept():
        first = read_ahead(partial(read_file, path, "stage_events", SPECS, what="history", extras=False))()
        again = read_file(path, "stage_events", SPECS, what="history", extras=False)
    assert reads == [path] and again.frame.equals(first.frame)
