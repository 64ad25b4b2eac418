"""The command line as ops run it: JSON shapes, exit codes, wrong arguments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SF = ROOT / "data" / "samples" / "salesforce_export"
SHORT_PROCESS = "name: Short\nstages: [{name: Qualify}, {name: Discover}, {name: Propose}]\nwon: Closed Won\nlost: Closed Lost\n"


def toolkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "toolkit.cli", *args], capture_output=True, text=True, cwd=ROOT, check=False)


def test_load_json() -> None:
    out = toolkit("load", str(SF), "--json")
    assert out.returncode == 0
    d = json.loads(out.stdout)
    assert {"source", "deals", "stage_events", "reps", "teams", "lines_in", "rejected", "skipped",
            "rejects_by_reason"} <= set(d)
    assert (d["source"], d["deals"], d["stage_events"], d["teams"], d["lines_in"]) == ("salesforce", 1002, 3356, 4,
                                                                                       11000)
    assert "source salesforce" in out.stderr  # says which format it chose


def test_load_refuses_what_it_cannot_use(tmp_path) -> None:
    empty = tmp_path / "deals.csv"
    empty.write_bytes(b"")
    assert toolkit("load", str(empty), "--source", "pipedrive").returncode == 1
    unknown = tmp_path / "x.csv"
    unknown.write_text("a,b\n1,2\n", encoding="utf-8")
    res = toolkit("load", str(unknown))
    assert res.returncode == 1 and "Hint:" in res.stderr
    assert toolkit("load", str(SF), "--source", "nope").returncode == 1
    assert toolkit("load").returncode == 2                        # missing argument
    assert toolkit("metrics", str(SF), "--as-of", "2025-13-01").returncode == 2


def test_metrics_json() -> None:
    out = toolkit("metrics", str(SF), "--as-of", "2025-06-30", "--json")
    assert out.returncode == 0
    d = json.loads(out.stdout)
    assert d["as_of"] == "2025-06-30"
    assert set(d["transitions"]) == {"forward", "skip", "backward", "won", "lost", "reopen", "reclassify", "unknown"}
    assert d["deals_flagged"]["skipped_stage"] == 36 and len(d["teams"]) == 4 and len(d["reps"]) == 36
    assert {"team_id", "team_name", "reps", "open", "won", "lost", "review_hours_full", "review_hours_sampled",
            "compliance_rate"} <= set(d["teams"][0])
    assert {"owner_id", "owner_name", "team_id", "open", "won", "lost", "flagged",
            "compliance_rate"} <= set(d["reps"][0])


def test_validate_exit_codes_json_and_data_docs(tmp_path) -> None:
    ok = toolkit("validate", str(SF), "--as-of", "2025-06-30", "--json", "--data-docs", str(tmp_path / "docs"))
    assert ok.returncode == 0
    d = json.loads(ok.stdout)
    assert d["blocking"] is False and d["success"] is False  # warnings: the planted missing fields
    assert {"name", "severity", "success", "unexpected_count", "source_lines"} <= set(d["expectations"][0])
    assert (tmp_path / "docs" / "index.html").is_file()
    process = tmp_path / "short.yaml"
    process.write_text(SHORT_PROCESS, encoding="utf-8")
    blocked = toolkit("validate", str(SF), "--as-of", "2025-06-30", "--process", str(process))
    assert blocked.returncode == 2 and "BLOCKING" in blocked.stdout


AMBIGUOUS_MAPPING = """\
files: {deals: deals.csv}
currency: EUR
columns:
  deals: {deal_id: id, deal_name: name, owner_name: rep, team_name: team, manager_name: manager, stage_raw: stage,
          amount: amount, created_at: created, close_date: close}
"""


def ambiguous_export(folder: Path) -> Path:
    """Two teams whose dates read both ways (03/04/2025): only --date-style can settle them."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mapping.yaml").write_text(AMBIGUOUS_MAPPING, encoding="utf-8")
    (folder / "deals.csv").write_text("id,name,rep,team,manager,stage,amount,created,close\n"
                                      "D1,A,Ann,DACH,M,Qualify,100,03/04/2025,05/06/2025\n"
                                      "D2,B,Bob,Nordics,N,Qualify,200,02/01/2025,07/08/2025\n", encoding="utf-8")
    return folder


def test_every_command_takes_the_load_options(tmp_path) -> None:
    export = ambiguous_export(tmp_path / "export")
    for command in ("load", "metrics", "validate", "prepare", "report"):
        extra = ("--out", str(tmp_path / command)) if command in ("prepare", "report") else ()
        assert toolkit(command, str(export), *extra).returncode == 1, command  # the dates cannot be read
        res = toolkit(command, str(export), *extra, "--date-style", "nope")
        assert res.returncode == 1 and "date_style to be one of ('iso', 'dmy', 'mdy')" in res.stderr, command
    prepared = toolkit("prepare", str(export), "--date-style", "mdy", "--out", str(tmp_path / "slices"),
                       "--as-of", "2025-06-30")
    assert prepared.returncode == 0, prepared.stderr[-1000:]
    assert sorted(line.split("\t")[0] for line in prepared.stdout.splitlines()) == ["dach-1f77f8", "nordics-49521b"]
    deals = json.loads((tmp_path / "slices" / "dach-1f77f8" / "slice.json").read_text(encoding="utf-8"))
    assert deals["figures"]["team_name"] == "DACH"


def test_teams_by_id_or_name_and_an_unknown_one_lists_the_known(tmp_path) -> None:
    export = ambiguous_export(tmp_path / "export")
    ok = toolkit("prepare", str(export), "--date-style", "mdy", "--out", str(tmp_path / "s"), "--teams",
                 " dach ,nordics-49521b")
    assert ok.returncode == 0, ok.stderr[-1000:]
    assert [line.split("\t")[0] for line in ok.stdout.splitlines()] == ["dach-1f77f8", "nordics-49521b"]
    bad = toolkit("report", str(export), "--date-style", "mdy", "--out", str(tmp_path / "r"), "--teams", "EMEA")
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines()[-1] == (
        "error: expected team ids or names from this export; found ['EMEA']. "
        "Hint: known teams: dach-1f77f8 (DACH), nordics-49521b (Nordics); or use --teams all")
    assert not (tmp_path / "r" / "2025-06-30").exists() or not list((tmp_path / "r").rglob("index.html"))


def test_report_reads_the_export_as_load_does(tmp_path) -> None:
    export = ambiguous_export(tmp_path / "export")
    res = toolkit("report", str(export), "--date-style", "mdy", "--out", str(tmp_path / "r"), "--as-of", "2025-06-30",
                  "--teams", "DACH", "--formats", "html")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "INFO toolkit.report: published dach-1f77f8 (1/1)" in res.stderr
    manifest = json.loads((tmp_path / "r" / "2025-06-30" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["date_style"] == "mdy"
    assert [(t["team_id"], t["status"]) for t in manifest["teams"]] == [("dach-1f77f8", "published")]


def test_metrics_changes_control_and_coaching_with_a_previous_export(tmp_path) -> None:
    import csv
    import shutil

    previous = tmp_path / "last_week"
    shutil.copytree(SF, previous)
    opp = previous / "Opportunity.csv"
    with opp.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    first = rows[1]
    # Last week the first deal closed a month earlier and was worth less: this export pushed it and raised it.
    first[header.index("CloseDate")], first[header.index("Amount")] = "2024-07-13", "5000.0"
    with opp.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rows)
    created = [r[header.index("CreatedDate")] for r in rows[1:]]
    new = sum(1 for c in created if "2025-06-23 23:59:59" < c <= "2025-06-30 23:59:59")
    out = toolkit("metrics", str(SF), "--as-of", "2025-06-30", "--previous", str(previous), "--window-days", "7",
                  "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    c = d["changes"]
    assert (c["window_days"], c["start"], c["end"], c["basis"]) == (7, "2025-06-23T23:59:59", "2025-06-30T23:59:59",
                                                                    "previous export")
    assert c["totals"] == {"new": new, "pushed": 1, "pulled_in": 0, "amount_up": 1, "amount_down": 0,
                           "stage_changed": 0, "won": 0, "lost": 0}
    moved = next(x for x in c["deals"] if x["deal_id"] == first[0])
    assert moved["changes"] == ["pushed", "amount_up"]
    assert moved["close_date"] == {"from": "2024-07-13", "to": "2024-08-13"}
    assert moved["amount"] == {"from": 5000.0, "to": 6576.64}
    assert {ch["measure"] for ch in d["control"]} == {"in_process_share", "win_rate", "median_days_in_stage", "moves"}
    share = [ch for ch in d["control"] if ch["measure"] == "in_process_share"]
    assert len(share) == 4 and all(ch["kind"] == "share" and ch["chart"] in ("p", "p'") for ch in share)
    assert all(0.0 <= p["lower"] <= p["upper"] <= 1.0 for ch in share for p in ch["points"] if p["judged"])
    assert len(d["coaching"]) == 36 and {"owner_id", "stage", "line"} <= set(d["coaching"][0])
    text = toolkit("metrics", str(SF), "--as-of", "2025-06-30", "--previous", str(previous))
    assert f"new {new}, pushed 1, pulled in 0, amount up 1" in text.stdout and "Western Electric" in text.stdout


def test_prepare_compares_with_the_previous_export(tmp_path) -> None:
    """--previous: the week's changes are the differences between last week's export and this one."""
    import csv
    import shutil

    hubspot = ROOT / "data" / "samples" / "hubspot"
    previous = tmp_path / "previous"
    shutil.copytree(hubspot, previous)
    export = next(previous.glob("hubspot-crm-exports-*.csv"))
    with export.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    stage, amount, close, owner = (head.index(c) for c in ("Deal Stage", "Amount", "Close Date", "Deal owner"))
    row = next(r for r in rows[1:] if not r[stage].startswith("Closed") and r[amount])
    deal_id, owner_name = row[0], row[owner]
    row[amount] = str(float(row[amount]) - 100)          # so this week's amount is higher
    row[close] = "2025-01-01 00:00"                      # so this week's close date is later
    with export.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    out = toolkit("prepare", str(hubspot), "--as-of", "2025-06-30", "--out", str(tmp_path / "slices"),
                  "--previous", str(previous), "--window-days", "7")
    assert out.returncode == 0, out.stderr[-2000:]
    changed = []
    for meta in (tmp_path / "slices").glob("*/slice.json"):
        changes = json.loads(meta.read_text(encoding="utf-8"))["figures"]["changes"]
        assert changes["basis"] == "previous export" and changes["window_days"] == 7
        changed += [(d["deal_id"], d["owner_name"], sorted(d["changes"])) for d in changes["deals"]
                    if set(d["changes"]) - {"new"}]
    assert changed == [(deal_id, owner_name, ["amount_up", "pushed"])]
