"""The error tree: every message says what was expected, what was found, and a hint."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

from toolkit import errors as E


def test_the_message_says_expected_found_hint() -> None:
    err = E.InputFileError("a CSV file", "an empty file", "export it again")
    assert str(err) == "expected a CSV file; found an empty file. Hint: export it again"
    assert (err.expected, err.found, err.hint) == ("a CSV file", "an empty file", "export it again")
    assert str(E.ConfigError("a stage name", "''")) == "expected a stage name; found ''"  # no hint, no "Hint:"


def test_the_tree() -> None:
    assert issubclass(E.SchemaError, E.InputFileError) and issubclass(E.FormatDetectionError, E.InputFileError)
    for cls in (E.InputFileError, E.ConfigError, E.LedgerError, E.ColumnNotFoundError, E.OutputError,
                E.UnknownTeamError, E.RunLockedError, E.ReportGateError, E.ReportExecutionError):
        assert issubclass(cls, E.ToolkitError)
    # a missing column is also a KeyError, as polars and pandas users catch it
    assert issubclass(E.ColumnNotFoundError, KeyError)
    # no class shadows a builtin
    import builtins

    assert not [name for name in vars(E) if isinstance(getattr(E, name), type) and hasattr(builtins, name)]


def test_a_missing_column_names_the_missing_and_the_present() -> None:
    with pytest.raises(KeyError) as caught:
        E.require_columns(pl.DataFrame({"deal_id": [1], "stage": ["x"]}), ["deal_id", "owner_id", "amount"], "deals")
    err = caught.value
    assert isinstance(err, E.ColumnNotFoundError)
    assert (err.missing, err.present) == (["owner_id", "amount"], ["deal_id", "stage"])
    # str() is the message itself, not KeyError's quoted repr
    assert str(err) == ("expected columns ['owner_id', 'amount'] in deals; found only ['deal_id', 'stage']. Hint: "
                        "pass a canonical table (toolkit.load(...).deals / .stage_events) or rename the columns to "
                        "the names in toolkit.schema")
    E.require_columns(pd.DataFrame({"a": [1], "b": [2]}), ("b", "a"))  # pandas frames too; nothing raised
    with pytest.raises(E.ColumnNotFoundError, match=r"columns \['a'\] in the frame; found only \[\]"):
        E.require_columns(object(), ["a"])


def test_an_execution_error_names_team_notebook_and_cell() -> None:
    err = E.ReportExecutionError("dach-1f77f8", "team_report.ipynb", 4, "ZeroDivisionError: division by zero",
                                 "see team_report.failed.ipynb")
    assert (err.team_id, err.notebook, err.cell) == ("dach-1f77f8", "team_report.ipynb", 4)
    assert str(err) == ("expected notebook team_report.ipynb to run for team dach-1f77f8; found cell 4: "
                        "ZeroDivisionError: division by zero. Hint: see team_report.failed.ipynb")
    assert str(E.ReportExecutionError("t", "n.ipynb", None, "died")) == (
        "expected notebook n.ipynb to run for team t; found the kernel: died")
