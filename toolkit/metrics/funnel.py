"""The stage funnel: conversion from each stage to the next, time in stage, and time limits
suggested by the team's own history (per pipeline where the process has one per pipeline)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from toolkit import schema as S
from toolkit.frames import native_frames
from toolkit.metrics.pipelines import split_events
from toolkit.metrics.transitions import _ordered_events, _transitions
from toolkit.process import Process


@native_frames
def stage_conversion(events: pl.DataFrame, process: Process, as_of: dt.date | None = None) -> pl.DataFrame:
    """Per open stage k: deals that reached it, those of them that also reached the next stage
    (k+1, or won after the last open stage), and the conversion = reached next / reached. With a
    process per pipeline, one block of rows per pipeline (its own stages), with ``pipeline``."""
    return _per_pipeline(events, process, lambda e, p: _stage_conversion_one(e, p, as_of))


def _stage_conversion_one(events: pl.DataFrame, process: Process, as_of: dt.date | None) -> pl.DataFrame:
    names = [s.name for s in process.stages] + [process.won.name]
    e = _ordered_events(events, process, as_of).select(S.DEAL_ID, S.STAGE).unique()
    rows = []
    for i, name in enumerate(names[:-1]):
        here = e.filter(pl.col(S.STAGE) == name).select(S.DEAL_ID)
        nxt = e.filter(pl.col(S.STAGE) == names[i + 1]).select(S.DEAL_ID)
        a, b = here.height, here.join(nxt, on=S.DEAL_ID, how="semi").height
        rows.append({"stage": name, "next_stage": names[i + 1], "reached": a, "reached_next": b,
                     "conversion": (b / a) if a else None})
    return pl.DataFrame(rows, schema={"stage": pl.String, "next_stage": pl.String, "reached": pl.Int64,
                                      "reached_next": pl.Int64, "conversion": pl.Float64})


@native_frames
def time_in_stage(events: pl.DataFrame, process: Process, as_of: dt.date | None = None) -> pl.DataFrame:
    """Per open stage: completed stays (a move out of it), their median and 80th percentile in days,
    the stage's limit, and the share of stays over it (per pipeline, as :func:`stage_conversion`)."""
    return _per_pipeline(events, process, lambda e, p: _time_in_stage_one(e, p, as_of))


def _time_in_stage_one(events: pl.DataFrame, process: Process, as_of: dt.date | None) -> pl.DataFrame:
    t = _transitions(events, process, as_of)
    limits = {s.name: s.max_days for s in process.stages}
    stats = t.filter(pl.col("from_stage").is_in(list(limits))).group_by("from_stage").agg(
        pl.len().alias("stays"), pl.col("days_in_stage").median().alias("median_days"),
        pl.col("days_in_stage").quantile(0.8, interpolation="linear").alias("p80_days"),
        pl.col("days_in_stage").alias("_d"))
    rows = []
    by_stage = {r["from_stage"]: r for r in stats.iter_rows(named=True)}
    for name, limit in limits.items():
        r = by_stage.get(name)
        over = None
        if r is not None and limit is not None:
            over = sum(1 for d in r["_d"] if d > limit) / r["stays"]
        rows.append({"stage": name, "stays": r["stays"] if r else 0, "median_days": r["median_days"] if r else None,
                     "p80_days": r["p80_days"] if r else None, "max_days": float(limit) if limit is not None else None,
                     "share_over_limit": over})
    return pl.DataFrame(rows, schema={"stage": pl.String, "stays": pl.Int64, "median_days": pl.Float64,
                                      "p80_days": pl.Float64, "max_days": pl.Float64, "share_over_limit": pl.Float64})


@native_frames
def suggested_limits(events: pl.DataFrame, process: Process, as_of: dt.date | None = None,
                     quantile: float = 0.8) -> pl.DataFrame:
    """A time limit per stage from the team's own history: the ``quantile`` (default p80) of
    completed stays, rounded up to whole days, beside the current limit (per pipeline, as
    :func:`stage_conversion`)."""
    return _per_pipeline(events, process, lambda e, p: _suggested_limits_one(e, p, as_of, quantile))


def _suggested_limits_one(events: pl.DataFrame, process: Process, as_of: dt.date | None,
                          quantile: float) -> pl.DataFrame:
    t = _transitions(events, process, as_of)
    q = (t.group_by("from_stage").agg(pl.col("days_in_stage").quantile(quantile, interpolation="linear").alias("q"),
                                      pl.len().alias("stays")))
    qd = {r[0]: (r[1], r[2]) for r in q.iter_rows()}
    rows = []
    for s in process.stages:
        val, stays = qd.get(s.name, (None, 0))
        rows.append({"stage": s.name, "stays": stays, "current_max_days": s.max_days,
                     "suggested_max_days": float(-(-val // 1)) if val is not None else None})
    return pl.DataFrame(rows, schema={"stage": pl.String, "stays": pl.Int64, "current_max_days": pl.Float64,
                                      "suggested_max_days": pl.Float64})


def _per_pipeline(events: pl.DataFrame, process: Process,
                  one: Callable[[pl.DataFrame, Process], pl.DataFrame]) -> pl.DataFrame:
    parts = split_events(events, process)
    if parts is None:
        return one(events, process)
    return pl.concat([one(e, p).with_columns(pl.lit(name, pl.String).alias(S.PIPELINE)).select(S.PIPELINE,
                                                                                               pl.all().exclude(S.PIPELINE))
                      for name, p, e in parts])
