"""Weekly process measures per team (or rep): stage moves, the share that follows the process, the
win rate and the median days in the stage left, for the control charts."""

from __future__ import annotations

import datetime as dt

import polars as pl

from toolkit import schema as S
from toolkit.errors import require_columns
from toolkit.frames import native_frames
from toolkit.metrics.transitions import BACKWARD, LOST, RECLASSIFY, REOPEN, SKIP, UNKNOWN, WON, _transitions
from toolkit.process import Process


@native_frames
def weekly_process_measures(events: pl.DataFrame, deals: pl.DataFrame, process: Process, *, as_of: dt.date,
                            weeks: int = 26, by: str = S.TEAM_ID) -> pl.DataFrame:
    """Weekly measures per team (or rep) for the last ``weeks`` full weeks up to ``as_of``, from the
    stage moves made that week:

    - ``moves``: stage moves (deals entering a stage);
    - ``judged_moves``: moves between stages the process knows; ``in_process``: those that follow
      the process (forward, won, lost; not a skip, a backward move, a reopen or a
      reclassification); ``in_process_share`` = in_process / judged_moves;
    - ``closed``: moves to won or lost; ``won``; ``win_rate`` = won / closed;
    - ``median_days_in_stage``: median days spent in the stage a deal left that week (moves to
      lost left out: a deal given up is not a stage completed).

    Weeks start on Monday; ``week`` is that Monday. Weeks without moves have 0 counts and null
    shares.
    """
    require_columns(events, [S.DEAL_ID, S.STAGE, S.ENTERED_AT], "stage_events")
    require_columns(deals, [S.DEAL_ID, by], "deals")
    t = _transitions(events, process, as_of).join(deals.select(S.DEAL_ID, by), on=S.DEAL_ID, how="left")
    end_monday = as_of - dt.timedelta(days=as_of.weekday())
    first = end_monday - dt.timedelta(weeks=weeks)
    t = t.with_columns(pl.col("at").dt.truncate("1w").dt.date().alias("week")).filter(
        (pl.col("week") >= first) & (pl.col("week") < end_monday))
    bad = [SKIP, BACKWARD, REOPEN, RECLASSIFY]
    agg = t.group_by(by, "week").agg(
        pl.len().alias("moves"),
        (~pl.col("kind").is_in(bad + [UNKNOWN])).sum().alias("in_process"),
        (pl.col("kind") != UNKNOWN).sum().alias("judged_moves"),
        pl.col("kind").is_in([WON, LOST]).sum().alias("closed"), (pl.col("kind") == WON).sum().alias("won"),
        pl.col("days_in_stage").filter(pl.col("kind") != LOST).median().alias("median_days_in_stage"))
    groups = deals.select(by).unique().filter(pl.col(by).is_not_null())
    calendar = pl.DataFrame({"week": pl.date_range(first, end_monday - dt.timedelta(weeks=1), "1w", eager=True)})
    counts = ["moves", "in_process", "judged_moves", "closed", "won"]
    out = groups.join(calendar, how="cross").join(agg, on=[by, "week"], how="left").with_columns(
        pl.col(counts).fill_null(0).cast(pl.Int64))
    return out.with_columns(_share("in_process", "judged_moves").alias("in_process_share"),
                            _share("won", "closed").alias("win_rate")).select(
        by, "week", "moves", "judged_moves", "in_process", "in_process_share", "closed", "won", "win_rate",
        "median_days_in_stage").sort(by, "week")


def _share(hits: str, n: str) -> pl.Expr:
    return pl.when(pl.col(n) > 0).then(pl.col(hits) / pl.col(n)).otherwise(None)
