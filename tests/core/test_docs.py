"""docs/plugins.md documents every hook of core/hookspecs.py with its exact signature."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from core.hookspecs import ChannelhubSpecs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
HEADING = re.compile(r"^### `(channelhub_\w+)\((.*)\) -> (.+)`$", re.MULTILINE)
HOOKS = sorted(n for n in vars(ChannelhubSpecs) if n.startswith("channelhub_"))


def documented() -> dict[str, str]:
    return {name: f"({args}) -> {ret}" for name, args, ret in HEADING.findall(DOCS.read_text())}


def spec_signature(name: str) -> str:
    sig = inspect.signature(getattr(ChannelhubSpecs, name))
    params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values() if p.name != "self")
    return f"({params}) -> {sig.return_annotation}"  # annotations are strings (postponed evaluation)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_documented_with_its_signature(hook: str) -> None:
    docs = documented()
    assert hook in docs, f"{hook} is missing from docs/plugins.md (add a '### `{hook}(...) -> ...`' heading)"
    assert docs[hook] == spec_signature(hook), (
        f"docs/plugins.md shows {hook}{docs[hook]}, spec is {spec_signature(hook)}"
    )


def test_docs_document_no_unknown_hook() -> None:
    assert set(documented()) <= set(HOOKS)
