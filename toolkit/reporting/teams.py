"""Which teams a run is for: ``--teams`` names them by id or by name."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from toolkit import schema as S
from toolkit.errors import UnknownTeamError


def resolve_teams(teams: pl.DataFrame, wanted: Sequence[str]) -> tuple[str, ...]:
    """The team ids ``wanted`` names (each an id, or a team name compared without regard to case
    and surrounding spaces), in the order given; () when ``wanted`` is empty (all teams).

    Raises :class:`UnknownTeamError` naming what matched nothing, with the known ids and names."""
    ids = teams[S.TEAM_ID].to_list()
    names = teams[S.TEAM_NAME].to_list()
    by_name: dict[str, list[str]] = {}
    for tid, name in zip(ids, names, strict=True):
        by_name.setdefault(str(name).strip().casefold(), []).append(tid)
    chosen: list[str] = []
    unknown: list[str] = []
    for w in wanted:
        if w in ids:
            found = [w]
        else:
            found = by_name.get(w.strip().casefold(), [])
        if not found:
            unknown.append(w)
        for tid in found:
            if tid not in chosen:
                chosen.append(tid)
    if unknown:
        known = ", ".join(f"{tid} ({name})" for tid, name in zip(ids, names, strict=True))
        raise UnknownTeamError("team ids or names from this export", f"{unknown}",
                               f"known teams: {known}; or use --teams all")
    return tuple(chosen)
