"""Broken deal-flow lines and bad mapping values (issue 11, loading cases 12 and 13): a recorded
reject with its line and reason, or a ConfigError, never another exception."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

import toolkit
from toolkit import schema as S
from toolkit.errors import ConfigError

DEALS = ("Deal - ID,Deal - Title,Deal - Owner,Deal - Value,Deal - Stage,Deal - Status,Deal - Deal created\n"
         "1,A,Ann,100,Qualified,Open,2024-01-01 09:00:00\n")


def _change(**data: object) -> str:
    base: dict[str, object] = {"item_id": 1, "field_key": "stage_id", "old_value": "1", "new_value": "2",
                               "log_time": "2024-01-05 10:00:00",
                               "additional_data": {"old_value_formatted": "Qualified",
                                                   "new_value_formatted": "Contact Made"}}
    return json.dumps({"object": "dealChange", "data": {**base, **data}}, ensure_ascii=False)


def _load(tmp_path: Path, flow: str, deals: str = DEALS) -> toolkit.Dataset:
    (tmp_path / "deals-1-1.csv").write_text(deals, encoding="utf-8")
    (tmp_path / "deal-flow.jsonl").write_text(flow, encoding="utf-8")
    ds = toolkit.load(tmp_path)
    f = ds.files
    assert (f["row_lines"] + f["rejected"] + f["skipped"] == f["lines_in"]).all()
    return ds


def _flow_ledger(ds: toolkit.Dataset) -> tuple[int, int, int, int]:
    row = ds.files.filter(pl.col("role") == "stage_events").row(0, named=True)
    return row["lines_in"], row["row_lines"], row["rejected"], row["skipped"]


def _rejects(ds: toolkit.Dataset) -> list[tuple]:
    return ds.rejects.select(S.LINE, S.REASON).rows()


def test_additional_data_that_is_not_an_object_is_a_reject(tmp_path: Path) -> None:
    ds = _load(tmp_path, _change() + "\n" + _change(additional_data="x", log_time="2024-01-06 10:00:00") + "\n")
    assert _flow_ledger(ds) == (2, 1, 1, 0)
    assert _rejects(ds) == [(2, "MALFORMED_RECORD")]
    assert ds.stage_events[S.STAGE_RAW].to_list() == ["Qualified", "Contact Made"]


def test_a_new_value_that_is_an_object_is_a_reject(tmp_path: Path) -> None:
    ds = _load(tmp_path, _change(additional_data=None, new_value={"id": 2}) + "\n" + _change() + "\n")
    assert _flow_ledger(ds) == (2, 1, 1, 0)
    assert _rejects(ds) == [(1, "MALFORMED_RECORD")]


def test_a_deeply_nested_line_is_a_reject(tmp_path: Path) -> None:
    deep = '{"data": ' * 100_000 + "1" + "}" * 100_000
    ds = _load(tmp_path, deep + "\n" + _change() + "\n")
    assert _flow_ledger(ds) == (2, 1, 1, 0)
    assert _rejects(ds) == [(1, "MALFORMED_RECORD")]
    assert "nested too deeply" in ds.rejects[S.MESSAGE][0]


def test_an_export_without_a_creation_column_and_a_deal_flow(tmp_path: Path) -> None:
    deals = "Deal - ID,Deal - Title,Deal - Owner,Deal - Stage,Deal - Status\n1,A,Ann,Contact Made,Open\n"
    ds = _load(tmp_path, _change() + "\n", deals)
    # no creation time: the one move is the only entry, and the only history state
    assert ds.stage_events.select(S.STAGE_RAW, S.ENTERED_AT).rows() == [
        ("Contact Made", pl.Series(["2024-01-05 10:00:00"]).str.to_datetime()[0])]
    assert ds.deal_states.height == 2  # the move, and the current state


def test_json_lines_end_at_newline_only(tmp_path: Path) -> None:
    # U+2028 (LINE SEPARATOR) inside a JSON string is text; str.splitlines would cut the line there.
    ds = _load(tmp_path, _change(additional_data={"old_value_formatted": "Qualified",
                                                  "new_value_formatted": "Contact\u2028Made"}) + "\n")
    assert _flow_ledger(ds) == (1, 1, 0, 0)
    assert ds.stage_events[S.STAGE_RAW].to_list() == ["Qualified", "Contact\u2028Made"]


def test_bad_values_of_followed_fields_are_rejects(tmp_path: Path) -> None:
    flow = "\n".join([_change(field_key="value", old_value=100, new_value="lots", additional_data=None),
                      _change(field_key="expected_close_date", old_value=None, new_value="31/12/2024"),
                      _change(field_key="value", old_value=100, new_value=150, log_time="2024-01-07 10:00:00"),
                      _change(log_time=17)]) + "\n"
    ds = _load(tmp_path, flow)
    assert _rejects(ds) == [(1, "INVALID_NUMBER"), (2, "INVALID_DATE"), (4, "MALFORMED_RECORD")]
    assert ds.deal_states.select(S.VALID_FROM, S.AMOUNT, S.SOURCE_FILE).rows() == [
        (pl.Series(["2024-01-01 09:00:00"]).str.to_datetime()[0], 100.0, "deals-1-1.csv"),
        (pl.Series(["2024-01-07 10:00:00"]).str.to_datetime()[0], 150.0, "deal-flow.jsonl"),
        # current state: no Update time, open: from the latest time shown (the value change)
        (pl.Series(["2024-01-07 10:00:00"]).str.to_datetime()[0], 100.0, "deals-1-1.csv"),
    ]


# --- mapping values ------------------------------------------------------------------------------

def _mapping(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "deals.csv").write_text("Id,Stage\nA,Qualify\n", encoding="utf-8")
    m = tmp_path / "mapping.yaml"
    m.write_text("files: {deals: deals.csv}\ncolumns:\n  deals: {deal_id: Id, stage_raw: Stage}\n" + extra,
                 encoding="utf-8")
    return m


@pytest.mark.parametrize("value", ['";;"', "[';', ',']", '""', "7"])
def test_a_delimiter_that_is_not_one_character_is_a_config_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="delimiter"):
        toolkit.load(_mapping(tmp_path, f"delimiter: {value}\n"))


def test_an_unknown_encoding_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cp-1252x"):
        toolkit.load(_mapping(tmp_path, "encoding: cp-1252x\n"))


def test_a_deeply_nested_mapping_is_a_config_error(tmp_path: Path) -> None:
    m = tmp_path / "mapping.yaml"
    m.write_text("files: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="nested"):
        toolkit.load(m)


def test_good_delimiter_and_encoding_still_load(tmp_path: Path) -> None:
    ds = toolkit.load(_mapping(tmp_path, "delimiter: ','\nencoding: cp1252\n"))
    assert ds.deals[S.DEAL_ID].to_list() == ["A"]
