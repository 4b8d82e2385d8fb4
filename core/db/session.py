"""Engine and sessions from settings.

SQLite gets the pragmas that make it a reasonable embedded database for a worker pool (WAL,
foreign keys, a busy timeout); PostgreSQL gets a pre-pinged pool.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import ConfigError
from core.settings import get_settings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _private_file(path: str) -> Callable[..., None]:
    """``do_connect`` hook: create the database file 0600 just before SQLite would create it
    world-readable (it holds buyer data); SQLite gives its WAL files the same mode."""

    def create(*_args: Any) -> None:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))

    return create


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``, with a one-line error when the URL cannot be used."""
    kwargs.setdefault("hide_parameters", True)  # a failed batch's rows hold buyer data
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, **kwargs)
            event.listen(engine, "connect", _sqlite_pragmas)
            database = engine.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                event.listen(engine, "do_connect", _private_file(database))
            return engine
        return create_engine(url, pool_pre_ping=True, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise ConfigError(f"CHANNELHUB_DATABASE_URL {url!r} cannot be used: {exc}") from exc


def dialect_insert(session: Session, table: Any) -> Any:
    """An INSERT that knows ``ON CONFLICT`` on the session's backend (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: the configured database)."""
    return make_engine(url or get_settings().database_url)


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None: another backend, or an in-memory database)."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or "mode=memory" in url:
        return None
    return Path(database.removeprefix("file:"))


def require_database(url: str) -> None:
    """Refuse to open a SQLite database nobody created.

    Connecting would create an empty file, and the next command would then meet a database
    without tables; only ``channelhub db upgrade`` (:mod:`core.db.migrate`) creates one.
    """
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise ConfigError(f"no channelhub database at {path} yet: run `channelhub db upgrade`")


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    """Sessions on the configured database, which must exist already (see require_database)."""
    require_database(url or get_settings().database_url)
    return sessionmaker(get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
