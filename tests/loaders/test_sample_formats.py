"""The generated samples: every format loads to the same canonical tables, and the process checks
find exactly what the generator planted."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import toolkit
from toolkit import samples
from toolkit import schema as S
from toolkit.metrics.compliance import deal_flags

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
CORE = [S.DEAL_ID, S.DEAL_NAME, S.OWNER_NAME, S.TEAM_NAME, S.MANAGER_NAME, S.STAGE, S.STATUS, S.AMOUNT, S.CURRENCY,
        S.CREATED_AT, S.CLOSED_AT, S.CLOSE_DATE]
EVENT = [S.DEAL_ID, S.STAGE, S.ENTERED_AT]


@pytest.fixture(scope="module")
def loaded() -> dict[str, toolkit.Dataset]:
    return {f: toolkit.load(SAMPLES / f) for f in samples.FORMATS}


@pytest.fixture(scope="module")
def planted() -> pl.DataFrame:
    return pl.read_csv(SAMPLES / "ground_truth.csv", infer_schema=False)


def test_committed_samples_are_what_the_generator_writes(tmp_path) -> None:
    written = samples.write_samples(tmp_path)
    for paths in written.values():
        for p in paths:
            committed = SAMPLES / p.relative_to(tmp_path)
            assert committed.read_bytes() == p.read_bytes(), f"{committed} is stale: run `make samples`"


def test_every_format_loads_cleanly(loaded) -> None:
    expected = {"salesforce_export": "salesforce", "salesforce_report": "salesforce_report", "hubspot": "hubspot",
                "pipedrive": "pipedrive", "generic_fr": "generic"}
    for fmt, data in loaded.items():
        s = data.summary()
        assert data.source == expected[fmt]
        assert (s["deals"], s["reps"], s["teams"], s["rejected"]) == (1002, 36, 4, 0), fmt
        assert s["lines_in"] == int(data.files["row_lines"].sum()) + s["rejected"] + s["skipped"]
    # the French export: cp1252, ';' and decimal comma, detected or declared per file
    fr = loaded["generic_fr"].files.filter(pl.col("role") == "deals").row(0, named=True)
    assert (fr["encoding"], fr["delimiter"], fr["decimal"], fr["date_style"]) == ("cp1252", ";", ",", "dmy")
    report = loaded["salesforce_report"].files.filter(pl.col("role") == "deals").row(0, named=True)
    assert report["date_style"] == "mdy" and "footer=5" in report["skipped_by_kind"]


@pytest.mark.parametrize("fmt", [f for f in samples.FORMATS if f != "salesforce_export"])
def test_each_format_gives_the_same_deals(loaded, fmt) -> None:
    base = loaded["salesforce_export"].deals.select(CORE).sort(S.DEAL_ID)
    other = loaded[fmt].deals.select(CORE).sort(S.DEAL_ID)
    assert other.equals(base), fmt


@pytest.mark.parametrize("fmt", [f for f in samples.FORMATS if f != "salesforce_export"])
def test_each_format_gives_the_same_stage_events(loaded, planted, fmt) -> None:
    base = loaded["salesforce_export"].stage_events.select(EVENT).sort(EVENT)
    other = loaded[fmt].stage_events.select(EVENT).sort(EVENT)
    if fmt == "hubspot":
        # HubSpot keeps only the latest entry per stage: deals that moved backward lose the earlier
        # entries. Everything else is the same.
        back = planted.filter(pl.col("flag") == "backward_move")[S.DEAL_ID].implode()
        assert back.list.len().item() == 28
        assert other.filter(~pl.col(S.DEAL_ID).is_in(back)).equals(base.filter(~pl.col(S.DEAL_ID).is_in(back)))
        assert other.filter(pl.col(S.DEAL_ID).is_in(back)).height < base.filter(pl.col(S.DEAL_ID).is_in(back)).height
    else:
        assert other.equals(base)


@pytest.mark.parametrize("fmt", samples.FORMATS)
def test_flags_found_equal_the_flags_planted(loaded, planted, fmt) -> None:
    data = loaded[fmt]
    found = deal_flags(data.deals, data.stage_events, toolkit.load_process(), samples.AS_OF)
    got = set(found.select(S.DEAL_ID, "flag", "stage").unique().rows())
    want = set(planted.select(S.DEAL_ID, "flag", "stage").rows())
    assert len(want) == 208
    if fmt == "hubspot":
        want = {w for w in want if w[1] != "backward_move"}
    assert got == want
    # the evidence matches too: days over the limit (whole days) and the missing field
    days = {(r[S.DEAL_ID], r["stage"]): int(r["value"]) for r in
            found.filter(pl.col("flag") == "over_time_limit").iter_rows(named=True)}
    for r in planted.filter(pl.col("flag") == "over_time_limit").iter_rows(named=True):
        assert days[(r[S.DEAL_ID], r["stage"])] == int(r["detail"].removeprefix("days="))
