"""Typing text columns: ids, amounts with their currencies, dates, booleans.

Formats are decided once per file, never per cell: a file's date order (ISO, month-first or
day-first) and its decimal separator come from a declaration or from the evidence of all its
values. A value that does not fit the file's format becomes a reject with its line, column and
raw text; it never turns into a silent null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from toolkit import schema as S
from toolkit.errors import FormatDetectionError
from toolkit.loaders.raw import ROW_END_LINE, ROW_LINE, RawTable, escape_raw

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


#: Texts that read as a day over 12 first, or a month over 12 second: the evidence that settles the
#: order of dates that read either way. No ISO date matches either (it starts with a 4-digit year).
_DAY_FIRST = r"^\s*(1[3-9]|2\d|3[01])[/.-]\d{1,2}[/.-]\d{2,4}"
_MONTH_FIRST = r"^\s*\d{1,2}[/.-](1[3-9]|2\d|3[01])[/.-]\d{2,4}"


def _strided(frame: pl.DataFrame, column: str, text: pl.Expr, size: int) -> pl.Series:
    """About ``size`` of a column's values (``text``: the column with its null tokens as nulls),
    evenly spaced, nulls left out: evidence read without copying the whole column."""
    s = frame[column]
    stride = max(1, (s.len() - s.null_count()) // size)
    taken = frame.select(pl.col(column).gather_every(stride)) if stride > 1 else frame.select(column)
    return taken.select(text.cast(pl.String).alias("v")).to_series().drop_nulls()


def _style_sample(samples: Iterable[pl.Series]) -> pl.Series:
    """The distinct date texts of the columns' samples, at most DETECT_SAMPLE of them."""
    values = pl.concat([s.alias("v") for s in samples]).unique(maintain_order=True)
    values = values.filter(~values.str.to_lowercase().str.strip_chars().is_in(list(TYPED_NULLS)))
    if values.len() > DETECT_SAMPLE:
        values = values.gather_every(values.len() // DETECT_SAMPLE)
    return values


def _style_scores(values: pl.Series) -> dict[str, int]:
    return {name: int(parse_datetimes(values, name).is_not_null().sum()) for name in DATE_STYLES}


def _needs_day_month_counts(scores: Mapping[str, int]) -> bool:
    """Whether the sample reads both month-first and day-first as well as any order: only a day
    (or month) over 12 anywhere in the file can settle it."""
    best = max(scores.values())
    top = {n for n, sc in scores.items() if sc == best}
    return len(top) > 1 and {"mdy", "dmy"} <= top


def _day_month_counts(values: pl.Series) -> tuple[int, int]:
    """(texts that read day-first only, texts that read month-first only)."""
    return int(values.str.contains(_DAY_FIRST).sum()), int(values.str.contains(_MONTH_FIRST).sum())


def _settle_style(scores: Mapping[str, int], sample: pl.Series, default: str | None, file: str,
                  counts: tuple[int, int] | None) -> str:
    """The date order from the sample's scores and, where the sample reads both ways, the whole
    file's ``counts`` (:func:`_day_month_counts`)."""
    best = max(scores.values())
    top = [n for n, sc in scores.items() if sc == best]
    if len(top) == 1:
        return top[0]
    if {"mdy", "dmy"} <= set(top) and counts is not None:
        day_first, month_first = counts
        if day_first != month_first:
            return "dmy" if day_first > month_first else "mdy"
    if default is not None and default in top:
        return default
    if "iso" in top:
        return "iso"
    raise FormatDetectionError(
        "dates whose order (day-first or month-first) can be told from the data",
        f"{best} date values in {file} that read either way, e.g. {sample.head(3).to_list()}",
        "set date_format (e.g. '%d/%m/%Y') in the mapping, or --date-style on the command line")


def detect_date_style(frame: pl.DataFrame, columns: Iterable[str], default: str | None, file: str) -> str:
    """The one date order that fits the file's date columns best.

    Scored on the distinct date texts of the file (a strided sample of 50,000 when there are more).
    A tie between month-first and day-first (every day <= 12) is settled by a day over 12 anywhere
    in the file, else by ``default`` (the source format's own convention or the mapping), else it
    is an error: guessing would swap months and days silently."""
    cols = [c for c in columns if c in frame.columns]
    if not cols:
        return default or "iso"
    values = _style_sample(_strided(frame, c, pl.col(c), 4 * DETECT_SAMPLE) for c in cols)
    if values.is_empty():
        return default or "iso"
    scores = _style_scores(values)
    counts = None
    if _needs_day_month_counts(scores):
        counts = _day_month_counts(pl.concat([frame[c].drop_nulls().cast(pl.String) for c in cols]))
    return _settle_style(scores, values, default, file, counts)


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


def _decimal_counts(values: pl.LazyFrame) -> tuple[int, int]:
    """(values showing '.' as decimal, values showing ',') of a column ``v`` of amounts."""
    # Digits with at most one '.' (most amounts) are their own digits: one regex tells whether
    # they show a decimal point, and none can show a comma. The rest take every rule.
    simple = pl.col("v").str.contains(r"^\d+(\.\d+)?$")
    digits, _neg, _cur = _number_parts(pl.col("v"))
    dot, comma = _decimal_evidence(digits)
    a, b = pl.collect_all([
        values.filter(simple).select(pl.col("v").str.contains(r"^\d+\.(\d{1,2}|\d{4,})$").sum().alias("d"),
                                     pl.lit(0).alias("c")),
        values.filter(~simple).select(dot.sum().alias("d"), comma.sum().alias("c"))])
    return int(a["d"][0]) + int(b["d"][0]), int(a["c"][0]) + int(b["c"][0])


def detect_decimal(frame: pl.DataFrame, columns: Iterable[str], file: str,
                   texts: Mapping[str, pl.Expr] | None = None) -> str | None:
    """'.' or ',' from the values' evidence, None when no value shows it. ``texts`` are the
    columns with their null tokens as nulls (default: the columns as they are)."""
    cols = [c for c in columns if c in frame.columns]
    if not cols:
        return None
    text = {c: (texts or {}).get(c, pl.col(c)) for c in cols}
    size = max(1, DETECT_SAMPLE // len(cols))
    partial = any(frame[c].len() - frame[c].null_count() >= 2 * size for c in cols)
    sample = pl.concat([_strided(frame, c, text[c], size) for c in cols]).to_frame()
    n_dot, n_comma = _decimal_counts(sample.lazy())
    if bool(n_dot) == bool(n_comma) and partial:
        # The sample shows both separators or neither: only all the values can tell. Only a value
        # holding a '.' or a ',' can show one.
        every = pl.concat([frame.lazy().select(text[c].cast(pl.String).alias("v")) for c in cols])
        n_dot, n_comma = _decimal_counts(every.filter(pl.col("v").str.contains_any([".", ","])))
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


def _plain_pattern(decimal: str | None) -> str:
    """Texts that read the same under every rule of parse_number_expr, so a cast reads them
    ("1.234" with no decimal known is ambiguous, so it is not plain then)."""
    return {",": r"^-?\d+$", ".": r"^-?\d+(\.\d+)?$"}.get(
        decimal or "", r"^-?(\d+|\d+\.(\d{1,2}|\d{4,})|\d{4,}\.\d{3})$")


def _formatted_numbers(texts: pl.Series, decimal: str | None) -> pl.DataFrame:
    """(value, currency, ambiguous) of amounts that are not plain numbers (symbols, thousands
    separators, brackets), parsed once per distinct text. Infinite values (``1e400``) are invalid:
    null here, a reject for the caller."""
    v, cur, amb = parse_number_expr(pl.col("t"), decimal)
    parsed = texts.unique().to_frame("t").select("t", v.alias("v"), cur.alias("c"), amb.alias("a"))
    mapped = texts.to_frame("t").join(parsed, on="t", how="left", maintain_order="left", nulls_equal=False)
    return mapped.select(pl.when(pl.col("v").is_finite()).then(pl.col("v")).alias("value"),
                         pl.col("c").alias("currency"), pl.col("a").fill_null(False).alias("ambiguous"))


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


_YEAR_1000 = pl.lit(dt.datetime(1000, 1, 1), S.DATETIME)


@dataclass(frozen=True)
class _DatePass:
    """The one format a date column is read with in the pass over all columns; the values it does
    not read (few, or none) are then read with every format of the file (:func:`parse_datetimes`)."""

    fmt: str | None  # None: no format reads the sample, every value takes the careful path
    strip_zone: bool = False
    #: polars' cache of parsed texts pays where texts repeat (dates), not for distinct timestamps.
    cache: bool = True

    def expr(self, text: pl.Expr) -> pl.Expr:
        if self.fmt is None:
            return pl.lit(None, S.DATETIME)
        t = text.str.replace(_ZONE, "") if self.strip_zone else text
        parsed = t.str.to_datetime(self.fmt, strict=False, time_unit="us", cache=self.cache)
        if "%Y" in self.fmt:
            parsed = pl.when(parsed >= _YEAR_1000).then(parsed)  # never year 25 from "25"
        return parsed


def _date_pass(sample: pl.Series, style: str, explicit: Sequence[str]) -> _DatePass:
    """The format that reads most of a column's sample (explicit formats: the first)."""
    some = sample.gather_every(max(1, sample.len() // 20_000))  # enough to tell repeats from distinct texts
    cache = some.len() < 1000 or some.n_unique() * 2 < some.len()
    if explicit:
        return _DatePass(explicit[0], cache=cache)
    probe = sample.gather_every(max(1, sample.len() // 500))
    if probe.is_empty():
        return _DatePass(None)
    formats = _formats(style)
    for strip_zone in (False, True):
        # Without explicit formats no format reads a zone suffix: stripping it first (only where
        # no format reads the texts as they are) reads a value exactly as the careful path would.
        hits = probe.to_frame("v").select(_DatePass(f, strip_zone).expr(pl.col("v")).is_not_null().sum().alias(str(i))
                                          for i, f in enumerate(formats)).row(0)
        best = max(range(len(formats)), key=lambda i: hits[i])
        if hits[best]:
            return _DatePass(formats[best], strip_zone, cache)
    return _DatePass(None)


def _token_mask(column: str, kind: Kind, tokens: Sequence[str] | None) -> pl.Expr | None:
    """Whether each value of the column is one of its null tokens (None: the column has none).
    Only typed columns get the wide default list."""
    if tokens is None:
        tokens = [] if kind in ("text", "id") else list(TYPED_NULLS)
    # Values arrive stripped; matching the usual spellings of each token spares a lower-cased copy
    # of every column.
    return pl.col(column).is_in(case_variants(tokens)) if tokens else None


def _null_tokens(column: str, token: pl.Expr | None) -> pl.Expr:
    """The column with its null tokens (``token``, from :func:`_token_mask`) as nulls."""
    return pl.col(column) if token is None else pl.when(token).then(None).otherwise(pl.col(column))


def _second_look(table: RawTable, out: pl.DataFrame, present: Mapping[str, Kind], style: str, dec: str | None,
                 date_formats: Sequence[str], pending: tuple[dict[str, int], pl.Series, str | None] | None
                 ) -> tuple[pl.DataFrame, str]:
    """After the pass: the date texts it left unread, read with every format of the file; the
    formatted amounts, parsed once per distinct text; then the rejects, one per failing column in
    the order of the columns, and the frame without them. ``pending``: the sample's scores where
    the date order waits for the texts ISO does not read. Returns the frame and the date order."""
    frame = table.frame
    fixed: list[pl.Series] = []
    leftovers: dict[str, tuple[pl.Series, pl.Series]] = {}
    for c, k in present.items():
        if k in ("date", "datetime"):
            todo = out[f"__nn_{c}"] & out[f"__t_{c}"].is_null()
            if todo.any():
                idx = todo.arg_true()
                leftovers[c] = (idx, frame[c].gather(idx))
    if pending is not None:
        # Tentatively ISO: the texts ISO does not read are all that can settle the order.
        scores, sample, default = pending
        rest = [v.filter(parse_datetimes(v, "iso").is_null()) for _i, v in leftovers.values()]
        counts = _day_month_counts(pl.concat(rest)) if rest else (0, 0)
        style = _settle_style(scores, sample, default, table.file, counts)
    for c, (idx, values) in leftovers.items():
        parsed = parse_datetimes(values, style, date_formats)
        ok = parsed.is_not_null()
        if ok.any():
            fixed.append(out[f"__t_{c}"].clone().scatter(idx.filter(ok), parsed.filter(ok)))
    for c, k in present.items():
        if k not in ("amount", "number") or not out[f"__np_{c}"].any():
            continue
        idx = out[f"__np_{c}"].arg_true()
        numbers = _formatted_numbers(frame[c].gather(idx), dec)
        n = out.height
        fixed += [out[f"__t_{c}"].clone().scatter(idx, numbers["value"]),
                  pl.repeat(None, n, dtype=pl.String, eager=True).alias(f"__cur_{c}").scatter(idx, numbers["currency"]),
                  pl.repeat(False, n, eager=True).alias(f"__amb_{c}").scatter(idx, numbers["ambiguous"])]
    if fixed:
        out = out.with_columns(fixed)

    checks: list[tuple[str, pl.Expr, S.Reason, str]] = []
    for c, k in present.items():
        nn, typed = pl.col(f"__nn_{c}"), pl.col(f"__t_{c}")
        if k == "id":
            checks.append((c, pl.col(f"__bad_{c}"), S.Reason.INVALID_ID,
                           ("an id as text; found a number in scientific notation (a spreadsheet rounded it), the "
                            "real id is lost")))
        elif k in ("date", "datetime"):
            what = ", ".join(date_formats) if date_formats else STYLE_NAMES[style]
            checks.append((c, nn & typed.is_null(), S.Reason.INVALID_DATE, f"a date in the file's format {what}"))
        elif k in ("amount", "number"):
            amb = pl.col(f"__amb_{c}") if f"__amb_{c}" in out.columns else pl.lit(False)
            checks.append((c, nn & amb, S.Reason.AMBIGUOUS_NUMBER,
                           ("a number whose decimal separator the file shows; '1,234' could be 1234 or "
                           "1.234 (set decimal in the mapping)")))
            checks.append((c, nn & ~amb & typed.is_null(), S.Reason.INVALID_NUMBER,
                           f"a finite number with decimal separator {dec!r}" if dec else "a finite number"))
        elif k == "bool":
            checks.append((c, nn & typed.is_null(), S.Reason.INVALID_NUMBER, "a boolean (true/false, yes/no, 1/0)"))
    if not checks:
        return out, style
    flags = out.select([expr.alias(f"__bad{i}") for i, (_c, expr, _r, _m) in enumerate(checks)])
    bad = flags.select(pl.any_horizontal(pl.all()).alias("b")).to_series()
    if not bad.any():
        return out, style
    for i, (c, _expr, reason, message) in enumerate(checks):
        hits = frame.filter(flags[f"__bad{i}"]).select(ROW_LINE, ROW_END_LINE, c)
        for line, end, raw in hits.iter_rows():
            table.reject(line, end, c, table.raw_line(line, end) or escape_raw(str(raw)), reason,
                         f"expected {message} in column {c}; found {raw!r}")
    return out.filter(~bad), style


def cast_columns(table: RawTable, kinds: Mapping[str, Kind], *, date_default: str | None = None,
                 date_style: str | None = None,
                 decimal: str | None = None, date_formats: Sequence[str] = (),
                 null_tokens: Mapping[str, Sequence[str]] | None = None,
                 currency_column: str | None = None) -> tuple[pl.DataFrame, FileFormat]:
    """Type the named columns of ``table.frame``; rows with a value that does not fit are moved to
    ``table.rejects`` (one reject per failing column) and left out of the returned frame.

    Amount columns also yield ``<column>__currency`` with the currency found in the text.

    The file's formats are decided first, from samples of its values (and all of them where a
    sample cannot tell); then every column is typed in one pass over the frame, each date column
    with the one format that reads its sample, each amount column by a cast where its text is a
    plain number. Only the values that pass leaves unread are read again, with every format the
    file allows, or parsed once per distinct text (formatted amounts).
    """
    null_tokens = null_tokens or {}
    frame = table.frame
    present = {c: k for c, k in kinds.items() if c in frame.columns}
    tokens = {c: _token_mask(c, k, null_tokens.get(c)) for c, k in present.items()}
    text = {c: _null_tokens(c, tokens[c]) for c in present}
    date_cols = [c for c, k in present.items() if k in ("date", "datetime")]
    amount_cols = [c for c, k in present.items() if k in ("amount", "number")]

    # --- the file's formats, from the evidence ---
    samples = {c: _strided(frame, c, text[c], 4 * DETECT_SAMPLE) for c in date_cols}
    style = "iso"
    scores: dict[str, int] | None = None
    style_sample = pl.Series("v", [], pl.String)
    if date_style is not None:
        style = date_style  # declared (a mapping): values that do not fit are rejected, not re-read
    elif date_cols and not date_formats:
        style_sample = _style_sample(samples.values())
        if style_sample.is_empty():
            style = date_default or "iso"
        else:
            scores = _style_scores(style_sample)
            if not _needs_day_month_counts(scores):
                style = _settle_style(scores, style_sample, date_default, table.file, None)
                scores = None
            elif scores["iso"] < max(scores.values()):
                # Texts read both ways and not as ISO: count over the whole file now.
                every = pl.concat([frame.select(text[c].alias("v")).to_series().drop_nulls() for c in date_cols])
                style = _settle_style(scores, style_sample, date_default, table.file, _day_month_counts(every))
                scores = None
            # else: ISO reads the sample as well as both orders; the pass below reads the ISO
            # texts, and only the texts it leaves can show a day or month over 12.
    dec = decimal or (detect_decimal(frame, amount_cols, table.file, text) if amount_cols else None)

    # --- one pass over all columns ---
    passes = {c: _date_pass(samples[c], style, date_formats) for c in date_cols}
    plain = _plain_pattern(dec)
    exprs: list[pl.Expr] = []
    flagged: list[pl.Expr] = []  # what the pass itself finds unread or invalid
    for c, k in present.items():
        t, typed, nn = text[c], pl.col(f"__t_{c}"), pl.col(f"__nn_{c}")
        # A typed column is read from its text as it is: no null token reads as a value of its kind
        # (a mapping's own tokens are masked out of the typed values), so the text need not be
        # copied without them first; they only keep a value from counting as written.
        token = tokens[c]
        raw = pl.col(c)
        written = raw.is_not_null() if token is None else raw.is_not_null() & ~token
        if k == "id":
            exprs += [t.alias(c), t.str.contains(r"^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$").fill_null(False)
                      .alias(f"__bad_{c}")]
            flagged.append(pl.col(f"__bad_{c}"))
        elif k == "text":
            exprs.append(t.alias(c))
        else:
            exprs.append(written.alias(f"__nn_{c}"))
            if k in ("date", "datetime"):
                value = passes[c].expr(raw)
            elif k in ("amount", "number"):
                number = raw.cast(pl.Float64, strict=False)
                value = pl.when(number.is_finite()).then(number)
                exprs.append((written & ~raw.str.contains(plain)).alias(f"__np_{c}"))
                flagged.append(pl.col(f"__np_{c}"))
            else:  # bool
                true, false = case_variants(_TRUE), case_variants(_FALSE)
                value = pl.when(raw.is_in(true)).then(True).when(raw.is_in(false)).then(False).otherwise(None)
            exprs.append((value if token is None else pl.when(written).then(value)).alias(f"__t_{c}"))
            flagged.append(nn & typed.is_null())
    out = frame
    if exprs:
        # One query on the in-memory engine: every column it makes is cut into the reader's chunks,
        # so what later combines columns of the frame needs no realignment.
        out = (frame.lazy().with_columns(exprs)
               .with_columns((pl.any_horizontal(flagged) if flagged else pl.lit(False)).alias("__flagged"))
               .collect(engine="in-memory"))
    if exprs and out["__flagged"].any():
        out, style = _second_look(table, out, present, style, dec, date_formats,
                                  None if scores is None else (scores, style_sample, date_default))
    elif scores is not None:
        style = _settle_style(scores, style_sample, date_default, table.file, (0, 0))  # nothing but ISO
    fmt = FileFormat(style, dec, tuple(date_formats))

    # --- the typed frame: the columns in their order, then the currencies found in amounts ---
    typed_cols: list[pl.Expr] = []
    for c in frame.columns:
        kind = present.get(c)
        if kind in ("date", "datetime", "amount", "number", "bool"):
            value = pl.col(f"__t_{c}")
            typed_cols.append((value.cast(pl.Date) if kind == "date" else value).alias(c))
        else:
            typed_cols.append(pl.col(c))
    for c in amount_cols:
        if present[c] == "amount":
            cur = pl.col(f"__cur_{c}") if f"__cur_{c}" in out.columns else pl.lit(None, pl.String)
            typed_cols.append(cur.alias(f"{c}__currency"))
    result = out.select(typed_cols)
    if currency_column is None:
        for c in amount_cols:
            if present[c] == "amount":
                curs = result[f"{c}__currency"].drop_nulls().unique()
                if curs.len() > 1:
                    table.notes.append(f"column {c!r} mixes currencies {sorted(curs.to_list())}; "
                                       "amounts are kept per currency and never summed across them")
    return result, fmt
