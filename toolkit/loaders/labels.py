"""Labels as people type them: stage labels, pipeline names and owner names compared after Unicode
normalisation (NFKC) and whitespace folding, and owners written "Name (Deactivated User)".

CRM users type "Closed Lost " beside "Closed Lost", double spaces, non-breaking spaces and
full-width letters; they are one label. The raw text stays where the canonical tables keep it
(``stage_raw``); comparisons and the names the toolkit derives (pipeline, owner) use the folded form.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping

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


def _pipelines(process: Process) -> Mapping[str, Process]:
    # A process file may define one process per pipeline; the single-process form has none.
    subs = getattr(process, "pipelines", None)
    return subs if isinstance(subs, Mapping) else {}


def per_pipeline(process: Process, pipeline: pl.Expr, build: Callable[[Process], pl.Expr]) -> pl.Expr:
    """``build(p)`` for each row's own pipeline process ``p`` (the process itself where the
    pipeline has none of its own). Pipeline names compare folded and case-insensitively."""
    expr = build(process)
    key = pipeline.str.to_lowercase()
    for name, sub in _pipelines(process).items():
        expr = pl.when(key == fold_text(name).casefold()).then(build(sub)).otherwise(expr)
    return expr


def stage_of(process: Process, raw: pl.Expr, pipeline: pl.Expr) -> pl.Expr:
    """The process stage of raw CRM labels, judged by each row's pipeline; null where unknown."""
    folded = fold_label(raw)
    return per_pipeline(process, pipeline, lambda p: p.stage_expr(folded))


def won_name(process: Process, pipeline: pl.Expr) -> pl.Expr:
    return per_pipeline(process, pipeline, lambda p: pl.lit(p.won.name))


def lost_name(process: Process, pipeline: pl.Expr) -> pl.Expr:
    return per_pipeline(process, pipeline, lambda p: pl.lit(p.lost.name))


def status_of(process: Process, stage: pl.Expr, pipeline: pl.Expr) -> pl.Expr:
    """open / won / lost of mapped stages, by each row's pipeline process."""
    return per_pipeline(process, pipeline, lambda p: p.status_of_stage(stage))


__all__ = ["DEACTIVATED", "fold_label", "fold_text", "lost_name", "owner_deactivated", "owner_name",
           "per_pipeline", "pipeline_name", "stage_of", "status_of", "won_name"]
