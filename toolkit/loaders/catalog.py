"""The stage catalogue: what an export says about its own stages (order, won and closed flags,
probability), one row per pipeline and stage label (``schema.STAGE_CATALOG``).

Loaders call :func:`catalog_from_rows` on the rows they read (Salesforce opportunities with their
``StageSortOrder``, a HubSpot sync's ``deal_pipeline_stage`` table, ...); the process derivation
reads the result. The columns it aggregates are auxiliary: a value that does not read as a number
leaves the catalogue's cell empty and never rejects the row it came from.
"""

from __future__ import annotations

import polars as pl

from toolkit import schema as S

__all__ = ["catalog_from_rows", "concat_catalogs"]


def _number(frame: pl.DataFrame, column: str | None) -> pl.Expr:
    if column is None or column not in frame.columns:
        return pl.lit(None, pl.Float64)
    c = pl.col(column)
    if frame.schema[column] == pl.String:
        c = c.str.strip_chars().str.strip_chars_end("%").str.replace(",", ".")
    return c.cast(pl.Float64, strict=False)


def _flag(frame: pl.DataFrame, column: str | None) -> pl.Expr:
    if column is None or column not in frame.columns:
        return pl.lit(None, pl.Boolean)
    c = pl.col(column)
    if frame.schema[column] == pl.Boolean:
        return c
    text = c.cast(pl.String).str.strip_chars().str.to_lowercase()
    return (pl.when(text.is_in(["1", "true", "yes", "t", "y"])).then(True)
            .when(text.is_in(["0", "false", "no", "f", "n"])).then(False).otherwise(None))


def catalog_from_rows(frame: pl.DataFrame, *, origin: str, stage: str = S.STAGE_RAW, pipeline: str | None = None,
                      order: str | None = None, probability: str | None = None, is_won: str | None = None,
                      is_closed: str | None = None, keep: pl.Expr | None = None) -> pl.DataFrame:
    """One catalogue row per (pipeline, label) of ``frame``: the median order and probability and
    the most common flags of the rows with that label (rows of one label normally agree)."""
    if frame.is_empty() or stage not in frame.columns:
        return S.empty(S.STAGE_CATALOG)
    f = frame.filter(keep) if keep is not None else frame
    pipe = (pl.col(pipeline).cast(pl.String).str.strip_chars() if pipeline is not None and pipeline in f.columns
            else pl.lit(None, pl.String))
    rows = f.select(
        pl.coalesce(pipe.replace("", None), pl.lit(S.DEFAULT_PIPELINE)).alias(S.PIPELINE),
        pl.col(stage).cast(pl.String).str.strip_chars().replace("", None).alias(S.STAGE_RAW),
        _number(f, order).alias(S.ORDER), _flag(f, is_won).alias(S.IS_WON), _flag(f, is_closed).alias(S.IS_CLOSED),
        _number(f, probability).alias(S.PROBABILITY),
    ).filter(pl.col(S.STAGE_RAW).is_not_null())
    if rows.is_empty():
        return S.empty(S.STAGE_CATALOG)
    out = rows.group_by(S.PIPELINE, S.STAGE_RAW, maintain_order=True).agg(
        pl.col(S.ORDER).median(), pl.col(S.IS_WON).drop_nulls().mode().sort().last(),
        pl.col(S.IS_CLOSED).drop_nulls().mode().sort().last(), pl.col(S.PROBABILITY).median(),
    ).with_columns(pl.lit(origin).alias(S.ORIGIN))
    return out.select([pl.col(c.name).cast(c.dtype) for c in S.STAGE_CATALOG])


def concat_catalogs(*catalogs: pl.DataFrame) -> pl.DataFrame:
    """Catalogues of several files, most trusted first."""
    parts = [c for c in catalogs if not c.is_empty()]
    return pl.concat(parts) if parts else S.empty(S.STAGE_CATALOG)
