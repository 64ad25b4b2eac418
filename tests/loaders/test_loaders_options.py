"""The load options every command shares, as a manifest records them and as a rerun compares them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from toolkit.loaders.options import LoadOptions


def test_parameters_as_recorded(tmp_path: Path) -> None:
    assert LoadOptions().parameters() == {"source": None, "mapping": None, "roster": None, "process": "default",
                                          "date_style": None}
    opts = LoadOptions(source="generic", mapping=tmp_path / "m.yaml", process=tmp_path / "p.yaml", date_style="dmy")
    assert opts.parameters() == {"source": "generic", "mapping": str(tmp_path / "m.yaml"), "roster": None,
                                 "process": str(tmp_path / "p.yaml"), "date_style": "dmy"}


def test_fingerprint_changes_with_the_files_the_options_name(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_bytes(b"abc")
    opts = LoadOptions(source="generic", mapping=mapping, roster=tmp_path / "missing.csv")
    assert opts.fingerprint() == {"source": "generic", "date_style": None,
                                  "mapping": hashlib.sha256(b"abc").hexdigest(),
                                  "roster": None,  # a file that is not there has no hash
                                  "process": "default"}
    before = opts.fingerprint()
    mapping.write_bytes(b"abd")  # an edited mapping is another load, whatever its path
    assert opts.fingerprint()["mapping"] != before["mapping"]
    assert LoadOptions().fingerprint()["process"] == "default"
