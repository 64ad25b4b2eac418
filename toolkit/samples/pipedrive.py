"""Pipedrive's deals export (won and lost are statuses, the stage stays the last open one) and
the deal-flow API's items as JSON lines."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit import schema as S
from toolkit.samples.company import Company
from toolkit.samples.writing import SF_DATETIME, events_with_previous

FILE = "deals-7345120-1.csv"
FLOW = "deal-flow.jsonl"


def write_pipedrive(company: Company, folder: Path) -> list[Path]:
    """The deals export and deal-flow.jsonl in ``folder``; stage ids number the open stages from 1."""
    d, process = company.deals, company.process
    open_stages = [s.name for s in process.stages]
    won, lost = process.won.name, process.lost.name
    ev = events_with_previous(company)
    open_names = pl.col(S.STAGE).is_in(open_stages)
    per_deal = ev.group_by(S.DEAL_ID, maintain_order=True).agg(
        pl.col(S.STAGE).filter(open_names).last().alias("_last_open"),
        pl.col(S.ENTERED_AT).filter(open_names & pl.col("_prev").is_not_null()).max().alias("_last_change"))
    deals = d.join(per_deal, on=S.DEAL_ID, how="left", maintain_order="left").select(
        pl.col(S.DEAL_ID).alias("Deal - ID"),
        pl.col(S.DEAL_NAME).alias("Deal - Title"),
        pl.col(S.OWNER_NAME).alias("Deal - Owner"),
        pl.col(S.AMOUNT).alias("Deal - Value"),
        pl.col(S.CURRENCY).alias("Deal - Currency of Value"),
        pl.lit("Pipeline").alias("Deal - Pipeline"),
        pl.col("_last_open").alias("Deal - Stage"),
        pl.col(S.STATUS).str.to_titlecase().alias("Deal - Status"),
        pl.col(S.CREATED_AT).alias("Deal - Deal created"),
        pl.col("_last_change").alias("Deal - Last stage change"),
        pl.col(S.CLOSE_DATE).alias("Deal - Expected close date"),
        pl.when(pl.col(S.STATUS) == "won").then(pl.col(S.CLOSED_AT)).alias("Deal - Won time"),
        pl.when(pl.col(S.STATUS) == "lost").then(pl.col(S.CLOSED_AT)).alias("Deal - Lost time"),
        pl.col(S.CLOSED_AT).alias("Deal - Deal closed on"),
        pl.col(S.LAST_ACTIVITY_AT).cast(pl.Date).alias("Deal - Last activity date"),
        pl.col("next_step").alias("Deal - Next step"),
        pl.col("decision_maker").alias("Deal - Decision maker"),
    )
    path = folder / FILE
    deals.write_csv(path, datetime_format=SF_DATETIME, date_format="%Y-%m-%d")

    stage_no = {s: str(i) for i, s in enumerate(open_stages, start=1)}
    status_of = {won: "won", lost: "lost"}
    users = company.users.select(pl.col("name").alias(S.CHANGED_BY), "pipedrive_user_id")
    moves = ev.filter(pl.col("_prev").is_not_null()).join(users, on=S.CHANGED_BY, how="left",
                                                         maintain_order="left")
    closing = pl.col(S.STAGE).is_in([won, lost])
    old = pl.when(closing).then(pl.lit("open")).otherwise(pl.col("_prev").replace_strict(stage_no, default=None))
    new = pl.when(closing).then(pl.col(S.STAGE).replace_strict(status_of, default=None)) \
        .otherwise(pl.col(S.STAGE).replace_strict(stage_no, default=None))
    log_time = pl.col(S.ENTERED_AT).dt.strftime(SF_DATETIME)
    flow = moves.with_row_index("_i").select(
        pl.lit("dealChange").alias("object"),
        log_time.alias("timestamp"),
        pl.struct(
            (pl.col("_i").cast(pl.Int64) + 7_000_001).alias("id"),
            pl.col(S.DEAL_ID).alias("item_id"),
            pl.col("pipedrive_user_id").alias("user_id"),
            pl.when(closing).then(pl.lit("status")).otherwise(pl.lit("stage_id")).alias("field_key"),
            old.alias("old_value"),
            new.alias("new_value"),
            log_time.alias("log_time"),
            pl.struct(pl.when(closing).then(pl.lit("open")).otherwise(pl.col("_prev")).alias("old_value_formatted"),
                      pl.when(closing).then(new).otherwise(pl.col(S.STAGE)).alias("new_value_formatted"))
            .alias("additional_data"),
        ).alias("data"),
    )
    flow_path = folder / FLOW
    flow.write_ndjson(flow_path)
    return [path, flow_path]
