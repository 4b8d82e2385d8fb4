"""One database session per request: committed when the handler returns, rolled back on error."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from core.db.session import session_factory


def db_session() -> Iterator[Session]:
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
