"""The output folder, the lock, staging and manifest on their own."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.errors import OutputError, RunLockedError
from toolkit.reporting.manifest import files_match
from toolkit.reporting.publish import check_out, day_lock, publish_files, staging_folder


def test_check_out(tmp_path, monkeypatch) -> None:
    check_out(tmp_path / "new" / "2025-06-30")
    assert (tmp_path / "new" / "2025-06-30").is_dir()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="a file where a parent folder should be"):
        check_out(tmp_path / "file" / "2025-06-30")
    (tmp_path / "day").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="a file in its place"):
        check_out(tmp_path / "day")
    with pytest.raises(OutputError, match="Operation not permitted|Permission denied|Read-only"):
        check_out(Path("/sys/toolkit-reports/2025-06-30"))

    class Usage:
        free = 10 * 2**20

    monkeypatch.setattr(shutil, "disk_usage", lambda p: Usage())
    with pytest.raises(OutputError, match="expected at least 64 MB free .*; found 10 MB free"):
        check_out(tmp_path / "full")


def test_the_lock_is_this_process_alone(tmp_path) -> None:
    with day_lock(tmp_path):
        assert (tmp_path / ".lock").read_text(encoding="utf-8").strip().isdigit()
        with pytest.raises(RunLockedError, match="another run"), day_lock(tmp_path):
            pass
        # a child process (exec'd) does not inherit it: it cannot take it either
        probe = ("import fcntl,sys; fh=open(sys.argv[1]); "
                 "fcntl.flock(fh, fcntl.LOCK_EX|fcntl.LOCK_NB)")
        assert subprocess.run([sys.executable, "-c", probe, str(tmp_path / ".lock")],
                              capture_output=True, check=False).returncode == 1
    with (tmp_path / ".lock").open() as fh:  # a lock file left behind holds no lock
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_staging_is_removed_however_the_run_ends_and_leftovers_first(tmp_path) -> None:
    leftover = tmp_path / ".staging" / "killed-run" / "slices"
    leftover.mkdir(parents=True)
    with pytest.raises(KeyboardInterrupt), staging_folder(tmp_path) as folder:
        assert folder.is_dir() and not leftover.exists()
        (folder / "x").write_text("x", encoding="utf-8")
        raise KeyboardInterrupt
    assert not (tmp_path / ".staging").exists()


def test_publish_files_and_their_hashes(tmp_path) -> None:
    stage, target = tmp_path / "stage", tmp_path / "team"
    stage.mkdir()
    (stage / "a.html").write_bytes(b"abc")
    hashes = publish_files(stage, target, ("a.html",))
    assert hashes == {"a.html": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}  # sha256("abc")
    assert files_match(target, hashes) and not (stage / "a.html").exists()
    (target / "a.html").write_bytes(b"abd")
    assert not files_match(target, hashes) and not files_match(target, {})
    (tmp_path / "blocked").write_text("x", encoding="utf-8")
    (stage / "b.html").write_bytes(b"b")
    with pytest.raises(OSError):
        publish_files(stage, tmp_path / "blocked", ("b.html",))
    assert (stage / "b.html").is_file()
