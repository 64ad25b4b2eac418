"""Salesforce's weekly Data Export (or Data Loader): Opportunity, OpportunityHistory, User and
UserRole as CSV, every field quoted, the team given by the role hierarchy."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit import schema as S
from toolkit.samples.company import Company
from toolkit.samples.writing import SF_DATETIME


def write_salesforce_export(company: Company, folder: Path) -> list[Path]:
    """Opportunity.csv, OpportunityHistory.csv, User.csv and UserRole.csv in ``folder``."""
    d, h = company.deals, company.history
    last_change = h.group_by(S.DEAL_ID).agg(pl.col(S.ENTERED_AT).max().alias("_last"))
    opp = d.join(last_change, on=S.DEAL_ID, how="left", maintain_order="left").select(
        pl.col(S.DEAL_ID).alias("Id"),
        pl.lit(False).alias("IsDeleted"),
        pl.col(S.DEAL_NAME).alias("Name"),
        pl.col(S.STAGE).alias("StageName"),
        pl.col(S.AMOUNT).alias("Amount"),
        pl.col(S.CURRENCY).alias("CurrencyIsoCode"),
        pl.col(S.CLOSE_DATE).alias("CloseDate"),
        (pl.col(S.STATUS) != "open").alias("IsClosed"),
        (pl.col(S.STATUS) == "won").alias("IsWon"),
        pl.col(S.OWNER_ID).alias("OwnerId"),
        pl.col(S.CREATED_AT).alias("CreatedDate"),
        pl.col(S.LAST_ACTIVITY_AT).cast(pl.Date).alias("LastActivityDate"),
        pl.col("next_step").alias("NextStep"),
        pl.col("decision_maker").alias("Decision_Maker__c"),
        pl.max_horizontal("_last", S.LAST_ACTIVITY_AT).alias("LastModifiedDate"),
    )
    hist = h.select(
        pl.col("history_id").alias("Id"),
        pl.col(S.DEAL_ID).alias("OpportunityId"),
        pl.col("created_by").alias("CreatedById"),
        pl.col(S.ENTERED_AT).alias("CreatedDate"),
        pl.col(S.STAGE).alias("StageName"),
        pl.col(S.AMOUNT).alias("Amount"),
        pl.col(S.CLOSE_DATE).alias("CloseDate"),
        pl.col("probability").alias("Probability"),
        pl.lit(False).alias("IsDeleted"),
    )
    users = company.users.select(
        pl.col("user_id").alias("Id"), pl.col("name").alias("Name"), pl.col("first_name").alias("FirstName"),
        pl.col("last_name").alias("LastName"), pl.col("role_id").alias("UserRoleId"),
        pl.col("manager_id").alias("ManagerId"), pl.col("active").alias("IsActive"))
    roles = company.roles.select(pl.col("role_id").alias("Id"), pl.col("name").alias("Name"),
                                 pl.col("parent_role_id").alias("ParentRoleId"))
    out = []
    for name, frame in (("Opportunity.csv", opp), ("OpportunityHistory.csv", hist), ("User.csv", users),
                        ("UserRole.csv", roles)):
        frame.write_csv(folder / name, quote_style="always", datetime_format=SF_DATETIME, date_format="%Y-%m-%d")
        out.append(folder / name)
    return out
