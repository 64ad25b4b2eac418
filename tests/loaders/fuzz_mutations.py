"""Mutations of an export file, as Hypothesis strategies, and the properties a load of the mutated
export must keep: only the project's errors escape, every file's ledger adds up, and no deal id
that the mutated files do not hold appears in the result (no merged lines, no invented deals).

A mutation is a list of 1-3 steps, each named, so that a failure says what was done to which file.
"""

from __future__ import annotations

import re
import shutil
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

import toolkit
from toolkit import schema as S
from toolkit.errors import LedgerError, ToolkitError

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"

#: Every file of every sample export: (format folder, file name).
EXPORT_FILES: list[tuple[str, str]] = sorted(
    (folder.name, f.name) for folder in SAMPLES.iterdir() if folder.is_dir() for f in folder.iterdir() if f.is_file())

HOSTILE = (
    "=HYPERLINK(\"http://x\")", "=cmd|' /C calc'!A0", "+SUM(A1)", "@SUM(1)", "-1+1",
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "../../etc/passwd", "..\\..\\boot.ini",
    "CON", "nul", "a/b\\c:d*e?f\"g<h>i|j", "\x0b", "Ann\x0bLee", "\x1c\x1d\x1e", "\u2028", "Ann\u2029Lee",
    "\u202eevil\u202c", "\u200b", "\ufeffAnn", "Zoë 👩‍💼", "\U0001f600" * 20, "x" * 5000, "", " ", "\t",
    "Robert'); DROP TABLE deals;--", "${jndi:ldap://x}", "{{7*7}}", "%s%n", "NaN", "inf", "1e400", "-0",
    "null", "None", "true", "\"", "\"\"", ",", ";", "\r", "\n", "\\N", "\x00", "\x7f", "\ufffd",
)
ENCODINGS = ("utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "cp1252", "latin-1", "mac_roman", "utf-8", "cp850")
BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Step:
    """One change to a file's bytes; ``what`` says it in words for the failure report."""

    what: str
    apply: Callable[[bytes], bytes]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def _at_line(data: bytes, i: int, change: Callable[[list[bytes], int], None]) -> bytes:
    lines = _lines(data)
    change(lines, i % len(lines))
    return b"".join(lines)


def _text_of(data: bytes) -> tuple[str, str]:
    for enc in ("utf-8", "cp1252"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _reencode(data: bytes, enc: str) -> bytes:
    text, _ = _text_of(data)
    return text.encode(enc, "replace")


def _swap_field(line: bytes, k: int, value: bytes, delimiter: bytes) -> bytes:
    end = b"\r\n" if line.endswith(b"\r\n") else b"\n" if line.endswith(b"\n") else b""
    fields = line[:len(line) - len(end)].split(delimiter)
    fields[k % len(fields)] = value
    return delimiter.join(fields) + end


def _delimiter(data: bytes) -> bytes:
    head = data[:4096]
    return max((b",", b";", b"\t", b"|"), key=head.count)


def _rename_header(data: bytes, k: int, name: bytes) -> bytes:
    lines = _lines(data)
    lines[0] = _swap_field(lines[0], k, name, _delimiter(data))
    return b"".join(lines)


def _drop_header_field(data: bytes, k: int) -> bytes:
    lines = _lines(data)
    d = _delimiter(data)
    end = b"\r\n" if lines[0].endswith(b"\r\n") else b"\n" if lines[0].endswith(b"\n") else b""
    fields = lines[0][:len(lines[0]) - len(end)].split(d)
    del fields[k % len(fields)]
    lines[0] = d.join(fields) + end
    return b"".join(lines)


JSON_VALUES = (b'"x"', b"1", b"-1.5e300", b"null", b"true", b"[]", b"{}", b'{"a": {"b": []}}', b'"\\u2028"',
               b'"\\ud800"', b'""')
_JSON_KEY = re.compile(rb'"[A-Za-z_]+":\s*')
_JSON_VALUE = re.compile(rb'\{[^{}]*\}|"(?:[^"\\]|\\.)*"|[^,}\]]+')


def _json_value(line: bytes, k: int, value: bytes) -> bytes:
    """The line with the value after its k-th JSON key (counted modulo the keys) replaced."""
    keys = list(_JSON_KEY.finditer(line))
    if not keys:
        return line
    start = keys[k % len(keys)].end()
    m = _JSON_VALUE.match(line, start)
    return line[:start] + value + line[m.end() if m else start:]


def _cut(line: bytes, keep: float) -> bytes:
    body = line.rstrip(b"\r\n")
    return body[:int(keep * len(body))] + line[len(body):]


def _move_line_up(lines: list[bytes], i: int) -> None:
    lines.insert(0, lines.pop(i))


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One mutation step, its positions drawn as fractions of the file so any size fits."""
    kind = draw(st.sampled_from(("flip", "truncate", "cut_line", "delete_line", "double_line", "stray_quote", "nul",
                                 "bom", "mid_bom", "encoding", "rename_header", "drop_header_field", "hostile",
                                 "trailing_delimiter", "newlines", "line_above_header", "deep_json",
                                 "json_value")))
    at = draw(st.floats(0, 1, exclude_max=True))
    pos = lambda data: int(at * len(data))  # noqa: E731 - a position in whichever file the step meets
    line_no = lambda data: int(at * len(_lines(data)))  # noqa: E731
    if kind == "flip":
        byte = draw(st.integers(0, 255))
        return Step(f"byte at {at:.4f} of the file set to {byte:#04x}",
                    lambda d: d[:pos(d)] + bytes([byte]) + d[pos(d) + 1:])
    if kind == "truncate":
        return Step(f"truncated at {at:.4f} of the file", lambda d: d[:pos(d)])
    if kind == "cut_line":
        keep = draw(st.floats(0, 1, exclude_max=True))
        return Step(f"line at {at:.4f} cut after {keep:.2f} of it (its line end kept)",
                    lambda d: _at_line(d, line_no(d), lambda ls, i: ls.__setitem__(i, _cut(ls[i], keep))))
    if kind == "delete_line":
        return Step(f"line at {at:.4f} deleted", lambda d: _at_line(d, line_no(d), lambda ls, i: ls.pop(i) and None))
    if kind == "double_line":
        return Step(f"line at {at:.4f} doubled", lambda d: _at_line(d, line_no(d), lambda ls, i: ls.insert(i, ls[i])))
    if kind in ("stray_quote", "nul"):
        char = {"stray_quote": b'"', "nul": b"\x00"}[kind]
        return Step(f"{char!r} inserted at {at:.4f}", lambda d: d[:pos(d)] + char + d[pos(d):])
    if kind == "bom":
        bom = draw(st.sampled_from(BOMS))
        return Step(f"BOM {bom!r} prepended", lambda d: bom + d)
    if kind == "mid_bom":
        return Step(f"UTF-8 BOM at the start of the line at {at:.4f}",
                    lambda d: _at_line(d, line_no(d), lambda ls, i: ls.__setitem__(i, b"\xef\xbb\xbf" + ls[i])))
    if kind == "encoding":
        enc = draw(st.sampled_from(ENCODINGS))
        return Step(f"re-encoded as {enc}", lambda d: _reencode(d, enc))
    if kind == "rename_header":
        k = draw(st.integers(0, 60))
        name = draw(st.sampled_from(("", " ", "Id", "deal_id", "Amount", "Stage", "x" * 300, "\"", "Ré\u0301f",
                                     "Deal - ID", "Record ID", "StageName", "Opportunity ID")))
        return Step(f"header field {k} renamed to {name!r}", lambda d: _rename_header(d, k, name.encode()))
    if kind == "drop_header_field":
        k = draw(st.integers(0, 60))
        return Step(f"header field {k} dropped", lambda d: _drop_header_field(d, k))
    if kind == "hostile":
        k = draw(st.integers(0, 60))
        value = draw(st.sampled_from(HOSTILE))
        quoted = draw(st.booleans())
        raw = ('"' + value.replace('"', '""') + '"' if quoted else value).encode()
        return Step(f"field {k} of the line at {at:.4f} set to {raw[:60]!r}",
                    lambda d: _at_line(d, line_no(d), lambda ls, i: ls.__setitem__(
                        i, _swap_field(ls[i], k, raw, _delimiter(d)))))
    if kind == "trailing_delimiter":
        every = draw(st.integers(1, 7))
        return Step(f"a delimiter appended to every {every}th line",
                    lambda d: b"".join(line.rstrip(b"\r\n") + _delimiter(d) + line[len(line.rstrip(b"\r\n")):]
                                       if i % every == 1 else line for i, line in enumerate(_lines(d))))
    if kind == "newlines":
        style = draw(st.sampled_from((b"\r\n", b"\r", b"\n")))
        return Step(f"line ends made {style!r}",
                    lambda d: style.join(d.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")))
    if kind == "line_above_header":
        return Step(f"line at {at:.4f} moved above the header", lambda d: _at_line(d, line_no(d), _move_line_up))
    if kind == "json_value":
        k = draw(st.integers(0, 20))
        value = draw(st.sampled_from(JSON_VALUES))
        return Step(f"JSON value {k} of the line at {at:.4f} set to {value!r}",
                    lambda d: _at_line(d, line_no(d), lambda ls, i: ls.__setitem__(i, _json_value(ls[i], k, value))))
    depth = draw(st.integers(10, 5000))
    return Step(f"a line nested {depth} deep inserted at {at:.4f}",
                lambda d: _at_line(d, line_no(d), lambda ls, i: ls.insert(
                    i, b'{"data": ' + b"[" * depth + b"]" * depth + b"}\n")))


mutations = st.lists(steps(), min_size=1, max_size=3)


@dataclass(frozen=True)
class Outcome:
    """What a load of a mutated export did: the escape (None if it kept every property)."""

    escape: str | None
    error: str | None = None


def _texts(data: bytes, encoding: str | None) -> list[str]:
    """The file as the loader may have read it, in every plausible decoding, with what the loader
    removes (NUL bytes, BOMs) removed and quoting undone."""
    out = []
    for enc in {encoding or "utf-8", "utf-8", "cp1252", "utf-16"}:
        try:
            text = data.decode(enc, "replace")
        except LookupError:
            continue
        text = text.replace("\x00", "").replace("\ufeff", "")
        out += [text, text.replace('""', '"')]
    return out


def check_load(fmt: str, name: str, mutation: list[Step], workdir: Path) -> Outcome:
    """Load the sample export ``fmt`` with ``name`` mutated; the escape, if any property broke."""
    folder = workdir / fmt
    shutil.copytree(SAMPLES / fmt, folder)
    data = (SAMPLES / fmt / name).read_bytes()
    for step in mutation:
        data = step.apply(data)
    (folder / name).write_bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ds = toolkit.load(folder)
    except LedgerError as e:
        return Outcome(f"ledger broken: LedgerError: {e}")
    except ToolkitError as e:
        return Outcome(None, f"{type(e).__name__}: {e}")
    except Exception as e:  # the property under test: nothing else may escape
        where = traceback.extract_tb(e.__traceback__)[-1]
        return Outcome(f"{type(e).__qualname__} at {Path(where.filename).name}:{where.lineno}: {str(e)[:300]}")
    f = ds.files
    broken = f.filter(f["row_lines"] + f["rejected"] + f["skipped"] != f["lines_in"])
    if broken.height:
        return Outcome(f"ledger broken: {broken.select('file', 'lines_in', 'row_lines', 'rejected', 'skipped').rows()}")
    files = {row["file"]: row for row in f.iter_rows(named=True)}
    texts = {n: _texts((folder / n).read_bytes(), files[n]["encoding"] if n in files else None)
             for n in (p.name for p in folder.iterdir())}
    deal_files = [n for n, row in files.items() if row["role"] == "deals"]
    for table, where in ((ds.deals, deal_files), (ds.stage_events, list(texts))):
        ids = table[S.DEAL_ID].drop_nulls().unique().to_list() if S.DEAL_ID in table.columns else []
        invented = [i for i in ids if not any(i in t for n in where for t in texts.get(n, ()))]
        if invented:
            return Outcome(f"{len(invented)} deal id(s) in {'deals' if table is ds.deals else 'stage_events'} "
                           f"that no input holds, e.g. {invented[:3]!r}")
    return Outcome(None)
