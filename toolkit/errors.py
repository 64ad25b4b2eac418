"""The toolkit's exceptions: a small tree whose messages say what was expected, what was found,
and a hint."""

from __future__ import annotations


class ToolkitError(Exception):
    """Base of every error the toolkit raises on purpose."""

    def __init__(self, expected: str, found: str, hint: str = "") -> None:
        self.expected = expected
        self.found = found
        self.hint = hint
        message = f"expected {expected}; found {found}"
        if hint:
            message += f". Hint: {hint}"
        super().__init__(message)


class InputFileError(ToolkitError):
    """An input file cannot be used at all (empty, unreadable, unsupported encoding)."""


class SchemaError(InputFileError):
    """A file's columns are not what its format needs (missing, duplicated, unknown)."""


class FormatDetectionError(InputFileError):
    """The source format, a date format or a number locale cannot be decided from the data."""


class ConfigError(ToolkitError):
    """A process, mapping or roster file is invalid; the message names the key and the line."""


class LedgerError(ToolkitError):
    """Input lines are unaccounted for: lines_in != rows + rejected + skipped. A bug, never data."""


class ColumnNotFoundError(ToolkitError, KeyError):
    """A frame given to a toolkit function lacks a column the function needs."""

    def __init__(self, missing: list[str], present: list[str], what: str = "the frame") -> None:
        self.missing = list(missing)
        self.present = list(present)
        ToolkitError.__init__(self, f"columns {self.missing} in {what}", f"only {self.present}",
                              "pass a canonical table (toolkit.load(...).deals / .stage_events) or rename "
                              "the columns to the names in toolkit.schema")

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return Exception.__str__(self)


class OutputError(ToolkitError):
    """The output folder cannot be used (a file in its place, read-only, no space left)."""


class UnknownTeamError(ToolkitError):
    """A team id or name that the data does not hold."""


class RunLockedError(ToolkitError):
    """Another run holds the output folder's lock."""


class ReportGateError(ToolkitError):
    """A rendered report failed a check and is not published."""


class ReportExecutionError(ToolkitError):
    """A team's notebook failed, timed out, or its kernel died."""

    def __init__(self, team_id: str, notebook: str, cell: int | None, found: str, hint: str = "") -> None:
        self.team_id = team_id
        self.notebook = notebook
        self.cell = cell
        where = f"cell {cell}" if cell is not None else "the kernel"
        super().__init__(f"notebook {notebook} to run for team {team_id}", f"{where}: {found}", hint)


def require_columns(frame: object, columns: list[str] | tuple[str, ...], what: str = "the frame") -> None:
    """Raise :class:`ColumnNotFoundError` unless ``frame`` (anything with ``.columns``) has ``columns``."""
    present = list(getattr(frame, "columns", []))
    missing = [c for c in columns if c not in present]
    if missing:
        raise ColumnNotFoundError(missing, present, what)
