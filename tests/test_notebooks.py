"""Notebooks are code: committed without outputs, shipped inside the package, parameters as the
runner passes them, and the analyst's tour runs top to bottom."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from toolkit.reporting.options import (
    DEFAULT_NOTEBOOK,
    ORG_NOTEBOOK,
    ORG_PARAMETERS,
    PARAMETERS,
    notebook,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = ["team_report.ipynb", "org_summary.ipynb", "explore.ipynb"]


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs_and_thin(name: str) -> None:
    nb = nbformat.read(notebook(name), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            tree = ast.parse(cell.source)
            assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.For, ast.While, ast.ClassDef))]


@pytest.mark.parametrize("name", NAMES)
def test_the_notebooks_users_open_are_the_packaged_ones(name: str) -> None:
    # notebooks/ holds links to toolkit/notebooks/: one file, so what users open is what ships.
    link = NOTEBOOKS / name
    assert link.is_symlink()
    assert link.resolve() == (ROOT / "toolkit" / "notebooks" / name).resolve() == notebook(name).resolve()


def test_notebooks_are_found_as_package_data() -> None:
    assert DEFAULT_NOTEBOOK.name == "team_report.ipynb" and DEFAULT_NOTEBOOK.parent.name == "notebooks"
    assert DEFAULT_NOTEBOOK.parent.parent == Path(__import__("toolkit").__file__).parent
    assert ORG_NOTEBOOK.is_file()


def test_parameters_are_the_runners_and_literals() -> None:
    assert tuple(pm.inspect_notebook(str(DEFAULT_NOTEBOOK))) == PARAMETERS == ("team_id", "data_dir")
    assert tuple(pm.inspect_notebook(str(ORG_NOTEBOOK))) == ORG_PARAMETERS == ("data_dir",)
    for nb_path in (DEFAULT_NOTEBOOK, ORG_NOTEBOOK):
        nb = nbformat.read(nb_path, as_version=4)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assert all(isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) for n in ast.parse(cell.source).body)


def test_every_parameter_is_read_by_a_later_cell() -> None:
    for nb_path, names in ((DEFAULT_NOTEBOOK, PARAMETERS), (ORG_NOTEBOOK, ORG_PARAMETERS)):
        nb = nbformat.read(nb_path, as_version=4)
        used = {n.id for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])
                for n in ast.walk(ast.parse(c.source)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        assert set(names) <= used, nb_path.name


def test_explore_runs_top_to_bottom(tmp_path) -> None:
    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(str(NOTEBOOKS / "explore.ipynb"), str(out), kernel_name="python3", progress_bar=False,
                        cwd=str(NOTEBOOKS))
    nb = nbformat.read(out, as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    text = " ".join(str(o.get("data", {}).get("text/plain", "")) for c in nb.cells for o in c.get("outputs", []))
    assert "(1002, 0)" in text  # deals and rejected lines of the sample export
