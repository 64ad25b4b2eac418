"""One table of exit codes: the enum the CLI and the report run use, and the README's table."""

from __future__ import annotations

import re
from pathlib import Path

from toolkit.exit_codes import ExitCode

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_lists_exactly_the_codes_the_toolkit_uses() -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| exit code | meaning |"):text.index("## Reports")]
    rows = dict(re.findall(r"^\| (\d) \| (.+) \|$", table, flags=re.MULTILINE))
    assert sorted(int(c) for c in rows) == [int(c) for c in ExitCode] == [0, 1, 2, 3, 4]
    assert {c.name: rows[str(int(c))].split(" ")[0] for c in ExitCode} == {
        "OK": "done", "INPUT": "an", "BLOCKED": "wrong", "SOME_FAILED": "`report`:", "LOCKED": "`report`:"}
    assert "another run holds" in rows[str(int(ExitCode.LOCKED))] and "some teams failed" in rows[
        str(int(ExitCode.SOME_FAILED))]
