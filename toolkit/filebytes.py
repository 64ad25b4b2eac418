"""A file's bytes read in place: memory-mapped, their pages handed back once a pass is done with
them, and hashed block by block. The standard library only, so that a report run can hash its
inputs before it imports anything heavy (see :mod:`toolkit.reporting.manifest`)."""

from __future__ import annotations

import hashlib
import mmap
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: A file's bytes as read: mapped from the page cache (a file of its own, as on disk) or in memory.
Buffer = bytes | mmap.mmap
#: Mapped bytes are let go of (out of the process's memory, still in the page cache) in blocks of
#: this size as a pass over them goes on.
BLOCK = 1 << 24


@contextmanager
def mapped_file(path: Path) -> Iterator[Buffer]:
    """The file's bytes, mapped read-only (an empty file: ``b""``), unmapped after the block. The
    pages a pass touches count in the process's memory until :func:`let_go` hands them back."""
    with path.open("rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            yield b""
            return
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        yield mapped
    finally:
        try:
            mapped.close()
        except BufferError:  # an array still viewing it: it is unmapped when that array goes
            pass


def let_go(data: Buffer, start: int = 0, stop: int | None = None) -> None:
    """Hand the pages of ``data[start:stop]`` that a pass is done with back to the page cache (a
    later read maps them again); nothing for bytes in memory."""
    if not isinstance(data, mmap.mmap):
        return
    stop = len(data) if stop is None else min(stop, len(data))
    start -= start % mmap.PAGESIZE
    if stop > start:
        data.madvise(mmap.MADV_DONTNEED, start, stop - start)


def sha256_of(data: Buffer) -> str:
    """sha256 of the bytes, block by block, each block let go once hashed (hashlib lets go of the
    GIL, so another thread goes on meanwhile)."""
    digest = hashlib.sha256()
    with memoryview(data) as view:
        for at in range(0, len(data), BLOCK):
            with view[at:at + BLOCK] as block:
                digest.update(block)
            let_go(data, at, at + BLOCK)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file, hashed from the page cache itself: no copy into a buffer (a fresh
    process's first gigabyte read through ``hashlib.file_digest`` costs half as long again)."""
    with mapped_file(path) as data:
        if isinstance(data, mmap.mmap):
            data.madvise(mmap.MADV_SEQUENTIAL)
        return sha256_of(data)


__all__ = ["BLOCK", "Buffer", "file_sha256", "let_go", "mapped_file", "sha256_of"]
