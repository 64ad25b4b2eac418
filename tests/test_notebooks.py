"""Notebooks are code: committed without outputs, parameters as the runner passes them, and the
analyst's tour runs top to bottom."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
import pytest

from toolkit.reporting.run import PARAMETERS

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.parametrize("name", ["team_report.ipynb", "org_summary.ipynb", "explore.ipynb"])
def test_committed_without_outputs_and_thin(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            tree = ast.parse(cell.source)
            assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.For, ast.While, ast.ClassDef))]


def test_team_report_parameters_are_the_runners() -> None:
    nb = nbformat.read(NOTEBOOKS / "team_report.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    names = [t.id for n in ast.parse(cell.source).body if isinstance(n, ast.Assign) for t in n.targets]
    assert tuple(names) == PARAMETERS
    # literals only
    assert all(isinstance(n.value, ast.Constant) for n in ast.parse(cell.source).body)


def test_explore_runs_top_to_bottom(tmp_path) -> None:
    import papermill as pm

    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(str(NOTEBOOKS / "explore.ipynb"), str(out), kernel_name="python3", progress_bar=False,
                        cwd=str(NOTEBOOKS))
    nb = nbformat.read(out, as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    text = " ".join(str(o.get("data", {}).get("text/plain", "")) for c in nb.cells for o in c.get("outputs", []))
    assert "(1002, 0)" in text  # deals and rejected lines of the sample export
    assert sys.executable
