"""Control charts of the kind that fits the measure: is a weekly process measure in control?

- **Shares** (the weekly in-process share of stage moves, the win rate) go on a **p-chart**: centre
  p̄ = Σ hits / Σ n over the judged weeks, limits per week p̄ ± 3·√(p̄(1 − p̄)/nᵢ), clamped to
  [0, 1]. When the weeks vary more than the binomial allows (overdispersion), the limits are
  widened by Laney's σ_z (the p′ chart), and the chart says so.
- **Durations and counts** go on an **XmR chart**: x̄ ± 2.66·mR̄ (σ = mR̄/1.128), the lower limit
  clamped at 0 (neither can be negative); the range chart's upper limit is 3.268·mR̄.

Weeks with fewer than ``min_n`` moves are shown as "too few" and never judged. The signal rules
are Western Electric 1-4 on each point's distance from the centre in its own σ (see ``RULES``);
a point at a natural bound (a share of exactly 0 or 100 %, a duration of 0) is on neither side, so
a run of weeks at 100 % is not a signal. The typed charts with their verdicts, as the reports read
them, are built in ``control_charts.py``; the weekly measures in ``weekly.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import polars as pl

from toolkit.errors import require_columns
from toolkit.frames import native_frames

E2, D2, D4 = 2.66, 1.128, 3.268
IN_CONTROL, SIGNAL, NOT_ENOUGH = "in control", "signal", "not enough weeks"
#: Western Electric rules, in the order they are checked.
RULES = {
    "WE1": "a week beyond a control limit (3 sigma)",
    "WE2": "2 of 3 weeks beyond 2 sigma on the same side",
    "WE3": "4 of 5 weeks beyond 1 sigma on the same side",
    "WE4": "8 weeks in a row on one side of the centre",
}
MIN_N = 5          # a week with fewer moves is not judged
MIN_WEEKS = 6      # judged weeks needed for a verdict
#: Laney's p′ is used when σ_z exceeds 1 and the binomial dispersion test rejects at this level.
DISPERSION_ALPHA = 0.01

Kind = Literal["share", "duration", "count"]
ChartType = Literal["p", "p'", "xmr"]
Verdict = Literal["in control", "signal", "not enough weeks"]


def we_signals(z: Sequence[float | None], at_bound: Sequence[bool] | None = None) -> list[list[str]]:
    """Per point, the Western Electric rules (``RULES``) it takes part in. ``z`` is each point's
    distance from the centre in its own σ; None = not judged (left out of every window, as if
    absent). A point ``at_bound`` never counts as beyond a line or on a side for rules 2-4."""
    n = len(z)
    bound = list(at_bound) if at_bound is not None else [False] * n
    marks: list[list[str]] = [[] for _ in range(n)]
    idx = [i for i in range(n) if z[i] is not None]
    zs = [float(z[i]) for i in idx]  # type: ignore[arg-type]
    free = [not bound[i] for i in idx]

    def mark(rule: str, positions: list[int]) -> None:
        for p in positions:
            if rule not in marks[idx[p]]:
                marks[idx[p]].append(rule)

    for p, v in enumerate(zs):
        if abs(v) > 3:
            mark("WE1", [p])
    for rule, size, need, line in (("WE2", 3, 2, 2.0), ("WE3", 5, 4, 1.0)):
        for start in range(len(zs) - size + 1):
            for sign in (1, -1):
                hits = [p for p in range(start, start + size) if free[p] and sign * zs[p] > line]
                if len(hits) >= need:
                    mark(rule, hits)
    side = [(1 if v > 0 else -1 if v < 0 else 0) if f else 0 for v, f in zip(zs, free, strict=True)]
    for start in range(len(zs) - 7):
        window = side[start:start + 8]
        if window[0] != 0 and all(s == window[0] for s in window):
            mark("WE4", list(range(start, start + 8)))
    return marks


def _keys(by: str | Sequence[str] | None) -> list[str]:
    return [] if by is None else ([by] if isinstance(by, str) else list(by))


def _groups(series: pl.DataFrame, keys: list[str], order: str) -> list[tuple[tuple[Any, ...], pl.DataFrame]]:
    if not keys:
        return [((), series.sort(order))]
    return [(k, g) for k, g in series.sort([*keys, order]).group_by(keys, maintain_order=True)]


@native_frames
def xmr(series: pl.DataFrame, value: str, *, by: str | Sequence[str] | None = None, order: str = "week",
        lower_bound: float | None = None) -> pl.DataFrame:
    """XmR chart of ``value`` per group (``by``), ordered by ``order``: the input's columns plus
    ``moving_range``, ``centre``, ``lower_limit``, ``upper_limit`` (x̄ ± 2.66·mR̄; the lower one
    clamped at ``lower_bound`` when given), ``mr_centre``, ``mr_upper`` (3.268·mR̄), ``z``
    ((x − x̄)/σ with σ = mR̄/1.128), ``judged`` and ``signal`` (Western Electric rules this
    point takes part in, comma-separated, empty when none). Null values are left out of the
    limits and never judged (they stay in the output); groups with fewer than 2 values get no
    limits."""
    keys = _keys(by)
    require_columns(series, [*keys, order, value], "the series of xmr()")
    parts = []
    for _key, g in _groups(series, keys, order):
        raw = g[value].to_list()
        at = [i for i, v in enumerate(raw) if v is not None]
        vals = [float(raw[i]) for i in at]
        mr_vals: list[float | None] = [None] + [abs(vals[i] - vals[i - 1]) for i in range(1, len(vals))]
        centre = mr_bar = lower = upper = None
        z_vals: list[float | None] = [None] * len(vals)
        if len(vals) >= 2:
            centre = sum(vals) / len(vals)
            mr_bar = sum(m for m in mr_vals if m is not None) / (len(vals) - 1)
            lower, upper = centre - E2 * mr_bar, centre + E2 * mr_bar
            if lower_bound is not None:
                lower = max(lower, lower_bound)
            sigma = E2 * mr_bar / 3
            z_vals = [((v - centre) / sigma) if sigma > 0 else 0.0 for v in vals]
        mr: list[float | None] = [None] * len(raw)
        zs: list[float | None] = [None] * len(raw)
        for j, i in enumerate(at):
            mr[i], zs[i] = mr_vals[j], z_vals[j]
        bound = [lower_bound is not None and v is not None and float(v) == lower_bound for v in raw]
        marks = [", ".join(m) for m in we_signals(zs, bound)]
        parts.append(g.with_columns(
            pl.Series("moving_range", mr, dtype=pl.Float64), pl.lit(centre, pl.Float64).alias("centre"),
            pl.lit(lower, pl.Float64).alias("lower_limit"), pl.lit(upper, pl.Float64).alias("upper_limit"),
            pl.lit(mr_bar, pl.Float64).alias("mr_centre"),
            pl.lit(None if mr_bar is None else D4 * mr_bar, pl.Float64).alias("mr_upper"),
            pl.Series("z", zs, dtype=pl.Float64), pl.Series("judged", [z is not None for z in zs], dtype=pl.Boolean),
            pl.Series("signal", marks, dtype=pl.String)))
    if not parts:
        return series.with_columns(*(pl.lit(None, pl.Float64).alias(c) for c in (
            "moving_range", "centre", "lower_limit", "upper_limit", "mr_centre", "mr_upper", "z")),
            pl.lit(False).alias("judged"), pl.lit("", pl.String).alias("signal"))
    return pl.concat(parts)


def _chi2_ppf(q: float, df: int) -> float:
    from scipy.stats import chi2

    return float(chi2.ppf(q, df))


@native_frames
def p_chart(series: pl.DataFrame, hits: str, n: str, *, by: str | Sequence[str] | None = None,
            order: str = "week", min_n: int = MIN_N, laney: bool | None = None) -> pl.DataFrame:
    """p-chart of the share ``hits`` / ``n`` per group (``by``), ordered by ``order``: the input's
    columns plus ``value`` (the week's share), ``centre`` (p̄ = Σ hits / Σ n over judged weeks),
    ``lower_limit``, ``upper_limit`` (p̄ ± 3·σᵢ, σᵢ = √(p̄(1 − p̄)/nᵢ), times σ_z on a p′ chart,
    clamped to [0, 1]), ``z``, ``judged`` (nᵢ >= ``min_n``), ``chart`` ("p" or "p'"), ``sigma_z``
    and ``signal`` (Western Electric rules, comma-separated).

    ``laney``: None decides from the data (p′ when σ_z > 1 and the dispersion statistic
    Σ (hitsᵢ − nᵢp̄)² / (nᵢp̄(1 − p̄)) over the k weeks inside the plain limits exceeds its
    χ²(k − 1) quantile at 1 − ``DISPERSION_ALPHA``);
    True or False forces it. σ_z is the mean moving range of the weeks' z-scores / 1.128.
    """
    keys = _keys(by)
    require_columns(series, [*keys, order, hits, n], "the series of p_chart()")
    parts = []
    for _key, g in _groups(series, keys, order):
        h = [None if v is None else float(v) for v in g[hits].to_list()]
        m = [0 if v is None else int(v) for v in g[n].to_list()]
        judged = [mi >= min_n and hi is not None for hi, mi in zip(h, m, strict=True)]
        values = [(hi / mi) if mi > 0 and hi is not None else None for hi, mi in zip(h, m, strict=True)]
        total_n = sum(mi for mi, j in zip(m, judged, strict=True) if j)
        total_h = sum(hi for hi, j in zip(h, judged, strict=True) if j and hi is not None)
        p = total_h / total_n if total_n else None
        sig: list[float | None] = [math.sqrt(p * (1 - p) / mi) if p is not None and j else None
                                   for mi, j in zip(m, judged, strict=True)]
        z0: list[float | None] = [((v - p) / s if s else 0.0) if s is not None and v is not None and p is not None
                                  else None for v, s in zip(values, sig, strict=True)]
        zj = [z for z in z0 if z is not None]
        sigma_z = (sum(abs(zj[i] - zj[i - 1]) for i in range(1,
                                                             len(zj))) / (len(zj) - 1) / D2) if len(zj) >= 2 else None
        use_laney = laney
        if use_laney is None:
            # Judged on the weeks inside the plain limits: one or two special-cause weeks alone
            # must not widen the limits that should flag them.
            inside = [z for z in zj if abs(z) <= 3]
            stat = sum(z * z for z in inside)
            use_laney = (sigma_z is not None and sigma_z > 1 and len(inside) >= 2
                         and stat > _chi2_ppf(1 - DISPERSION_ALPHA, len(inside) - 1))
        widen = sigma_z if use_laney and sigma_z is not None else 1.0
        lower = [None if s is None or p is None else max(0.0, p - 3 * s * widen) for s in sig]
        upper = [None if s is None or p is None else min(1.0, p + 3 * s * widen) for s in sig]
        zs = [None if z is None else z / widen if widen else 0.0 for z in z0]
        bound = [v is not None and (v == 0.0 or v == 1.0) for v in values]
        marks = [", ".join(mk) for mk in we_signals(zs, bound)]
        parts.append(g.with_columns(
            pl.Series("value", values, dtype=pl.Float64), pl.lit(p, pl.Float64).alias("centre"),
            pl.Series("lower_limit", lower, dtype=pl.Float64), pl.Series("upper_limit", upper, dtype=pl.Float64),
            pl.Series("z", zs, dtype=pl.Float64), pl.Series("judged", judged, dtype=pl.Boolean),
            pl.lit("p'" if use_laney else "p").alias("chart"), pl.lit(sigma_z, pl.Float64).alias("sigma_z"),
            pl.Series("signal", marks, dtype=pl.String)))
    if not parts:
        return series.with_columns(*(pl.lit(None, pl.Float64).alias(c) for c in (
            "value", "centre", "lower_limit", "upper_limit", "z")), pl.lit(False).alias("judged"),
            pl.lit("p").alias("chart"), pl.lit(None, pl.Float64).alias("sigma_z"),
            pl.lit("", pl.String).alias("signal"))
    return pl.concat(parts)


@native_frames
def verdicts(chart: pl.DataFrame, *, by: str | Sequence[str] | None = None,
             min_weeks: int = MIN_WEEKS) -> pl.DataFrame:
    """One verdict per series of an :func:`xmr` or :func:`p_chart` chart: ``verdict`` ("in
    control", "signal" or "not enough weeks": fewer than ``min_weeks`` judged weeks), ``rules``
    (the rules that fired, e.g. "WE1, WE4"), ``points``, ``judged`` and ``signal_points``."""
    keys = _keys(by)
    rows = []
    groups = chart.group_by(keys, maintain_order=True) if keys else [((), chart)]
    for key, g in groups:
        hits = g.filter(pl.col("signal") != "")
        judged = int(g["judged"].sum()) if "judged" in g.columns else g.filter(pl.col("centre").is_not_null()).height
        rules = sorted({r for s in hits["signal"].to_list() for r in s.split(", ")})
        verdict = NOT_ENOUGH if judged < min_weeks else SIGNAL if rules else IN_CONTROL
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        row.update({"points": g.height, "judged": judged, "verdict": verdict, "rules": ", ".join(rules),
                    "signal_points": hits.height})
        rows.append(row)
    return pl.DataFrame(rows, schema={**{k: chart.schema[k] for k in keys}, "points": pl.Int64, "judged": pl.Int64,
                                      "verdict": pl.String, "rules": pl.String, "signal_points": pl.Int64})


# Kept importable from here, where it used to live.
from toolkit.metrics.weekly import weekly_process_measures  # noqa: E402

__all__ = ["IN_CONTROL", "MIN_N", "MIN_WEEKS", "NOT_ENOUGH", "RULES", "SIGNAL", "ChartType", "Kind", "Verdict",
           "p_chart", "verdicts", "we_signals", "weekly_process_measures", "xmr"]
