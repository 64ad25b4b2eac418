"""Writing tables for people to open in a spreadsheet, safely."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the manifest writes through write_atomic and must not cost a polars import
    import polars as pl

#: A spreadsheet runs a cell that starts with one of these as a formula (OWASP ASVS 1.2.10).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00")


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe.

    Only text columns are touched, so a negative amount stays a number."""
    import polars as pl

    exprs = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            col = pl.col(name)
            risky = pl.any_horizontal([col.str.starts_with(p) for p in FORMULA_PREFIXES]).fill_null(False)
            exprs.append(pl.when(risky).then(pl.lit("'") + col).otherwise(col).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write through a temporary file in the same folder, fsync, and rename over the target, so
    no reader ever sees half a file and a crash leaves the old one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv_atomic(frame: pl.DataFrame, path: Path) -> Path:
    """Write a CSV for spreadsheets: formulas neutralised, UTF-8 with BOM so Excel reads it as
    UTF-8, atomically."""
    write_atomic(Path(path), "\ufeff" + neutralise_formulas(frame).write_csv())
    return Path(path)
