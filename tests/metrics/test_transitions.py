"""Stage moves classified against the process, on small hand-built histories."""

from __future__ import annotations

import datetime as dt

import polars as pl
from metric_frames import AS_OF, as_polars, events_frame

from toolkit.metrics.transitions import TRANSITION_KINDS, stage_transitions

t = dt.datetime


def test_each_transition_kind(backend, process) -> None:
    events = events_frame([
        ("fwd", "A", t(2025, 1, 1)), ("fwd", "B", t(2025, 1, 3, 12)),
        ("skip", "A", t(2025, 1, 1)), ("skip", "C", t(2025, 1, 2)),
        ("skipwon", "B", t(2025, 1, 1)), ("skipwon", "Won", t(2025, 1, 2)),
        ("back", "B", t(2025, 1, 1)), ("back", "A", t(2025, 1, 2)),
        ("won", "C", t(2025, 1, 1)), ("won", "Won", t(2025, 1, 5)),
        ("lost", "A", t(2025, 1, 1)), ("lost", "Lost", t(2025, 1, 2)),
        ("reopen", "Lost", t(2025, 1, 1)), ("reopen", "B", t(2025, 1, 2)),
        ("recl", "Won", t(2025, 1, 1)), ("recl", "Lost", t(2025, 1, 2)),
        ("odd", "A", t(2025, 1, 1)), ("odd", None, t(2025, 1, 2)),
    ])
    out = as_polars(stage_transitions(backend(events), process))
    kinds = dict(zip(out["deal_id"], out["kind"], strict=True))
    assert kinds == {"fwd": "forward", "skip": "skip", "skipwon": "skip", "back": "backward", "won": "won",
                     "lost": "lost", "reopen": "reopen", "recl": "reclassify", "odd": "unknown"}
    assert set(kinds.values()) - {"unknown"} == set(TRANSITION_KINDS)
    fwd = out.filter(pl.col("deal_id") == "fwd").row(0, named=True)
    assert (fwd["from_stage"], fwd["to_stage"], fwd["days_in_stage"]) == ("A", "B", 2.5)


def test_events_after_as_of_are_left_out(process) -> None:
    events = events_frame([("d", "A", t(2025, 6, 1)), ("d", "B", t(2025, 6, 30, 18)), ("d", "C", t(2025, 7, 1))])
    assert stage_transitions(events, process, as_of=AS_OF)["to_stage"].to_list() == ["B"]
