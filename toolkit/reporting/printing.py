"""The print pass: a team's gated page printed to PDF by WeasyPrint, in a worker of its own.

Runs in a worker process (local or Dask) fed by the run as each team's notebook finishes, so the
kernels go on with the next teams while the PDFs are printed. Takes a :class:`PrintTask`, returns
a :class:`TeamResult`, and never raises for the team's own failures (WeasyPrint, a disk): they come
back as a failed result, and the run fails that team only, as for a failing notebook.

Charts are printed from JPEG at print resolution, drawn by vl-convert from the page's SVG (see
:func:`toolkit.reporting.render.print_page`); the HTML keeps the SVG.
"""

from __future__ import annotations

import time
from pathlib import Path

from toolkit.reporting.execute import one_line, since
from toolkit.reporting.kernels import filter_library_warnings, stderr_to
from toolkit.reporting.options import PrintTask, TeamResult

#: A page small enough to print in a few milliseconds, with the report's CSS (its fonts): the first
#: PDF of a process pays for loading WeasyPrint, fontconfig and the fonts.
_WARM_BODY = "<section><h2>Warm</h2><p>0123456789 <b>Aa</b></p></section>"


def print_pdf(task: PrintTask) -> TeamResult:
    """Print ``task``'s staged page to ``<stem>.pdf`` beside it."""
    from toolkit.reporting.render import print_page, write_pdf

    filter_library_warnings()
    start = time.perf_counter()
    stage = Path(task.stage_dir)
    try:
        with stderr_to(Path(task.log_file) if task.log_file else stage / "print.log"):
            document = (stage / f"{task.stem}.html").read_text(encoding="utf-8")
            printed, images = print_page(document)
            write_pdf(printed, stage / f"{task.stem}.pdf", images)
    except Exception as exc:  # noqa: BLE001  (WeasyPrint, vl-convert, a disk: fails this team only)
        return TeamResult(task.team_id, task.team_name, "failed", since(start), one_line(exc))
    return TeamResult(task.team_id, task.team_name, "rendered", since(start), files=(f"{task.stem}.pdf",))


def warm_printer() -> None:
    """Load WeasyPrint and the report's fonts in this worker before the first team arrives."""
    import os
    import tempfile

    from toolkit.reporting.render import page, write_pdf

    filter_library_warnings()
    fd, path = tempfile.mkstemp(suffix=".pdf")
    os.close(fd)
    try:
        write_pdf(page("warm", _WARM_BODY), Path(path))
    finally:
        os.unlink(path)
