"""The day's ``manifest.json``: which input and parameters every team's published files came from.

It is rewritten atomically after every change of one team (marked ``publishing`` before its
files are moved, ``published`` with their sha256 after), so after any interruption it tells the
truth: a team whose entry is not ``published`` with this run's key and whose files do not have
the recorded sha256 is redone by the next run. A ``--teams`` run merges its teams into the day's
entries; the others stay as they were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.filebytes import file_sha256
from toolkit.reporting.exports import write_atomic

MANIFEST = "manifest.json"
MANIFEST_VERSION = 2
VERSIONED = ("polars", "pandas", "great-expectations", "papermill", "nbconvert", "altair", "vl-convert-python",
             "weasyprint")


def input_hashes(path: Path) -> dict[str, str]:
    """sha256 of every file a load of ``path`` may read (a folder's files, a file and, for a
    mapping, its folder's), by name relative to the folder: what a run's key is made of, known
    before anything is loaded."""
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    if p.is_dir() or p.suffix.lower() in (".yaml", ".yml"):
        files = sorted(f for f in folder.rglob("*") if f.is_file() and not any(
            part.startswith(".") for part in f.relative_to(folder).parts))
    else:
        files = [p] if p.is_file() else []
    return dict(zip((str(f.relative_to(folder)) for f in files), hash_all(files), strict=True))


def hash_all(files: Sequence[Path]) -> list[str]:
    """sha256 of each file, in order. hashlib lets go of the GIL, so files are hashed side by side
    on the machine's cores: an export's largest file (the history) then costs the time of
    hashing it alone, with the others hashed beside it."""
    if len(files) < 2:
        return [sha256(f) for f in files]
    largest_first = sorted(range(len(files)), key=lambda i: -files[i].stat().st_size)
    with ThreadPoolExecutor(max_workers=min(len(files), os.cpu_count() or 1)) as pool:
        digests = {i: pool.submit(sha256, files[i]) for i in largest_first}
        return [digests[i].result() for i in range(len(files))]


def run_key(inputs: dict[str, str], parameters: dict[str, Any]) -> str:
    """The idempotency key: input files' sha256, the parameters that change a report, the
    notebook's sha256 and the toolkit's version."""
    parts = {"inputs": inputs, "parameters": parameters, "version": __version__}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def read(day_dir: Path) -> dict[str, Any]:
    """The day's manifest, or an empty one (a missing or unreadable file is treated as empty:
    everything is then redone)."""
    try:
        data = json.loads((day_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"manifest_version": MANIFEST_VERSION, "teams": []}
    if not isinstance(data, dict) or data.get("manifest_version") != MANIFEST_VERSION:
        return {"manifest_version": MANIFEST_VERSION, "teams": []}
    return data


def write(day_dir: Path, manifest: dict[str, Any]) -> None:
    manifest["manifest_version"] = MANIFEST_VERSION
    manifest["updated_at"] = dt.datetime.now().isoformat(timespec="seconds")
    manifest["teams"] = sorted(manifest.get("teams", []), key=lambda t: str(t["team_id"]))
    write_atomic(day_dir / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False, default=str))


def team_entry(manifest: dict[str, Any], team_id: str) -> dict[str, Any] | None:
    return next((t for t in manifest.get("teams", []) if t.get("team_id") == team_id), None)


def set_team(day_dir: Path, manifest: dict[str, Any], entry: dict[str, Any]) -> None:
    """Merge one team's entry into the manifest and write it (atomically) at once."""
    manifest["teams"] = [t for t in manifest.get("teams", []) if t.get("team_id") != entry["team_id"]] + [entry]
    write(day_dir, manifest)


def is_current(entry: dict[str, Any] | None, key: str, folder: Path) -> bool:
    """Whether ``entry``'s files in ``folder`` are published from the run ``key`` and unchanged."""
    return (entry is not None and entry.get("status") == "published" and entry.get("run_key") == key
            and files_match(folder, entry.get("files") or {}))


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"toolkit": __version__}
    for pkg in VERSIONED:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def sha256(path: Path) -> str:
    """The file's sha256, as the manifest records it (read in place: :func:`toolkit.filebytes.file_sha256`)."""
    return file_sha256(path)


def files_match(target: Path, files: dict[str, str]) -> bool:
    """Whether every file in ``files`` (name: sha256) is in ``target`` with that content."""
    try:
        return bool(files) and hash_all([target / name for name in files]) == list(files.values())
    except OSError:
        return False
