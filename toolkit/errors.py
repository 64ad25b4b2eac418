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
