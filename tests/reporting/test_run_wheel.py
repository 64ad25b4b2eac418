"""`pip wheel . && pip install *.whl` in a fresh virtual environment gives a working
`toolkit report`: the notebooks, templates and CSS are package data, found through
importlib.resources, and the wheel's metadata names every dependency a report needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SF = ROOT / "data" / "samples" / "salesforce_export"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel built from this checkout, installed by pip with the
    dependencies pip resolves from the wheel's metadata and the package index, as a user's
    install does: no editable link, no checkout on the path, nothing of the test environment.

    ``--no-compile`` leaves the dependencies' bytecode to be compiled on first import: it halves
    the install (about 45 s of CPU instead of 100 s on a 2-core machine) and changes nothing
    that runs."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(work / "dist")],
                   check=True, timeout=600, cwd=work, env=clean_env())
    wheel = next((work / "dist").glob("sales_process_toolkit-*.whl"))
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    py = str(env_dir / "bin" / "python")
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-compile", str(wheel)], check=True, timeout=1800,
                   cwd=work, env=clean_env())
    subprocess.run([py, "-m", "pip", "check"], check=True, timeout=300, cwd=work, env=clean_env(),
                   capture_output=True)
    return env_dir


def clean_env() -> dict[str, str]:
    """No checkout and no other environment on the path: what the venv finds is its own."""
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "JUPYTER_PATH", "JUPYTER_DATA_DIR")
    return {k: v for k, v in os.environ.items() if k not in drop}


def test_the_wheel_holds_the_package_data(installed: Path) -> None:
    code = ("import importlib.util, json, toolkit; from toolkit.reporting.options import DEFAULT_NOTEBOOK, ORG_NOTEBOOK;"
            "print(json.dumps([toolkit.__file__, str(DEFAULT_NOTEBOOK), DEFAULT_NOTEBOOK.is_file(), ORG_NOTEBOOK.is_file(),"
            "importlib.util.find_spec('pytest') is not None]))")
    out = subprocess.run([str(installed / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True,
                         cwd=installed, env=clean_env())
    module, nb, nb_ok, org_ok, has_pytest = json.loads(out.stdout)
    assert module.startswith(str(installed)) and nb.startswith(str(installed)) and nb_ok and org_ok
    assert not has_pytest  # a test dependency: the venv borrows nothing from the test environment


def test_toolkit_report_from_the_wheel(installed: Path, tmp_path) -> None:
    out = tmp_path / "reports"
    res = subprocess.run([str(installed / "bin" / "toolkit"), "report", str(SF), "--as-of", "2025-06-30", "--out",
                          str(out), "--teams", "Nordics", "--formats", "html,pdf"],
                         capture_output=True, text=True, cwd=tmp_path, env=clean_env(), timeout=900, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    day = out / "2025-06-30"
    assert (day / "nordics-49521b" / "team_report.html").stat().st_size > 10_000
    assert (day / "nordics-49521b" / "team_report.pdf").read_bytes().startswith(b"%PDF")
    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["org_summary"]["status"] == "published"
    assert [(t["team_id"], t["status"]) for t in manifest["teams"]] == [("nordics-49521b", "published")]
