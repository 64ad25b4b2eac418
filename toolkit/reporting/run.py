"""The report run ops schedule: check the output, take the day's lock, decide from the inputs'
sha256 whether there is anything to do, then load, validate and compute once, render the teams
whose published reports do not match in parallel, and publish each team as it finishes.

A team that fails (its notebook, its kernel, its time limit, the gate, or publishing) keeps its
previous report and shows as failed in the index; the others are published and the exit code
says some failed. See :mod:`toolkit.reporting.publish` for the layout of ``out``.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.errors import ReportGateError
from toolkit.exit_codes import ExitCode
from toolkit.reporting import manifest as mf
from toolkit.reporting.manifest import sha256
from toolkit.reporting.options import (
    FORMATS,
    ORG_NOTEBOOK,
    PARAMETERS,
    NotebookTask,
    RunOptions,
    RunResult,
    TeamResult,
)
from toolkit.reporting.pool import Workers, render_all, terminate_as_exit, workers
from toolkit.reporting.publish import (
    check_out,
    day_lock,
    publish_failure,
    publish_org,
    publish_team,
    staging_folder,
)

if TYPE_CHECKING:
    from toolkit.metrics.figures import Figures
    from toolkit.model import Dataset
    from toolkit.process import Process
    from toolkit.validation.report import DataQualityReport

__all__ = ["FORMATS", "PARAMETERS", "RunOptions", "RunResult", "TeamResult", "run_reports"]

log = logging.getLogger("toolkit.report")

Progress = Callable[[TeamResult, int, int], None]
ORG = "org_summary"


def _parameters(opts: RunOptions) -> dict[str, Any]:
    return {"as_of": opts.as_of.isoformat(), "formats": sorted(opts.formats), "load": opts.load.fingerprint(),
            "notebook": sha256(opts.notebook), "org_notebook": sha256(ORG_NOTEBOOK), "seed": opts.seed,
            "window_days": opts.window_days,
            "previous": mf.input_hashes(opts.previous) if opts.previous is not None else None}


def run_reports(opts: RunOptions, *, executor: cf.Executor | None = None,
                progress: Progress | None = None) -> RunResult:
    """Run the whole job; see the module docstring. Returns the exit code ops act on."""
    day_dir = opts.out / opts.as_of.isoformat()
    check_out(day_dir)
    with terminate_as_exit(), day_lock(day_dir), _run_log(day_dir) as log_file:
        inputs = mf.input_hashes(opts.input)
        key = mf.run_key(inputs, _parameters(opts))
        manifest = mf.read(day_dir)
        if not opts.force and _nothing_to_do(manifest, key, opts.teams, day_dir):
            return RunResult(ExitCode.OK, f"nothing to do: {day_dir} already has these reports (use --force)",
                             day_dir / "index.html")
        # The workers start (and warm their kernels) while this process loads and validates.
        with staging_folder(day_dir) as staging, workers(opts, executor, log_file) as pool:
            return _run(opts, key, inputs, manifest, day_dir, staging, log_file, pool, progress)


def _nothing_to_do(manifest: dict[str, Any], key: str, teams: tuple[str, ...], day_dir: Path) -> bool:
    """Decided before loading: every team asked for (all the last load's teams, or the ids or
    names given) is published from this very key with its files unchanged, and so is the org page."""
    loaded = manifest.get("loaded") or {}
    if loaded.get("run_key") != key:
        return False
    entries = manifest.get("teams", [])
    if teams:
        wanted = {w.strip().casefold() for w in teams}
        chosen = [t for t in entries
                  if t["team_id"] in teams or str(t.get("team_name", "")).strip().casefold() in wanted]
        if len(chosen) < len(teams):
            return False
    else:
        chosen = [t for t in entries if t["team_id"] in loaded.get("teams", [])]
        if len(chosen) != len(loaded.get("teams", [])):
            return False
    return (all(mf.is_current(t, key, day_dir / t["team_id"]) for t in chosen)
            and mf.is_current(manifest.get(ORG), key, day_dir))


def _run(opts: RunOptions, key: str, inputs: dict[str, str], manifest: dict[str, Any], day_dir: Path, staging: Path,
         log_file: Path, pool: Workers, progress: Progress | None) -> RunResult:
    from toolkit.reporting.gate import gate_slice
    from toolkit.reporting.slices import prepare_slices, slice_figures
    from toolkit.reporting.team import SECTIONS
    from toolkit.reporting.teams import resolve_teams

    # Without --process: the default process, or the one the export describes (data.process_note).
    started = time.perf_counter()
    data = opts.load.load(opts.input)
    log.info("loaded %d deals in %.1f s", data.deals.height, time.perf_counter() - started)
    if data.process_note:
        log.info("%s", data.process_note)
    process = data.process if data.process is not None else opts.load.load_process()
    previous = opts.load.load(opts.previous) if opts.previous is not None else None
    chosen = resolve_teams(data.teams, opts.teams) or tuple(data.teams["team_id"].to_list())
    started = time.perf_counter()
    quality, figures = _checked(_validation(data, process, opts.as_of, pool), lambda: slice_figures(
        data, process, opts.as_of, seed=opts.seed, previous=previous, window_days=opts.window_days))
    log.info("validated in %.1f s", time.perf_counter() - started)
    if quality.blocking:
        log.error("data blocked by validation:\n%s", quality.render_text())
        return RunResult(ExitCode.BLOCKED, "data quality checks of severity 'error' failed; nothing published:\n"
                         + "\n".join(f"  {o.name}: {o.unexpected_count} rows, lines {o.source_lines[:5]}"
                                     for o in quality.failed if o.severity == "error"))
    manifest.update(_day_facts(opts, data, quality, inputs, key))
    manifest["process"] = _write_process(day_dir, process, data.process_note)
    mf.write(day_dir, manifest)
    # Every team's slice, also for a --teams run: the all-teams page shows every team of the day.
    started = time.perf_counter()
    slices = {s.team_id: s for s in prepare_slices(data, process, opts.as_of, staging / "slices", quality=quality,
                                                    seed=opts.seed, previous=previous, window_days=opts.window_days,
                                                    figures=figures)}
    log.info("figures and %d slices in %.1f s", len(slices), time.perf_counter() - started)
    results: dict[str, TeamResult] = {}
    tasks: list[NotebookTask] = []
    for tid in chosen:
        s = slices[tid]
        if not opts.force and mf.is_current(mf.team_entry(manifest, tid), key, day_dir / tid):
            results[tid] = TeamResult(tid, s.team_name, "unchanged")
            continue
        try:
            gate_slice(s.data_dir, tid, data.deals, data.reps)
        except ReportGateError as exc:
            results[tid] = publish_failure(day_dir, manifest, TeamResult(tid, s.team_name, "failed",
                                                                          reason=f"{type(exc).__name__}: {exc}"), key)
            continue
        tasks.append(NotebookTask("team", tid, s.team_name, str(opts.notebook),
                                  f"{s.team_name} — sales process report {opts.as_of.isoformat()}",
                                  str(s.data_dir.resolve()), str(staging / "out" / tid), tuple(opts.formats),
                                  opts.cell_timeout, opts.team_timeout, SECTIONS, str(log_file)))
    org_task = NotebookTask("org", ORG, "All teams", str(ORG_NOTEBOOK), f"All teams {opts.as_of.isoformat()}",
                            str((staging / "slices").resolve()), str(staging / "org"), ("html",), opts.cell_timeout,
                            opts.team_timeout, (), str(log_file))
    need_org = bool(tasks) or opts.force or not mf.is_current(manifest.get(ORG), key, day_dir)
    done = 0
    for r in render_all(tasks + ([org_task] if need_org else []), pool):
        if r.team_id == ORG:
            manifest[ORG] = publish_org(r, staging, day_dir, key)
            mf.write(day_dir, manifest)
            continue
        r = publish_team(r, staging, day_dir, manifest, key, inputs)
        results[r.team_id] = r
        done += 1
        if progress:
            progress(r, done, len(tasks))
    return _finish(opts, day_dir, manifest, [results[t] for t in chosen])


#: Tables up to this many rows (deals and stage entries) are handed to the checker worker to
#: validate: copying them there costs less than importing GX here; larger ones are validated here.
HANDOVER_ROWS = 2_000_000


@dataclass(frozen=True)
class _Validation:
    """A validation under way: ``report()`` waits for it; ``elsewhere``: it runs in the checker
    worker, so this process is free meanwhile."""

    report: Callable[[], DataQualityReport]
    elsewhere: bool


def _validation(data: Dataset, process: Process, as_of: dt.date, pool: Workers) -> _Validation:
    """The data-quality report of ``data`` under way: made by the run's checker worker (GX imported
    there while this process loaded), or here where there is none, the tables are large, or it died."""
    from toolkit.validation import validate_dataset, validation_started

    def here() -> DataQualityReport:
        return validate_dataset(data, process, as_of=as_of)

    if pool.checker is None or data.deals.height + data.stage_events.height > HANDOVER_ROWS:
        return _Validation(here, elsewhere=False)
    try:
        started = validation_started(data, process, as_of=as_of, executor=pool.checker)
    except cf.BrokenExecutor as exc:
        log.warning("the validation worker stopped (%s): validating in this process", exc)
        return _Validation(here, elsewhere=False)

    def report() -> DataQualityReport:
        try:
            return started()
        except cf.BrokenExecutor as exc:
            log.warning("the validation worker stopped (%s): validating in this process", exc)
            return here()

    return _Validation(report, elsewhere=True)


def _checked(validated: _Validation, figures: Callable[[], Figures]) -> tuple[DataQualityReport, Figures | None]:
    """The validation's report, and the figures where they could be computed while the checker
    worker validated (else None: computed once the data is known not blocked). A run the validation
    blocks throws them away; an error in them is raised only where the report does not block."""
    if not validated.elsewhere:
        return validated.report(), None
    try:
        made = figures()
    except Exception:
        quality = validated.report()
        if quality.blocking:
            return quality, None
        raise
    return validated.report(), made


def _day_facts(opts: RunOptions, data: Any, quality: Any, inputs: dict[str, str], key: str) -> dict[str, Any]:
    return {
        "as_of": opts.as_of.isoformat(), "generated_at": dt.datetime.now().isoformat(timespec="seconds"),
        "versions": mf.versions(), "source": data.source,
        "loaded": {"run_key": key, "teams": data.teams["team_id"].to_list(), "inputs": inputs},
        "parameters": {"input": str(opts.input), **opts.load.parameters(), "formats": list(opts.formats),
                       "seed": opts.seed},
        "inputs": [{"file": f["file"], "sha256": f["sha256"], "lines_in": f["lines_in"], "rows": f["rows"],
                    "rejected": f["rejected"], "skipped": f["skipped"], "encoding": f["encoding"]}
                   for f in data.files.to_dicts()],
        "data_quality": quality.summary(),
    }


def _write_process(day_dir: Path, process: Process, note: str | None) -> dict[str, Any]:
    """The process the figures were judged against, beside the reports (``<day>/process.yaml``), so
    a rerun with ``--process <day>/process.yaml`` reproduces them, whether it came from a file, the
    default or the export itself."""
    from toolkit.process_yaml import process_to_yaml
    from toolkit.reporting.exports import write_atomic

    path = day_dir / "process.yaml"
    write_atomic(path, process_to_yaml(process))
    return {"file": path.name, "sha256": sha256(path), "name": process.name,
            "read_from_export": bool(note), "note": note or ""}


def _finish(opts: RunOptions, day_dir: Path, manifest: dict[str, Any], outcome: list[TeamResult]) -> RunResult:
    from toolkit.reporting.exports import write_atomic
    from toolkit.reporting.render import index_page

    index = day_dir / "index.html"
    try:
        write_atomic(index, index_page(as_of=opts.as_of.isoformat(), source=str(manifest.get("source", "")),
                                       generated_at=str(manifest.get("generated_at", "")),
                                       quality=manifest.get("data_quality", {}), teams=manifest.get("teams", []),
                                       org=manifest.get(ORG) or {}))
    except OSError as exc:
        return RunResult(ExitCode.SOME_FAILED, f"the index could not be written: {exc}", None, tuple(outcome))
    failed = [t for t in outcome if t.status == "failed"]
    ok = len(outcome) - len(failed)
    msg = (f"{ok} of {len(outcome)} team reports published or unchanged; index: {index}"
           + "".join(f"\n  FAILED {t.team_id}: {t.reason}" for t in failed))
    if (manifest.get(ORG) or {}).get("status") == "failed":
        msg += f"\n  all-teams page not published: {manifest[ORG]['reason']}"
    return RunResult(ExitCode.SOME_FAILED if failed else ExitCode.OK, msg, index, tuple(outcome))


@contextmanager
def _run_log(day_dir: Path) -> Iterator[Path]:
    """Everything of this run at DEBUG, libraries' chatter included, in ``<day>/run.log``."""
    path = day_dir / "run.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter(f"%(asctime)s main {os.getpid()} %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        handler.close()


