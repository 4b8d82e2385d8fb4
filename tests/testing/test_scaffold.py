# ruff: noqa: E501
"""``channelhub plugins new channel`` generates a package that passes the channel suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.cli.scaffold import render_channel
from core.errors import InputError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "channelhub-cornershop"


def test_scaffolded_plugin_passes_the_suite(tmp_path: Path) -> None:
    root = render_channel("tinyshop_demo", tmp_path)
    # not installed, so the entry-point contract is the one expected failure-free skip
    test_file = root / "tests" / "test_conformance.py"
    test_file.write_text(
        test_file.read_text().replace(
            "channel_conformance(harness=TinyshopDemoHarness)",
            'channel_conformance(harness=TinyshopDemoHarness, skip={"entry_point": "not pip-installed here"})',
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "14 passed, 1 skipped" in done.stdout


def test_example_plugin_is_the_scaffold_output(tmp_path: Path) -> None:
    """The example is what ``plugins new channel cornershop`` writes, so the two cannot drift."""
    root = render_channel("cornershop", tmp_path)
    rendered = {p.relative_to(root) for p in root.rglob("*") if p.is_file()}
    kept = {
        p.relative_to(EXAMPLE)
        for p in EXAMPLE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not any(".egg-info" in part for part in p.parts)
    }
    assert rendered == kept
    for relative in sorted(rendered):
        assert (root / relative).read_text() == (EXAMPLE / relative).read_text(), f"{relative} differs"


def test_scaffold_refuses_bad_names_and_existing_dirs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="name"):
        render_channel("My-Shop", tmp_path)
    render_channel("shop", tmp_path)
    with pytest.raises(InputError, match="already exists"):
        render_channel("shop", tmp_path)


def test_installed_example_passes_the_suite_including_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE)],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"(is it installed? pip install -e {EXAMPLE})\n{done.stdout}{done.stderr}"
    assert "15 passed" in done.stdout
