"""Reading YAML configuration files (mappings, processes): their encoding is checked, so a file
saved in another encoding is a ConfigError naming the line, not a UnicodeDecodeError."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import toolkit
from toolkit.errors import ConfigError
from toolkit.loaders.generic import load_mapping
from toolkit.process import load_process
from toolkit.yaml_nodes import read_yaml_text

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
TEXT = "# Réf\nname: Équipe\n"


@pytest.mark.parametrize(("data", "expected"), [
    (TEXT.encode("utf-8"), TEXT),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), TEXT),
    (TEXT.encode("utf-16"), TEXT),                      # with its BOM
])
def test_utf8_and_utf16_with_bom_read(tmp_path: Path, data: bytes, expected: str) -> None:
    (tmp_path / "f.yaml").write_bytes(data)
    assert read_yaml_text(tmp_path / "f.yaml") == expected


def test_another_encoding_names_the_byte_and_line(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_bytes(TEXT.encode("cp1252"))
    with pytest.raises(ConfigError, match="byte 0xe9 at line 1 of") as info:
        read_yaml_text(tmp_path / "f.yaml")
    assert "save the file as UTF-8" in str(info.value)


def test_a_mapping_saved_in_cp1252_is_a_config_error(tmp_path: Path) -> None:
    """The fuzz test's finding: generic_fr/mapping.yaml re-encoded as cp1252 raised UnicodeDecodeError."""
    folder = tmp_path / "generic_fr"
    shutil.copytree(SAMPLES / "generic_fr", folder)
    mapping = folder / "mapping.yaml"
    text = mapping.read_text(encoding="utf-8")
    mapping.write_bytes(text.encode("cp1252"))
    line = text[:text.index("é")].count("\n") + 1
    with pytest.raises(ConfigError, match=f"byte 0xe9 at line {line} of"):
        load_mapping(mapping)
    with pytest.raises(ConfigError, match=f"byte 0xe9 at line {line} of"):
        toolkit.load(folder)


def test_a_process_saved_in_cp1252_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "process.yaml"
    path.write_bytes(b"name: D\xe9mo\nstages: [{name: Qualify}]\nwon: {name: Won}\nlost: {name: Lost}\n")
    with pytest.raises(ConfigError, match="byte 0xe9 at line 1 of"):
        load_process(path)
