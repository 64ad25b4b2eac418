"""--teams names teams by id or by name; an unknown one lists what is known."""

from __future__ import annotations

import polars as pl
import pytest

from toolkit.errors import UnknownTeamError
from toolkit.reporting.teams import resolve_teams

TEAMS = pl.DataFrame({"team_id": ["dach-1f77f8", "nordics-49521b", "us-east-4be210", "us-east-99aa00"],
                      "team_name": ["DACH", "Nordics", "US East", " us east "]})


def test_ids_and_names_in_the_order_given() -> None:
    assert resolve_teams(TEAMS, []) == ()
    assert resolve_teams(TEAMS, ["nordics-49521b", "dach"]) == ("nordics-49521b", "dach-1f77f8")
    # a name is compared without case and surrounding spaces; two teams of one name are both chosen
    assert resolve_teams(TEAMS, [" US EAST"]) == ("us-east-4be210", "us-east-99aa00")
    # named twice (by id and by name): chosen once
    assert resolve_teams(TEAMS, ["dach-1f77f8", "DACH"]) == ("dach-1f77f8",)


def test_an_unknown_team_lists_the_known() -> None:
    with pytest.raises(UnknownTeamError) as caught:
        resolve_teams(TEAMS, ["DACH", "EMEA", "nordics"])
    assert str(caught.value) == (
        "expected team ids or names from this export; found ['EMEA']. Hint: known teams: dach-1f77f8 (DACH), "
        "nordics-49521b (Nordics), us-east-4be210 (US East), us-east-99aa00 ( us east ); or use --teams all")
