"""The errors people meet first: one actionable line, a non-zero exit, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CHANNELHUB_")}
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        capture_output=True,
        text=True,
        env={**base, "COLUMNS": "300", **env},
        cwd=tmp_path,
        timeout=60,
    )


def one_line_error(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """The one stderr line of a failed command; bad input exits 2, other failures 1."""
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgresql://someone:secret@127.0.0.1:1/shop",
            "cannot use the database at postgresql+psycopg://someone:***@",
        ),
        ("mysql+nodriver://x/y", "error: CHANNELHUB_DATABASE_URL 'mysql+nodriver://x/y' cannot be used"),
    ],
)
def test_a_wrong_database_url(tmp_path: Path, url: str, message: str) -> None:
    line = one_line_error(run(tmp_path, "orders", "list", CHANNELHUB_DATABASE_URL=url))
    assert message in line and "secret" not in line


@pytest.mark.parametrize(
    "command", [("orders", "list"), ("integrations", "list"), ("db", "downgrade", "base", "--yes")]
)
def test_a_database_never_upgraded(tmp_path: Path, command: tuple[str, ...]) -> None:
    line = one_line_error(run(tmp_path, *command))
    assert line == "error: no channelhub database at channelhub.db yet: run `channelhub db upgrade`"
    assert list(tmp_path.iterdir()) == []  # no empty database file left behind


def test_db_current_before_upgrade_creates_nothing(tmp_path: Path) -> None:
    result = run(tmp_path, "db", "current", "--json")
    assert result.returncode == 0, result.stderr
    assert all(branch["current"] is None for branch in json.loads(result.stdout))
    assert list(tmp_path.iterdir()) == []


def test_redis_down(tmp_path: Path) -> None:
    assert run(tmp_path, "db", "upgrade").returncode == 0
    key = run(tmp_path, "keys", "generate").stdout.strip()
    result = run(
        tmp_path,
        "scheduler",
        "--once",
        CHANNELHUB_REDIS_URL="redis://127.0.0.1:1/0",
        CHANNELHUB_SECRET_KEY=key,
    )
    assert one_line_error(result).startswith("error: cannot reach Redis at redis://127.0.0.1:1/0")


def test_an_unknown_carrier(tmp_path: Path) -> None:
    assert run(tmp_path, "db", "upgrade").returncode == 0
    line = one_line_error(run(tmp_path, "carriers", "disable", "NOPE", "--area", "DE"), code=2)
    assert "NOPE" in line
