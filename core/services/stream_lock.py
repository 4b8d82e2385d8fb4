"""One runner per (integration, stream) at a time, with a lease measured in time.

The lock lives on the stream's ``sync_cursors`` row: claiming is a single conditional UPDATE,
atomic on SQLite and PostgreSQL alike, so two schedulers or two workers racing each other
cannot both win. A live runner renews its lease on a clock (:class:`LeaseKeeper`, every
lease/3, on its own session) whatever the channel's pace, and again in each write's own
transaction (:func:`renew`, the fence). A worker that dies simply stops renewing; once
``locked_until`` passes, the next run takes the stream over and resumes from the last
committed cursor. Nothing stays "started" forever.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.db.base import utcnow
from core.db.models import JobRun, SyncCursor
from core.db.session import dialect_insert
from core.errors import ChannelhubError
from core.logs import get_logger
from core.timing import get_timing

log = get_logger(__name__)


def default_lease() -> timedelta:
    """How long a stream stays locked without news from its runner (``core.timing``)."""
    return get_timing().lease


class LockLost(ChannelhubError):
    """Another runner took the stream over (our lease expired); stop without committing."""


CURSORS = cast(Table, SyncCursor.__table__)


def ensure_cursor(session: Session, integration_id: int, stream: str) -> None:
    """Create the stream's cursor row if missing (insert-or-ignore, never check-then-insert)."""
    values = {"integration_id": integration_id, "stream": stream, "consecutive_failures": 0}
    session.execute(dialect_insert(session, SyncCursor).values(**values).on_conflict_do_nothing())


def _key(integration_id: int, stream: str) -> ColumnElement[bool]:
    return and_(CURSORS.c.integration_id == integration_id, CURSORS.c.stream == stream)


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
        .values(locked_by=owner, locked_until=now + (lease or default_lease()), enqueued_at=None)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def renew(
    session: Session,
    integration_id: int,
    stream: str,
    owner: str,
    lease: timedelta | None = None,
    *,
    also: Mapping[str, Any] | None = None,
) -> None:
    """Extend our lease inside the caller's transaction; raise :class:`LockLost` if it is gone.

    Called in the same transaction that saves a page and its cursor, so a runner whose lease
    was taken over can never commit a page after the new owner started. ``also``: more
    columns of the stream's row to set in the same statement (the cursor), only if the lease
    is still ours.
    """
    result = session.execute(  # Core: the ORM's bulk-update bookkeeping cost more than the row, every batch
        update(CURSORS)
        .where(_key(integration_id, stream), CURSORS.c.locked_by == owner)
        .values(locked_until=utcnow() + (lease or default_lease()), **(also or {}))
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
    """Scheduler side: book the next slot if the stream is due, idle and not already queued.

    Does NOT commit: the caller commits once the job is enqueued and rolls back if enqueueing
    failed, so a broker blip never skips a slot. The conditional UPDATE (its row lock held until
    that commit) makes two schedulers running at once enqueue a stream only once; a message
    already waiting in the queue (``enqueued_at``, cleared by :func:`claim`) stops another being
    sent, unless it has waited a whole interval (the broker lost it).
    """
    ensure_cursor(session, integration_id, stream)
    now = utcnow()
    result = session.execute(
        update(SyncCursor)
        .where(
            _key(integration_id, stream),
            or_(SyncCursor.next_run_at.is_(None), SyncCursor.next_run_at <= now),
            or_(SyncCursor.locked_until.is_(None), SyncCursor.locked_until < now),
            or_(SyncCursor.enqueued_at.is_(None), SyncCursor.enqueued_at < now - interval),
        )
        .values(next_run_at=now + interval, enqueued_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def backoff(interval: timedelta, failures: int) -> timedelta:
    """Slower retries after repeated failures, never slower than six hours, never off."""
    slower: timedelta = interval * (2 ** min(failures, 6))
    return min(slower, max(interval, timedelta(hours=6)))


class LeaseKeeper:
    """Renews a runner's lease (and its job run's heartbeat) every lease/3 on its own session.

    The channel's pace decides how long a page takes (about three minutes for a searchOrders
    page at Amazon's real usage plan), so renewing per unit of work cannot keep a lease that is
    measured in time. The keeper does it on a clock instead. When a renewal finds the lease
    gone (another runner took the stream over) it sets :attr:`lost`; the runner checks it
    before each write (:meth:`check`) and stops.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        integration_id: int,
        stream: str,
        owner: str,
        *,
        job_id: int | None = None,
        lease: timedelta | None = None,
    ) -> None:
        self.sessions = sessions
        self.integration_id = integration_id
        self.stream = stream
        self.owner = owner
        self.job_id = job_id
        self.lease = lease or default_lease()
        self.lost = threading.Event()
        self._every = self.lease.total_seconds() * get_timing().heartbeat_fraction
        self._renewed_at = time.monotonic()  # the claim that started the run renewed it
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{stream}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.lease.total_seconds())

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.beat()
            except LockLost:
                log.warning("lease lost; runner stops", stream=self.stream, integration=self.integration_id)
                return
            except Exception as exc:  # a database blip: the next beat tries again, well inside the lease
                log.warning("lease renewal failed", stream=self.stream, error=type(exc).__name__)

    def beat_if_due(self) -> None:
        """Renew from the runner's own thread when the clock's renewal is due or late.

        The clock thread normally renews in time; a runner calls this between units of work
        (pages) so a starved clock thread cannot let the lease run out, without a
        transaction per page while renewals are on time (at full speed that was ten commits
        per thousand orders).
        """
        if time.monotonic() - self._renewed_at >= self._every:
            self.beat()

    def beat(self) -> None:
        """Renew now, in a transaction of its own; raise :class:`LockLost` (and set :attr:`lost`)."""
        self._renewed_at = time.monotonic()
        with self.sessions() as session:
            try:
                renew(session, self.integration_id, self.stream, self.owner, self.lease)
            except LockLost:
                session.rollback()
                self.lost.set()
                raise
            if self.job_id is not None:
                session.execute(update(JobRun).where(JobRun.id == self.job_id).values(heartbeat_at=utcnow()))
            session.commit()

    def check(self) -> None:
        """Raise :class:`LockLost` if a renewal found the lease gone: call before every write."""
        if self.lost.is_set():
            raise LockLost(
                f"stream {self.stream} of integration {self.integration_id} was taken over by another runner"
            )
