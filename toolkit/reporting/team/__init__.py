"""What a team report notebook shows: one call per section, each returning an HTML block.

Page 1 (:mod:`.page_one`) is the whole answer for the manager: the cards (incl. "Process in
control?"), what changed this week, and this week's review plan with a coaching point per rep.
Everything else follows as an appendix (:mod:`.appendix`): funnel, time in stage, control chart,
flags, data quality, workload, definitions. :mod:`.data` opens the slice, :mod:`.wording` puts
changes and coaching points in a manager's words.

All HTML comes from the package's Jinja2 templates (autoescape on; see
:mod:`toolkit.reporting.templating`): CRM text is escaped there, never here. Charts are inline SVG.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.reporting.blocks import Block
from toolkit.reporting.team import appendix as appendix_sections
from toolkit.reporting.team import page_one
from toolkit.reporting.team.data import TeamData, read_slice

#: Every section a complete report holds, in page order (the publication gate checks them).
SECTIONS = ("headline", "changes", "review-plan", "funnel", "time-in-stage", "control", "compliance",
            "data-quality", "all-changes", "workload", "appendix")


class TeamReport(TeamData):
    """A team's slice, opened for display: one method per section, in page order."""

    def headline(self) -> Block:
        return page_one.headline(self)

    def changes(self) -> Block:
        return page_one.changes(self)

    def review_plan(self) -> Block:
        return page_one.review_plan(self)

    def funnel(self) -> Block:
        return appendix_sections.funnel(self)

    def time_in_stage(self) -> Block:
        return appendix_sections.time_in_stage(self)

    def control(self) -> Block:
        return appendix_sections.control(self)

    def compliance(self) -> Block:
        return appendix_sections.compliance(self)

    def data_quality(self) -> Block:
        return appendix_sections.data_quality(self)

    def all_changes(self) -> Block:
        return appendix_sections.all_changes(self)

    def workload(self) -> Block:
        return appendix_sections.workload(self)

    def appendix(self) -> Block:
        return appendix_sections.definitions(self)


def open_team(data_dir: str | Path, team_id: str) -> TeamReport:
    """Open a team's slice; refuses a slice of another team (a wrong data_dir never renders a
    foreign team's report)."""
    return TeamReport(*read_slice(data_dir, team_id))


__all__ = ["SECTIONS", "Block", "TeamReport", "open_team"]
