"""The sample generator: deterministic, the company's shape, the ground truth reproducible by an
independent checker, and every format carrying the same deals and stage history."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from toolkit import samples
from toolkit.samples import AS_OF, FORMATS, generate_company, scale_for, write_samples

# The process, written out again here so that the checker does not share the generator's code.
ORDER = ["Qualify", "Discover", "Propose", "Negotiate", "Closed Won"]
MAX_DAYS = {"Qualify": 14, "Discover": 21, "Propose": 21, "Negotiate": 30}
REQUIRED = {"Qualify": ["amount", "close_date"], "Discover": ["decision_maker"],
            "Propose": ["amount", "close_date", "next_step"], "Negotiate": ["decision_maker", "next_step"]}
NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day)

# seed 7, default scale
N_DEALS, N_OPEN, N_WON, N_LOST = 1002, 358, 238, 406
N_EVENTS, N_SF_HISTORY = 3356, 9944
PLANTED = {"backward_move": 28, "missing_required_field": 24, "over_time_limit": 56,
           "overdue_close_date": 31, "skipped_stage": 36, "started_late": 33}
N_PLANTED_DEALS, N_DOUBLE = 197, 11


@pytest.fixture(scope="module")
def company() -> samples.Company:
    return generate_company(7)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    write_samples(out)
    return out


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def check(deals: pl.DataFrame, events: pl.DataFrame) -> set[tuple[str, str, str, str | None]]:
    """An independent process checker over consecutive stage entries, row by row."""
    found: set[tuple[str, str, str, str | None]] = set()
    by_deal: dict[str, list[tuple[str, datetime]]] = {}
    for row in events.sort("deal_id", "entered_at").iter_rows(named=True):
        by_deal.setdefault(row["deal_id"], []).append((row["stage"], row["entered_at"]))
    for deal in deals.iter_rows(named=True):
        d, path = deal["deal_id"], by_deal[deal["deal_id"]]
        stages = [s for s, _ in path]
        if stages[0] != "Qualify":
            found.add((d, "started_late", stages[0], None))
        for (a, _), (b, _) in zip(path, path[1:], strict=False):
            if b != "Closed Lost":
                if ORDER.index(b) > ORDER.index(a) + 1:
                    found.add((d, "skipped_stage", ORDER[ORDER.index(a) + 1], None))
                elif ORDER.index(b) < ORDER.index(a):
                    found.add((d, "backward_move", b, None))
        for i, (stage, entered) in enumerate(path):
            if stage not in MAX_DAYS:
                continue
            left = path[i + 1][1] if i + 1 < len(path) else NOW
            days = (left - entered) / timedelta(days=1)
            if days > MAX_DAYS[stage]:
                found.add((d, "over_time_limit", stage, f"days={int(days)}"))
        for field in ("decision_maker", "next_step", "amount", "close_date"):
            if deal[field] is None:
                needing = [s for s in MAX_DAYS if s in stages and field in REQUIRED[s]]
                if needing:
                    found.add((d, "missing_required_field", needing[0], f"field={field}"))
        if deal["status"] == "open" and deal["close_date"] < AS_OF:
            found.add((d, "overdue_close_date", deal["stage"], None))
    return found


def truth(planted: pl.DataFrame) -> set[tuple[str, str, str, str | None]]:
    return set(planted.iter_rows())


# --- determinism ------------------------------------------------------------------------------

def test_same_seed_same_company_other_seed_differs(company: samples.Company) -> None:
    again = generate_company(7)
    for name in ("deals", "stage_events", "reps", "planted", "users", "roles", "history"):
        assert getattr(company, name).equals(getattr(again, name)), name
    other = generate_company(8)
    assert not other.deals.equals(company.deals)
    assert not other.planted.equals(company.planted)


def test_same_seed_byte_identical_files(written: Path, tmp_path: Path) -> None:
    write_samples(tmp_path / "again")
    first, second = files_of(written), files_of(tmp_path / "again")
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    write_samples(tmp_path / "other", seed=8, formats=("hubspot",))
    assert (tmp_path / "other" / "hubspot" / "hubspot-crm-exports-all-deals-2025-06-30.csv").read_bytes() != \
        first["hubspot/hubspot-crm-exports-all-deals-2025-06-30.csv"]


def test_written_files(written: Path) -> None:
    assert sorted(files_of(written)) == [
        "README.md", "generic_fr/affaires.csv", "generic_fr/historique.csv", "generic_fr/mapping.yaml",
        "generic_fr/roster.csv",
        "ground_truth.csv", "hubspot/hubspot-crm-exports-all-deals-2025-06-30.csv", "hubspot/roster.csv",
        "pipedrive/deal-flow.jsonl", "pipedrive/deals-7345120-1.csv", "pipedrive/roster.csv",
        "salesforce_export/Opportunity.csv", "salesforce_export/OpportunityHistory.csv",
        "salesforce_export/User.csv", "salesforce_export/UserRole.csv",
        "salesforce_report/opportunities.csv", "salesforce_report/roster.csv",
        "salesforce_report/stage_history.csv"]
    readme = (written / "README.md").read_text(encoding="utf-8")
    assert "seed: 7" in readme and "2025-06-30" in readme


def test_unknown_format_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown format"):
        write_samples(tmp_path, formats=("salesforce", ))


# --- the company ------------------------------------------------------------------------------

def test_teams_reps_and_deal_counts(company: samples.Company) -> None:
    per_team = dict(company.reps.group_by("team_name").len().iter_rows())
    assert per_team == {"Nordics": 6, "DACH": 8, "US East": 10, "US West": 12}
    d = company.deals
    assert d.height == N_DEALS
    assert dict(d.group_by("status").len().iter_rows()) == {"open": N_OPEN, "won": N_WON, "lost": N_LOST}
    open_per_rep = d.filter(pl.col("status") == "open").group_by("owner_id").len()["len"]
    assert open_per_rep.len() == 36 and open_per_rep.min() == 8 and open_per_rep.max() == 12
    assert company.stage_events.height == N_EVENTS
    assert company.history.height == N_SF_HISTORY


def test_deal_fields(company: samples.Company) -> None:
    d = company.deals
    assert d["deal_id"].str.contains(r"^006[0-9A-Za-z]{15}$").all() and d["deal_id"].n_unique() == d.height
    assert d["deal_name"].n_unique() == d.height
    assert d["deal_name"].str.contains(r"^.+ - .+ \d+$").all()
    assert (d["amount"] > 0).all() and d["amount"].null_count() == 0 and d["close_date"].null_count() == 0
    eur = d.filter(pl.col("team_name").is_in(["Nordics", "DACH"]))
    assert (eur["currency"] == "EUR").all() and (d.filter(pl.col("team_name").str.starts_with("US"))["currency"]
                                                 == "USD").all()
    assert ((d["status"] == "open") == d["closed_at"].is_null()).all()
    closed = d.filter(pl.col("status") != "open")
    assert (closed["closed_at"].dt.date() == closed["close_date"]).all()
    assert d["created_at"].min() >= datetime(2024, 7, 1) and d["last_activity_at"].max() < NOW
    names = " ".join(company.users["name"])
    assert any(ch in names for ch in "üøéöåä")
    for frame in (d, company.stage_events, company.history):
        for col, dtype in frame.schema.items():
            if dtype == pl.Datetime:
                assert dtype == pl.Datetime("us") and frame[col].dt.second().fill_null(0).max() == 0


def test_salesforce_ids_have_valid_checksums(company: samples.Company) -> None:
    def suffix(id15: str) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
        return "".join(alphabet[sum(1 << i for i, ch in enumerate(id15[j:j + 5]) if ch.isupper())]
                       for j in (0, 5, 10))
    ids = [*company.deals["deal_id"], *company.users["user_id"], *company.roles["role_id"],
           *company.history["history_id"].head(200)]
    assert all(len(i) == 18 and i[15:] == suffix(i[:15]) for i in ids)
    assert {i[:3] for i in company.users["user_id"]} == {"005"} and {i[:3] for i in company.roles["role_id"]} == {"00E"}


# --- the ground truth -------------------------------------------------------------------------

def test_planted_counts(company: samples.Company) -> None:
    p = company.planted
    assert dict(p.group_by("flag").len().iter_rows()) == PLANTED
    assert p["deal_id"].n_unique() == N_PLANTED_DEALS
    assert 0.15 <= N_PLANTED_DEALS / N_DEALS <= 0.25
    assert (p.group_by("deal_id").len()["len"] == 2).sum() == N_DOUBLE
    assert p.group_by("deal_id").len()["len"].max() == 2


def test_checker_finds_exactly_the_ground_truth(company: samples.Company) -> None:
    assert check(company.deals, company.stage_events) == truth(company.planted)


def test_normal_stays_keep_a_margin(company: samples.Company) -> None:
    """Normal stays end a day before the limit (two for current stays), so counting to AS_OF 23:59,
    rounding or >= instead of > finds nothing more."""
    over = set(company.planted.filter(pl.col("flag") == "over_time_limit")["deal_id"])
    ev = company.stage_events.sort("deal_id", "entered_at").with_columns(
        pl.col("entered_at").shift(-1).over("deal_id").fill_null(NOW).alias("left"))
    ev = ev.filter(pl.col("stage").is_in(list(MAX_DAYS)) & ~pl.col("deal_id").is_in(over))
    days = (ev["left"] - ev["entered_at"]).dt.total_minutes() / 1440
    limit = ev["stage"].replace_strict(MAX_DAYS, return_dtype=pl.Float64)
    assert ((limit - days) > 1).all()


def test_scale_for_one_million(company: samples.Company) -> None:
    """scale multiplies each rep's open and closed deal counts (rounded half up)."""
    counts = company.deals.group_by("owner_id", pl.col("status") == "open").len()["len"].to_list()
    scale = scale_for(1_000_000)
    assert abs(sum(int(scale * n + 0.5) for n in counts) - 1_000_000) <= 20_000
    small = generate_company(3, scale=2.5)
    assert small.deals.height == sum(int(2.5 * n + 0.5) for n in counts)
    assert abs(small.history.height / small.deals.height - 10) < 1.5


# --- every format carries the same deals and history --------------------------------------------

def sorted_events(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select("deal_id", "stage", "entered_at").sort("deal_id", "entered_at")


def test_salesforce_export(written: Path, company: samples.Company) -> None:
    folder = written / "salesforce_export"
    for name in ("Opportunity.csv", "OpportunityHistory.csv", "User.csv", "UserRole.csv"):
        data = (folder / name).read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data and data.endswith(b"\n")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
        assert len({len(r) for r in rows}) == 1
        # every field quoted, empty ones too: as many quotes as 2 per field (no quotes inside)
        lines = data.decode("utf-8").splitlines()
        plain = [(line, r) for line, r in zip(lines, rows, strict=False) if not any('"' in f for f in r)]
        assert plain and all(line.count('"') == 2 * len(r) for line, r in plain)
    assert ',"",' in (folder / "Opportunity.csv").read_text(encoding="utf-8")
    hist = pl.read_csv(folder / "OpportunityHistory.csv", infer_schema=False)
    assert hist.height == N_SF_HISTORY
    assert hist.select("OpportunityId", "CreatedDate").equals(hist.select("OpportunityId", "CreatedDate")
                                                               .sort("OpportunityId", "CreatedDate"))
    collapsed = hist.filter(pl.col("StageName") != pl.col("StageName").shift(1).over("OpportunityId")
                            .fill_null("")).select(
        pl.col("OpportunityId").alias("deal_id"), pl.col("StageName").alias("stage"),
        pl.col("CreatedDate").str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us").alias("entered_at"))
    assert sorted_events(collapsed).equals(sorted_events(company.stage_events))
    opp = pl.read_csv(folder / "Opportunity.csv", infer_schema=False)
    assert opp["Id"].to_list() == company.deals["deal_id"].to_list()
    assert set(opp["IsClosed"]) == {"true", "false"}
    roles = pl.read_csv(folder / "UserRole.csv", infer_schema=False)
    nordics = roles.filter(pl.col("Name") == "Nordics")["ParentRoleId"][0]
    manager_role = roles.filter(pl.col("Id") == nordics)
    assert manager_role["Name"][0] == "Nordics Manager"
    assert roles.filter(pl.col("Id") == manager_role["ParentRoleId"][0])["Name"][0] == "VP Sales"


def test_salesforce_report(written: Path, company: samples.Company) -> None:
    text = (written / "salesforce_report" / "opportunities.csv").read_text(encoding="utf-8")
    body, footer = text.split("\n\n")
    assert footer.splitlines() == [
        '"Opportunities Report"', '"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."',
        '"Confidential Information - Do Not Distribute"',
        f'"Generated By:  {company.users.filter(pl.col("kind") == "manager")["name"][0]}  6/30/2025 5:04 PM"',
        '"Northwind Instruments"']
    rows = list(csv.DictReader(io.StringIO(body + "\n")))
    assert len(rows) == N_DEALS
    first = company.deals.row(0, named=True)
    assert rows[0]["Created Date"] == f"{first['created_at']:%-m/%-d/%Y %-I:%M %p}"
    assert rows[0]["Amount"] == f"{first['amount']:,.2f}"
    assert all(r["Closed Date"] == "" for r in rows if r["Stage"] not in ("Closed Won", "Closed Lost"))
    hist_text = (written / "salesforce_report" / "stage_history.csv").read_text(encoding="utf-8")
    hist = list(csv.DictReader(io.StringIO(hist_text.split("\n\n")[0] + "\n")))
    events = pl.DataFrame({"deal_id": [r["Opportunity ID"] for r in hist], "stage": [r["To Stage"] for r in hist],
                           "entered_at": [datetime.strptime(r["Edit Date"], "%m/%d/%Y %I:%M %p") for r in hist]},
                          schema_overrides={"entered_at": pl.Datetime("us")})
    assert sorted_events(events).equals(sorted_events(company.stage_events))
    assert sum(r["From Stage"] == "" for r in hist) == N_DEALS


def test_hubspot_keeps_latest_entries_and_loses_only_backward_moves(written: Path, company: samples.Company) -> None:
    path = written / "hubspot" / "hubspot-crm-exports-all-deals-2025-06-30.csv"
    data = path.read_text(encoding="utf-8")
    assert data.startswith('"Record ID","Deal Name","Pipeline","Deal Stage","Amount"')
    assert '"Date entered ""Qualify (Sales Pipeline)""","Date exited ""Qualify (Sales Pipeline)"""' in data
    frame = pl.read_csv(path, infer_schema=False)
    # polars keeps a header's doubled quotes as they are; the csv module reads it per RFC 4180
    frame.columns = next(csv.reader(io.StringIO(data)))
    assert frame.height == N_DEALS and set(frame["Pipeline"]) == {"Sales Pipeline"}
    assert frame["Amount"].str.ends_with(".0").any() and (~frame["Amount"].str.contains(r"\.")).any()
    entered = [c for c in frame.columns if c.startswith("Date entered")]
    events = frame.unpivot(index="Record ID", on=entered).filter(pl.col("value") != "").select(
        pl.col("Record ID").alias("deal_id"),
        pl.col("variable").str.extract(r'"(.+) \(Sales Pipeline\)"').alias("stage"),
        pl.col("value").str.to_datetime("%Y-%m-%d %H:%M", time_unit="us").alias("entered_at"))
    backward = company.planted.filter(pl.col("flag") == "backward_move")
    full = company.stage_events.filter(~pl.col("deal_id").is_in(backward["deal_id"].to_list()))
    assert sorted_events(events.filter(pl.col("deal_id").is_in(full["deal_id"].unique().to_list()))).equals(
        sorted_events(full))
    assert check(company.deals, events) == truth(company.planted.filter(pl.col("flag") != "backward_move"))


def test_pipedrive(written: Path, company: samples.Company) -> None:
    folder = written / "pipedrive"
    deals = pl.read_csv(folder / "deals-7345120-1.csv", infer_schema=False)
    assert deals.height == N_DEALS
    assert set(deals["Deal - Status"]) == {"Open", "Won", "Lost"}
    assert set(deals["Deal - Stage"]) == {"Qualify", "Discover", "Propose", "Negotiate"}
    flow = [json.loads(line) for line in (folder / "deal-flow.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(flow) == N_EVENTS - N_DEALS
    # rebuild the history: creation in the first old stage, then the moves and the status change
    stage_of = {"won": "Closed Won", "lost": "Closed Lost"}
    by_deal: dict[str, list[dict]] = {}
    for item in flow:
        by_deal.setdefault(item["data"]["item_id"], []).append(item["data"])
    rows = []
    for deal in deals.iter_rows(named=True):
        changes = by_deal.get(deal["Deal - ID"], [])
        first = next((c["additional_data"]["old_value_formatted"] for c in changes if c["field_key"] == "stage_id"),
                     deal["Deal - Stage"])
        rows.append((deal["Deal - ID"], first, deal["Deal - Deal created"]))
        for c in changes:
            stage = (c["additional_data"]["new_value_formatted"] if c["field_key"] == "stage_id"
                     else stage_of[c["new_value"]])
            rows.append((deal["Deal - ID"], stage, c["log_time"]))
    events = pl.DataFrame(rows, schema=["deal_id", "stage", "entered_at"], orient="row").with_columns(
        pl.col("entered_at").str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us"))
    assert sorted_events(events).equals(sorted_events(company.stage_events))


def test_generic_fr(written: Path, company: samples.Company) -> None:
    folder = written / "generic_fr"
    raw = (folder / "affaires.csv").read_bytes()
    text = raw.decode("cp1252")
    assert text.count("\r\n") == text.count("\n") and text.endswith("\r\n")
    assert text.startswith("Réf;Intitulé;Commercial;Équipe;Responsable;Étape;Statut;Montant;Date de création;"
                           "Date de clôture prévue;Clôturé le;Dernière activité;Prochaine étape;Décideur\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert len(rows) == N_DEALS
    assert any("\u00a0" in r["Montant"] for r in rows) and any(" " in r["Montant"] for r in rows)
    assert {r["Statut"] for r in rows} == {"Ouvert", "Gagné", "Perdu"}
    first = company.deals.row(0, named=True)
    expected = f"{first['amount']:,.2f}".replace(",", "\u00a0").replace(".", ",")
    assert rows[0]["Montant"] == expected + "\u00a0" + ("€" if first["currency"] == "EUR" else "$")
    hist = list(csv.DictReader(io.StringIO((folder / "historique.csv").read_bytes().decode("cp1252"), newline=""),
                               delimiter=";"))
    events = pl.DataFrame({"deal_id": [r["Réf"] for r in hist], "stage": [r["Étape"] for r in hist],
                           "entered_at": [datetime.strptime(r["Date d'entrée"], "%d/%m/%Y %H:%M") for r in hist]},
                          schema_overrides={"entered_at": pl.Datetime("us")})
    assert sorted_events(events).equals(sorted_events(company.stage_events))


def test_rosters_and_ground_truth_file(written: Path, company: samples.Company) -> None:
    for fmt in FORMATS:
        roster = written / fmt / "roster.csv"
        if fmt == "salesforce_export":
            assert not roster.exists()
            continue
        r = pl.read_csv(roster)
        assert r.columns == ["owner", "team", "manager"] and r.height == company.reps.height
    gt = pl.read_csv(written / "ground_truth.csv", infer_schema=False)
    assert gt.columns == ["deal_id", "flag", "stage", "detail"] and gt.equals(company.planted)


def test_as_of_and_history_start() -> None:
    assert AS_OF == date(2025, 6, 30) and samples.HISTORY_START == date(2024, 7, 1)
