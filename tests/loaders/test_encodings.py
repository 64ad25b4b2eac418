"""Which encoding a file is in, from all of its bytes (design/robustness.md section 6, cases 1-4)."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.errors import InputFileError
from toolkit.loaders.encodings import decide_encoding, head_text, normalise_newlines


def test_utf8_without_a_bom_is_utf8_with_nothing_to_say() -> None:
    assert decide_encoding("Id,Name\n1,Zoë\n".encode(), None) == ("utf-8", "Id,Name\n1,Zoë\n".encode(), [], "")


def test_a_utf8_bom_is_removed_and_said() -> None:
    assert decide_encoding(codecs.BOM_UTF8 + b"Id\n1\n", None) == ("utf-8-sig", b"Id\n1\n", [], "UTF-8 BOM removed")


def test_utf16_is_transcoded_to_utf8() -> None:
    enc, data, bad, note = decide_encoding("Id,Name\n1,Zoë\n".encode("utf-16"), None)
    assert (enc, data, bad) == ("utf-16", "Id,Name\n1,Zoë\n".encode(), [])
    assert note == "UTF-16 BOM found; read as UTF-16"


def test_a_file_with_no_utf8_text_is_cp1252() -> None:
    data = "Id,Name\n1,Société\n".encode("cp1252")
    assert decide_encoding(data, None) == ("cp1252", data, [], "not UTF-8; read as cp1252 (Windows-1252)")


def test_utf8_text_keeps_utf8_and_names_the_bad_bytes() -> None:
    data = "1,Zoë\n2,".encode() + b"M\xfcller\n"
    assert decide_encoding(data, None) == ("utf-8", data, [10], "1 byte(s) are not valid UTF-8")


def test_bytes_no_encoding_reads_keep_utf8() -> None:
    data = b"1,a\n2,b\x81\n"
    assert decide_encoding(data, None) == ("utf-8", data, [7], "1 byte(s) are valid neither in UTF-8 nor in cp1252")


def test_a_declared_utf16_file_that_does_not_decode_is_refused() -> None:
    with pytest.raises(InputFileError, match="offset 2"):
        decide_encoding(b"I\x00\x00\xd8d\x00", "utf-16-le")


def test_newlines_become_lf_whatever_the_platform() -> None:
    assert normalise_newlines(b"a\r\nb\rc\n") == b"a\nb\nc\n"
    same = b"a\nb\n"
    assert normalise_newlines(same) is same


def test_cp1252_errors_are_its_five_undefined_bytes_wherever_they_are() -> None:
    from toolkit.loaders.encodings import _collect_errors
    data = "Müller;".encode("cp1252") + b"\x81x\x8d\x8f\x90\n\x9d" + "é".encode("cp1252")
    assert _collect_errors(data, "cp1252") == [7, 9, 10, 11, 13]
    assert _collect_errors(data, "windows-1252") == [7, 9, 10, 11, 13]
    assert _collect_errors("Müller".encode("cp1252"), "cp1252") == []


def test_utf8_text_is_found_across_blocks_and_only_among_the_first_lead_bytes(monkeypatch) -> None:
    from toolkit.loaders import encodings
    monkeypatch.setattr(encodings, "BLOCK", 4)
    # lead bytes that start no UTF-8 character, then one that does, split across a block edge
    assert encodings._has_valid_multibyte_utf8(b"ab\xc3(\xe2x\xc3\xa9")
    assert not encodings._has_valid_multibyte_utf8(b"ab\xc3(\xe2x" + b"\x81" * 9)
    assert not encodings._has_valid_multibyte_utf8(b"\xc3(" * 1000 + "é".encode())  # past the first 1000 leads


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=st.binary(max_size=40), cut=st.integers(min_value=0, max_value=40))
def test_utf8_validity_is_what_python_decodes(data: bytes, cut: int) -> None:
    from toolkit.loaders.encodings import utf8_valid

    def decodes(b: bytes) -> bool:
        try:
            b.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    assert utf8_valid(data) is decodes(data)
    assert utf8_valid(data, 0, min(cut, len(data))) is decodes(data[:cut])
    assert utf8_valid(data, min(cut, len(data))) is decodes(data[cut:])


def test_bad_utf8_bytes_are_found_in_the_blocks_that_do_not_validate(monkeypatch) -> None:
    from toolkit.loaders import encodings
    monkeypatch.setattr(encodings, "CHUNK_BYTES", 8)
    data = "1,Zoë\n2,ok\n3,x".encode() + b"\xff\n4,\xc3(\n" + "5,é\n".encode() * 4
    assert encodings._collect_errors(data, "utf-8") == [15, 19]  # the \xff, and the \xc3 before "("


def test_head_text_is_the_text_the_reader_would_see() -> None:
    assert head_text(codecs.BOM_UTF16_LE + "Id;Name\r\n1;Zoë\r\n".encode("utf-16-le")) == "Id;Name\n1;Zoë\n"
    assert head_text(codecs.BOM_UTF8 + b"Id,Name\r2,b") == "Id,Name\n2,b"
    assert head_text("Id,Name\n1,Café\n".encode("cp1252")) == "Id,Name\n1,Café\n"
