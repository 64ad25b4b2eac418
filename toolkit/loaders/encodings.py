"""Which encoding a file is in, decided from all of its bytes, and its newlines made LF."""

from __future__ import annotations

import codecs

import numpy as np
import pyarrow as pa

from toolkit.errors import InputFileError
from toolkit.filebytes import BLOCK, Buffer
from toolkit.loaders.scan import byte_offsets, is_ascii
from toolkit.loaders.splitting import CHUNK_BYTES

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
#: UTF-16 with a BOM, or in a configured byte order: transcoded to UTF-8 before anything scans it.
_UTF16 = ("utf-16", "utf-16-le", "utf-16-be")


#: The bytes cp1252 does not define (Python's codec refuses them).
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def utf8_valid(data: Buffer, start: int = 0, stop: int | None = None) -> bool:
    """Whether ``data[start:stop]`` is valid UTF-8, checked in place by Arrow's validator (a
    gigabyte in a tenth of a second; Python's decoder takes seconds and a copy)."""
    stop = len(data) if stop is None else stop
    offsets = pa.py_buffer(np.array([0, stop - start], dtype=np.int64))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data).slice(start, stop - start)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _collect_errors(data: Buffer, encoding: str, ascii_only: bool | None = None) -> list[int]:
    """Byte offsets that do not decode; empty when the whole buffer decodes.

    Pure ASCII (checked by numpy, unless ``ascii_only`` says) decodes in every encoding offered
    here; UTF-8 is validated in place (:func:`utf8_valid`); other buffers, and the blocks of a
    UTF-8 file that do not validate, are decoded in chunks cut at newlines (a newline byte is
    never part of a multi-byte character in them), so no copy of the whole text is ever made."""
    if is_ascii(data) if ascii_only is None else ascii_only:
        return []
    codec = codecs.lookup(encoding).name
    utf8 = codec == "utf-8"
    if utf8 and utf8_valid(data):
        return []
    if codec == "cp1252":
        # cp1252 leaves five bytes undefined and decodes every other byte alone: its errors are
        # where those bytes are, found without decoding the file, in the blocks that hold a byte
        # as high as the lowest of them at all.
        arr = np.frombuffer(data, dtype=np.uint8)
        return sorted(at for start in range(0, len(data), BLOCK) if int(arr[start:start + BLOCK].max()) >= 0x81
                      for byte in _CP1252_UNDEFINED for at in byte_offsets(data, byte, start, start + BLOCK))
    bad: list[int] = []
    base = [0]

    def handler(err: UnicodeError) -> tuple[str, int]:
        assert isinstance(err, UnicodeDecodeError)
        bad.append(base[0] + err.start)
        return ("", err.end)

    name = f"toolkit_collect_{id(bad)}"
    codecs.register_error(name, handler)
    at = 0
    while at < len(data):
        stop = data.find(b"\n", min(at + CHUNK_BYTES, len(data)))
        stop = len(data) if stop < 0 else stop + 1
        if not (utf8 and utf8_valid(data, at, stop)):
            chunk = data[at:stop]
            try:
                chunk.decode(encoding)
            except UnicodeDecodeError:
                base[0] = at
                chunk.decode(encoding, name)
        at = stop
    return bad


def _has_valid_multibyte_utf8(data: Buffer) -> bool:
    # Non-ASCII text that decodes as UTF-8 proves the file was written as UTF-8; a cp1252 file
    # almost never contains such sequences by accident. The first 1000 lead bytes are tried,
    # found block by block (a whole-file mask of a large file would cost gigabytes).
    arr = np.frombuffer(data, dtype=np.uint8)
    left = 1000
    for at in range(0, arr.size, BLOCK):
        block = arr[at:at + BLOCK]
        if int(block.max()) < 0xC2:  # (one pass tells a block holds no lead byte at all)
            continue
        lead = np.flatnonzero((block >= 0xC2) & (block <= 0xF4))[:left] + at
        for pos in lead.tolist():
            chunk = data[pos: pos + 4]
            for n in (2, 3, 4):
                try:
                    chunk[:n].decode("utf-8")
                    return True
                except UnicodeDecodeError:
                    continue
        left -= lead.size
        if left <= 0:
            break
    return False


def decide_encoding(data: Buffer, encoding: str | None,
                    ascii_only: bool | None = None) -> tuple[str, Buffer, list[int], str]:
    """(encoding name, bytes in an ASCII-compatible encoding without BOM, bad offsets, note);
    ``ascii_only``: whether every byte is ASCII, where the caller knows.

    UTF-16 is transcoded to UTF-8 so the rest can scan bytes. ``cp1252`` is chosen only where the
    bytes are not UTF-8 and show no UTF-8 text at all; a UTF-8 file with a few bad bytes keeps
    UTF-8, and the records holding those bytes are rejected instead of decoded into mojibake.
    """
    for bom, name in _BOMS:
        if data[:len(bom)] == bom:
            if name == "utf-16":
                try:
                    text = data[:].decode("utf-16")
                except UnicodeDecodeError as exc:
                    raise InputFileError("a UTF-16 file that decodes", f"a bad byte at offset {exc.start}",
                                         "re-export the file as UTF-8 CSV") from exc
                return "utf-16", text.encode("utf-8"), [], "UTF-16 BOM found; read as UTF-16"
            body = data[len(bom):]
            return "utf-8-sig", body, _collect_errors(body, "utf-8"), "UTF-8 BOM removed"
    if encoding:
        enc = codecs.lookup(encoding).name
        if enc in _UTF16:
            try:
                return enc, data[:].decode(enc).encode("utf-8"), [], ""
            except UnicodeDecodeError as exc:
                raise InputFileError(f"a file in {encoding}", f"a bad byte at offset {exc.start}",
                                     "check the encoding in the mapping") from exc
        return enc, data, _collect_errors(data, enc, ascii_only), f"encoding {enc} as configured"
    bad = _collect_errors(data, "utf-8", ascii_only)
    if not bad:
        return "utf-8", data, [], ""
    if _has_valid_multibyte_utf8(data):
        return "utf-8", data, bad, f"{len(bad)} byte(s) are not valid UTF-8"
    cp_bad = _collect_errors(data, "cp1252")
    if len(cp_bad) >= len(bad):  # cp1252 reads none of them either: nothing speaks for it
        return "utf-8", data, bad, f"{len(bad)} byte(s) are valid neither in UTF-8 nor in cp1252"
    return "cp1252", data, cp_bad, "not UTF-8; read as cp1252 (Windows-1252)"


def bytes_encoding(encoding: str) -> str:
    """The encoding of the bytes :func:`decide_encoding` hands on for ``encoding``: UTF-16 (with
    or without a byte order) comes transcoded to UTF-8, UTF-8 without its BOM."""
    return "utf-8" if encoding in (*_UTF16, "utf-8-sig") else encoding


def head_text(head: bytes) -> str:
    """The text of a file's first bytes as the reader decodes them: the encoding decided from
    them, newlines made LF, a byte that does not decode replaced (a header sniffer's view)."""
    enc, data, _bad, _note = decide_encoding(head, None)
    return bytes(normalise_newlines(data)).decode(bytes_encoding(enc), "replace")


def normalise_newlines(data: Buffer) -> Buffer:
    """CRLF and lone CR become LF, so values never keep a stray \\r and lines are counted alike."""
    if data.find(b"\r") < 0:
        return data
    return data[:].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
