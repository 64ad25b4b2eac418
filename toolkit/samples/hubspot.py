"""HubSpot's deals export: one row per deal, the stage history as "Date entered/exited" columns
that keep only the latest entry and exit per stage."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit import schema as S
from toolkit.samples.company import Company
from toolkit.samples.names import PIPELINE
from toolkit.samples.writing import events_with_previous

FILE = "hubspot-crm-exports-all-deals-2025-06-30.csv"


def write_hubspot(company: Company, folder: Path) -> list[Path]:
    """The deals export in ``folder``; integer amounts are written both ways, as HubSpot does."""
    d = company.deals
    fmt = "%Y-%m-%d %H:%M"
    ev = events_with_previous(company)
    # HubSpot keeps the latest entry (and exit) per stage: earlier entries of a re-entered stage are lost
    latest = ev.group_by(S.DEAL_ID, S.STAGE, maintain_order=True).agg(
        pl.col(S.ENTERED_AT).last(), pl.col("_exit").last())
    pairs = []
    for stage in company.process.stage_names:
        entered, exited = f'Date entered "{stage} ({PIPELINE})"', f'Date exited "{stage} ({PIPELINE})"'
        pairs.append(latest.filter(pl.col(S.STAGE) == stage).select(
            S.DEAL_ID, pl.col(S.ENTERED_AT).dt.strftime(fmt).alias(entered),
            pl.col("_exit").dt.strftime(fmt).alias(exited)))
    # integer amounts come both ways ("24000" and "24000.0"), as HubSpot writes them
    amount = pl.col(S.AMOUNT).cast(pl.String)
    frame = d.with_row_index("_i").select(
        S.DEAL_ID,
        pl.col(S.DEAL_ID).alias("Record ID"),
        pl.col(S.DEAL_NAME).alias("Deal Name"),
        pl.lit(PIPELINE).alias("Pipeline"),
        pl.col(S.STAGE).alias("Deal Stage"),
        pl.when((pl.col("_i") % 2 == 0) & amount.str.ends_with(".0")).then(amount.str.strip_suffix(".0"))
        .otherwise(amount).alias("Amount"),
        pl.col(S.CURRENCY).alias("Currency"),
        pl.when(pl.col(S.STATUS) == "open").then(pl.col(S.CLOSE_DATE).dt.strftime("%Y-%m-%d 00:00"))
        .otherwise(pl.col(S.CLOSED_AT).dt.strftime(fmt)).alias("Close Date"),
        pl.col(S.CREATED_AT).dt.strftime(fmt).alias("Create Date"),
        pl.col(S.OWNER_NAME).alias("Deal owner"),
        pl.col(S.LAST_ACTIVITY_AT).dt.strftime(fmt).alias("Last Activity Date"),
        pl.col("next_step").alias("Next step"),
        pl.col("decision_maker").alias("Decision Maker"),
    )
    for p in pairs:
        frame = frame.join(p, on=S.DEAL_ID, how="left", maintain_order="left")
    path = folder / FILE
    frame.drop(S.DEAL_ID).write_csv(path, quote_style="always")
    return [path]
