"""The moves a history shows, by kind, with the commonest skips and backward moves; and the
suggested YAML's header and the notes written from them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

import toolkit
from toolkit import schema as S
from toolkit.process import parse_process
from toolkit.process_suggest import Moves, history_moves, suggest_process_yaml

PROCESS = parse_process("name: T\nstages: [{name: A}, {name: B}, {name: C}]\nwon: Won\nlost: Lost\n")


def events(rows: list[tuple[str, str, int]]) -> pl.DataFrame:
    return pl.DataFrame([{S.DEAL_ID: d, S.STAGE: s, S.STAGE_RAW: s, S.ENTERED_AT: dt.datetime(2025, 6, day),
                          S.CHANGED_BY: None, S.SOURCE_FILE: "h", S.SOURCE_LINE: i + 2}
                         for i, (d, s, day) in enumerate(rows)], schema=S.polars_schema(S.STAGE_EVENTS))


def test_moves_by_kind_and_the_commonest_pairs() -> None:
    moves = history_moves(events([
        ("1", "A", 1), ("1", "C", 2), ("1", "Won", 3),   # skip A -> C, then won
        ("2", "A", 1), ("2", "C", 2), ("2", "B", 3),     # skip A -> C, back C -> B
        ("3", "B", 1), ("3", "A", 2), ("3", "B", 3),     # back B -> A, forward A -> B
        ("4", "A", 1), ("4", "Lost", 9),                 # lost
    ]), PROCESS)
    assert moves == Moves({"backward": 2, "forward": 1, "lost": 1, "skip": 2, "won": 1},
                          [("A", "C", 2)], [("B", "A", 1), ("C", "B", 1)])
    assert moves.total == 7
    # a day before the moves leaves none
    assert history_moves(events([("1", "A", 10), ("1", "B", 12)]), PROCESS, dt.date(2025, 6, 11)).total == 0


def test_the_suggested_yaml_says_where_it_came_from(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text("id,rep,team,stage,created\nD1,Ann,North,Intro,2025-06-01\n"
                                        "D2,Ann,North,Demo,2025-06-01\n", encoding="utf-8")
    (tmp_path / "history.csv").write_text("id,stage,at\nD1,Intro,2025-06-01\nD2,Intro,2025-06-01\n"
                                          "D2,Demo,2025-06-05\n", encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(
        "files: {deals: deals.csv, stage_events: history.csv}\ndate_style: iso\ncolumns:\n"
        "  deals: {deal_id: id, owner_name: rep, team_name: team, stage_raw: stage, created_at: created}\n"
        "  stage_events: {deal_id: id, stage_raw: stage, entered_at: at}\n", encoding="utf-8")
    data = toolkit.load(tmp_path, mapping=tmp_path / "mapping.yaml")
    text = suggest_process_yaml(data, as_of=dt.date(2025, 6, 30), export="export/")
    lines = text.splitlines()
    assert lines[:2] == ["# The sales process read from export/ by `toolkit process suggest` (history up to "
                         "2025-06-30).",
                         "# Edit it (stage names, aliases, limits, required fields), then pass it with --process."]
    again = parse_process(text)
    assert [s.name for s in again.stages][:2] == ["Intro", "Demo"]
    assert any(line.startswith("# the history shows 1 moves: forward 1 (100%)") for line in lines)
