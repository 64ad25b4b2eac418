"""The company's people: reps in teams, one manager per team and a VP of sales, as the Salesforce
user and role tables hold them (the role hierarchy is how Salesforce says who is in which team)."""

from __future__ import annotations

import numpy as np
import polars as pl

from toolkit.samples.arrays import id_numbers, sf_ids
from toolkit.samples.names import NAMES, TEAMS

TEAM_SIZES = (6, 8, 10, 12)


def team_reps(teams: int) -> int:
    """How many reps the first ``teams`` teams have."""
    return sum(TEAM_SIZES[t % len(TEAM_SIZES)] for t in range(teams))


def _draw_name(rng: np.random.Generator, pool: str, used: set[str]) -> tuple[str, str]:
    firsts, lasts = NAMES[pool]
    while True:
        first, last = firsts[int(rng.integers(len(firsts)))], lasts[int(rng.integers(len(lasts)))]
        if f"{first} {last}" not in used:
            used.add(f"{first} {last}")
            return first, last


def people(rng: np.random.Generator, teams: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Users (reps first, in team order, then the team managers, then the VP) and roles."""
    used: set[str] = set()
    rows: list[dict[str, object]] = []
    for t, (_, _, pool) in enumerate(TEAMS[:teams]):
        for _ in range(TEAM_SIZES[t % len(TEAM_SIZES)]):
            first, last = _draw_name(rng, pool, used)
            rows.append({"first_name": first, "last_name": last, "team": t, "kind": "rep"})
    for t, (_, _, pool) in enumerate(TEAMS[:teams]):
        first, last = _draw_name(rng, pool, used)
        rows.append({"first_name": first, "last_name": last, "team": t, "kind": "manager"})
    first, last = _draw_name(rng, "us", used)
    rows.append({"first_name": first, "last_name": last, "team": -1, "kind": "vp"})
    users = pl.DataFrame(rows, schema={"first_name": pl.String, "last_name": pl.String, "team": pl.Int64,
                                       "kind": pl.String})
    user_ids = sf_ids("005", id_numbers(rng, users.height, 40))
    role_names = ["VP Sales"] + [n for team, _, _ in TEAMS[:teams] for n in (f"{team} Manager", team)]
    role_ids = sf_ids("00E", id_numbers(rng, len(role_names), 5))
    roles = pl.DataFrame({"role_id": role_ids, "name": role_names,
                          "parent_role_id": [""] + [role_ids[0] if i % 2 == 1 else role_ids[i - 1]
                                                    for i in range(1, len(role_names))]})
    role_of = dict(zip(role_names, role_ids.to_list(), strict=True))
    n_reps = users.filter(pl.col("kind") == "rep").height
    manager_id = {t: user_ids[n_reps + t] for t in range(teams)}
    team_name = [(TEAMS[t][0] if t >= 0 else "") for t in users["team"]]
    kinds = users["kind"].to_list()
    users = users.with_columns(
        user_id=user_ids,
        name=pl.concat_str("first_name", pl.lit(" "), "last_name"),
        team_name=pl.Series(team_name),
        role_id=pl.Series([role_of[tn] if k == "rep" else role_of[f"{tn} Manager"] if k == "manager"
                           else role_of["VP Sales"] for tn, k in zip(team_name, kinds, strict=True)]),
        manager_id=pl.Series([manager_id[t] if k == "rep" else user_ids[-1] if k == "manager" else ""
                              for t, k in zip(users["team"], kinds, strict=True)]),
        pipedrive_user_id=pl.Series(13_412_000 + np.arange(users.height, dtype=np.int64) * 7),
        active=pl.lit(True),
    )
    return users, roles
