"""The sample company runs the default process: the generator reads its stages, limits and
required fields from toolkit/data/default_process.yaml instead of restating them."""

from __future__ import annotations

import polars as pl
import pytest

from toolkit.errors import ConfigError
from toolkit.process import load_process, parse_process
from toolkit.samples import company as company_module
from toolkit.samples import generate_company


def test_the_company_runs_the_default_process() -> None:
    company = generate_company(7, scale=0.2)
    assert company.process == load_process()
    # what the YAML says, written out here by hand
    assert company.process.stage_names == ["Qualify", "Discover", "Propose", "Negotiate", "Closed Won", "Closed Lost"]
    assert [s.max_days for s in company.process.stages] == [14, 21, 21, 30]
    assert set(company.stage_events["stage"]) <= set(company.process.stage_names)
    assert set(company.history["stage"]) <= set(company.process.stage_names)


def test_missing_fields_are_planted_at_the_one_reached_stage_that_requires_them() -> None:
    company = generate_company(7)
    missing = company.planted.filter(pl.col("flag") == "missing_required_field")
    # decision_maker is required by Discover and Negotiate, next_step by Propose and Negotiate
    by_field = {d: set(s) for d, s in missing.group_by("detail").agg("stage").iter_rows()}
    assert by_field.keys() == {"field=decision_maker", "field=next_step"}
    assert by_field["field=decision_maker"] <= {"Discover", "Negotiate"}
    assert by_field["field=next_step"] <= {"Propose", "Negotiate"}


def test_a_default_process_of_another_shape_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    three = parse_process("""
name: Short
stages:
  - {name: A, max_days: 5}
  - {name: B, max_days: 5}
  - {name: C, max_days: 5}
won: {name: Won}
lost: {name: Lost}
""")
    monkeypatch.setattr(company_module, "load_process", lambda: three)
    with pytest.raises(ConfigError, match="4 open stages"):
        generate_company(7, scale=0.2)
