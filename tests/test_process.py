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


# --- one process per pipeline ------------------------------------------------------------------

PIPELINES = """\
name: Regions
allow: {skip: true}
review: {sample_per_rep: 2}
pipelines:
  NYC Schools:
    stages:
      - name: Intro
        aliases: [Erstkontakt]
        max_days: 7
      - name: Pilot
    won: Signed
    lost: Dropped
    entry_stages: [Intro, Pilot]
  Renewals:
    name: Renewal process
    stages:
      - name: Renewal Due
      - name: Quote
        required: [amount]
    won: {name: Renewed, aliases: [Closed Won]}
    lost: Churned
    allow: {backward: true}
"""


def test_a_process_per_pipeline() -> None:
    p = parse_process(PIPELINES)
    assert list(p.pipelines) == ["NYC Schools", "Renewals"]
    nyc, ren = p.pipelines["NYC Schools"], p.pipelines["Renewals"]
    assert nyc.stage_names == ["Intro", "Pilot", "Signed", "Dropped"] and nyc.name == "NYC Schools"
    assert nyc.entry_stage_names == ("Intro", "Pilot") and nyc.stages[0].max_days == 7
    assert ren.name == "Renewal process" and ren.stage_names == ["Renewal Due", "Quote", "Renewed", "Churned"]
    assert ren.entry_stage_names == ("Renewal Due",) and ren.stages[1].required == ("amount",)
    # allow and review at the top are each pipeline's defaults; a pipeline may override a part.
    assert (nyc.allow.skip, nyc.allow.backward) == (True, False)
    assert (ren.allow.skip, ren.allow.backward) == (True, True)
    assert nyc.review.sample_per_rep == ren.review.sample_per_rep == 2
    assert all(q.pipelines == {} for q in (nyc, ren))


@pytest.mark.parametrize(("name", "expected"), [
    ("NYC Schools", "NYC Schools"), ("  nyc   SCHOOLS ", "NYC Schools"), ("ＮＹＣ\u00a0Schools", "NYC Schools"),
    ("renewals", "Renewal process"), ("Texas", "Regions"), (None, "Regions")])
def test_for_pipeline_folds_unicode_spaces_and_case(name: str | None, expected: str) -> None:
    assert parse_process(PIPELINES).for_pipeline(name).name == expected


def test_without_top_level_stages_an_unnamed_pipeline_gets_the_first_pipelines_process() -> None:
    p = parse_process(PIPELINES)
    assert p.name == "Regions" and p.stage_names == ["Intro", "Pilot", "Signed", "Dropped"]
    assert p.allow.skip is True and p.review.sample_per_rep == 2


def test_a_top_level_process_next_to_pipelines_is_the_fallback() -> None:
    text = PIPELINES.replace("pipelines:\n", "stages: [{name: Open}]\nwon: Won\nlost: Lost\npipelines:\n")
    p = parse_process(text)
    assert p.for_pipeline("Texas").stage_names == ["Open", "Won", "Lost"]
    assert p.for_pipeline("Renewals").stage_names[0] == "Renewal Due"


def test_the_single_form_has_no_pipelines() -> None:
    p = parse_process(GOOD)
    assert p.pipelines == {} and p.for_pipeline("anything") is p and p.entry_stage_names == ("Qualify",)


def test_stages_are_mapped_by_each_rows_pipeline() -> None:
    p = parse_process(PIPELINES)
    frame = pl.DataFrame({
        "raw": ["erstkontakt", "Pilot", "Closed  Won", "Quote", "Intro", "Pilot", None, "Signed"],
        "pipe": ["NYC Schools", "nyc schools", "Renewals", "RENEWALS ", "Texas", "Renewals", "Renewals", None]})
    out = frame.with_columns(stage=p.stage_expr(pl.col("raw"), pl.col("pipe")),
                       won=p.outcome_expr("won", pl.col("pipe"))).with_columns(
        status=p.status_of_stage(pl.col("stage"), pl.col("pipe")))
    # Texas and a null pipeline use the top-level (first pipeline's) process.
    assert out["stage"].to_list() == ["Intro", "Pilot", "Renewed", "Quote", "Intro", None, None, "Signed"]
    assert out["won"].to_list() == ["Signed", "Signed", "Renewed", "Renewed", "Signed", "Renewed", "Renewed", "Signed"]
    assert out["status"].to_list() == ["open", "open", "won", "open", "open", None, None, "won"]


def test_stage_labels_fold_unicode_and_spaces() -> None:
    p = parse_process(GOOD)
    raw = pl.Series(["Closed\u00a0Lost ", "ＱＵＡＬＩＦＹ", "prospecting\t"])
    assert pl.DataFrame({"r": raw}).select(p.stage_expr(pl.col("r"))).to_series().to_list() == [
        "Closed Lost", "Qualify", "Qualify"]


@pytest.mark.parametrize(("text", "fragment"), [
    (PIPELINES.replace("max_days: 7", "max_days: soon"),
     "pipelines.NYC Schools.stages[0].max_days (line 9) to be a number; found 'soon'"),
    (PIPELINES.replace("    lost: Churned\n", ""), "the key 'lost' under pipelines.Renewals (line 15)"),
    (PIPELINES.replace("    won: Signed\n", "    wins: Signed\n"), "unknown key 'wins' at line 11"),
    (PIPELINES.replace("  Renewals:", "  nyc  schools:"),
     "pipelines.nyc  schools (line 15) is the pipeline 'NYC Schools' again"),
    (PIPELINES.replace("entry_stages: [Intro, Pilot]", "entry_stages: [Intro, Signed]"),
     "pipelines.NYC Schools.entry_stages[1] (line 13) to be an open stage of the process (Intro, Pilot)"),
    (PIPELINES.replace("pipelines:\n", "stages: [{name: Open}]\npipelines:\n"), "the key 'won' in <string>"),
    ("name: X\npipelines: {}\n", "pipelines (line 2) to be at least one pipeline"),
    ("name: X\npipelines: [a]\n", "pipelines (line 2) to be a mapping"),
])
def test_pipeline_errors_name_the_key_path_and_line(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_process(text)
    assert fragment in str(err.value)


def test_entry_stages_in_the_single_form_accept_aliases() -> None:
    p = parse_process(GOOD + "entry_stages: [prospecting, Propose]\n")
    assert p.entry_stages == ("Qualify", "Propose")
