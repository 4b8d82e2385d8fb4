"""One runner per (integration, stream) at a time, with a lease that expires.

The lock lives on the stream's ``sync_cursors`` row: claiming is a single conditional UPDATE,
atomic on SQLite and PostgreSQL alike, so two schedulers or two workers racing each other
cannot both win. A worker that dies simply stops renewing; once ``locked_until`` passes,
the next run takes the stream over and resumes from the last committed cursor. Nothing stays
"started" forever.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import SyncCursor
from core.db.session import dialect_insert
from core.errors import ChannelhubError
from core.settings import get_settings


def default_lease() -> timedelta:
    """How long a stream stays locked without news from its runner (``CHANNELHUB_STREAM_LEASE_SECONDS``)."""
    return timedelta(seconds=get_settings().stream_lease_seconds)


class LockLost(ChannelhubError):
    """Another runner took the stream over (our lease expired); stop without committing."""


def ensure_cursor(session: Session, integration_id: int, stream: str) -> None:
    """Create the stream's cursor row if missing (insert-or-ignore, never check-then-insert)."""
    values = {"integration_id": integration_id, "stream": stream, "consecutive_failures": 0}
    session.execute(dialect_insert(session, SyncCursor).values(**values).on_conflict_do_nothing())


def _key(integration_id: int, stream: str) -> ColumnElement[bool]:
    return and_(SyncCursor.integration_id == integration_id, SyncCursor.stream == stream)


def claim(
    session: Session, integration_id: int, stream: str, owner: str, lease: timedelta | None = None
) -> bool:
    """Take the stream for ``lease`` if nobody holds a live lease on it. Commits."""
    ensure_cursor(session, integration_id, stream)
    now = utcnow()
    result = session.execute(
        update(SyncCursor)
        .where(
            _key(integration_id, stream),
            or_(SyncCursor.locked_until.is_(None), SyncCursor.locked_until < now),
        )
        .values(locked_by=owner, locked_until=now + (lease or default_lease()))
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def renew(
    session: Session, integration_id: int, stream: str, owner: str, lease: timedelta | None = None
) -> None:
    """Extend our lease inside the caller's transaction; raise :class:`LockLost` if it is gone.

    Called in the same transaction that saves a page and its cursor, so a runner whose lease
    was taken over can never commit a page after the new owner started.
    """
    result = session.execute(
        update(SyncCursor)
        .where(_key(integration_id, stream), SyncCursor.locked_by == owner)
        .values(locked_until=utcnow() + (lease or default_lease()))
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise LockLost(f"stream {stream} of integration {integration_id} was taken over by another runner")


def release(
    session: Session,
    integration_id: int,
    stream: str,
    owner: str,
    *,
    next_run_at: datetime | None,
    error: str | None = None,
) -> None:
    """Give the stream back, recording success (failures reset) or the error. Commits."""
    cursor = session.scalar(select(SyncCursor).where(_key(integration_id, stream)).with_for_update())
    if cursor is None or cursor.locked_by != owner:
        session.rollback()
        return
    cursor.locked_by = None
    cursor.locked_until = None
    cursor.next_run_at = next_run_at
    if error is None:
        cursor.last_success_at = utcnow()
        cursor.consecutive_failures = 0
        cursor.last_error = None
    else:
        cursor.consecutive_failures += 1
        cursor.last_error = error
    session.commit()


def take_due(session: Session, integration_id: int, stream: str, interval: timedelta) -> bool:
    """Scheduler side: book the next slot if the stream is due and idle. Commits.

    The conditional UPDATE makes two schedulers running at once enqueue a stream only once.
    """
    ensure_cursor(session, integration_id, stream)
    now = utcnow()
    result = session.execute(
        update(SyncCursor)
        .where(
            _key(integration_id, stream),
            or_(SyncCursor.next_run_at.is_(None), SyncCursor.next_run_at <= now),
            or_(SyncCursor.locked_until.is_(None), SyncCursor.locked_until < now),
        )
        .values(next_run_at=now + interval)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def backoff(interval: timedelta, failures: int) -> timedelta:
    """Slower retries after repeated failures, never slower than six hours, never off."""
    slower: timedelta = interval * (2 ** min(failures, 6))
    return min(slower, max(interval, timedelta(hours=6)))
