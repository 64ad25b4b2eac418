"""Reading one input file of a source and naming its columns: the header names as compared
(NFKC, spacing, case), the canonical name of each column a source's spec recognises, repeated
headers, the vendor's header language, and the typed values."""

from __future__ import annotations

import contextvars
import dataclasses
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from toolkit.errors import InputFileError, SchemaError
from toolkit.loaders.raw import ROW_END_LINE, ROW_LINE, RawTable

if TYPE_CHECKING:
    from toolkit.loaders.headers import HeaderSet

# --- names -------------------------------------------------------------------------------------

# An acronym's plural ("IDs", "URLs") is one word, not "I_Ds".
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])(?![A-Z]s\b)")


def snake(name: str) -> str:
    """A column name as snake_case: ``StageName`` -> ``stage_name``, ``Decision_Maker__c`` ->
    ``decision_maker``, ``Next Step`` -> ``next_step``. Letters outside ASCII are kept."""
    n = unicodedata.normalize("NFKC", name).strip().replace("\ufeff", "")
    n = re.sub(r"__c$", "", n)
    n = _CAMEL.sub("_", n)
    n = re.sub(r"[^\w]+", "_", n.casefold())
    return re.sub(r"_+", "_", n).strip("_")


@dataclass(frozen=True)
class ColumnSpec:
    """How a source names one canonical field: accepted header names (compared as snake_case)."""

    field: str
    names: tuple[str, ...]
    kind: str = "text"
    required: bool = False


def user_header(table: RawTable) -> list[str]:
    """The header as the file writes it (a repeated name shown as written, not as renamed)."""
    return [table.repeats.get(h, h) for h in table.header]


def pick_columns(table: RawTable, specs: Sequence[ColumnSpec], *, what: str) -> dict[str, str]:
    """Rename ``table.frame``'s columns: the first header matching each spec gets the canonical
    name, the others their snake_case names (``extra`` columns). Returns canonical -> header.

    A header written twice (HubSpot repeats its association columns) is read once: the copies of a
    column the toolkit does not map are dropped and named in the notes; the copies of a mapped
    column must agree on every row, else the file is refused with the rows that differ."""
    by_snake: dict[str, str] = {}
    for h in table.header:
        if h in table.frame.columns and h not in table.repeats:
            by_snake.setdefault(snake(h), h)
    chosen: dict[str, str] = {}
    for spec in specs:
        for candidate in spec.names:
            header = by_snake.get(snake(candidate))
            if header is not None and header not in chosen.values():
                chosen[spec.field] = header
                break
        else:
            if spec.required:
                names = " or ".join(repr(n) for n in spec.names[:4])
                # Helper fields (a leading _) are the toolkit's own: name only the user's columns.
                wanted = f"a column {names}" if spec.field.startswith("_") else f"a column for {spec.field} ({names})"
                raise SchemaError(
                    f"{wanted} in the {what}",
                    f"the header {user_header(table)[:12]} in {table.file} (line {table.header_line})",
                    "check that the export includes this column, or pass a mapping file")
    _settle_repeats(table, chosen)
    rename: dict[str, str] = {h: f for f, h in chosen.items()}
    taken = set(rename.values()) | {ROW_LINE, ROW_END_LINE}
    for h in table.frame.columns:
        if h in rename or h in (ROW_LINE, ROW_END_LINE):
            continue
        new = snake(h) or "column"
        while new in taken:
            new += "_x"
        rename[h] = new
        taken.add(new)
    table.frame = table.frame.rename(rename)
    return chosen


def _settle_repeats(table: RawTable, chosen: Mapping[str, str]) -> None:
    """Drop the later copies of repeated columns, after checking that mapped ones agree."""
    copies: dict[str, list[str]] = {}
    for copy, first in table.repeats.items():
        if copy in table.frame.columns and first in table.frame.columns:
            copies.setdefault(first, []).append(copy)
    field_of = {h: f for f, h in chosen.items()}
    position = {h: i + 1 for i, h in enumerate(table.header)}
    for first, cs in copies.items():
        where = ", ".join(str(position[c]) for c in [first, *cs])
        if first in field_of:
            for c in cs:
                differ = table.frame.filter(~pl.col(first).eq_missing(pl.col(c)))
                if differ.height:
                    field = field_of[first]
                    read_as = "" if field.startswith("_") else f", read as {field}"
                    raise SchemaError(
                        f"the copies of the column {first!r} (columns {where}{read_as}) to agree on every row",
                        f"{differ.height} row(s) of {table.file} where they differ, on line(s) "
                        f"{differ[ROW_LINE].head(10).to_list()}",
                        "keep one copy of the column in the export, or correct those rows")
            table.notes.append(f"column {first!r} appears {len(cs) + 1} times (columns {where}) with the same "
                               "values; it is read once")
        else:
            table.notes.append(f"column {first!r} appears {len(cs) + 1} times (columns {where}); the first is "
                               "kept, the other copies are not read")
    table.frame = table.frame.drop([c for cs in copies.values() for c in cs])


@dataclass
class ReadFile:
    """A file read, its columns picked and typed: what a source loader works from."""

    table: RawTable
    role: str
    columns: dict[str, str]
    fmt: dict[str, str]
    #: The vendor's header language the file was read in (None: English, or not a vendor file).
    header_set: HeaderSet | None = None

    @property
    def frame(self) -> pl.DataFrame:
        return self.table.frame


#: The files read so far in a :func:`reads_kept` block, by everything their reading depends on.
_KEPT: ContextVar[dict[tuple[object, ...], ReadFile] | None] = ContextVar("toolkit_reads_kept", default=None)


@contextmanager
def reads_kept() -> Iterator[None]:
    """Within the block, a file read again with the same arguments is not read again: the
    :class:`ReadFile` is handed out anew as it was when first read (its rows, rejects and notes),
    for a loader to finish once more (a load that maps an export's stages a second time, see
    :func:`toolkit.loaders.load`)."""
    token = _KEPT.set({})
    try:
        yield
    finally:
        _KEPT.reset(token)


def _copy(rf: ReadFile) -> ReadFile:
    """A ReadFile whose ledger a loader can change without changing ``rf``'s (frames are immutable)."""
    t = rf.table
    table = dataclasses.replace(t, rejects=list(t.rejects), repairs=list(t.repairs), skipped=Counter(t.skipped),
                                notes=list(t.notes), repeats=dict(t.repeats))
    return ReadFile(table, rf.role, dict(rf.columns), dict(rf.fmt), rf.header_set)


def read_file(path: Path, role: str, specs: Sequence[ColumnSpec], *, what: str, base: Path | None = None,
              date_default: str | None = None, date_style: str | None = None, decimal: str | None = None,
              encoding: str | None = None,
              delimiter: str | None = None, date_formats: Sequence[str] = (),
              null_tokens: Mapping[str, Sequence[str]] | None = None, sheet: str | None = None,
              required_any: int = 2,
              dynamic: Callable[[list[str]], Sequence[ColumnSpec]] | None = None,
              vendor: str | None = None, extras: bool = True) -> ReadFile:
    """Read, pick and type one input file of a source.

    ``vendor`` (pipedrive, hubspot) also reads the vendor's headers in the other languages it
    exports in; the language found is said in the file's notes and returned as ``header_set``.
    ``extras=False`` keeps only the columns of ``specs`` (a history file, whose other columns no
    table keeps: millions of rows of them need not be held while the load goes on)."""
    kept = _KEPT.get()
    key: tuple[object, ...] = ()
    if kept is not None:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, role, tuple(specs), what, base, date_default,
               date_style, decimal, encoding, delimiter, tuple(date_formats),
               None if null_tokens is None else tuple(sorted((k, tuple(v)) for k, v in null_tokens.items())),
               sheet, required_any, dynamic, vendor, extras)
        if key in kept:
            return _copy(kept[key])
    rf = _read_file(path, role, specs, what=what, base=base, date_default=date_default, date_style=date_style,
                    decimal=decimal, encoding=encoding, delimiter=delimiter, date_formats=date_formats,
                    null_tokens=null_tokens, sheet=sheet, required_any=required_any, dynamic=dynamic, vendor=vendor,
                    extras=extras)
    if kept is not None:
        kept[key] = _copy(rf)
    return rf


class _ReadAhead:
    """A read going on on a thread of its own; calling it waits for the file."""

    def __init__(self, read: Callable[[], ReadFile]) -> None:
        self._read: ReadFile | None = None
        self._error: BaseException | None = None
        # The caller's context goes along: a read inside a :func:`reads_kept` block stays kept.
        context = contextvars.copy_context()

        def run() -> None:
            try:
                self._read = context.run(read)
            except BaseException as exc:  # raised where the read is waited for, as if read there
                self._error = exc

        # A daemon: a load that stops on another file's error (or Ctrl-C) does not wait for it.
        self._thread = threading.Thread(target=run, name="toolkit-read-ahead", daemon=True)
        self._thread.start()

    def __call__(self) -> ReadFile:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._read is not None
        return self._read


def read_ahead(read: Callable[[], ReadFile]) -> Callable[[], ReadFile]:
    """``read`` (a :func:`read_file` with its arguments) started now on a thread of its own; the
    function returned waits for the :class:`ReadFile`, or raises the read's error, so errors keep
    the order of a load that reads its files one by one. A loader starts its largest file, a
    history of millions of rows that needs nothing else to be read, before it reads and finishes
    the deals: a read keeps the two cores busy only part of the time (runs starting and ending,
    one-core passes), and polars and numpy let go of the GIL, so the other file's work fills the
    gaps."""
    return _ReadAhead(read)


def _read_file(path: Path, role: str, specs: Sequence[ColumnSpec], *, what: str, base: Path | None,
               date_default: str | None, date_style: str | None, decimal: str | None, encoding: str | None,
               delimiter: str | None, date_formats: Sequence[str], null_tokens: Mapping[str, Sequence[str]] | None,
               sheet: str | None, required_any: int, dynamic: Callable[[list[str]], Sequence[ColumnSpec]] | None,
               vendor: str | None, extras: bool) -> ReadFile:
    from toolkit.loaders.reading import read_delimited
    from toolkit.loaders.sniff import binary_file_kind
    from toolkit.loaders.values import cast_columns

    display = str(path.relative_to(base)) if base and path.is_relative_to(base) else str(path)
    kind = binary_file_kind(path)
    if kind is not None:
        raise InputFileError(f"a CSV or Excel file for the {what}", f"{display} is {kind}",
                             "export the data again as CSV or .xlsx")
    expected = [n for s in specs for n in s.names]
    if vendor is not None:
        from toolkit.loaders.headers import all_names
        expected += all_names(vendor)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            from toolkit.loaders.excel import read_xlsx
            date_cols = [n for s in specs if s.kind in ("date", "datetime") for n in s.names]
            if vendor is not None:
                from toolkit.loaders.headers import known_sets, localized
                date_cols += [n for hs in known_sets(vendor) for s in localized(specs, hs)
                              if s.kind in ("date", "datetime") for n in s.names]
            table = read_xlsx(path, display_name=display, sheet=sheet, expected=expected,
                              date_columns=date_cols, required_any=required_any)
        else:
            table = read_delimited(path, display_name=display, encoding=encoding, delimiter=delimiter,
                                   expected=expected, required_any=required_any)
    except SchemaError as exc:
        if vendor is None:
            raise
        from toolkit.loaders.headers import VENDOR_NAMES, unknown_language_hint
        # Name the vendor's own (English) headers, not the mix of every language searched.
        own = [n for s in specs if s.required for n in s.names[:1]]
        raise SchemaError(f"a {VENDOR_NAMES[vendor]} deals header (in English: {own}, or one of its known "
                          "languages)", exc.found, unknown_language_hint(vendor)) from exc
    header_set = None
    if vendor is not None:
        from toolkit.loaders.headers import choose, localized
        header_set = choose(vendor, specs, [h for h in table.header if h not in table.repeats])
        if header_set is not None:
            specs = localized(specs, header_set)
            table.notes.append(header_set.note)
    if dynamic is not None:
        specs = [*specs, *dynamic([h for h in table.header if h not in table.repeats])]
    columns = pick_columns(table, specs, what=what)
    if not extras:
        table.frame = table.frame.select(*columns, ROW_LINE, ROW_END_LINE)
    kinds = {s.field: s.kind for s in specs if s.field in columns}
    nulls = {k: v for k, v in (null_tokens or {}).items()}
    typed, fmt = cast_columns(table, kinds, date_default=date_default, date_style=date_style,  # type: ignore[arg-type]
                              decimal=decimal,
                              date_formats=date_formats, null_tokens=nulls)
    table.frame = typed
    table.release()
    return ReadFile(table, role, columns, {"date_style": fmt.date_style, "decimal": fmt.decimal or ""}, header_set)


