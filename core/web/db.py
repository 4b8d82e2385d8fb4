"""Per-request dependencies: a database session (committed when the handler returns, rolled back
on error) and the plugin manager (tests override :func:`plugin_manager`)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from core.db.session import session_scope
from core.plugins import PluginManager, get_plugin_manager


def db_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


def plugin_manager() -> PluginManager:
    return get_plugin_manager()
