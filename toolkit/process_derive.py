"""The process read from the export itself, for a first run without a process file.

Per pipeline, in this order of trust: the stage catalogue the loader read (Salesforce
``OpportunityStage``/``StageSortOrder``, a HubSpot sync's ``display_order``, the order of HubSpot's
"Date entered" columns, Pipedrive's stage ids), then the stages' probabilities, then the observed
flow of the history (which stage deals enter before which). Won and lost stages come from the
catalogue's flags, else from the deals' own statuses, else from the default process's labels.
Pure: a :class:`~toolkit.model.Dataset` in, a :class:`Derivation` out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from toolkit import schema as S
from toolkit.model import Dataset
from toolkit.process import Outcome, Process, Stage, label_key, load_process

__all__ = ["Derivation", "PipelineDerivation", "derive_process", "unknown_labels"]

FLOW = "the observed flow of the history (which stage deals enter before which)"
#: A stage where at least this share of the deals with history is first recorded is an entry stage.
ENTRY_SHARE = 0.2


@dataclass(frozen=True)
class PipelineDerivation:
    """How one pipeline's process was read, for the notes and the commented YAML."""

    pipeline: str
    process: Process
    order_origin: str
    outcome_origin: str
    #: first recorded stage -> deals (open stages, won and lost), over deals with history
    first_recorded: dict[str, int] = field(default_factory=dict)
    deals_with_history: int = 0
    deals: int = 0
    unplaced: tuple[str, ...] = ()  # open stages the sources do not place (put last)


@dataclass(frozen=True)
class Derivation:
    """The derived process and, per pipeline, where its parts came from."""

    process: Process
    pipelines: tuple[PipelineDerivation, ...]
    skipped: tuple[str, ...] = ()  # pipelines with no open stage, left to the fallback process

    def note(self) -> str:
        """The load note and report line that say the process was read from the export."""
        parts = []
        for d in self.pipelines:
            label = "" if len(self.pipelines) == 1 else f"{d.pipeline}: "
            parts.append(f"{label}{' → '.join(d.process.stage_names[:-2])} (won {d.process.won.name!r}, lost "
                         f"{d.process.lost.name!r}; order from {d.order_origin})")
        return ("process read from the export: stages " + "; ".join(parts)
                + "; edit process.yaml to set limits and required fields (toolkit process suggest EXPORT --out "
                  "process.yaml, then --process process.yaml)")


def unknown_labels(data: Dataset, process: Process) -> list[str]:
    """Stage labels of the deals and the history that ``process`` does not map."""
    out: set[str] = set()
    for frame in (data.deals, data.stage_events):
        if S.STAGE_RAW in frame.columns and S.STAGE in frame.columns:
            bad = frame.filter(pl.col(S.STAGE_RAW).is_not_null() & pl.col(S.STAGE).is_null())
            out.update(bad[S.STAGE_RAW].unique().to_list())
    return sorted(out)


def _pipeline_of(frame: pl.DataFrame) -> pl.Expr:
    if S.PIPELINE in frame.columns:
        return pl.coalesce(pl.col(S.PIPELINE).cast(pl.String), pl.lit(S.DEFAULT_PIPELINE))
    return pl.lit(S.DEFAULT_PIPELINE)


def _keyed(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """``frame`` with ``_pipe`` (display), ``_pkey`` and ``_lkey`` (label keys) columns."""
    f = frame.with_columns(_pipeline_of(frame).alias("_pipe"))
    keys = {v: label_key(v) for v in f["_pipe"].unique().to_list() + f[column].drop_nulls().unique().to_list()}
    return f.with_columns(pl.col("_pipe").replace_strict(keys, default=None, return_dtype=pl.String).alias("_pkey"),
                          pl.col(column).replace_strict(keys, default=None, return_dtype=pl.String).alias("_lkey"))


def derive_process(data: Dataset, *, name: str = "Read from the export") -> Derivation:
    """The process the export describes, one per pipeline where it has several."""
    catalog = _keyed(data.stage_catalog, S.STAGE_RAW).with_row_index("_trust")
    deals = _keyed(data.deals.filter(pl.col(S.STAGE_RAW).is_not_null()), S.STAGE_RAW)
    events = _keyed(data.stage_events.filter(pl.col(S.STAGE_RAW).is_not_null()), S.STAGE_RAW)
    seen = set(deals["_pkey"].to_list()) | set(events["_pkey"].to_list())
    in_catalog = set(catalog["_pkey"].to_list())
    if len(seen) == 1 and len(in_catalog) == 1 and seen != in_catalog:
        # The deals name no pipeline (or the loader reads none) and the catalogue one: the same one.
        (only,) = seen
        catalog = catalog.with_columns(pl.lit(only).alias("_pkey"),
                                       pl.lit(deals["_pipe"][0] if deals.height else events["_pipe"][0]).alias("_pipe"))
    names: dict[str, str] = {}
    weight: dict[str, int] = {}
    for frame in (deals, events, catalog):
        for display, key in frame.select("_pipe", "_pkey").unique(maintain_order=True).iter_rows():
            names.setdefault(key, display)
            weight[key] = weight.get(key, 0)
    for key, n in deals.group_by("_pkey").len().iter_rows():
        weight[key] = n
    default = load_process()
    derived: list[PipelineDerivation] = []
    skipped: list[str] = []
    for key in sorted(names, key=lambda k: (-weight[k], names[k])):
        d = _one(names[key], catalog.filter(pl.col("_pkey") == key), deals.filter(pl.col("_pkey") == key),
                 events.filter(pl.col("_pkey") == key), default, statuses_are_stages=data.source != "pipedrive")
        if d is None:
            skipped.append(names[key])
        else:
            derived.append(d)
    if not derived:
        from toolkit.errors import ConfigError
        raise ConfigError("stage labels in the export to read a process from", "no open stage in any pipeline",
                          "pass --process with a process file")
    if len(derived) == 1:
        process = _named(derived[0].process, name)
    else:
        from dataclasses import replace
        process = replace(derived[0].process, name=name, pipelines={d.pipeline: d.process for d in derived})
    return Derivation(process, tuple(derived), tuple(skipped))


def _named(p: Process, name: str) -> Process:
    from dataclasses import replace
    return replace(p, name=name, source="<read from the export>")


def _one(pipeline: str, catalog: pl.DataFrame, deals: pl.DataFrame, events: pl.DataFrame, default: Process,
         *, statuses_are_stages: bool) -> PipelineDerivation | None:
    labels: dict[str, str] = {}  # label key -> display (catalogue spelling first, else most common)
    for frame in (catalog, deals, events):
        for key, display in (frame.group_by("_lkey", S.STAGE_RAW).len().sort("len", descending=True)
                             .select("_lkey", S.STAGE_RAW).iter_rows()) if not frame.is_empty() else []:
            labels.setdefault(key, display)
    known = default.labels()
    kinds: dict[str, str] = {}
    from_catalog = from_status = 0
    by_label = catalog.sort("_trust").group_by("_lkey", maintain_order=True).agg(
        pl.col(S.ORDER).drop_nulls().first(), pl.col(S.IS_WON).drop_nulls().first(),
        pl.col(S.IS_CLOSED).drop_nulls().first(), pl.col(S.PROBABILITY).drop_nulls().first(),
        pl.col(S.ORIGIN).filter(pl.col(S.ORDER).is_not_null()).first().alias("_order_origin"),
        pl.col(S.ORIGIN).filter(pl.col(S.PROBABILITY).is_not_null()).first())
    info = {r["_lkey"]: r for r in by_label.iter_rows(named=True)}
    status = (deals.filter(pl.col(S.STATUS).is_not_null()).group_by("_lkey")
              .agg(pl.col(S.STATUS).unique().alias("s")) if S.STATUS in deals.columns else pl.DataFrame())
    statuses = {k: set(v) for k, v in status.iter_rows()} if not status.is_empty() else {}
    for key in labels:
        row = info.get(key, {})
        if row.get(S.IS_WON) is True or (row.get(S.IS_CLOSED) is not None):
            kinds[key] = "won" if row.get(S.IS_WON) else ("lost" if row.get(S.IS_CLOSED) else "open")
            from_catalog += 1
        elif statuses_are_stages and statuses.get(key) in ({"won"}, {"lost"}):
            kinds[key] = next(iter(statuses[key]))
            from_status += 1
        elif known.get(key) in (default.won.name, default.lost.name):
            kinds[key] = "won" if known[key] == default.won.name else "lost"
        else:
            kinds[key] = "open"
    open_keys = [k for k in labels if kinds[k] == "open"]
    if not open_keys:
        return None
    before, first_pos = _precedence(events, set(open_keys))
    score = {k: sum((before.get((k, o), 0) > before.get((o, k), 0)) - (before.get((o, k), 0) > before.get((k, o), 0))
                    for o in open_keys if o != k) for k in open_keys}
    in_flow = {k for k in open_keys if k in first_pos}

    starts = _first_recorded(events, labels, kinds, "", "")

    def flow_key(k: str) -> tuple[float, float, int, str]:
        # Ties: the stage entered earlier on average, then the one more deals start in.
        return (-score.get(k, 0), first_pos.get(k, float("inf")), -starts.get(labels[k], 0), labels[k])

    ordered_by = [k for k in open_keys if info.get(k, {}).get(S.ORDER) is not None]
    probable = [k for k in open_keys if info.get(k, {}).get(S.PROBABILITY) is not None]
    if ordered_by:
        origin = str(info[ordered_by[0]]["_order_origin"])
        placed = sorted(ordered_by, key=lambda k: (info[k][S.ORDER], *flow_key(k)))
    elif probable:
        origin = f"the stages' probability ({info[probable[0]][S.ORIGIN]}), ties by the observed flow"
        placed = sorted(probable, key=lambda k: (info[k][S.PROBABILITY], *flow_key(k)))
    else:
        origin = FLOW
        placed = sorted(in_flow, key=flow_key)
    rest = sorted((k for k in open_keys if k not in placed), key=flow_key)
    stage_names = [labels[k] for k in placed + rest]
    counts = dict(deals.group_by("_lkey").len().iter_rows()) if not deals.is_empty() else {}

    def ends(kind: str) -> list[str]:
        # Several won (or lost) stages: the first in the CRM's order names the outcome, the others alias it.
        keys = [k for k in labels if kinds[k] == kind]
        return [labels[k] for k in sorted(keys, key=lambda k: (info.get(k, {}).get(S.ORDER) or 0.0,
                                                               -counts.get(k, 0), labels[k]))]
    won, lost = _outcomes(ends("won"), ends("lost"), stage_names, default)
    outcome_origin = ("the export's won/closed flags" if from_catalog else
                      "the deals' statuses" if from_status else
                      "the statuses (won and lost are not stages in this CRM)" if not statuses_are_stages else
                      "the default process's labels")
    first = _first_recorded(events, labels, kinds, won.name, lost.name)
    with_history = sum(first.values())
    entry = [s for s in stage_names if s == stage_names[0]
             or (with_history and first.get(s, 0) / with_history >= ENTRY_SHARE)]
    # Allow, review and validation settings are the default process's: the export does not say them.
    process = Process(pipeline, tuple(Stage(s) for s in stage_names), won, lost, default.allow, default.review,
                      "<read from the export>", default.validation,
                      entry_stages=tuple(entry) if entry != stage_names[:1] else ())
    return PipelineDerivation(pipeline, process, origin, outcome_origin, first, with_history,
                              deals.select(S.DEAL_ID).n_unique() if not deals.is_empty() else 0,
                              tuple(labels[k] for k in rest))


def _precedence(events: pl.DataFrame, open_keys: set[str]) -> tuple[dict[tuple[str, str], int], dict[str, float]]:
    """(a, b) -> deals that first entered ``a`` before ``b``; label -> mean rank of first entry."""
    if events.is_empty():
        return {}, {}
    e = (events.filter(pl.col("_lkey").is_in(list(open_keys)))
         .sort(S.DEAL_ID, S.ENTERED_AT, S.SOURCE_LINE, nulls_last=True)
         .group_by(S.DEAL_ID, "_lkey", maintain_order=True).first()
         .with_columns(pl.int_range(pl.len()).over(S.DEAL_ID).alias("_rank")).select(S.DEAL_ID, "_lkey", "_rank"))
    pairs = (e.join(e, on=S.DEAL_ID, suffix="_b").filter(pl.col("_rank") < pl.col("_rank_b"))
             .group_by("_lkey", "_lkey_b").len())
    before = {(a, b): n for a, b, n in pairs.iter_rows()}
    pos = {k: float(v) for k, v in e.group_by("_lkey").agg(pl.col("_rank").mean()).iter_rows()}
    return before, pos


def _outcomes(won: list[str], lost: list[str], open_names: list[str], default: Process) -> tuple[Outcome, Outcome]:
    """Won and lost with the default's labels as aliases where no open stage uses them (a
    source that writes won and lost as statuses names them with the process's labels)."""
    taken = {label_key(s) for s in open_names}

    def outcome(found: list[str], fallback: Outcome) -> Outcome:
        names = found or [fallback.name]
        extra = [a for a in (fallback.name, *fallback.aliases) if label_key(a) not in taken]
        aliases: list[str] = []
        for a in [*names[1:], *extra]:
            if label_key(a) != label_key(names[0]) and label_key(a) not in {label_key(x) for x in aliases}:
                aliases.append(a)
        taken.update(label_key(a) for a in (names[0], *aliases))
        return Outcome(names[0], tuple(aliases))
    w = outcome(won, default.won)
    return w, outcome(lost, default.lost)


def _first_recorded(events: pl.DataFrame, labels: dict[str, str], kinds: dict[str, str], won: str,
                    lost: str) -> dict[str, int]:
    if events.is_empty():
        return {}
    first = (events.sort(S.DEAL_ID, S.ENTERED_AT, S.SOURCE_LINE, nulls_last=True)
             .group_by(S.DEAL_ID, maintain_order=True).first().group_by("_lkey").len())
    out: dict[str, int] = {}
    for key, n in first.iter_rows():
        kind = kinds.get(key, "open")
        name = won if kind == "won" else lost if kind == "lost" else labels.get(key, key)
        out[name] = out.get(name, 0) + n
    return out
