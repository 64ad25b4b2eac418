"""Labels as people type them: stage labels, pipeline names and owner names compared after Unicode
normalisation (NFKC) and whitespace folding, and owners written "Name (Deactivated User)".

CRM users type "Closed Lost " beside "Closed Lost", double spaces, non-breaking spaces and
full-width letters; they are one label. The raw text stays where the canonical tables keep it
(``stage_raw``); comparisons and the names the toolkit derives (pipeline, owner) use the folded form.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import polars as pl

from toolkit import schema as S
from toolkit.process import Process

#: How CRMs mark an owner whose user was deactivated (Salesforce, HubSpot and Pipedrive reports).
DEACTIVATED = r"(?i)\s*\((?:deactivated|inactive)(?: user)?\)\s*$"


def fold_text(text: str) -> str:
    """NFKC, whitespace runs as one space, no leading or trailing space (case is kept)."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def fold_label(col: pl.Expr) -> pl.Expr:
    """:func:`fold_text` on a column; an empty label is null."""
    folded = col.str.normalize("NFKC").str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(folded == "").then(None).otherwise(folded)


def owner_name(col: pl.Expr) -> pl.Expr:
    """The owner's name without the deactivation mark, folded: "Ann  Lee (Deactivated User)" is
    "Ann Lee", the same owner as before the user was deactivated."""
    return fold_label(col.str.normalize("NFKC").str.replace(DEACTIVATED, ""))


def owner_deactivated(col: pl.Expr) -> pl.Expr:
    """Whether the CRM marked the owner's name as a deactivated user."""
    return col.str.normalize("NFKC").str.contains(DEACTIVATED).fill_null(False)


def pipeline_name(col: pl.Expr) -> pl.Expr:
    """The canonical pipeline: the folded name, ``default`` where the source has none."""
    return fold_label(col).fill_null(pl.lit(S.DEFAULT_PIPELINE))


def stage_of(process: Process, raw: pl.Expr, pipeline: pl.Expr) -> pl.Expr:
    """The process stage of raw CRM labels, judged by each row's pipeline; null where unknown."""
    return process.stage_expr(raw, pipeline)


def per_distinct(frame: pl.DataFrame, keys: Sequence[str], exprs: Sequence[pl.Expr]) -> pl.DataFrame:
    """``frame`` with ``exprs`` (expressions of ``keys`` alone) evaluated once per distinct value
    of ``keys`` and joined back in the frame's order: labels, names and pipelines repeat across
    millions of rows, and folding text (NFKC, regexes) costs per value."""
    table = frame.select(keys).unique().with_columns(exprs)
    return frame.join(table, on=list(keys), how="left", nulls_equal=True, maintain_order="left")


def map_stages(frame: pl.DataFrame, process: Process, *, pipeline: str, raw: str = S.STAGE_RAW, out: str = S.STAGE,
               lower: str | None = None) -> pl.DataFrame:
    """``frame`` with ``out``: the process stage of each row's ``raw`` label in its ``pipeline``
    (a column already there is kept where it is not null), and optionally ``lower``: the folded,
    lower-cased label of the rows whose label maps to no stage (what tells those rows apart; null
    where a stage is found). Each distinct label (of each pipeline) is mapped once."""
    mapped = stage_of(process, pl.col(raw), pl.col(pipeline))
    exprs = [mapped.alias("_mapped"),
             *([pl.when(mapped.is_null()).then(fold_label(pl.col(raw)).str.to_lowercase()).alias(lower)]
               if lower else [])]
    pipe = frame[pipeline]
    if frame.height and pipe.null_count() == 0 and bool((pipe == pipe[0]).all()):
        # One pipeline, the common case: the distinct labels alone, looked up by position; a column
        # the labels leave empty is not gathered row by row.
        names = frame[raw].drop_nulls().unique()
        table = names.to_frame(raw).with_columns(pl.lit(pipe[0], pl.String).alias(pipeline)).with_columns(exprs)
        # A label's position among them is its code as an enum of them: a cast, a quarter of the cost
        # of looking ten million labels up among them.
        at = frame.select(pl.col(raw).cast(pl.Enum(names)).to_physical()).to_series()
        # (a null label maps to no stage: a null position gathers a null)
        f = frame.with_columns(table[e].gather(at) if table[e].null_count() < table.height
                               else pl.lit(None, table[e].dtype).alias(e)
                               for e in table.columns if e not in (raw, pipeline))
    else:
        f = per_distinct(frame, [raw, pipeline], exprs)
    keep = out in frame.columns and frame[out].null_count() < frame.height
    return f.with_columns((pl.coalesce(out, "_mapped") if keep else pl.col("_mapped")).alias(out)).drop("_mapped")


def won_name(process: Process, pipeline: pl.Expr) -> pl.Expr:
    return process.outcome_expr("won", pipeline)


def lost_name(process: Process, pipeline: pl.Expr) -> pl.Expr:
    return process.outcome_expr("lost", pipeline)


def status_of(process: Process, stage: pl.Expr, pipeline: pl.Expr) -> pl.Expr:
    """open / won / lost of mapped stages, by each row's pipeline process."""
    return process.status_of_stage(stage, pipeline)


__all__ = ["DEACTIVATED", "fold_label", "fold_text", "lost_name", "map_stages", "owner_deactivated", "owner_name",
           "per_distinct", "pipeline_name", "stage_of", "status_of", "won_name"]
