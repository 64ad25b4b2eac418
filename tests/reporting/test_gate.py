"""The gate on its own: structure, not words."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from toolkit.errors import ReportGateError
from toolkit.reporting.gate import active_content, foreign_ids, gate_page, gate_slice

SECTIONS = ("headline", "appendix")


def page_with(body: str) -> str:
    return ("<html><body><section data-section='headline'>" + body + "</section>"
            "<section data-section=\"appendix\"></section></body></html>")


@pytest.mark.parametrize(("html", "found"), [
    ("<script>alert(1)</script>", ["<script>"]),
    ("<img src=x onerror=alert(1)>", ["img onerror="]),
    ("<a href='javascript:alert(1)'>x</a>", ["a href=javascript:alert(1)"]),
    ("<img src='https://cdn.example/x.png'>", ["img src=https://cdn.example/x.png"]),
    ("<div style='background: url(x.png)'></div>", ["div style url()"]),
    ("<iframe></iframe><form></form>", ["<iframe>", "<form>"]),
    ("&lt;img src=x onerror=alert(1)&gt; &lt;script&gt;", []),  # escaped CRM text is text
    ("<a href='nordics-49521b/team_report.html'>x</a><svg><text>y</text></svg>", []),
])
def test_active_content(html: str, found: list[str]) -> None:
    assert active_content(html) == found


def test_a_deal_named_after_another_team_passes() -> None:
    gate_page(page_with("<td><bdi>Handover to nordics-49521b</bdi></td><td>Pick up unassigned leads</td>"),
              sections=SECTIONS)


def test_missing_sections_and_active_content_fail() -> None:
    with pytest.raises(ReportGateError, match=r"missing \['appendix'\]"):
        gate_page("<section data-section='headline'></section>", sections=SECTIONS)
    with pytest.raises(ReportGateError, match="without scripts"):
        gate_page(page_with("<script></script>"), sections=SECTIONS)


def _deals() -> tuple[pl.DataFrame, pl.DataFrame]:
    deals = pl.DataFrame({"deal_id": ["D1", "D2", "D3"], "owner_id": ["O1", "O2", "O3"],
                          "team_id": ["a-1", "a-1", "b-2"], "deal_name": ["x", "Handover to b-2", "z"]})
    reps = pl.DataFrame({"owner_id": ["O1", "O2", "O3", "O4"], "team_id": ["a-1", "a-1", "b-2", "b-2"]})
    return deals, reps


def test_slice_isolation_by_ids(tmp_path) -> None:
    deals, reps = _deals()
    own = tmp_path / "a-1"
    own.mkdir()
    deals.filter(pl.col("team_id") == "a-1").write_parquet(own / "deals.parquet")
    pl.DataFrame({"owner_id": ["O1", "O2"], "team_id": ["a-1", "a-1"]}).write_parquet(own / "rates.parquet")
    assert foreign_ids(own, "a-1", deals, reps) == {}
    gate_slice(own, "a-1", deals, reps)  # "Handover to b-2" is a name, not b-2's data
    # another team's deal, rep and team id slipped into tables of the slice
    pl.DataFrame({"deal_id": ["D3"], "owner_id": ["O1"]}).write_parquet(own / "plan.parquet")
    pl.DataFrame({"owner_id": ["O4"], "team_id": ["b-2"]}).write_parquet(own / "load.parquet")
    assert foreign_ids(own, "a-1", deals, reps) == {"deal_id": ["D3"], "owner_id": ["O4"], "team_id": ["b-2"]}
    with pytest.raises(ReportGateError, match=r"other teams' deal_id \['D3'\]; owner_id \['O4'\]; team_id \['b-2'\]"):
        gate_slice(own, "a-1", deals, reps)


def test_the_samples_slices_pass_and_a_foreign_row_fails(tmp_path) -> None:
    import toolkit
    from toolkit.process import load_process
    from toolkit.reporting.slices import prepare_slices

    root = Path(__file__).resolve().parents[2]
    data = toolkit.load(root / "data" / "samples" / "salesforce_export")
    process = load_process()
    slices = prepare_slices(data, process, dt.date(2025, 6, 30), tmp_path / "slices")
    for s in slices:
        gate_slice(s.data_dir, s.team_id, data.deals, data.reps)
    a, b = slices[0], slices[1]
    shutil.copy(b.data_dir / "deals.parquet", a.data_dir / "plan.parquet")  # b's deals inside a's slice
    with pytest.raises(ReportGateError, match="other teams' deal_id"):
        gate_slice(a.data_dir, a.team_id, data.deals, data.reps)
