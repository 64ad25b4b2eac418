"""The sales-process definition: ordered stages with aliases, time limits and required fields, the
won and lost outcomes, the stages a deal may start in, what is allowed, and the review parameters;
optionally one such process per pipeline.

A process is read from YAML by an explicit call (:func:`load_process`); a file with an error gets
a message naming the key path and its line. The default process ships in the package.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import polars as pl

from toolkit.errors import ConfigError
from toolkit.yaml_nodes import YamlNode, compose_yaml, read_yaml_text

DEFAULT_PROCESS = "default_process.yaml"

__all__ = ["Allow", "Outcome", "Process", "Review", "Stage", "ValidationSettings", "label_key", "load_process",
           "parse_process"]


@dataclass(frozen=True)
class Stage:
    """An open stage of the process."""

    name: str
    aliases: tuple[str, ...] = ()
    max_days: float | None = None
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """The won or the lost end of the process."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Allow:
    """Which departures from the stage order the process accepts."""

    skip: bool = False
    backward: bool = False


@dataclass(frozen=True)
class Review:
    """How the manager reviews deals."""

    minutes_per_deal: float = 30.0
    sample_per_rep: int = 3
    manager_hours_per_week: float = 40.0
    #: Weeks of the reporting period that compliance is also counted over (deals active in it).
    period_weeks: int = 13


@dataclass(frozen=True)
class ValidationSettings:
    """Data-quality thresholds and per-check severities (``error`` blocks a report)."""

    amount_ceiling: float = 1e9
    close_date_years_back: int = 10
    close_date_years_ahead: int = 5
    severity: dict[str, str] = field(default_factory=dict)


def label_key(label: str) -> str:
    """Labels as people type them are one label: NFKC, whitespace folded, case folded."""
    return " ".join(unicodedata.normalize("NFKC", label).split()).casefold()


def _folded(expr: pl.Expr) -> pl.Expr:
    """:func:`label_key` of every value of a string column (computed once per distinct value)."""
    def fold(s: pl.Series) -> pl.Series:
        keys = {v: label_key(v) for v in s.drop_nulls().unique().to_list()}
        return s.replace_strict(keys, default=None, return_dtype=pl.String) if keys else s.cast(pl.String)
    return expr.cast(pl.String).map_batches(fold, return_dtype=pl.String)


@dataclass(frozen=True)
class Process:
    """A sales process. ``stages`` are the open stages in order; ``entry_stages`` the stages a deal
    may start in (empty: only the first); ``pipelines`` one process per pipeline (empty: this one
    process for every pipeline)."""

    name: str
    stages: tuple[Stage, ...]
    won: Outcome
    lost: Outcome
    allow: Allow = field(default_factory=Allow)
    review: Review = field(default_factory=Review)
    source: str = "<default>"
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    entry_stages: tuple[str, ...] = ()
    pipelines: dict[str, Process] = field(default_factory=dict)

    @property
    def stage_names(self) -> list[str]:
        """Open stage names in order, then won, then lost."""
        return [s.name for s in self.stages] + [self.won.name, self.lost.name]

    @property
    def entry_stage_names(self) -> tuple[str, ...]:
        """The stages a deal may start in without a late-entry flag."""
        return self.entry_stages or (self.stages[0].name,)

    def for_pipeline(self, name: str | None) -> Process:
        """The process of pipeline ``name`` (compared as :func:`label_key`), else this process."""
        if name is None or not self.pipelines:
            return self
        key = label_key(name)
        return next((p for n, p in self.pipelines.items() if label_key(n) == key), self)

    def labels(self) -> dict[str, str]:
        """Every label the process knows (names and aliases, as :func:`label_key`) -> the stage name."""
        out: dict[str, str] = {}
        for s in self.steps():
            for label in (s.name, *s.aliases):
                out[label_key(label)] = s.name
        return out

    def stage_expr(self, raw: pl.Expr, pipeline: pl.Expr | None = None) -> pl.Expr:
        """Map a column of CRM stage labels to process stage names; null where unknown. With a
        ``pipeline`` column and a process per pipeline, each row is mapped by its pipeline's process
        (a pipeline the file does not name uses this process)."""
        label = _folded(raw)
        own = label.replace_strict(self.labels(), default=None, return_dtype=pl.String)
        if pipeline is None or not self.pipelines:
            return own
        pipe = _folded(pipeline)
        out = own
        for name, proc in reversed(self.pipelines.items()):
            mapped = label.replace_strict(proc.labels(), default=None, return_dtype=pl.String)
            out = pl.when(pipe == label_key(name)).then(mapped).otherwise(out)
        return out

    def status_of_stage(self, stage: pl.Expr, pipeline: pl.Expr | None = None) -> pl.Expr:
        """open / won / lost for a column of mapped stage names (null where the stage is unknown)."""
        won, lost = self.outcome_expr("won", pipeline), self.outcome_expr("lost", pipeline)
        return (pl.when(stage == won).then(pl.lit("won"))
                .when(stage == lost).then(pl.lit("lost"))
                .when(stage.is_not_null()).then(pl.lit("open")).otherwise(None))

    def outcome_expr(self, status: str, pipeline: pl.Expr | None = None) -> pl.Expr:
        """The won (``status="won"``) or lost stage name of each row's pipeline."""
        def of(p: Process) -> str:
            return p.won.name if status == "won" else p.lost.name
        if pipeline is None or not self.pipelines:
            return pl.lit(of(self))
        pipe = _folded(pipeline)
        mapping = {label_key(n): of(p) for n, p in self.pipelines.items()}
        return pipe.replace_strict(mapping, default=of(self), return_dtype=pl.String)

    def steps(self) -> tuple[Stage | Outcome, ...]:
        """The open stages in order, then won, then lost."""
        return (*self.stages, self.won, self.lost)

    def all_processes(self) -> list[Process]:
        """This process and every pipeline's (each once)."""
        return [self, *self.pipelines.values()]


# --- reading the YAML ----------------------------------------------------------------------------

TOP_KEYS = {"name", "stages", "won", "lost", "allow", "review", "validation", "entry_stages", "pipelines"}
PIPELINE_KEYS = {"name", "stages", "won", "lost", "allow", "review", "entry_stages"}


def _stage(node: YamlNode) -> Stage:
    m = node.mapping({"name", "aliases", "max_days", "required"})
    if "name" not in m:
        raise node.fail("a stage with a name")
    max_days = m["max_days"].number(minimum=0) if "max_days" in m else None
    return Stage(m["name"].text(), m["aliases"].texts() if "aliases" in m else (), max_days,
                 m["required"].texts() if "required" in m else ())


def _outcome(node: YamlNode) -> Outcome:
    if node.is_scalar():
        return Outcome(node.text())
    m = node.mapping({"name", "aliases"})
    if "name" not in m:
        raise node.fail("an outcome with a name")
    return Outcome(m["name"].text(), m["aliases"].texts() if "aliases" in m else ())


def _allow(node: YamlNode, default: Allow) -> Allow:
    a = node.mapping({"skip", "backward"})
    return Allow(a["skip"].boolean() if "skip" in a else default.skip,
                 a["backward"].boolean() if "backward" in a else default.backward)


def _review(node: YamlNode, d: Review) -> Review:
    r = node.mapping({"minutes_per_deal", "sample_per_rep", "manager_hours_per_week", "period_weeks"})
    return Review(
        r["minutes_per_deal"].number(minimum=0) if "minutes_per_deal" in r else d.minutes_per_deal,
        int(r["sample_per_rep"].number(integer=True, minimum=1)) if "sample_per_rep" in r else d.sample_per_rep,
        r["manager_hours_per_week"].number(minimum=1) if "manager_hours_per_week" in r else d.manager_hours_per_week,
        int(r["period_weeks"].number(integer=True, minimum=1)) if "period_weeks" in r else d.period_weeks,
    )


def _body(m: Mapping[str, YamlNode], where: str, *, name: str, allow: Allow, review: Review,
          validation: ValidationSettings, source: str) -> Process:
    """One process from the keys of a top level or of a pipeline."""
    for key in ("stages", "won", "lost"):
        if key not in m:
            raise ConfigError(f"the key {key!r} {where}", "it is missing",
                              "see the default process shipped with the toolkit")
    stages = tuple(_stage(n) for n in m["stages"].sequence())
    if not stages:
        raise m["stages"].fail("at least one stage")
    process = Process(
        m["name"].text() if "name" in m else name, stages, _outcome(m["won"]), _outcome(m["lost"]),
        _allow(m["allow"], allow) if "allow" in m else allow,
        _review(m["review"], review) if "review" in m else review, source, validation)
    _check_labels(process)
    if "entry_stages" in m:
        process = replace(process, entry_stages=_entry_stages(m["entry_stages"], process))
    return process


def _entry_stages(node: YamlNode, process: Process) -> tuple[str, ...]:
    labels = process.labels()
    open_names = {s.name for s in process.stages}
    out: list[str] = []
    for item in (node.sequence() if node.is_sequence() else [node]):
        stage = labels.get(label_key(item.text()))
        if stage not in open_names:
            raise item.fail(f"an open stage of the process ({', '.join(s.name for s in process.stages)})")
        assert stage is not None
        if stage not in out:
            out.append(stage)
    return tuple(out)


def parse_process(text: str, source: str = "<string>") -> Process:
    """A process from YAML text; :class:`ConfigError` names the key path and line of any error.

    Either one process (``stages``, ``won``, ``lost`` at the top) or one per pipeline
    (``pipelines: {NAME: {stages: ..., won: ..., lost: ...}}``); ``allow`` and ``review`` at the
    top are every pipeline's defaults, ``validation`` is the file's. With ``pipelines`` and no
    top-level stages, a pipeline the file does not name is judged by the first pipeline's process.
    """
    top = compose_yaml(text, source, "a process definition").mapping(TOP_KEYS)
    if "name" not in top:
        raise ConfigError(f"the key 'name' in {source}", "it is missing",
                          "see the default process shipped with the toolkit")
    name = top["name"].text()
    allow = _allow(top["allow"], Allow()) if "allow" in top else Allow()
    review = _review(top["review"], Review()) if "review" in top else Review()
    validation = _validation(top["validation"]) if "validation" in top else ValidationSettings()
    if "pipelines" not in top:
        return _body(top, f"in {source}", name=name, allow=allow, review=review,
                     validation=validation, source=source)
    pipelines: dict[str, Process] = {}
    seen: dict[str, str] = {}
    for pname, pnode in top["pipelines"].mapping_any().items():
        key = label_key(pname)
        if key in seen:
            raise ConfigError("each pipeline named once (names are compared after folding case, spaces and "
                              "Unicode form)", f"{pnode.path} (line {pnode.line}) is the pipeline {seen[key]!r} again",
                              "merge the two or rename one")
        seen[key] = pname
        pipelines[pname] = _body(pnode.mapping(PIPELINE_KEYS), f"under {pnode.path} (line {pnode.line})",
                                 name=pname, allow=allow, review=review,
                                 validation=validation, source=source)
    if not pipelines:
        raise top["pipelines"].fail("at least one pipeline")
    if "stages" in top or "won" in top or "lost" in top:
        base = _body(top, f"in {source} (a top-level process next to pipelines needs all three)", name=name,
                     allow=allow, review=review, validation=validation, source=source)
    else:
        if "entry_stages" in top:
            raise top["entry_stages"].fail("under a pipeline (there are no top-level stages)")
        first = next(iter(pipelines.values()))
        base = replace(first, name=name, allow=allow, review=review)
    return replace(base, pipelines=pipelines)


def _validation(node: YamlNode) -> ValidationSettings:
    v = node.mapping({"amount_ceiling", "close_date_years_back", "close_date_years_ahead", "severity"})
    d = ValidationSettings()
    severity: dict[str, str] = {}
    if "severity" in v:
        for name, sev in v["severity"].mapping_any().items():
            if sev.text() not in ("error", "warning"):
                raise sev.fail("error or warning")
            severity[name] = sev.text()
    return ValidationSettings(
        v["amount_ceiling"].number(minimum=0) if "amount_ceiling" in v else d.amount_ceiling,
        (int(v["close_date_years_back"].number(integer=True)) if "close_date_years_back" in v
         else d.close_date_years_back),
        (int(v["close_date_years_ahead"].number(integer=True)) if "close_date_years_ahead" in v
         else d.close_date_years_ahead),
        severity)


def _check_labels(process: Process) -> None:
    seen: dict[str, str] = {}
    for s in process.steps():
        for label in (s.name, *s.aliases):
            other = seen.get(label_key(label))
            if other is not None and other != s.name:
                raise ConfigError("each stage label (name or alias) to belong to one stage",
                                  f"{label!r} under both {other!r} and {s.name!r}"
                                  + (f" in process {process.name!r}" if process.name else ""),
                                  "remove the alias from one of them")
            seen[label_key(label)] = s.name


def load_process(path: str | Path | None = None) -> Process:
    """The process in ``path``, or the default process shipped with the toolkit."""
    if path is None:
        text = resources.files("toolkit").joinpath("data", DEFAULT_PROCESS).read_text(encoding="utf-8")
        return parse_process(text, "<default process>")
    p = Path(path)
    if not p.is_file():
        raise ConfigError("a process YAML file", f"no file at {p}", "pass --process PATH to an existing file")
    return parse_process(read_yaml_text(p), str(p))
