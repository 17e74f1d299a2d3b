"""docs/architecture.md stays true, and the import graph stays as it says: one way, no private reach-ins.

Every dotted `feedaudit.…` name on the page must import (a module, or a name in one). The import graph
is read from the source (imports inside functions count, those under `if TYPE_CHECKING:` do not): no
module imports another module's `_private` name, and no chain of imports leads back to where it
started, lazy imports included.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

from tests.conftest import ROOT

PAGE = ROOT / "docs" / "architecture.md"
PACKAGE = ROOT / "feedaudit"
DOTTED = re.compile(r"\bfeedaudit(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def resolve(dotted: str) -> object:
    """The module or attribute `dotted` names (ImportError / AttributeError if there is none)."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            value: object = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:]:
            value = getattr(value, name)
        return value
    raise ImportError(dotted)


def test_every_name_on_the_page_imports() -> None:
    names = sorted(set(DOTTED.findall(PAGE.read_text("utf-8"))))
    assert len(names) > 30  # the page does name the parts
    missing = []
    for name in names:
        try:
            resolve(name)
        except (ImportError, AttributeError) as exc:
            missing.append(f"{name}: {exc}")
    assert missing == []


def test_the_page_names_the_files_it_points_to() -> None:
    for path in re.findall(r"`((?:tests|feedaudit|docs)/[\w/.]+\.(?:py|yml|toml|md))`", PAGE.read_text("utf-8")):
        if "CODE" not in path:
            assert (ROOT / path).is_file(), path


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """Module -> the package modules it imports; and every `from x import _private` across modules."""
    known = modules()
    graph: dict[str, set[str]] = {}
    private: list[str] = []
    for name, path in known.items():
        imported: set[str] = set()
        pending: list[ast.AST] = [ast.parse(path.read_text("utf-8"))]
        while pending:
            node = pending.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    pending.extend(child.orelse)
                    continue
                if isinstance(child, ast.Import):
                    imported.update(a.name for a in child.names if a.name in known)
                elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module in known:
                    for alias in child.names:
                        full = f"{child.module}.{alias.name}"
                        if full in known:
                            imported.add(full)
                            continue
                        imported.add(child.module)
                        if alias.name.startswith("_") and not alias.name.startswith("__") and child.module != name:
                            private.append(f"{name} imports {full}")
                pending.append(child)
        graph[name] = imported - {name}
    return graph, private


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        path.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, path)
        path.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    return found


def test_no_module_imports_another_module_s_private_names() -> None:
    graph, private = import_graph()
    assert len(graph) > 50
    assert private == []


def test_the_import_graph_has_no_cycle() -> None:
    graph, _ = import_graph()
    assert "feedaudit.unit" in graph["feedaudit.parallel.run"]
    assert [" -> ".join(cycle) for cycle in cycles(graph)] == []


def test_the_engine_and_the_unit_know_no_run_mode_but_through_the_split_planner() -> None:
    graph, _ = import_graph()
    assert not graph["feedaudit.unit"] & {"feedaudit.engine", "feedaudit.fleet", "feedaudit.cluster"}
    assert not {m for m in graph["feedaudit.unit"] if m.startswith("feedaudit.parallel")}
    assert {m for m in graph["feedaudit.engine"] if m.startswith("feedaudit.parallel")} == {"feedaudit.parallel.run"}
