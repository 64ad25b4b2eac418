"""Opening a team's slice: the figures model and provenance it reads, and the slices it refuses."""

from __future__ import annotations

import json
import shutil

import pytest
from report_runs import NORTH, SOUTH

from toolkit.errors import InputFileError, UnknownTeamError
from toolkit.reporting.team import open_team
from toolkit.reporting.team.data import HISTORY_HINTS, SLICE_VERSION, TeamData


def test_open_team_reads_the_figures_and_every_table(small_slices) -> None:
    report = open_team(small_slices / NORTH, NORTH)
    assert report.figures["team_name"] == "North" and report.figures["open"] == 2
    assert report.provenance["source"] == "generic" and report.has_history is True
    assert report.tables["deals"].height == 3 and report.tables["quality"].height == 0
    assert sorted(report.tables) == ["changes", "coaching", "control", "conversion", "counts", "deals", "flags",
                                     "load", "pipeline", "plan", "quality", "rates", "time_in_stage", "weekly"]
    # the headline chart is the in-process share of all pipelines; too few weeks here to judge it
    chart = report.headline_control()
    assert (chart["measure"], chart["pipeline"], chart["verdict"]) == ("in_process_share", None, "not enough weeks")


def test_a_slice_of_another_team_or_version_is_refused(small_slices, tmp_path) -> None:
    with pytest.raises(UnknownTeamError, match="a slice of team 'north-dc365e'"):
        open_team(small_slices / NORTH, SOUTH)
    with pytest.raises(InputFileError, match="no such file"):
        open_team(tmp_path, NORTH)
    old = tmp_path / "old"
    shutil.copytree(small_slices / NORTH, old)
    meta = json.loads((old / "slice.json").read_text(encoding="utf-8"))
    (old / "slice.json").write_text(json.dumps(meta | {"slice_version": SLICE_VERSION - 1}), encoding="utf-8")
    with pytest.raises(InputFileError, match=r"a team slice of version 3 in .*; found version 2\. Hint: prepare the slice again"):
        open_team(old, NORTH)


def test_what_adds_history_is_said_per_source(tmp_path) -> None:
    def data(source: str, has_history: bool) -> TeamData:
        return TeamData(tmp_path, {"provenance": {"source": source, "has_history": has_history}, "figures": {}}, {})

    pipedrive = data("pipedrive", False)
    assert pipedrive.has_history is False
    assert pipedrive.no_history("the funnel") == (
        "absent", "This export has no stage history, so the funnel cannot be shown. Add deal-flow.jsonl (the deals' "
                  "change log) beside the deals export to get it.")
    # a source without its own hint gets the generic one
    assert data("some_crm", True).history_hint() == HISTORY_HINTS["generic"]
