"""``channelhub demo`` runs the whole flow on the embedded default, fast, and leaves nothing behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path


def test_demo_runs_to_its_summary(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHANNELHUB_")}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "core", "demo", "--dir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "80"},
        cwd=tmp_path,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert elapsed < 60, f"the demo took {elapsed:.0f}s"
    for line in (
        "connected amazon-uk (Amazon UK): live",
        "connected amazon-de (Amazon DE): live",
        "orders pending review",
        "shipments Amazon was told of",
        "prices Amazon accepted",
        "requests Amazon throttled (HTTP 429",
        "orders with buyer data removed",
        "FBA stock (the units Amazon stores",
    ):
        assert line in " ".join(out.split()), line
    commands = [line for line in out.splitlines() if re.match(r"^  (export |\S*channelhub )", line)]
    assert any(line.rstrip().endswith("channelhub orders pending") for line in commands)  # what next
    for line in out.splitlines():
        if line not in commands:
            assert len(line) <= 80, f"wider than 80 columns: {line!r}"
    assert "…" not in out  # nothing cut short
    assert "_done" not in out and "_created" not in out  # counts in words, not keys
    assert "secret key" not in result.stderr  # the demo's own key needs no warning
    assert (tmp_path / "demo" / "channelhub.key").exists()
    assert (tmp_path / "demo" / "channelhub.db").exists()
    assert not (tmp_path / "channelhub.db").exists()  # nothing written outside its folder
