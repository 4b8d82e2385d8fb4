"""The plugin boundary, read from the source: plugins speak to core through ``core.api`` only,
never to each other, and the import graph of core and plugins has no cycles.

Imports are read with ``ast`` (every one, at any depth, except those under
``if TYPE_CHECKING:``, which never run), so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "core.api"
TEST_KIT = "core.testing"
"""Allowed in a plugin's own tests (the conformance suites), nowhere else in a plugin."""


def packages() -> dict[str, Path]:
    """Every plugin package: the built-in ones and the examples' (installed by pip)."""
    found = {f"plugins.{p.name}": p for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").exists()}
    for example in (ROOT / "examples").iterdir():
        for package in example.iterdir() if example.is_dir() else ():
            if (package / "__init__.py").exists() and package.name != "tests":
                found[package.name] = package
    return found


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[0] == "examples":
        parts = parts[2:]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str, list[str]]]:
    """(line, imported module, names) for each import that can run."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _runtime_imports(ast.Module(body=[child], type_ignores=[]), module, is_package)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, *([base] if base else [])])
            yield node.lineno, base, [alias.name for alias in node.names]
        yield from _runtime_imports(node, module, is_package)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, root: Path = ROOT) -> Iterator[tuple[int, str, list[str]]]:
    tree = ast.parse(path.read_text(), str(path))
    yield from _runtime_imports(tree, module_name(path, root), path.name == "__init__.py")


def boundary_violations(package: str, folder: Path, root: Path = ROOT) -> list[str]:
    """Imports of one plugin package that reach past ``core.api`` or into another plugin."""
    others = {name for name in packages() if name != package}
    problems = []
    for path in sorted(folder.rglob("*.py")):
        in_tests = "tests" in path.relative_to(folder).parts
        where = path.relative_to(root)
        for line, target, _ in imports_of(path, root):
            if target in (PUBLIC, package) or target.startswith(f"{package}."):
                continue
            if in_tests and (target == TEST_KIT or target.startswith(f"{TEST_KIT}.")):
                continue
            reaches_core = target.split(".")[0] == "core"
            reaches_plugin = target.startswith("plugins.") or any(
                target == o or target.startswith(f"{o}.") for o in others
            )
            if reaches_core or reaches_plugin:
                problems.append(f"{where}:{line} imports {target}")
    return problems


@pytest.mark.parametrize("package", sorted(packages()))
def test_a_plugin_imports_only_core_api_and_its_own_package(package: str) -> None:
    assert boundary_violations(package, packages()[package]) == []


def test_the_boundary_check_catches_a_plugin_reaching_into_core_or_another_plugin(tmp_path: Path) -> None:
    folder = tmp_path / "plugins" / "amazon"
    (folder / "tests").mkdir(parents=True)
    (folder / "probe.py").write_text(
        "from core.db.models import Order\n"
        "def f():\n    from plugins.shipstation_like.orders import hold\n"
        "from core.api import Order as O\nfrom plugins.amazon.auth import LwaCredentials\n"
        "from . import auth\nfrom core.testing import ChannelHarness\n"
    )
    (folder / "tests" / "test_x.py").write_text("from core.testing import ChannelHarness\n")
    assert boundary_violations("plugins.amazon", folder, tmp_path) == [
        "plugins/amazon/probe.py:1 imports core.db.models",
        "plugins/amazon/probe.py:3 imports plugins.shipstation_like.orders",
        "plugins/amazon/probe.py:7 imports core.testing",
    ]


def import_graph() -> dict[str, set[str]]:
    """Module -> modules it imports, over core and every plugin (packages as their __init__)."""
    files = {
        module_name(path): path
        for folder in (ROOT / "core", *packages().values())
        for path in folder.rglob("*.py")
        if "tests" not in path.relative_to(folder).parts
    }
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        edges = set()
        for _, target, names in imports_of(path):
            for candidate in [f"{target}.{name}" for name in names] or [target]:
                found = candidate if candidate in files else target
                while found and found not in files:
                    found = found.rpartition(".")[0]
                if found and found != module:
                    edges.add(found)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_core_and_plugins_import_each_other_without_cycles() -> None:
    assert cycles(import_graph()) == []


def test_core_never_imports_a_plugin() -> None:
    plugin_roots = {name.split(".")[0] if name.startswith("plugins.") else name for name in packages()}
    graph = import_graph()
    reaching = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.split(".")[0] == "core"
        for target in targets
        if target.split(".")[0] in plugin_roots | {"plugins"}
    )
    assert reaching == []


def test_the_two_front_ends_stand_side_by_side_on_the_services() -> None:
    """DESIGN.md section 1: the CLI and the console call services; services know neither, and
    neither front end reaches into the other (shared formatting lives in core.json_convention).
    The CLI only starts the console (``serve``, ``demo --serve``) through ``core.web.app``."""
    graph = import_graph()
    below = ("core.services", "core.db", "core.jobs", "core.json_convention")
    crossing = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if (module.startswith(below) and target.startswith(("core.cli", "core.web")))
        or (module.startswith("core.web") and target.startswith("core.cli"))
        or (module.startswith("core.cli") and target.startswith("core.web") and target != "core.web.app")
    )
    assert crossing == []


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
