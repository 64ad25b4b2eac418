"""Each deal judged against its own pipeline's process: the frames of a load cut per pipeline.

A process file may define one process per pipeline (``Process.pipelines``); then transitions,
flags, compliance, conversion and time in stage are computed per pipeline with
``process.for_pipeline(name)`` and put back together. Without pipelines (or without a
``pipeline`` column) everything is one part judged by the process itself.
"""

from __future__ import annotations

import polars as pl

from toolkit import schema as S
from toolkit.process import Process

Part = tuple[str | None, Process, pl.DataFrame]


def _names(frame: pl.DataFrame) -> list[str | None]:
    return sorted(frame[S.PIPELINE].unique().to_list(), key=lambda v: (v is None, str(v)))


def split_events(events: pl.DataFrame, process: Process) -> list[Part] | None:
    """(pipeline, its process, its events) per pipeline of ``events``; None when not split."""
    if not process.pipelines or S.PIPELINE not in events.columns or events.is_empty():
        return None
    return [(name, process.for_pipeline(name), events.filter(pl.col(S.PIPELINE).eq_missing(pl.lit(name))))
            for name in _names(events)]


def split_deals(deals: pl.DataFrame, events: pl.DataFrame,
                process: Process) -> list[tuple[str | None, Process, pl.DataFrame, pl.DataFrame]] | None:
    """(pipeline, its process, its deals, their events) per pipeline of ``deals``: a deal's
    events go with the deal, judged by the deal's pipeline; None when not split."""
    if not process.pipelines or S.PIPELINE not in deals.columns or deals.is_empty():
        return None
    out = []
    for name in _names(deals):
        part = deals.filter(pl.col(S.PIPELINE).eq_missing(pl.lit(name)))
        out.append((name, process.for_pipeline(name), part,
                    events.filter(pl.col(S.DEAL_ID).is_in(part[S.DEAL_ID].implode()))))
    return out


def outcome_names(deals: pl.DataFrame, process: Process) -> tuple[pl.Expr, pl.Expr]:
    """The won and the lost stage name of each deal's pipeline, as expressions over ``deals``."""
    if not process.pipelines or S.PIPELINE not in deals.columns:
        return pl.lit(process.won.name), pl.lit(process.lost.name)
    names = [n for n in _names(deals) if n is not None]
    won = {n: process.for_pipeline(n).won.name for n in names}
    lost = {n: process.for_pipeline(n).lost.name for n in names}
    return (pl.col(S.PIPELINE).replace_strict(won, default=process.won.name, return_dtype=pl.String),
            pl.col(S.PIPELINE).replace_strict(lost, default=process.lost.name, return_dtype=pl.String))
