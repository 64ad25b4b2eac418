"""What a file is before it is read as text: a binary file (an archive, a workbook under a .csv
name, a PDF, an image) is named as such instead of being decoded and printed as garbage."""

from __future__ import annotations

import csv
from pathlib import Path

# Leading bytes of the binary formats an export folder is likely to hold by mistake.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one: save it as .xlsx or export CSV)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel (.xls) or Office workbook: save it as .xlsx or CSV"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive: unpack it first"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive: unpack it first"),
    (b"Rar!", "a RAR archive: unpack it first"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"PAR1", "a Parquet file"),
)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
#: Control bytes (other than tab, newline, CR, form feed, and NUL, which UTF-16 and stray NULs
#: explain) above this share of the first bytes mean the file is not text.
_CONTROL_SHARE = 0.05


def binary_kind(head: bytes) -> str | None:
    """What the leading bytes of a file say it is, when it is not a text file; else None."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(_BOMS):
        return None
    sample = head[:4096]
    if not sample:
        return None
    control = sum(1 for b in sample if b < 32 and b not in (0, 9, 10, 12, 13))
    nul = sample.count(0)
    # UTF-16 without a BOM has a NUL in every other byte and no other control bytes.
    if control / len(sample) > _CONTROL_SHARE or (nul / len(sample) > 0.3 and control):
        return "a binary file, not text"
    return None


def binary_file_kind(path: Path) -> str | None:
    """:func:`binary_kind` of a file's first 4 KiB (None for a workbook read as one)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return None
    with path.open("rb") as fh:
        return binary_kind(fh.read(4096))


def first_line_fields(path: Path) -> list[str]:
    """The fields of a file's first non-blank line (its header, as the user wrote it)."""
    from toolkit.loaders.encodings import head_text
    from toolkit.loaders.layout import detect_delimiter

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - a broken workbook is the reader's error to report, not this one's
            return []
        try:
            for row in wb.worksheets[0].iter_rows(max_row=30, values_only=True):
                if any(v is not None and str(v).strip() for v in row):
                    return [str(v) if v is not None else "" for v in row]
            return []
        finally:
            wb.close()
    with path.open("rb") as fh:
        head = fh.read(65536)
    text = head_text(head)
    line = next((ln for ln in text.split("\n") if ln.strip()), "")
    return next(csv.reader([line], delimiter=detect_delimiter(text)), [])
