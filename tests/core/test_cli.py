"""The command line as a person meets it: version, errors, debug, db and worker commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from core import __version__
from core.cli.main import main
from core.settings import Settings, get_settings


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed console script's code in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-c", "from core.cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=60,
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"channelhub {__version__}"


def test_an_error_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    bad = {"CHANNELHUB_SECRET_KEY": "not-a-key", "CHANNELHUB_REDIS_URL": "redis://127.0.0.1:1/0"}
    result = run_cli("worker", env=bad, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: CHANNELHUB_SECRET_KEY: key #1 is not a valid Fernet key")
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    bad = {"CHANNELHUB_SECRET_KEY": "not-a-key", "CHANNELHUB_REDIS_URL": "redis://127.0.0.1:1/0"}
    result = run_cli("--debug", "worker", env=bad, cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "ConfigError" in result.stderr


def test_worker_explains_that_embedded_mode_needs_no_worker(
    env: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHANNELHUB_REDIS_URL", raising=False)
    get_settings.cache_clear()
    with pytest.raises(SystemExit) as exit_info:
        main(["worker"])
    assert exit_info.value.code == 1
    assert "`channelhub worker` needs a shared queue: set CHANNELHUB_REDIS_URL" in capsys.readouterr().err


def test_db_upgrade_then_current(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["db", "current", "--json"])
    assert exit_info.value.code in (0, None)
    before = {b["branch"]: b for b in json.loads(capsys.readouterr().out)}
    assert before["core"]["current"] is None and not before["core"]["up_to_date"]

    with pytest.raises(SystemExit):
        main(["db", "upgrade"])
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["db", "current", "--json"])
    after = {b["branch"]: b for b in json.loads(capsys.readouterr().out)}
    assert all(state["up_to_date"] for state in after.values())
    engine = create_engine(env.database_url)
    assert {"integrations", "orders", "outbox", "sync_cursors"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_default_database_is_a_sqlite_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHANNELHUB_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert Settings().database_url == "sqlite:///channelhub.db"
    result = run_cli("db", "upgrade", env={"CHANNELHUB_DATABASE_URL": ""}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "channelhub.db").exists()


def test_postgres_urls_use_psycopg3() -> None:
    url = Settings(database_url="postgresql://postgres@127.0.0.1:5432/test").database_url
    assert url == "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_debug_counts_only_as_the_root_option() -> None:
    from core.cli.main import _debug_requested

    assert _debug_requested(["--debug", "orders", "list"])
    assert not _debug_requested(["shipments", "create", "X", "--tracking", "--debug"])  # a value
