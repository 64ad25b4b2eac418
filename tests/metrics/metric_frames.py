"""Tiny hand-built canonical tables for metric tests, on polars and on pandas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest

from toolkit import schema as S
from toolkit.process import Process, parse_process

AS_OF = dt.date(2025, 6, 30)

PROCESS_YAML = """\
name: Test
stages:
  - {name: A, max_days: 10, required: [amount]}
  - {name: B, max_days: 10, required: [decision_maker]}
  - {name: C, max_days: 10}
won: {name: Won}
lost: {name: Lost}
review: {minutes_per_deal: 30, sample_per_rep: 3, manager_hours_per_week: 40}
"""


@pytest.fixture
def process() -> Process:
    return parse_process(PROCESS_YAML)


def deals_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Canonical deals; unspecified columns get sensible defaults."""
    defaults = {S.DEAL_NAME: None, S.OWNER_ID: "r1", S.OWNER_NAME: "Rep One", S.TEAM_ID: "t1", S.TEAM_NAME: "Team",
                S.MANAGER_NAME: "Boss", S.STAGE: "A", S.STAGE_RAW: None, S.STATUS: "open", S.AMOUNT: 100.0,
                S.CURRENCY: "EUR", S.CREATED_AT: dt.datetime(2025, 6, 1), S.CLOSED_AT: None,
                S.CLOSE_DATE: dt.date(2025, 8, 1), S.LAST_ACTIVITY_AT: None, S.SOURCE: "test",
                S.SOURCE_FILE: "f", S.SOURCE_LINE: 1, "decision_maker": "Ann"}
    full = [{**defaults, S.DEAL_NAME: r.get(S.DEAL_ID), **r} for r in rows]
    schema = {**S.polars_schema(S.DEALS), "decision_maker": pl.String}
    return pl.DataFrame(full, schema=schema)


def events_frame(rows: list[tuple[str, str, dt.datetime]]) -> pl.DataFrame:
    return pl.DataFrame([{S.DEAL_ID: d, S.STAGE: s, S.STAGE_RAW: s, S.ENTERED_AT: at, S.CHANGED_BY: None,
                          S.SOURCE_FILE: "h", S.SOURCE_LINE: i + 2} for i, (d, s, at) in enumerate(rows)],
                        schema=S.polars_schema(S.STAGE_EVENTS))


@pytest.fixture(params=["polars", "pandas"])
def backend(request: pytest.FixtureRequest) -> Callable[[pl.DataFrame], Any]:
    """Hands a frame to the API as the caller's library would."""
    if request.param == "pandas":
        return lambda f: f.to_pandas()
    return lambda f: f


def as_polars(frame: Any) -> pl.DataFrame:
    return frame if isinstance(frame, pl.DataFrame) else pl.from_pandas(frame)
