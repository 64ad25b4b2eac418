"""One way for data to flow: no module imports one of a higher layer (loaders -> metrics and
validation -> charts -> reporting -> cli; the model floor below them all), lazily or not, and the
modules' import-time graph has no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "toolkit"

#: Each area's layer: an area may import its own modules and those of lower layers only.
LAYERS = {
    "errors": 0, "exit_codes": 0, "filebytes": 0, "schema": 0, "yaml_nodes": 0,
    "process": 1, "frames": 1,
    "model": 2, "process_yaml": 2,
    "process_derive": 3,
    "loaders": 4, "samples": 4,
    "metrics": 5,
    "validation": 6, "process_suggest": 6,
    "charts": 7,
    "reporting": 8,
    "cli": 9,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def area(module: str) -> str:
    return module.split(".")[1]


def imports(path: Path, *, import_time_only: bool) -> set[str]:
    """The toolkit modules ``path`` imports; ``import_time_only``: leaving out the imports inside
    functions and under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree) if import_time_only else ():
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            skipped |= {id(n) for n in ast.walk(node)} - {id(node)}
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("toolkit"):
            names |= {f"{node.module}.{a.name}" for a in node.names} | {node.module or ""}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("toolkit")}
    return names


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def targets(path: Path, *, import_time_only: bool) -> set[str]:
    # "from toolkit import schema" names the module toolkit.schema; the package root itself is lazy
    return {n for n in imports(path, import_time_only=import_time_only) if n in MODULES and n != "toolkit"}


def test_every_area_has_a_layer() -> None:
    assert sorted({area(m) for m in MODULES if m != "toolkit"} - set(LAYERS)) == []


def test_no_import_from_a_lower_layer_to_a_higher_one() -> None:
    upward = sorted(f"{m} imports {t}" for m, p in MODULES.items() if m != "toolkit"
                    for t in targets(p, import_time_only=False) if LAYERS[area(t)] > LAYERS[area(m)])
    assert upward == []


def test_no_cycle_at_import_time() -> None:
    graph = {m: targets(p, import_time_only=True) - {m} for m, p in MODULES.items() if m != "toolkit"}
    # a package imports its own submodules to re-export them: that edge is the package's, not a cycle
    graph = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []
