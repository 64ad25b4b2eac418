"""The public API: every name in __all__ resolves, and import stays light."""

from __future__ import annotations

import subprocess
import sys

import toolkit


def test_all_names_resolve() -> None:
    for name in toolkit.__all__:
        assert getattr(toolkit, name) is not None


def test_all_lists_exactly_the_lazy_exports() -> None:
    import toolkit.charts

    assert sorted(toolkit.__all__) == sorted([*toolkit._EXPORTS, "__version__"])
    assert sorted(toolkit.charts.__all__) == sorted(toolkit.charts._EXPORTS)
    for name in toolkit.charts.__all__:
        assert getattr(toolkit.charts, name) is not None


def test_import_is_fast_and_pulls_in_no_heavy_dependency() -> None:
    code = ("import sys, time; t = time.perf_counter(); import toolkit; dt = time.perf_counter() - t; "
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
            "{'great_expectations', 'papermill', 'altair', 'polars', 'pandas', 'nbconvert'}); print(dt, heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert float(out[0]) < 0.5
    assert out[1].strip() == "[]"
