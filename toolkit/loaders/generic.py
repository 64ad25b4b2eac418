"""Any CRM's CSV or Excel export, read through a mapping file (YAML) that says which column is
which canonical field and how the file writes dates, numbers and nulls.

```yaml
files: {deals: deals.csv, stage_events: history.csv, roster: team.csv}   # relative to the mapping
encoding: cp1252          # optional (detected: UTF-8 with or without BOM, UTF-16 BOM, cp1252)
delimiter: ";"            # optional (detected)
decimal: ","              # optional (detected from the values where they show it)
date_style: dmy           # iso | dmy | mdy, or date_format: "%d/%m/%Y" (a list is tried in order)
currency: EUR             # when neither a column nor a symbol in the amount says
sheet: Deals              # Excel: the sheet to read (default: the first visible one)
null_tokens: {team_name: ["N/A", "-", "NULL"]}   # per canonical column ("NA" stays a value)
columns:
  deals: {deal_id: Ref, deal_name: Title, owner_name: Rep, stage_raw: Stage, amount: Amount, ...}
  stage_events: {deal_id: Ref, stage_raw: Stage, entered_at: Entered}
  roster: {owner_name: Rep, team_name: Team, manager_name: Manager}
status: {column: status, open: [Open], won: [Won], lost: [Lost]}   # raw values -> status
stages: {Engaging: Discover}   # raw stage labels -> the process's stage names
```
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import polars as pl

from toolkit import schema as S
from toolkit.errors import ConfigError
from toolkit.loaders.columns import read_ahead
from toolkit.loaders.common import (
    ColumnSpec,
    ReadFile,
    Roster,
    assemble,
    drop_duplicate_ids,
    drop_rows,
    fill_closed_at,
    finish_deals,
    finish_events,
    read_file,
    require_ids,
    roster_from_frame,
    source_file_column,
)
from toolkit.loaders.order import known_keys
from toolkit.loaders.states import history_states
from toolkit.model import Dataset
from toolkit.process import Process
from toolkit.yaml_nodes import YamlNode, compose_yaml, read_yaml_text

SOURCE = "generic"

DEAL_KINDS = {S.DEAL_ID: "id", S.OWNER_ID: "id", S.AMOUNT: "amount", S.CREATED_AT: "datetime",
              S.CLOSED_AT: "datetime", S.CLOSE_DATE: "date", S.LAST_ACTIVITY_AT: "datetime"}
EVENT_KINDS = {S.DEAL_ID: "id", S.ENTERED_AT: "datetime", S.AMOUNT: "amount", S.CLOSE_DATE: "date"}
ROSTER_FIELDS = (S.OWNER_NAME, S.OWNER_ID, S.TEAM_NAME, S.MANAGER_NAME, S.ACTIVE)
DEAL_FIELDS = tuple(c.name for c in S.DEALS if c.name not in (S.SOURCE, S.SOURCE_FILE, S.SOURCE_LINE, S.TEAM_ID,
                                                              S.STAGE))
EVENT_FIELDS = (S.DEAL_ID, S.STAGE_RAW, S.ENTERED_AT, S.CHANGED_BY, S.PIPELINE, S.AMOUNT, S.CURRENCY, S.CLOSE_DATE)


@dataclass(frozen=True)
class Mapping:
    """A mapping file, parsed and checked."""

    folder: Path
    files: dict[str, str]
    columns: dict[str, dict[str, str]]
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    date_style: str | None = None
    date_formats: tuple[str, ...] = ()
    currency: str | None = None
    sheet: str | None = None
    null_tokens: dict[str, tuple[str, ...]] = field(default_factory=dict)
    status: dict[str, tuple[str, ...]] = field(default_factory=dict)
    status_column: str = S.STAGE_RAW
    stages: dict[str, str] = field(default_factory=dict)
    source: str = ""


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; errors name the key and its line."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError("a mapping YAML file", f"no file at {p}", "pass --mapping PATH to an existing file")
    try:
        return _parse_mapping(p)
    except RecursionError:
        raise ConfigError("a mapping file of a few levels", f"{p} nested too deeply to read",
                          "a mapping has files, columns and a few settings; see examples/mappings") from None


def _parse_mapping(p: Path) -> Mapping:
    top = compose_yaml(read_yaml_text(p), str(p), "a mapping").mapping(
        {"source", "files", "columns", "encoding", "delimiter", "decimal", "date_style", "date_format",
         "currency", "sheet", "null_tokens", "status", "stages"})
    if "files" not in top or "columns" not in top:
        raise ConfigError(f"the keys 'files' and 'columns' in {p}", "one of them is missing",
                          "see the mapping example in the toolkit's examples/mappings")
    files = {k: v.text() for k, v in top["files"].mapping({"deals", "stage_events", "roster"}).items()}
    if "deals" not in files:
        raise top["files"].fail("a mapping with a 'deals' file")
    allowed = {"deals": set(DEAL_FIELDS), "stage_events": set(EVENT_FIELDS), "roster": set(ROSTER_FIELDS)}
    cols_node = top["columns"].mapping(set(allowed))
    columns: dict[str, dict[str, str]] = {}
    for table, node in cols_node.items():
        # Deals may also name extra fields (e.g. decision_maker: Décideur) that a process requires.
        pairs = node.mapping_any() if table == "deals" else node.mapping(allowed[table])
        columns[table] = {k: v.text() for k, v in pairs.items()}
        for k, v in pairs.items():
            if table == "deals" and (not k.isidentifier() or k.startswith("_") or k in (S.SOURCE, S.SOURCE_FILE,
                                                                                       S.SOURCE_LINE, S.TEAM_ID,
                                                                                       S.STAGE)):
                raise v.fail(f"mapped to a field name (snake_case, not one the toolkit sets itself); got key {k!r}")
    if S.DEAL_ID not in columns.get("deals", {}):
        raise top["columns"].fail("a deals mapping that names the deal_id column")
    style = top["date_style"].text() if "date_style" in top else None
    if style is not None and style not in ("iso", "dmy", "mdy"):
        raise top["date_style"].fail("iso, dmy or mdy")
    decimal = top["decimal"].text() if "decimal" in top else None
    if decimal is not None and decimal not in (".", ","):
        raise top["decimal"].fail("'.' or ','")
    nulls: dict[str, tuple[str, ...]] = {}
    if "null_tokens" in top:
        nt = top["null_tokens"]
        if nt.is_sequence():
            tokens = _texts_allow_empty(nt)
            nulls = {f: tokens for f in (*DEAL_FIELDS, *EVENT_FIELDS)}
        else:
            nulls = {k: _texts_allow_empty(v) for k, v in nt.mapping(set(DEAL_FIELDS) | set(EVENT_FIELDS)).items()}
    status: dict[str, tuple[str, ...]] = {}
    status_column = S.STAGE_RAW
    if "status" in top:
        sm = top["status"].mapping({"column", "open", "won", "lost"})
        status = {k: v.texts() for k, v in sm.items() if k != "column"}
        if "column" in sm:
            status_column = sm["column"].text()
    stages = {k: v.text() for k, v in top["stages"].mapping_any().items()} if "stages" in top else {}
    return Mapping(
        folder=p.parent, files=files, columns=columns,
        encoding=_encoding(top["encoding"]) if "encoding" in top else None,
        delimiter=_delimiter(top["delimiter"]) if "delimiter" in top else None, decimal=decimal, date_style=style,
        date_formats=top["date_format"].texts() if "date_format" in top else (),
        currency=top["currency"].text() if "currency" in top else None,
        sheet=top["sheet"].text() if "sheet" in top else None, null_tokens=nulls, status=status,
        status_column=status_column, stages=stages, source=str(p))


def _delimiter(node: YamlNode) -> str:
    """One character that is not a letter, digit, quote or line end (a tab: "\\t")."""
    value = node.node.value if node.is_scalar() else None
    if not isinstance(value, str) or len(value) != 1 or value.isalnum() or value in ('"', "\n", "\r"):
        raise node.fail("a delimiter of one character, e.g. ';', ',', '|' or \"\\t\"")
    return value


def _encoding(node: YamlNode) -> str:
    """An encoding Python knows (cp1252, utf-8, latin-1, utf-16, ...)."""
    name = node.text()
    try:
        codecs.lookup(name)
    except LookupError:
        raise node.fail("an encoding name such as utf-8, cp1252, latin-1 or utf-16",
                        f"{name!r} is not one; check the spelling") from None
    return name


def _texts_allow_empty(node: YamlNode) -> tuple[str, ...]:
    if hasattr(node.node, "value") and isinstance(node.node.value, list):
        return tuple(str(n.value) for n in node.node.value)
    return (str(node.node.value),)


def _specs(columns: dict[str, str], kinds: dict[str, str], required: tuple[str, ...]) -> tuple[ColumnSpec, ...]:
    return tuple(ColumnSpec(f, (h,), kinds.get(f, "text"), required=True) for f, h in columns.items()) + tuple(
        ColumnSpec(f, (f,), kinds.get(f, "text"), required=True) for f in required if f not in columns)


def _read(m: Mapping, role: str, specs: tuple[ColumnSpec, ...], base: Path) -> ReadFile:
    path = (m.folder / m.files[role]) if not Path(m.files[role]).is_absolute() else Path(m.files[role])
    if not path.is_file():
        alt = base / m.files[role]
        if alt.is_file():
            path = alt
        else:
            raise ConfigError(f"the {role} file {m.files[role]!r} named in {m.source}",
                              f"no such file in {m.folder}", "file names are relative to the mapping file")
    return read_file(path, role, specs, what=f"{role} file (mapping {Path(m.source).name})", base=path.parent,
                     date_style=m.date_style, decimal=m.decimal, encoding=m.encoding, delimiter=m.delimiter,
                     date_formats=m.date_formats, null_tokens=m.null_tokens, sheet=m.sheet, required_any=1)


def load_generic(path: Path, mapping: Mapping, *, process: Process, roster: Roster) -> Dataset:
    """Load the files a mapping names."""
    base = path if path.is_dir() else path.parent
    if "deals" in mapping.files and not path.is_dir() and path.suffix.lower() not in (".yaml", ".yml"):
        mapping = Mapping(**{**mapping.__dict__, "files": {**mapping.files, "deals": str(path.resolve())}})
    # The history, the largest file by far, is read while the deals and the roster are (see read_ahead).
    history = None
    if "stage_events" in mapping.files:
        event_specs = _specs(mapping.columns.get("stage_events", {}), EVENT_KINDS,
                             (S.DEAL_ID, S.STAGE_RAW, S.ENTERED_AT))
        history = read_ahead(partial(_read, mapping, "stage_events", event_specs, base))
    deals_rf = _read(mapping, "deals", _specs(mapping.columns["deals"], DEAL_KINDS, (S.DEAL_ID,)), base)
    require_ids(deals_rf)
    others: list[ReadFile] = []
    if "roster" in mapping.files:
        rcols = mapping.columns.get("roster", {})
        rspecs = tuple(ColumnSpec(f, (h,), "bool" if f == S.ACTIVE else "text", required=True)
                       for f, h in rcols.items() if f not in (S.TEAM_NAME, S.MANAGER_NAME)) + tuple(
            ColumnSpec(f, (rcols[f],), "text", required=True) for f in (S.TEAM_NAME, S.MANAGER_NAME) if f in rcols)
        # A roster may use one column for two fields (Maven: the team is the manager).
        roster_rf = _read(mapping, "roster", tuple(s for s in rspecs if s.field != S.MANAGER_NAME), base)
        if S.MANAGER_NAME in rcols:
            src = next((f for f, h in rcols.items() if h == rcols[S.MANAGER_NAME] and f != S.MANAGER_NAME), None)
            roster_rf.table.frame = roster_rf.frame.with_columns(
                pl.col(src if src else S.MANAGER_NAME).alias(S.MANAGER_NAME))
        others.append(roster_rf)
        file_roster = roster_from_frame(roster_rf.frame, roster_rf.table.file)
        roster = _merge_rosters(file_roster, roster)
    f = deals_rf.frame
    for c in mapping.columns["deals"]:
        if DEAL_KINDS.get(c) == "amount" and f"{c}__currency" in f.columns:
            cur = pl.coalesce(pl.col(S.CURRENCY) if S.CURRENCY in f.columns else pl.lit(None, pl.String),
                              pl.col(f"{c}__currency"), pl.lit(mapping.currency, pl.String))
            f = f.with_columns(cur.alias(S.CURRENCY))
    if S.CURRENCY not in f.columns and mapping.currency:
        f = f.with_columns(pl.lit(mapping.currency).alias(S.CURRENCY))
    if mapping.stages and S.STAGE_RAW in f.columns:
        f = f.with_columns(_restage(pl.col(S.STAGE_RAW), mapping).alias("_stage_label"))
    if mapping.status:
        col = mapping.status_column
        if col not in f.columns:
            # The user's own words: the fields the mapping names and their columns, never the
            # reader's helper columns.
            named = {k: v for k, v in mapping.columns["deals"].items()}
            raise ConfigError(f"status.column to name a field mapped under columns.deals ({named})",
                              repr(col), "map the status column under columns.deals first")
        lookup = {v.strip().casefold(): k for k, vals in mapping.status.items() for v in vals}
        raw = pl.col(col).str.strip_chars().str.to_lowercase()
        f = f.with_columns(raw.replace_strict(lookup, default=None, return_dtype=pl.String).alias(S.STATUS))
        deals_rf.table.frame = f
        drop_rows(deals_rf.table, f[S.STATUS].is_null() & f[col].is_not_null(), mapping.columns["deals"].get(col, col),
                  S.Reason.INVALID_STATUS, f"a status among {sorted(lookup)}", raw_column=col)
        f = deals_rf.frame
    deals_rf.table.frame = f
    drop_duplicate_ids(deals_rf.table)
    f = deals_rf.frame
    stage_for_process = "_stage_label" if "_stage_label" in f.columns else S.STAGE_RAW
    frame = f.with_columns(pl.col("_line").alias(S.SOURCE_LINE))
    if stage_for_process != S.STAGE_RAW:
        frame = frame.with_columns(pl.col(S.STAGE_RAW).alias("_raw_label"), pl.col("_stage_label").alias(S.STAGE_RAW))
    deals = finish_deals(frame, source=SOURCE, file_of=deals_rf.table.file, process=process, roster=roster,
                         extra_keep=["_raw_label"] if stage_for_process != S.STAGE_RAW else ())
    if "_raw_label" in deals.columns:
        deals = deals.with_columns(pl.col("_raw_label").alias(S.STAGE_RAW)).drop("_raw_label")
    events = S.empty(S.STAGE_EVENTS)
    states = None
    if history is not None:
        ev = history()
        require_ids(ev)
        drop_rows(ev.table, ev.frame[S.ENTERED_AT].is_null(), mapping.columns["stage_events"].get(S.ENTERED_AT),
                  S.Reason.INVALID_DATE, "the time the deal entered the stage; found an empty cell",
                  raw_column=S.ENTERED_AT)
        drop_rows(ev.table, ~known_keys(ev.frame[S.DEAL_ID], deals[S.DEAL_ID]),
                  mapping.columns["stage_events"][S.DEAL_ID],
                  S.Reason.UNKNOWN_DEAL, "a stage entry of a loaded deal; no such deal was loaded",
                  raw_column=S.DEAL_ID)
        others.append(ev)
        e = ev.frame.with_columns(pl.col("_line").alias(S.SOURCE_LINE), source_file_column(ev.table.file))
        ev.table.keep_lines_only()
        if mapping.stages:
            e = e.with_columns(process.stage_expr(_restage(pl.col(S.STAGE_RAW), mapping)).alias(S.STAGE))
        events = finish_events(e, process, deals)
        # Every history row is a state; amount, currency and close date where the mapping names
        # them (a history without them says they did not change).
        state_cols = [c for c in (S.STAGE, S.STAGE_RAW, S.PIPELINE, S.AMOUNT, S.CURRENCY,
                                  S.CLOSE_DATE) if c in e.columns]
        states = history_states(e.select(S.DEAL_ID, pl.col(S.ENTERED_AT).alias(S.VALID_FROM), *state_cols,
                                         S.SOURCE_FILE, S.SOURCE_LINE), deals, process)
    deals = fill_closed_at(deals, events, process)
    notes = [] if "stage_events" in mapping.files else ["no stage history file in the mapping: checks that need "
                                                        "history report 'no history'"]
    return assemble(SOURCE, [deals_rf], deals, events, others, process, roster,
                    has_history="stage_events" in mapping.files, notes=notes, history_states=states)


def _restage(col: pl.Expr, mapping: Mapping) -> pl.Expr:
    table = {k.strip().casefold(): v for k, v in mapping.stages.items()}
    key = col.str.strip_chars().str.to_lowercase()
    return key.replace_strict(table, default=None, return_dtype=pl.String).fill_null(col)


def _merge_rosters(first: Roster, second: Roster) -> Roster:
    """The explicit roster wins over the one the mapping names."""
    if second.frame.is_empty():
        return first
    keep = first.frame.filter(~pl.col("owner_key").is_in(second.frame["owner_key"].implode()))
    return Roster(pl.concat([second.frame, keep]), second.file)
