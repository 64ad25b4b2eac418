"""The all-teams page reads every slice's figures model: one row per team, linked to its report."""

from __future__ import annotations

import re
from typing import Any

import pytest
from report_runs import NORTH, SOUTH

from toolkit.errors import InputFileError
from toolkit.reporting.org import open_org


def test_one_row_per_team_from_the_figures(small_slices) -> None:
    org = open_org(small_slices)
    rows = {r["team_id"]: r for r in org.headlines.to_dicts()}
    assert sorted(rows) == [NORTH, SOUTH]
    north = rows[NORTH]
    assert {k: north[k] for k in ("team_name", "manager_name", "as_of", "reps", "open", "review_hours_full",
                                  "review_hours_sampled", "share_full", "control_verdict", "has_history",
                                  "quality_failed_for_team", "changes_new", "changes_pushed", "period_weeks")} == {
        "team_name": "North", "manager_name": "Mia", "as_of": "2025-06-30", "reps": 1, "open": 2,
        "review_hours_full": 1.0, "review_hours_sampled": 1.0, "share_full": 0.025,
        "control_verdict": "not enough weeks", "has_history": True, "quality_failed_for_team": 0, "changes_new": 1,
        "changes_pushed": 0, "period_weeks": 13}
    assert north["compliance_rate"] == pytest.approx(2 / 3) and rows[SOUTH]["compliance_rate"] == 0.0


def test_the_summary_sums_the_teams_and_links_each_report(small_slices) -> None:
    html = open_org(small_slices).summary().html
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "All teams, as of 2025-06-30" in text
    assert "2 teams, 2 reps, 3 open deals" in text
    assert "would take the managers 1.5 h this week; the sampled reviews take 1.5 h" in text
    assert f'href="{NORTH}/team_report.html"' in html and f'href="{SOUTH}/team_report.html"' in html
    # North before South (by name), each verdict "Not known" with why
    assert text.index("North") < text.index("South")
    cells = [" ".join(re.sub(r"<[^>]+>", "", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", html)]
    assert cells.count("Not known (too few weeks with enough stage moves to judge)") == 2
    assert cells[cells.index("South"):] == ["South", "Max", "1", "1",
                                            "Not known (too few weeks with enough stage moves to judge)", "0% (0%)",
                                            "0 new, 0 pushed, 0 won, 0 lost", "0.5", "0.5", "1%", "0"]


def test_the_summary_table_fits_the_page_on_screen(small_slices) -> None:
    """Numbers stay on one line but their headers wrap: a header such as "Compliant, last 13 weeks
    (all time)" held on one line made the table 1250 px wide in a 718 px page."""
    from weasyprint import CSS, HTML

    from toolkit.reporting.render import page

    document = HTML(string=page("All teams", open_org(small_slices).summary().html), media_type="screen")
    laid_out = document.render(stylesheets=[CSS(string="@page { size: 1100px 3000px; margin: 0 }")])
    boxes = []

    def walk(box: Any) -> None:
        if getattr(box, "element_tag", "") in ("main", "table"):
            boxes.append((box.element_tag, box.margin_width()))
        for child in getattr(box, "children", None) or []:
            walk(child)

    walk(laid_out.pages[0]._page_box)
    (main, main_width), *tables = boxes
    assert main == "main" and [t for t, _w in tables] == ["table", "table"]  # the table and its wrapper
    assert all(width <= main_width for _t, width in tables), (main_width, tables)


def test_no_slices_is_an_error(tmp_path) -> None:
    with pytest.raises(InputFileError, match=r"team slices \(\*/slice.json\) under .*; found none"):
        open_org(tmp_path)
