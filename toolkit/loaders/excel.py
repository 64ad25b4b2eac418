"""Excel (.xlsx) sheets as text columns with the same ledger as delimited files.

Cell values are turned into the text the CSV path would see: dates as ISO text (openpyxl applies
the workbook's 1900 or 1904 date system), numbers with '.' as decimal, and serial numbers in date
columns converted with the workbook's epoch. A formula cell without a cached value cannot be
trusted (it would read as empty): the file is rejected rather than loaded with holes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from toolkit.errors import InputFileError, SchemaError
from toolkit.filebytes import sha256_of
from toolkit.loaders.layout import _find_header, _header_names, _norm
from toolkit.loaders.raw import ROW_END_LINE, ROW_LINE, RawTable


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def read_xlsx(path: Path, *, display_name: str | None = None, sheet: str | None = None,
              expected: Sequence[str] = (), date_columns: Sequence[str] = (), required_any: int = 2) -> RawTable:
    """Read one sheet: the named one, else the first visible sheet."""
    import openpyxl
    from openpyxl.utils.datetime import from_excel

    name = display_name or str(path)
    data = path.read_bytes()
    if not data:
        raise InputFileError("an Excel workbook", f"{name} is empty (0 bytes)", "re-run the export")
    try:
        values_wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        formulas_wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises several unrelated types for a broken file
        raise InputFileError("a readable .xlsx workbook", f"{name}: {exc}", "open and re-save it in Excel") from exc
    visible = [ws.title for ws in values_wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
    if sheet is not None and sheet not in values_wb.sheetnames:
        raise SchemaError(f"a sheet named {sheet!r}", f"sheets {values_wb.sheetnames} in {name}",
                          "set sheet: in the mapping to one of them")
    title = sheet or (visible[0] if visible else values_wb.sheetnames[0])
    ws, wf = values_wb[title], formulas_wb[title]
    rows = [[_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    formula_rows = list(wf.iter_rows(values_only=True))
    epoch = values_wb.epoch
    values_wb.close()
    formulas_wb.close()
    for r, (vals, forms) in enumerate(zip(rows, formula_rows, strict=False), start=1):
        for c, (v, f) in enumerate(zip(vals, forms, strict=False), start=1):
            if v is None and isinstance(f, str) and f.startswith("="):
                raise InputFileError("cells with values", f"a formula without a cached value at row {r}, column {c} "
                                     f"of sheet {title!r} in {name} ({f[:40]})",
                                     "open the workbook in Excel and save it, so formulas are calculated")
    table = RawTable(file=name, sha256=sha256_of(data), frame=pl.DataFrame(), header=[], lines_in=len(rows),
                     encoding="xlsx", delimiter="", header_line=0)
    table.notes.append(f"sheet {title!r}" + (" (1904 date system)" if epoch.year == 1904 else ""))
    blank = [all(v is None or not str(v).strip() for v in row) for row in rows]
    cands = [(i + 1, [v or "" for v in row]) for i, row in enumerate(rows) if not blank[i]]
    hidx = _find_header(cands, expected, required_any, name)
    hline = cands[hidx][0]
    header = _header_names(cands[hidx][1], name, hline, table.repeats)
    # Trailing empty header cells are the sheet's used range, not columns.
    while header and header[-1].startswith("unnamed_") and all(
            len(r) < len(header) or r[len(header) - 1] is None for r in rows[hline:]):
        header.pop()
    table.header, table.header_line = header, hline
    for i in range(hline - 1):
        table.skipped["blank" if blank[i] else "preamble"] += 1
    table.skipped["header"] += 1
    want_dates = {_norm(c) for c in date_columns}
    date_idx = [i for i, h in enumerate(header) if _norm(h) in want_dates]
    body, lines = [], []
    for i in range(hline, len(rows)):
        if blank[i]:
            table.skipped["blank"] += 1
            continue
        row = (rows[i] + [None] * len(header))[: len(header)]
        for j in date_idx:
            v = row[j]
            if v is not None and v.replace(".", "", 1).isdigit():
                row[j] = _text(from_excel(float(v), epoch=epoch))
        body.append(row)
        lines.append(i + 1)
    frame = pl.DataFrame({f"c{j}": [r[j] for r in body] for j in range(len(header))},
                         schema={f"c{j}": pl.String for j in range(len(header))})
    frame = frame.rename({f"c{j}": h for j, h in enumerate(header)}).with_columns(
        pl.col(h).str.strip_chars().replace("", None) for h in header
    ).with_columns(pl.Series(ROW_LINE, lines, dtype=pl.Int64), pl.Series(ROW_END_LINE, lines, dtype=pl.Int64))
    table.frame = frame
    return table
