"""Where a run writes: the output folder checked before any work, the day's lock, the staging
folder, and publishing one team as a transaction (files renamed into place, manifest updated).

Layout of ``out``: ``<as_of>/<team_id>/team_report.{html,pdf,ipynb}``, ``<as_of>/index.html``,
``<as_of>/org_summary.html``, ``<as_of>/manifest.json``, ``<as_of>/run.log``, and while a run
works ``<as_of>/.staging/<run id>/`` (removed when the run ends, and at the start of the next).
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from toolkit.errors import OutputError, RunLockedError
from toolkit.reporting import manifest as mf
from toolkit.reporting.manifest import sha256
from toolkit.reporting.options import TeamResult

log = logging.getLogger("toolkit.report")

#: Less free space than this on the output's filesystem is refused before any work.
MIN_FREE_BYTES = 64 * 1024 * 1024
LOCK_NAME = ".lock"
STAGING = ".staging"


def check_out(day_dir: Path, min_free: int = MIN_FREE_BYTES) -> None:
    """Raise :class:`OutputError` (one line, exit 1) unless ``day_dir`` can be created and written
    and its filesystem has ``min_free`` bytes free."""
    try:
        day_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"an output folder at {day_dir}", "a file in its place",
                          "pass --out a folder (or a path that does not exist yet)") from None
    except NotADirectoryError:
        raise OutputError(f"an output folder at {day_dir}", "a file where a parent folder should be",
                          "pass --out a folder (or a path that does not exist yet)") from None
    except OSError as exc:
        raise OutputError(f"an output folder that can be created at {day_dir}", exc.strerror or str(exc),
                          "pass --out a folder this user may write") from None
    if not day_dir.is_dir():
        raise OutputError(f"an output folder at {day_dir}", "a file in its place", "pass --out a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=day_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"an output folder this run may write: {day_dir}", exc.strerror or str(exc),
                          "pass --out a writable folder (not a read-only mount)") from None
    free = shutil.disk_usage(day_dir).free
    if free < min_free:
        raise OutputError(f"at least {min_free // 2**20} MB free for the reports in {day_dir}",
                          f"{free // 2**20} MB free", "free some space or pass --out another disk")


@contextmanager
def day_lock(day_dir: Path) -> Iterator[None]:
    """Hold the day folder's lock for the run: an ``flock`` on ``.lock``, on a descriptor only this
    process has (opened close-on-exec; workers are started by forkserver, never forked from here).
    A lock file left by a run that died holds no lock: the kernel dropped it with the process."""
    path = day_dir / LOCK_NAME
    fh: IO[str] = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "unknown"
        fh.close()
        raise RunLockedError(f"no other run on {day_dir}", f"another run (pid {holder}) holds its lock",
                             "wait for it to finish; cron: use flock -n, Airflow: max_active_runs=1") from None
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


@contextmanager
def staging_folder(day_dir: Path) -> Iterator[Path]:
    """A fresh staging folder for this run, under the day's lock. Leftovers of earlier runs (one
    killed with -9 could not clean up) are removed first; this run's folder is removed however
    the run ends."""
    root = day_dir / STAGING
    if root.is_dir():
        for old in root.iterdir():
            shutil.rmtree(old, ignore_errors=True)
    folder = root / uuid.uuid4().hex[:12]
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        try:
            root.rmdir()  # only when empty: a crashed run's leftovers are cleaned by the next
        except OSError:
            pass


def publish_files(stage: Path, target: Path, files: tuple[str, ...]) -> dict[str, str]:
    """Move ``files`` from ``stage`` into ``target`` with atomic renames (same filesystem: staging
    is inside the day folder); returns each file's sha256. Raises OSError (the caller fails the
    team) leaving every file either the old or the new one, never half of one."""
    hashes = {name: sha256(stage / name) for name in files}
    target.mkdir(parents=True, exist_ok=True)
    if not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(target))
    for name in files:
        os.replace(stage / name, target / name)
    return hashes


def publish_team(r: TeamResult, staging: Path, day_dir: Path, manifest: dict[str, Any], key: str,
                  inputs: dict[str, str]) -> TeamResult:
    """One team as a transaction: manifest says "publishing", files are renamed into place, the
    manifest says "published" with their sha256. A failure at any step fails this team only."""
    if r.status != "rendered":
        _keep_failed_notebook(staging / "out" / r.team_id, day_dir / r.team_id)
        return publish_failure(day_dir, manifest, r, key)
    old = mf.team_entry(manifest, r.team_id) or {}
    try:
        mf.set_team(day_dir, manifest, {**old, "team_id": r.team_id, "team_name": r.team_name,
                                        "status": "publishing", "attempt_run_key": key})
        hashes = publish_files(staging / "out" / r.team_id, day_dir / r.team_id, r.files)
        mf.set_team(day_dir, manifest, {
            "team_id": r.team_id, "team_name": r.team_name, "status": "published", "run_key": key, "inputs": inputs,
            "files": hashes, "published_at": dt.datetime.now().isoformat(timespec="seconds"), "seconds": r.seconds,
            "reason": ""})
    except OSError as exc:
        failed = replace(r, status="failed", reason=f"publishing failed: {type(exc).__name__}: {exc}", files=())
        return publish_failure(day_dir, manifest, failed, key)
    return replace(r, status="published")


def publish_failure(day_dir: Path, manifest: dict[str, Any], r: TeamResult, key: str) -> TeamResult:
    """Record a failed team, keeping what its entry says of the files still in place (their
    origin); files found with no entry are recorded with an unknown origin."""
    old = mf.team_entry(manifest, r.team_id) or {}
    folder = day_dir / r.team_id
    files = old.get("files") or {f: sha256(folder / f) for f in ("team_report.html", "team_report.pdf",
                                                               "team_report.ipynb") if (folder / f).is_file()}
    kept = {f: h for f, h in files.items() if (folder / f).is_file()}
    entry = {**old, "team_id": r.team_id, "team_name": r.team_name, "status": "failed", "files": kept,
             "run_key": old.get("run_key"), "attempt_run_key": key, "reason": r.reason, "cell": r.cell,
             "seconds": r.seconds}
    try:
        mf.set_team(day_dir, manifest, entry)
    except OSError as exc:
        log.error("team %s: manifest not updated: %s", r.team_id, exc)
    return replace(r, status="failed", files=tuple(f for f in kept if not f.endswith(".ipynb")))


def _keep_failed_notebook(stage: Path, folder: Path) -> None:
    """The executed notebook of a failed team, for ops: beside the team's kept report."""
    nb = stage / "team_report.ipynb"
    if nb.is_file():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            os.replace(nb, folder / "team_report.failed.ipynb")
        except OSError as exc:
            log.debug("failed notebook not kept: %s", exc)


def publish_org(r: TeamResult, staging: Path, day_dir: Path, key: str) -> dict[str, Any]:
    if r.status != "rendered":
        return {"status": "failed", "reason": r.reason, "run_key": None, "files": {}}
    try:
        hashes = publish_files(staging / "org", day_dir, ("org_summary.html",))
    except OSError as exc:
        return {"status": "failed", "reason": f"publishing failed: {exc}", "run_key": None, "files": {}}
    return {"status": "published", "reason": "", "run_key": key, "files": hashes}
