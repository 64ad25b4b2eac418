"""A small generic export the in-process command tests read (a unique module name)."""

from __future__ import annotations

from pathlib import Path

MAPPING = """\
files: {deals: deals.csv, stage_events: history.csv}
date_style: iso
currency: EUR
columns:
  deals: {deal_id: id, owner_name: rep, team_name: team, manager_name: manager, stage_raw: stage, amount: amount,
          created_at: created, close_date: close}
  stage_events: {deal_id: id, stage_raw: stage, entered_at: at}
"""


def write_export(folder: Path) -> Path:
    """North: A1 open in Qualify, A2 won; South: B1 open in Discover; line 5 has a date that is none."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deals.csv").write_text(
        "id,rep,team,manager,stage,amount,created,close\n"
        "A1,Ann,North,Mia,Qualify,1000,2025-06-02,2025-08-01\n"
        "A2,Ann,North,Mia,Closed Won,2500,2025-05-01,2025-06-20\n"
        "B1,Bob,South,Max,Discover,400,2025-06-10,2025-07-15\n"
        "C1,Cy,South,Max,Qualify,10,2025-02-30,2025-07-15\n", encoding="utf-8")
    (folder / "history.csv").write_text(
        "id,stage,at\nA1,Qualify,2025-06-02\nA2,Qualify,2025-05-01\nA2,Closed Won,2025-06-20\n"
        "B1,Qualify,2025-06-10\nB1,Discover,2025-06-12\n", encoding="utf-8")
    (folder / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    return folder
