"""Fanning out: each team's notebook, then its PDF, merged into one result per team."""

from __future__ import annotations

import concurrent.futures as cf
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from toolkit.reporting import execute, printing
from toolkit.reporting.options import NotebookTask, PrintTask, TeamResult
from toolkit.reporting.pool import Workers, render_all, workers


def task(team_id: str, formats: tuple[str, ...] = ("html", "pdf")) -> NotebookTask:
    return NotebookTask("team", team_id, team_id.upper(), "team_report.ipynb", "title", "data", f"stage/{team_id}",
                        formats, 60, 60)


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    printed: list[PrintTask] = []

    def notebook(t: NotebookTask) -> TeamResult:
        if t.team_id == "broken":
            return TeamResult(t.team_id, t.team_name, "failed", 1.0, "ReportExecutionError: cell 3")
        files = ("team_report.ipynb", *(("team_report.html",) if "html" in t.formats else ()))
        return TeamResult(t.team_id, t.team_name, "rendered", 1.5, files=files)

    def pdf(p: PrintTask) -> TeamResult:
        printed.append(p)
        if p.team_id == "unprintable":
            return TeamResult(p.team_id, p.team_name, "failed", 0.25, "ValueError: bad page")
        return TeamResult(p.team_id, p.team_name, "rendered", 0.5, files=("team_report.pdf",))

    monkeypatch.setattr(execute, "render_notebook", notebook)
    monkeypatch.setattr(printing, "print_pdf", pdf)
    with cf.ThreadPoolExecutor(2) as nb_pool, cf.ThreadPoolExecutor(1) as print_pool:
        yield Workers(nb_pool, print_pool, tmp_path / "run.log", own=False), printed


def test_each_team_comes_back_once_with_both_passes(pools) -> None:
    workers, printed = pools
    results = {r.team_id: r for r in render_all([task("a"), task("b", ("pdf",)), task("c", ("html",))], workers)}
    assert results["a"] == TeamResult("a", "A", "rendered", 2.0,
                                      files=("team_report.ipynb", "team_report.html", "team_report.pdf"))
    assert results["b"].files == ("team_report.ipynb", "team_report.pdf")
    assert results["c"] == TeamResult("c", "C", "rendered", 1.5, files=("team_report.ipynb", "team_report.html"))
    assert sorted(p.team_id for p in printed) == ["a", "b"]  # an HTML-only team is not printed
    assert {p.stem for p in printed} == {"team_report"} and printed[0].stage_dir.startswith("stage/")


def test_a_failed_notebook_is_not_printed_and_a_failed_print_fails_its_team(pools) -> None:
    workers, printed = pools
    results = {r.team_id: r for r in render_all([task("broken"), task("unprintable")], workers)}
    assert results["broken"] == TeamResult("broken", "BROKEN", "failed", 1.0, "ReportExecutionError: cell 3")
    assert results["unprintable"] == TeamResult("unprintable", "UNPRINTABLE", "failed", 1.75, "ValueError: bad page")
    assert [p.team_id for p in printed] == ["unprintable"]


def test_a_print_worker_that_dies_fails_its_team(pools, monkeypatch: pytest.MonkeyPatch) -> None:
    workers, _printed = pools

    def dies(p: PrintTask) -> TeamResult:
        raise BrokenProcessPool("A process in the process pool was terminated abruptly")

    monkeypatch.setattr(printing, "print_pdf", dies)
    [r] = list(render_all([task("a")], workers))
    assert r.status == "failed" and r.reason.startswith("worker died: BrokenProcessPool: ")
    assert replace(r, reason="") == TeamResult("a", "A", "failed", 1.5)  # the notebook's time, kept


def test_a_run_that_stops_does_not_wait_for_a_validation_under_way(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="stopped"), workers(SimpleNamespace(jobs=1), None,  # type: ignore[arg-type]
                                                                 tmp_path / "run.log") as w:
        assert w.checker is not None
        validating = w.checker.submit(time.sleep, 600)
        for _ in range(1200):  # (after the worker's import of GX)
            if validating.running():
                break
            time.sleep(0.1)
        raise RuntimeError("stopped")
    # the checker was killed, not waited for: its call ended broken, not after 600 s
    assert isinstance(validating.exception(timeout=0), BrokenProcessPool)
