"""What the format writers share: the date formats the CRMs write, each deal's previous stage and
exit per stage entry, grouped amounts, and the roster file beside an export."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit import schema as S
from toolkit.samples.company import Company

SF_DATETIME = "%Y-%m-%d %H:%M:%S"
US_DATE = "%-m/%-d/%Y"
US_DATETIME = "%-m/%-d/%Y %-I:%M %p"


def write_roster(company: Company, folder: Path) -> Path:
    """roster.csv (owner,team,manager): how a user of the other formats says who is in which team."""
    path = folder / "roster.csv"
    company.reps.select(pl.col(S.OWNER_NAME).alias("owner"), pl.col(S.TEAM_NAME).alias("team"),
                        pl.col(S.MANAGER_NAME).alias("manager")).write_csv(path)
    return path


def events_with_previous(company: Company) -> pl.DataFrame:
    """Stage events with the deal's previous stage and the next entry (the exit), per deal in time order."""
    return company.stage_events.with_columns(
        pl.col(S.STAGE).shift(1).over(S.DEAL_ID).alias("_prev"),
        pl.col(S.ENTERED_AT).shift(-1).over(S.DEAL_ID).alias("_exit"),
    )


def grouped(amount: pl.Expr, sep: pl.Expr, decimal: str) -> pl.Expr:
    """An amount with thousands separators and two decimals: 12,500.00 or 12 500,00."""
    cents = (amount * 100).round(0).cast(pl.Int64)
    whole, frac = cents // 100, cents % 100

    def pad(e: pl.Expr) -> pl.Expr:
        return e.cast(pl.String).str.zfill(3)

    millions, thousands, units = whole // 1_000_000, (whole // 1000) % 1000, whole % 1000
    text = (pl.when(whole >= 1_000_000)
            .then(pl.concat_str(millions.cast(pl.String), sep, pad(thousands), sep, pad(units)))
            .when(whole >= 1000).then(pl.concat_str(thousands.cast(pl.String), sep, pad(units)))
            .otherwise(units.cast(pl.String)))
    return pl.concat_str(text, pl.lit(decimal), frac.cast(pl.String).str.zfill(2))
