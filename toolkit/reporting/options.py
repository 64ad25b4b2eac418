"""What a report run is asked to do, and the typed results that come back from its workers.

Everything that crosses a process boundary (to a local worker or a Dask worker) is one of these
frozen dataclasses: plain fields, a ``Literal`` status, nothing to look up by string key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from toolkit.loaders.options import LoadOptions

FORMATS = ("html", "pdf")
#: The only parameter names a team notebook receives: papermill inserts names into code verbatim,
#: so they are a fixed list (the notebook's parameters cell declares exactly these).
PARAMETERS = ("team_id", "data_dir")
ORG_PARAMETERS = ("data_dir",)

#: rendered: files written to staging; published: moved into place; unchanged: the published files
#: already come from the same input and parameters; failed: see ``reason``.
Status = Literal["rendered", "published", "unchanged", "failed"]


def notebook(name: str) -> Path:
    """A notebook shipped inside the package (``toolkit/notebooks``), as a path papermill opens.

    Found through importlib.resources, so an installed wheel finds what a checkout finds."""
    return Path(str(resources.files("toolkit").joinpath("notebooks", name)))


DEFAULT_NOTEBOOK = notebook("team_report.ipynb")
ORG_NOTEBOOK = notebook("org_summary.ipynb")


@dataclass(frozen=True)
class RunOptions:
    """What to run; mirrors ``toolkit report``'s options."""

    input: Path
    out: Path = Path("reports")
    as_of: dt.date = field(default_factory=dt.date.today)
    load: LoadOptions = field(default_factory=LoadOptions)
    #: team ids or names; () for every team
    teams: tuple[str, ...] = ()
    jobs: int = 2
    formats: tuple[str, ...] = FORMATS
    force: bool = False
    notebook: Path = DEFAULT_NOTEBOOK
    #: per cell; a team as a whole is bounded by ``team_timeout``
    cell_timeout: int = 600
    team_timeout: int = 300
    seed: int = 0
    #: an earlier export of the same CRM: the week's changes compare it with this one
    previous: Path | None = None
    window_days: int = 7


@dataclass(frozen=True)
class NotebookTask:
    """One notebook to execute and render in a worker: a team's report or the all-teams page."""

    kind: Literal["team", "org"]
    team_id: str
    team_name: str
    notebook: str
    title: str
    data_dir: str
    stage_dir: str
    formats: tuple[str, ...]
    cell_timeout: int
    team_timeout: int
    #: report sections the page must hold (the gate's completeness check)
    sections: tuple[str, ...] = ()
    #: where the kernel's stderr goes (the run log); empty: a file in the staging folder
    log_file: str = ""

    @property
    def parameters(self) -> dict[str, str]:
        if self.kind == "org":
            return {"data_dir": self.data_dir}
        return {"team_id": self.team_id, "data_dir": self.data_dir}


@dataclass(frozen=True)
class PrintTask:
    """A team's page to print to PDF, once its notebook has run and its page passed the gate: the
    print pass runs in workers of its own, so the kernels go on with the next teams meanwhile."""

    team_id: str
    team_name: str
    #: holds the page (``<stem>.html``, charts and all); gets ``<stem>.pdf``
    stage_dir: str
    stem: str
    #: where WeasyPrint's stderr goes (the run log); empty: a file in the staging folder
    log_file: str = ""


@dataclass(frozen=True)
class TeamResult:
    """What became of one team (or of the all-teams page, team_id ``org``)."""

    team_id: str
    team_name: str
    status: Status
    seconds: float = 0.0
    reason: str = ""
    #: files written (rendered/published) or, for a failed team, its previous files kept in place
    files: tuple[str, ...] = ()
    #: the notebook cell that failed, where one did
    cell: int | None = None


@dataclass(frozen=True)
class RunResult:
    """The run as ops act on it: the exit code, a message for the log, the index, every team."""

    exit_code: int
    message: str
    index: Path | None = None
    teams: tuple[TeamResult, ...] = ()
