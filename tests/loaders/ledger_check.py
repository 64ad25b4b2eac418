"""The ledger assertion the loader tests share (a module name of its own, so no other test folder's
helpers shadow it)."""

from __future__ import annotations

from toolkit.loaders.raw import RawTable, ledger_counts


def check_ledger(table: RawTable) -> tuple[int, int, int]:
    """(row lines, rejected lines, skipped lines); asserts they add up to lines_in."""
    counts = ledger_counts(table)
    assert sum(counts) == table.lines_in, f"ledger {counts} != lines_in {table.lines_in}"
    return counts
