"""tests/ mirrors toolkit/: every module with logic has its test file at the mirrored path
(``toolkit/reporting/publish.py`` -> ``tests/reporting/test_publish.py``; a package's
``__init__.py`` -> ``test_<package>.py`` beside the package's own tests). Test files have unique
names (pytest imports them by file name), so where two packages have a module of one name, its
test is ``test_<package>_<module>.py`` (``tests/cli/test_cli_options.py``).

``NOT_MIRRORED`` lists the modules whose tests live elsewhere today, with where; the list only
shrinks: a new module needs its test file, and a module that gets one leaves the list.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE, TESTS = ROOT / "toolkit", ROOT / "tests"

NOT_MIRRORED = {
    # charts: through tests/charts/test_charts.py (the package's public builders and SVG rendering)
    "charts/_data.py": "charts/test_charts.py", "charts/_theme.py": "charts/test_charts.py",
    "charts/builders.py": "charts/test_charts.py", "charts/render.py": "charts/test_charts.py",
    # loaders: by behaviour, per vendor and per failure (test_vendor_exports, test_robustness, ...)
    "loaders/__init__.py": "loaders/test_source_and_errors.py", "loaders/catalog.py": "test_process_derive.py",
    "loaders/excel.py": "loaders/test_robustness.py", "loaders/generic.py": "loaders/test_broken_history_and_mappings.py",
    "loaders/headers.py": "loaders/test_vendor_exports.py", "loaders/hubspot.py": "loaders/test_vendor_exports.py",
    "loaders/pipedrive.py": "loaders/test_pipedrive_flow.py", "loaders/salesforce.py": "loaders/test_sample_formats.py",
    "loaders/sniff.py": "loaders/test_source_and_errors.py", "loaders/states.py": "loaders/test_deal_states.py",
    # the record assembler: through read_delimited, each case on the three splitters
    "loaders/assembly.py": "loaders/test_reading.py",
    # the run, its workers and pages: through real runs (tests/reporting/test_reports.py, test_run_faults.py)
    "reporting/execute.py": "reporting/test_run_faults.py",
    "reporting/run.py": "reporting/test_reports.py",
    # the sample company: its files against the committed samples and the planted ground truth
    **{f"samples/{m}.py": "samples/test_committed_samples.py" for m in (
        "__init__", "company", "fields", "generic_fr", "history", "hubspot", "paths", "pipedrive",
        "salesforce_export", "salesforce_report", "timeline")},
    "validation/run.py": "validation/test_validation.py",
}


def has_logic(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in ast.walk(tree))


def mirrors(path: Path) -> list[Path]:
    rel = path.relative_to(PACKAGE)
    folder = TESTS / rel.parent
    if path.name == "__init__.py":
        return [TESTS / "test_api.py"] if rel.parent == Path(".") else [folder / f"test_{rel.parent.name}.py"]
    return [folder / f"test_{path.stem}.py", folder / f"test_{rel.parent.name}_{path.stem}.py"]


def modules_without_a_mirror() -> set[str]:
    return {str(p.relative_to(PACKAGE)) for p in sorted(PACKAGE.rglob("*.py"))
            if p.name != "__main__.py" and has_logic(p) and not any(m.is_file() for m in mirrors(p))}


def test_every_module_with_logic_has_its_mirrored_test_file() -> None:
    missing = modules_without_a_mirror()
    assert sorted(missing - set(NOT_MIRRORED)) == [], "add the mirrored test file"
    assert sorted(set(NOT_MIRRORED) - missing) == [], "these have their test file now: take them off NOT_MIRRORED"
    assert [t for t in NOT_MIRRORED.values() if not (TESTS / t).is_file()] == []


def test_test_file_names_are_unique() -> None:
    names = Counter(p.name for p in TESTS.rglob("*.py") if p.name != "conftest.py")
    assert [n for n, count in names.items() if count > 1] == []
