"""The process definition: the default ships, errors name the key and the line."""

from __future__ import annotations

import polars as pl
import pytest

from toolkit.errors import ConfigError
from toolkit.process import load_process, parse_process

GOOD = """\
name: Test
stages:
  - name: Qualify
    aliases: [Prospecting]
    max_days: 14
    required: [amount]
  - name: Propose
won: {name: Closed Won, aliases: [Won]}
lost: Closed Lost
"""


def test_default_process_ships_with_the_package() -> None:
    p = load_process()
    assert p.stage_names == ["Qualify", "Discover", "Propose", "Negotiate", "Closed Won", "Closed Lost"]
    assert [s.max_days for s in p.stages] == [14, 21, 21, 30]
    assert p.stages[2].required == ("amount", "close_date", "next_step")
    assert (p.review.minutes_per_deal, p.review.sample_per_rep, p.review.manager_hours_per_week) == (30, 3, 40)
    assert (p.allow.skip, p.allow.backward) == (False, False)


def test_parse_and_map_labels_case_insensitively() -> None:
    p = parse_process(GOOD)
    assert p.lost.name == "Closed Lost" and p.won.aliases == ("Won",)
    raw = pl.Series(["prospecting", " Qualify ", "WON", "Closed  Lost", "Negotiation"])
    mapped = pl.DataFrame({"r": raw}).select(p.stage_expr(pl.col("r"))).to_series().to_list()
    assert mapped == ["Qualify", "Qualify", "Closed Won", "Closed Lost", None]


@pytest.mark.parametrize(("text", "fragment"), [
    (GOOD.replace("max_days: 14", "max_days: ten"), "stages[0].max_days (line 5) to be a number; found 'ten'"),
    (GOOD.replace("max_days: 14", "max_days: -3"), "stages[0].max_days (line 5) to be a number >= 0"),
    (GOOD.replace("  - name: Propose\n", "  - nom: Propose\n"), "unknown key 'nom' at line 7"),
    (GOOD.replace("lost: Closed Lost\n", ""), "the key 'lost'"),
    (GOOD + "review: {sample_per_rep: 2.5}\n", "review.sample_per_rep (line 10) to be an integer >= 1"),
    (GOOD.replace("aliases: [Prospecting]", "aliases: [Won]"), "'Won' under both"),
    ("name: [unclosed\n", "a syntax error at line 2"),
    ("", "an empty file"),
])
def test_errors_name_the_key_and_line(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_process(text)
    assert fragment in str(err.value)


def test_missing_process_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="no file at"):
        load_process(tmp_path / "nope.yaml")
