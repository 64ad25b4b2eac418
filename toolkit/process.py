"""The sales-process definition: ordered stages with aliases, time limits and required fields, the
won and lost outcomes, what is allowed, and the review parameters.

A process is read from YAML by an explicit call (:func:`load_process`); a file with an error gets
a message naming the key and its line. The default process ships in the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path


import polars as pl
import yaml

from toolkit.errors import ConfigError

DEFAULT_PROCESS = "default_process.yaml"


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


@dataclass(frozen=True)
class ValidationSettings:
    """Data-quality thresholds and per-check severities (``error`` blocks a report)."""

    amount_ceiling: float = 1e9
    close_date_years_back: int = 10
    close_date_years_ahead: int = 5
    severity: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Process:
    """A sales process. ``stages`` are the open stages in order."""

    name: str
    stages: tuple[Stage, ...]
    won: Outcome
    lost: Outcome
    allow: Allow = field(default_factory=Allow)
    review: Review = field(default_factory=Review)
    source: str = "<default>"
    validation: ValidationSettings = field(default_factory=ValidationSettings)

    @property
    def stage_names(self) -> list[str]:
        """Open stage names in order, then won, then lost."""
        return [s.name for s in self.stages] + [self.won.name, self.lost.name]

    def labels(self) -> dict[str, str]:
        """Every label the process knows (names and aliases, case-folded) -> the stage name."""
        out: dict[str, str] = {}
        for s in (*self.stages, self.won, self.lost):
            for label in (s.name, *s.aliases):
                out[_key(label)] = s.name
        return out

    def stage_expr(self, raw: pl.Expr) -> pl.Expr:
        """Map a column of CRM stage labels to process stage names; null where unknown."""
        return raw.str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ").replace_strict(
            self.labels(), default=None, return_dtype=pl.String)

    def status_of_stage(self, stage: pl.Expr) -> pl.Expr:
        """open / won / lost for a column of mapped stage names (null where the stage is unknown)."""
        return (pl.when(stage == self.won.name).then(pl.lit("won"))
                .when(stage == self.lost.name).then(pl.lit("lost"))
                .when(stage.is_not_null()).then(pl.lit("open")).otherwise(None))


def _key(label: str) -> str:
    return " ".join(label.split()).casefold()


# --- reading YAML with line numbers ------------------------------------------------------------

class YamlNode:
    """A YAML node with its line, so that errors can name where a bad value is."""

    def __init__(self, node: yaml.Node, path: str) -> None:
        self.node, self.path, self.line = node, path, node.start_mark.line + 1

    def fail(self, expected: str, hint: str = "") -> ConfigError:
        found = self.node.value if isinstance(self.node, yaml.ScalarNode) else type(self.node).__name__.replace("Node", "").lower()
        return ConfigError(f"{self.path} (line {self.line}) to be {expected}", repr(found), hint)

    def mapping(self, allowed: set[str]) -> dict[str, YamlNode]:
        if not isinstance(self.node, yaml.MappingNode):
            raise self.fail("a mapping of keys to values")
        out: dict[str, YamlNode] = {}
        for k, v in self.node.value:
            key = str(k.value)
            if key not in allowed:
                raise ConfigError(f"one of the keys {sorted(allowed)} under {self.path or 'the top level'}",
                                  f"unknown key {key!r} at line {k.start_mark.line + 1}",
                                  "check the spelling; see the default process for every key")
            out[key] = YamlNode(v, f"{self.path}.{key}" if self.path else key)
        return out

    def mapping_any(self) -> dict[str, YamlNode]:
        """A mapping whose keys are data (e.g. stage labels), not a fixed set."""
        if not isinstance(self.node, yaml.MappingNode):
            raise self.fail("a mapping of keys to values")
        return {str(k.value): YamlNode(v, f"{self.path}.{k.value}") for k, v in self.node.value}

    def is_sequence(self) -> bool:
        return isinstance(self.node, yaml.SequenceNode)

    def sequence(self) -> list[YamlNode]:
        if not isinstance(self.node, yaml.SequenceNode):
            raise self.fail("a list")
        return [YamlNode(v, f"{self.path}[{i}]") for i, v in enumerate(self.node.value)]

    def text(self) -> str:
        if not isinstance(self.node, yaml.ScalarNode) or not str(self.node.value).strip():
            raise self.fail("a non-empty text")
        return str(self.node.value).strip()

    def number(self, *, integer: bool = False, minimum: float = 0) -> float:
        try:
            value = float(self.text())
        except ValueError:
            raise self.fail("a number") from None
        if value < minimum or (integer and not value.is_integer()):
            raise self.fail(f"{'an integer' if integer else 'a number'} >= {minimum}")
        return value

    def boolean(self) -> bool:
        value = self.text().lower()
        if value not in ("true", "false", "yes", "no"):
            raise self.fail("true or false")
        return value in ("true", "yes")

    def texts(self) -> tuple[str, ...]:
        if isinstance(self.node, yaml.ScalarNode):
            return (self.text(),)
        return tuple(n.text() for n in self.sequence())


def _stage(node: YamlNode) -> Stage:
    m = node.mapping({"name", "aliases", "max_days", "required"})
    if "name" not in m:
        raise node.fail("a stage with a name")
    max_days = m["max_days"].number(minimum=0) if "max_days" in m else None
    return Stage(m["name"].text(), m["aliases"].texts() if "aliases" in m else (), max_days,
                 m["required"].texts() if "required" in m else ())


def _outcome(node: YamlNode) -> Outcome:
    if isinstance(node.node, yaml.ScalarNode):
        return Outcome(node.text())
    m = node.mapping({"name", "aliases"})
    if "name" not in m:
        raise node.fail("an outcome with a name")
    return Outcome(m["name"].text(), m["aliases"].texts() if "aliases" in m else ())


def compose_yaml(text: str, source: str, what: str) -> YamlNode:
    """The root node of a YAML document, or a ConfigError naming the line of a syntax error."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "the file"
        raise ConfigError("valid YAML", f"a syntax error at {where} of {source}: {getattr(exc, 'problem', exc)}",
                          "check indentation and quoting") from exc
    if root is None:
        raise ConfigError(what, f"an empty file {source}")
    return YamlNode(root, "")


def parse_process(text: str, source: str = "<string>") -> Process:
    """A process from YAML text; :class:`ConfigError` names the key and line of any error."""
    top = compose_yaml(text, source, "a process definition").mapping(
        {"name", "stages", "won", "lost", "allow", "review", "validation"})
    for key in ("name", "stages", "won", "lost"):
        if key not in top:
            raise ConfigError(f"the key {key!r} in {source}", "it is missing",
                              "see the default process shipped with the toolkit")
    stages = tuple(_stage(n) for n in top["stages"].sequence())
    if not stages:
        raise top["stages"].fail("at least one stage")
    allow = Allow()
    if "allow" in top:
        a = top["allow"].mapping({"skip", "backward"})
        allow = Allow(a["skip"].boolean() if "skip" in a else False,
                      a["backward"].boolean() if "backward" in a else False)
    review = Review()
    if "review" in top:
        r = top["review"].mapping({"minutes_per_deal", "sample_per_rep", "manager_hours_per_week"})
        review = Review(
            r["minutes_per_deal"].number(minimum=0) if "minutes_per_deal" in r else review.minutes_per_deal,
            int(r["sample_per_rep"].number(integer=True, minimum=1)) if "sample_per_rep" in r else review.sample_per_rep,
            r["manager_hours_per_week"].number(minimum=1) if "manager_hours_per_week" in r else review.manager_hours_per_week,
        )
    validation = _validation(top["validation"]) if "validation" in top else ValidationSettings()
    process = Process(top["name"].text(), stages, _outcome(top["won"]), _outcome(top["lost"]), allow, review, source,
                      validation)
    _check_labels(process)
    return process


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
        int(v["close_date_years_back"].number(integer=True)) if "close_date_years_back" in v else d.close_date_years_back,
        int(v["close_date_years_ahead"].number(integer=True)) if "close_date_years_ahead" in v else d.close_date_years_ahead,
        severity)


def _check_labels(process: Process) -> None:
    seen: dict[str, str] = {}
    for s in (*process.stages, process.won, process.lost):
        for label in (s.name, *s.aliases):
            other = seen.get(_key(label))
            if other is not None and other != s.name:
                raise ConfigError("each stage label (name or alias) to belong to one stage",
                                  f"{label!r} under both {other!r} and {s.name!r}",
                                  "remove the alias from one of them")
            seen[_key(label)] = s.name


def load_process(path: str | Path | None = None) -> Process:
    """The process in ``path``, or the default process shipped with the toolkit."""
    if path is None:
        text = resources.files("toolkit").joinpath("data", DEFAULT_PROCESS).read_text(encoding="utf-8")
        return parse_process(text, "<default process>")
    p = Path(path)
    if not p.is_file():
        raise ConfigError("a process YAML file", f"no file at {p}", "pass --process PATH to an existing file")
    return parse_process(p.read_text(encoding="utf-8"), str(p))


