"""The typed control charts the CLI, the slices and the pages read: each weekly measure on the
chart of its kind (p or p′ for shares, XmR for durations and counts), with its verdict and the
reason in a manager's words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from toolkit import schema as S
from toolkit.metrics.control import (
    IN_CONTROL,
    MIN_N,
    MIN_WEEKS,
    NOT_ENOUGH,
    RULES,
    ChartType,
    Kind,
    Verdict,
    p_chart,
    verdicts,
    xmr,
)


@dataclass(frozen=True)
class ControlPoint:
    """One week of a control chart; ``signal`` lists the rules it takes part in; ``judged`` is
    False for a week with too few moves (shown, never a signal)."""

    week: dt.date
    value: float | None
    n: int | None
    lower: float | None
    upper: float | None
    signal: tuple[str, ...]
    judged: bool


@dataclass(frozen=True)
class ControlChart:
    """A weekly measure on the chart of its kind, with the verdict a manager reads."""

    team_id: str
    measure: str
    label: str
    kind: Kind
    chart: ChartType
    center: float | None
    points: tuple[ControlPoint, ...]
    verdict: Verdict
    rules: tuple[str, ...]
    reason: str
    #: None: all the team's pipelines together; else the chart of that pipeline's moves alone.
    pipeline: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"team_id": self.team_id, "pipeline": self.pipeline, "measure": self.measure, "label": self.label,
                "kind": self.kind,
                "chart": self.chart, "center": self.center, "verdict": self.verdict, "rules": list(self.rules),
                "reason": self.reason,
                "points": [{"week": p.week.isoformat(), "value": p.value, "n": p.n, "lower": p.lower, "upper": p.upper,
                            "signal": list(p.signal), "judged": p.judged} for p in self.points]}


#: measure -> (label, kind, hits column, n column)
MEASURES: dict[str, tuple[str, Kind, str | None, str | None]] = {
    "in_process_share": ("share of stage moves that follow the process", "share", "in_process", "judged_moves"),
    "win_rate": ("share of closed deals won", "share", "won", "closed"),
    "median_days_in_stage": ("median days in the stage left", "duration", None, None),
    "moves": ("stage moves per week", "count", None, None),
}


def _reason(verdict: str, rules: list[str], chart: str, judged: int, points: int, frame: pl.DataFrame) -> str:
    laney = (" (Laney p′: the weeks vary more than chance alone allows, so the limits are widened)"
             if chart == "p'" else "")
    too_few = points - judged
    few = f"; {too_few} week(s) with fewer than {MIN_N} moves not judged" if too_few else ""
    if verdict == NOT_ENOUGH:
        return f"only {judged} week(s) with at least {MIN_N} moves; {MIN_WEEKS} are needed to judge"
    if verdict == IN_CONTROL:
        return f"every judged week inside the limits, no pattern (Western Electric 1-4){laney}{few}"
    weeks = frame.filter(pl.col("signal") != "")["week"].to_list()
    where = ", ".join(str(w) for w in weeks[:4]) + (" …" if len(weeks) > 4 else "")
    return f"{'; '.join(f'{r}: {RULES[r]}' for r in rules)} (weeks {where}){laney}{few}"


def _first_float(column: pl.Series) -> float | None:
    present = column.drop_nulls()
    return float(present[0]) if present.len() else None


def control_charts(weekly: pl.DataFrame, *, by: str = S.TEAM_ID,
                   measures: Sequence[str] = tuple(MEASURES)) -> list[ControlChart]:
    """Every measure of :func:`weekly_process_measures` (polars) on its chart, per ``by`` group."""
    out: list[ControlChart] = []
    for measure in measures:
        label, kind, hits, n = MEASURES[measure]
        if hits is not None and n is not None:
            frame = p_chart(weekly, hits, n, by=by)
            chart_col = frame["chart"] if frame.height else pl.Series([], dtype=pl.String)
        else:
            # A median of fewer than MIN_N stays is shown, not judged; every week's count is judged.
            enough = pl.col("moves") >= MIN_N if kind == "duration" else pl.lit(True)
            frame = xmr(weekly.with_columns(pl.when(enough).then(pl.col(measure)).alias("_judged_value")),
                        "_judged_value", by=by, lower_bound=0.0).with_columns(pl.col(measure).cast(pl.Float64)
                                                                              .alias("value"))
            chart_col = pl.Series(["xmr"] * frame.height)
        frame = frame.with_columns(chart_col.alias("_chart"))
        verdict_rows = {r[by]: r for r in verdicts(frame, by=by).iter_rows(named=True)} if frame.height else {}
        for (group,), g in frame.group_by([by], maintain_order=True):
            v = verdict_rows[group]
            chart = str(g["_chart"][0])
            rules = [r for r in str(v["rules"]).split(", ") if r]
            points = tuple(ControlPoint(
                r["week"], r["value"], (int(r[n]) if n is not None else None), r["lower_limit"], r["upper_limit"],
                tuple(s for s in r["signal"].split(", ") if s), bool(r["judged"])) for r in g.iter_rows(named=True))
            out.append(ControlChart(str(group), measure, label, kind, chart,  # type: ignore[arg-type]
                                    _first_float(g["centre"]),
                                    points, v["verdict"], tuple(rules),
                                    _reason(v["verdict"], rules, chart, v["judged"], v["points"], g)))
    return out
