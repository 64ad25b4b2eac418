"""The README's setup is CI's setup: the same system packages, named in both."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_and_ci_install_the_same_system_packages() -> None:
    ci = re.search(r"^PACKAGES=\((.*)\)$", (ROOT / ".ci" / "run").read_text(encoding="utf-8"), re.MULTILINE)
    assert ci is not None
    readme = re.search(r"^apt-get install (.*)$", (ROOT / "README.md").read_text(encoding="utf-8"), re.MULTILINE)
    assert readme is not None
    assert sorted(ci.group(1).split()) == sorted(readme.group(1).split())
    assert "libharfbuzz-subset0" in ci.group(1).split()
