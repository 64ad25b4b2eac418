"""A real browser opens a team report with the network off: charts render, nothing runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from report_runs import EVIL

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian package chromium not installed (.ci/run installs it)")

# No network: every host resolves nowhere and a dead proxy catches the rest.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--enable-logging=stderr", "--v=0"]


def chromium(page: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=120)


def test_report_renders_offline_and_names_stay_text(hostile_run, tmp_path) -> None:
    from PIL import Image

    result, day = hostile_run
    for team in result.teams:
        page = day / team.team_id / "team_report.html"
        shot = tmp_path / f"{team.team_id}.png"
        run = chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1100,2400",
                       "--virtual-time-budget=3000")
        assert shot.is_file(), run.stderr[-2000:]
        console = [ln for ln in run.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
        assert console == [], console
        colours = Image.open(shot).convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is not None and len(colours) > 50  # the page and its charts were drawn
        dom = chromium(page, tmp_path, "--dump-dom").stdout
        # six charts; the control chart needs weeks of history this tiny export does not have
        assert dom.count("<svg") >= 5
        assert "<img" not in dom and "<script" not in dom  # the deal named <img ...> did not become one
    # the hostile names are on the page, as text
    doms = " ".join(chromium(day / t.team_id / "team_report.html", tmp_path, "--dump-dom").stdout
                    for t in result.teams)
    assert EVIL.replace("<", "&lt;").replace(">", "&gt;") in doms
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in doms
