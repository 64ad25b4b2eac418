"""``toolkit process suggest``: the process read from an export, written as a commented YAML the
user edits: where the stage order came from, the won and lost stages, where deals are first
recorded, time limits from the team's own history (p80 of completed stays), and how often the
history skips stages or moves backward, between which stages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from toolkit import schema as S
from toolkit.model import Dataset
from toolkit.process import Process, label_key
from toolkit.process_derive import ENTRY_SHARE, Derivation, PipelineDerivation, derive_process
from toolkit.process_yaml import process_to_yaml

__all__ = ["Moves", "history_moves", "suggest_process_yaml"]

TOP_PAIRS = 5


@dataclass(frozen=True)
class Moves:
    """What the history shows about the order: moves by kind, and the commonest skips and
    backward moves as (from, to, deals)."""

    by_kind: dict[str, int]
    skips: list[tuple[str, str, int]]
    backward: list[tuple[str, str, int]]

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def _of_pipeline(frame: pl.DataFrame, pipeline: str, single: bool) -> pl.DataFrame:
    if single or S.PIPELINE not in frame.columns:
        return frame
    keys = {v: label_key(v) for v in frame[S.PIPELINE].drop_nulls().unique().to_list()}
    return frame.filter(pl.col(S.PIPELINE).replace_strict(keys, default=None, return_dtype=pl.String)
                        == label_key(pipeline))


def _events_of(events: pl.DataFrame, process: Process, pipeline: str, single: bool) -> pl.DataFrame:
    """The pipeline's stage entries, mapped with its derived process."""
    return _of_pipeline(events, pipeline, single).with_columns(process.stage_expr(pl.col(S.STAGE_RAW)).alias(S.STAGE))


def history_moves(events: pl.DataFrame, process: Process, as_of: dt.date | None = None) -> Moves:
    """Moves between stages in ``events`` (already mapped to ``process``), by kind."""
    from toolkit.metrics.compliance import stage_transitions

    t = stage_transitions(events, process, as_of)
    by_kind = dict(t.group_by("kind").len().sort("kind").iter_rows())

    def pairs(kind: str) -> list[tuple[str, str, int]]:
        p = (t.filter(pl.col("kind") == kind).group_by("from_stage", "to_stage").len()
             .sort(["len", "from_stage", "to_stage"], descending=[True, False, False]).head(TOP_PAIRS))
        return [(str(a), str(b), int(n)) for a, b, n in p.iter_rows()]
    return Moves({str(k): int(v) for k, v in by_kind.items()}, pairs("skip"), pairs("backward"))


def _pct(n: int, total: int) -> str:
    return f"{n / total:.0%}" if total else "-"


def _notes(d: PipelineDerivation, events: pl.DataFrame, deals: pl.DataFrame, as_of: dt.date | None,
           prefix: str) -> dict[str, list[str]]:
    from toolkit.metrics.compliance import suggested_limits

    p = d.process
    notes: dict[str, list[str]] = {}
    stages = [f"order: {d.order_origin}; {d.deals:,} deals, {d.deals_with_history:,} with stage history"]
    if d.unplaced:
        stages.append(f"not placed by the export or its history (put last, check them): {', '.join(d.unplaced)}")
    notes[f"{prefix}stages"] = stages
    now = dict(deals.group_by(S.STAGE_RAW).len().iter_rows()) if not deals.is_empty() else {}
    now_key: dict[str, int] = {}
    for label, n in now.items():
        if label is not None:
            now_key[label_key(label)] = now_key.get(label_key(label), 0) + int(n)
    limits = {r["stage"]: r for r in suggested_limits(events, p,
                                                      as_of).iter_rows(named=True)} if not events.is_empty() else {}
    for s in p.stages:
        first = d.first_recorded.get(s.name, 0)
        notes[f"{prefix}stage:{s.name}"] = [
            f"{now_key.get(label_key(s.name), 0):,} deals here now; {first:,} first recorded here"
            + (f" ({_pct(first, d.deals_with_history)})" if d.deals_with_history else "")]
        lim = limits.get(s.name)
        if lim and lim["suggested_max_days"] is not None:
            notes[f"{prefix}after:stage:{s.name}"] = [
                f"max_days: {int(lim['suggested_max_days'])}   # p80 of {lim['stays']:,} completed stays in this "
                "stage; uncomment to set the limit"]
        else:
            notes[f"{prefix}after:stage:{s.name}"] = ["max_days: ?   # no completed stay in the history to suggest one"]
    notes[f"{prefix}won"] = [f"won and lost: from {d.outcome_origin}; first recorded as won: "
                             f"{d.first_recorded.get(p.won.name, 0):,}, "
                             f"as lost: {d.first_recorded.get(p.lost.name, 0):,}"]
    if d.deals_with_history:
        starts = ", ".join(f"{k} {v:,}" for k, v in sorted(d.first_recorded.items(), key=lambda kv: -kv[1]))
        notes[f"{prefix}entry_stages"] = [
            f"where deals are first recorded ({d.deals_with_history:,} deals with history): {starts}",
            f"entry stages: the first stage and any stage where at least {ENTRY_SHARE:.0%} of them start; a deal "
            "that starts in another stage is flagged 'started late'"]
        if not p.entry_stages:
            notes[f"{prefix}entry_stages"].append(f"entry_stages: [{p.stages[0].name}]   # the default")
        moves = history_moves(events, p, as_of)
        notes[f"{prefix}allow"] = _moves_note(moves)
    else:
        notes[f"{prefix}entry_stages"] = ["no stage history: where deals start, time limits and skips cannot be read"]
    return notes


def _moves_note(m: Moves) -> list[str]:
    if not m.total:
        return ["the history shows no move between stages"]
    out = [f"the history shows {m.total:,} moves: " + ", ".join(f"{k} {v:,} ({_pct(v, m.total)})"
                                                              for k, v in sorted(m.by_kind.items()))]
    if m.skips:
        out.append("skips (from → to, moves): " + "; ".join(f"{a} → {b} {n:,}" for a, b, n in m.skips))
    if m.backward:
        out.append("backward moves: " + "; ".join(f"{a} → {b} {n:,}" for a, b, n in m.backward))
    out.append("skip/backward: false flags each such move; set true to accept them")
    return out


def suggest_process_yaml(data: Dataset, *, as_of: dt.date | None = None, export: str = "the export",
                         derivation: Derivation | None = None) -> str:
    """The process the export describes, as a commented YAML for the user to edit."""
    der = derivation or derive_process(data)
    single = not der.process.pipelines
    notes: dict[str, list[str]] = {}
    for d in der.pipelines:
        prefix = "" if single else f"{d.pipeline}/"
        events = _events_of(data.stage_events, d.process, d.pipeline, single)
        deals = _of_pipeline(data.deals, d.pipeline, single)
        notes.update(_notes(d, events, deals, as_of, prefix))
    header: Sequence[str] = [
        f"The sales process read from {export} by `toolkit process suggest`"
        + (f" (history up to {as_of})" if as_of else "") + ".",
        "Edit it (stage names, aliases, limits, required fields), then pass it with --process.",
        *([f"pipelines with no open stage, judged by the first pipeline's process: {', '.join(der.skipped)}"]
          if der.skipped else []),
    ]
    if not single:
        notes["pipelines"] = ["one process per pipeline, the busiest first (deals of a pipeline not named here "
                              "are judged by the first)"]
    return process_to_yaml(der.process, header=header, notes=notes)
