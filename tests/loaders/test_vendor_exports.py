"""Exports as the vendors write them: HubSpot's all-properties deals export with its repeated
association columns, localised Pipedrive and HubSpot headers, and ``--source`` naming a CRM.

Expected values are counted by hand from the bytes written here."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest

from toolkit import schema as S
from toolkit.errors import FormatDetectionError, SchemaError
from toolkit.loaders import load

Q = '"'


def quoted(rows: list[list[str]]) -> bytes:
    """CSV the way HubSpot writes it: every field double-quoted, LF line ends, no BOM."""
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def entered(stage: str, pipeline: str = "Sales Pipeline") -> str:
    return f"Date entered {Q}{stage} ({pipeline}){Q}"


HUBSPOT_HEADER = ["Record ID", "Deal Name", "Pipeline", "Deal Stage", "Amount", "Close Date", "Create Date",
                  "Deal owner", "Deal Type", "Last Activity Date",
                  entered("Appointment Scheduled"), entered("Contract Sent"), entered("Closed Won"),
                  f"Cumulative time in {Q}Appointment Scheduled (Sales Pipeline){Q}",
                  "Associated Company", "Associated Company IDs", "Associated Contact", "Associated Contact IDs",
                  "Associated Company", "Associated Company IDs"]
HUBSPOT_ROWS = [
    ["18204417552", "Nordwind GmbH - Renewal", "Sales Pipeline", "Closed Won", "24000.0", "2024-03-14 16:02",
     "2024-01-09 10:23", "Anna Berg", "Existing Business", "2024-03-14 15:40",
     "2024-01-09 10:23", "2024-02-20 11:00", "2024-03-14 16:02", "1118520000",
     "Nordwind GmbH", "9802944514", "Jonas Krüger", "501", "Nordwind GmbH", "9802944514"],
    ["18219930871", "Acme Corp - New", "Sales Pipeline", "Contract Sent", "8500", "2024-04-30 00:00",
     "2024-02-01 08:47", "Tom Weiss", "New Business", "",
     "2024-02-01 08:47", "2024-02-10 09:30", "", "366180000",
     "Acme Corp", "9803040373;9803066399", "", "", "Acme Corp", "9803040373;9803066399"],
    ["18230051216", "Globex - Pilot", "Sales Pipeline", "Appointment Scheduled", "", "2024-02-29 11:05",
     "2024-02-12 13:00", "Anna Berg", "New Business", "2024-02-20 09:12",
     "2024-02-12 13:00", "", "", "",
     "", "", "", "", "", ""],
]


def test_hubspot_all_properties_export_with_repeated_association_columns(tmp_path: Path) -> None:
    data = quoted([HUBSPOT_HEADER, *HUBSPOT_ROWS])
    # The header line holds the stage-history names with their quotes doubled, as HubSpot writes them.
    assert data.split(b"\n")[0].count(b'"Date entered ""Contract Sent (Sales Pipeline)"""') == 1
    path = tmp_path / "hubspot-crm-exports-all-deals-2024-08-27.csv"
    path.write_bytes(data)
    ds = load(path)
    assert ds.source == "hubspot"
    assert ds.deals.select(S.DEAL_ID, S.STAGE_RAW, S.OWNER_NAME, S.AMOUNT).sort(S.DEAL_ID).rows() == [
        ("18204417552", "Closed Won", "Anna Berg", 24000.0),
        ("18219930871", "Contract Sent", "Tom Weiss", 8500.0),
        ("18230051216", "Appointment Scheduled", "Anna Berg", None)]
    # Date entered cells that are filled: 3 + 2 + 1.
    assert ds.stage_events.height == 6
    assert ds.stage_events.filter(pl.col(S.DEAL_ID) == "18219930871").sort(S.ENTERED_AT)[S.STAGE_RAW].to_list() == [
        "Appointment Scheduled", "Contract Sent"]
    # The first copy of each association column is kept, and the repeat is said.
    assert ds.deals.filter(pl.col(S.DEAL_ID) == "18219930871")["associated_company_ids"].to_list() == [
        "9803040373;9803066399"]
    name = path.name
    assert f"{name}: column 'Associated Company' appears 2 times (columns 15, 19); the first is kept, " \
           "the other copies are not read" in ds.notes
    assert f"{name}: column 'Associated Company IDs' appears 2 times (columns 16, 20); the first is kept, " \
           "the other copies are not read" in ds.notes
    f = ds.files.row(0, named=True)
    assert (f["lines_in"], f["row_lines"], f["rejected"], f["skipped"]) == (4, 3, 0, 1)
    assert ds.rejects.height == 0


def test_hubspot_repeated_mapped_column_that_disagrees_names_the_lines(tmp_path: Path) -> None:
    header = [*HUBSPOT_HEADER[:10], "Deal Stage"]
    rows = [r[:10] + [r[3]] for r in HUBSPOT_ROWS]
    rows[1][-1] = "Closed Lost"  # line 3 of the file
    path = tmp_path / "hubspot-crm-exports-all-deals-2024-08-27.csv"
    path.write_bytes(quoted([header, *rows]))
    with pytest.raises(SchemaError, match=r"copies of the column 'Deal Stage' \(columns 4, 11, read as stage_raw\) "
                                          r"to agree on every row; found 1 row\(s\) of .* on line\(s\) \[3\]"):
        load(path)


def test_hubspot_repeated_mapped_column_that_agrees_loads(tmp_path: Path) -> None:
    header = [*HUBSPOT_HEADER[:10], "Deal owner"]
    rows = [r[:10] + [r[7]] for r in HUBSPOT_ROWS]
    path = tmp_path / "deals.csv"
    path.write_bytes(quoted([header, *rows]))
    ds = load(path)
    assert ds.deals.height == 3
    assert "deals.csv: column 'Deal owner' appears 2 times (columns 8, 11) with the same values; it is read once" \
        in ds.notes


def test_header_names_compare_after_nfkc_and_whitespace_folding(tmp_path: Path) -> None:
    # A non-breaking space, a double space, and a full-width letter (NFKC folds it to ASCII).
    header = ["Record\u00a0ID", "Deal  Name", "Deal Stage", "Deal \uff4fwner", "Amount"]
    path = tmp_path / "deals.csv"
    path.write_bytes(quoted([header, ["1", "A", "Closed Won", "Anna Berg", "5"],
                             ["2", "B", "Contract Sent", "Tom", ""]]))
    ds = load(path)
    assert ds.source == "hubspot"
    assert ds.deals.select(S.DEAL_ID, S.DEAL_NAME, S.STAGE_RAW, S.OWNER_NAME, S.AMOUNT).rows() == [
        ("1", "A", "Closed Won", "Anna Berg", 5.0), ("2", "B", "Contract Sent", "Tom", None)]


# --- localised exports -------------------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "mappings"

PT_HEADER = ["ID", "Título", "Criado por", "Proprietário", "Valor", "Moeda de Valor", "Probabilidade", "Organização",
             "Funil", "Etapa", "Status", "Negócio criado em", "Data de fechamento esperada", "Ganho em",
             "Data de perda"]
PT_ROWS = [
    ["101", "Escola Azul", "Ana Lima", "Ana Lima", "1500", "BRL", "80", "Escola Azul Ltda", "Escolas",
     "Proposta enviada", "Aberto", "2024-03-01 09:00:00", "2024-04-30", "", ""],
    ["102", "Clínica Sol", "Ana Lima", "Bruno Reis", "2300.5", "BRL", "", "Clínica Sol", "Escolas",
     "Negociação", "Ganho", "2024-02-10 14:30:00", "2024-03-15", "2024-03-12 10:00:00", ""],
    ["103", "Loja Mar", "Bruno Reis", "Bruno Reis", "", "BRL", "10", "", "Varejo",
     "Qualificado", "Perdido", "2024-01-05 08:15:00", "", "", "2024-02-01 16:45:00"],
]


def plain(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize("form", ["nfc", "nfd"])
def test_portuguese_pipedrive_export_loads_without_a_mapping_and_says_so(tmp_path: Path, form: str) -> None:
    import unicodedata
    header = PT_HEADER if form == "nfc" else [unicodedata.normalize("NFD", h) for h in PT_HEADER]
    path = tmp_path / "deals-7345120-3.csv"
    path.write_bytes(plain([header, *PT_ROWS]))
    ds = load(path)
    assert ds.source == "pipedrive"
    assert ds.notes[0] == ("source: pipedrive (a Pipedrive deals export, Portuguese headers; deals-7345120-3.csv "
                           "has Pipedrive's deals headers in Portuguese)")
    assert any(n.startswith("deals-7345120-3.csv: Pipedrive deals export, Portuguese headers (pt-BR;")
               for n in ds.notes)
    got = ds.deals.select(S.DEAL_ID, S.DEAL_NAME, S.OWNER_NAME, S.STAGE_RAW, S.STATUS, S.AMOUNT, S.CURRENCY,
                          S.CLOSE_DATE).sort(S.DEAL_ID).rows()
    assert [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], str(r[7])) for r in got] == [
        ("101", "Escola Azul", "Ana Lima", "Proposta enviada", "open", 1500.0, "BRL", "2024-04-30"),
        ("102", "Clínica Sol", "Bruno Reis", "Negociação", "won", 2300.5, "BRL", "2024-03-12"),
        ("103", "Loja Mar", "Bruno Reis", "Qualificado", "lost", None, "BRL", "2024-02-01")]
    assert ds.deals.sort(S.DEAL_ID)[S.PIPELINE].to_list() == ["Escolas", "Escolas", "Varejo"]
    # Columns the toolkit does not map keep an English name.
    assert ds.deals.sort(S.DEAL_ID).select("creator", "probability", "organization").rows() == [
        ("Ana Lima", "80", "Escola Azul Ltda"), ("Ana Lima", None, "Clínica Sol"), ("Bruno Reis", "10", None)]
    f = ds.files.row(0, named=True)
    assert (f["lines_in"], f["row_lines"], f["rejected"], f["skipped"]) == (4, 3, 0, 1)


DE_HEADER = ["Deal - ID", "Deal - Titel", "Deal - Besitzer", "Deal - Wert", "Deal - Organisation", "Deal - Pipeline",
             "Deal - Phase", "Deal - Status", "Deal - Deal erstellt", "Deal - Datum des gewonnenen Deals",
             "Deal - Datum des verlorenen Deals", "Deal - Verlustgrund", "Deal - Wahrscheinlichkeit"]
DE_ROWS = [
    ["7", "Nordwind GmbH Deal", "Anna Berg", "24000", "Nordwind GmbH", "Pipeline", "Verhandlung", "Gewonnen",
     "2024-01-09 10:23:41", "2024-03-14 16:02:10", "", "", "100"],
    ["8", "Acme Deal", "Tom Weiss", "8500.5", "Acme", "Pipeline", "Angebot gemacht", "Offen",
     "2024-02-01 08:47:12", "", "", "", "40"],
    ["9", "Globex Pilot", "Anna Berg", "0", "Globex", "Pipeline", "Kontakt hergestellt", "Verloren",
     "2024-02-12 13:00:00", "", "2024-02-29 11:05:30", "Zu teuer", ""],
    ["10", "Alt", "Tom Weiss", "5", "", "Pipeline", "Qualifiziert", "Archiviert",
     "2024-02-12 13:00:00", "", "", "", ""],
]


def test_german_pipedrive_export_loads_without_a_mapping_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "deals-29684860-7.csv"
    path.write_bytes(plain([DE_HEADER, *DE_ROWS]))
    ds = load(path)
    assert ds.source == "pipedrive"
    assert ds.notes[0].startswith("source: pipedrive (a Pipedrive deals export, German headers; ")
    assert any("Pipedrive deals export, German headers (de;" in n for n in ds.notes)
    got = ds.deals.select(S.DEAL_ID, S.OWNER_NAME, S.STAGE_RAW, S.STATUS, S.AMOUNT, S.CLOSED_AT).sort(S.DEAL_ID).rows()
    assert [(r[0], r[1], r[2], r[3], r[4], None if r[5] is None else str(r[5])) for r in got] == [
        ("7", "Anna Berg", "Verhandlung", "won", 24000.0, "2024-03-14 16:02:10"),
        ("8", "Tom Weiss", "Angebot gemacht", "open", 8500.5, None),
        ("9", "Anna Berg", "Kontakt hergestellt", "lost", 0.0, "2024-02-29 11:05:30")]
    assert ds.deals.sort(S.DEAL_ID)["lost_reason"].to_list() == [None, None, "Zu teuer"]
    # A status word the header set does not know is a reject on its line, not a guess.
    assert ds.rejects.select(S.LINE, S.COLUMN, S.RAW, S.REASON).rows() == [
        (5, "Deal - Status", "Archiviert", "INVALID_STATUS")]
    f = ds.files.row(0, named=True)
    assert (f["lines_in"], f["row_lines"], f["rejected"], f["skipped"]) == (5, 3, 1, 1)


def test_german_pipedrive_export_with_source_given(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(plain([DE_HEADER, *DE_ROWS[:3]]))
    ds = load(path, source="pipedrive")
    assert ds.deals.height == 3 and ds.rejects.height == 0
    assert any("German headers" in n for n in ds.notes)


FR_HUBSPOT = ["ID de fiche d'informations", "Nom de la transaction", "Pipeline", "Phase de la transaction", "Montant",
              "Date de fermeture", "Date de création", "Propriétaire de la transaction",
              "Associated Company (Primary)"]


PT_HUBSPOT = ["ID do registro", "Nome do negócio", "Etapa do negócio", "Valor", "Data de fechamento", "Data de criação",
              "Proprietário do negócio", "Motivo da perda", "Associated Note", "Associated Note IDs"]


def test_portuguese_hubspot_export_loads_and_says_so(tmp_path: Path) -> None:
    rows = [["301", "Escola Azul", "Fechado ganho", "1500", "2024-03-14 16:02", "2024-01-09 10:23", "Ana Lima", "", "",
             ""],
            ["302", "Loja Mar", "Fechado perdido", "", "2024-02-01 09:00", "2024-01-05 08:15", "Bruno Reis",
             "Preço", "Ligou", "88"]]
    path = tmp_path / "hubspot-crm-exports-todos-os-negocios-2024-08-27.csv"
    path.write_bytes(quoted([PT_HUBSPOT, *rows]))
    ds = load(path)
    assert ds.source == "hubspot"
    assert ds.notes[0].startswith("source: hubspot (a HubSpot deals export, Portuguese headers; ")
    assert ds.deals.select(S.DEAL_ID, S.DEAL_NAME, S.OWNER_NAME, S.STAGE_RAW, S.AMOUNT).sort(S.DEAL_ID).rows() == [
        ("301", "Escola Azul", "Ana Lima", "Fechado ganho", 1500.0),
        ("302", "Loja Mar", "Bruno Reis", "Fechado perdido", None)]
    assert ds.deals.sort(S.DEAL_ID)["lost_reason"].to_list() == [None, "Preço"]


def test_french_hubspot_export_loads_and_says_so(tmp_path: Path) -> None:
    rows = [["9801", "Atelier Lune", "Pipeline de ventes", "Closed Won", "1200.0", "2024-03-14 16:02",
             "2024-01-09 10:23", "Claire Durand", "Atelier Lune"],
            ["9802", "Boulangerie Nord", "Pipeline de ventes", "Contract Sent", "", "2024-04-30 00:00",
             "2024-02-01 08:47", "Marc Petit", ""]]
    path = tmp_path / "hubspot-crm-exports-toutes-les-transactions-2024-08-27.csv"
    path.write_bytes(quoted([FR_HUBSPOT, *rows]))
    ds = load(path)
    assert ds.source == "hubspot"
    assert ds.notes[0].startswith("source: hubspot (a HubSpot deals export, French headers; ")
    assert any("HubSpot deals export, French headers (fr;" in n for n in ds.notes)
    assert ds.deals.select(S.DEAL_ID, S.DEAL_NAME, S.OWNER_NAME, S.STAGE_RAW, S.STATUS,
                           S.AMOUNT).sort(S.DEAL_ID).rows() == [
        ("9801", "Atelier Lune", "Claire Durand", "Closed Won", "won", 1200.0),
        ("9802", "Boulangerie Nord", "Marc Petit", "Contract Sent", "open", None)]
    assert ds.stage_events.height == 0 and not ds.has_history
    assert any(n.startswith("no English 'Date entered' columns; their French names are not known") for n in ds.notes)


def test_unknown_language_pipedrive_export_names_the_vendor_and_the_mapping_example(tmp_path: Path) -> None:
    path = tmp_path / "deals-4410-2.csv"
    path.write_bytes(plain([["Offerta - ID", "Offerta - Titolo", "Offerta - Proprietario", "Offerta - Fase"],
                            ["1", "A", "Luca", "Contatto"]]))
    with pytest.raises(FormatDetectionError) as err:
        load(path)
    text = str(err.value)
    assert "found deals-4410-2.csv, whose headers match none of the known ones" in text
    assert "looks like a Pipedrive deals export with headers in a language the toolkit does not know " \
           "(known: en, pt-BR, de, fr, es)" in text
    assert "examples/mappings/pipedrive_deals.yaml" in text
    # Named as Pipedrive's, it says the same.
    with pytest.raises(SchemaError) as named:
        load(path, source="pipedrive")
    text = str(named.value)
    assert text.startswith("expected a Pipedrive deals header (in English: ['Deal - ID', 'Deal - Owner', "
                           "'Deal - Stage'], or one of its known languages); found first line ")
    assert "looks like a Pipedrive deals export" in text and "pipedrive_deals.yaml" in text
    assert "Affaire" not in text and "Negócio" not in text


def test_unknown_language_hubspot_export_names_the_vendor_and_the_mapping_example(tmp_path: Path) -> None:
    path = tmp_path / "hubspot-crm-exports-tutte-le-offerte-2024-08-27.csv"
    path.write_bytes(quoted([["ID record", "Nome offerta", "Fase", "Associated Company IDs (Primary)"],
                             ["1", "A", "Closed Won", "77"]]))
    with pytest.raises(FormatDetectionError, match=r"looks like a HubSpot deals export .*\(known: en, fr, pt-BR, es\)"
                                                   r".*examples/mappings/hubspot_deals\.yaml"):
        load(path)


def test_the_mapping_examples_read_the_exports_they_describe(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_bytes(plain([
        ["Deal - ID", "Deal - Title", "Deal - Owner", "Deal - Value", "Deal - Currency of Value", "Deal - Stage",
         "Deal - Deal created", "Deal - Expected close date", "Deal - Deal closed on", "Deal - Status"],
        ["1", "A", "Ann", "10", "EUR", "Proposal Made", "2024-01-02 10:00:00", "2024-02-01", "", "Open"],
        ["2", "B", "Bob", "20", "EUR", "Contact Made", "2024-01-03 10:00:00", "2024-02-01", "2024-01-20 09:00:00",
         "Won"]]))
    (tmp_path / "pipedrive_deals.yaml").write_bytes((EXAMPLES / "pipedrive_deals.yaml").read_bytes())
    ds = load(tmp_path / "pipedrive_deals.yaml")
    assert ds.deals.select(S.DEAL_ID, S.STATUS, S.AMOUNT).sort(S.DEAL_ID).rows() == [("1", "open", 10.0),
                                                                                    ("2", "won", 20.0)]
    (tmp_path / "deals.csv").write_bytes(quoted([
        ["Record ID", "Deal Name", "Deal owner", "Deal Stage", "Amount", "Create Date", "Close Date"],
        ["5", "C", "Cid", "Closed Lost", "", "2024-01-02 10:00", "2024-02-01 00:00"]]))
    (tmp_path / "hubspot_deals.yaml").write_bytes((EXAMPLES / "hubspot_deals.yaml").read_bytes())
    ds = load(tmp_path / "hubspot_deals.yaml")
    assert ds.deals.select(S.DEAL_ID, S.STATUS).rows() == [("5", "lost")]


def test_no_header_name_means_two_fields_in_one_language() -> None:
    from toolkit.loaders import hubspot, pipedrive
    from toolkit.loaders.common import snake
    from toolkit.loaders.headers import header_sets
    for vendor, specs in (("pipedrive", pipedrive.DEALS), ("hubspot", hubspot.DEALS)):
        fields = {s.field for s in specs}
        for hs in header_sets(vendor):
            # Every localised field is one the loader reads (a renamed field would be lost silently).
            assert set(hs.fields) <= fields, (vendor, hs.code, set(hs.fields) - fields)
            seen: dict[str, str] = {}
            for key in (*hs.fields, *hs.extras):
                for n in hs.names(key):
                    assert seen.setdefault(snake(n), key) == key, (vendor, hs.code, n)
            # A language is read only with a source and the names to find a deal by.
            assert not hs.known or hs.confidence in ("H", "M", "L"), (vendor, hs.code)
            assert hs.fields or hs.confidence == "not found", (vendor, hs.code)
            assert hs.sources, (vendor, hs.code)


def test_portuguese_pipedrive_workbook_with_date_cells(tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"Negócio - {h}" for h in ("ID", "Título", "Proprietário", "Valor", "Funil", "Etapa", "Status",
                                          "Negócio criado em", "Ganho em")])
    ws.append([501, "Escola Azul", "Ana Lima", 1500.5, "Escolas", "Negociação", "Ganho",
               dt.datetime(2024, 2, 10, 14, 30), dt.datetime(2024, 3, 12, 10, 0)])
    ws.append([502, "Loja Mar", "Bruno Reis", None, "Varejo", "Qualificado", "Aberto",
               dt.datetime(2024, 1, 5, 8, 15), None])
    path = tmp_path / "deals-7428260-2353.xlsx"
    wb.save(path)
    ds = load(path)
    assert ds.source == "pipedrive"
    rows = ds.deals.select(S.DEAL_ID, S.STATUS, S.AMOUNT, S.CREATED_AT, S.CLOSED_AT).sort(S.DEAL_ID).rows()
    assert [(r[0], r[1], r[2], str(r[3]), None if r[4] is None else str(r[4])) for r in rows] == [
        ("501", "won", 1500.5, "2024-02-10 14:30:00", "2024-03-12 10:00:00"),
        ("502", "open", None, "2024-01-05 08:15:00", None)]
    assert any("Portuguese headers" in n for n in ds.notes)


def test_all_properties_export_with_three_pipelines_and_repeated_columns(tmp_path: Path) -> None:
    # Three pipelines, each with its own stages; a stray space in one pipeline label; the
    # association columns repeated at the end, as HubSpot writes them.
    header = ["Record ID", "Deal Name", "Pipeline", "Deal Stage", "Deal owner", "Amount",
              entered("Lead", "NYC Schools"), entered("Demo", "NYC Schools"), entered("Won", "NYC Schools"),
              entered("Intake", "Texas"), entered("Signed", "Texas"),
              entered("Renewal Due", "Renewals"), entered("Renewed", "Renewals"),
              "Associated Company", "Associated Company IDs", "Associated Company", "Associated Company IDs"]
    rows = [
        ["1", "PS 101", "NYC Schools", "Won", "Ann", "100", "2024-01-01 09:00", "2024-01-05 09:00", "2024-01-09 09:00",
         "", "", "", "", "PS 101", "11", "PS 101", "11"],
        ["2", "PS 102", "NYC Schools ", "Demo", "Bob", "", "2024-01-02 09:00", "2024-01-06 09:00", "",
         "", "", "", "", "", "", "", ""],
        ["3", "Austin ISD", "Texas", "Signed", "Ann", "300", "", "", "",
         "2024-02-01 10:00", "2024-02-20 10:00", "", "", "Austin ISD", "33", "Austin ISD", "33"],
        ["4", "PS 101 renewal", "Renewals", "Renewal Due", "Cid", "50", "", "", "",
         "", "", "2024-03-01 08:00", "", "PS 101", "11", "PS 101", "11"],
    ]
    path = tmp_path / "hubspot-crm-exports-all-deals-2024-08-27.csv"
    path.write_bytes(quoted([header, *rows]))
    ds = load(path)
    f = ds.files.row(0, named=True)
    assert (f["lines_in"], f["row_lines"], f["rejected"], f["skipped"]) == (5, 4, 0, 1)
    assert ds.deals.select(S.DEAL_ID, S.PIPELINE).sort(S.DEAL_ID).rows() == [
        ("1", "NYC Schools"), ("2", "NYC Schools"), ("3", "Texas"), ("4", "Renewals")]
    # Filled Date entered cells, counted by hand per pipeline: NYC 3 + 2, Texas 2, Renewals 1.
    by_pipeline = dict(ds.stage_events.group_by(S.PIPELINE).len().rows())
    assert by_pipeline == {"NYC Schools": 5, "Texas": 2, "Renewals": 1}
    assert sum(1 for n in ds.notes if "appears 2 times" in n and "the first is kept" in n) == 2
    # With no process file, each pipeline gets its own process, in its columns' order.
    assert ds.process is not None
    assert {k: p.stage_names[:2] for k, p in ds.process.pipelines.items()} == {
        "NYC Schools": ["Lead", "Demo"], "Texas": ["Intake", "Signed"], "Renewals": ["Renewal Due", "Renewed"]}
