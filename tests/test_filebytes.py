"""A file's bytes read in place: mapped, handed back page by page, hashed as its bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from toolkit.filebytes import file_sha256, let_go, mapped_file, sha256_of


def _resident_kb(path: Path) -> int:
    """Resident kB of this process's mappings of ``path`` (from /proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if line[:1].isdigit() or line[:1] in "abcdef" and "-" in line.split()[0]:
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def test_a_mapped_file_hashes_as_its_bytes_and_hands_its_pages_back(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    data = b"id,stage\n" + b"".join(b"%d,Qualify\n" % i for i in range(600_000))  # about 7 MB
    path.write_bytes(data)
    with mapped_file(path) as mapped:
        assert len(mapped) == len(data) and mapped[:9] == b"id,stage\n"
        assert mapped.find(b"no such text") == -1 and _resident_kb(path) > 5000  # a pass maps every page
        let_go(mapped)
        assert _resident_kb(path) < 64
        assert sha256_of(mapped) == hashlib.sha256(data).hexdigest()
        assert _resident_kb(path) < 64  # each block let go once hashed
        assert mapped[-12:] == data[-12:]  # a page let go reads again from the page cache
    (tmp_path / "empty.csv").write_bytes(b"")
    with mapped_file(tmp_path / "empty.csv") as empty:
        assert empty == b""
    let_go(data)  # bytes in memory: nothing to hand back


def test_a_files_sha256_is_that_of_its_bytes_empty_or_not(tmp_path: Path) -> None:
    empty, small = tmp_path / "empty.csv", tmp_path / "small.csv"
    empty.write_bytes(b"")
    small.write_bytes(b"abc")
    assert file_sha256(empty) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert file_sha256(small) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
