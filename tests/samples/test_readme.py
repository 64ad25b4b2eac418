"""The README written beside the samples tells the truth: its numbers are the company's, it lists
the formats written, and every path of the toolkit it names exists."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from toolkit.samples import generate_company
from toolkit.samples.readme import readme

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_of_a_small_company() -> None:
    company = generate_company(3, teams=1, scale=0.3)
    text = readme(company, 0.3, ["hubspot", "generic_fr"])
    lines = text.splitlines()
    assert lines[0] == "# Sample exports of Northwind Instruments (fictional)"
    assert "- seed: 3, scale: 0.3; as of 2025-06-30 (history from 2024-07-01)" in lines
    deals, open_deals = company.deals.height, company.deals.filter(pl.col("status") == "open").height
    assert (f"- {deals} deals ({open_deals} open), {company.stage_events.height} stage entries, "
            f"{company.reps.height} reps in 1 teams") in lines
    assert f"the {company.planted.height} planted process problems" in text
    assert [line.split("`")[1] for line in lines if line.startswith("- `") and line.endswith(".")][1:] == [
        "hubspot/", "generic_fr/"]


def test_every_toolkit_path_it_names_exists() -> None:
    text = readme(generate_company(3, teams=1, scale=0.3), 0.3, [])
    named = re.findall(r"`(toolkit/[^`]*)`", text)
    assert named == ["toolkit/samples/", "toolkit/samples/readme.py"]
    assert [p for p in named if not (ROOT / p).exists()] == []
