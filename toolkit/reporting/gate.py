"""The checks a report passes before it is published.

Structure, not words: a page must have no active content and every section; a team's slice (what
its notebook reads) must hold no other team's deals or reps, told by the ids in its tables. Free
text is never searched for ids: a deal *named* "Handover to nordics-49521b" is that team's data.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import polars as pl

from toolkit import schema as S
from toolkit.errors import ReportGateError

ACTIVE_TAGS = {"script", "iframe", "object", "embed", "frame", "frameset", "applet", "base", "form", "meta-refresh"}
URL_ATTRIBUTES = {"href", "src", "xlink:href", "action", "formaction", "poster", "data", "srcset"}


class _ActiveContentFinder(HTMLParser):
    """Finds what a browser would run or fetch: tags, handlers, script and remote URLs. Text
    (escaped CRM data) is ignored, so a deal *named* ``<img onerror=...>`` is fine."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            v = (value or "").strip().lower()
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            elif name in URL_ATTRIBUTES and v.startswith(("javascript:", "vbscript:", "http:", "https:", "//")):
                self.found.append(f"{tag} {name}={v[:40]}")
            elif name == "style" and "url(" in v:
                self.found.append(f"{tag} style url()")

    handle_startendtag = handle_starttag


def active_content(document: str) -> list[str]:
    """What in the page a browser would run or fetch from elsewhere (empty: nothing)."""
    finder = _ActiveContentFinder()
    finder.feed(document)
    return finder.found


def gate_page(document: str, *, sections: tuple[str, ...]) -> None:
    """Raise :class:`ReportGateError` unless the page is safe (nothing active) and complete."""
    found = active_content(document)
    if found:
        raise ReportGateError("a report without scripts, event handlers or remote resources",
                              f"{found[:3]} in the HTML",
                              "CRM text must be escaped at the render boundary (toolkit.reporting.templating); "
                              "charts must be inline SVG")
    missing = [s for s in sections if not re.search(rf"""data-section=["']{re.escape(s)}["']""", document)]
    if missing:
        raise ReportGateError(f"every report section {list(sections)}", f"missing {missing}",
                              "a cell stopped early (sys.exit, an exception swallowed) or the notebook was edited")


def foreign_ids(slice_dir: Path, team_id: str, deals: pl.DataFrame, reps: pl.DataFrame) -> dict[str, list[str]]:
    """Ids of other teams' deals, reps and teams found in the tables of ``team_id``'s slice:
    ``{"deal_id": [...], "owner_id": [...], "team_id": [...]}`` (only keys with findings).

    ``deals`` and ``reps`` are the whole export's (their ``deal_id``/``owner_id`` and ``team_id``
    columns say whose is whose)."""
    mine = pl.col(S.TEAM_ID) == team_id
    other_deals = deals.filter(~mine)[S.DEAL_ID].cast(pl.String)
    own_owners = pl.concat([deals.filter(mine)[S.OWNER_ID].cast(pl.String),
                            reps.filter(mine)[S.OWNER_ID].cast(pl.String)])
    other_owners = pl.concat([deals.filter(~mine)[S.OWNER_ID].cast(pl.String),
                              reps.filter(~mine)[S.OWNER_ID].cast(pl.String)])
    # a rep who moved teams owns deals on both sides: only owners that are not this team's count
    other_owners = other_owners.filter(~other_owners.is_in(own_owners.implode()))
    found: dict[str, set[str]] = {}
    for path in sorted(Path(slice_dir).glob("*.parquet")):
        frame = pl.read_parquet(path)
        checks = ((S.DEAL_ID, other_deals), (S.OWNER_ID, other_owners))
        for column, others in checks:
            if column in frame.columns and frame.height:
                hits = frame[column].cast(pl.String).filter(frame[column].cast(pl.String).is_in(others.implode()))
                found.setdefault(column, set()).update(hits.unique().to_list())
        if S.TEAM_ID in frame.columns and frame.height:
            teams = frame[S.TEAM_ID].cast(pl.String).drop_nulls().unique()
            found.setdefault(S.TEAM_ID, set()).update(t for t in teams.to_list() if t != team_id)
    return {k: sorted(found[k]) for k in (S.DEAL_ID, S.OWNER_ID, S.TEAM_ID) if found.get(k)}


def gate_slice(slice_dir: Path, team_id: str, deals: pl.DataFrame, reps: pl.DataFrame) -> None:
    """Raise :class:`ReportGateError` when ``team_id``'s slice holds another team's data."""
    found = foreign_ids(slice_dir, team_id, deals, reps)
    if found:
        shown = "; ".join(f"{col} {ids[:3]}" for col, ids in found.items())
        raise ReportGateError(f"only team {team_id}'s deals and reps in its slice", f"other teams' {shown}",
                              "each team's slice must be cut by team_id (toolkit.reporting.slices)")
