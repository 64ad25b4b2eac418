"""Typing text columns: ids, amounts with their currencies, dates, booleans.

Formats are decided once per file, never per cell: a file's date order (ISO, month-first or
day-first) and its decimal separator come from a declaration or from the evidence of all its
values. A value that does not fit the file's format becomes a reject with its line, column and
raw text; it never turns into a silent null.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from toolkit import schema as S
from toolkit.errors import FormatDetectionError
from toolkit.loaders.reading import ROW_END_LINE, ROW_LINE, RawTable, escape_raw

Kind = Literal["id", "text", "amount", "number", "datetime", "date", "bool"]

#: Null tokens for typed (non-text) columns. Text columns treat only the empty string as null, so
#: a team called "NA" (North America) stays a team unless a mapping says otherwise.
TYPED_NULLS = frozenset({"", "null", "none", "n/a", "na", "nan", "-", "--", "#n/a", "nat"})

# --- dates -------------------------------------------------------------------------------------

#: Date orders and their (regex, strftime) formats for the date part of a value.
DATE_STYLES: dict[str, tuple[tuple[str, str], ...]] = {
    "iso": ((r"^\d{4}-\d{1,2}-\d{1,2}$", "%Y-%m-%d"), (r"^\d{4}/\d{1,2}/\d{1,2}$", "%Y/%m/%d")),
    "mdy": ((r"^\d{1,2}/\d{1,2}/\d{4}$", "%m/%d/%Y"), (r"^\d{1,2}/\d{1,2}/\d{2}$", "%m/%d/%y"),
            (r"^\d{1,2}-\d{1,2}-\d{4}$", "%m-%d-%Y")),
    "dmy": ((r"^\d{1,2}/\d{1,2}/\d{4}$", "%d/%m/%Y"), (r"^\d{1,2}\.\d{1,2}\.\d{4}$", "%d.%m.%Y"),
            (r"^\d{1,2}-\d{1,2}-\d{4}$", "%d-%m-%Y"), (r"^\d{1,2}/\d{1,2}/\d{2}$", "%d/%m/%y"),
            (r"^\d{1,2}\.\d{1,2}\.\d{2}$", "%d.%m.%y")),
}
STYLE_NAMES = {"iso": "ISO (YYYY-MM-DD)", "mdy": "month-first (MM/DD/YYYY)", "dmy": "day-first (DD/MM/YYYY)"}
TIME_FORMATS = ((r"^\d{1,2}:\d{2}:\d{2}\.\d+$", "%H:%M:%S%.f"), (r"^\d{1,2}:\d{2}:\d{2}$", "%H:%M:%S"),
                (r"^\d{1,2}:\d{2}$", "%H:%M"), (r"^\d{1,2}:\d{2} ?[AaPp][Mm]$", "%I:%M %p"),
                (r"^\d{1,2}:\d{2}:\d{2} ?[AaPp][Mm]$", "%I:%M:%S %p"))
_ZONE = r"(?:Z|\s*UTC|[+-]00:?00)$"


def _split_datetime(col: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    s = col.str.strip_chars().str.replace(_ZONE, "").str.replace(r"^(\d{4}-\d{2}-\d{2})T", "$1 ")
    return s.str.extract(r"^(\S+)", 1), s.str.extract(r"^\S+\s+(.+)$", 1)


def _date_expr(part: pl.Expr, formats: Sequence[tuple[str, str]]) -> pl.Expr:
    return pl.coalesce([pl.when(part.str.contains(rx)).then(part.str.to_date(fmt, strict=False))
                        for rx, fmt in formats])


def _time_expr(part: pl.Expr) -> pl.Expr:
    p = part.str.replace(r"(\d)([AaPp][Mm])$", "$1 $2").str.to_uppercase()
    return pl.coalesce([pl.when(p.str.contains(rx)).then(p.str.to_time(fmt, strict=False))
                        for rx, fmt in TIME_FORMATS])


def parse_datetime_expr(col: pl.Expr, style: str, explicit: Sequence[str] = ()) -> pl.Expr:
    """A Datetime expression: null where the text does not fit the style (ISO always fits too,
    being unambiguous), or the explicit formats when given."""
    if explicit:
        return pl.coalesce([col.str.strip_chars().str.to_datetime(f, strict=False, time_unit="us")
                            for f in explicit] + [
                               col.str.strip_chars().str.to_date(f, strict=False).cast(S.DATETIME)
                               for f in explicit])
    date_part, time_part = _split_datetime(col)
    formats = DATE_STYLES[style] + (DATE_STYLES["iso"] if style != "iso" else ())
    d = _date_expr(date_part, formats)
    t = _time_expr(time_part)
    return (pl.when(time_part.is_null()).then(d.cast(S.DATETIME))
            .when(t.is_not_null() & d.is_not_null()).then(d.dt.combine(t, time_unit="us"))
            .otherwise(None))


def detect_date_style(frame: pl.DataFrame, columns: Iterable[str], default: str | None, file: str) -> str:
    """The one date order that fits the file's date columns best.

    A tie between month-first and day-first (every day <= 12) is settled by ``default`` (the
    source format's own convention or the mapping), else it is an error: guessing would swap
    months and days silently."""
    cols = [c for c in columns if c in frame.columns]
    values = pl.concat([frame[c].drop_nulls().alias("v") for c in cols]) if cols else pl.Series("v", [], pl.String)
    values = values.filter(~values.str.to_lowercase().str.strip_chars().is_in(list(TYPED_NULLS)))
    if values.is_empty():
        return default or "iso"
    scores = {name: int(values.to_frame().select(parse_datetime_expr(pl.col("v"), name).is_not_null().sum()).item())
              for name in DATE_STYLES}
    best = max(scores.values())
    top = [n for n, sc in scores.items() if sc == best]
    if len(top) == 1:
        return top[0]
    if default in top:
        return default  # type: ignore[return-value]
    if "iso" in top:
        return "iso"
    sample = values.head(3).to_list()
    raise FormatDetectionError(
        "dates whose order (day-first or month-first) can be told from the data",
        f"{best} date values in {file} that read either way, e.g. {sample}",
        "set date_format (e.g. '%d/%m/%Y') in the mapping, or --date-format on the command line")


# --- numbers -----------------------------------------------------------------------------------

CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "US$": "USD", "£": "GBP", "¥": "JPY", "CHF": "CHF", "kr": "SEK"}
_SPACES = "[\u0020\u00a0\u202f\u2009\u2007']"
_CODE = r"[A-Z]{3}"
_SYM = r"(?:US\$|\$|€|£|¥)"


def _number_parts(col: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(digits with separators, negative flag, currency code found in the text)."""
    s = col.str.strip_chars()
    sym = s.str.extract(rf"({_SYM})", 1)
    code = s.str.extract(rf"(?:^|[\s\d(])({_CODE})(?:$|[\s\d)])", 1)
    cur = pl.coalesce(code, sym.replace_strict(CURRENCY_SYMBOLS, default=None, return_dtype=pl.String))
    bare = s.str.replace_all(_SYM, "").str.replace_all(_CODE, "").str.replace_all(_SPACES, "")
    negative = bare.str.contains(r"^\(.*\)$") | bare.str.starts_with("-") | bare.str.ends_with("-")
    digits = bare.str.replace_all(r"[()+-]", "")
    return digits, negative, cur


def _decimal_evidence(digits: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(shows '.' as decimal, shows ',' as decimal) per value."""
    dot = (digits.str.contains(r",\d{3}.*\.\d*$") | digits.str.contains(r"^\d+\.(\d{1,2}|\d{4,})$")
           | digits.str.contains(r",\d{3},"))
    comma = (digits.str.contains(r"\.\d{3}.*,\d*$") | digits.str.contains(r"^\d+,(\d{1,2}|\d{4,})$")
             | digits.str.contains(r"\.\d{3}\."))
    return dot, comma


def detect_decimal(frame: pl.DataFrame, columns: Iterable[str], file: str) -> str | None:
    """'.' or ',' from the values' evidence, None when no value shows it."""
    cols = [c for c in columns if c in frame.columns]
    if not cols:
        return None
    v = pl.concat([frame[c].drop_nulls().alias("v") for c in cols]).to_frame()
    digits, _neg, _cur = _number_parts(pl.col("v"))
    dot, comma = _decimal_evidence(digits)
    n_dot, n_comma = v.select(dot.sum().alias("d"), comma.sum().alias("c")).row(0)
    if n_dot and n_comma and n_dot == n_comma:
        raise FormatDetectionError("one decimal separator per file",
                                   f"{n_dot} values with '.' and {n_comma} with ',' as decimal in {file}",
                                   "set decimal: ',' or '.' in the mapping")
    if n_dot > n_comma:
        return "."
    if n_comma > n_dot:
        return ","
    return None


def parse_number_expr(col: pl.Expr, decimal: str | None) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(Float64 value, currency found in the text, ambiguous flag) for a column of amounts."""
    digits, negative, cur = _number_parts(col)
    plain = digits.str.contains(r"^(\d+(\.\d+)?([eE][+-]?\d+)?|\.\d+)$")
    if decimal == ",":
        valid = digits.str.contains(r"^(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
        norm = digits.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
        ambiguous = pl.lit(False)
        plain = digits.str.contains(r"^\d+$")
    elif decimal == ".":
        valid = digits.str.contains(r"^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$") | plain
        norm = digits.str.replace_all(",", "", literal=True)
        ambiguous = pl.lit(False)
    else:
        # No value in the file shows its decimal separator: only unambiguous numbers are read.
        valid = plain | digits.str.contains(r"^\d+,(\d{1,2}|\d{4,})$")
        norm = digits.str.replace(",", ".", literal=True)
        ambiguous = digits.str.contains(r"^\d{1,3}([.,]\d{3})+$") & ~plain
        ambiguous = ambiguous | digits.str.contains(r"^\d{1,3},\d{3}$")
    value = pl.when(valid | plain).then(norm.cast(pl.Float64, strict=False))
    value = pl.when(negative).then(-value).otherwise(value)
    return value, cur, ambiguous


# --- the caster --------------------------------------------------------------------------------

@dataclass(frozen=True)
class FileFormat:
    """How one file writes dates and numbers, as declared or detected."""

    date_style: str
    decimal: str | None
    date_formats: tuple[str, ...] = ()


_TRUE = ("true", "1", "yes", "y", "t", "x", "ja", "oui", "wahr", "vrai")
_FALSE = ("false", "0", "no", "n", "f", "", "nein", "non", "falsch", "faux")


def cast_columns(table: RawTable, kinds: Mapping[str, Kind], *, date_default: str | None = None,
                 decimal: str | None = None, date_formats: Sequence[str] = (),
                 null_tokens: Mapping[str, Sequence[str]] | None = None,
                 currency_column: str | None = None) -> tuple[pl.DataFrame, FileFormat]:
    """Type the named columns of ``table.frame``; rows with a value that does not fit are moved to
    ``table.rejects`` (one reject per failing column) and left out of the returned frame.

    Amount columns also yield ``<column>__currency`` with the currency found in the text.
    """
    null_tokens = null_tokens or {}
    frame = table.frame
    present = {c: k for c, k in kinds.items() if c in frame.columns}
    # Null tokens first, per column: only typed columns get the wide default list.
    nulled = []
    for c, k in present.items():
        tokens = null_tokens.get(c)
        if tokens is None:
            tokens = [] if k in ("text", "id") else list(TYPED_NULLS)
        tokens = [t.casefold() for t in tokens]
        if tokens:
            nulled.append(pl.when(pl.col(c).str.strip_chars().str.to_lowercase().is_in(tokens))
                          .then(None).otherwise(pl.col(c)).alias(c))
    if nulled:
        frame = frame.with_columns(nulled)
    date_cols = [c for c, k in present.items() if k in ("date", "datetime")]
    style = "iso"
    if date_cols and not date_formats:
        style = detect_date_style(frame, date_cols, date_default, table.file)
    amount_cols = [c for c, k in present.items() if k in ("amount", "number")]
    dec = decimal or (detect_decimal(frame, amount_cols, table.file) if amount_cols else None)
    fmt = FileFormat(style, dec, tuple(date_formats))

    exprs: list[pl.Expr] = []
    checks: list[tuple[str, pl.Expr, S.Reason, str]] = []
    for c, k in present.items():
        col = pl.col(c)
        if k == "id":
            checks.append((c, col.str.contains(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$").fill_null(False),
                           S.Reason.INVALID_ID, "an id as text; found a number in scientific notation "
                                                "(a spreadsheet rounded it), the real id is lost"))
        elif k in ("date", "datetime"):
            parsed = parse_datetime_expr(col, style, date_formats)
            exprs.append((parsed.cast(pl.Date) if k == "date" else parsed).alias(c))
            what = ", ".join(date_formats) if date_formats else STYLE_NAMES[style]
            checks.append((c, col.is_not_null() & parsed.is_null(), S.Reason.INVALID_DATE,
                           f"a date in the file's format {what}"))
        elif k in ("amount", "number"):
            value, cur, ambiguous = parse_number_expr(col, dec)
            exprs.append(value.alias(c))
            if k == "amount":
                exprs.append(cur.alias(f"{c}__currency"))
            checks.append((c, col.is_not_null() & ambiguous, S.Reason.AMBIGUOUS_NUMBER,
                           "a number whose decimal separator the file shows; '1,234' could be 1234 or "
                           "1.234 (set decimal in the mapping)"))
            checks.append((c, col.is_not_null() & ~ambiguous & value.is_null(), S.Reason.INVALID_NUMBER,
                           f"a number with decimal separator {dec!r}" if dec else "a number"))
        elif k == "bool":
            low = col.str.strip_chars().str.to_lowercase()
            exprs.append(pl.when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False)
                         .otherwise(None).alias(c))
            checks.append((c, col.is_not_null() & ~low.is_in(_TRUE + _FALSE), S.Reason.INVALID_NUMBER,
                           "a boolean (true/false, yes/no, 1/0)"))
    flags = frame.select(
        pl.col(ROW_LINE), pl.col(ROW_END_LINE),
        *[expr.alias(f"__bad{i}") for i, (_c, expr, _r, _m) in enumerate(checks)],
    )
    bad_any = pl.any_horizontal([pl.col(f"__bad{i}") for i in range(len(checks))]) if checks else pl.lit(False)
    if checks and flags.select(bad_any.any()).item():
        for i, (c, _expr, reason, message) in enumerate(checks):
            hits = frame.filter(flags[f"__bad{i}"]).select(ROW_LINE, ROW_END_LINE, c)
            for line, end, raw in hits.iter_rows():
                table.reject(line, end, c, escape_raw(str(raw)), reason,
                             f"expected {message}; found {raw!r}")
        keep = ~flags.select(bad_any.alias("b"))["b"]
        frame = frame.filter(keep)
    typed = frame.with_columns(exprs) if exprs else frame
    if currency_column is None:
        for c, k in present.items():
            if k == "amount":
                curs = typed[f"{c}__currency"].drop_nulls().unique()
                if curs.len() > 1:
                    table.notes.append(f"column {c!r} mixes currencies {sorted(curs.to_list())}; "
                                       "amounts are kept per currency and never summed across them")
    return typed, fmt
