"""The command line as ops run it: JSON shapes, exit codes, wrong arguments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SF = ROOT / "data" / "samples" / "salesforce_export"
SHORT_PROCESS = "name: Short\nstages: [{name: Qualify}, {name: Discover}, {name: Propose}]\nwon: Closed Won\nlost: Closed Lost\n"


def toolkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "toolkit.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_load_json() -> None:
    out = toolkit("load", str(SF), "--json")
    assert out.returncode == 0
    d = json.loads(out.stdout)
    assert {"source", "deals", "stage_events", "reps", "teams", "lines_in", "rejected", "skipped",
            "rejects_by_reason"} <= set(d)
    assert (d["source"], d["deals"], d["stage_events"], d["teams"], d["lines_in"]) == ("salesforce", 1002, 3356, 4, 11000)
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
    assert {"owner_id", "owner_name", "team_id", "open", "won", "lost", "flagged", "compliance_rate"} <= set(d["reps"][0])


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
