"""Process-behaviour (XmR) charts: is a weekly process measure in control, or is there a signal?

An XmR chart plots individual values (X) and their moving ranges (mR, |x_i − x_{i−1}|). With
x̄ the mean and mR̄ the mean moving range: natural process limits x̄ ± 2.66·mR̄, upper range limit
3.268·mR̄. Signals: (1) a point outside the limits, (2) a run of 8 successive points on one side
of the centre line, (3) 3 of 4 successive points beyond the halfway line to a limit (x̄ ± 1.33·mR̄)
on the same side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from toolkit import schema as S
from toolkit.frames import native_frames
from toolkit.metrics.compliance import BACKWARD, LOST, RECLASSIFY, REOPEN, SKIP, UNKNOWN, _transitions
from toolkit.process import Process

E2, D4 = 2.66, 3.268
RUN_LENGTH = 8
IN_CONTROL = "in control"


def _signals(values: list[float], centre: float, lower: float, upper: float) -> list[list[str]]:
    """Per point, the signal rules it takes part in."""
    n = len(values)
    marks: list[list[str]] = [[] for _ in range(n)]
    for i, v in enumerate(values):
        if v > upper or v < lower:
            marks[i].append("outside limits")
    side = [1 if v > centre else -1 if v < centre else 0 for v in values]
    for i in range(n - RUN_LENGTH + 1):
        window = side[i:i + RUN_LENGTH]
        if window[0] != 0 and all(s == window[0] for s in window):
            for j in range(i, i + RUN_LENGTH):
                if "run of 8" not in marks[j]:
                    marks[j].append("run of 8")
    half_up, half_low = centre + (upper - centre) / 2, centre - (centre - lower) / 2
    for i in range(n - 3):
        window = values[i:i + 4]
        for beyond in ([v > half_up for v in window], [v < half_low for v in window]):
            if sum(beyond) >= 3:
                for j, b in enumerate(beyond):
                    if b and "3 of 4" not in marks[i + j]:
                        marks[i + j].append("3 of 4")
    return marks


@native_frames
def xmr(series: pl.DataFrame, value: str, *, by: str | Sequence[str] | None = None, order: str = "week") -> pl.DataFrame:
    """XmR chart of ``value`` per group (``by``), ordered by ``order``: the input's columns plus
    ``moving_range``, ``centre``, ``lower_limit``, ``upper_limit``, ``mr_centre``, ``mr_upper``,
    ``signal`` (rules this point takes part in, comma-separated, empty when none). Null values are
    left out of the limits. Groups with fewer than 2 values get no limits."""
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    parts = []
    groups = series.sort([*keys, order]).group_by(keys, maintain_order=True) if keys else [((), series.sort(order))]
    for _key, g in groups:
        g = g.filter(pl.col(value).is_not_null())
        vals = [float(v) for v in g[value].to_list()]
        mr = ([None] + [abs(vals[i] - vals[i - 1]) for i in range(1, len(vals))]) if vals else []
        if len(vals) >= 2:
            centre = sum(vals) / len(vals)
            mr_bar = sum(m for m in mr if m is not None) / (len(vals) - 1)
            lower, upper = centre - E2 * mr_bar, centre + E2 * mr_bar
            marks = [", ".join(m) for m in _signals(vals, centre, lower, upper)]
        else:
            centre = mr_bar = lower = upper = None  # type: ignore[assignment]
            marks = [""] * len(vals)
        parts.append(g.with_columns(
            pl.Series("moving_range", mr, dtype=pl.Float64), pl.lit(centre, pl.Float64).alias("centre"),
            pl.lit(lower, pl.Float64).alias("lower_limit"), pl.lit(upper, pl.Float64).alias("upper_limit"),
            pl.lit(mr_bar, pl.Float64).alias("mr_centre"),
            pl.lit(None if mr_bar is None else D4 * mr_bar, pl.Float64).alias("mr_upper"),
            pl.Series("signal", marks, dtype=pl.String)))
    if not parts:
        return series.with_columns(*(pl.lit(None, pl.Float64).alias(c) for c in (
            "moving_range", "centre", "lower_limit", "upper_limit", "mr_centre", "mr_upper")),
            pl.lit("", pl.String).alias("signal"))
    return pl.concat(parts)


@native_frames
def verdicts(chart: pl.DataFrame, *, by: str | Sequence[str] | None = None) -> pl.DataFrame:
    """One verdict per series of an :func:`xmr` chart: ``"in control"``, or the signals found with
    the periods where they occur; plus the number of points."""
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    rows = []
    groups = chart.group_by(keys, maintain_order=True) if keys else [((), chart)]
    for key, g in groups:
        hits = g.filter(pl.col("signal") != "")
        if hits.is_empty():
            verdict = IN_CONTROL
        else:
            rules = sorted({r for s in hits["signal"].to_list() for r in s.split(", ")})
            verdict = "signal: " + "; ".join(rules)
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        row.update({"points": g.height, "verdict": verdict,
                    "signal_points": hits.height})
        rows.append(row)
    return pl.DataFrame(rows)


@native_frames
def weekly_process_measures(events: pl.DataFrame, deals: pl.DataFrame, process: Process, *, as_of: dt.date,
                            weeks: int = 26, by: str = S.TEAM_ID) -> pl.DataFrame:
    """Weekly measures per team (or rep) for the last ``weeks`` full weeks up to ``as_of``, from the
    stage moves made that week:

    - ``moves``: stage moves (deals entering a stage);
    - ``in_process_share``: share of moves that follow the process (forward, won, lost; not a skip,
      a backward move, a reopen or a reclassification);
    - ``median_days_in_stage``: median days spent in the stage a deal left that week.

    Weeks start on Monday; ``week`` is that Monday. Weeks without moves have ``moves`` 0 and null
    shares.
    """
    t = _transitions(events, process, as_of).join(deals.select(S.DEAL_ID, by), on=S.DEAL_ID, how="left")
    end_monday = as_of - dt.timedelta(days=as_of.weekday())
    first = end_monday - dt.timedelta(weeks=weeks)
    t = t.with_columns(pl.col("at").dt.truncate("1w").dt.date().alias("week")).filter(
        (pl.col("week") >= first) & (pl.col("week") < end_monday))
    bad = [SKIP, BACKWARD, REOPEN, RECLASSIFY]
    agg = t.group_by(by, "week").agg(
        pl.len().alias("moves"),
        (~pl.col("kind").is_in(bad + [UNKNOWN])).sum().alias("_ok"),
        (pl.col("kind") != UNKNOWN).sum().alias("_known"),
        pl.col("days_in_stage").filter(pl.col("kind") != LOST).median().alias("median_days_in_stage"))
    groups = deals.select(by).unique().filter(pl.col(by).is_not_null())
    calendar = pl.DataFrame({"week": pl.date_range(first, end_monday - dt.timedelta(weeks=1), "1w", eager=True)})
    grid = groups.join(calendar, how="cross")
    out = grid.join(agg, on=[by, "week"], how="left").with_columns(pl.col("moves").fill_null(0).cast(pl.Int64))
    return out.with_columns(
        pl.when(pl.col("_known") > 0).then(pl.col("_ok") / pl.col("_known")).otherwise(None).alias("in_process_share")
    ).select(by, "week", "moves", "in_process_share", "median_days_in_stage").sort(by, "week")
