"""Writing a process back as the YAML parse_process reads: exact text, and every process read
back equal to itself."""

from __future__ import annotations

import pytest
from test_process import GOOD, PIPELINES

from toolkit.process import load_process, parse_process
from toolkit.process_yaml import process_to_yaml


def test_the_yaml_written() -> None:
    p = parse_process("name: Short\nstages: [{name: 'Qualify', max_days: 14, required: [amount]}, "
                      "{name: 'Say \"yes\": now', max_days: 2.5}]\nwon: {name: Won, aliases: [Closed Won]}\n"
                      "lost: Lost\nreview: {minutes_per_deal: 20}\n")
    assert process_to_yaml(p, header=["read from x", "edit me"], notes={"stage:Qualify": ["first", "stage"],
                                                                      "won": ["the CRM's won"]}) == """\
# read from x
# edit me
name: "Short"
stages:
  # first
  # stage
  - name: "Qualify"
    max_days: 14
    required: ["amount"]
  - name: "Say \\"yes\\": now"
    max_days: 2.5
# the CRM's won
won: {name: "Won", aliases: ["Closed Won"]}
lost: {name: "Lost"}
allow: {skip: false, backward: false}
review: {minutes_per_deal: 20, sample_per_rep: 3, manager_hours_per_week: 40, period_weeks: 13}
validation:
  amount_ceiling: 1000000000
  close_date_years_back: 10
  close_date_years_ahead: 5
"""


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace
    assert replace(a, source="", pipelines={}) == replace(b, source="", pipelines={})
    assert list(a.pipelines) == list(b.pipelines)
    for name in a.pipelines:
        assert replace(a.pipelines[name], source="") == replace(b.pipelines[name], source="")


@pytest.mark.parametrize("text", [None, GOOD, PIPELINES, PIPELINES.replace(
    "pipelines:\n", "stages: [{name: 'Open: \"x\"', max_days: 2.5}]\nwon: Won\nlost: Lost\nentry_stages: Open: \"x\"\n"
    "pipelines:\n").replace('entry_stages: Open: "x"', "entry_stages: ['Open: \"x\"']")])
def test_process_to_yaml_reads_back_to_the_same_process(text: str | None) -> None:
    p = load_process() if text is None else parse_process(text)
    written = process_to_yaml(p, header=["used for the report of 2026-12-01"], notes={"stage:Qualify": ["why"]})
    assert written.startswith("# used for the report of 2026-12-01\n")
    _same(parse_process(written), p)
