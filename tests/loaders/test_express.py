"""The polars chunk path's own checks: which whitespace a chunk holds."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from toolkit.loaders.express import has_unicode_space


@pytest.mark.parametrize(("text", "found"), [
    ("plain ascii", False), ("Zoë, Müller, ½ £5 – it’s…", False), ("a\u00a0b", True), ("a\u0085", True),
    ("\u1680", True), ("x\u2000", True), ("\u200a", True), ("\u200b", False), ("\u2028", True), ("\u2029", True),
    ("\u202f", True), ("\u205f", True), ("\u3000", True), ("\u3001", False), ("end\u00c2", False)])
def test_unicode_spaces_are_found_in_utf8_bytes(text: str, found: bool) -> None:
    assert has_unicode_space(np.frombuffer(text.encode(), dtype=np.uint8)) is found
    # the same answer as polars' own: a character beyond ASCII that strip_chars strips away
    stripped = pl.Series([c for c in text if ord(c) >= 0x80], dtype=pl.String).str.strip_chars()
    assert bool((stripped == "").any()) is found
