"""Core is the only writer of its own tables (DESIGN.md section 1), read from the plugins' source.

Plugins may read core's models (``select(Order)``) but every write goes through a core service
exported by ``core.api`` (``create_shipment``, ``record_notification``, ``redact_order_fields``,
``assign_carrier``...). The check flags, in any plugin module (its tests excepted):

- ``insert(M)``, ``update(M)``, ``delete(M)`` of a core model or table;
- ``M(...)``: building a core row;
- ``x.column = ...`` (also ``+=``, ``setattr(x, "column", ...)``) for a column only core's
  models have: a plugin table with a column of the same name is not mistaken for core's.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from sqlalchemy import Table

import core.api
from core.db.base import Base
from tests.core.test_import_boundary import ROOT, packages


def _core_names() -> set[str]:
    """Names ``core.api`` exports that are core's mapped classes or tables."""
    names = set()
    for name in core.api.__all__:
        value = getattr(core.api, name)
        table = getattr(value, "__table__", value)
        if isinstance(table, Table) and table.metadata is Base.metadata:
            names.add(name)
    return names


def _plugin_columns() -> set[str]:
    """Column names of every plugin table (their own metadata), imported through the plugins."""
    columns: set[str] = set()
    for package, folder in packages().items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if "tests" not in parts and "migrations" not in parts:
                importlib.import_module(".".join([package, *parts]).removesuffix(".__init__"))
    for mapper_class in _subclasses(core.api.PluginBase):
        table = getattr(mapper_class, "__table__", None)
        if isinstance(table, Table):
            columns |= set(table.columns.keys())
    return columns


def _subclasses(kind: type) -> list[type]:
    found = []
    for sub in kind.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _core_only_columns() -> set[str]:
    core_columns = {c for t in Base.metadata.tables.values() for c in t.columns.keys()}  # noqa: SIM118
    return core_columns - _plugin_columns() - {"id"}


def _imported_models(tree: ast.AST, models: set[str]) -> set[str]:
    """Local names this module binds to core's models or tables (``from core.api import Order``)."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "core.api"
        for alias in node.names
        if alias.name in models
    }


def write_violations(folder: Path, root: Path, models: set[str], columns: set[str]) -> list[str]:
    """Places in ``folder`` where plugin code writes a core table itself.

    Only modules importing a core model from ``core.api`` are read (a module of the plugin's
    own objects, say a simulator's, may well have a ``status``).
    """
    problems: list[tuple[Path, int, str]] = []
    for path in sorted(folder.rglob("*.py")):
        if "tests" in path.relative_to(folder).parts:
            continue
        where = path.relative_to(root)
        tree = ast.parse(path.read_text(), str(path))
        local = _imported_models(tree, models)
        if not local:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                called, args = node.func.id, node.args
                if called in ("insert", "update", "delete") and args and _name(args[0]) in local:
                    problems.append((where, node.lineno, f"{called}({_name(args[0])})"))
                elif called in local:
                    problems.append((where, node.lineno, f"builds a {called} row"))
                elif (
                    called == "setattr"
                    and len(args) > 1
                    and isinstance(args[1], ast.Constant)
                    and args[1].value in columns
                ):
                    problems.append((where, node.lineno, f"sets .{args[1].value}"))
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AugAssign | ast.AnnAssign)
                else []
            )
            for target in targets:
                for leaf in ast.walk(target):
                    if _core_column_store(leaf, columns):
                        problems.append((where, node.lineno, f"sets .{leaf.attr}"))  # type: ignore[attr-defined]
    return [f"{where}:{line} {what}" for where, line, what in sorted(problems)]


def _core_column_store(node: ast.AST, columns: set[str]) -> bool:
    """``x.column = ...`` for a core-only column, ``self.<anything>`` (the plugin's own object) aside."""
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Store)
        and node.attr in columns
        and not (isinstance(node.value, ast.Name) and node.value.id == "self")
    )


def _name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


@pytest.mark.parametrize("package", sorted(packages()))
def test_a_plugin_never_writes_core_tables_itself(package: str) -> None:
    assert write_violations(packages()[package], ROOT, _core_names(), _core_only_columns()) == []


def test_the_check_catches_each_kind_of_write(tmp_path: Path) -> None:
    folder = tmp_path / "plugins" / "probe"
    (folder / "tests").mkdir(parents=True)
    (folder / "writes.py").write_text(
        "from core.api import Order, Shipment\n"
        "def f(session, order, notice):\n"
        "    session.execute(update(Shipment).values(notify_state='sent'))\n"
        "    session.add(Order(channel_order_id='1'))\n"
        "    order.status = 'shipped'\n"
        "    setattr(order, 'review_reason', None)\n"
        "    notice.state = 'done'\n"  # a plugin table's own column: allowed
        "    session.execute(update(Notice))\n"  # a plugin table: allowed
    )
    (folder / "tests" / "test_x.py").write_text("order.status = 'shipped'\n")
    (folder / "own.py").write_text(
        "from core.api import Order\nclass C:\n    def __init__(self):\n        self.status = 1\n"
    )
    (folder / "sim.py").write_text("class Order: ...\ndef f(order):\n    order.status = 1\n    Order()\n")
    columns = _core_only_columns()
    assert {"status", "review_reason", "notify_state"} <= columns and "state" not in columns
    assert write_violations(folder, tmp_path, _core_names(), columns) == [
        "plugins/probe/writes.py:3 update(Shipment)",
        "plugins/probe/writes.py:4 builds a Order row",
        "plugins/probe/writes.py:5 sets .status",
        "plugins/probe/writes.py:6 sets .review_reason",
    ]
