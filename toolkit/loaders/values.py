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

#: Date orders and the formats of their date part, four-digit years first.
DATE_STYLES: dict[str, tuple[str, ...]] = {
    "iso": ("%Y-%m-%d", "%Y/%m/%d"),
    "mdy": ("%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y"),
    "dmy": ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y"),
}
STYLE_NAMES = {"iso": "ISO (YYYY-MM-DD)", "mdy": "month-first (MM/DD/YYYY)", "dmy": "day-first (DD/MM/YYYY)"}
#: Time parts, most common first; "" is a date without a time.
TIME_FORMATS = ("", " %H:%M:%S", " %H:%M", " %I:%M %p", " %H:%M:%S%.f", " %I:%M:%S %p", "T%H:%M:%S", "T%H:%M:%S%.f",
                "T%H:%M")
_ZONE = r"(?:Z|\s*UTC|[+-]00:?00)$"
DETECT_SAMPLE = 50_000


def _formats(style: str) -> list[str]:
    dates = DATE_STYLES[style] + (DATE_STYLES["iso"] if style != "iso" else ())
    return [d + t for t in TIME_FORMATS for d in dates]


def parse_datetimes(values: pl.Series, style: str, explicit: Sequence[str] = ()) -> pl.Series:
    """Datetimes from text in one date order (ISO always fits too, being unambiguous), or in the
    explicit formats tried in order; null where the text fits none.

    Formats are tried one after the other on the values not parsed yet, so a file that uses one
    format costs one pass. A four-digit-year format never takes a two-digit year."""
    text = values.cast(pl.String).str.strip_chars()
    n = text.len()
    candidates = list(explicit) or _formats(style)
    filled = text.drop_nulls()
    if not explicit and filled.len() > 2000:
        # Try first the formats that fit a sample: a file mostly uses one, so one pass does.
        probe = filled.gather_every(max(1, filled.len() // 500))
        hits = {f: int(probe.str.to_datetime(f, strict=False, time_unit="us").is_not_null().sum()) for f in candidates}
        candidates.sort(key=lambda f: -hits[f])
    result: pl.Series | None = None
    todo = pl.DataFrame({"i": pl.int_range(n, eager=True, dtype=pl.UInt32),
                         "v": text}).filter(pl.col("v").is_not_null())
    zone_stripped = bool(explicit)
    while not todo.is_empty():
        for fmt in candidates:
            if todo.is_empty():
                break
            parsed = todo["v"].str.to_datetime(fmt, strict=False, time_unit="us")
            ok = parsed.is_not_null()
            if "%Y" in fmt:
                ok = ok & (parsed.dt.year() >= 1000)
            if result is None and todo.height == n and ok.all():
                return parsed.alias(values.name)  # one format fits every value: no scatter
            if ok.any():
                if result is None:
                    result = pl.repeat(None, n, dtype=S.DATETIME, eager=True).alias(values.name)
                hit = todo.filter(ok)
                result = result.scatter(hit["i"], parsed.filter(ok))
                todo = todo.filter(~ok)
        if zone_stripped or todo.is_empty():
            break
        # Zone suffixes (Z, UTC, +00:00) only on what is left: most files have none.
        todo = todo.with_columns(pl.col("v").str.replace(_ZONE, ""))
        zone_stripped = True
    return result if result is not None else pl.repeat(None, n, dtype=S.DATETIME, eager=True).alias(values.name)


def detect_date_style(frame: pl.DataFrame, columns: Iterable[str], default: str | None, file: str) -> str:
    """The one date order that fits the file's date columns best.

    Scored on the distinct date texts of the file (a strided sample of 50,000 when there are more).
    A tie between month-first and day-first (every day <= 12) is settled by ``default`` (the source
    format's own convention or the mapping), else it is an error: guessing would swap months and
    days silently."""
    cols = [c for c in columns if c in frame.columns]
    if not cols:
        return default or "iso"
    every = [frame[c].drop_nulls().cast(pl.String).alias("v") for c in cols]
    # Distinct texts of a strided sample (a column of 10M timestamps need not be hashed whole).
    sampled = [v.gather_every(max(1, v.len() // (4 * DETECT_SAMPLE))) for v in every]
    values = pl.concat(sampled).unique(maintain_order=True)
    values = values.filter(~values.str.to_lowercase().str.strip_chars().is_in(list(TYPED_NULLS)))
    if values.is_empty():
        return default or "iso"
    if values.len() > DETECT_SAMPLE:
        values = values.gather_every(values.len() // DETECT_SAMPLE)
    scores = {name: int(parse_datetimes(values, name).is_not_null().sum()) for name in DATE_STYLES}
    best = max(scores.values())
    top = [n for n, sc in scores.items() if sc == best]
    if len(top) == 1:
        return top[0]
    if {"mdy", "dmy"} <= set(top):
        # The sample reads both ways: a day over 12 anywhere in the file settles it.
        whole = pl.concat(every)
        day_first = int(whole.str.contains(r"^\s*(1[3-9]|2\d|3[01])[/.-]\d{1,2}[/.-]\d{2,4}").sum())
        month_first = int(whole.str.contains(r"^\s*\d{1,2}[/.-](1[3-9]|2\d|3[01])[/.-]\d{2,4}").sum())
        if day_first != month_first:
            return "dmy" if day_first > month_first else "mdy"
    if default in top:
        return default
    if "iso" in top:
        return "iso"
    sample = values.head(3).to_list()
    raise FormatDetectionError(
        "dates whose order (day-first or month-first) can be told from the data",
        f"{best} date values in {file} that read either way, e.g. {sample}",
        "set date_format (e.g. '%d/%m/%Y') in the mapping, or --date-style on the command line")


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
    # Only a leading sign, a trailing minus or enclosing brackets mark the sign: a minus or a
    # bracket anywhere else ("2025-01-31", "5-3") leaves the value invalid instead of dropped.
    digits = bare.str.replace(r"^\((.*)\)$", "$1").str.replace(r"^[+-]", "").str.replace(r"-$", "")
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
    every = pl.concat([frame[c].drop_nulls().alias("v") for c in cols])
    digits, _neg, _cur = _number_parts(pl.col("v"))
    dot, comma = _decimal_evidence(digits)
    sample = every.gather_every(max(1, every.len() // DETECT_SAMPLE)).to_frame()
    n_dot, n_comma = sample.select(dot.sum().alias("d"), comma.sum().alias("c")).row(0)
    if bool(n_dot) == bool(n_comma) and sample.height < every.len():
        # The sample shows both separators or neither: only all the values can tell.
        n_dot, n_comma = every.to_frame().select(dot.sum().alias("d"), comma.sum().alias("c")).row(0)
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
        ambiguous = digits.str.contains(r"^\d{1,3}([.,]\d{3})+$")
    value: pl.Expr = pl.when((valid | plain) & ~ambiguous).then(norm.cast(pl.Float64, strict=False))
    value = pl.when(negative).then(-value).otherwise(value)
    return value, cur, ambiguous


def parse_numbers(values: pl.Series, decimal: str | None) -> pl.DataFrame:
    """(value, currency, ambiguous) per value of a column of amounts.

    Plain numbers (digits, one decimal point) are cast directly; the others (symbols, thousands
    separators, brackets) are parsed once per distinct text. Infinite values (``1e400``) are
    invalid: null here, a reject for the caller."""
    # Texts that read the same under every rule of parse_number_expr ("1.234" with no decimal
    # known is ambiguous, so it is not plain then).
    plain_re = {",": r"^-?\d+$", ".": r"^-?\d+(\.\d+)?$"}.get(
        decimal or "", r"^-?(\d+|\d+\.(\d{1,2}|\d{4,})|\d{4,}\.\d{3})$")
    text = values.cast(pl.String)
    plain = text.str.contains(plain_re).fill_null(False)
    value = pl.Series("value", text, dtype=pl.String).cast(pl.Float64, strict=False)
    currency = pl.repeat(None, text.len(), dtype=pl.String, eager=True).alias("currency")
    ambiguous = pl.repeat(False, text.len(), dtype=pl.Boolean, eager=True).alias("ambiguous")
    rest = text.filter(~plain & text.is_not_null()).unique()
    if rest.len():
        v, cur, amb = parse_number_expr(pl.col("t"), decimal)
        parsed = rest.to_frame("t").select("t", v.alias("v"), cur.alias("c"), amb.alias("a"))
        mapped = text.to_frame("t").join(parsed, on="t", how="left", maintain_order="left", nulls_equal=False)
        value = pl.select(pl.when(plain).then(value).otherwise(mapped["v"])).to_series().alias("value")
        currency = mapped["c"].alias("currency")
        ambiguous = mapped["a"].fill_null(False).alias("ambiguous")
    value = pl.select(pl.when(value.is_finite()).then(value)).to_series().alias("value")
    return pl.DataFrame([value, currency, ambiguous])


def case_variants(tokens: Iterable[str]) -> list[str]:
    """Each token as written, in lower case, upper case and capitalised."""
    out: dict[str, None] = {}
    for t in tokens:
        for v in (t, t.casefold(), t.upper(), t.capitalize(), t.title()):
            out.setdefault(v, None)
    return list(out)


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
                 date_style: str | None = None,
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
        if tokens:
            # Values arrive stripped; matching the usual spellings of each token spares a
            # lower-cased copy of every column.
            nulled.append(pl.when(pl.col(c).is_in(case_variants(tokens)))
                          .then(None).otherwise(pl.col(c)).alias(c))
    if nulled:
        frame = frame.with_columns(nulled)
    date_cols = [c for c, k in present.items() if k in ("date", "datetime")]
    style = "iso"
    if date_style is not None:
        style = date_style  # declared (a mapping): values that do not fit are rejected, not re-read
    elif date_cols and not date_formats:
        style = detect_date_style(frame, date_cols, date_default, table.file)
    amount_cols = [c for c, k in present.items() if k in ("amount", "number")]
    dec = decimal or (detect_decimal(frame, amount_cols, table.file) if amount_cols else None)
    fmt = FileFormat(style, dec, tuple(date_formats))

    exprs: list[pl.Expr] = []
    checks: list[tuple[str, pl.Expr, S.Reason, str]] = []
    for c, k in present.items():
        col = pl.col(c)
        if k == "id":
            checks.append((c, col.str.contains(r"^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$").fill_null(False),
                           S.Reason.INVALID_ID, ("an id as text; found a number in scientific notation "
                                                "(a spreadsheet rounded it), the real id is lost")))
        elif k in ("date", "datetime"):
            parsed = parse_datetimes(frame[c], style, date_formats)
            frame = frame.with_columns(parsed.alias(f"__t_{c}"))
            exprs.append((pl.col(f"__t_{c}").cast(pl.Date) if k == "date" else pl.col(f"__t_{c}")).alias(c))
            what = ", ".join(date_formats) if date_formats else STYLE_NAMES[style]
            checks.append((c, col.is_not_null() & pl.col(f"__t_{c}").is_null(), S.Reason.INVALID_DATE,
                           f"a date in the file's format {what}"))
        elif k in ("amount", "number"):
            frame = frame.with_columns(parse_numbers(frame[c], dec).rename(
                {"value": f"__t_{c}", "currency": f"__t_{c}__cur", "ambiguous": f"__t_{c}__amb"}))
            exprs.append(pl.col(f"__t_{c}").alias(c))
            if k == "amount":
                exprs.append(pl.col(f"__t_{c}__cur").alias(f"{c}__currency"))
            amb = pl.col(f"__t_{c}__amb")
            checks.append((c, col.is_not_null() & amb, S.Reason.AMBIGUOUS_NUMBER,
                           ("a number whose decimal separator the file shows; '1,234' could be 1234 or "
                           "1.234 (set decimal in the mapping)")))
            checks.append((c, col.is_not_null() & ~amb & pl.col(f"__t_{c}").is_null(), S.Reason.INVALID_NUMBER,
                           f"a finite number with decimal separator {dec!r}" if dec else "a finite number"))
        elif k == "bool":
            true, false = case_variants(_TRUE), case_variants(_FALSE)
            exprs.append(pl.when(col.is_in(true)).then(True).when(col.is_in(false)).then(False)
                         .otherwise(None).alias(c))
            checks.append((c, col.is_not_null() & ~col.is_in(true + false), S.Reason.INVALID_NUMBER,
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
                table.reject(line, end, c, table.raw_line(line, end) or escape_raw(str(raw)), reason,
                             f"expected {message} in column {c}; found {raw!r}")
        keep = ~flags.select(bad_any.alias("b"))["b"]
        frame = frame.filter(keep)
    typed = frame.with_columns(exprs) if exprs else frame
    typed = typed.drop([c for c in typed.columns if c.startswith("__t_")])
    if currency_column is None:
        for c, k in present.items():
            if k == "amount":
                curs = typed[f"{c}__currency"].drop_nulls().unique()
                if curs.len() > 1:
                    table.notes.append(f"column {c!r} mixes currencies {sorted(curs.to_list())}; "
                                       "amounts are kept per currency and never summed across them")
    return typed, fmt
