"""The sync engine by stream: one module per stream behind the ``Stream`` protocol, naming no channel."""

from __future__ import annotations

import ast
from pathlib import Path

from core.services import streams, sync
from core.timing import STREAM_MINUTES

PLUGIN_WORDS = ("amazon", "bigbuy", "shipstation", "cornershop")
ENGINE = [Path(sync.__file__), *Path(streams.__file__).parent.glob("*.py")]


def test_every_scheduled_stream_has_its_module_and_runs_by_name() -> None:
    assert list(streams.BY_NAME) == list(STREAM_MINUTES) == list(sync.STREAMS)
    for name, stream in streams.BY_NAME.items():
        assert stream.name == name and type(stream).__module__ == f"core.services.streams.{name}"


def _code_words(path: Path) -> set[str]:
    """Identifiers and string values of the code, docstrings left out (they may cite Amazon)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    words: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            words.add(node.value.lower())
        elif isinstance(node, ast.Name):
            words.add(node.id.lower())
        elif isinstance(node, ast.Attribute):
            words.add(node.attr.lower())
        elif isinstance(node, ast.ImportFrom) and node.module:
            words.add(node.module.lower())
    return words


def test_the_engine_names_no_channel_or_plugin() -> None:
    for path in ENGINE:
        named = sorted(w for w in _code_words(path) for p in PLUGIN_WORDS if p in w)
        assert named == [], f"{path.name}: {named}"
