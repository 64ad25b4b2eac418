"""A French-locale CRM's export, read through a generic mapping: cp1252, ';', CRLF, decimal comma,
thousands separated by spaces, dd/mm/yyyy dates."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit import schema as S
from toolkit.samples.company import Company
from toolkit.samples.names import SYMBOL
from toolkit.samples.writing import grouped


def _write_cp1252(frame: pl.DataFrame, path: Path, **options: object) -> None:
    """Write a CSV in cp1252, in slices so that a million rows never sit in memory as one string."""
    with path.open("wb") as f:
        for i, start in enumerate(range(0, max(frame.height, 1), 200_000)):
            text = frame.slice(start, 200_000).write_csv(include_header=i == 0, **options)  # type: ignore[call-overload]
            f.write(text.encode("cp1252"))


def write_generic_fr(company: Company, folder: Path) -> list[Path]:
    """affaires.csv, historique.csv (cp1252) and the mapping.yaml that reads them, in ``folder``."""
    d = company.deals
    options: dict[str, object] = {"separator": ";", "line_terminator": "\r\n", "datetime_format": "%d/%m/%Y %H:%M",
                                  "date_format": "%d/%m/%Y"}
    # thousands separated by a plain space in some rows and a no-break space in others (U+202F,
    # the other French habit, is not in cp1252)
    sep = pl.when(pl.int_range(pl.len()) % 3 == 0).then(pl.lit("\u00a0")).otherwise(pl.lit(" "))
    affaires = d.select(
        pl.col(S.DEAL_ID).alias("Réf"),
        pl.col(S.DEAL_NAME).alias("Intitulé"),
        pl.col(S.OWNER_NAME).alias("Commercial"),
        pl.col(S.TEAM_NAME).alias("Équipe"),
        pl.col(S.MANAGER_NAME).alias("Responsable"),
        pl.col(S.STAGE).alias("Étape"),
        pl.col(S.STATUS).replace_strict({"open": "Ouvert", "won": "Gagné", "lost": "Perdu"}).alias("Statut"),
        pl.concat_str(grouped(pl.col(S.AMOUNT), sep, ","), sep,
                      pl.col(S.CURRENCY).replace_strict(SYMBOL)).alias("Montant"),
        pl.col(S.CREATED_AT).alias("Date de création"),
        pl.col(S.CLOSE_DATE).alias("Date de clôture prévue"),
        pl.col(S.CLOSED_AT).alias("Clôturé le"),
        pl.col(S.LAST_ACTIVITY_AT).alias("Dernière activité"),
        pl.col("next_step").alias("Prochaine étape"),
        pl.col("decision_maker").alias("Décideur"),
    )
    historique = company.stage_events.select(
        pl.col(S.DEAL_ID).alias("Réf"), pl.col(S.STAGE).alias("Étape"),
        pl.col(S.ENTERED_AT).alias("Date d'entrée"), pl.col(S.CHANGED_BY).alias("Modifié par"))
    out = []
    for name, frame in (("affaires.csv", affaires), ("historique.csv", historique)):
        _write_cp1252(frame, folder / name, **options)
        out.append(folder / name)
    (folder / "mapping.yaml").write_text(GENERIC_FR_MAPPING, encoding="utf-8")
    out.append(folder / "mapping.yaml")
    return out


#: How the toolkit reads the French export: a generic mapping, as a user of any CRM would write.
GENERIC_FR_MAPPING = """\
# The French-locale export of the sample company: cp1252, ';', decimal comma, dd/mm/yyyy dates.
files:
  deals: affaires.csv
  stage_events: historique.csv
encoding: cp1252
delimiter: ";"
decimal: ","
date_style: dmy
columns:
  deals:
    deal_id: Réf
    deal_name: Intitulé
    owner_name: Commercial
    team_name: Équipe
    manager_name: Responsable
    stage_raw: Étape
    status: Statut
    amount: Montant
    created_at: Date de création
    close_date: Date de clôture prévue
    closed_at: Clôturé le
    last_activity_at: Dernière activité
    next_step: Prochaine étape
    decision_maker: Décideur
  stage_events:
    deal_id: Réf
    stage_raw: Étape
    entered_at: Date d'entrée
    changed_by: Modifié par
status: {column: status, open: [Ouvert], won: [Gagné], lost: [Perdu]}
"""
