"""An installed wheel renders reports as a checkout does: the notebooks, templates and CSS are
package data, found through importlib.resources."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SF = ROOT / "data" / "samples" / "salesforce_export"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel built from this checkout installed (no editable link, no
    checkout on the path). The dependencies come from the test environment's site-packages,
    made visible through a .pth line: a full `pip install <wheel>` downloads ~1 GB of wheels
    (polars, pyarrow, GX, pandas...) per run, which is what the wheel's own metadata decides, not
    what this test checks."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(work / "dist")],
                   check=True, timeout=600, cwd=work)
    wheel = next((work / "dist").glob("sales_process_toolkit-*.whl"))
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # installed before the dependencies are made visible: pip would otherwise see the test
    # environment's editable install and call the requirement satisfied
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True,
                   timeout=600, cwd=work, env=clean_env())
    (Path(purelib) / "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return env_dir


def clean_env() -> dict[str, str]:
    """No checkout on the path. nbconvert's templates are data files of the environment that
    installed nbconvert (<prefix>/share/jupyter), which the .pth shortcut does not bring along."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    return env


def test_the_wheel_holds_the_package_data(installed: Path) -> None:
    code = ("import toolkit, json; from toolkit.reporting.options import DEFAULT_NOTEBOOK, ORG_NOTEBOOK;"
            "print(json.dumps([toolkit.__file__, str(DEFAULT_NOTEBOOK), DEFAULT_NOTEBOOK.is_file(), ORG_NOTEBOOK.is_file()]))")
    out = subprocess.run([str(installed / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True,
                         cwd=installed, env=clean_env())
    module, nb, nb_ok, org_ok = json.loads(out.stdout)
    assert module.startswith(str(installed)) and nb.startswith(str(installed)) and nb_ok and org_ok


def test_toolkit_report_from_the_wheel(installed: Path, tmp_path) -> None:
    out = tmp_path / "reports"
    res = subprocess.run([str(installed / "bin" / "toolkit"), "report", str(SF), "--as-of", "2025-06-30", "--out",
                          str(out), "--teams", "Nordics", "--formats", "html,pdf"],
                         capture_output=True, text=True, cwd=tmp_path, env=clean_env(), timeout=900, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    day = out / "2025-06-30"
    assert (day / "nordics-49521b" / "team_report.html").stat().st_size > 10_000
    assert (day / "nordics-49521b" / "team_report.pdf").read_bytes().startswith(b"%PDF")
    assert json.loads((day / "manifest.json").read_text(encoding="utf-8"))["org_summary"]["status"] == "published"
