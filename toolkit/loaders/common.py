"""What every source loader shares: the canonical tables, team names, the roster,
de-duplication, and the ledger that accounts for every input line. Reading one file and naming
its columns is :mod:`toolkit.loaders.columns` (re-exported here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from toolkit import schema as S
from toolkit.errors import LedgerError, SchemaError
from toolkit.loaders import labels
from toolkit.loaders.chunks import cut_like
from toolkit.loaders.columns import (
    ColumnSpec,
    ReadFile,
    pick_columns,
    read_file,
    snake,
    user_header,
)
from toolkit.loaders.order import DEAL_AT, all_distinct, sorted_by
from toolkit.loaders.raw import ROW_END_LINE, ROW_LINE, RawTable, escape_raw, ledger_counts
from toolkit.loaders.sniff import first_line_fields
from toolkit.model import Dataset, team_id
from toolkit.process import Process

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

# Loaders import these from here; they live in toolkit.loaders.columns and toolkit.loaders.sniff.
__all__ = ["ColumnSpec", "ReadFile", "first_line_fields", "pick_columns", "read_file", "snake", "user_header"]

# --- teams -------------------------------------------------------------------------------------

def with_team_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """Add team_id, and give each team one display name: its most frequent spelling."""
    if frame.is_empty():
        return frame.with_columns(pl.lit(None, pl.String).alias(S.TEAM_ID))
    names = frame[S.TEAM_NAME].unique().to_list()
    ids = {n: team_id(n) for n in names}
    out = frame.with_columns(pl.col(S.TEAM_NAME).replace_strict(ids, default=S.UNASSIGNED_TEAM_ID,
                                                                return_dtype=pl.String).alias(S.TEAM_ID))
    # Counted per spelling first (a handful), then folded: the same counts as folding every row.
    display = (out.filter(pl.col(S.TEAM_ID) != S.UNASSIGNED_TEAM_ID)
               .group_by(S.TEAM_ID, S.TEAM_NAME).len()
               .with_columns(labels.fold_label(pl.col(S.TEAM_NAME)))
               .group_by(S.TEAM_ID, S.TEAM_NAME).agg(pl.col("len").sum())
               .sort([S.TEAM_ID, "len", S.TEAM_NAME], descending=[False, True, False])
               .unique(S.TEAM_ID, keep="first").select(S.TEAM_ID, pl.col(S.TEAM_NAME).alias("_display")))
    out = out.join(display, on=S.TEAM_ID, how="left").with_columns(
        pl.when(pl.col(S.TEAM_ID) == S.UNASSIGNED_TEAM_ID).then(pl.lit(S.UNASSIGNED_TEAM_NAME))
        .otherwise(pl.col("_display")).alias(S.TEAM_NAME)).drop("_display")
    return out


# --- roster ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Roster:
    """Who is in which team under which manager; overrides or completes a source's teams."""

    frame: pl.DataFrame  # owner_key, owner_name, team_name, manager_name, active, owner_id
    file: str | None = None

    @staticmethod
    def empty() -> Roster:
        return Roster(pl.DataFrame(schema={"owner_key": pl.String, S.OWNER_NAME: pl.String,
                                           S.OWNER_ID: pl.String, S.TEAM_NAME: pl.String,
                                           S.MANAGER_NAME: pl.String, S.ACTIVE: pl.Boolean}))


def owner_key(col: pl.Expr) -> pl.Expr:
    """How owners are matched to a roster: folded (NFKC, spaces), case-insensitive, without a
    "(Deactivated User)" mark."""
    return labels.owner_name(col).str.to_lowercase()


def apply_roster(deals: pl.DataFrame, roster: Roster) -> pl.DataFrame:
    """Owners in the roster get its team and manager; others keep what the source said."""
    if roster.frame.is_empty():
        return deals
    r = roster.frame.select("owner_key", pl.col(S.TEAM_NAME).alias("_rt"), pl.col(S.MANAGER_NAME).alias("_rm"),
                            pl.col(S.OWNER_ID).alias("_rid"))
    by_id = r.filter(pl.col("_rid").is_not_null()).select(pl.col("_rid").alias(S.OWNER_ID),
                                                         pl.col("_rt").alias("_it"), pl.col("_rm").alias("_im"))
    out = deals.with_columns(owner_key(pl.coalesce(S.OWNER_NAME, S.OWNER_ID)).alias("owner_key"))
    out = out.join(r.drop("_rid").unique("owner_key", keep="first"), on="owner_key", how="left")
    out = out.join(by_id.unique(S.OWNER_ID, keep="first"), on=S.OWNER_ID, how="left")
    return out.with_columns(
        pl.coalesce("_it", "_rt", S.TEAM_NAME).alias(S.TEAM_NAME),
        pl.when(pl.col("_it").is_not_null()).then(pl.col("_im"))
        .when(pl.col("_rt").is_not_null()).then(pl.col("_rm"))
        .otherwise(pl.col(S.MANAGER_NAME)).alias(S.MANAGER_NAME),
    ).drop("owner_key", "_rt", "_rm", "_it", "_im")


def rejects_frame(tables: Iterable[RawTable], extra: Iterable[dict[str, object]] = ()) -> pl.DataFrame:
    rows = [r for t in tables for r in t.rejects] + list(extra)
    return pl.DataFrame(rows, schema=S.polars_schema(S.REJECTS)) if rows else S.empty(S.REJECTS)


def repairs_frame(tables: Iterable[RawTable]) -> pl.DataFrame:
    rows = [r for t in tables for r in t.repairs]
    return pl.DataFrame(rows, schema=S.polars_schema(S.REJECTS)) if rows else S.empty(S.REJECTS)


def files_frame(tables: Sequence[RawTable], roles: Sequence[str], formats: Sequence[dict[str, str]]) -> pl.DataFrame:
    """One row per input file with its ledger; raises LedgerError if any line is unaccounted."""
    rows = []
    for t, role, fmt in zip(tables, roles, formats, strict=True):
        row_lines, rej_lines, skipped = ledger_counts(t)
        if row_lines + rej_lines + skipped != t.lines_in:
            raise LedgerError(f"lines_in == rows + rejected + skipped for {t.file}",
                              f"{t.lines_in} != {row_lines} + {rej_lines} + {skipped}",
                              "this is a bug in the toolkit; please report it with the file")
        rows.append({"file": t.file, "role": role, "sha256": t.sha256, "encoding": t.encoding,
                     "delimiter": t.delimiter, "date_style": fmt.get("date_style", ""),
                     "decimal": fmt.get("decimal", ""), "header_line": t.header_line,
                     "lines_in": t.lines_in, "rows": t.frame.height, "row_lines": row_lines,
                     "rejected": rej_lines, "skipped": skipped,
                     "skipped_by_kind": ", ".join(f"{k}={v}" for k, v in sorted(t.skipped.items()) if v),
                     "notes": "; ".join(t.notes)})
    return pl.DataFrame(rows, schema={
        "file": pl.String, "role": pl.String, "sha256": pl.String, "encoding": pl.String,
        "delimiter": pl.String, "date_style": pl.String, "decimal": pl.String, "header_line": pl.Int64,
        "lines_in": pl.Int64, "rows": pl.Int64, "row_lines": pl.Int64, "rejected": pl.Int64,
        "skipped": pl.Int64, "skipped_by_kind": pl.String, "notes": pl.String})


def drop_rows(table: RawTable, mask: pl.Series, column: str | None, reason: S.Reason, message: str,
              raw_column: str | None = None) -> None:
    """Move the rows of ``table.frame`` where ``mask`` is true to the table's rejects."""
    if not mask.any():
        return
    hit = table.frame.filter(mask)
    raw_col = raw_column or column
    for row in hit.iter_rows(named=True):
        raw = "" if raw_col is None else escape_raw(str(row.get(raw_col)))
        table.reject(row[ROW_LINE], row[ROW_END_LINE], column, raw, reason, message)
    table.frame = table.frame.filter(~mask)


def drop_duplicate_ids(table: RawTable, order_by: Sequence[str] = ()) -> int:
    """Keep one row per deal_id: the latest by ``order_by`` (e.g. last modified), else the last
    in the file, which is how CRMs append updates. The others become DUPLICATE_ID rejects."""
    if all_distinct(table.frame[S.DEAL_ID]):
        return 0  # one row per id already: nothing to order
    f = table.frame.with_row_index("_pos")
    keys = [c for c in order_by if c in f.columns] + ["_pos"]
    keep = f.sort(keys, nulls_last=False).unique(S.DEAL_ID, keep="last")["_pos"]
    mask = ~f["_pos"].is_in(keep.implode())
    n = int(mask.sum())
    drop_rows(table, mask, S.DEAL_ID, S.Reason.DUPLICATE_ID,
              "one row per deal id; a later row of the same deal was kept")
    return n


#: Private columns of a loader's deals that :func:`assemble` reads and then drops: the deal's last
#: modification (the start of its current state) and a "(Deactivated User)" mark on its owner.
MODIFIED = "_modified"
OWNER_DEACTIVATED = "_owner_deactivated"
PRIVATE = (MODIFIED, OWNER_DEACTIVATED)


def with_null_columns(frame: pl.DataFrame,
                      columns: Iterable[tuple[str, PolarsDataType]]) -> pl.DataFrame:
    """``frame`` with each of ``columns`` (name, type) it lacks added as nulls of that type."""
    missing = [pl.lit(None, dtype).alias(name) for name, dtype in columns if name not in frame.columns]
    return frame.with_columns(missing) if missing else frame


def finish_deals(frame: pl.DataFrame, *, source: str, file_of: str | pl.Expr, process: Process,
                 roster: Roster, extra_keep: Sequence[str] = ()) -> pl.DataFrame:
    """Canonical deals from a frame that has canonical field names (missing ones become null)."""
    f = with_null_columns(frame, ((c.name, c.dtype) for c in S.DEALS))
    # Owners, pipelines and stage labels repeat across deals: each distinct one is read once.
    owner = pl.col(S.OWNER_NAME)
    f = labels.per_distinct(f, [S.OWNER_NAME], [labels.owner_deactivated(owner).alias("_owner_marked"),
                                                labels.owner_name(owner).alias("_owner_name")])
    f = labels.per_distinct(f, [S.PIPELINE], [labels.pipeline_name(pl.col(S.PIPELINE)).alias("_pipeline")])
    f = f.with_columns(
        (pl.col(OWNER_DEACTIVATED).fill_null(False) if OWNER_DEACTIVATED in f.columns else pl.lit(False))
        .or_(pl.col("_owner_marked")).alias(OWNER_DEACTIVATED),
        pl.col("_owner_name").alias(S.OWNER_NAME),
        pl.col("_pipeline").alias(S.PIPELINE),
    ).drop("_owner_marked", "_owner_name", "_pipeline")
    f = f.with_columns(
        pl.coalesce(S.OWNER_NAME, S.OWNER_ID).alias(S.OWNER_NAME),
        pl.coalesce(S.OWNER_ID, S.OWNER_NAME).alias(S.OWNER_ID),
    )
    f = apply_roster(f, roster)
    pipeline = pl.col(S.PIPELINE)
    mapped = labels.stage_of(process, pl.col(S.STAGE_RAW), pipeline)
    f = labels.per_distinct(f, [S.STAGE_RAW, S.PIPELINE], [
        mapped.alias("_mapped"), labels.status_of(process, mapped, pipeline).alias("_mapped_status"),
        labels.won_name(process, pipeline).alias("_won"), labels.lost_name(process, pipeline).alias("_lost")])
    f = f.with_columns(
        pl.coalesce(pl.col(S.STATUS), pl.col("_mapped_status")).alias(S.STATUS),
    ).with_columns(
        pl.when(pl.col(S.STATUS) == "won").then(pl.col("_won"))
        .when(pl.col(S.STATUS) == "lost").then(pl.col("_lost"))
        .otherwise(pl.col("_mapped")).alias(S.STAGE),
        pl.col(S.SOURCE_LINE).cast(pl.Int64),
        pl.lit(source).alias(S.SOURCE),
        (file_of if isinstance(file_of, pl.Expr) else pl.lit(file_of)).alias(S.SOURCE_FILE),
    )
    f = with_team_ids(f.drop("_mapped", "_mapped_status", "_won", "_lost"))
    canon = S.names(S.DEALS)
    extras = [c for c in f.columns if c not in canon and not c.startswith("_") and not c.endswith("__currency")]
    private = [c for c in PRIVATE if c in f.columns]
    out = f.select([pl.col(c.name).cast(c.dtype) for c in S.DEALS] + [pl.col(c) for c in extras + list(extra_keep)
                                                                      + private if c not in canon])
    return out.sort(S.DEAL_ID)


#: The folded, lower-cased stage label of a history row whose label maps to no stage (see
#: :func:`map_entries`): what tells two rows of stages the process does not know apart.
LABEL_KEY = "_label_lower"


def map_entries(frame: pl.DataFrame, process: Process, deals: pl.DataFrame | None = None) -> pl.DataFrame:
    """History rows with their pipeline (their own, else their deal's in ``deals``, else
    ``default``), their process stage and :data:`LABEL_KEY`; each (label, pipeline) pair is mapped
    once. A loader whose history rows make both stage entries and states maps them once for both."""
    f = with_null_columns(frame, ((S.PIPELINE, pl.String), (S.STAGE, pl.String)))
    own = f[S.PIPELINE].null_count() < f.height
    if deals is not None and S.PIPELINE in deals.columns:
        pipelines = deals[S.PIPELINE].unique()
        if not own and pipelines.len() == 1 and pipelines[0] == S.DEFAULT_PIPELINE:
            # Every deal is in the default pipeline, and so is an entry of a deal not loaded.
            f = f.with_columns(pl.lit(S.DEFAULT_PIPELINE).alias(S.PIPELINE))
        else:
            if DEAL_AT in f.columns:  # the rows' deals found among these deals: their pipelines by position
                f = f.with_columns(deals.get_column(S.PIPELINE).gather(f.get_column(DEAL_AT)).alias("_deal_pipeline"))
            else:
                f = f.join(deals.select(S.DEAL_ID, pl.col(S.PIPELINE).alias("_deal_pipeline")), on=S.DEAL_ID,
                           how="left", maintain_order="left")
            f = f.with_columns(pl.coalesce(labels.fold_label(pl.col(S.PIPELINE)), "_deal_pipeline",
                                           pl.lit(S.DEFAULT_PIPELINE)).alias(S.PIPELINE)).drop("_deal_pipeline")
    else:
        f = f.with_columns(labels.pipeline_name(pl.col(S.PIPELINE)).alias(S.PIPELINE))
    # Millions of history rows hold a handful of (label, pipeline) pairs: map each pair once.
    return labels.map_stages(f, process, pipeline=S.PIPELINE, lower=LABEL_KEY)


def source_file_column(name: str) -> pl.Expr:
    """``source_file`` for every row of a history file: one name held once (categorical), not
    once per row; the canonical tables cast it to text as they are finished (a 22-character name
    is 220 MB over ten million rows, carried through the sorts and gathers of a load)."""
    return pl.lit(name, pl.Categorical).alias(S.SOURCE_FILE)


def source_file_series(name: str, rows: int) -> pl.Series:
    """:func:`source_file_column` as a column of ``rows`` values of its own, to be cut into the
    chunks of the frame it joins (see :mod:`toolkit.loaders.chunks`)."""
    return pl.repeat(name, rows, dtype=pl.Categorical, eager=True).alias(S.SOURCE_FILE)


#: Above this many runs of one file name, the names are cast one by one.
_NAME_RUNS = 1000


def conformed(frame: pl.DataFrame, columns: tuple[S.Column, ...]) -> pl.DataFrame:
    """``frame``'s ``columns``, in their order and types. A categorical ``source_file`` is made
    text from its runs, each name repeated: its rows come in long runs of one file, and a cast
    writes each of ten million names anew (0.4 s where the repeats take 0.1 s)."""
    typed = {c.name: pl.col(c.name).cast(c.dtype) for c in columns}
    if frame.is_empty() or S.SOURCE_FILE not in typed or frame.schema.get(S.SOURCE_FILE) != pl.Categorical:
        return frame.select(typed.values())
    out = frame.select(e for name, e in typed.items() if name != S.SOURCE_FILE)
    files = frame.get_column(S.SOURCE_FILE)
    runs = files.to_physical().rle().struct.unnest()
    if runs.height > _NAME_RUNS:
        text = files.cast(pl.String)
    else:
        lengths = runs["len"]
        names = files.gather(lengths.cum_sum() - lengths).cast(pl.String).to_list()
        text = pl.concat([pl.repeat(name, n, dtype=pl.String, eager=True)
                          for name, n in zip(names, lengths.to_list(), strict=True)])
    return out.with_columns(cut_like(text.alias(S.SOURCE_FILE), out)).select(list(typed))


def finish_events(frame: pl.DataFrame, process: Process, deals: pl.DataFrame | None = None) -> pl.DataFrame:
    """Canonical stage_events: mapped stages, consecutive repeats of a stage collapsed. An entry
    without a pipeline of its own is in its deal's pipeline (``deals``), else ``default``. Rows
    already through :func:`map_entries` (they have :data:`LABEL_KEY`) are not mapped again."""
    if frame.is_empty():
        return S.empty(S.STAGE_EVENTS)
    # Only the columns of stage entries travel through the join and the sort.
    f = with_null_columns(frame.select([c for c in frame.columns if c in S.names(S.STAGE_EVENTS)
                                        or c in (LABEL_KEY, DEAL_AT)]), ((c.name, c.dtype) for c in S.STAGE_EVENTS))
    if LABEL_KEY not in f.columns:
        f = map_entries(f, process, deals)
    # (a deal's position orders and groups rows as its id does, compared as an integer)
    deal = DEAL_AT if DEAL_AT in f.columns else S.DEAL_ID
    f = sorted_by(f, [deal, S.ENTERED_AT, S.SOURCE_LINE])
    # A history row is written on any change (amount, close date): only a change of stage is a
    # stage entry, so consecutive rows of one stage (in one pipeline) collapse into the first.
    label = pl.coalesce(S.STAGE, LABEL_KEY)
    same = ((label == label.shift(1)) & (pl.col(deal) == pl.col(deal).shift(1))
            & (pl.col(S.PIPELINE) == pl.col(S.PIPELINE).shift(1)))
    f = f.filter(~same.fill_null(False))
    return conformed(f, S.STAGE_EVENTS)


def build_reps(deals: pl.DataFrame, roster: Roster, users: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per rep: every deal owner, every roster entry and every user the source lists as
    owning deals; team and manager as on their deals (roster first)."""
    # An owner the CRM wrote as "Name (Deactivated User)" on any deal is inactive.
    deactivated = (pl.col(OWNER_DEACTIVATED).any() if OWNER_DEACTIVATED in deals.columns else pl.lit(False))
    from_deals = (deals.filter(pl.col(S.OWNER_ID).is_not_null())
                  .group_by(S.OWNER_ID).agg(pl.col(S.OWNER_NAME).drop_nulls().first(),
                                            pl.col(S.TEAM_NAME).drop_nulls().mode().sort().first(),
                                            pl.col(S.MANAGER_NAME).drop_nulls().mode().sort().first(),
                                            (~deactivated).alias(S.ACTIVE)))
    parts = [from_deals]
    if not roster.frame.is_empty():
        r = roster.frame.with_columns(pl.coalesce(S.OWNER_ID, S.OWNER_NAME).alias(S.OWNER_ID))
        known = set(from_deals[S.OWNER_NAME].drop_nulls().str.strip_chars().str.to_lowercase().to_list()) | set(
            from_deals[S.OWNER_ID].drop_nulls().to_list())
        extra = r.filter(~pl.col("owner_key").is_in(list(known)) & ~pl.col(S.OWNER_ID).is_in(list(known)))
        parts.append(extra.select(S.OWNER_ID, S.OWNER_NAME, S.TEAM_NAME, S.MANAGER_NAME,
                                  pl.col(S.ACTIVE).fill_null(True)))
    if users is not None and not users.is_empty():
        # The source's user list says who is active for the owners it lists.
        from_deals = from_deals.join(users.select(S.OWNER_ID, pl.col(S.ACTIVE).alias("_user_active")),
                                     on=S.OWNER_ID, how="left")
        parts[0] = from_deals.with_columns((pl.col(S.ACTIVE) & pl.col("_user_active").fill_null(True))
                                           .alias(S.ACTIVE)).drop("_user_active")
        known_ids = set(pl.concat([p[S.OWNER_ID] for p in parts]).to_list())
        parts.append(users.filter(~pl.col(S.OWNER_ID).is_in(list(known_ids)))
                     .select(S.OWNER_ID, S.OWNER_NAME, S.TEAM_NAME, S.MANAGER_NAME, S.ACTIVE))
    reps = pl.concat([p.select(S.OWNER_ID, S.OWNER_NAME, S.TEAM_NAME, S.MANAGER_NAME,
                               pl.col(S.ACTIVE).cast(pl.Boolean)) for p in parts], how="vertical")
    reps = with_team_ids(reps)
    return reps.select(S.names(S.REPS)).sort(S.OWNER_ID)




def require_ids(rf: ReadFile, column: str = S.DEAL_ID) -> None:
    """Rows without an id cannot be a deal: reject them."""
    if column in rf.frame.columns:
        drop_rows(rf.table, rf.frame[column].is_null(), column, S.Reason.MISSING_ID,
                  f"a value in {column}; found an empty cell")


ROSTER_HEADER = "owner,team,manager"


def read_roster(path: Path, base: Path | None = None) -> tuple[Roster, ReadFile]:
    """A roster file: owner, team, manager (and optionally owner_id, active)."""
    specs = [ColumnSpec(S.OWNER_NAME, ("owner", "owner_name", "rep", "sales_agent", "user", "name"), required=True),
             ColumnSpec(S.TEAM_NAME, ("team", "team_name"), required=True),
             ColumnSpec(S.MANAGER_NAME, ("manager", "manager_name")),
             ColumnSpec(S.OWNER_ID, ("owner_id", "user_id", "id")),
             ColumnSpec(S.ACTIVE, ("active", "is_active"), kind="bool")]
    try:
        rf = read_file(path, "roster", specs, what="roster (owner, team, manager)", base=base)
    except SchemaError as exc:
        # The reader's message lists every accepted alias; a user needs the one header to write.
        raise SchemaError(f"a roster whose header is {ROSTER_HEADER} (optionally also owner_id, active)",
                          f"the header {first_line_fields(path)[:12]} in {path.name}",
                          f"write the first line of {path.name} as: {ROSTER_HEADER}") from exc
    return roster_from_frame(rf.frame, str(rf.table.file)), rf


def roster_from_frame(frame: pl.DataFrame, file: str | None) -> Roster:
    f = with_null_columns(frame, ((S.MANAGER_NAME, pl.String), (S.OWNER_ID, pl.String), (S.ACTIVE, pl.Boolean)))
    f = f.filter(pl.col(S.OWNER_NAME).is_not_null()).select(
        owner_key(pl.col(S.OWNER_NAME)).alias("owner_key"), S.OWNER_NAME, S.OWNER_ID, S.TEAM_NAME,
        S.MANAGER_NAME, S.ACTIVE)
    return Roster(f, file)


def assemble(source: str, deal_files: Sequence[ReadFile], deals: pl.DataFrame, events: pl.DataFrame,
             other_files: Sequence[ReadFile], process: Process, roster: Roster, *,
             users: pl.DataFrame | None = None, has_history: bool, notes: Sequence[str] = (),
             history_states: pl.DataFrame | None = None) -> Dataset:
    """The Dataset of a load, with its ledger checked. ``history_states`` are the states the
    source's history rows record (:mod:`toolkit.loaders.states`); without them a stage history
    gives one state per stage entry."""
    from toolkit.loaders.states import deal_states_of, states_from_events

    if history_states is None:
        history_states = states_from_events(events, deals)
    with_private = deals
    files = list(deal_files) + list(other_files)
    tables = [f.table for f in files]
    unknown = deals.filter(pl.col(S.STAGE).is_null() & pl.col(S.STAGE_RAW).is_not_null())[S.STAGE_RAW].unique().sort()
    all_notes = list(notes)
    if unknown.len():
        all_notes.append(f"{unknown.len()} stage label(s) not in the process {process.name!r}: "
                         f"{unknown.head(8).to_list()}; known: {process.stage_names}")
    for t in tables:
        all_notes += [f"{t.file}: {n}" for n in t.notes]
    reps = build_reps(deals, roster, users)
    deals = deals.drop([c for c in PRIVATE if c in deals.columns])
    data = Dataset(
        source=source, deals=deals, stage_events=events,
        reps=reps, rejects=rejects_frame(tables), repairs=repairs_frame(tables),
        files=files_frame(tables, [f.role for f in files], [f.fmt for f in files]),
        notes=all_notes, has_history=has_history,
        roster_owners=None if roster.frame.is_empty() else roster.frame["owner_key"].to_list())
    deal_states_of(data, history_states, with_private)
    return data


def fill_closed_at(deals: pl.DataFrame, events: pl.DataFrame, process: Process) -> pl.DataFrame:
    """closed_at for closed deals whose source has no close timestamp: the entry into the won or
    lost stage where the history has it, else the close date at midnight. Open deals: null."""
    closing = (events.filter(pl.col(S.STAGE).is_in([process.won.name, process.lost.name]))
               .group_by(S.DEAL_ID).agg(pl.col(S.ENTERED_AT).max().alias("_closing")))
    out = deals.join(closing, on=S.DEAL_ID, how="left") if not closing.is_empty() else deals.with_columns(
        pl.lit(None, S.DATETIME).alias("_closing"))
    return out.with_columns(
        pl.when(pl.col(S.STATUS).is_in(["won", "lost"]))
        .then(pl.coalesce(S.CLOSED_AT, "_closing", pl.col(S.CLOSE_DATE).cast(S.DATETIME)))
        .otherwise(None).alias(S.CLOSED_AT)).drop("_closing")


def export_file(path: Path, what: str, hint: str) -> tuple[Path, Path]:
    """(the export file, its folder) for a path that is the file or a folder holding it (the first
    CSV/XLSX by name that is not a roster)."""
    if not path.is_dir():
        return path, path.parent
    candidates = sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".xlsx")
                        and p.name.lower() not in ("roster.csv", "roster.xlsx"))
    if not candidates:
        from toolkit.errors import InputFileError
        raise InputFileError(f"a {what} (.csv or .xlsx)", f"no such file in {path}", hint)
    return candidates[0], path


def find_files(folder: Path, patterns: Mapping[str, Sequence[str]]) -> dict[str, Path]:
    """Files of a folder by role: the first file whose snake_case stem is one of the role's names."""
    found: dict[str, Path] = {}
    files = sorted(p for p in folder.iterdir() if p.is_file())
    for role, stems in patterns.items():
        for p in files:
            if snake(p.stem) in stems and p not in found.values():
                found[role] = p
                break
    return found


def drop_flagged(rf: ReadFile, column: str, reason: S.Reason, message: str, *, when: bool = True) -> None:
    """Reject rows whose boolean ``column`` equals ``when`` (deleted, superseded records)."""
    if column in rf.frame.columns:
        header = rf.columns.get(column, column)
        drop_rows(rf.table, (rf.frame[column] == when).fill_null(False), header, reason, message,
                  raw_column=column)
