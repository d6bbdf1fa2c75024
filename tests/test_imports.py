"""No import cycle anywhere in the project, and every module imports on its own.

A cycle held together by imports inside functions, or by the order in which modules
happen to be imported, breaks the first time someone imports the modules in another
order. The static check reads each module's top-level imports (those under
``if TYPE_CHECKING:`` and inside functions aside) and looks for a cycle; the slow one
imports every module first thing in a fresh interpreter.
"""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import curate

#: Run as programs, not imported.
PROGRAMS = {"curate.__main__", "curate.train.__main__"}


def _modules() -> dict[str, Path]:
    """Every module of the installed ``curate`` package (plugins and train included), by name."""
    found = {"curate": Path(curate.__file__)}
    for info in pkgutil.walk_packages(curate.__path__, "curate."):
        spec = importlib.util.find_spec(info.name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            found[info.name] = Path(spec.origin)
    return found


def _top_level_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project's modules that ``name`` imports when it is imported."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names)
            elif isinstance(node, (ast.If, ast.Try, ast.With, ast.ClassDef)):
                for block in ("body", "orelse", "finalbody"):
                    visit(getattr(node, block, []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    found = set()
    for target in targets:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph``, as the path around it, or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_no_import_cycle() -> None:
    modules = _modules()
    graph = {name: _top_level_imports(name, path, modules) for name, path in modules.items()}
    assert "curate.semantic.phase" in graph["curate.plan"]  # the check sees the imports it must see
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_check_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_phases_and_stages_know_no_engine() -> None:
    modules = _modules()
    for name, path in modules.items():
        if name.startswith(("curate.semantic", "curate.stages")):
            imported = _top_level_imports(name, path, modules)
            assert not [m for m in imported if m.startswith("curate.engines")], name
            text = path.read_text(encoding="utf-8")  # imports inside functions too
            assert "from curate.engines" not in text and "import curate.engines" not in text, name


@pytest.mark.slow
def test_every_module_imports_first() -> None:
    names = sorted(set(_modules()) - PROGRAMS)

    def first(name: str) -> tuple[str, str]:
        done = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True, check=False)
        return name, done.stderr.strip().splitlines()[-1] if done.returncode else ""

    with ThreadPoolExecutor(2) as pool:
        failed = {name: error for name, error in pool.map(first, names) if error}
    assert not failed
