"""``channelhub demo`` runs the whole flow on the embedded default, fast, and leaves nothing behind."""

from __future__ import annotations

import os
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
        env={**env, "COLUMNS": "200"},
        cwd=tmp_path,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert elapsed < 60, f"the demo took {elapsed:.0f}s"
    for line in (
        "connected amazon-uk: live",
        "connected amazon-de: live",
        "orders pending review",
        "notifications sent",
        "prices confirmed by Amazon's feed",
        "orders redacted",
    ):
        assert line in out, line  # fmt: skip
    assert "channelhub orders pending" in out  # it ends with what to explore next
    assert (tmp_path / "demo" / "channelhub.db").exists()
    assert not (tmp_path / "channelhub.db").exists()  # nothing written outside its folder
