"""Writing the samples: amounts as a locale writes them, each stage entry's previous stage and
exit, and the roster."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit import schema as S
from toolkit.samples import generate_company
from toolkit.samples.writing import events_with_previous, grouped, write_roster


def test_amounts_with_thousands_separators_and_two_decimals() -> None:
    amounts = pl.DataFrame({"a": [12500.0, 1234567.891, 5.0, 999.999, 1000.0, 0.004, 20_000_000.5]})
    us = amounts.select(grouped(pl.col("a"), pl.lit(","), ".")).to_series().to_list()
    assert us == ["12,500.00", "1,234,567.89", "5.00", "1,000.00", "1,000.00", "0.00", "20,000,000.50"]
    fr = amounts.head(2).select(grouped(pl.col("a"), pl.lit("\u202f"), ",")).to_series().to_list()
    assert fr == ["12\u202f500,00", "1\u202f234\u202f567,89"]  # narrow no-break space, decimal comma


def test_previous_stage_and_exit_per_deal(tmp_path: Path) -> None:
    company = generate_company(3, teams=1, scale=0.3)
    events = events_with_previous(company)
    for (_deal,), g in events.group_by([S.DEAL_ID]):
        assert g["_prev"].to_list() == [None, *g[S.STAGE].to_list()[:-1]]
        assert g["_exit"].to_list() == [*g[S.ENTERED_AT].to_list()[1:], None]
    roster = pl.read_csv(write_roster(company, tmp_path))
    assert roster.columns == ["owner", "team", "manager"] and roster.height == company.reps.height == 6
