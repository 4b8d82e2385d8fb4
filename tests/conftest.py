"""Shared fixtures: a fresh database per test on the backend under test.

The backend is whatever ``CHANNELHUB_DATABASE_URL`` names when pytest starts (SQLite by
default; ``.ci/run`` runs the suite a second time against PostgreSQL with Redis). On
PostgreSQL each test gets its own schema, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from core import crypto
from core.db import migrate
from core.db.session import get_engine, session_factory
from core.plugins import PluginManager, build_plugin_manager, get_plugin_manager
from core.settings import Settings, get_settings

BACKEND_URL = Settings().database_url
REDIS_URL = os.environ.get("CHANNELHUB_REDIS_URL") or None
ON_POSTGRES = BACKEND_URL.startswith("postgresql")

pytest_plugins = ["pytester"]


def _redis_up() -> bool:
    if not REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs CHANNELHUB_DATABASE_URL=postgresql://... (run by .ci/run)")
    skip_redis = pytest.mark.skip(reason="needs a reachable CHANNELHUB_REDIS_URL (run by .ci/run)")
    redis_up = _redis_up()
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not redis_up:
            item.add_marker(skip_redis)


def _clear_caches() -> None:
    get_settings.cache_clear()
    crypto.get_cipher.cache_clear()
    get_engine.cache_clear()
    get_plugin_manager.cache_clear()


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """URL of a new, empty database on the backend under test."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'channelhub.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(BACKEND_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in BACKEND_URL else "?"
    yield f"{BACKEND_URL}{sep}options=-csearch_path%3D{schema}"
    get_engine.cache_clear()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> Iterator[Settings]:
    """Process settings pointing at the per-test database, with a fresh secret key."""
    monkeypatch.setenv("CHANNELHUB_DATABASE_URL", db_url)
    monkeypatch.setenv("CHANNELHUB_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("CHANNELHUB_KEY_FILE", str(tmp_path / "channelhub.key"))
    if REDIS_URL is None:
        monkeypatch.delenv("CHANNELHUB_REDIS_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    _clear_caches()
    yield get_settings()
    get_engine(db_url).dispose()
    _clear_caches()


@pytest.fixture
def plugins(env: Settings) -> PluginManager:
    return build_plugin_manager()


@pytest.fixture
def migrated(env: Settings, plugins: PluginManager) -> Settings:
    """The per-test database with every migration applied (no create_all outside tests)."""
    migrate.upgrade(plugins, env.database_url)
    return env


@pytest.fixture
def session(migrated: Settings) -> Iterator[Session]:
    with session_factory(migrated.database_url)() as s:
        yield s
