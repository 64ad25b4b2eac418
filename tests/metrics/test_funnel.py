"""Conversion from stage to stage, time in stage and suggested limits, on a hand-built history."""

from __future__ import annotations

import datetime as dt

import pytest
from metric_frames import as_polars, events_frame

from toolkit.metrics.funnel import stage_conversion, suggested_limits, time_in_stage

t = dt.datetime


def test_conversion_time_in_stage_and_suggested_limits(backend, process) -> None:
    events = events_frame([
        ("1", "A", t(2025, 1, 1)), ("1", "B", t(2025, 1, 3)), ("1", "C", t(2025, 1, 13)), ("1", "Won", t(2025, 1, 14)),
        ("2", "A", t(2025, 1, 1)), ("2", "B", t(2025, 1, 5)), ("2", "Lost", t(2025, 1, 6)),
        ("3", "A", t(2025, 1, 1)), ("3", "B", t(2025, 1, 7)),
        ("4", "A", t(2025, 1, 1)), ("4", "Lost", t(2025, 1, 9)),
    ])
    conv = as_polars(stage_conversion(backend(events), process))
    assert conv.select("stage", "reached", "reached_next").rows() == [("A", 4, 3), ("B", 3, 1), ("C", 1, 1)]
    assert conv["conversion"].to_list() == [0.75, pytest.approx(1 / 3), 1.0]
    tis = as_polars(time_in_stage(backend(events), process))
    a = tis.row(0, named=True)
    # Stays in A: 2, 4, 6, 8 days -> median 5, p80 (linear) 6.8; none over the 10-day limit.
    assert (a["stays"], a["median_days"], a["share_over_limit"]) == (4, 5.0, 0.0)
    assert a["p80_days"] == pytest.approx(6.8)
    sug = as_polars(suggested_limits(backend(events), process))
    # B: stays of 10 and 1 days -> p80 = 1 + 0.8 x 9 = 8.2 -> 9 whole days.
    assert sug.select("stage", "suggested_max_days").rows() == [("A", 7.0), ("B", 9.0), ("C", 1.0)]
