"""A file's layout: delimiter, header, repeated header names, summary and footer rows."""

from __future__ import annotations

import pytest

from toolkit.errors import InputFileError, SchemaError
from toolkit.loaders.layout import _find_header, _footer_start, _header_names, detect_delimiter, is_summary


@pytest.mark.parametrize(("sample", "delimiter"), [("a;b;c\n1;2,5;3\n", ";"), ("a\tb\n1\t2\n", "\t"),
                                                    ("a|b\n1|2\n", "|"), ("a,b\n1,2\n", ",")])
def test_the_delimiter_is_the_one_that_splits_the_lines_alike(sample: str, delimiter: str) -> None:
    assert detect_delimiter(sample) == delimiter


def test_the_expected_header_names_settle_the_delimiter() -> None:
    # both split every line in two; only the semicolon gives the names the format knows
    assert detect_delimiter("Deal,x;Stage\n1,5;Won\n", expected=("Deal,x", "Stage")) == ";"


def test_the_header_is_the_first_leading_record_with_enough_known_names() -> None:
    candidates = [(1, ["Report: Pipeline"]), (2, ["Filtered by owner"]), (3, ["Id", "StageName", "Amount"])]
    assert _find_header(candidates, ("Id", "StageName", "CloseDate"), 2, "f.csv") == 2
    with pytest.raises(SchemaError, match="at least 2 of"):
        _find_header(candidates[:2], ("Id", "StageName"), 2, "f.csv")
    with pytest.raises(InputFileError, match="only blank lines"):
        _find_header([], (), 2, "f.csv")


def test_repeated_and_empty_header_names_get_names_of_their_own() -> None:
    repeats: dict[str, str] = {}
    names = _header_names(["Id", " Associated  Company ", "", "associated company", "Id (2)"], "f.csv", 1, repeats)
    assert names == ["Id", "Associated Company", "unnamed_3", "associated company (2)", "Id (2)"]
    assert repeats == {"associated company (2)": "Associated Company"}


@pytest.mark.parametrize("first", ["Total", "Grand Total", "Summe", "Totaux", "Sous-total", "TOTAL:", "Total (3)"])
def test_summary_words_of_report_tools(first: str) -> None:
    assert is_summary(["", first, "5"])


@pytest.mark.parametrize("first", ["Totally Ltd", "Subtotals Inc", "006A"])
def test_names_that_only_start_like_a_summary_word_are_data(first: str) -> None:
    assert not is_summary([first, "5"])


def test_the_footer_starts_at_the_blank_line_before_a_summary() -> None:
    # rows: data, data, blank, Total, copyright
    counts, blanks = [3, 3, 1, 3, 1], [False, False, True, False, False]
    raws = ["1,a,5", "2,b,6", "", "Total,,11", "Copyright 2026"]
    assert _footer_start(counts, blanks, raws, [False, False, False, True, False], 3) == 2


def test_a_narrow_last_row_without_a_marker_is_data_with_missing_fields() -> None:
    assert _footer_start([3, 3, 2], [False] * 3, ["1,a,5", "2,b,6", "3,c"], [False] * 3, 3) == 3
