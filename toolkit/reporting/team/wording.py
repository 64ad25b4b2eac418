"""A changed deal, a coaching line and the week's window, in a manager's words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from toolkit import schema as S

#: The kinds of change the page counts, with their words, in the order shown.
CHANGE_LABELS = (("new", "new"), ("pushed", "pushed"), ("pulled_in", "pulled in"), ("amount_up", "amount up"),
                 ("amount_down", "amount down"), ("stage_changed", "moved stage"), ("won", "won"), ("lost", "lost"))


def _day(value: Any) -> str:
    return str(value or "")[:10]


def _money(value: Any) -> str:
    return "–" if value is None else f"{value:,.0f}"


def window_text(changes: dict[str, Any]) -> str:
    """The window (start, end] as the days it covers: "24 Jun – 30 Jun 2025"."""
    try:
        first = dt.datetime.fromisoformat(str(changes["start"])).date() + dt.timedelta(days=1)
        last = dt.datetime.fromisoformat(str(changes["end"])).date()
    except (KeyError, ValueError):
        return ""
    return f"{first:%-d %b} – {last:%-d %b %Y}"


def at_stake(deal: dict[str, Any]) -> float:
    """What a changed deal weighs: its larger amount, before or after."""
    amount = deal.get("amount") or {}
    return float(max(amount.get("from") or 0.0, amount.get("to") or 0.0))


def change_text(deal: dict[str, Any]) -> str:
    """What changed on a deal, in a manager's words: "won; close date 17 Jul → 28 Jun"."""
    kinds = set(deal.get("changes") or [])
    stage, amount, close = (deal.get(k) or {} for k in ("stage", "amount", "close_date"))
    parts = []
    if "new" in kinds:
        parts.append("new deal")
    if "won" in kinds or "lost" in kinds:
        parts.append(("won" if "won" in kinds else "lost") + (f" from {stage['from']}" if stage.get("from") else ""))
    elif "stage_changed" in kinds:
        parts.append(f"stage {stage.get('from')} → {stage.get('to')}")
    if "pushed" in kinds or "pulled_in" in kinds:
        word = "pushed" if "pushed" in kinds else "pulled in"
        parts.append(f"close date {word} {_day(close.get('from'))} → {_day(close.get('to'))}")
    if "amount_up" in kinds or "amount_down" in kinds:
        parts.append(f"amount {_money(amount.get('from'))} → {_money(amount.get('to'))}")
    return "; ".join(parts)


def coaching_text(row: dict[str, Any]) -> str:
    """A rep's coaching line without the rep's name (the plan shows it beside the line)."""
    line = str(row.get("line") or "")
    name = row.get(S.OWNER_NAME)
    if name and line.startswith(f"{name}: "):
        line = line[len(name) + 2:]
    if row.get("stage") is None and line.startswith("no stage"):
        return "no stage behind the team beyond chance"
    return line
