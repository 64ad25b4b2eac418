"""From a caller's pre-aggregated frame to the few JSON records a chart embeds."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import polars as pl

from toolkit.errors import ToolkitError
from toolkit.frames import to_polars

#: A chart embeds its rows in the SVG's source spec and in the notebook: charts are drawn from
#: per-rep, per-team, per-stage or per-week figures, never from deals.
MAX_ROWS = 1_000


def frame(data: Any, columns: Sequence[str], name: str) -> pl.DataFrame:
    """``data`` (pandas or polars) as polars with only ``columns``, in that order; a clear error
    when a column is missing or the frame looks like raw deals."""
    df, _library = to_polars(data, name)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ToolkitError(f"{name} with columns {list(columns)}", f"no {missing} among {df.columns}",
                           "pass the frame from the matching toolkit.metrics function")
    if df.height > MAX_ROWS:
        raise ToolkitError(f"{name} with at most {MAX_ROWS:,} rows (one per rep, team, stage or week)",
                           f"{df.height:,} rows", "aggregate first; charts never take raw deals")
    df = df.select(columns)
    floats = [c for c, t in df.schema.items() if t.is_float()]
    return df.with_columns(pl.col(floats).fill_nan(None)) if floats else df


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        # Read as UTC by Vega (the charts use UTC time scales): the date never shifts by a day.
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(df: pl.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: dates as ISO strings (UTC), NaN and infinities as null."""
    return [{k: _json(v) for k, v in row.items()} for row in df.iter_rows(named=True)]
