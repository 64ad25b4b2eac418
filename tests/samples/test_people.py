"""The sample company's people: team sizes, users with unique names, and the role tree a
Salesforce export holds (VP, then each team's manager role, then the team's role)."""

from __future__ import annotations

import numpy as np
import polars as pl

from toolkit.samples.people import people, team_reps


def test_team_sizes_repeat_6_8_10_12() -> None:
    assert [team_reps(n) for n in (1, 2, 4, 5, 8)] == [6, 14, 36, 42, 72]


def test_users_and_roles() -> None:
    users, roles = people(np.random.default_rng(7), 2)
    assert users["kind"].value_counts(sort=True).rows() == [("rep", 14), ("manager", 2), ("vp", 1)]
    assert users["name"].n_unique() == 17 and users["user_id"].n_unique() == 17
    assert users["user_id"].str.len_chars().unique().to_list() == [18]
    # reps report to their team's manager, managers to the VP, the VP to no one
    by_id = dict(zip(users["user_id"], users["kind"], strict=True))
    assert {(k, by_id.get(m, "")) for k, m in users.select("kind", "manager_id").iter_rows()} == {
        ("rep", "manager"), ("manager", "vp"), ("vp", "")}
    names = roles["name"].to_list()
    assert len(names) == 5 and names[0] == "VP Sales"
    parent = dict(zip(roles["role_id"], roles["name"], strict=True))
    tree = {n: parent.get(p, "") for n, p in roles.select("name", "parent_role_id").iter_rows()}
    assert tree == {"VP Sales": "", names[1]: "VP Sales", names[2]: names[1], names[3]: "VP Sales",
                    names[4]: names[3]}
    assert names[1] == f"{names[2]} Manager" and names[3] == f"{names[4]} Manager"
    assert people(np.random.default_rng(7), 2)[0].equals(users)  # deterministic in the seed
    assert users.filter(pl.col("kind") == "rep")["team_name"].n_unique() == 2
